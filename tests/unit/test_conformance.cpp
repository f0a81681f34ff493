// wamp-metad-conformance's checks over recorded hook streams: each clause fails on the breakage named for it
// and on nothing else, the state at a seq, the verdicts, levels and exit code.
#include <boost/test/unit_test.hpp>

#include "checks.hpp"
#include "support.hpp"

namespace {

namespace core = wamp_metad::core;
namespace cf = wamp_metad::conformance;
using test_support::rec;

core::value info_of(const core::session_record& s, std::uint64_t seq, const std::string& epoch) {
  return core::object{
      {"realm", s.realm},
      {"session", s.id.value},
      {"authid", s.authid},
      {"authrole", s.authrole},
      {"authmethod", s.authmethod},
      {"authprovider", s.authprovider},
      {"transport",
       core::object{{"type", s.transport.type}, {"serializer", s.transport.serializer}, {"peer", s.transport.peer}}},
      {"epoch", epoch},
      {"seq", seq}};
}

cf::hook_record session_hook(bool joined, const core::session_record& s, std::uint64_t seq,
                             const std::string& epoch = "e1") {
  cf::hook_record h;
  h.topic = joined ? "router.session.joined" : "router.session.left";
  h.info = info_of(s, seq, epoch);
  h.decoded =
      core::hook_event{joined ? core::hook_kind::joined : core::hook_kind::left, s, core::hook_position{epoch, seq}};
  h.arrival = seq;
  return h;
}

cf::hook_record member_hook(bool added, const core::session_record& s, std::uint64_t id, std::uint64_t seq,
                            const std::string& uri = "com.x", core::match_policy m = core::match_policy::exact) {
  cf::hook_record h;
  h.topic = added ? "router.subscription.subscribed" : "router.subscription.unsubscribed";
  core::object o{{"realm", s.realm}, {"session", s.id.value}, {"epoch", "e1"}, {"seq", seq}};
  if (added)
    o.emplace_back(
        "subscription",
        core::object{
            {"id", id}, {"uri", uri}, {"match", core::match_name(m)}, {"created", "2026-11-30T10:00:00.000Z"}});
  else
    o.emplace_back("subscription", id);
  h.info = o;
  auto obs = std::make_shared<core::observation_info>();
  obs->kind = core::observation_kind::subscription;
  obs->id = id;
  obs->uri = uri;
  obs->match = m;
  obs->created = "2026-11-30T10:00:00.000Z";
  core::session_record member;
  member.realm = s.realm;
  member.id = s.id;
  h.decoded = core::hook_event{added ? core::hook_kind::subscribed : core::hook_kind::unsubscribed, member,
                               core::hook_position{"e1", seq}, obs};
  h.arrival = seq;
  return h;
}

core::snapshot empty_base() {
  core::snapshot s;
  s.position = core::hook_position{"e1", 0};
  return s;
}

// A good stream: 1 joins, 2 joins, both share subscription 7, 1 unsubscribes, 2 leaves (its removal first).
std::vector<cf::hook_record> good_stream() {
  const auto a = rec("realm1", 1), b = rec("realm1", 2);
  return {session_hook(true, a, 1),   session_hook(true, b, 2),    member_hook(true, a, 7, 3),
          member_hook(true, b, 7, 4), member_hook(false, a, 7, 5), member_hook(false, b, 7, 6),
          session_hook(false, b, 7),  session_hook(false, a, 8)};
}

std::vector<std::string> failed(const cf::report& r) {
  std::vector<std::string> out;
  for (const auto& v : r.verdicts())
    if (v.result == cf::status::fail) out.push_back(v.of->name);
  return out;
}

std::vector<std::string> judge(const std::vector<cf::hook_record>& hooks) {
  cf::report r;
  cf::check_stream(hooks, empty_base(), r);
  return failed(r);
}

using names = std::vector<std::string>;

}  // namespace

namespace wamp_metad::conformance {
std::ostream& operator<<(std::ostream& o, status s) {
  return o << status_name(s);
}
}  // namespace wamp_metad::conformance

BOOST_AUTO_TEST_SUITE(conformance)

BOOST_AUTO_TEST_CASE(a_good_stream_passes_every_stream_clause) {
  cf::report r;
  cf::check_stream(good_stream(), empty_base(), r);
  BOOST_TEST(failed(r).empty());
  for (const char* n :
       {"info-fields", "epoch-constant", "seq-gap-free", "left-once", "v2-fields", "one-id", "removals-before-left"})
    BOOST_TEST(r.of(n).result == cf::status::pass, n);
}

BOOST_AUTO_TEST_CASE(each_breakage_fails_its_clause_only) {
  {  // a hole in seq
    auto s = good_stream();
    s.erase(s.begin() + 4);
    auto f = judge(s);
    BOOST_TEST((std::find(f.begin(), f.end(), "seq-gap-free") != f.end()));
  }
  {  // another epoch
    auto s = good_stream();
    s[1] = session_hook(true, rec("realm1", 2), 2, "e2");
    BOOST_TEST(judge(s) == (names{"epoch-constant"}), boost::test_tools::per_element());
  }
  {  // a field missing
    auto s = good_stream();
    s[0].info.get_if<core::object>()->erase(s[0].info.get_if<core::object>()->begin() + 2);  // authid
    BOOST_TEST(judge(s) == (names{"info-fields"}), boost::test_tools::per_element());
  }
  {  // a float session id
    auto s = good_stream();
    (*s[0].info.get_if<core::object>())[1].second = 1.0;
    BOOST_TEST(judge(s) == (names{"info-fields"}), boost::test_tools::per_element());
  }
  {  // a left hook before the removal of what the session held
    auto s = good_stream();
    std::swap(s[5], s[6]);
    s[5].decoded->position->seq = 6;  // seq in arrival order
    s[6].decoded->position->seq = 7;
    auto f = judge(s);
    BOOST_TEST((std::find(f.begin(), f.end(), "removals-before-left") != f.end()));
    BOOST_TEST((std::find(f.begin(), f.end(), "seq-gap-free") == f.end()));
  }
  {  // a second id for the same topic while the first lives
    auto s = good_stream();
    s[3] = member_hook(true, rec("realm1", 2), 8, 4);
    s[5] = member_hook(false, rec("realm1", 2), 8, 6);
    BOOST_TEST(judge(s) == (names{"one-id"}), boost::test_tools::per_element());
  }
  {  // a left hook twice
    auto s = good_stream();
    s.push_back(session_hook(false, rec("realm1", 1), 9));
    BOOST_TEST(judge(s) == (names{"left-once"}), boost::test_tools::per_element());
  }
  {  // a subscription without created
    auto s = good_stream();
    auto& sub = (*s[2].info.get_if<core::object>())[4].second;
    sub.get_if<core::object>()->pop_back();
    BOOST_TEST(judge(s) == (names{"v2-fields"}), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(state_at_applies_the_hooks_up_to_a_seq) {
  const auto hooks = good_stream();
  std::string error;
  auto at4 = cf::state_at(empty_base(), hooks, 4, error);
  BOOST_REQUIRE(at4);
  const auto lines = cf::canonical(*at4);
  BOOST_TEST(lines.size() == 3u);  // two sessions, one subscription
  BOOST_TEST(lines.back().find("subscribers=1,2") != std::string::npos);
  auto at8 = cf::state_at(empty_base(), hooks, 8, error);
  BOOST_REQUIRE(at8);
  BOOST_TEST(cf::canonical(*at8).empty());
  BOOST_TEST(!cf::state_at(empty_base(), hooks, 9, error));
  BOOST_TEST(error.find("not all received") != std::string::npos);

  std::string w, g;
  BOOST_TEST(cf::first_difference(cf::canonical(*at4), cf::canonical(*at4), w, g).empty());
  BOOST_TEST(!cf::first_difference(cf::canonical(*at4), cf::canonical(*at8), w, g).empty());
  BOOST_TEST(g == "(nothing of it)");
}

BOOST_AUTO_TEST_CASE(pages_join_and_split_entries_merge) {
  core::snapshot_page p1, p2;
  p1.position = p2.position = core::hook_position{"e1", 5};
  p1.next_cursor = "c";
  p1.sessions = {rec("realm1", 1)};
  core::snapshot_observation o;
  o.realm = "realm1";
  o.info.id = 7;
  o.info.uri = "com.x";
  o.members = {core::session_id{1}};
  p1.observations = {o};
  o.members = {core::session_id{2}};
  p2.observations = {o};
  std::vector<std::string> problems;
  auto s = cf::join_pages({p1, p2}, problems);
  BOOST_TEST(problems.empty());
  BOOST_REQUIRE(s.observations.size() == 1u);
  BOOST_TEST(s.observations[0].members.size() == 2u);
  p2.position = core::hook_position{"e1", 6};
  p2.next_cursor = "d";
  cf::join_pages({p1, p2}, problems);
  BOOST_TEST(problems.size() == 2u);
}

BOOST_AUTO_TEST_CASE(levels_and_exit_code) {
  cf::report r;
  BOOST_TEST(r.exit_code() == 1);  // nothing judged
  for (const auto& c : cf::clauses())
    r.pass(c.name);
  BOOST_TEST(r.exit_code() == 0);
  BOOST_TEST(r.level("exactly once") == cf::status::pass);
  cf::report o;
  for (const auto& c : cf::clauses())
    if (std::string(c.level) != "exactly once") o.pass(c.name);
  o.level_not_offered("exactly once", "no catch_up");
  BOOST_TEST(o.exit_code() == 0);
  BOOST_TEST(o.level("exactly once") == cf::status::not_offered);
  o.fail("kill", "RESULT [true]", "ERROR x");
  o.pass("kill");
  BOOST_TEST(o.of("kill").result == cf::status::fail);
  BOOST_TEST(o.exit_code() == 1);
  BOOST_TEST(o.level("kill") == cf::status::fail);
  const auto text = o.text();
  BOOST_TEST(text.find("7.1 kill: FAIL\n    wanted: RESULT [true]\n    got:    ERROR x") != std::string::npos);
  BOOST_TEST(text.find("levels: sessions=yes; registrations=yes; kill=no;") != std::string::npos);
  const auto json = o.json();
  BOOST_TEST(json.find("{\"clause\": \"7.1\", \"name\": \"kill\", \"level\": \"kill\", \"verdict\": \"FAIL\"") !=
             std::string::npos);
  BOOST_TEST(json.find("\"exit\": 1}") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
