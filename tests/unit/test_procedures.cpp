// The procedure table: every entry reachable by its URI, dispatched to its core function with the shapes the
// spec gives, and the flags the adapter acts on (wait policy, opt-in group, caller needed, named session).
#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
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
  BOOST_TEST(kill.flags.has(procedure_flag::needs_caller));
  BOOST_TEST(kill.flags.has(procedure_flag::names_session));
  for (const char* by : {uri::kill_by_authid, uri::kill_by_authrole, uri::kill_all}) {
    const auto& p = *find_procedure(by);
    BOOST_TEST((p.wait == wait_policy::router), by);
    BOOST_TEST((p.group == opt_in::kill), by);
    BOOST_TEST(!p.flags.has(procedure_flag::names_session), by);
  }
  const auto& get = *find_procedure(uri::get);
  BOOST_TEST((get.group == opt_in::none));
  BOOST_TEST(!get.flags.has(procedure_flag::needs_caller));
  BOOST_TEST(get.flags.has(procedure_flag::names_session));
  BOOST_TEST((find_procedure(uri::add_testament)->group == opt_in::testaments));
  BOOST_TEST(find_procedure(uri::flush_testaments)->flags.has(procedure_flag::needs_caller));
  BOOST_TEST(!find_procedure(uri::count)->flags.has(procedure_flag::names_session));
  BOOST_TEST(!find_procedure(uri::count)->flags.has(procedure_flag::needs_v2));
  BOOST_TEST(find_procedure(uri::subscription_match)->flags.has(procedure_flag::needs_v2));
  const auto& remove = *find_procedure(uri::registration_remove_callee);
  BOOST_TEST((remove.group == opt_in::kill));
  BOOST_TEST(remove.flags.has(procedure_flag::needs_caller));
  BOOST_TEST(remove.flags.has(procedure_flag::needs_v2));
}

BOOST_AUTO_TEST_CASE(flag_sets) {
  constexpr procedure_flags none;
  BOOST_TEST(!none.has(procedure_flag::needs_caller));
  BOOST_TEST(!none.has(procedure_flag::names_session));
  BOOST_TEST(!none.has(procedure_flag::needs_v2));
  constexpr procedure_flags two = procedure_flag::needs_caller | procedure_flag::needs_v2;
  BOOST_TEST(two.has(procedure_flag::needs_caller));
  BOOST_TEST(!two.has(procedure_flag::names_session));
  BOOST_TEST(two.has(procedure_flag::needs_v2));
  const procedure_flags all = two | procedure_flag::names_session;
  BOOST_TEST(all.has(procedure_flag::names_session));
  BOOST_TEST(all.has(procedure_flag::needs_caller));
}

BOOST_AUTO_TEST_CASE(each_procedure_belongs_to_its_meta_api) {
  for (const auto& p : procedures()) {
    const std::string u = p.uri;
    const meta_api expected = u.rfind("wamp.registration.", 0) == 0      ? meta_api::registration
                              : u.rfind("wamp.subscription.", 0) == 0    ? meta_api::subscription
                              : u.find("testament") != std::string::npos ? meta_api::testament
                                                                         : meta_api::session;
    BOOST_TEST((p.api == expected), u);
    // Only the registration and subscription procedures need a hook protocol v2 router.
    BOOST_TEST(p.flags.has(procedure_flag::needs_v2) ==
                   (expected == meta_api::registration || expected == meta_api::subscription),
               u);
  }
  BOOST_TEST(std::string(feature_of(meta_api::session).name) == "session_meta_api");
  BOOST_TEST((feature_of(meta_api::session).broker && feature_of(meta_api::session).dealer));
  BOOST_TEST(std::string(feature_of(meta_api::testament).name) == "testament_meta_api");
  BOOST_TEST((!feature_of(meta_api::testament).broker && feature_of(meta_api::testament).dealer));
  BOOST_TEST(std::string(feature_of(meta_api::registration).name) == "registration_meta_api");
  BOOST_TEST((!feature_of(meta_api::registration).broker && feature_of(meta_api::registration).dealer));
  BOOST_TEST(std::string(feature_of(meta_api::subscription).name) == "subscription_meta_api");
  BOOST_TEST((feature_of(meta_api::subscription).broker && !feature_of(meta_api::subscription).dealer));
}

BOOST_AUTO_TEST_CASE(what_is_served_and_the_features_it_announces) {
  for (const bool testaments : {false, true}) {
    for (const bool kill : {false, true}) {
      for (const bool v2 : {false, true}) {
        const serving s{testaments, kill, v2};
        std::ostringstream name;
        name << "testaments " << testaments << ", kill " << kill << ", v2 " << v2;
        // What WELCOME announced before the table said it: session_meta_api always, testament_meta_api with
        // testaments, the registration (dealer) and subscription (broker) APIs with v2; kill adds none.
        object broker{{"session_meta_api", true}};
        object dealer{{"session_meta_api", true}};
        if (testaments) dealer.emplace_back("testament_meta_api", true);
        if (v2) {
          broker.emplace_back("subscription_meta_api", true);
          dealer.emplace_back("registration_meta_api", true);
        }
        const object expected{{"broker", broker}, {"dealer", dealer}};
        BOOST_TEST((value(features(s)) == value(expected)), name.str());
        // The procedures served so: 3 session queries always, 2 testament procedures, 4 kills, 12
        // registration and subscription queries with v2 and their 2 removals with v2 and kill.
        std::size_t n = 0;
        for (const auto& p : procedures())
          n += served(p, s) ? 1 : 0;
        const std::size_t want = 3 + (testaments ? 2 : 0) + (kill ? 4 : 0) + (v2 ? 12 : 0) + (v2 && kill ? 2 : 0);
        BOOST_TEST(n == want, name.str());
        BOOST_TEST(served(*find_procedure(uri::count), s));
        BOOST_TEST(served(*find_procedure(uri::add_testament), s) == testaments, name.str());
        BOOST_TEST(served(*find_procedure(uri::kill_all), s) == kill, name.str());
        BOOST_TEST(served(*find_procedure(uri::registration_get), s) == v2, name.str());
        BOOST_TEST(served(*find_procedure(uri::subscription_remove_subscriber), s) == (v2 && kill), name.str());
      }
    }
  }
  // The default: testaments on, kill off, v1.
  BOOST_TEST((value(features({})) ==
              value(object{{"broker", object{{"session_meta_api", true}}},
                           {"dealer", object{{"session_meta_api", true}, {"testament_meta_api", true}}}})));
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

  // The calls are plans, carried out by whoever keeps the testaments (this store, or the router).
  auto added = call(uri::add_testament, 1, testament);
  BOOST_REQUIRE(added.ok());
  BOOST_REQUIRE(std::holds_alternative<testament_plan>(added.value()));
  const auto& plan = std::get<testament_plan>(added.value());
  BOOST_TEST((plan.what == testament_plan::action::add));
  BOOST_TEST(plan.t.topic == "com.example.gone");
  BOOST_TEST((plan.scope == testament_scope::destroyed));
  BOOST_TEST(testaments.empty());
  testaments.keep(plan);
  BOOST_TEST(!testaments.empty());
  auto flushed = call(uri::flush_testaments, 1, {}, object{{"scope", "destroyed"}});
  BOOST_REQUIRE(flushed.ok());
  testaments.keep(std::get<testament_plan>(flushed.value()));
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
