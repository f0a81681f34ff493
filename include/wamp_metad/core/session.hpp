// A session as the router reported it, and the WAMP meta "details" derived from it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "wamp_metad/core/value.hpp"

namespace wamp_metad::core {

// WAMP ids are integers in [1, 2^53] (the WAMP spec's range, so that JavaScript clients hold them exactly).
inline constexpr std::uint64_t max_wamp_id = std::uint64_t{1} << 53;

struct session_id {
  std::uint64_t value = 0;

  static bool valid(std::uint64_t v) { return v >= 1 && v <= max_wamp_id; }
  friend bool operator==(session_id a, session_id b) { return a.value == b.value; }
  friend bool operator!=(session_id a, session_id b) { return a.value != b.value; }
  friend bool operator<(session_id a, session_id b) { return a.value < b.value; }
};

struct transport_info {
  std::string type;        // "websocket", "rawsocket", ...
  std::string serializer;  // "json", "msgpack", ...
  std::string peer;        // "tcp4:127.0.0.1:50123", "unix", ...

  friend bool operator==(const transport_info& a, const transport_info& b) {
    return a.type == b.type && a.serializer == b.serializer && a.peer == b.peer;
  }
};

struct session_record {
  std::string realm;
  session_id id;
  std::string authid;
  std::string authrole;
  std::string authmethod;
  std::string authprovider;
  std::optional<value> authextra;
  transport_info transport;

  friend bool operator==(const session_record& a, const session_record& b);
  friend bool operator!=(const session_record& a, const session_record& b) { return !(a == b); }
};

// The details dict of wamp.session.on_join and wamp.session.get: the spec's keys (session, authid, authrole,
// authmethod, authprovider, transport) plus realm and, when the session has one, authextra. Nothing else of
// what the router reported reaches clients.
value details(const session_record& s);

// The Arguments of wamp.session.on_leave: [session, authid, authrole].
array on_leave_arguments(const session_record& s);

}  // namespace wamp_metad::core

template <>
struct std::hash<wamp_metad::core::session_id> {
  std::size_t operator()(wamp_metad::core::session_id id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value);
  }
};
