// URI patterns (exact, prefix, wildcard) and the registrations / subscriptions mirrored per realm: matching
// as the spec ranks it, ids shared per (uri, match), creation by the first member and deletion with the last,
// and the meta procedures' payloads and errors.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "wamp_metad/core/observations.hpp"
#include "wamp_metad/core/patterns.hpp"
#include "wamp_metad/core/uris.hpp"

using namespace wamp_metad::core;
namespace uri = wamp_metad::uri;

namespace {

std::vector<std::uint64_t> sorted(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The spec's example registrations ("Calls matching multiple registrations"), ids 1 to 7.
struct spec_example {
  std::vector<std::string> uris{"a1.b2.c3.d4.e55", "a1.b2.c3",         "a1.b2.c3.d4",     "a1.b2..d4.e5",
                                "a1.b2.c3..e5",    "a1.b2..d4.e5..g7", "a1.b2..d4..f6.g7"};
  std::vector<match_policy> policies{match_policy::exact,    match_policy::prefix,   match_policy::prefix,
                                     match_policy::wildcard, match_policy::wildcard, match_policy::wildcard,
                                     match_policy::wildcard};
  pattern_index index;
  spec_example() {
    for (std::size_t i = 0; i < uris.size(); ++i)
      BOOST_REQUIRE(index.add(uris[i], policies[i], i + 1));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(patterns)

BOOST_FIXTURE_TEST_CASE(a_call_reaches_the_registration_the_spec_names, spec_example) {
  BOOST_TEST(*index.best("a1.b2.c3.d4.e55") == 1u);        // exact
  BOOST_TEST(*index.best("a1.b2.c3.d98.e74") == 2u);       // one prefix
  BOOST_TEST(*index.best("a1.b2.c3.d4.e325") == 3u);       // the longest prefix
  BOOST_TEST(*index.best("a1.b2.c55.d4.e5") == 4u);        // one wildcard
  BOOST_TEST(*index.best("a1.b2.c3.d4.e5") == 3u);         // a prefix wins over wildcards
  BOOST_TEST(*index.best("a1.b2.c88.d4.e5.f6.g7") == 6u);  // equal first runs: the longer second one
  BOOST_TEST(!index.best("a2.b2.c2.d2.e2"));
  BOOST_TEST(index.size() == 7u);
}

BOOST_AUTO_TEST_CASE(wildcards_ranked_by_their_runs_of_concrete_components) {
  pattern_index index;
  index.add("a1.b2..d4.e5", match_policy::wildcard, 4);
  index.add("a1.b2.c3..e5", match_policy::wildcard, 5);
  BOOST_TEST(*index.best("a1.b2.c3.d4.e5") == 5u);         // the spec's example without the prefixes
  index.add("a1.b2.c3.d4.e5", match_policy::wildcard, 8);  // no wildcard at all ranks first
  BOOST_TEST(*index.best("a1.b2.c3.d4.e5") == 8u);
  BOOST_TEST(!index.best("a1.b2.c3.d4"));  // another number of components
  BOOST_TEST(!index.best("a1.b2.c3.d4.e5.f6"));
}

BOOST_FIXTURE_TEST_CASE(an_event_reaches_every_matching_subscription, spec_example) {
  BOOST_TEST((sorted(index.all("a1.b2.c3.d4.e5")) == std::vector<std::uint64_t>{2, 3, 4, 5}));
  BOOST_TEST((sorted(index.all("a1.b2.c3.d4.e55")) == std::vector<std::uint64_t>{1, 2, 3}));
  BOOST_TEST(index.all("x").empty());
}

BOOST_AUTO_TEST_CASE(prefixes_are_string_prefixes) {
  pattern_index index;
  index.add("com.myapp.myobject1", match_policy::prefix, 1);
  for (const char* hit : {"com.myapp.myobject1.myprocedure1", "com.myapp.myobject1-mysubobject1",
                          "com.myapp.myobject1.mysubobject1.myprocedure1", "com.myapp.myobject1"})
    BOOST_TEST(index.best(hit).value_or(0) == 1u, hit);
  for (const char* miss : {"com.myapp.myobject2", "com.myapp.myobject", "com"})
    BOOST_TEST(!index.best(miss), miss);
}

BOOST_AUTO_TEST_CASE(lookup_add_and_remove) {
  pattern_index index;
  BOOST_TEST(index.add("a.b", match_policy::exact, 1));
  BOOST_TEST(index.add("a.b", match_policy::prefix, 2));  // another policy: another pattern
  BOOST_TEST(!index.add("a.b", match_policy::exact, 3));  // the same one again
  BOOST_TEST(index.add("a..c", match_policy::wildcard, 4));
  BOOST_TEST(*index.find("a.b", match_policy::exact) == 1u);
  BOOST_TEST(*index.find("a.b", match_policy::prefix) == 2u);
  BOOST_TEST(*index.find("a..c", match_policy::wildcard) == 4u);
  BOOST_TEST(!index.find("a.x.c", match_policy::wildcard));  // lookup is not match
  BOOST_TEST(index.remove("a..c", match_policy::wildcard));
  BOOST_TEST(!index.remove("a..c", match_policy::wildcard));
  BOOST_TEST(!index.best("a.x.c"));
  BOOST_TEST(index.remove("a.b", match_policy::prefix));
  BOOST_TEST(!index.best("a.bc"));
  BOOST_TEST(*index.best("a.b") == 1u);
  BOOST_TEST(index.size() == 1u);
}

BOOST_AUTO_TEST_CASE(policies_and_patterns) {
  BOOST_TEST((parse_match("wildcard") == match_policy::wildcard));
  BOOST_TEST(!parse_match("glob"));
  BOOST_TEST(std::string(match_name(match_policy::prefix)) == "prefix");
  BOOST_TEST(valid_pattern("a..c", match_policy::wildcard));
  BOOST_TEST(!valid_pattern("a..c", match_policy::exact));
  BOOST_TEST(!valid_pattern("a.b.", match_policy::prefix));
  BOOST_TEST(!valid_pattern("a b", match_policy::exact));
  BOOST_TEST(!valid_pattern("", match_policy::wildcard));
  BOOST_TEST(!valid_pattern("a.#", match_policy::wildcard));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(observation_tables)

BOOST_AUTO_TEST_CASE(shared_ids_created_by_the_first_member_deleted_with_the_last) {
  observation_table t;
  const session_id a{1}, b{2};
  auto c = t.attach(a, 100, "com.example.topic", match_policy::exact, "", "2026-11-30T10:00:00.000Z");
  BOOST_TEST((c.created && c.attached && !c.conflict));
  c = t.attach(b, 100, "com.example.topic", match_policy::exact, "", "2026-11-30T10:00:00.000Z");
  BOOST_TEST((!c.created && c.attached));
  c = t.attach(b, 100, "com.example.topic", match_policy::exact, "", "x");  // again: nothing new
  BOOST_TEST((!c.created && !c.attached));
  BOOST_TEST(t.get(100)->members.size() == 2u);
  BOOST_TEST(t.members() == 2u);
  c = t.detach(a, 100);
  BOOST_TEST((c.detached && !c.deleted));
  c = t.detach(b, 100);
  BOOST_TEST((c.detached && c.deleted));
  BOOST_TEST(!t.get(100));
  BOOST_TEST(!t.lookup("com.example.topic", match_policy::exact));
  BOOST_TEST(!t.detach(b, 100).detached);  // gone already
  // A new subscription after the deletion: a new id, as the router gives it.
  BOOST_TEST(t.attach(a, 101, "com.example.topic", match_policy::exact, "", "").created);
  BOOST_TEST(*t.lookup("com.example.topic", match_policy::exact) == 101u);
}

BOOST_AUTO_TEST_CASE(contradictions_are_conflicts) {
  observation_table t;
  t.attach(session_id{1}, 100, "a.b", match_policy::exact, "", "");
  BOOST_TEST(t.attach(session_id{2}, 200, "a.b", match_policy::exact, "", "").conflict);  // same uri, other id
  BOOST_TEST(t.attach(session_id{2}, 100, "a.c", match_policy::exact, "", "").conflict);  // same id, other uri
  BOOST_TEST(t.attach(session_id{2}, 100, "a.b", match_policy::prefix, "", "").conflict);
  BOOST_TEST(!t.get(200));
  BOOST_TEST(t.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_session_that_leaves_takes_only_its_own) {
  observation_table t;
  for (std::uint64_t id = 1; id <= 3; ++id)
    t.attach(session_id{7}, id, "t." + std::to_string(id), match_policy::exact, "", "");
  t.attach(session_id{8}, 2, "t.2", match_policy::exact, "", "");
  auto gone = t.detach_all(session_id{7});
  BOOST_TEST(gone.size() == 3u);
  std::size_t deleted = 0;
  for (const auto& [id, c] : gone)
    deleted += c.deleted;
  BOOST_TEST(deleted == 2u);
  BOOST_TEST(t.size() == 1u);
  BOOST_TEST((t.of_member(session_id{8}) == std::vector<std::uint64_t>{2}));
  BOOST_TEST(t.of_member(session_id{7}).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(observation_procedures)

namespace {

struct realm_fixture {
  observation_table regs;
  observation_table subs;
  realm_fixture() {
    regs.attach(session_id{1}, 10, "com.example.add", match_policy::exact, "single", "2026-11-30T10:00:00.000Z");
    regs.attach(session_id{2}, 11, "com.example.", match_policy::prefix, "roundrobin", "2026-11-30T10:00:01.000Z");
    regs.attach(session_id{3}, 11, "com.example.", match_policy::prefix, "roundrobin", "2026-11-30T10:00:01.000Z");
    regs.attach(session_id{9}, 12, "wamp.session.count", match_policy::exact, "single", "2026-11-30T10:00:02.000Z");
    subs.attach(session_id{1}, 20, "com.example.news", match_policy::exact, "", "2026-11-30T10:00:03.000Z");
    subs.attach(session_id{2}, 20, "com.example.news", match_policy::exact, "", "2026-11-30T10:00:03.000Z");
    subs.attach(session_id{2}, 21, "com.example", match_policy::prefix, "", "2026-11-30T10:00:04.000Z");
    subs.attach(session_id{3}, 22, "com..news", match_policy::wildcard, "", "2026-11-30T10:00:05.000Z");
    subs.attach(session_id{9}, 23, "wamp.session.on_join", match_policy::exact, "", "2026-11-30T10:00:06.000Z");
  }
  observation_query reg() const { return {&regs, observation_kind::registration, false}; }
  observation_query sub() const { return {&subs, observation_kind::subscription, false}; }
};

const value& only(const outcome<call_result>& r) {
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.value().args.size() == 1u);
  return r.value().args[0];
}

std::vector<std::uint64_t> ids(const value& v) {
  std::vector<std::uint64_t> out;
  for (const auto& x : *v.get_if<array>()) {
    std::uint64_t id = 0;
    BOOST_REQUIRE(x.as_unsigned(id));
    out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const value& field(const value& dict, const char* key) {
  for (const auto& [k, v] : *dict.get_if<object>())
    if (k == key) return v;
  BOOST_FAIL(std::string("no key ") + key);
  throw;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(list_by_policy_hiding_reserved_uris, realm_fixture) {
  const auto outcome = call_observation_list(sub(), {}, {});
  const value& lists = only(outcome);
  BOOST_TEST((ids(field(lists, "exact")) == std::vector<std::uint64_t>{20}));
  BOOST_TEST((ids(field(lists, "prefix")) == std::vector<std::uint64_t>{21}));
  BOOST_TEST((ids(field(lists, "wildcard")) == std::vector<std::uint64_t>{22}));
  const auto all = call_observation_list({&subs, observation_kind::subscription, true}, {}, {});
  BOOST_TEST((ids(field(only(all), "exact")) == std::vector<std::uint64_t>{20, 23}));
  // One session's only, positional or keyword (as Crossbar takes it).
  const auto mine = call_observation_list(sub(), {2}, {});
  BOOST_TEST((ids(field(only(mine), "exact")) == std::vector<std::uint64_t>{20}));
  BOOST_TEST((ids(field(only(mine), "prefix")) == std::vector<std::uint64_t>{21}));
  const auto kw = call_observation_list(reg(), {}, {{"session", 3}});
  BOOST_TEST((ids(field(only(kw), "prefix")) == std::vector<std::uint64_t>{11}));
  BOOST_TEST(call_observation_list(sub(), {"x"}, {}).error().uri == uri::invalid_argument);
  BOOST_TEST(call_observation_list(sub(), {1, 2}, {}).error().uri == uri::invalid_argument);
  BOOST_TEST(call_observation_list(sub(), {}, {{"colour", 1}}).error().uri == uri::invalid_argument);
  // A realm with none at all.
  const auto none = call_observation_list({nullptr, observation_kind::registration, false}, {}, {});
  BOOST_TEST(ids(field(only(none), "exact")).empty());
}

BOOST_FIXTURE_TEST_CASE(lookup_by_policy, realm_fixture) {
  BOOST_TEST((only(call_observation_lookup(reg(), {"com.example.add"}, {})) == value(std::uint64_t{10})));
  BOOST_TEST(only(call_observation_lookup(reg(), {"com.example.add", object{{"match", "prefix"}}}, {})).is_null());
  BOOST_TEST(
      (only(call_observation_lookup(reg(), {"com.example."}, {{"match", "prefix"}})) == value(std::uint64_t{11})));
  BOOST_TEST((only(call_observation_lookup(sub(), {"com..news", object{{"match", "wildcard"}}}, {})) ==
              value(std::uint64_t{22})));
  BOOST_TEST(only(call_observation_lookup(reg(), {"wamp.session.count"}, {})).is_null());  // reserved
  BOOST_TEST(call_observation_lookup(reg(), {"a", object{{"match", "glob"}}}, {}).error().uri == uri::invalid_argument);
  BOOST_TEST(call_observation_lookup(reg(), {7}, {}).error().uri == uri::invalid_argument);
  BOOST_TEST(call_observation_lookup(reg(), {}, {}).error().uri == uri::invalid_argument);
  BOOST_TEST(call_observation_lookup(reg(), {"a", "b"}, {}).error().uri == uri::invalid_argument);
}

BOOST_FIXTURE_TEST_CASE(match_one_registration_every_subscription, realm_fixture) {
  BOOST_TEST((only(call_observation_match(reg(), {"com.example.add"}, {})) == value(std::uint64_t{10})));
  BOOST_TEST((only(call_observation_match(reg(), {"com.example.mul"}, {})) == value(std::uint64_t{11})));
  BOOST_TEST(only(call_observation_match(reg(), {"org.example.add"}, {})).is_null());
  BOOST_TEST(
      (ids(only(call_observation_match(sub(), {"com.example.news"}, {}))) == std::vector<std::uint64_t>{20, 21, 22}));
  BOOST_TEST(only(call_observation_match(sub(), {"org.x"}, {})).is_null());
  BOOST_TEST(only(call_observation_match(sub(), {"wamp.session.on_join"}, {})).is_null());  // reserved
}

BOOST_FIXTURE_TEST_CASE(get_members_and_counts, realm_fixture) {
  const auto got = call_observation_get(reg(), {11}, {});
  const value& d = only(got);
  BOOST_TEST((field(d, "uri") == value("com.example.")));
  BOOST_TEST((field(d, "match") == value("prefix")));
  BOOST_TEST((field(d, "invoke") == value("roundrobin")));
  BOOST_TEST((field(d, "created") == value("2026-11-30T10:00:01.000Z")));
  BOOST_TEST((field(d, "id") == value(std::uint64_t{11})));
  BOOST_TEST(d.get_if<object>()->size() == 5u);
  BOOST_TEST(only(call_observation_get(sub(), {20}, {})).get_if<object>()->size() == 4u);  // no invoke
  BOOST_TEST((ids(only(call_observation_members(reg(), {11}, {}))) == std::vector<std::uint64_t>{2, 3}));
  BOOST_TEST((only(call_observation_count(sub(), {20}, {})) == value(std::uint64_t{2})));
  BOOST_TEST(call_observation_get(reg(), {99}, {}).error().uri == uri::no_such_registration);
  BOOST_TEST(call_observation_count(sub(), {99}, {}).error().uri == uri::no_such_subscription);
  BOOST_TEST(call_observation_members(reg(), {12}, {}).error().uri == uri::no_such_registration);  // reserved
  BOOST_TEST(call_observation_get({&regs, observation_kind::registration, true}, {12}, {}).ok());
  BOOST_TEST(call_observation_get(reg(), {"11"}, {}).error().uri == uri::invalid_argument);
  BOOST_TEST(call_observation_get(reg(), {}, {}).error().uri == uri::invalid_argument);
  BOOST_TEST(call_observation_get(reg(), {11}, {{"x", 1}}).error().uri == uri::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
