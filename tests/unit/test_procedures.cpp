// The procedure table: every entry reachable by its URI, dispatched to its core function with the shapes the
// spec gives, and the flags the adapter acts on (wait policy, opt-in group, caller needed, named session).
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "support.hpp"
#include "wamp_metad/core/procedures.hpp"
#include "wamp_metad/core/uris.hpp"

using namespace wamp_metad::core;
namespace uri = wamp_metad::uri;
using test_support::rec;

namespace {

// Realm r: 1 alice/user, 2 bob/admin, 3 the sidecar (metad, hidden).
registry sample() {
  return test_support::serving(
      {rec("r", 1, "user", "alice"), rec("r", 2, "admin", "bob"), rec("r", 3, "metad", "metad")});
}

struct fixture {
  registry reg = sample();
  testament_store testaments;
  call_policy policy;
  std::string realm = "r";

  outcome<answer> call(const char* uri_, std::uint64_t caller, const array& args, const object& kwargs = {}) {
    const procedure* p = find_procedure(uri_);
    BOOST_REQUIRE(p != nullptr);
    call_context ctx{reg, testaments, policy, realm, session_id{caller}, args, kwargs};
    return p->handler(ctx);
  }
};

const call_result& result_of(const outcome<answer>& a) {
  BOOST_REQUIRE(a.ok());
  BOOST_REQUIRE(std::holds_alternative<call_result>(a.value()));
  return std::get<call_result>(a.value());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(procedure_table)

BOOST_AUTO_TEST_CASE(every_uri_once_and_found_by_it) {
  std::set<std::string> seen;
  for (const auto& p : procedures()) {
    BOOST_TEST(seen.insert(p.uri).second, p.uri << " twice");
    BOOST_TEST(find_procedure(p.uri) == &p);
    BOOST_TEST(std::string(p.uri).rfind(uri::reserved_prefix, 0) == 0u);
    BOOST_TEST(std::string(p.summary).find("->") != std::string::npos, p.uri << ": summary names no result");
  }
  BOOST_TEST(seen.size() == 23u);  // 9 of sessions, 7 each of registrations and subscriptions
  BOOST_TEST(find_procedure("wamp.session.on_join") == nullptr);
  BOOST_TEST(find_procedure("") == nullptr);
}

BOOST_AUTO_TEST_CASE(flags_the_adapter_acts_on) {
  const auto& kill = *find_procedure(uri::kill);
  BOOST_TEST((kill.group == opt_in::kill));
  BOOST_TEST((kill.wait == wait_policy::caller));
  BOOST_TEST(kill.needs_caller);
  BOOST_TEST(kill.names_session);
  for (const char* by : {uri::kill_by_authid, uri::kill_by_authrole, uri::kill_all}) {
    const auto& p = *find_procedure(by);
    BOOST_TEST((p.wait == wait_policy::router), by);
    BOOST_TEST((p.group == opt_in::kill), by);
    BOOST_TEST(!p.names_session, by);
  }
  const auto& get = *find_procedure(uri::get);
  BOOST_TEST((get.group == opt_in::none));
  BOOST_TEST(!get.needs_caller);
  BOOST_TEST(get.names_session);
  BOOST_TEST((find_procedure(uri::add_testament)->group == opt_in::testaments));
  BOOST_TEST(find_procedure(uri::flush_testaments)->needs_caller);
  BOOST_TEST(!find_procedure(uri::count)->names_session);
  BOOST_TEST(!find_procedure(uri::count)->needs_v2);
  BOOST_TEST(find_procedure(uri::subscription_match)->needs_v2);
  const auto& remove = *find_procedure(uri::registration_remove_callee);
  BOOST_TEST((remove.group == opt_in::kill));
  BOOST_TEST(remove.needs_caller);
  BOOST_TEST(remove.needs_v2);
}

BOOST_FIXTURE_TEST_CASE(queries_answer_from_the_mirror, fixture) {
  BOOST_TEST((result_of(call(uri::count, 1, {})).args == array{2}));
  BOOST_TEST((result_of(call(uri::count, 1, array{value(array{"admin"})})).args == array{1}));
  BOOST_TEST(result_of(call(uri::list, 1, {})).args[0].get_if<array>()->size() == 2u);
  const auto got = call(uri::get, 1, {2});
  BOOST_REQUIRE(result_of(got).args.size() == 1u);
  BOOST_TEST(result_of(got).args[0].is<object>());
  auto missing = call(uri::get, 1, {3});  // hidden
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().uri == uri::no_such_session);
  auto bad = call(uri::count, 1, {"x"});
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().uri == uri::invalid_argument);
}

BOOST_FIXTURE_TEST_CASE(kills_become_plans_for_the_router, fixture) {
  auto one = call(uri::kill, 1, {2});
  BOOST_REQUIRE(one.ok());
  const auto* plan = std::get_if<kill_plan>(&one.value());
  BOOST_REQUIRE(plan != nullptr);
  BOOST_TEST((plan->kind == kill_kind::one));
  BOOST_TEST(plan->reason == uri::close_killed);
  BOOST_REQUIRE(plan->targets.size() == 1u);
  BOOST_TEST(plan->targets[0].value == 2u);

  auto all = call(uri::kill_all, 1, {});
  BOOST_REQUIRE(all.ok());
  const auto& everyone = std::get<kill_plan>(all.value());
  BOOST_TEST(everyone.targets.size() == 1u);  // neither the caller nor the hidden sidecar

  auto self = call(uri::kill, 1, {1});
  BOOST_REQUIRE(!self.ok());
  BOOST_TEST(self.error().uri == uri::no_such_session);
}

BOOST_FIXTURE_TEST_CASE(testaments_need_the_caller_in_the_mirror, fixture) {
  const array testament{"com.example.gone", array{}, object{}};
  auto unknown = call(uri::add_testament, 99, testament);
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().uri == uri::unavailable);
  BOOST_TEST(testaments.empty());

  BOOST_TEST(result_of(call(uri::add_testament, 1, testament)).args.empty());
  BOOST_TEST(!testaments.empty());
  BOOST_TEST(result_of(call(uri::flush_testaments, 1, {})).args.empty());
  BOOST_TEST(testaments.empty());
}

BOOST_AUTO_TEST_CASE(the_named_session_is_the_first_positional_id) {
  BOOST_TEST(named_session({7}).value == 7u);
  BOOST_TEST(named_session({7, "wamp.close.killed"}).value == 7u);
  BOOST_TEST(named_session({7.0}).value == 7u);
  BOOST_TEST(named_session({}).value == 0u);
  BOOST_TEST(named_session({"7"}).value == 0u);
  BOOST_TEST(named_session({-1}).value == 0u);
  BOOST_TEST(named_session({std::uint64_t{1} << 60}).value == 0u);
}

BOOST_FIXTURE_TEST_CASE(kill_only_by_the_authroles_named, fixture) {
  policy.kill_authroles = {"admin"};
  auto by_user = call(uri::kill, 1, {2});
  BOOST_REQUIRE(!by_user.ok());
  BOOST_TEST(by_user.error().uri == uri::not_authorized);
  BOOST_TEST(by_user.error().message.find("authrole 'user' may not kill") != std::string::npos,
             by_user.error().message);
  BOOST_TEST(by_user.error().message.find("'admin'") != std::string::npos);
  for (const char* p : {uri::kill_by_authid, uri::kill_by_authrole})
    BOOST_TEST(call(p, 1, {"x"}).error().uri == uri::not_authorized, p);
  BOOST_TEST(call(uri::kill_all, 1, {}).error().uri == uri::not_authorized);
  BOOST_TEST(call(uri::kill, 2, {1}).ok());  // bob is admin
  auto unknown = call(uri::kill_all, 99, {});
  BOOST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().uri == uri::unavailable);
  policy.kill_authroles = {};
  BOOST_TEST(call(uri::kill, 1, {2}).ok());  // no list: the router's authorization alone decides
}

BOOST_AUTO_TEST_SUITE_END()
