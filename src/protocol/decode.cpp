#include "wamp_metad/protocol/decode.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string_view>
#include <tuple>

#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::protocol {
namespace {

using core::call_error;

call_error fail(std::string message) {
  return core::invalid_input(std::move(message));
}

const char* kind_name(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
      return "integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "float";
    case msgpack::type::STR:
      return "string";
    case msgpack::type::BIN:
      return "binary";
    case msgpack::type::ARRAY:
      return "list";
    case msgpack::type::MAP:
      return "dict";
    case msgpack::type::EXT:
      return "extension";
  }
  return "unknown";
}

// msgpack-c's packer, which writes everything wamp-metad sends, turns a float that holds an integer into that
// integer, and converts exactly 2^64 with undefined behaviour. So a float is read the way it will leave:
// 1.0 becomes 1 here already (and the mirror compares what clients will see), 2^64 is refused.
bool read_float(double d, core::value& out, const std::string& where, std::string& err) {
  constexpr double two_to_64 = 18446744073709551616.0;
  constexpr double minus_two_to_63 = -9223372036854775808.0;
  if (d == two_to_64) {
    err = where + ": the float 2^64 cannot be relayed exactly";
    return false;
  }
  if (std::isfinite(d) && std::floor(d) == d) {
    if (d >= 0 && d < two_to_64) {
      out = core::value{static_cast<std::uint64_t>(d)};
      return true;
    }
    if (d < 0 && d >= minus_two_to_63) {
      out = core::value{static_cast<std::int64_t>(d)};
      return true;
    }
  }
  out = core::value{d};
  return true;
}

struct converter {
  const limits& lim;
  std::size_t nodes = 0;

  // Converts `o` into `out`; on failure returns false and fills `err` (with `where` naming the place).
  bool run(const msgpack::object& o, core::value& out, std::size_t depth, const std::string& where, std::string& err) {
    if (++nodes > lim.max_nodes) {
      err = where + ": more than " + std::to_string(lim.max_nodes) + " values";
      return false;
    }
    switch (o.type) {
      case msgpack::type::NIL:
        out = core::value{};
        return true;
      case msgpack::type::BOOLEAN:
        out = core::value{o.via.boolean};
        return true;
      case msgpack::type::POSITIVE_INTEGER:
        out = core::value{static_cast<std::uint64_t>(o.via.u64)};
        return true;
      case msgpack::type::NEGATIVE_INTEGER:
        out = core::value{static_cast<std::int64_t>(o.via.i64)};
        return true;
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64:
        return read_float(o.via.f64, out, where, err);
      case msgpack::type::STR:
        if (o.via.str.size > lim.max_string) {
          err = where + ": string of " + std::to_string(o.via.str.size) + " bytes, more than " +
                std::to_string(lim.max_string);
          return false;
        }
        out = core::value{std::string(o.via.str.ptr, o.via.str.size)};
        return true;
      case msgpack::type::BIN: {
        if (o.via.bin.size > lim.max_string) {
          err = where + ": binary of " + std::to_string(o.via.bin.size) + " bytes, more than " +
                std::to_string(lim.max_string);
          return false;
        }
        const auto* p = reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr);
        out = core::value{core::binary{std::vector<std::uint8_t>(p, p + o.via.bin.size)}};
        return true;
      }
      case msgpack::type::ARRAY: {
        if (depth >= lim.max_depth) {
          err = where + ": nested deeper than " + std::to_string(lim.max_depth);
          return false;
        }
        if (o.via.array.size > lim.max_nodes - nodes) {
          err = where + ": list of " + std::to_string(o.via.array.size) + " items, more than allowed";
          return false;
        }
        core::array a;
        a.resize(o.via.array.size);
        for (std::uint32_t i = 0; i < o.via.array.size; ++i)
          if (!run(o.via.array.ptr[i], a[i], depth + 1, where + "[" + std::to_string(i) + "]", err)) return false;
        out = core::value{std::move(a)};
        return true;
      }
      case msgpack::type::MAP: {
        if (depth >= lim.max_depth) {
          err = where + ": nested deeper than " + std::to_string(lim.max_depth);
          return false;
        }
        if (o.via.map.size > lim.max_nodes - nodes) {
          err = where + ": dict of " + std::to_string(o.via.map.size) + " entries, more than allowed";
          return false;
        }
        core::object m;
        m.reserve(o.via.map.size);
        for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
          const auto& kv = o.via.map.ptr[i];
          if (kv.key.type != msgpack::type::STR) {
            err = where + ": dict key of type " + kind_name(kv.key) + " (keys must be strings)";
            return false;
          }
          if (kv.key.via.str.size > lim.max_string) {
            err = where + ": dict key longer than " + std::to_string(lim.max_string) + " bytes";
            return false;
          }
          std::string key(kv.key.via.str.ptr, kv.key.via.str.size);
          core::value v;
          if (!run(kv.val, v, depth + 1, where + "." + key.substr(0, 64), err)) return false;
          m.emplace_back(std::move(key), std::move(v));
        }
        out = core::value{std::move(m)};
        return true;
      }
      case msgpack::type::EXT:
        err = where + ": msgpack extension types are not accepted";
        return false;
    }
    err = where + ": unknown msgpack type";
    return false;
  }
};

std::string_view key_of(const msgpack::object_kv& kv) {
  return kv.key.type == msgpack::type::STR ? std::string_view(kv.key.via.str.ptr, kv.key.via.str.size)
                                           : std::string_view();
}

// Reads a string field; nil reads as "" (the field is optional).
bool read_string(const msgpack::object& o, const limits& lim, std::string& out, const std::string& where,
                 std::string& err) {
  if (o.type == msgpack::type::NIL) {
    out.clear();
    return true;
  }
  if (o.type != msgpack::type::STR) {
    err = where + " must be a string, got " + kind_name(o);
    return false;
  }
  if (o.via.str.size > lim.max_string) {
    err = where + " is " + std::to_string(o.via.str.size) + " bytes long, more than " + std::to_string(lim.max_string);
    return false;
  }
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

// read_string for the fields of every hook: `where` is a function that makes the field's name, called only for
// an error message.
template <class Where>
bool string_field(const msgpack::object& o, const limits& lim, std::string& out, const Where& where, std::string& err) {
  if (o.type == msgpack::type::STR && o.via.str.size <= lim.max_string) {
    out.assign(o.via.str.ptr, o.via.str.size);
    return true;
  }
  return read_string(o, lim, out, where(), err);
}

bool read_id(const msgpack::object& o, std::uint64_t& out, const std::string& where, std::string& err) {
  if (o.type == msgpack::type::POSITIVE_INTEGER && core::session_id::valid(o.via.u64)) {
    out = o.via.u64;
    return true;
  }
  if ((o.type == msgpack::type::FLOAT64 || o.type == msgpack::type::FLOAT32) && o.via.f64 >= 1 &&
      o.via.f64 <= static_cast<double>(core::max_wamp_id) && std::floor(o.via.f64) == o.via.f64) {
    out = static_cast<std::uint64_t>(o.via.f64);  // an encoder that writes large integers as float64
    return true;
  }
  if (o.type == msgpack::type::POSITIVE_INTEGER || o.type == msgpack::type::NEGATIVE_INTEGER)
    err = where + " must be an id from 1 to 2^53, got " +
          (o.type == msgpack::type::NEGATIVE_INTEGER ? std::to_string(o.via.i64) : std::to_string(o.via.u64));
  else
    err = where + " must be an id from 1 to 2^53, got " + kind_name(o);
  return false;
}

// Reads the optional epoch/seq pair found in `map` (a hook's info, a snapshot page).
bool read_position(const msgpack::object& map, const limits& lim, std::optional<core::hook_position>& out,
                   const std::string& where, std::string& err) {
  const msgpack::object* epoch = nullptr;
  const msgpack::object* seq = nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto k = key_of(map.via.map.ptr[i]);
    if (k == "epoch") epoch = &map.via.map.ptr[i].val;
    if (k == "seq") seq = &map.via.map.ptr[i].val;
  }
  if (epoch && epoch->type == msgpack::type::NIL) epoch = nullptr;
  if (seq && seq->type == msgpack::type::NIL) seq = nullptr;
  if (!epoch && !seq) {
    out.reset();
    return true;
  }
  if (!epoch || !seq) {
    err = where + " has " + (epoch ? "epoch" : "seq") + " without " + (epoch ? "seq" : "epoch");
    return false;
  }
  core::hook_position p;
  if (!string_field(
          *epoch, lim, p.epoch, [&where] { return where + ".epoch"; }, err))
    return false;
  if (p.epoch.empty()) {
    err = where + ".epoch must not be empty";
    return false;
  }
  if (seq->type != msgpack::type::POSITIVE_INTEGER) {
    err = where + ".seq must be a non-negative integer, got " + kind_name(*seq);
    return false;
  }
  p.seq = seq->via.u64;
  out = std::move(p);
  return true;
}

bool session_info(const msgpack::object& info, const limits& lim, core::session_record& s, const std::string& where,
                  std::string& err) {
  if (info.type != msgpack::type::MAP) {
    err = where + " must be a dict, got " + kind_name(info);
    return false;
  }
  bool have_realm = false;
  bool have_session = false;
  for (std::uint32_t i = 0; i < info.via.map.size; ++i) {
    const auto& kv = info.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) {
      err = where + " has a key of type " + kind_name(kv.key) + " (keys must be strings)";
      return false;
    }
    const auto k = key_of(kv);
    // Where the field is, for an error message: made only when there is one (every hook passes here).
    const auto at = [&where, k] { return where + "." + std::string(k.substr(0, 64)); };
    bool ok = true;
    if (k == "realm") {
      ok = string_field(kv.val, lim, s.realm, at, err);
      have_realm = ok && !s.realm.empty();
      if (ok && !have_realm) {
        err = at() + " must not be empty";
        return false;
      }
    } else if (k == "session") {
      if (kv.val.type == msgpack::type::POSITIVE_INTEGER && core::session_id::valid(kv.val.via.u64))
        s.id.value = kv.val.via.u64;
      else
        ok = read_id(kv.val, s.id.value, at(), err);
      have_session = ok;
    } else if (k == "authid") {
      ok = string_field(kv.val, lim, s.authid, at, err);
    } else if (k == "authrole") {
      ok = string_field(kv.val, lim, s.authrole, at, err);
    } else if (k == "authmethod") {
      ok = string_field(kv.val, lim, s.authmethod, at, err);
    } else if (k == "authprovider") {
      ok = string_field(kv.val, lim, s.authprovider, at, err);
    } else if (k == "authextra") {
      if (kv.val.type != msgpack::type::NIL) {
        converter c{lim};
        core::value v;
        ok = c.run(kv.val, v, 0, at(), err);
        if (ok) s.authextra = std::move(v);
      }
    } else if (k == "transport") {
      if (kv.val.type == msgpack::type::NIL) continue;
      if (kv.val.type != msgpack::type::MAP) {
        err = at() + " must be a dict, got " + kind_name(kv.val);
        return false;
      }
      // Only type, serializer and peer are kept: whatever else a router puts there (HTTP headers, cookies,
      // tickets) never reaches a client.
      for (std::uint32_t j = 0; j < kv.val.via.map.size && ok; ++j) {
        const auto& t = kv.val.via.map.ptr[j];
        const auto tk = key_of(t);
        const auto at_t = [&at, tk] { return at() + "." + std::string(tk); };
        if (tk == "type") ok = string_field(t.val, lim, s.transport.type, at_t, err);
        if (tk == "serializer") ok = string_field(t.val, lim, s.transport.serializer, at_t, err);
        if (tk == "peer") ok = string_field(t.val, lim, s.transport.peer, at_t, err);
      }
    }
    if (!ok) return false;
  }
  if (!have_realm) {
    err = where + " has no realm";
    return false;
  }
  if (!have_session) {
    err = where + " has no session";
    return false;
  }
  return true;
}

// The fields of a registration or subscription (the dict of a registered / subscribed hook, or an entry of a
// snapshot's lists): id, uri, match, created, and invoke for registrations. Unknown keys are ignored.
bool observation_fields(const msgpack::object& o, const limits& lim, core::observation_info& info,
                        const std::string& where, std::string& err) {
  if (o.type != msgpack::type::MAP) {
    err = where + " must be a dict, got " + kind_name(o);
    return false;
  }
  bool have_id = false, have_uri = false;
  std::string match = "exact";
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    const auto k = key_of(kv);
    const std::string at = where + "." + std::string(k.substr(0, 64));
    bool ok = true;
    if (k == "id") {
      ok = have_id = read_id(kv.val, info.id, at, err);
    } else if (k == "uri") {
      ok = read_string(kv.val, lim, info.uri, at, err);
      have_uri = ok && !info.uri.empty();
      if (ok && !have_uri) {
        err = at + " must not be empty";
        return false;
      }
    } else if (k == "match") {
      ok = read_string(kv.val, lim, match, at, err);
    } else if (k == "created") {
      ok = read_string(kv.val, lim, info.created, at, err);
    } else if (k == "invoke" && info.kind == core::observation_kind::registration) {
      ok = read_string(kv.val, lim, info.invoke, at, err);
    }
    if (!ok) return false;
  }
  const auto policy = core::parse_match(match);
  if (!policy) {
    err = where + ".match must be exact, prefix or wildcard, got \"" + match.substr(0, 64) + "\"";
    return false;
  }
  info.match = *policy;
  if (!have_id) err = where + " has no id";
  if (have_id && !have_uri) err = where + " has no uri";
  return have_id && have_uri;
}

// The member and the registration or subscription of a v2 hook: {realm, session, registration|subscription,
// epoch, seq}, where registration / subscription is a dict for the hooks that add a member and an id for
// those that remove one.
bool observation_hook(const msgpack::object& info, const limits& lim, core::hook_event& ev, const std::string& where,
                      std::string& err) {
  if (!session_info(info, lim, ev.session, where, err)) return false;
  const bool reg = ev.kind == core::hook_kind::registered || ev.kind == core::hook_kind::unregistered;
  const bool adds = ev.kind == core::hook_kind::registered || ev.kind == core::hook_kind::subscribed;
  ev.observation = std::make_shared<core::observation_info>();
  ev.observation->kind = reg ? core::observation_kind::registration : core::observation_kind::subscription;
  const char* key = reg ? "registration" : "subscription";
  for (std::uint32_t i = 0; i < info.via.map.size; ++i) {
    const auto& kv = info.via.map.ptr[i];
    if (key_of(kv) != key) continue;
    const std::string at = where + "." + key;
    if (adds) return observation_fields(kv.val, lim, *ev.observation, at, err);
    return read_id(kv.val, ev.observation->id, at, err);
  }
  err = where + " has no " + key;
  return false;
}

// A snapshot list entry: {realm, id, uri, match, created, invoke?, callees|subscribers: [ids]}.
bool snapshot_entry(const msgpack::object& o, const limits& lim, core::observation_kind kind,
                    core::snapshot_observation& out, const std::string& where, std::string& err) {
  out.info.kind = kind;
  if (!observation_fields(o, lim, out.info, where, err)) return false;
  const char* members = kind == core::observation_kind::registration ? "callees" : "subscribers";
  bool have_realm = false, have_members = false;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    const auto k = key_of(kv);
    if (k == "realm") {
      if (!read_string(kv.val, lim, out.realm, where + ".realm", err)) return false;
      have_realm = !out.realm.empty();
    } else if (k == members) {
      if (kv.val.type != msgpack::type::ARRAY) {
        err = where + "." + members + " must be a list, got " + kind_name(kv.val);
        return false;
      }
      have_members = true;
      out.members.reserve(kv.val.via.array.size);
      for (std::uint32_t j = 0; j < kv.val.via.array.size; ++j) {
        core::session_id id;
        if (!read_id(kv.val.via.array.ptr[j], id.value, where + "." + members + "[" + std::to_string(j) + "]", err))
          return false;
        out.members.push_back(id);
      }
    }
  }
  if (!have_realm) err = where + " has no realm";
  if (have_realm && !have_members) err = where + " has no " + members;
  return have_realm && have_members;
}

}  // namespace

decoded<core::value> to_value(const msgpack::object& obj, const limits& lim) {
  converter c{lim};
  core::value v;
  std::string err;
  if (!c.run(obj, v, 0, "value", err)) return fail(err);
  return v;
}

decoded<core::array> to_args(const msgpack::object& args, const limits& lim) {
  if (args.type == msgpack::type::NIL) return core::array{};
  if (args.type != msgpack::type::ARRAY) return fail(std::string("Arguments must be a list, got ") + kind_name(args));
  converter c{lim};
  core::value v;
  std::string err;
  if (!c.run(args, v, 0, "Arguments", err)) return fail(err);
  return std::move(*v.get_if<core::array>());
}

decoded<core::object> to_kwargs(const msgpack::object& kwargs, const limits& lim) {
  if (kwargs.type == msgpack::type::NIL) return core::object{};
  if (kwargs.type != msgpack::type::MAP)
    return fail(std::string("ArgumentsKw must be a dict, got ") + kind_name(kwargs));
  converter c{lim};
  core::value v;
  std::string err;
  if (!c.run(kwargs, v, 0, "ArgumentsKw", err)) return fail(err);
  return std::move(*v.get_if<core::object>());
}

decoded<core::session_record> decode_session_info(const msgpack::object& info, const limits& lim) {
  core::session_record s;
  std::string err;
  if (!session_info(info, lim, s, "info", err)) return fail(err);
  return s;
}

decoded<core::hook_event> decode_hook(core::hook_kind kind, const msgpack::object& args, const limits& lim) {
  static constexpr const char* names[] = {"joined hook",       "left hook",       "registered hook",
                                          "unregistered hook", "subscribed hook", "unsubscribed hook"};
  // Made once: every hook names its info in case of an error.
  static const std::string infos[] = {"joined hook info",       "left hook info",       "registered hook info",
                                      "unregistered hook info", "subscribed hook info", "unsubscribed hook info"};
  const char* name = names[static_cast<int>(kind)];
  const std::string& where = infos[static_cast<int>(kind)];
  if (args.type != msgpack::type::ARRAY || args.via.array.size < 1)
    return fail(std::string(name) + ": Arguments must be a list [info], got " +
                (args.type == msgpack::type::ARRAY ? "an empty list" : kind_name(args)));
  const msgpack::object& info = args.via.array.ptr[0];
  core::hook_event ev;
  ev.kind = kind;
  std::string err;
  if (kind == core::hook_kind::joined || kind == core::hook_kind::left) {
    if (!session_info(info, lim, ev.session, where, err)) return fail(err);
  } else if (!observation_hook(info, lim, ev, where, err)) {
    return fail(err);
  }
  if (!read_position(info, lim, ev.position, where, err)) return fail(err);
  if (ev.position && ev.position->seq == 0) return fail(std::string(name) + " info.seq must be 1 or more");
  if (kind == core::hook_kind::left) {
    for (std::uint32_t i = 0; i < info.via.map.size; ++i) {
      const auto& kv = info.via.map.ptr[i];
      if (key_of(kv) != "quiet" || kv.val.type == msgpack::type::NIL) continue;
      if (kv.val.type != msgpack::type::BOOLEAN)
        return fail(std::string(name) + " info.quiet must be a boolean, got " + kind_name(kv.val));
      ev.quiet = kv.val.via.boolean;
    }
  }
  return ev;
}

decoded<core::snapshot_page> decode_snapshot_page(const msgpack::object& args, const limits& lim) {
  if (args.type != msgpack::type::ARRAY || args.via.array.size < 1)
    return fail("snapshot: result Arguments must be a list [page]");
  const msgpack::object& page = args.via.array.ptr[0];
  if (page.type != msgpack::type::MAP)
    return fail(std::string("snapshot: page must be a dict, got ") + kind_name(page));
  core::snapshot_page out;
  std::string err;
  if (!read_position(page, lim, out.position, "snapshot page", err)) return fail(err);
  const msgpack::object* sessions = nullptr;
  const msgpack::object* left = nullptr;
  const msgpack::object* registrations = nullptr;
  const msgpack::object* subscriptions = nullptr;
  for (std::uint32_t i = 0; i < page.via.map.size; ++i) {
    const auto& kv = page.via.map.ptr[i];
    const auto k = key_of(kv);
    if (k == "sessions") sessions = &kv.val;
    if (k == "left" && kv.val.type != msgpack::type::NIL) left = &kv.val;
    if (k == "registrations" && kv.val.type != msgpack::type::NIL) registrations = &kv.val;
    if (k == "subscriptions" && kv.val.type != msgpack::type::NIL) subscriptions = &kv.val;
    if (k == "protocol" && kv.val.type != msgpack::type::NIL) {
      if (kv.val.type != msgpack::type::POSITIVE_INTEGER || kv.val.via.u64 < 1 || kv.val.via.u64 > 1000)
        return fail(std::string("snapshot page.protocol must be a small positive integer, got ") + kind_name(kv.val));
      out.protocol = static_cast<int>(kv.val.via.u64);
    }
    if (k == "next_cursor" && kv.val.type != msgpack::type::NIL) {
      std::string cursor;
      if (!read_string(kv.val, lim, cursor, "snapshot page.next_cursor", err)) return fail(err);
      if (cursor.empty()) return fail("snapshot page.next_cursor must not be empty");
      out.next_cursor = std::move(cursor);
    }
  }
  if (!sessions) return fail("snapshot page has no sessions");
  if (sessions->type != msgpack::type::ARRAY)
    return fail(std::string("snapshot page.sessions must be a list, got ") + kind_name(*sessions));
  out.sessions.reserve(sessions->via.array.size);
  for (std::uint32_t i = 0; i < sessions->via.array.size; ++i) {
    core::session_record s;
    if (!session_info(sessions->via.array.ptr[i], lim, s, "snapshot page.sessions[" + std::to_string(i) + "]", err))
      return fail(err);
    out.sessions.push_back(std::move(s));
  }
  if (left) {
    if (left->type != msgpack::type::ARRAY)
      return fail(std::string("snapshot page.left must be a list, got ") + kind_name(*left));
    out.recently_left.reserve(left->via.array.size);
    for (std::uint32_t i = 0; i < left->via.array.size; ++i) {
      core::session_record s;
      if (!session_info(left->via.array.ptr[i], lim, s, "snapshot page.left[" + std::to_string(i) + "]", err))
        return fail(err);
      out.recently_left.push_back(std::move(s));
    }
  }
  for (auto [list, kind, name] : {std::tuple{registrations, core::observation_kind::registration, "registrations"},
                                  std::tuple{subscriptions, core::observation_kind::subscription, "subscriptions"}}) {
    if (!list) continue;
    if (list->type != msgpack::type::ARRAY)
      return fail(std::string("snapshot page.") + name + " must be a list, got " + kind_name(*list));
    for (std::uint32_t i = 0; i < list->via.array.size; ++i) {
      core::snapshot_observation o;
      if (!snapshot_entry(list->via.array.ptr[i], lim, kind, o,
                          std::string("snapshot page.") + name + "[" + std::to_string(i) + "]", err))
        return fail(err);
      out.observations.push_back(std::move(o));
    }
  }
  return out;
}

// A list of [topic, info] hooks, each complete (epoch and seq), in increasing seq, of `realm` when given.
static bool hook_list(const msgpack::object& hooks, const limits& lim, const std::string& what,
                      const std::string* realm, std::vector<core::hook_event>& out, std::string& err) {
  if (hooks.type != msgpack::type::ARRAY) {
    err = what + " must be a list, got " + kind_name(hooks);
    return false;
  }
  static const std::pair<const char*, core::hook_kind> topics[] = {
      {uri::hook_joined, core::hook_kind::joined},         {uri::hook_left, core::hook_kind::left},
      {uri::hook_registered, core::hook_kind::registered}, {uri::hook_unregistered, core::hook_kind::unregistered},
      {uri::hook_subscribed, core::hook_kind::subscribed}, {uri::hook_unsubscribed, core::hook_kind::unsubscribed}};
  out.reserve(hooks.via.array.size);
  std::uint64_t last = 0;
  for (std::uint32_t i = 0; i < hooks.via.array.size; ++i) {
    const std::string where = what + "[" + std::to_string(i) + "]";
    const auto& h = hooks.via.array.ptr[i];
    if (h.type != msgpack::type::ARRAY || h.via.array.size != 2) {
      err = where + " must be [topic, info]";
      return false;
    }
    std::string topic;
    if (!read_string(h.via.array.ptr[0], lim, topic, where + "[0]", err)) return false;
    const auto* kind =
        std::find_if(std::begin(topics), std::end(topics), [&](const auto& t) { return topic == t.first; });
    if (kind == std::end(topics)) {
      err = where + ": unknown hook topic '" + topic + "'";
      return false;
    }
    // decode_hook reads Arguments [info]: a list of one that refers to the entry's info.
    msgpack::object one;
    one.type = msgpack::type::ARRAY;
    one.via.array.size = 1;
    one.via.array.ptr = const_cast<msgpack::object*>(&h.via.array.ptr[1]);
    auto ev = decode_hook(kind->second, one, lim);
    if (!ev.ok()) {
      err = where + ": " + ev.error().message;
      return false;
    }
    if (!ev.value().position) {
      err = where + " has no epoch and seq";
      return false;
    }
    if (realm && ev.value().session.realm != *realm) {
      err = where + " is of realm '" + ev.value().session.realm + "', not '" + *realm + "'";
      return false;
    }
    if (ev.value().position->seq <= last) {
      err = where + ": seq " + std::to_string(ev.value().position->seq) + " does not follow " + std::to_string(last);
      return false;
    }
    last = ev.value().position->seq;
    out.push_back(std::move(ev.value()));
  }
  return true;
}

decoded<core::catch_up_page> decode_catch_up_page(const msgpack::object& args, const std::string& realm,
                                                  const limits& lim) {
  auto state = decode_snapshot_page(args, lim);
  if (!state.ok()) return fail("catch-up " + state.error().message);
  core::catch_up_page out;
  out.state = std::move(state.value());
  const msgpack::object& page = args.via.array.ptr[0];
  const msgpack::object* hooks = nullptr;
  std::string err;
  for (std::uint32_t i = 0; i < page.via.map.size; ++i) {
    const auto& kv = page.via.map.ptr[i];
    const auto k = key_of(kv);
    if (kv.val.type == msgpack::type::NIL) continue;
    if (k == "hooks") hooks = &kv.val;
    if (k == "at") {
      if (kv.val.type != msgpack::type::POSITIVE_INTEGER)
        return fail(std::string("catch-up page.at must be a non-negative integer, got ") + kind_name(kv.val));
      out.at = kv.val.via.u64;
    }
    if (k == "skip") {
      if (kv.val.type != msgpack::type::POSITIVE_INTEGER || kv.val.via.u64 > 1000000)
        return fail(std::string("catch-up page.skip must be a small non-negative integer, got ") + kind_name(kv.val));
      out.skip = static_cast<std::uint32_t>(kv.val.via.u64);
    }
    if (k == "told") {
      const auto& t = kv.val;
      if (t.type != msgpack::type::ARRAY || t.via.array.size != 2 ||
          t.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER ||
          t.via.array.ptr[1].type != msgpack::type::POSITIVE_INTEGER || t.via.array.ptr[1].via.u64 > 1000000)
        return fail("catch-up page.told must be [seq, index] (non-negative integers)");
      out.told = std::make_pair(t.via.array.ptr[0].via.u64, static_cast<std::uint32_t>(t.via.array.ptr[1].via.u64));
    }
  }
  if (!hooks) return fail("catch-up page has no hooks");
  if (!hook_list(*hooks, lim, "catch-up page.hooks", &realm, out.hooks, err)) return fail(err);
  return out;
}

decoded<core::hooks_page> decode_hooks_page(const msgpack::object& args, const limits& lim) {
  if (args.type != msgpack::type::ARRAY || args.via.array.size < 1)
    return fail("hooks_since: result Arguments must be a list [page]");
  const msgpack::object& page = args.via.array.ptr[0];
  if (page.type != msgpack::type::MAP)
    return fail(std::string("hooks_since: page must be a dict, got ") + kind_name(page));
  core::hooks_page out;
  std::string err;
  std::optional<core::hook_position> position;
  if (!read_position(page, lim, position, "hooks_since page", err)) return fail(err);
  if (!position) return fail("hooks_since page has no epoch and seq");
  out.position = *position;
  const msgpack::object* hooks = nullptr;
  for (std::uint32_t i = 0; i < page.via.map.size; ++i)
    if (key_of(page.via.map.ptr[i]) == "hooks") hooks = &page.via.map.ptr[i].val;
  if (!hooks) return fail("hooks_since page has no hooks");
  if (!hook_list(*hooks, lim, "hooks_since page.hooks", nullptr, out.hooks, err)) return fail(err);
  for (const auto& h : out.hooks) {
    if (h.position->epoch != out.position.epoch || h.position->seq > out.position.seq)
      return fail("hooks_since page: hook " + std::to_string(h.position->seq) + " is not of the page's run (" +
                  out.position.epoch + ", up to " + std::to_string(out.position.seq) + ")");
  }
  return out;
}

decoded<core::hook_position> decode_sync(const msgpack::object& args, const limits& lim) {
  if (args.type != msgpack::type::ARRAY || args.via.array.size < 2)
    return fail("sync: result Arguments must be a list [epoch, seq]");
  core::hook_position p;
  std::string err;
  if (!read_string(args.via.array.ptr[0], lim, p.epoch, "sync epoch", err)) return fail(err);
  if (p.epoch.empty()) return fail("sync epoch must not be empty");
  const msgpack::object& seq = args.via.array.ptr[1];
  if (seq.type != msgpack::type::POSITIVE_INTEGER)
    return fail(std::string("sync seq must be a non-negative integer, got ") + kind_name(seq));
  p.seq = seq.via.u64;
  return p;
}

}  // namespace wamp_metad::protocol
