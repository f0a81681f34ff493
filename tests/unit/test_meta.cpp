#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "support.hpp"
#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/uris.hpp"

using namespace wamp_metad::core;
namespace uri = wamp_metad::uri;
using test_support::rec;
using test_support::snap;

namespace {
registry sample() {
  registry::options opts;
  opts.hidden_authroles = {"metad"};
  registry reg(opts);
  std::vector<meta_event> out;
  reg.serve("r");
  reg.on_snapshot(snap({rec("r", 1, "user"), rec("r", 2, "user"), rec("r", 3, "admin"), rec("r", 4, "metad"),
                        rec("other", 5, "user")},
                       0),
                  out);
  return reg;
}

std::uint64_t count_of(const outcome<call_result>& r) {
  std::uint64_t n = 0;
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.value().args.size() == 1u);
  BOOST_REQUIRE(r.value().args[0].as_unsigned(n));
  return n;
}

std::vector<std::uint64_t> ids_of(const outcome<call_result>& r) {
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.value().args.size() == 1u);  // [[id, ...]]: one positional argument, the list
  const array* a = r.value().args[0].get_if<array>();
  BOOST_REQUIRE(a);
  std::vector<std::uint64_t> ids;
  for (const auto& v : *a) {
    std::uint64_t id = 0;
    BOOST_REQUIRE(v.as_unsigned(id));
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void expect_invalid(const outcome<call_result>& r, const std::string& fragment) {
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().uri == uri::invalid_argument);
  BOOST_TEST(r.error().message.find(fragment) != std::string::npos, r.error().message);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(meta_procedures)

BOOST_AUTO_TEST_CASE(count_and_list_without_filter_hide_own_sessions_and_other_realms) {
  registry reg = sample();
  BOOST_TEST(count_of(call_count(reg, "r", {}, {})) == 3u);
  BOOST_TEST(ids_of(call_list(reg, "r", {}, {})) == (std::vector<std::uint64_t>{1, 2, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(count_of(call_count(reg, "r", array{value()}, {})) == 3u);  // null = no filter
  BOOST_TEST(count_of(call_count(reg, "nowhere", {}, {})) == 0u);
}

BOOST_AUTO_TEST_CASE(filters_positional_or_keyword) {
  registry reg = sample();
  BOOST_TEST(count_of(call_count(reg, "r", array{array{"user"}}, {})) == 2u);
  BOOST_TEST(count_of(call_count(reg, "r", {}, object{{"filter_authroles", array{"admin"}}})) == 1u);
  BOOST_TEST(ids_of(call_list(reg, "r", array{array{"admin", "user"}}, {})) == (std::vector<std::uint64_t>{1, 2, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(count_of(call_count(reg, "r", array{array{"metad"}}, {})) == 0u);  // hidden stays hidden
  BOOST_TEST(count_of(call_count(reg, "r", {}, object{{"filter_authroles", value()}})) == 3u);
}

BOOST_AUTO_TEST_CASE(an_empty_filter_matches_nothing) {
  registry reg = sample();
  BOOST_TEST(count_of(call_count(reg, "r", array{array{}}, {})) == 0u);
  BOOST_TEST(ids_of(call_list(reg, "r", array{array{}}, {})).empty());
}

BOOST_AUTO_TEST_CASE(bad_filters_are_invalid_argument_with_a_message) {
  registry reg = sample();
  expect_invalid(call_count(reg, "r", array{"user"}, {}), "must be a list of strings or null, got string");
  expect_invalid(call_list(reg, "r", array{object{}}, {}), "got dict");
  expect_invalid(call_count(reg, "r", array{array{"user", 7}}, {}), "filter_authroles[1] must be a string");
  expect_invalid(call_count(reg, "r", array{array{}, array{}}, {}), "at most one positional");
  expect_invalid(call_count(reg, "r", {}, object{{"bogus", 1}}), "unknown keyword argument 'bogus'");
  expect_invalid(call_count(reg, "r", array{array{}}, object{{"filter_authroles", array{}}}), "both");
  array huge;
  for (std::size_t i = 0; i <= max_filter_authroles; ++i)
    huge.emplace_back("role" + std::to_string(i));
  expect_invalid(call_list(reg, "r", array{huge}, {}), "at most 1024");
}

BOOST_AUTO_TEST_CASE(get_returns_details_or_no_such_session) {
  registry reg = sample();
  auto r = call_get(reg, "r", array{std::uint64_t{3}}, {});
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r.value().args.size() == 1u);
  BOOST_TEST((*r.value().args[0].find("authrole") == value("admin")));
  BOOST_TEST((*r.value().args[0].find("session") == value(std::uint64_t{3})));
  for (std::uint64_t id : {4u, 5u, 77u}) {  // hidden, other realm, unknown
    auto miss = call_get(reg, "r", array{id}, {});
    BOOST_REQUIRE(!miss.ok());
    BOOST_TEST(miss.error().uri == uri::no_such_session);
    BOOST_TEST(miss.error().message.find(std::to_string(id)) != std::string::npos);
  }
  BOOST_TEST(call_get(reg, "r", array{2.0}, {}).ok());  // an exact integer sent as float
}

BOOST_AUTO_TEST_CASE(get_rejects_bad_ids) {
  registry reg = sample();
  expect_invalid(call_get(reg, "r", {}, {}), "exactly one positional");
  expect_invalid(call_get(reg, "r", array{1, 2}, {}), "exactly one positional");
  expect_invalid(call_get(reg, "r", array{0}, {}), "from 1 to 2^53, got integer 0");
  expect_invalid(call_get(reg, "r", array{std::int64_t{-3}}, {}), "got integer -3");
  expect_invalid(call_get(reg, "r", array{(std::uint64_t{1} << 53) + 1}, {}), "from 1 to 2^53");
  expect_invalid(call_get(reg, "r", array{"12"}, {}), "got string \"12\"");
  expect_invalid(call_get(reg, "r", array{1.5}, {}), "got float");
  expect_invalid(call_get(reg, "r", array{value()}, {}), "got null");
  expect_invalid(call_get(reg, "r", array{1}, object{{"x", 1}}), "unknown keyword argument 'x'");
}

BOOST_AUTO_TEST_SUITE_END()
