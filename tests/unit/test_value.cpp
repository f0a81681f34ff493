#include <boost/test/unit_test.hpp>

#include "support.hpp"
#include "wamp_metad/core/session.hpp"
#include "wamp_metad/core/value.hpp"

using namespace wamp_metad::core;

BOOST_AUTO_TEST_SUITE(value_and_details)

BOOST_AUTO_TEST_CASE(integers_compare_across_signedness) {
  BOOST_TEST((value(std::int64_t{5}) == value(std::uint64_t{5})));
  BOOST_TEST((value(std::int64_t{-5}) != value(std::uint64_t{5})));
  BOOST_TEST((value("x") != value(1)));
  BOOST_TEST((value(object{{"a", 1}}) == value(object{{"a", std::uint64_t{1}}})));
}

BOOST_AUTO_TEST_CASE(details_carry_spec_keys_realm_and_transport_only) {
  session_record s = test_support::rec("realm1", 42, "user", "alice");
  value d = details(s);
  const object* o = d.get_if<object>();
  BOOST_REQUIRE(o);
  std::vector<std::string> keys;
  for (const auto& [k, v] : *o)
    keys.push_back(k);
  const std::vector<std::string> want{"session",      "authid", "authrole", "authmethod",
                                      "authprovider", "realm",  "transport"};
  BOOST_TEST(keys == want, boost::test_tools::per_element());
  BOOST_TEST((*d.find("session") == value(std::uint64_t{42})));
  BOOST_TEST((*d.find("authid") == value("alice")));
  const value* t = d.find("transport");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->get_if<object>()->size() == 3u);
  BOOST_TEST((*t->find("type") == value("websocket")));
}

BOOST_AUTO_TEST_CASE(details_include_authextra_when_present) {
  session_record s = test_support::rec("realm1", 1);
  s.authextra = value(object{{"k", "v"}});
  value d = details(s);
  BOOST_REQUIRE(d.find("authextra"));
  BOOST_TEST((*d.find("authextra") == value(object{{"k", "v"}})));
}

BOOST_AUTO_TEST_CASE(on_leave_is_session_authid_authrole) {
  array a = on_leave_arguments(test_support::rec("r", 7, "admin", "bob"));
  BOOST_TEST(a.size() == 3u);
  BOOST_TEST((a[0] == value(std::uint64_t{7})));
  BOOST_TEST((a[1] == value("bob")));
  BOOST_TEST((a[2] == value("admin")));
}

BOOST_AUTO_TEST_CASE(type_names_for_messages) {
  BOOST_TEST(std::string(type_name(value())) == "null");
  BOOST_TEST(std::string(type_name(value(array{}))) == "list");
  BOOST_TEST(std::string(type_name(value(object{}))) == "dict");
  BOOST_TEST(std::string(type_name(value(1.5))) == "float");
}

BOOST_AUTO_TEST_SUITE_END()
