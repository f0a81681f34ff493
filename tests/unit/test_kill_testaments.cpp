#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "support.hpp"
#include "wamp_metad/core/kill.hpp"
#include "wamp_metad/core/testaments.hpp"
#include "wamp_metad/core/uris.hpp"

using namespace wamp_metad::core;
namespace uri = wamp_metad::uri;
using test_support::joined;
using test_support::left;
using test_support::rec;
using test_support::trace;

namespace {

// Realm r: 1 and 2 alice/user, 3 bob/admin, 4 the sidecar (metad, hidden); realm other: 5 alice/user.
registry sample() {
  return test_support::serving({rec("r", 1, "user", "alice"), rec("r", 2, "user", "alice"), rec("r", 3, "admin", "bob"),
                                rec("r", 4, "metad", "metad"), rec("other", 5, "user", "alice")});
}

std::vector<std::uint64_t> targets(const outcome<kill_plan>& plan) {
  BOOST_REQUIRE(plan.ok());
  std::vector<std::uint64_t> ids;
  for (session_id id : plan.value().targets)
    ids.push_back(id.value);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void expect_error(const outcome<kill_plan>& plan, const char* error_uri, const std::string& fragment) {
  BOOST_REQUIRE(!plan.ok());
  BOOST_TEST(plan.error().uri == error_uri);
  BOOST_TEST(plan.error().message.find(fragment) != std::string::npos, plan.error().message);
}

const session_id caller{1};

}  // namespace

BOOST_AUTO_TEST_SUITE(kill_rules)

BOOST_AUTO_TEST_CASE(targets_never_include_the_caller_hidden_sessions_or_other_realms) {
  const registry reg = sample();
  using v = std::vector<std::uint64_t>;
  BOOST_TEST(targets(plan_kill(reg, "r", kill_kind::all, caller, {}, {})) == (v{2, 3}));
  BOOST_TEST(targets(plan_kill(reg, "r", kill_kind::by_authid, caller, {"alice"}, {})) == (v{2}));
  BOOST_TEST(targets(plan_kill(reg, "r", kill_kind::by_authrole, caller, {"user"}, {})) == (v{2}));
  BOOST_TEST(targets(plan_kill(reg, "r", kill_kind::by_authrole, caller, {"metad"}, {})) == (v{}));
  BOOST_TEST(targets(plan_kill(reg, "r", kill_kind::by_authid, caller, {"nobody"}, {})) == (v{}));
  BOOST_TEST(targets(plan_kill(reg, "r", kill_kind::one, caller, {3}, {})) == (v{3}));
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {1}, {}), uri::no_such_session, "no session 1");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {4}, {}), uri::no_such_session, "no session 4");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {5}, {}), uri::no_such_session, "no session 5");
}

BOOST_AUTO_TEST_CASE(reason_defaults_to_killed_and_must_be_a_uri) {
  const registry reg = sample();
  auto plan = plan_kill(reg, "r", kill_kind::all, caller, {}, {});
  BOOST_REQUIRE(plan.ok());
  BOOST_TEST(plan.value().reason == "wamp.close.killed");
  BOOST_TEST(!plan.value().message);
  plan = plan_kill(reg, "r", kill_kind::all, caller, {}, {{"reason", "com.example.x"}, {"message", "m"}});
  BOOST_REQUIRE(plan.ok());
  BOOST_TEST(plan.value().reason == "com.example.x");
  BOOST_TEST(*plan.value().message == "m");
  plan = plan_kill(reg, "r", kill_kind::all, caller, {}, {{"reason", nullptr}, {"message", nullptr}});
  BOOST_REQUIRE(plan.ok());
  BOOST_TEST(plan.value().reason == "wamp.close.killed");
  for (const char* bad : {"", "a..b", ".a", "a.", "a b", "a#b", "a\tb"})
    expect_error(plan_kill(reg, "r", kill_kind::all, caller, {}, {{"reason", bad}}), uri::invalid_uri, "reason");
  expect_error(plan_kill(reg, "r", kill_kind::all, caller, {}, {{"reason", 7}}), uri::invalid_uri, "integer 7");
  expect_error(plan_kill(reg, "r", kill_kind::all, caller, {}, {{"message", 7}}), uri::invalid_argument, "message");
  expect_error(plan_kill(reg, "r", kill_kind::all, caller, {}, {{"why", "x"}}), uri::invalid_argument, "'why'");
}

BOOST_AUTO_TEST_CASE(argument_shapes) {
  const registry reg = sample();
  expect_error(plan_kill(reg, "r", kill_kind::all, caller, {1}, {}), uri::invalid_argument, "no positional");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {}, {}), uri::invalid_argument, "the session id");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {"2"}, {}), uri::invalid_argument, "integer");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {0}, {}), uri::invalid_argument, "integer");
  expect_error(plan_kill(reg, "r", kill_kind::by_authid, caller, {1}, {}), uri::invalid_argument, "authid");
  expect_error(plan_kill(reg, "r", kill_kind::by_authrole, caller, {"a", "b", "c", "d"}, {}), uri::invalid_argument,
               "got 4");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {3, "not a uri"}, {}), uri::invalid_uri, "reason");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {3, 2}, {}), uri::invalid_argument, "second positional");
  expect_error(plan_kill(reg, "r", kill_kind::one, caller, {3, nullptr, 7}, {}), uri::invalid_argument, "message");
}

// Crossbar's callers pass reason and message positionally after the target; keywords win over them.
BOOST_AUTO_TEST_CASE(reason_and_message_positionally_as_crossbar_takes_them) {
  registry reg = sample();
  const session_id caller{1};
  auto plan = plan_kill(reg, "r", kill_kind::one, caller, {3, "com.example.bye", "see you"}, {});
  BOOST_REQUIRE(plan.ok());
  BOOST_TEST(plan.value().reason == "com.example.bye");
  BOOST_TEST(*plan.value().message == "see you");
  plan = plan_kill(reg, "r", kill_kind::by_authid, caller, {"alice", nullptr, "m"}, {});
  BOOST_REQUIRE(plan.ok());
  BOOST_TEST(plan.value().reason == "wamp.close.killed");
  BOOST_TEST(*plan.value().message == "m");
  plan = plan_kill(reg, "r", kill_kind::by_authrole, caller, {"user", "com.example.positional", "p"},
                   {{"reason", "com.example.keyword"}});
  BOOST_REQUIRE(plan.ok());
  BOOST_TEST(plan.value().reason == "com.example.keyword");
  BOOST_TEST(*plan.value().message == "p");
  expect_error(plan_kill(reg, "r", kill_kind::all, caller, {"com.example.x"}, {}), uri::invalid_argument,
               "no positional");
}

BOOST_AUTO_TEST_CASE(result_shapes_follow_the_spec) {
  const std::vector<session_id> killed{session_id{7}, session_id{9}};
  BOOST_TEST(kill_result(kill_kind::one, {session_id{7}}).args.empty());
  const auto by_id = kill_result(kill_kind::by_authid, killed);
  BOOST_REQUIRE(by_id.args.size() == 1u);
  BOOST_TEST((by_id.args[0] == value(array{7, 9})));
  BOOST_TEST((kill_result(kill_kind::by_authrole, killed).args == array{2}));
  BOOST_TEST((kill_result(kill_kind::all, {}).args == array{0}));
}

BOOST_AUTO_TEST_CASE(a_quiet_leave_tells_nothing_and_a_cancelled_one_tells_as_usual) {
  registry reg = sample();
  std::vector<meta_event> out;
  reg.leave_quietly("r", session_id{2});
  reg.leave_quietly("r", session_id{3});
  reg.on_hook(left("r", 2, 1), out);
  BOOST_TEST(trace(out) == "");
  BOOST_TEST(reg.told_count("r") == 2u);  // 1 and 3 (4 is hidden)
  reg.quiet_cancelled("r", session_id{3});
  reg.on_hook(left("r", 3, 2), out);
  BOOST_TEST(trace(out) == "-3");
  // The mark is spent: a session that comes back under the same id is told as usual.
  out.clear();
  reg.on_hook(joined(rec("r", 2), 3), out);
  reg.on_hook(left("r", 2, 4), out);
  BOOST_TEST(trace(out) == "+2 -2");
}

BOOST_AUTO_TEST_CASE(a_quiet_leave_while_offline_is_not_told_when_back) {
  registry reg = sample();
  std::vector<meta_event> out;
  reg.set_online("r", false, out);
  reg.leave_quietly("r", session_id{2});
  reg.on_hook(left("r", 2, 1), out);
  reg.on_hook(left("r", 3, 2), out);
  reg.set_online("r", true, out);
  BOOST_TEST(trace(out) == "-3");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(testament_rules)

namespace {
array add_args(const std::string& topic, array args = {}, object kwargs = {}) {
  return array{topic, value(std::move(args)), value(std::move(kwargs))};
}

std::vector<std::string> firsts(const std::vector<testament>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts)
    out.push_back(*t.args.at(0).get_if<std::string>());
  return out;
}

void expect_refused(const outcome<call_result>& r, const char* error_uri, const std::string& fragment) {
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().uri == error_uri);
  BOOST_TEST(r.error().message.find(fragment) != std::string::npos, r.error().message);
}
}  // namespace

BOOST_AUTO_TEST_CASE(taken_detached_first_then_destroyed_each_in_order) {
  testament_store store;
  const session_id s{1};
  BOOST_TEST(store.add("r", s, add_args("t.a", {"destroyed 1"}), {}).ok());
  BOOST_TEST(store.add("r", s, add_args("t.a", {"detached 1"}), {{"scope", "detached"}}).ok());
  BOOST_TEST(store.add("r", s, add_args("t.b", {"destroyed 2"}, {{"k", 1}}), {{"scope", "destroyed"}}).ok());
  BOOST_TEST(store.add("r", s, add_args("t.a", {"detached 2"}), {{"scope", "detached"}}).ok());
  BOOST_TEST(store.add("other", s, add_args("t.a", {"elsewhere"}), {}).ok());
  const auto ts = store.take("r", s);
  const std::vector<std::string> want{"detached 1", "detached 2", "destroyed 1", "destroyed 2"};
  BOOST_TEST(firsts(ts) == want, boost::test_tools::per_element());
  BOOST_TEST(ts[3].topic == "t.b");
  BOOST_TEST((ts[3].kwargs == object{{"k", 1}}));
  BOOST_TEST(store.take("r", s).empty());
  BOOST_TEST(store.holders().size() == 1u);  // the one in realm other
}

BOOST_AUTO_TEST_CASE(flush_empties_one_scope_and_returns_the_bytes) {
  testament_store store;
  const session_id s{1};
  BOOST_REQUIRE(store.add("r", s, add_args("t.a", {"x"}), {{"scope", "detached"}}).ok());
  BOOST_REQUIRE(store.add("r", s, add_args("t.a", {"y"}), {}).ok());
  const auto before = store.bytes();
  BOOST_TEST(store.flush("r", s, {}, {{"scope", "detached"}}).ok());
  BOOST_TEST(store.bytes() < before);
  BOOST_TEST(firsts(store.take("r", s)) == std::vector<std::string>{"y"}, boost::test_tools::per_element());
  BOOST_TEST(store.bytes() == 0u);
  BOOST_TEST(store.flush("r", s, {}, {}).ok());  // nothing held: fine
  expect_refused(store.flush("r", s, {1}, {}), uri::invalid_argument, "no positional");
  expect_refused(store.flush("r", s, {}, {{"scope", "later"}}), uri::invalid_argument, "scope");
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_refused_with_the_reason) {
  testament_store store;
  const session_id s{1};
  expect_refused(store.add("r", s, {"t.a", value(array{})}, {}), uri::invalid_argument, "three positional");
  expect_refused(store.add("r", s, add_args("wamp.session.on_leave"), {}), uri::invalid_uri, "reserved");
  expect_refused(store.add("r", s, add_args("a b"), {}), uri::invalid_uri, "topic");
  expect_refused(store.add("r", s, {"t.a", "x", value(object{})}, {}), uri::invalid_argument, "args");
  expect_refused(store.add("r", s, {"t.a", value(array{}), 3}, {}), uri::invalid_argument, "kwargs");
  expect_refused(store.add("r", s, add_args("t.a"), {{"scope", "forever"}}), uri::invalid_argument, "scope");
  expect_refused(store.add("r", s, add_args("t.a"), {{"publish_options", value(object{{"eligible", value(array{})}})}}),
                 uri::invalid_argument, "'eligible' is not supported");
  expect_refused(store.add("r", s, add_args("t.a"), {{"publish_options", value(object{{"acknowledge", 1}})}}),
                 uri::invalid_argument, "must be a bool");
  expect_refused(store.add("r", s, add_args("t.a"), {{"publish_options", value(object{{"zzz", true}})}}),
                 uri::invalid_argument, "unknown publish option");
  expect_refused(store.add("r", s, add_args("t.a"), {{"other", 1}}), uri::invalid_argument, "'other'");
  BOOST_TEST(store.add("r", s, add_args("t.a"), {{"publish_options", value(object{{"acknowledge", true}})}}).ok());
  BOOST_TEST(store.holders().size() == 1u);
}

BOOST_AUTO_TEST_CASE(limits_per_session_and_in_all) {
  testament_limits limits;
  limits.per_session = 2;
  limits.bytes_per_session = 100;
  limits.total_bytes = 130;
  testament_store store(limits);
  BOOST_REQUIRE(store.add("r", session_id{1}, add_args("t.a"), {}).ok());
  BOOST_REQUIRE(store.add("r", session_id{1}, add_args("t.a"), {}).ok());
  expect_refused(store.add("r", session_id{1}, add_args("t.a"), {}), uri::invalid_argument, "already has 2");
  expect_refused(store.add("r", session_id{2}, add_args("t.a", {std::string(120, 'x')}), {}), uri::invalid_argument,
                 "over 100 bytes");
  BOOST_TEST(store.holders().size() == 1u);  // a refused first testament leaves nothing behind
  BOOST_REQUIRE(store.add("r", session_id{2}, add_args("t.a", {std::string(80, 'x')}), {}).ok());
  expect_refused(store.add("r", session_id{3}, add_args("t.a", {std::string(40, 'x')}), {}), uri::invalid_argument,
                 "its limit is 130");
  store.discard("r", session_id{2});
  BOOST_TEST(store.add("r", session_id{3}, add_args("t.a", {std::string(40, 'x')}), {}).ok());
  store.discard_realm("r");
  BOOST_TEST(store.empty());
  BOOST_TEST(store.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(packed_size_matches_msgpack_lengths) {
  BOOST_TEST(packed_size(value()) == 1u);
  BOOST_TEST(packed_size(value(127)) == 1u);
  BOOST_TEST(packed_size(value(128)) == 2u);
  BOOST_TEST(packed_size(value(-33)) == 2u);
  BOOST_TEST(packed_size(value(70000)) == 5u);
  BOOST_TEST(packed_size(value(std::uint64_t{1} << 40)) == 9u);
  BOOST_TEST(packed_size(value(1.5)) == 9u);
  BOOST_TEST(packed_size(value(std::string(31, 'x'))) == 32u);
  BOOST_TEST(packed_size(value(std::string(32, 'x'))) == 34u);
  BOOST_TEST(packed_size(value(std::string(300, 'x'))) == 303u);
  BOOST_TEST(packed_size(value(array{1, 2})) == 3u);
  BOOST_TEST(packed_size(value(object{{"k", 1}})) == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
