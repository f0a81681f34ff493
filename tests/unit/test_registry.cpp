#include <boost/test/unit_test.hpp>

#include "support.hpp"
#include "wamp_metad/core/registry.hpp"

using namespace wamp_metad::core;
using test_support::joined;
using test_support::left;
using test_support::rec;
using test_support::snap;
using test_support::sorted_trace;
using test_support::trace;

namespace {
// A registry serving realm "r", online, synced on an empty snapshot at seq 0.
registry live(registry::options opts = {}) {
  registry reg(std::move(opts));
  std::vector<meta_event> out;
  reg.serve("r");
  reg.set_online("r", true, out);
  reg.on_snapshot(snap({}, 0), out);
  return reg;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(registry_rules)

BOOST_AUTO_TEST_CASE(hooks_become_meta_events) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1, "user", "alice"), 1), out);
  reg.on_hook(left("r", 1, 2), out);
  BOOST_TEST(trace(out) == "+1 -1");
  // The left hook carried no auth fields: on_leave uses what the join said.
  BOOST_TEST(out[1].session->authid == "alice");
  BOOST_TEST(out[1].session->authrole == "user");
  BOOST_TEST(out[1].realm == "r");
}

BOOST_AUTO_TEST_CASE(a_quiet_left_hook_tells_no_on_leave) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  reg.on_hook(joined(rec("r", 2), 2), out);
  auto quiet = left("r", 1, 3);
  quiet.quiet = true;
  reg.on_hook(std::move(quiet), out);
  reg.on_hook(left("r", 2, 4), out);
  BOOST_TEST(trace(out) == "+1 +2 -2");
  BOOST_TEST(!reg.truth().has("r", session_id{1}));
}

BOOST_AUTO_TEST_CASE(unserved_realms_are_ignored) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("other", 1), 1), out);
  BOOST_TEST(out.empty());
  BOOST_TEST(reg.find("r", session_id{1}) == nullptr);
  BOOST_TEST(reg.find("other", session_id{1}) != nullptr);
}

BOOST_AUTO_TEST_CASE(leave_of_unknown_and_repeated_join_publish_nothing) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(left("r", 5, 1), out);
  reg.on_hook(joined(rec("r", 1), 2), out);
  reg.on_hook(joined(rec("r", 1), 3), out);
  BOOST_TEST(trace(out) == "+1");
}

BOOST_AUTO_TEST_CASE(a_join_with_changed_details_replaces_leave_first) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1, "user"), 1), out);
  reg.on_hook(joined(rec("r", 1, "admin"), 2), out);
  BOOST_TEST(trace(out) == "+1 -1 +1");
  BOOST_TEST(out[1].session->authrole == "user");
  BOOST_TEST(out[2].session->authrole == "admin");
}

BOOST_AUTO_TEST_CASE(hidden_roles_and_ids_are_never_announced_or_found) {
  registry::options opts;
  opts.hidden_authroles = {"metad"};
  registry reg = live(opts);
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1, "metad"), 1), out);
  reg.hide_session(session_id{2}, out);  // our own link, known before its hook arrives
  reg.on_hook(joined(rec("r", 2, "user"), 2), out);
  reg.on_hook(joined(rec("r", 3, "user"), 3), out);
  reg.on_hook(left("r", 1, 4), out);
  reg.on_hook(left("r", 2, 5), out);
  BOOST_TEST(trace(out) == "+3");
  BOOST_TEST(reg.find("r", session_id{3}) != nullptr);
  reg.on_hook(joined(rec("r", 1, "metad"), 6), out);
  BOOST_TEST(reg.find("r", session_id{1}) == nullptr);
}

BOOST_AUTO_TEST_CASE(hiding_an_announced_session_tells_its_leave) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  reg.hide_session(session_id{1}, out);
  BOOST_TEST(trace(out) == "+1 -1");
}

BOOST_AUTO_TEST_CASE(the_first_snapshot_is_a_silent_baseline) {
  registry reg;
  std::vector<meta_event> out;
  reg.serve("r");
  reg.set_online("r", true, out);
  reg.on_hook(joined(rec("r", 3), 11), out);  // buffered
  reg.on_snapshot(snap({rec("r", 1), rec("r", 2)}, 10), out);
  BOOST_TEST(out.empty());
  BOOST_TEST(reg.told_count("r") == 3u);
  reg.on_hook(left("r", 1, 12), out);
  BOOST_TEST(trace(out) == "-1");
}

BOOST_AUTO_TEST_CASE(a_resync_announces_the_difference_only) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  reg.on_hook(joined(rec("r", 2), 2), out);
  out.clear();
  reg.on_hook(joined(rec("r", 9), 9), out);  // gap
  BOOST_TEST(out.empty());
  reg.on_snapshot(snap({rec("r", 2), rec("r", 3), rec("r", 9)}, 9), out);
  // 1 left meanwhile; 3 and 9 joined; 2 unchanged.
  const auto events = sorted_trace(out);
  const std::vector<std::string> want{"+3", "+9", "-1"};
  BOOST_TEST(events == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_offline_realm_catches_up_with_the_net_difference) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  reg.confirm("r", reg.published("r"));
  reg.set_online("r", false, out);
  reg.on_hook(joined(rec("r", 2), 2), out);  // joins and leaves while offline: never seen, never told
  reg.on_hook(left("r", 2, 3), out);
  reg.on_hook(left("r", 1, 4), out);
  reg.on_hook(joined(rec("r", 5), 5), out);
  BOOST_TEST(trace(out) == "+1");
  out.clear();
  reg.set_online("r", true, out);
  const auto events = sorted_trace(out);
  const std::vector<std::string> want{"+5", "-1"};
  BOOST_TEST(events == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unconfirmed_events_are_told_again_after_a_link_loss) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  reg.on_hook(joined(rec("r", 2), 2), out);
  reg.confirm("r", reg.published("r"));
  reg.on_hook(joined(rec("r", 3), 3), out);  // published, never confirmed
  reg.on_hook(left("r", 3, 4), out);         // likewise
  reg.on_hook(left("r", 2, 5), out);
  reg.set_online("r", false, out);
  out.clear();
  reg.set_online("r", true, out);
  // 3: its leave may be lost, so it is told again; 2 likewise. 1 was confirmed: nothing.
  const auto events = sorted_trace(out);
  const std::vector<std::string> want{"-2", "-3"};
  BOOST_TEST(events == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(serving_later_starts_from_the_mirror_silently) {
  registry reg;
  std::vector<meta_event> out;
  reg.on_snapshot(snap({rec("r", 1)}, 1), out);
  reg.serve("r");
  reg.set_online("r", true, out);
  BOOST_TEST(out.empty());
  reg.on_hook(left("r", 1, 2), out);
  BOOST_TEST(trace(out) == "-1");
}

BOOST_AUTO_TEST_CASE(serve_all_realms_baselines_at_start_and_announces_new_realms) {
  registry::options opts;
  opts.serve_all_realms = true;
  opts.never_serve = {"router.internal"};
  registry reg(opts);
  std::vector<meta_event> out;
  reg.on_snapshot(snap({rec("a", 1), rec("router.internal", 2)}, 1), out);
  auto fresh = reg.take_new_realms();
  BOOST_TEST(fresh == std::vector<std::string>{"a"}, boost::test_tools::per_element());
  reg.set_online("a", true, out);
  BOOST_TEST(out.empty());
  reg.on_hook(joined(rec("b", 3), 2), out);
  fresh = reg.take_new_realms();
  BOOST_TEST(fresh == std::vector<std::string>{"b"}, boost::test_tools::per_element());
  BOOST_TEST(out.empty());  // b is offline until its link joins
  reg.set_online("b", true, out);
  BOOST_TEST(trace(out) == "+3");
  BOOST_TEST(out[0].realm == "b");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry_index)

BOOST_AUTO_TEST_CASE(visible_ids_follow_joins_leaves_hiding_and_serving_later) {
  registry::options opts;
  opts.hidden_authroles = {"metad"};
  registry reg = live(opts);
  std::vector<meta_event> out;
  for (std::uint64_t i = 1; i <= 5; ++i)
    reg.on_hook(joined(rec("r", i, i == 5 ? "metad" : "user"), i), out);
  reg.on_hook(left("r", 2, 6), out);
  reg.hide_session(session_id{3}, out);
  auto ids = *reg.visible_ids("r");
  std::sort(ids.begin(), ids.end());
  BOOST_TEST(ids.size() == 2u);
  BOOST_TEST(ids[0].value == 1u);
  BOOST_TEST(ids[1].value == 4u);
  BOOST_TEST(reg.visible_ids("other") == nullptr);
  reg.on_hook(joined(rec("other", 9), 7), out);
  reg.serve("other");
  BOOST_REQUIRE(reg.visible_ids("other"));
  BOOST_TEST(reg.visible_ids("other")->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry_confirm)

BOOST_AUTO_TEST_CASE(confirm_covers_only_what_was_published_before_the_mark) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  const auto mark = reg.published("r");  // a heartbeat is sent here
  reg.on_hook(joined(rec("r", 2), 2), out);
  reg.confirm("r", mark);  // its answer covers session 1 only
  reg.set_online("r", false, out);
  out.clear();
  reg.set_online("r", true, out);
  BOOST_TEST(trace(out) == "+2");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry_restarts)

BOOST_AUTO_TEST_CASE(a_new_epoch_is_diffed_like_any_resync) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  reg.on_hook(joined(rec("r", 2), 2), out);
  out.clear();
  reg.on_hook(joined(rec("r", 7), 1, "e2"), out);  // the router restarted
  BOOST_TEST(out.empty());
  reg.on_snapshot(snap({rec("r", 7), rec("r", 8)}, 1, "e2"), out);
  // A subscriber of the new router may have listed 1 and 2 from the mirror while it resynced: they leave.
  const auto events = sorted_trace(out);
  BOOST_TEST(events == (std::vector<std::string>{"+7", "+8", "-1", "-2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(nothing_is_told_while_the_mirror_resyncs) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.on_hook(joined(rec("r", 1), 1), out);
  reg.set_online("r", false, out);
  reg.on_hook(left("r", 1, 2), out);
  reg.begin_resync();  // say the router restarted; the old mirror still holds what it held
  out.clear();
  reg.set_online("r", true, out);
  BOOST_TEST(out.empty());  // the link is back, but the mirror is not live
  reg.on_snapshot(snap({rec("r", 5)}, 1, "e2"), out);
  // Both told once the mirror is live again (the order between two sessions is free).
  BOOST_TEST((sorted_trace(out) == std::vector<std::string>{"+5", "-1"}));
}

BOOST_AUTO_TEST_CASE(announce_existing_tells_the_first_snapshot_and_its_recently_left) {
  registry::options opts;
  opts.announce_existing = true;
  opts.hidden_authroles = {"metad"};
  registry reg(opts);
  std::vector<meta_event> out;
  reg.serve("r");
  reg.set_online("r", true, out);
  reg.on_hook(left("r", 2, 11), out);  // buffered: 2 leaves after the view was frozen
  snapshot s = snap({rec("r", 1), rec("r", 2), rec("r", 3, "metad")}, 10);
  s.recently_left = {rec("r", 4), rec("r", 6, "metad")};
  reg.on_snapshot(std::move(s), out);
  const auto events = sorted_trace(out);
  // 1 is there; 2 left meanwhile and 4 shortly before: subscribers that watched through a restart may
  // still hold them. Nothing about the hidden role.
  BOOST_TEST(events == (std::vector<std::string>{"+1", "-2", "-4"}), boost::test_tools::per_element());
  for (const auto& e : out)
    if (e.session->id.value == 4) BOOST_TEST(e.session->authid == "a4");  // the tombstone's own fields
}

BOOST_AUTO_TEST_CASE(what_a_query_showed_from_a_resyncing_mirror_is_told_later) {
  registry reg = live();
  std::vector<meta_event> out;
  reg.set_online("r", false, out);
  reg.on_hook(joined(rec("r", 3), 1), out);  // changed while offline: not told
  reg.set_online("r", true, out);            // told now
  reg.confirm("r", reg.published("r"));
  reg.set_online("r", false, out);
  reg.on_hook(joined(rec("r", 4), 2), out);  // not told
  reg.begin_resync();
  reg.set_online("r", true, out);  // the link is back, the mirror resyncs: nothing told
  out.clear();
  reg.answered("r");  // but a list answered from the mirror showed 4
  reg.on_snapshot(snap({rec("r", 3)}, 3), out);
  BOOST_TEST(trace(out) == "-4");  // 3 is unchanged
}

BOOST_AUTO_TEST_SUITE_END()
