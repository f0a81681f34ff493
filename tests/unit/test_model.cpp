// Randomized model test: thousands of random runs of a router (joins, leaves, subscriptions, restarts), a
// lossy hook channel (drops, duplicates), snapshots fetched while hooks keep coming, and served links that go
// down and come back, losing a suffix of what they published. After each run the registry must agree with a
// trivially correct model of the router, and every realm's subscriber, who knows only the events it
// received, must see exactly the visible sessions and every subscription with its subscribers, never a
// session's on_join after its on_leave, never a member added to a subscription it was not told of, and never
// a session's on_leave while it still holds a subscription.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "support.hpp"
#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/registry.hpp"

using namespace wamp_metad::core;

namespace {

const std::vector<std::string> realms{"r1", "r2", "r3"};
const std::vector<std::string> roles{"user", "admin", "metad"};

struct router_model {
  std::string epoch = "e0";
  int epochs = 0;
  std::uint64_t seq = 0;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, session_record> sessions;
  std::vector<session_record> left;  // tombstones of this epoch
  // Subscriptions: one per (realm, topic), shared; a new id after the last subscriber left.
  struct subscription {
    std::string realm;
    std::string uri;
    std::set<std::uint64_t> members;
  };
  std::map<std::uint64_t, subscription> subscriptions;
  std::uint64_t next_subscription = 1;

  snapshot take_snapshot() const {
    snapshot s{hook_position{epoch, seq}, {}, left};
    for (const auto& [id, r] : sessions)
      s.sessions.push_back(r);
    for (const auto& [id, sub] : subscriptions) {
      snapshot_observation o;
      o.realm = sub.realm;
      o.info = observation_info{observation_kind::subscription, id, sub.uri, match_policy::exact, "", "t0"};
      for (auto m : sub.members)
        o.members.push_back(session_id{m});
      s.observations.push_back(std::move(o));
    }
    return s;
  }
};

struct subscriber {
  std::set<std::uint64_t> view;
  std::map<std::uint64_t, std::set<std::uint64_t>> subscriptions;  // id -> subscribers, as told
  // Waits to call wamp.session.list: wamp-metad registers it on a reconnected link only once its mirror is
  // live again (so a new router's clients never list a gone router's sessions).
  bool relist = false;
  // After a restart of wamp-metad: its registration and subscription events converge only for what still
  // exists (there are no tombstones of deleted ones), so a subscriber of those relists them.
  bool relist_observations = false;
  std::set<std::uint64_t> left_ids;
  std::string violation;

  void receive(const meta_event& e) {
    if (e.what != meta_event::kind::join && e.what != meta_event::kind::leave) return receive_observation(e);
    const std::uint64_t id = e.session->id.value;
    if (e.what == meta_event::kind::leave) {
      for (const auto& [sub, members] : subscriptions)
        if (members.count(id) && violation.empty())
          violation = "on_leave of " + std::to_string(id) + " while it holds subscription " + std::to_string(sub);
    }
    if (e.what == meta_event::kind::join) {
      if (left_ids.count(id) && violation.empty()) violation = "on_join after on_leave for " + std::to_string(id);
      view.insert(id);
    } else {
      view.erase(id);
      left_ids.insert(id);
    }
  }
  void receive_observation(const meta_event& e);
};

void subscriber::receive_observation(const meta_event& e) {
  switch (e.what) {
    case meta_event::kind::created:
      subscriptions[e.observation];  // told again after a lost link: nothing new
      break;
    case meta_event::kind::attached: {
      auto it = subscriptions.find(e.observation);
      if (it == subscriptions.end()) {
        if (violation.empty()) violation = "on_subscribe to unknown subscription " + std::to_string(e.observation);
        return;
      }
      it->second.insert(e.member.value);
      break;
    }
    case meta_event::kind::detached:
      if (auto it = subscriptions.find(e.observation); it != subscriptions.end()) it->second.erase(e.member.value);
      break;
    case meta_event::kind::deleted:
      subscriptions.erase(e.observation);
      break;
    default:
      break;
  }
}

struct served_link {
  bool online = true;
  std::vector<meta_event> unconfirmed;  // published, not yet known to have reached the router
};

struct run {
  std::mt19937_64 rng;
  router_model router;
  registry reg;
  std::deque<hook_event> channel;
  std::optional<snapshot> inflight;
  std::size_t inflight_after = 0;  // the snapshot's answer comes after this many more hooks
  std::map<std::string, subscriber> subs;
  std::map<std::string, served_link> links;
  bool baselined = false;
  bool announce;  // registry::options::announce_existing; also allows restarts of wamp-metad
  int sidecar_restarts = 0;

  explicit run(std::uint64_t seed) : rng(seed), reg(make_options(seed % 2 == 0)), announce(seed % 2 == 0) {
    start_sidecar();
  }

  static registry::options make_options(bool announce) {
    registry::options o;
    o.hidden_authroles = {"metad"};
    o.mirror_options.max_buffered_hooks = 40;
    o.announce_existing = announce;
    return o;
  }

  void start_sidecar() {
    std::vector<meta_event> out;
    for (const auto& r : realms) {
      reg.serve(r);
      reg.set_online(r, true, out);
    }
  }

  // wamp-metad dies (kill -9) and a new one starts: the subscribers stay, what it had published but not
  // confirmed may be lost (a suffix), and the new one knows nothing of what they were told.
  void restart_sidecar() {
    for (const auto& r : realms) {
      served_link& l = links[r];
      const std::size_t kept = l.unconfirmed.empty() ? 0 : pick(l.unconfirmed.size() + 1);
      for (std::size_t i = 0; i < kept; ++i)
        subs[r].receive(l.unconfirmed[i]);
      l.unconfirmed.clear();
      l.online = true;
      subs[r].relist_observations = true;
    }
    reg = registry(make_options(announce));
    inflight.reset();
    ++sidecar_restarts;
    start_sidecar();
    snapshot_step();
  }

  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }

  void publish(std::vector<meta_event>& out) {
    for (auto& e : out)
      links[e.realm].unconfirmed.push_back(std::move(e));
    out.clear();
  }

  void router_hook(hook_kind kind, const session_record& s) {
    hook_event ev{kind, s, hook_position{router.epoch, ++router.seq}};
    if (kind == hook_kind::left) ev.session.authid.clear(), ev.session.authrole.clear();
    channel.push_back(std::move(ev));
  }

  void subscription_hook(hook_kind kind, const session_record& member, std::uint64_t id, const std::string& uri) {
    hook_event ev;
    ev.kind = kind;
    ev.session.realm = member.realm;
    ev.session.id = member.id;
    ev.position = hook_position{router.epoch, ++router.seq};
    ev.observation = std::make_shared<observation_info>(
        observation_info{observation_kind::subscription, id, uri, match_policy::exact, "", "t0"});
    channel.push_back(std::move(ev));
  }

  // wamp.subscription.list and list_subscribers, as a subscriber calls them.
  void list_observations(const std::string& realm, subscriber& sub) {
    if (const auto* t = reg.truth().observations().find(realm, observation_kind::subscription))
      t->for_each([&](const observation& o) {
        for (session_id m : o.members)
          sub.subscriptions[o.id].insert(m.value);
      });
  }

  void feed(hook_event ev) {
    std::vector<meta_event> out;
    reg.on_hook(std::move(ev), out);
    publish(out);
  }

  void step(bool faults) {
    const std::size_t what = pick(100);
    std::vector<meta_event> out;
    if (what < 25) {  // a session joins
      session_record s = test_support::rec(realms[pick(realms.size())], router.next_id++, roles[pick(roles.size())]);
      router.sessions[s.id.value] = s;
      router_hook(hook_kind::joined, s);
    } else if (what < 40) {  // a session leaves: its subscriptions end first, as a v2 router tells them
      if (router.sessions.empty()) return;
      auto it = std::next(router.sessions.begin(), static_cast<long>(pick(router.sessions.size())));
      for (auto sub = router.subscriptions.begin(); sub != router.subscriptions.end();) {
        if (!sub->second.members.count(it->first)) {
          ++sub;
          continue;
        }
        subscription_hook(hook_kind::unsubscribed, it->second, sub->first, sub->second.uri);
        sub->second.members.erase(it->first);
        sub = sub->second.members.empty() ? router.subscriptions.erase(sub) : std::next(sub);
      }
      router_hook(hook_kind::left, it->second);
      router.left.push_back(it->second);
      router.sessions.erase(it);
    } else if (what < 47) {  // a session subscribes to one of a few topics of its realm (shared ids)
      if (router.sessions.empty()) return;
      const auto& s = std::next(router.sessions.begin(), static_cast<long>(pick(router.sessions.size())))->second;
      const std::string uri = "t." + std::to_string(pick(4));
      auto sub = std::find_if(router.subscriptions.begin(), router.subscriptions.end(),
                              [&](const auto& e) { return e.second.realm == s.realm && e.second.uri == uri; });
      if (sub == router.subscriptions.end())
        sub = router.subscriptions.emplace(router.next_subscription++, router_model::subscription{s.realm, uri, {}})
                  .first;
      if (!sub->second.members.insert(s.id.value).second) return;
      subscription_hook(hook_kind::subscribed, s, sub->first, uri);
    } else if (what < 52) {  // a subscriber unsubscribes
      if (router.subscriptions.empty()) return;
      auto sub = std::next(router.subscriptions.begin(), static_cast<long>(pick(router.subscriptions.size())));
      const std::uint64_t member =
          *std::next(sub->second.members.begin(), static_cast<long>(pick(sub->second.members.size())));
      subscription_hook(hook_kind::unsubscribed, router.sessions.at(member), sub->first, sub->second.uri);
      sub->second.members.erase(member);
      if (sub->second.members.empty()) router.subscriptions.erase(sub);
    } else if (what < 75) {  // the channel delivers a hook
      if (channel.empty()) return;
      hook_event ev = channel.front();
      channel.pop_front();
      if (inflight_after > 0) --inflight_after;
      if (faults && chance(0.04)) return;    // lost
      if (faults && chance(0.04)) feed(ev);  // duplicated
      feed(std::move(ev));
    } else if (what < 85) {  // the sidecar asks for a snapshot / the answer arrives
      snapshot_step();
    } else if (what < 88 && faults) {  // the router restarts: its old stream is gone, and every client with it
      router.epoch = "e" + std::to_string(++router.epochs);
      router.seq = 0;
      router.sessions.clear();
      router.left.clear();
      router.subscriptions.clear();
      channel.clear();
      inflight.reset();
      reg.begin_resync();
      for (const auto& r : realms) {  // subscribers reconnect and subscribe; they list once they can
        links[r].unconfirmed.clear();
        subs[r] = subscriber{};
        subs[r].relist = true;
      }
    } else if (what < 89 && faults && announce) {
      restart_sidecar();
    } else if (what < 93 && faults) {  // a served link goes down, losing a suffix of its unconfirmed events
      const std::string& r = realms[pick(realms.size())];
      served_link& l = links[r];
      if (!l.online) return;
      const std::size_t kept = l.unconfirmed.empty() ? 0 : pick(l.unconfirmed.size() + 1);
      for (std::size_t i = 0; i < kept; ++i)
        subs[r].receive(l.unconfirmed[i]);
      l.unconfirmed.clear();
      l.online = false;
      reg.set_online(r, false, out);
      publish(out);
    } else if (what < 97) {  // a served link comes back
      const std::string& r = realms[pick(realms.size())];
      if (links[r].online) return;
      links[r].online = true;
      reg.set_online(r, true, out);
      publish(out);
    } else {  // a heartbeat confirms what a link published
      const std::string& r = realms[pick(realms.size())];
      confirm(r);
    }
  }

  void confirm(const std::string& r) {
    served_link& l = links[r];
    if (!l.online) return;
    for (const auto& e : l.unconfirmed)
      subs[r].receive(e);
    l.unconfirmed.clear();
    reg.confirm(r, reg.published(r));
  }

  void snapshot_step() {
    std::vector<meta_event> out;
    if (!inflight) {
      if (reg.truth().state() == mirror::status::live) return;
      inflight = router.take_snapshot();
      inflight_after = channel.size();  // the answer follows the hooks already on the wire
      return;
    }
    if (inflight_after > 0) return;
    snapshot s = std::move(*inflight);
    inflight.reset();
    const bool first = !baselined;
    reg.on_snapshot(std::move(s), out);
    publish(out);
    if (reg.truth().state() == mirror::status::live) {
      for (const auto& realm : realms) {
        subscriber& sub = subs[realm];
        if (sub.relist_observations && !sub.relist) {
          sub.relist_observations = false;
          sub.subscriptions.clear();
          list_observations(realm, sub);
        }
        if (!sub.relist) continue;
        sub.relist = false;
        for (session_id id : list_sessions(reg, realm, std::nullopt))
          sub.view.insert(id.value);
        reg.answered(realm);
        sub.relist_observations = false;
        list_observations(realm, sub);
      }
    }
    if (first && !announce) {
      // The first snapshot is every realm's silent baseline: subscribers start from what it holds.
      baselined = true;
      for (const auto& realm : realms) {
        reg.for_each_visible(realm, [&](const session_record& rec) { subs[realm].view.insert(rec.id.value); });
        list_observations(realm, subs[realm]);
      }
    }
  }

  // The end: no more faults, every link up, the channel drained, and a sync barrier (the router's position
  // against the mirror's, as the heartbeat does) that resyncs when the last hook was lost unnoticed.
  void settle() {
    std::vector<meta_event> out;
    for (const auto& r : realms) {
      if (!links[r].online) {
        links[r].online = true;
        reg.set_online(r, true, out);
        publish(out);
      }
    }
    for (int round = 0; round < 10; ++round) {
      while (!channel.empty()) {
        feed(channel.front());
        channel.pop_front();
      }
      inflight_after = 0;
      if (inflight) snapshot_step();
      const auto& pos = reg.truth().position();
      const bool behind = !pos || pos->epoch != router.epoch || pos->seq != router.seq;
      if (reg.truth().state() == mirror::status::live && !behind) break;
      if (reg.truth().state() == mirror::status::live) reg.begin_resync();
      snapshot_step();
      snapshot_step();
    }
    for (const auto& r : realms)
      confirm(r);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(model)

BOOST_AUTO_TEST_CASE(random_runs_converge_to_the_router) {
  const int runs = 3000;
  int faults_seen = 0;
  int sidecar_restarts_seen = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    run r(static_cast<std::uint64_t>(seed));
    // A start-up snapshot, as the adapter fetches after subscribing.
    r.snapshot_step();
    const int steps = 50 + static_cast<int>(r.pick(250));
    for (int i = 0; i < steps; ++i)
      r.step(true);
    faults_seen += r.router.epochs;
    sidecar_restarts_seen += r.sidecar_restarts;
    r.settle();

    const mirror& m = r.reg.truth();
    BOOST_REQUIRE_MESSAGE(m.state() == mirror::status::live, "seed " << seed << ": not live after settling");
    BOOST_REQUIRE_MESSAGE(m.size() == r.router.sessions.size(),
                          "seed " << seed << ": mirror has " << m.size() << ", router " << r.router.sessions.size());
    for (const auto& [id, s] : r.router.sessions) {
      const realm_sessions* rs = m.sessions(s.realm);
      BOOST_REQUIRE_MESSAGE(rs && rs->count(s.id) && *rs->at(s.id) == s, "seed " << seed << ": session " << id);
    }
    for (const auto& realm : realms) {
      std::set<std::uint64_t> visible;
      for (const auto& [id, s] : r.router.sessions)
        if (s.realm == realm && s.authrole != "metad") visible.insert(id);
      // The queries answer from the per-realm index: it must hold exactly the visible sessions.
      const auto listed = list_sessions(r.reg, realm, std::nullopt);
      std::set<std::uint64_t> listed_set;
      for (session_id id : listed)
        listed_set.insert(id.value);
      BOOST_REQUIRE_MESSAGE(listed.size() == visible.size() && listed_set == visible,
                            "seed " << seed << " realm " << realm << ": list disagrees with the router");
      BOOST_REQUIRE_MESSAGE(count_sessions(r.reg, realm, std::nullopt) == visible.size(),
                            "seed " << seed << " realm " << realm << ": count disagrees with the router");
      BOOST_REQUIRE_MESSAGE(count_sessions(r.reg, realm, authrole_filter{{"admin", "user"}}) == visible.size(),
                            "seed " << seed << " realm " << realm << ": filtered count disagrees");
      const subscriber& sub = r.subs[realm];
      BOOST_REQUIRE_MESSAGE(sub.violation.empty(), "seed " << seed << " realm " << realm << ": " << sub.violation);
      BOOST_REQUIRE_MESSAGE(sub.view == visible, "seed " << seed << " realm " << realm << ": subscriber sees "
                                                         << sub.view.size() << ", truth " << visible.size());
      // Subscriptions: the mirror and what the subscriber was told both equal the router's.
      std::map<std::uint64_t, std::set<std::uint64_t>> truth, mirrored;
      for (const auto& [id, s] : r.router.subscriptions)
        if (s.realm == realm) truth[id] = s.members;
      if (const auto* t = m.observations().find(realm, observation_kind::subscription))
        t->for_each([&](const observation& o) {
          for (session_id member : o.members)
            mirrored[o.id].insert(member.value);
        });
      BOOST_REQUIRE_MESSAGE(mirrored == truth,
                            "seed " << seed << " realm " << realm << ": mirrored subscriptions differ");
      BOOST_REQUIRE_MESSAGE(sub.subscriptions == truth, "seed " << seed << " realm " << realm
                                                                << ": the subscriber sees " << sub.subscriptions.size()
                                                                << " subscriptions, truth " << truth.size());
    }
  }
  BOOST_TEST(faults_seen > 100);  // the runs did exercise router restarts
  BOOST_TEST(sidecar_restarts_seen > 100);
}

BOOST_AUTO_TEST_SUITE_END()
