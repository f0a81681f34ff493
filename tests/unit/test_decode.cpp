#include <boost/test/unit_test.hpp>

#include <functional>

#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"
#include "wamp_metad/protocol/encode.hpp"

using namespace wamp_metad;
using core::array;
using core::object;
using core::value;

namespace {

// Packs with msgpack's own packer and unpacks again, as bytes from the wire would arrive.
struct wire {
  msgpack::object_handle handle;
  const msgpack::object& get() const { return handle.get(); }
};

wire from_value(const value& v) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, v);
  return wire{msgpack::unpack(buf.data(), buf.size())};
}

wire from_packer(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& write) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  write(pk);
  return wire{msgpack::unpack(buf.data(), buf.size())};
}

object good_info() {
  return object{{"realm", "realm1"},
                {"session", std::uint64_t{4242}},
                {"authid", "alice"},
                {"authrole", "user"},
                {"authmethod", "ticket"},
                {"authprovider", "static"},
                {"transport", object{{"type", "websocket"}, {"serializer", "json"}, {"peer", "tcp4:127.0.0.1:5000"}}},
                {"epoch", "abc"},
                {"seq", std::uint64_t{7}}};
}

object with(object o, const std::string& key, value v) {
  for (auto& [k, old] : o)
    if (k == key) {
      old = std::move(v);
      return o;
    }
  o.emplace_back(key, std::move(v));
  return o;
}

object without(object o, const std::string& key) {
  object out;
  for (auto& kv : o)
    if (kv.first != key) out.push_back(std::move(kv));
  return out;
}

value nested(int levels) {
  value v = "leaf";
  for (int i = 0; i < levels; ++i)
    v = array{v};
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(decoding)

BOOST_AUTO_TEST_CASE(a_good_joined_hook) {
  auto w = from_value(array{good_info()});
  auto ev = protocol::decode_hook(core::hook_kind::joined, w.get());
  BOOST_REQUIRE_MESSAGE(ev.ok(), (ev.ok() ? "" : ev.error().message));
  const auto& s = ev.value().session;
  BOOST_TEST(s.realm == "realm1");
  BOOST_TEST(s.id.value == 4242u);
  BOOST_TEST(s.authid == "alice");
  BOOST_TEST(s.transport.peer == "tcp4:127.0.0.1:5000");
  BOOST_REQUIRE(ev.value().position);
  BOOST_TEST(ev.value().position->epoch == "abc");
  BOOST_TEST(ev.value().position->seq == 7u);
  BOOST_TEST(!s.authextra);
}

BOOST_AUTO_TEST_CASE(a_minimal_left_hook_and_one_without_position) {
  auto w = from_value(array{object{{"realm", "r"}, {"session", 1}}});
  auto ev = protocol::decode_hook(core::hook_kind::left, w.get());
  BOOST_REQUIRE(ev.ok());
  BOOST_TEST(ev.value().session.authid.empty());
  BOOST_TEST(!ev.value().position);
}

BOOST_AUTO_TEST_CASE(a_quiet_left_hook) {
  auto quiet = protocol::decode_hook(core::hook_kind::left,
                                     from_value(array{object{{"realm", "r"}, {"session", 1}, {"quiet", true}}}).get());
  BOOST_REQUIRE(quiet.ok());
  BOOST_TEST(quiet.value().quiet);
  auto loud =
      protocol::decode_hook(core::hook_kind::left, from_value(array{object{{"realm", "r"}, {"session", 1}}}).get());
  BOOST_REQUIRE(loud.ok());
  BOOST_TEST(!loud.value().quiet);
  auto bad = protocol::decode_hook(core::hook_kind::left,
                                   from_value(array{object{{"realm", "r"}, {"session", 1}, {"quiet", "yes"}}}).get());
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message.find("quiet must be a boolean") != std::string::npos, bad.error().message);
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_tolerated_and_never_leak) {
  object info = with(good_info(), "cookie", "secret=1");
  info = with(info, "transport",
              object{{"type", "websocket"},
                     {"serializer", "json"},
                     {"peer", "tcp4:1.2.3.4:5"},
                     {"http_headers_received", object{{"cookie", "c"}, {"authorization", "Bearer x"}}},
                     {"auth", object{{"ticket", "t"}}}});
  auto w = from_value(array{info});
  auto ev = protocol::decode_hook(core::hook_kind::joined, w.get());
  BOOST_REQUIRE(ev.ok());
  value d = core::details(ev.value().session);
  const value* t = d.find("transport");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->get_if<object>()->size() == 3u);
  BOOST_TEST(!d.find("cookie"));
  BOOST_TEST(!t->find("http_headers_received"));
  BOOST_TEST(!t->find("auth"));
}

BOOST_AUTO_TEST_CASE(authextra_is_kept_as_a_value) {
  auto w = from_value(array{with(good_info(), "authextra", object{{"device", "x1"}, {"n", array{1, 2}}})});
  auto ev = protocol::decode_hook(core::hook_kind::joined, w.get());
  BOOST_REQUIRE(ev.ok());
  BOOST_REQUIRE(ev.value().session.authextra);
  BOOST_TEST((*ev.value().session.authextra == value(object{{"device", "x1"}, {"n", array{1, 2}}})));
}

// Every malformed hook gives an error naming the problem; none throws or crashes.
BOOST_AUTO_TEST_CASE(malformed_hooks_table) {
  struct bad {
    const char* name;
    value args;
    const char* fragment;
  };
  const std::string big(64 * 1024 + 1, 'x');
  const std::vector<bad> table{
      {"args not a list", value(good_info()), "must be a list"},
      {"args empty", value(array{}), "empty list"},
      {"args a string", value("x"), "must be a list"},
      {"args null", value(), "must be a list"},
      {"info not a dict", value(array{"x"}), "must be a dict, got string"},
      {"info a list", value(array{array{1}}), "must be a dict, got list"},
      {"info an integer", value(array{5}), "must be a dict, got integer"},
      {"no realm", value(array{without(good_info(), "realm")}), "has no realm"},
      {"no session", value(array{without(good_info(), "session")}), "has no session"},
      {"realm empty", value(array{with(good_info(), "realm", "")}), "must not be empty"},
      {"realm an integer", value(array{with(good_info(), "realm", 3)}), "realm must be a string, got integer"},
      {"realm a list", value(array{with(good_info(), "realm", array{})}), "realm must be a string, got list"},
      {"realm too long", value(array{with(good_info(), "realm", big)}), "more than 65536"},
      {"session negative", value(array{with(good_info(), "session", std::int64_t{-1})}), "got -1"},
      {"session zero", value(array{with(good_info(), "session", 0)}), "got 0"},
      {"session above 2^53", value(array{with(good_info(), "session", (std::uint64_t{1} << 53) + 1)}), "1 to 2^53"},
      {"session max u64", value(array{with(good_info(), "session", ~std::uint64_t{0})}), "1 to 2^53"},
      {"session a string", value(array{with(good_info(), "session", "12")}), "got string"},
      {"session a fraction", value(array{with(good_info(), "session", 1.5)}), "got float"},
      {"session null", value(array{with(good_info(), "session", value())}), "got nil"},
      {"authid an integer", value(array{with(good_info(), "authid", 1)}), "authid must be a string"},
      {"authrole a dict", value(array{with(good_info(), "authrole", object{})}), "authrole must be a string"},
      {"authmethod a bool", value(array{with(good_info(), "authmethod", true)}), "authmethod must be a string"},
      {"authprovider binary", value(array{with(good_info(), "authprovider", core::binary{{1}})}), "must be a string"},
      {"authid too long", value(array{with(good_info(), "authid", big)}), "bytes long"},
      {"transport a string", value(array{with(good_info(), "transport", "ws")}), "transport must be a dict"},
      {"transport.peer an integer", value(array{with(good_info(), "transport", object{{"peer", 1}})}),
       "peer must be a string"},
      {"epoch without seq", value(array{without(good_info(), "seq")}), "epoch without seq"},
      {"seq without epoch", value(array{without(good_info(), "epoch")}), "seq without epoch"},
      {"epoch empty", value(array{with(good_info(), "epoch", "")}), "epoch must not be empty"},
      {"epoch an integer", value(array{with(good_info(), "epoch", 5)}), "epoch must be a string"},
      {"seq negative", value(array{with(good_info(), "seq", std::int64_t{-4})}), "seq must be a non-negative"},
      {"seq a string", value(array{with(good_info(), "seq", "7")}), "seq must be a non-negative"},
      {"seq zero", value(array{with(good_info(), "seq", 0)}), "1 or more"},
      {"authextra too deep", value(array{with(good_info(), "authextra", nested(40))}), "nested deeper than 32"},
      {"authextra string too long", value(array{with(good_info(), "authextra", object{{"k", big}})}),
       "more than 65536"},
  };
  BOOST_TEST(table.size() >= 30u);
  for (const auto& b : table) {
    auto w = from_value(b.args);
    auto ev = protocol::decode_hook(core::hook_kind::joined, w.get());
    BOOST_TEST_CONTEXT(b.name) {
      BOOST_REQUIRE(!ev.ok());
      BOOST_TEST(ev.error().uri == uri::invalid_argument);
      BOOST_TEST(ev.error().message.find(b.fragment) != std::string::npos, ev.error().message);
    }
  }
}

BOOST_AUTO_TEST_CASE(non_string_keys_and_extensions_are_rejected) {
  auto int_key = from_packer([](auto& pk) {
    pk.pack_array(1);
    pk.pack_map(2);
    pk.pack(std::string("realm"));
    pk.pack(std::string("r"));
    pk.pack(5);
    pk.pack(6);
  });
  auto ev = protocol::decode_hook(core::hook_kind::joined, int_key.get());
  BOOST_REQUIRE(!ev.ok());
  BOOST_TEST(ev.error().message.find("keys must be strings") != std::string::npos);

  auto ext = from_packer([](auto& pk) {
    pk.pack_array(1);
    pk.pack_ext(1, 3);
    pk.pack_ext_body("abc", 1);
  });
  auto v = protocol::to_value(ext.get());
  BOOST_REQUIRE(!v.ok());
  BOOST_TEST(v.error().message.find("extension") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(huge_and_deep_values_are_bounded) {
  protocol::limits lim;
  lim.max_nodes = 1000;
  array many(2000, value(1));
  auto w = from_value(array{many});
  auto a = protocol::to_args(w.get(), lim);
  BOOST_REQUIRE(!a.ok());
  BOOST_TEST(a.error().message.find("more than allowed") != std::string::npos, a.error().message);
  auto d = from_value(nested(100));
  BOOST_TEST(!protocol::to_value(d.get()).ok());
  BOOST_TEST(protocol::to_value(from_value(nested(31)).get()).ok());
}

BOOST_AUTO_TEST_CASE(args_and_kwargs_shapes) {
  BOOST_TEST(protocol::to_args(from_value(value()).get()).ok());  // absent reads as []
  BOOST_TEST(protocol::to_kwargs(from_value(value()).get()).ok());
  auto a = protocol::to_args(from_value(object{}).get());
  BOOST_REQUIRE(!a.ok());
  BOOST_TEST(a.error().message == "Arguments must be a list, got dict");
  auto k = protocol::to_kwargs(from_value(array{}).get());
  BOOST_REQUIRE(!k.ok());
  BOOST_TEST(k.error().message == "ArgumentsKw must be a dict, got list");
  auto ok = protocol::to_kwargs(from_value(object{{"filter_authroles", array{"a"}}}).get());
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(ok.value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(snapshot_pages) {
  object page{{"epoch", "e"},
              {"seq", 3},
              {"sessions", array{good_info(), without(without(good_info(), "epoch"), "seq")}},
              {"next_cursor", "c1"}};
  auto p = protocol::decode_snapshot_page(from_value(array{page}).get());
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
  BOOST_TEST(p.value().sessions.size() == 2u);
  BOOST_TEST(*p.value().next_cursor == "c1");
  BOOST_TEST(p.value().position->seq == 3u);  // seq 0 is valid for a snapshot: nothing published yet

  BOOST_TEST(p.value().recently_left.empty());
  auto with_left = protocol::decode_snapshot_page(from_value(array{with(page, "left", array{good_info()})}).get());
  BOOST_REQUIRE(with_left.ok());
  BOOST_TEST(with_left.value().recently_left.size() == 1u);
  BOOST_TEST(with_left.value().recently_left[0].authid == "alice");

  auto last = protocol::decode_snapshot_page(from_value(array{without(page, "next_cursor")}).get());
  BOOST_REQUIRE(last.ok());
  BOOST_TEST(!last.value().next_cursor);

  struct bad {
    value args;
    const char* fragment;
  };
  const std::vector<bad> table{
      {value(object{}), "must be a list [page]"},
      {value(array{}), "must be a list [page]"},
      {value(array{"x"}), "page must be a dict"},
      {value(array{without(page, "sessions")}), "has no sessions"},
      {value(array{with(page, "sessions", object{})}), "sessions must be a list, got dict"},
      {value(array{with(page, "sessions", array{1})}), "sessions[0] must be a dict"},
      {value(array{with(page, "sessions", array{good_info(), without(good_info(), "realm")})}),
       "sessions[1] has no realm"},
      {value(array{with(page, "next_cursor", 5)}), "next_cursor must be a string"},
      {value(array{with(page, "left", "x")}), "left must be a list, got string"},
      {value(array{with(page, "left", array{object{}})}), "left[0] has no realm"},
      {value(array{with(page, "next_cursor", "")}), "next_cursor must not be empty"},
      {value(array{with(page, "seq", "x")}), "seq must be a non-negative"},
  };
  for (const auto& b : table) {
    auto r = protocol::decode_snapshot_page(from_value(b.args).get());
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find(b.fragment) != std::string::npos, r.error().message);
  }
}

BOOST_AUTO_TEST_CASE(sync_results) {
  auto p = protocol::decode_sync(from_value(array{"e", 0}).get());
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p.value().seq == 0u);
  BOOST_TEST(!protocol::decode_sync(from_value(array{"e"}).get()).ok());
  BOOST_TEST(!protocol::decode_sync(from_value(array{1, 2}).get()).ok());
  BOOST_TEST(!protocol::decode_sync(from_value(array{"e", -1}).get()).ok());
  BOOST_TEST(!protocol::decode_sync(from_value(array{"", 1}).get()).ok());
}

BOOST_AUTO_TEST_CASE(floats_read_as_they_will_leave) {
  // msgpack-c's packer writes 1.0 as the integer 1: the decoder reads it so already.
  auto w = from_packer([](auto& pk) {
    pk.pack_array(4);
    pk.pack_double(1.0);   // written as an integer by the packer itself
    pk.pack_double(-2.0);  // likewise
    pk.pack_double(2.5);
    pk.pack_double(1e300);
  });
  auto v = protocol::to_value(w.get());
  BOOST_REQUIRE(v.ok());
  const array& a = *v.value().get_if<array>();
  BOOST_TEST(a[0].is<std::uint64_t>());
  BOOST_TEST(a[1].is<std::int64_t>());
  BOOST_TEST(a[2].is<double>());
  BOOST_TEST(a[3].is<double>());
  // Floats that hold integers, as another encoder sends them (0xcb + 8 bytes), read as integers too; 2^64,
  // which msgpack-c's packer would convert with undefined behaviour, is refused with a message.
  const unsigned char raw[] = {0x92, 0xcb, 0x40, 0x08, 0, 0, 0, 0, 0, 0, 0xcb, 0x43, 0xf0, 0, 0, 0, 0, 0, 0};
  msgpack::object_handle both = msgpack::unpack(reinterpret_cast<const char*>(raw), sizeof raw);
  auto first = protocol::to_value(both.get().via.array.ptr[0]);
  BOOST_REQUIRE(first.ok());
  BOOST_TEST((first.value() == value(std::uint64_t{3})));
  auto big = protocol::to_value(both.get().via.array.ptr[1]);
  BOOST_REQUIRE(!big.ok());
  BOOST_TEST(big.error().message.find("2^64") != std::string::npos, big.error().message);
}

BOOST_AUTO_TEST_CASE(values_round_trip_through_msgpack) {
  const value v = object{{"n", value()},
                         {"b", true},
                         {"i", std::int64_t{-5}},
                         {"u", std::uint64_t{1} << 53},
                         {"d", 2.5},
                         {"neg", -0.25},
                         {"s", "text"},
                         {"bin", core::binary{{0, 1, 255}}},
                         {"a", array{1, "x", array{}}},
                         {"o", object{{"k", object{}}}}};
  auto w = from_value(v);
  auto back = protocol::to_value(w.get());
  BOOST_REQUIRE(back.ok());
  BOOST_TEST((back.value() == v));
  // And through msgpack::object with a zone, the way the WAMP library builds its messages.
  msgpack::zone zone;
  msgpack::object o(v, zone);
  auto again = protocol::to_value(o);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST((again.value() == v));
  // 53-bit ids stay integers.
  BOOST_TEST(w.get().via.map.ptr[3].val.type == msgpack::type::POSITIVE_INTEGER);
}

BOOST_AUTO_TEST_SUITE_END()

// Hook protocol v2: the registration and subscription hooks, and the snapshot's lists.
BOOST_AUTO_TEST_SUITE(decode_v2)

namespace {

object v2_info(const char* key, value observation) {
  return object{{"realm", "realm1"},
                {"session", std::uint64_t{4242}},
                {key, std::move(observation)},
                {"epoch", "abc"},
                {"seq", std::uint64_t{9}}};
}

object registration() {
  return object{{"id", std::uint64_t{77}},
                {"uri", "com.example."},
                {"match", "prefix"},
                {"invoke", "roundrobin"},
                {"created", "2026-11-30T10:00:00.000Z"}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(registration_and_subscription_hooks) {
  auto w = from_value(array{v2_info("registration", registration())});
  auto ev = protocol::decode_hook(core::hook_kind::registered, w.get());
  BOOST_REQUIRE(ev.ok());
  BOOST_TEST(ev.value().session.id.value == 4242u);
  BOOST_TEST(ev.value().session.realm == "realm1");
  BOOST_TEST((ev.value().observation->kind == core::observation_kind::registration));
  BOOST_TEST(ev.value().observation->id == 77u);
  BOOST_TEST(ev.value().observation->uri == "com.example.");
  BOOST_TEST((ev.value().observation->match == core::match_policy::prefix));
  BOOST_TEST(ev.value().observation->invoke == "roundrobin");
  BOOST_TEST(ev.value().position->seq == 9u);

  auto gone = from_value(array{v2_info("subscription", std::uint64_t{78})});
  auto un = protocol::decode_hook(core::hook_kind::unsubscribed, gone.get());
  BOOST_REQUIRE(un.ok());
  BOOST_TEST((un.value().observation->kind == core::observation_kind::subscription));
  BOOST_TEST(un.value().observation->id == 78u);

  const auto error_of = [](core::hook_kind kind, const value& args) {
    auto w = from_value(args);
    auto r = protocol::decode_hook(kind, w.get());
    return r.ok() ? std::string() : r.error().message;
  };
  BOOST_TEST(
      error_of(core::hook_kind::registered, array{without(v2_info("registration", registration()), "registration")})
          .find("has no registration") != std::string::npos);
  BOOST_TEST(
      error_of(core::hook_kind::registered, array{v2_info("registration", with(registration(), "match", "glob"))})
          .find("match must be exact, prefix or wildcard") != std::string::npos);
  BOOST_TEST(error_of(core::hook_kind::subscribed, array{v2_info("subscription", without(registration(), "uri"))})
                 .find("has no uri") != std::string::npos);
  BOOST_TEST(error_of(core::hook_kind::unregistered, array{v2_info("registration", "77")}).find("id") !=
             std::string::npos);
  BOOST_TEST(error_of(core::hook_kind::subscribed, array{v2_info("subscription", with(registration(), "id", -1))})
                 .find("id") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(snapshot_lists) {
  object page{{"epoch", "abc"},
              {"seq", std::uint64_t{3}},
              {"protocol", std::uint64_t{2}},
              {"sessions", array{value(good_info())}},
              {"registrations",
               array{value(with(with(registration(), "realm", "realm1"), "callees", array{std::uint64_t{4242}}))}},
              {"subscriptions", array{}}};
  auto w = from_value(array{value(page)});
  auto p = protocol::decode_snapshot_page(w.get());
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p.value().protocol == 2);
  BOOST_REQUIRE(p.value().observations.size() == 1u);
  BOOST_TEST(p.value().observations[0].realm == "realm1");
  BOOST_TEST(p.value().observations[0].info.id == 77u);
  BOOST_TEST(p.value().observations[0].members.size() == 1u);

  auto v1 = from_value(array{value(without(without(page, "protocol"), "registrations"))});
  BOOST_TEST(protocol::decode_snapshot_page(v1.get()).value().protocol == 1);

  auto bad = from_value(array{value(with(page, "subscriptions", array{value(with(registration(), "realm", "r"))}))});
  auto b = protocol::decode_snapshot_page(bad.get());
  BOOST_REQUIRE(!b.ok());
  BOOST_TEST(b.error().message.find("has no subscribers") != std::string::npos, b.error().message);
  auto no_list = from_value(array{value(with(page, "registrations", "x"))});
  BOOST_TEST(!protocol::decode_snapshot_page(no_list.get()).ok());
}

BOOST_AUTO_TEST_CASE(catch_up_pages) {
  const object session = without(without(good_info(), "epoch"), "seq");
  const auto hook = [](const char* topic, std::uint64_t seq, const char* realm = "realm1") {
    return value(array{topic, with(with(good_info(), "seq", seq), "realm", realm)});
  };
  const object first{{"epoch", "abc"},
                     {"seq", std::uint64_t{12}},
                     {"at", std::uint64_t{6}},
                     {"skip", std::uint64_t{1}},
                     {"told", array{std::uint64_t{7}, std::uint64_t{0}}},
                     {"sessions", array{session}},
                     {"registrations", array{}},
                     {"subscriptions", array{}},
                     {"hooks", array{hook(uri::hook_left, 7), hook(uri::hook_joined, 9)}},
                     {"next_cursor", "c1"}};
  auto p = protocol::decode_catch_up_page(from_value(array{first}).get(), "realm1");
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
  BOOST_CHECK_EQUAL(p.value().state.position->seq, 12u);
  BOOST_CHECK_EQUAL(p.value().at, 6u);
  BOOST_CHECK_EQUAL(p.value().skip, 1u);
  BOOST_REQUIRE(p.value().told);
  BOOST_CHECK_EQUAL(p.value().told->first, 7u);
  BOOST_CHECK_EQUAL(p.value().state.sessions.size(), 1u);
  BOOST_REQUIRE_EQUAL(p.value().hooks.size(), 2u);
  BOOST_CHECK(p.value().hooks[0].kind == core::hook_kind::left);
  BOOST_CHECK_EQUAL(p.value().hooks[1].position->seq, 9u);
  BOOST_CHECK_EQUAL(*p.value().state.next_cursor, "c1");

  // Each of these is refused with a message saying what is wrong.
  const std::pair<object, const char*> bad[] = {
      {without(first, "hooks"), "no hooks"},
      {with(first, "hooks", array{hook("router.session.other", 8)}), "unknown hook topic"},
      {with(first, "hooks", array{hook(uri::hook_joined, 8, "realm2")}), "not 'realm1'"},
      {with(first, "hooks", array{hook(uri::hook_joined, 9), hook(uri::hook_left, 8)}), "does not follow"},
      {with(first, "hooks", array{array{uri::hook_joined}}), "[topic, info]"},
      {with(first, "hooks", array{array{uri::hook_joined, without(good_info(), "seq")}}), "epoch"},
      {with(first, "told", array{std::uint64_t{7}}), "told"},
      {with(first, "skip", "one"), "skip"},
      {with(first, "at", -1), "at"},
  };
  for (const auto& [page, want] : bad) {
    auto r = protocol::decode_catch_up_page(from_value(array{page}).get(), "realm1");
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_MESSAGE(r.error().message.find(want) != std::string::npos, r.error().message << " lacks " << want);
  }
}

BOOST_AUTO_TEST_SUITE_END()
