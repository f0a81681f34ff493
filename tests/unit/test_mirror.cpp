#include <boost/test/unit_test.hpp>

#include "support.hpp"
#include "wamp_metad/core/mirror.hpp"

using namespace wamp_metad::core;
using test_support::joined;
using test_support::left;
using test_support::rec;
using test_support::snap;
using verdict = mirror::verdict;

namespace {
bool has(const mirror& m, const std::string& realm, std::uint64_t id) {
  const realm_sessions* s = m.sessions(realm);
  return s && s->count(session_id{id}) != 0;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(mirror_rules)

BOOST_AUTO_TEST_CASE(hooks_before_the_first_snapshot_are_buffered_then_replayed_past_its_seq) {
  mirror m;
  std::vector<change> ch;
  BOOST_TEST((m.state() == mirror::status::unsynced));
  BOOST_TEST((m.on_hook(joined(rec("r", 1), 5), ch) == verdict::buffered));  // already in the snapshot
  BOOST_TEST((m.on_hook(joined(rec("r", 2), 6), ch) == verdict::buffered));  // after it
  BOOST_TEST((m.on_hook(left("r", 1, 7), ch) == verdict::buffered));
  BOOST_TEST(ch.empty());
  BOOST_TEST((m.on_snapshot(snap({rec("r", 1), rec("r", 9)}, 5), ch) == verdict::applied));
  BOOST_TEST((m.state() == mirror::status::live));
  BOOST_TEST(!has(m, "r", 1));
  BOOST_TEST(has(m, "r", 2));
  BOOST_TEST(has(m, "r", 9));
  BOOST_TEST(m.size() == 2u);
  BOOST_TEST(m.position()->seq == 7u);
  BOOST_TEST(m.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(next_seq_applies_duplicate_drops) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snap({}, 10), ch);
  BOOST_TEST((m.on_hook(joined(rec("r", 1), 11), ch) == verdict::applied));
  BOOST_TEST((m.on_hook(joined(rec("r", 1), 11), ch) == verdict::duplicate));
  BOOST_TEST((m.on_hook(left("r", 1, 10), ch) == verdict::duplicate));
  BOOST_TEST(has(m, "r", 1));
  BOOST_TEST(ch.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_gap_leaves_the_mirror_at_its_position_until_the_missing_hooks_come) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snap({}, 0), ch);
  BOOST_TEST((m.on_hook(joined(rec("r", 1), 1), ch) == verdict::applied));
  const auto gen = m.generation();
  // The hook after a lost one is not applied; the mirror stays where it was, live, for the feed to fetch what
  // it missed (router.session.hooks_since) and go on.
  BOOST_TEST((m.on_hook(joined(rec("r", 3), 3), ch) == verdict::gap));
  BOOST_TEST((m.state() == mirror::status::live));
  BOOST_TEST(m.generation() == gen);
  BOOST_TEST(!has(m, "r", 3));
  BOOST_TEST((m.on_hook(joined(rec("r", 2), 2), ch) == verdict::applied));
  BOOST_TEST((m.on_hook(joined(rec("r", 3), 3), ch) == verdict::applied));
  BOOST_TEST(has(m, "r", 2));
  BOOST_TEST(has(m, "r", 3));
}

BOOST_AUTO_TEST_CASE(a_resync_buffers_until_the_snapshot) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snap({}, 0), ch);
  BOOST_TEST((m.on_hook(joined(rec("r", 1), 1), ch) == verdict::applied));
  const auto gen = m.generation();
  m.begin_resync();
  BOOST_TEST((m.state() == mirror::status::syncing));
  BOOST_TEST(m.generation() == gen + 1);
  BOOST_TEST(has(m, "r", 1));  // the old state keeps answering while syncing
  BOOST_TEST((m.on_hook(joined(rec("r", 4), 4), ch) == verdict::buffered));
  ch.clear();
  BOOST_TEST((m.on_snapshot(snap({rec("r", 2), rec("r", 3)}, 3), ch) == verdict::applied));
  BOOST_TEST(!has(m, "r", 1));
  BOOST_TEST(has(m, "r", 2));
  BOOST_TEST(has(m, "r", 4));
  BOOST_TEST(ch.size() == 4u);  // 1 gone, 2 and 3 new, 4 replayed
}

BOOST_AUTO_TEST_CASE(a_new_epoch_asks_for_a_resync) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snap({rec("r", 1)}, 4), ch);
  BOOST_TEST((m.on_hook(joined(rec("r", 2), 1, "e2"), ch) == verdict::new_epoch));
  BOOST_TEST((m.state() == mirror::status::syncing));
  ch.clear();
  BOOST_TEST((m.on_snapshot(snap({rec("r", 2)}, 1, "e2"), ch) == verdict::applied));
  BOOST_TEST(!has(m, "r", 1));
  BOOST_TEST(has(m, "r", 2));
  BOOST_TEST(m.position()->epoch == "e2");
}

BOOST_AUTO_TEST_CASE(buffered_hooks_that_do_not_continue_the_snapshot_ask_again) {
  mirror m;
  std::vector<change> ch;
  m.on_hook(joined(rec("r", 1), 8), ch);  // 6 and 7 were lost
  BOOST_TEST((m.on_snapshot(snap({}, 5), ch) == verdict::gap));
  BOOST_TEST((m.state() == mirror::status::syncing));
  m.on_hook(joined(rec("r", 2), 1, "e9"), ch);
  BOOST_TEST((m.on_snapshot(snap({}, 8), ch) == verdict::new_epoch));
}

BOOST_AUTO_TEST_CASE(the_buffer_is_bounded) {
  mirror m(mirror::options{3});
  std::vector<change> ch;
  for (std::uint64_t i = 1; i <= 3; ++i)
    BOOST_TEST((m.on_hook(joined(rec("r", i), i), ch) == verdict::buffered));
  BOOST_TEST((m.on_hook(joined(rec("r", 4), 4), ch) == verdict::overflow));
  BOOST_TEST(m.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(unpaired_input_is_normal) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snap({}, 0), ch);
  BOOST_TEST((m.on_hook(left("r", 99, 1), ch) == verdict::applied));  // leave of an unknown session
  BOOST_TEST(ch.empty());
  BOOST_TEST((m.on_hook(joined(rec("r", 1), 2), ch) == verdict::applied));
  BOOST_TEST((m.on_hook(joined(rec("r", 1), 3), ch) == verdict::applied));  // same details again
  BOOST_TEST(ch.size() == 1u);
  auto changed = rec("r", 1, "admin");
  BOOST_TEST((m.on_hook(joined(changed, 4), ch) == verdict::applied));  // replaced
  BOOST_TEST(ch.size() == 2u);
  BOOST_TEST(m.sessions("r")->at(session_id{1})->authrole == "admin");
}

BOOST_AUTO_TEST_CASE(routers_without_positions_apply_everything) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snapshot{std::nullopt, {rec("r", 1)}, {}}, ch);
  hook_event ev{hook_kind::joined, rec("r", 2), std::nullopt};
  BOOST_TEST((m.on_hook(hook_event(ev), ch) == verdict::applied));
  BOOST_TEST((m.on_hook(hook_event(ev), ch) == verdict::applied));
  BOOST_TEST(m.size() == 2u);
  BOOST_TEST(!m.has_reached(hook_position{"e1", 1}));
}

BOOST_AUTO_TEST_CASE(has_reached_compares_epoch_and_seq) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snap({}, 7), ch);
  BOOST_TEST(m.has_reached(hook_position{"e1", 7}));
  BOOST_TEST(!m.has_reached(hook_position{"e1", 8}));
  BOOST_TEST(!m.has_reached(hook_position{"e2", 1}));
}

BOOST_AUTO_TEST_CASE(realms_are_kept_apart) {
  mirror m;
  std::vector<change> ch;
  m.on_snapshot(snap({rec("a", 1), rec("b", 2)}, 0), ch);
  m.on_hook(left("b", 1, 1), ch);  // session 1 is not in realm b
  BOOST_TEST(has(m, "a", 1));
  BOOST_TEST(!has(m, "b", 1));
}

BOOST_AUTO_TEST_CASE(find_and_has_look_up_one_session_of_one_realm) {
  mirror m;
  std::vector<change> ch;
  BOOST_TEST(!m.has("a", session_id{1}));  // nothing synced yet
  BOOST_TEST(m.find("a", session_id{1}) == nullptr);
  m.on_snapshot(snap({rec("a", 1, "user", "alice"), rec("b", 2, "metad", "metad")}, 0), ch);
  const session_record* alice = m.find("a", session_id{1});
  BOOST_REQUIRE(alice != nullptr);
  BOOST_TEST(alice->authid == "alice");
  BOOST_REQUIRE(m.record("a", session_id{1}) != nullptr);
  BOOST_TEST(alice == m.record("a", session_id{1})->get());  // the very record the mirror keeps
  BOOST_TEST(m.has("a", session_id{1}));
  BOOST_TEST(m.has("b", session_id{2}));  // hidden roles too: the mirror holds every session
  BOOST_TEST(m.find("b", session_id{2})->authrole == "metad");
  BOOST_TEST(!m.has("b", session_id{1}));  // another realm's session
  BOOST_TEST(!m.has("a", session_id{2}));
  BOOST_TEST(!m.has("c", session_id{1}));  // a realm never seen
  BOOST_TEST(m.find("b", session_id{1}) == nullptr);
  BOOST_TEST(m.record("c", session_id{1}) == nullptr);
  // They follow the hooks, as the realm's table does.
  m.on_hook(joined(rec("a", 3), 1), ch);
  m.on_hook(left("a", 1, 2), ch);
  BOOST_TEST(m.has("a", session_id{3}) == has(m, "a", 3));
  BOOST_TEST(m.has("a", session_id{3}));
  BOOST_TEST(!m.has("a", session_id{1}));
  BOOST_TEST(m.find("a", session_id{1}) == nullptr);
  m.on_hook(left("a", 3, 3), ch);  // the realm's last session: the realm goes
  BOOST_TEST(m.sessions("a") == nullptr);
  BOOST_TEST(!m.has("a", session_id{3}));
}

BOOST_AUTO_TEST_SUITE_END()
