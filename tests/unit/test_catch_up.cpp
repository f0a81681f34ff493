// core::catch_up against the registry itself: for a random hook stream (sessions joining and leaving, with
// registrations and subscriptions, in the realm served and in another), the events a catch-up replays from
// any told position equal, one for one and tagged the same, the events the live registry published after that
// position. That is what makes a restart or a takeover invisible to subscribers.
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <set>

#include "support.hpp"
#include "wamp_metad/core/catch_up.hpp"
#include "wamp_metad/core/uris.hpp"

namespace core = wamp_metad::core;
namespace uri = wamp_metad::uri;
using namespace test_support;

namespace {

// What an event says, with its told position: for comparing two runs event by event.
std::string tagged(const core::meta_event& e) {
  return trace({e}) + "@" + std::to_string(e.seq) + "." + std::to_string(e.index);
}

struct stream {
  std::vector<core::hook_event> hooks;
};

// A random, consistent hook stream of `n` steps over realms "r" (served) and "o".
stream random_stream(unsigned seed, int n) {
  std::mt19937 rng(seed);
  stream s;
  std::uint64_t seq = 0;
  std::uint64_t next_id = 1;
  struct live {
    std::string realm;
    std::set<std::uint64_t> regs, subs;
  };
  std::map<std::uint64_t, live> sessions;
  // Subscriptions shared per (realm, topic); registrations one callee each.
  std::map<std::pair<std::string, int>, std::pair<std::uint64_t, std::set<std::uint64_t>>> topics;
  std::map<std::pair<std::string, int>, std::pair<std::uint64_t, std::uint64_t>> procedures;  // -> id, callee
  std::uint64_t next_obs = 1000;
  const auto pick = [&](auto& m) {
    auto it = m.begin();
    std::advance(it, std::uniform_int_distribution<std::size_t>(0, m.size() - 1)(rng));
    return it;
  };
  for (int step = 0; step < n; ++step) {
    const int what = std::uniform_int_distribution<int>(0, 9)(rng);
    if (sessions.size() < 3 || what < 3) {
      const std::uint64_t id = next_id++;
      const std::string realm = rng() % 4 == 0 ? "o" : "r";
      sessions[id] = live{realm, {}, {}};
      s.hooks.push_back(joined(rec(realm, id, id % 7 == 0 ? "metad" : "user"), ++seq));
    } else if (what < 5) {
      auto it = pick(sessions);
      const std::uint64_t id = it->first;
      const std::string realm = it->second.realm;
      for (std::uint64_t r : it->second.regs) {
        for (auto p = procedures.begin(); p != procedures.end(); ++p)
          if (p->second.first == r) {
            s.hooks.push_back(observed(core::hook_kind::unregistered, realm, id, r, "", ++seq));
            procedures.erase(p);
            break;
          }
      }
      for (std::uint64_t sub : it->second.subs) {
        for (auto& [key, t] : topics)
          if (t.first == sub) t.second.erase(id);
        s.hooks.push_back(observed(core::hook_kind::unsubscribed, realm, id, sub, "", ++seq));
      }
      sessions.erase(it);
      s.hooks.push_back(left(realm, id, ++seq));
    } else if (what < 8) {
      auto it = pick(sessions);
      const int topic = static_cast<int>(rng() % 3);
      auto& t = topics[{it->second.realm, topic}];
      if (t.second.empty()) t.first = next_obs++;
      if (!t.second.insert(it->first).second) {
        t.second.erase(it->first);
        it->second.subs.erase(t.first);
        s.hooks.push_back(observed(core::hook_kind::unsubscribed, it->second.realm, it->first, t.first, "", ++seq));
      } else {
        it->second.subs.insert(t.first);
        s.hooks.push_back(observed(core::hook_kind::subscribed, it->second.realm, it->first, t.first,
                                   "com.topic" + std::to_string(topic), ++seq));
      }
    } else {
      auto it = pick(sessions);
      const int proc = static_cast<int>(rng() % 3);
      auto p = procedures.find({it->second.realm, proc});
      if (p == procedures.end()) {
        const std::uint64_t id = next_obs++;
        procedures[{it->second.realm, proc}] = {id, it->first};
        it->second.regs.insert(id);
        s.hooks.push_back(observed(core::hook_kind::registered, it->second.realm, it->first, id,
                                   "com.proc" + std::to_string(proc), ++seq));
      } else if (p->second.second == it->first) {
        it->second.regs.erase(p->second.first);
        s.hooks.push_back(
            observed(core::hook_kind::unregistered, it->second.realm, it->first, p->second.first, "", ++seq));
        procedures.erase(p);
      }
    }
  }
  return s;
}

// The live registry's events for realm "r", each tagged with its hook's seq and index, as the feed does.
std::vector<core::meta_event> live_events(const stream& s) {
  auto reg = serving({});
  std::vector<core::meta_event> all;
  for (const auto& h : s.hooks) {
    std::vector<core::meta_event> out;
    const std::uint64_t seq = h.position->seq;
    BOOST_REQUIRE(reg.on_hook(core::hook_event(h), out) == core::mirror::verdict::applied);
    std::uint32_t index = 0;
    for (auto& e : out) {
      e.seq = seq;
      e.index = index++;
      all.push_back(std::move(e));
    }
  }
  return all;
}

// The first page of router.meta.catch_up for "r" with told position (p, i), or none (p == 0): the realm's
// state at seq p - 1 (or 0) and its hooks since; everything on one page.
core::catch_up_page page_for(const stream& s, std::uint64_t p, std::uint32_t i) {
  const std::uint64_t at = p == 0 ? 0 : p - 1;
  auto reg = serving({});
  std::vector<core::meta_event> ignored;
  core::catch_up_page page;
  for (const auto& h : s.hooks) {
    if (h.position->seq <= at)
      reg.on_hook(core::hook_event(h), ignored);
    else if (h.session.realm == "r")
      page.hooks.push_back(h);
  }
  page.state.position = core::hook_position{"e1", s.hooks.size()};
  if (const auto* sessions = reg.truth().sessions("r"))
    for (const auto& [id, rec] : *sessions)
      page.state.sessions.push_back(*rec);
  reg.truth().observations().for_each_table(
      [&](const std::string& realm, core::observation_kind kind, const core::observation_table& table) {
        if (realm != "r") return;
        table.for_each([&](const core::observation& o) {
          core::snapshot_observation so;
          so.realm = realm;
          so.info = core::observation_info{kind, o.id, o.uri, o.match, o.invoke, o.created};
          so.members.assign(o.members.begin(), o.members.end());
          page.state.observations.push_back(std::move(so));
        });
      });
  page.at = at;
  page.skip = p == 0 ? 0 : i + 1;
  if (p != 0) page.told = std::make_pair(p, i);
  return page;
}

std::vector<std::string> strings(const std::vector<core::meta_event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(tagged(e));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(catch_up)

BOOST_AUTO_TEST_CASE(replays_exactly_what_followed_any_told_position) {
  int positions = 0;
  for (unsigned seed = 1; seed <= 12; ++seed) {
    const stream s = random_stream(seed, 300);
    const auto all = live_events(s);
    BOOST_REQUIRE(all.size() > 50);
    // No record: everything, from the start of the run. Then every event as the last one told.
    for (std::size_t cut = 0; cut <= all.size(); cut += (cut < 40 ? 1 : 7)) {
      const std::uint64_t p = cut == 0 ? 0 : all[cut - 1].seq;
      const std::uint32_t i = cut == 0 ? 0 : all[cut - 1].index;
      core::catch_up c("r", {"metad"});
      auto added = c.add(page_for(s, p, i));
      BOOST_REQUIRE_MESSAGE(added.ok(), (added.ok() ? "" : added.error().message));
      auto done = c.replay();
      BOOST_REQUIRE_MESSAGE(done.ok(), (done.ok() ? "" : done.error().message));
      const std::vector<core::meta_event>& replayed = done.value();
      const std::vector<core::meta_event> rest(all.begin() + static_cast<std::ptrdiff_t>(cut), all.end());
      BOOST_REQUIRE_EQUAL(trace(replayed), trace(rest));
      BOOST_REQUIRE(strings(replayed) == strings(rest));
      ++positions;
    }
  }
  BOOST_TEST_MESSAGE(positions << " told positions replayed");
}

BOOST_AUTO_TEST_CASE(live_hooks_after_the_answer_follow_the_pages) {
  const stream s = random_stream(99, 200);
  const auto all = live_events(s);
  // The router answered at seq 120: its pages hold the hooks up to there, the rest come live (of every realm,
  // some twice, some from before the answer: only the realm's later ones count).
  stream head;
  head.hooks.assign(s.hooks.begin(), s.hooks.begin() + 120);
  auto page = page_for(head, 0, 0);
  core::catch_up c("r", {"metad"});
  BOOST_REQUIRE(c.add(std::move(page)).ok());
  for (std::size_t k = 110; k < s.hooks.size(); ++k) {
    c.on_hook(s.hooks[k]);
    if (k % 5 == 0) c.on_hook(s.hooks[k]);
  }
  auto replayed = c.replay();
  BOOST_REQUIRE(replayed.ok());
  BOOST_CHECK(strings(replayed.value()) == strings(all));
}

BOOST_AUTO_TEST_CASE(pages_that_do_not_fit_are_refused) {
  const stream s = random_stream(5, 60);
  // A refusal is an invalid argument, and its message says what did not fit.
  const auto refused = [](const core::outcome<void>& r, const std::string& says) {
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.error().uri, uri::invalid_argument);
    BOOST_CHECK_MESSAGE(r.error().message.find(says) != std::string::npos, r.error().message);
  };
  {
    core::catch_up c("r", {"metad"});
    auto page = page_for(s, 0, 0);
    page.state.position.reset();
    auto r = c.add(std::move(page));
    BOOST_CHECK(!r.ok());
    BOOST_CHECK_NE(r.error().message, "");
    refused(r, "the first page has no epoch and seq");
  }
  {
    core::catch_up c("r", {"metad"});
    auto page = page_for(s, 0, 0);
    std::swap(page.hooks[0], page.hooks[1]);  // out of order
    auto r = c.add(std::move(page));
    BOOST_CHECK(!r.ok());
    refused(r, "is not between");
  }
  {
    core::catch_up c("o", {"metad"});  // the pages of another realm
    auto page = page_for(s, 0, 0);
    auto r = c.add(std::move(page));
    BOOST_CHECK(!r.ok());
    refused(r, "of realm 'r'");
  }
  {
    // A state that stands after the router's position.
    core::catch_up c("r", {"metad"});
    auto page = page_for(s, 0, 0);
    page.at = page.state.position->seq + 1;
    refused(c.add(std::move(page)), "after the router's position");
  }
  {
    // A replay before any page.
    core::catch_up c("r", {"metad"});
    auto r = c.replay();
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.error().uri, uri::invalid_argument);
    BOOST_CHECK_EQUAL(r.error().message, "no answer");
  }
  {
    // A state that a hook contradicts (another registration of the same procedure already there): no
    // replay, the fallback takes over.
    core::catch_up c("r", {"metad"});
    auto page = page_for(s, 0, 0);
    auto reg = std::find_if(page.hooks.begin(), page.hooks.end(),
                            [](const core::hook_event& h) { return h.kind == core::hook_kind::registered; });
    BOOST_REQUIRE(reg != page.hooks.end());
    core::snapshot_observation other;
    other.realm = "r";
    other.info = *reg->observation;
    other.info.id += 7777;
    other.members = {core::session_id{424242}};
    page.state.sessions.push_back(rec("r", 424242));
    page.state.observations.push_back(other);
    BOOST_REQUIRE(c.add(std::move(page)).ok());
    auto out = c.replay();
    BOOST_CHECK(!out.ok());
    BOOST_CHECK_NE(out.error().message, "");
    BOOST_CHECK_MESSAGE(out.error().message.find("does not apply to the state") != std::string::npos,
                        out.error().message);
  }
}

BOOST_AUTO_TEST_CASE(outcome_labels) {
  // The labels the metrics and the log use: one per outcome, each distinct, in the documented order.
  std::vector<std::string> labels;
  for (auto o : core::catch_up_outcomes)
    labels.emplace_back(core::label(o));
  const std::vector<std::string> expected{"exact", "unsupported", "history_lost", "failed"};
  BOOST_CHECK_EQUAL_COLLECTIONS(labels.begin(), labels.end(), expected.begin(), expected.end());
  BOOST_CHECK_EQUAL(std::string(core::label(core::catch_up_outcome::history_lost)), "history_lost");
  BOOST_CHECK_EQUAL(std::string(core::label(core::catch_up_outcome::exact)), "exact");
}

BOOST_AUTO_TEST_CASE(a_suspended_realm_is_told_nothing_until_adopted_or_resumed) {
  auto reg = serving({rec("r", 1), rec("r", 2)});
  std::vector<core::meta_event> out;
  reg.suspend("r");
  BOOST_CHECK(reg.suspended("r"));
  reg.on_hook(joined(rec("r", 3), 1), out);
  reg.on_hook(left("r", 1, 2), out);
  reg.on_hook(observed(core::hook_kind::subscribed, "r", 2, 50, "com.t", 3), out);
  BOOST_CHECK_EQUAL(trace(out), "");
  // Adopted: what the mirror holds now counts as told; the next hook is told as it comes.
  reg.adopt("r");
  BOOST_CHECK(!reg.suspended("r"));
  reg.on_hook(joined(rec("r", 4), 4), out);
  BOOST_CHECK_EQUAL(trace(out), "+4");
  BOOST_CHECK_EQUAL(reg.told_count("r"), 3u);

  // Resumed instead (the fallback): everything there is announced, registrations and subscriptions too.
  out.clear();
  reg.suspend("r");
  reg.on_hook(left("r", 4, 5), out);
  reg.resume("r", out);
  BOOST_CHECK(!reg.suspended("r"));
  const auto got = sorted_trace(out);
  for (const char* want : {"+2", "+3", "s50*2", "s50+2"})
    BOOST_CHECK_MESSAGE(std::find(got.begin(), got.end(), want) != got.end(), want << " in " << trace(out));
  BOOST_CHECK(std::find(got.begin(), got.end(), "+4") == got.end());
}

BOOST_AUTO_TEST_SUITE_END()
