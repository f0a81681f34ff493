// Where the router listens, as configured (--router, --internal-router). Plain parsing, no I/O: the links
// connect to what this describes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wamp_metad/core/result.hpp"

namespace wamp_metad::adapter {

// rs://host:port or tcp://host:port (RawSocket over TCP), rss://host:port or tcps://host:port (RawSocket over
// TLS), unix:///path (RawSocket over a Unix socket), ws://host:port/path (WebSocket), wss://host:port/path
// (WebSocket over TLS). msgpack in every case.
struct router_address {
  enum class kind { tcp, unix_socket, websocket };
  kind transport = kind::tcp;
  bool tls = false;  // rss://, tcps:// and wss://
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;
  std::string path;  // the socket's path, or the WebSocket URL's path ("/" when the URL has none)
  std::string text;  // as configured, for log lines
};

// Parses a router URL. Refused (wamp.error.invalid_argument) with a message that names the URL and what is
// wrong.
core::outcome<router_address> parse_router_url(const std::string& url);

// Whether `host` names this machine without resolving anything: true for an address in 127.0.0.0/8, ::1 (or
// ::ffff:127.x.y.z), the name "localhost" and names under ".localhost" (which RFC 6761 keeps on loopback);
// false for any other address; nullopt for any other name (only resolving it can tell).
std::optional<bool> loopback_host(const std::string& host);

// Whether `address` is an IP address literal (IPv4 or IPv6, without brackets).
bool ip_literal(const std::string& host);

// Whether a link to `address` would carry the secret in clear text over a network: a plain TCP or WebSocket
// URL (not TLS, not a Unix socket).
inline bool plaintext_network(const router_address& address) {
  return !address.tls && address.transport != router_address::kind::unix_socket;
}

}  // namespace wamp_metad::adapter
