// Writes the seed corpus of fuzz_decode into a directory: valid hooks, snapshot pages, sync results and call
// arguments as the router and clients send them, and near-misses of each (one thing wrong).
//   make_corpus DIR
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <utility>

#include <msgpack.hpp>

#include "wamp_metad/core/value.hpp"
#include "wamp_metad/protocol/encode.hpp"

namespace {

namespace core = wamp_metad::core;
using core::array;
using core::object;
using core::value;
using packer = msgpack::packer<msgpack::sbuffer>;

std::string dir;
int written = 0;
bool failed = false;

void write(const std::string& name, const char* data, std::size_t size) {
  std::ofstream f(dir + "/" + name, std::ios::binary | std::ios::trunc);
  f.write(data, static_cast<std::streamsize>(size));
  if (!f) {
    std::fprintf(stderr, "make_corpus: cannot write %s/%s\n", dir.c_str(), name.c_str());
    failed = true;
  }
  ++written;
}

void seed(const std::string& name, const value& v) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, v);
  write(name, buf.data(), buf.size());
}

// For what core::value cannot say (ext types, float32, non-string keys, signed encodings of positive numbers).
void seed_raw(const std::string& name, const std::function<void(packer&, msgpack::sbuffer&)>& build) {
  msgpack::sbuffer buf;
  packer pk(buf);
  build(pk, buf);
  write(name, buf.data(), buf.size());
}

// Floats written byte by byte: msgpack-cxx's pack_double / pack_float write a float with an integral value as
// an integer.
void raw_double(msgpack::sbuffer& buf, double d) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  char out[9] = {static_cast<char>(0xcb)};
  for (int i = 0; i < 8; ++i)
    out[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
  buf.write(out, sizeof out);
}

void raw_float(msgpack::sbuffer& buf, float f) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  char out[5] = {static_cast<char>(0xca)};
  for (int i = 0; i < 4; ++i)
    out[1 + i] = static_cast<char>((bits >> (24 - 8 * i)) & 0xff);
  buf.write(out, sizeof out);
}

object transport() {
  return object{{"type", "websocket"}, {"serializer", "msgpack"}, {"peer", "tcp4:127.0.0.1:50123"}};
}

object info(std::uint64_t id, const std::string& realm = "realm1", const std::string& authrole = "user") {
  return object{{"realm", realm},          {"session", id},          {"authid", "alice"},
                {"authrole", authrole},    {"authmethod", "ticket"}, {"authprovider", "static"},
                {"transport", transport()}};
}

object positioned(object o, std::uint64_t seq, const std::string& epoch = "0123456789abcdef") {
  o.emplace_back("epoch", epoch);
  o.emplace_back("seq", seq);
  return o;
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

value page(array sessions, std::uint64_t seq, const char* cursor) {
  object p{{"epoch", "0123456789abcdef"}, {"seq", seq}, {"sessions", std::move(sessions)}};
  if (cursor) p.emplace_back("next_cursor", cursor);
  return array{value(std::move(p))};
}

value nested(int levels) {
  value v = "leaf";
  for (int i = 0; i < levels; ++i)
    v = array{v};
  return v;
}

constexpr std::uint64_t max_id = std::uint64_t{1} << 53;

void valid_seeds() {
  // Hooks.
  seed("hook_joined", array{positioned(info(4242), 7)});
  seed("hook_left_full", array{positioned(info(4242), 8)});
  seed("hook_left_minimal", array{positioned(object{{"realm", "realm1"}, {"session", 4242}}, 9)});
  seed("hook_no_position", array{info(17)});
  seed("hook_hidden_role", array{positioned(info(5, "realm1", "metad"), 3)});
  seed("hook_internal_realm", array{positioned(info(6, "router.internal", "metad"), 4)});
  seed("hook_max_id", array{positioned(info(max_id), 1)});
  seed("hook_max_seq", array{positioned(info(1), std::numeric_limits<std::uint64_t>::max())});
  seed("hook_authextra", array{positioned(with(info(77), "authextra",
                                               object{{"tags", array{"a", "b"}},
                                                      {"n", -3},
                                                      {"big", std::numeric_limits<std::uint64_t>::max()},
                                                      {"ok", true},
                                                      {"none", nullptr},
                                                      {"blob", core::binary{{0, 1, 2, 255}}},
                                                      {"nested", object{{"x", array{array{}, object{}}}}}}),
                                          11)});
  seed("hook_extra_keys", array{positioned(with(with(info(78), "future_key", array{1, 2}), "transport",
                                                object{{"type", "rawsocket"},
                                                       {"serializer", "json"},
                                                       {"peer", "tcp6:[::1]:4000"},
                                                       {"http_headers", object{{"cookie", "secret"}}}}),
                                           12),
                                object{}});
  // Hook protocol v2: registration and subscription hooks, and a snapshot page with their lists.
  const object registration{{"id", 31},
                            {"uri", "com.example."},
                            {"match", "prefix"},
                            {"invoke", "single"},
                            {"created", "2026-11-30T10:00:00.000Z"}};
  const object subscription{
      {"id", 32}, {"uri", "com..news"}, {"match", "wildcard"}, {"created", "2026-11-30T10:00:00.000Z"}};
  const auto member = [](const char* key, value v) { return object{{"realm", "realm1"}, {"session", 4242}, {key, v}}; };
  seed("hook_registered", array{positioned(member("registration", registration), 14)});
  seed("hook_unregistered", array{positioned(member("registration", 31), 15)});
  seed("hook_subscribed", array{positioned(member("subscription", subscription), 16)});
  seed("hook_unsubscribed", array{positioned(member("subscription", 32), 17)});
  seed("hook_subscribed_bad_match", array{positioned(member("subscription", with(subscription, "match", "glob")), 18)});
  seed("hook_nil_fields", array{positioned(with(with(info(79), "authid", nullptr), "transport", nullptr), 13)});

  // Snapshot pages.
  seed("page_first", page(array{info(1), info(2, "realm1", "admin"), info(3, "realm2")}, 40, "cursor-1"));
  seed("page_last", page(array{info(4), info(5, "realm1", "metad"), info(6, "router.internal")}, 40, nullptr));
  {
    value v2 = page(array{info(1), info(2)}, 41, nullptr);
    auto& p = *(*v2.get_if<array>())[0].get_if<object>();
    p.emplace_back("protocol", 2);
    p.emplace_back("registrations", array{value(with(with(registration, "realm", "realm1"), "callees", array{1}))});
    p.emplace_back("subscriptions",
                   array{value(with(with(subscription, "realm", "realm1"), "subscribers", array{1, 2}))});
    seed("page_v2", v2);
  }
  {
    // router.meta.catch_up: the state at `at`, the realm's hooks since (a registration made and deleted
    // again, a session that joined and left), and the told position.
    value c = page(array{info(1), info(2)}, 44, nullptr);
    auto& p = *(*c.get_if<array>())[0].get_if<object>();
    p.emplace_back("at", 39);
    p.emplace_back("skip", 1);
    p.emplace_back("told", array{40, 0});
    p.emplace_back("registrations", array{value(with(with(registration, "realm", "realm1"), "callees", array{1}))});
    p.emplace_back("subscriptions", array{});
    p.emplace_back(
        "hooks",
        array{
            array{"router.session.joined", positioned(info(3), 40)},
            array{"router.registration.registered",
                  positioned(
                      object{{"realm", "realm1"}, {"session", 3}, {"registration", with(registration, "id", 33)}}, 41)},
            array{"router.registration.unregistered",
                  positioned(object{{"realm", "realm1"}, {"session", 3}, {"registration", 33}}, 42)},
            array{"router.session.left", positioned(info(3), 43)},
            array{"router.subscription.subscribed", positioned(member("subscription", subscription), 44)}});
    seed("catch_up_page", c);
  }
  seed("page_empty", page(array{}, 0, nullptr));
  seed("page_duplicates", page(array{info(1), with(info(1), "authrole", "admin"), info(1, "realm2")}, 2, nullptr));
  seed("page_no_position", array{object{{"sessions", array{info(8)}}}});
  seed("page_authextra", page(array{with(info(9), "authextra", object{{"k", array{1, "v"}}})}, 5, nullptr));

  // Sync results.
  seed("sync", array{"0123456789abcdef", 41});
  seed("sync_zero", array{"0123456789abcdef", 0});
  seed("sync_max", array{"e", std::numeric_limits<std::uint64_t>::max()});

  // Call arguments of wamp.session.count / list / get: Arguments, ArgumentsKw, [Arguments, ArgumentsKw].
  seed("args_empty", array{});
  seed("args_filter", array{array{"user"}});
  seed("args_filter_many", array{array{"user", "admin", "user", "", "metad"}});
  seed("args_filter_empty", array{array{}});
  seed("args_filter_null", array{nullptr});
  seed("args_get", array{1});
  seed("args_get_max", array{max_id});
  seed("kwargs_filter", object{{"filter_authroles", array{"admin"}}});
  seed("pair_kwargs_filter", array{array{}, object{{"filter_authroles", array{"user"}}}});
  seed("pair_get", array{array{2}, object{}});
  seed("nil", value{});
}

void near_misses() {
  // Session info, one field wrong.
  seed("bad_session_zero", array{positioned(info(0), 1)});
  seed("bad_session_too_big", array{positioned(info(max_id + 1), 1)});
  seed("bad_session_negative", array{positioned(with(info(1), "session", -1), 1)});
  seed("bad_session_string", array{positioned(with(info(1), "session", "1"), 1)});
  seed("bad_realm_empty", array{positioned(info(1, ""), 1)});
  seed("bad_realm_missing", array{positioned(without(info(1), "realm"), 1)});
  seed("bad_session_missing", array{positioned(without(info(1), "session"), 1)});
  seed("bad_authid_int", array{positioned(with(info(1), "authid", 5), 1)});
  seed("bad_transport_list", array{positioned(with(info(1), "transport", array{"websocket"}), 1)});
  seed("bad_peer_int", array{positioned(with(info(1), "transport", object{{"peer", 1}}), 1)});
  seed("bad_epoch_only", array{with(info(1), "epoch", "e")});
  seed("bad_seq_only", array{with(info(1), "seq", 1)});
  seed("bad_seq_zero", array{positioned(info(1), 0)});
  seed("bad_seq_negative", array{with(with(info(1), "epoch", "e"), "seq", -2)});
  seed("bad_epoch_empty", array{positioned(info(1), 1, "")});
  seed("bad_hook_empty", array{});
  seed("bad_hook_not_list", info(1));
  seed("bad_info_not_dict", array{"info"});
  seed("bad_authextra_deep", array{positioned(with(info(1), "authextra", nested(40)), 1)});
  seed("bad_authextra_long", array{positioned(with(info(1), "authextra", std::string(64 * 1024 + 1, 'x')), 1)});
  seed_raw("bad_int_key", [](packer& pk, msgpack::sbuffer&) {
    pk.pack_array(1);
    pk.pack_map(3);
    pk.pack("realm");
    pk.pack("realm1");
    pk.pack("session");
    pk.pack(1);
    pk.pack(7);
    pk.pack("seven");
  });
  seed_raw("session_float", [](packer& pk, msgpack::sbuffer& buf) {  // an encoder that writes ids as float64: accepted
    pk.pack_array(1);
    pk.pack_map(2);
    pk.pack("realm");
    pk.pack("realm1");
    pk.pack("session");
    raw_float(buf, 1.0f);
  });
  seed_raw("session_fraction", [](packer& pk, msgpack::sbuffer& buf) {
    pk.pack_array(1);
    pk.pack_map(2);
    pk.pack("realm");
    pk.pack("realm1");
    pk.pack("session");
    raw_double(buf, 1.5);
  });
  seed_raw("authextra_ext", [](packer& pk, msgpack::sbuffer&) {
    pk.pack_array(1);
    pk.pack_map(3);
    pk.pack("realm");
    pk.pack("realm1");
    pk.pack("session");
    pk.pack(3);
    pk.pack("authextra");
    pk.pack_ext(2, 1);
    pk.pack_ext_body("\x01\x02", 2);
  });
  seed_raw("signed_positive_seq", [](packer& pk, msgpack::sbuffer&) {  // int8 encoding of a positive number
    pk.pack_array(2);
    pk.pack("e");
    pk.pack_fix_int8(5);
  });

  // Snapshot pages.
  seed("bad_page_no_sessions", array{object{{"epoch", "e"}, {"seq", 1}}});
  seed("bad_page_sessions_dict", array{object{{"epoch", "e"}, {"seq", 1}, {"sessions", object{}}}});
  seed("bad_page_cursor_empty", page(array{info(1)}, 1, ""));
  seed("bad_page_cursor_int", array{object{{"sessions", array{}}, {"next_cursor", 3}}});
  seed("bad_page_bad_session", page(array{info(1), info(0)}, 1, nullptr));
  seed("bad_page_not_dict", array{array{}});

  // Sync.
  seed("bad_sync_short", array{"e"});
  seed("bad_sync_epoch_empty", array{"", 1});
  seed("bad_sync_seq_float", array{"e", 1.5});

  // Call arguments.
  seed("bad_args_filter_string", array{"user"});
  seed("bad_args_filter_mixed", array{array{"user", 1}});
  seed("bad_args_two", array{array{}, array{}, 1});
  seed("bad_kwargs_unknown", array{array{}, object{{"filter", array{}}}});
  seed("bad_kwargs_both", array{array{array{"user"}}, object{{"filter_authroles", array{"user"}}}});
  seed("bad_get_zero", array{0});
  seed("bad_get_negative", array{-1});
  seed("bad_get_string", array{"1"});
  seed_raw("bad_dict_int_keys", [](packer& pk, msgpack::sbuffer&) {
    pk.pack_map(1);
    pk.pack(1);
    pk.pack(2);
  });

  // Floats: msgpack must carry them exactly.
  seed_raw("float_integral", [](packer& pk, msgpack::sbuffer& buf) {
    pk.pack_array(4);
    raw_double(buf, 1.0);
    raw_double(buf, -0.0);
    raw_float(buf, 2.0f);
    raw_double(buf, 4503599627370496.0);
  });
  seed_raw("float_out_of_integer_range", [](packer& pk, msgpack::sbuffer& buf) {
    pk.pack_array(2);
    raw_double(buf, 18446744073709551616.0);  // 2^64
    raw_double(buf, -9223372036854775808.0);  // -2^63
  });
  seed_raw("float_fractions", [](packer& pk, msgpack::sbuffer& buf) {
    pk.pack_array(3);
    raw_double(buf, 0.5);
    raw_double(buf, std::numeric_limits<double>::quiet_NaN());
    raw_double(buf, -std::numeric_limits<double>::infinity());
  });
  seed_raw("float_get_id", [](packer& pk, msgpack::sbuffer& buf) {
    pk.pack_array(1);
    raw_double(buf, 9007199254740992.0);
  });

  // Not msgpack at all, or cut short.
  write("truncated_hook", "\x91\x82\xa5realm\xa6realm1\xa7session", 23);
  write("truncated_array32", "\xdd\x00\x01\x00\x00", 5);
  write("reserved_byte", "\xc1", 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  valid_seeds();
  near_misses();
  if (failed) return 1;
  std::printf("make_corpus: %d seeds in %s\n", written, dir.c_str());
  return 0;
}
