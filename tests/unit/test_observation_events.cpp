// Registrations and subscriptions in the mirror and the registry (hook protocol v2): the events each realm is
// told, in the spec's order (on_create before the first member, members gone before on_delete), a session's
// memberships ending before its on_leave and beginning after its on_join, reserved URIs never told, resyncs
// and a lost link telling the difference only, and hooks that contradict the mirror asking for a resync.
#include <boost/test/unit_test.hpp>

#include "support.hpp"
#include "wamp_metad/core/registry.hpp"

using namespace wamp_metad::core;
using test_support::observed;
using test_support::rec;
using test_support::snap;
using test_support::trace;
using hk = hook_kind;

namespace {

// Where `token` stands among the space-separated tokens of a trace (npos when absent).
std::size_t at(const std::string& trace_text, const std::string& token) {
  std::size_t index = 0, start = 0;
  for (;;) {
    const auto end = trace_text.find(' ', start);
    if (trace_text.substr(start, end == std::string::npos ? std::string::npos : end - start) == token) return index;
    if (end == std::string::npos) return std::string::npos;
    start = end + 1;
    ++index;
  }
}

struct live_realm {
  registry reg;
  std::vector<meta_event> out;
  std::uint64_t seq = 0;
  live_realm() {
    reg.serve("r");
    reg.set_online("r", true, out);
    reg.on_snapshot(snap({}, 0), out);
    out.clear();
  }
  std::string feed(hook_event ev) {
    out.clear();
    const auto verdict = reg.on_hook(std::move(ev), out);
    BOOST_TEST((verdict == mirror::verdict::applied));
    return trace(out);
  }
  std::string join(std::uint64_t id) { return feed(test_support::joined(rec("r", id), ++seq)); }
  std::string leave(std::uint64_t id) { return feed(test_support::left("r", id, ++seq)); }
  std::string sub(std::uint64_t member, std::uint64_t id, const std::string& uri = "com.example.news") {
    return feed(observed(hk::subscribed, "r", member, id, uri, ++seq));
  }
  std::string unsub(std::uint64_t member, std::uint64_t id) {
    return feed(observed(hk::unsubscribed, "r", member, id, "", ++seq));
  }
};

snapshot_observation snap_sub(std::uint64_t id, const std::string& uri, std::vector<std::uint64_t> members) {
  snapshot_observation o;
  o.realm = "r";
  o.info.kind = observation_kind::subscription;
  o.info.id = id;
  o.info.uri = uri;
  o.info.created = "2026-11-30T10:00:00.000Z";
  for (auto m : members)
    o.members.push_back(session_id{m});
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(observation_events)

BOOST_FIXTURE_TEST_CASE(created_by_the_first_deleted_with_the_last, live_realm) {
  BOOST_TEST(join(1) == "+1");
  BOOST_TEST(join(2) == "+2");
  BOOST_TEST(sub(1, 7) == "s7*1 s7+1");
  BOOST_TEST(sub(2, 7) == "s7+2");
  BOOST_TEST(sub(2, 7) == "");  // already a member
  BOOST_TEST(unsub(1, 7) == "s7-1");
  BOOST_TEST(unsub(2, 7) == "s7-2 s7x2");
  BOOST_TEST(unsub(2, 7) == "");  // gone already: nothing to tell
  BOOST_TEST(!reg.truth().observations().find("r", observation_kind::subscription)->get(7));
}

BOOST_FIXTURE_TEST_CASE(the_details_of_on_create, live_realm) {
  join(1);
  feed(observed(hk::registered, "r", 1, 9, "com.example.", ++seq, match_policy::prefix));
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST((out[0].what == meta_event::kind::created));
  BOOST_TEST((out[0].of == observation_kind::registration));
  BOOST_REQUIRE(out[0].details);
  BOOST_TEST(out[0].details->uri == "com.example.");
  BOOST_TEST((out[0].details->match == match_policy::prefix));
  BOOST_TEST(out[0].details->invoke == "single");
  BOOST_TEST(out[0].details->created == "2026-11-30T10:00:00.000Z");
  BOOST_TEST(out[0].realm == "r");
  BOOST_TEST(trace(out) == "r9*1 r9+1");
}

BOOST_FIXTURE_TEST_CASE(a_session_that_leaves_ends_its_memberships_first, live_realm) {
  join(1);
  join(2);
  sub(1, 7);
  sub(2, 7);
  sub(1, 8, "com.example.other");
  feed(observed(hk::registered, "r", 1, 9, "com.example.add", ++seq));
  // A router that sends no unsubscribed hooks for a leaving session: the mirror ends them itself, in order.
  const std::string gone = leave(1);
  BOOST_TEST(at(gone, "s7-1") < at(gone, "-1"));
  BOOST_TEST(at(gone, "s8x1") < at(gone, "-1"));
  BOOST_TEST(at(gone, "r9x1") < at(gone, "-1"));
  BOOST_TEST(gone.substr(gone.size() - 3) == " -1");
  BOOST_TEST(at(gone, "s7x1") == std::string::npos);  // 2 still holds it
  // Told by the router first, as v2 routers do: the same events, the session's leave last.
  join(3);
  sub(3, 10, "com.example.third");
  BOOST_TEST(unsub(3, 10) == "s10-3 s10x3");
  BOOST_TEST(leave(3) == "-3");
}

BOOST_FIXTURE_TEST_CASE(reserved_uris_are_never_told, live_realm) {
  join(1);
  BOOST_TEST(feed(observed(hk::registered, "r", 1, 5, "wamp.session.count", ++seq)) == "");
  BOOST_TEST(sub(1, 6, "wamp.session.on_join") == "");
  BOOST_TEST(leave(1) == "-1");
  // ... but the mirror holds them (the meta role may ask).
  BOOST_TEST(reg.truth().observations().find("r", observation_kind::registration)->size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(hooks_that_contradict_the_mirror_ask_for_a_resync, live_realm) {
  out.clear();
  BOOST_TEST((reg.on_hook(observed(hk::subscribed, "r", 42, 7, "com.example.news", ++seq), out) ==
              mirror::verdict::conflict));  // no session 42
  BOOST_TEST((reg.truth().state() == mirror::status::syncing));
  reg.on_snapshot(snap({rec("r", 1), rec("r", 2)}, seq), out);
  out.clear();
  BOOST_TEST(sub(1, 7) == "s7*1 s7+1");
  BOOST_TEST((reg.on_hook(observed(hk::subscribed, "r", 2, 8, "com.example.news", ++seq), out) ==
              mirror::verdict::conflict));  // the same uri and match under another id
}

BOOST_FIXTURE_TEST_CASE(a_resync_tells_the_difference_in_order, live_realm) {
  join(1);
  join(2);
  sub(1, 7);
  sub(2, 7);
  sub(1, 8, "com.example.gone");
  // Meanwhile: 1 left (with its memberships), 3 joined and subscribed to 7 and to a new 9.
  reg.begin_resync();
  out.clear();
  auto s = snap({rec("r", 2), rec("r", 3)}, seq + 10);
  s.observations = {snap_sub(7, "com.example.news", {2, 3}), snap_sub(9, "com.example.new", {3})};
  BOOST_TEST((reg.on_snapshot(std::move(s), out) == mirror::verdict::applied));
  const std::string t = trace(out);
  // Ends first (1 leaves 7; 8 is deleted), then the sessions, then what begins (3 joins 7; 9 is created).
  BOOST_TEST(at(t, "s7-1") < at(t, "-1"), t);
  BOOST_TEST(at(t, "s8x1") < at(t, "-1"), t);
  BOOST_TEST(at(t, "+3") < at(t, "s7+3"), t);
  BOOST_TEST(at(t, "+3") < at(t, "s9*3"), t);
  BOOST_TEST(at(t, "s9*3") < at(t, "s9+3"), t);
  BOOST_TEST(out.size() == 8u, t);  // s7-1 s8-1 s8x1 -1 +3 s7+3 s9*3 s9+3
  // Nothing more to tell: a second identical snapshot says nothing.
  reg.begin_resync();
  out.clear();
  auto again = snap({rec("r", 2), rec("r", 3)}, seq + 10);
  again.observations = {snap_sub(7, "com.example.news", {2, 3}), snap_sub(9, "com.example.new", {3})};
  reg.on_snapshot(std::move(again), out);
  BOOST_TEST(trace(out) == "");
}

BOOST_FIXTURE_TEST_CASE(a_lost_link_tells_the_final_state_again, live_realm) {
  join(1);
  sub(1, 7);
  reg.set_online("r", false, out);  // what was published since the last confirm may be lost
  out.clear();
  reg.set_online("r", true, out);
  const std::string t = trace(out);
  BOOST_TEST(t.find("s7*1") != std::string::npos, t);
  BOOST_TEST(t.find("s7+1") != std::string::npos, t);
  // Confirmed events are not told again.
  reg.confirm("r", reg.published("r"));
  reg.set_online("r", false, out);
  out.clear();
  reg.set_online("r", true, out);
  BOOST_TEST(trace(out) == "");
}

BOOST_FIXTURE_TEST_CASE(changes_while_offline_are_told_when_back, live_realm) {
  join(1);
  reg.confirm("r", reg.published("r"));
  reg.set_online("r", false, out);
  out.clear();
  sub(1, 7);
  BOOST_TEST(trace(out) == "");
  join(2);
  sub(2, 7);
  unsub(1, 7);
  out.clear();
  reg.set_online("r", true, out);
  BOOST_TEST(trace(out) == "+2 s7*2 s7+2", trace(out));
}

BOOST_AUTO_TEST_CASE(a_realm_served_later_starts_from_what_is_there) {
  registry reg;
  std::vector<meta_event> out;
  auto s = snap({rec("r", 1)}, 1);
  s.observations = {snap_sub(7, "com.example.news", {1})};
  reg.on_snapshot(std::move(s), out);
  reg.serve("r");
  reg.set_online("r", true, out);
  out.clear();
  reg.on_hook(observed(hk::unsubscribed, "r", 1, 7, "", 2), out);
  BOOST_TEST(trace(out) == "s7-1 s7x1");  // its creation was never told here, its end is
}

BOOST_AUTO_TEST_SUITE_END()
