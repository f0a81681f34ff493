// Where the router listens, as configured (--router, --internal-router). Plain parsing, no I/O: the links
// connect to what this describes.
#pragma once

#include <cstdint>
#include <string>

namespace wamp_metad::adapter {

// rs://host:port or tcp://host:port (RawSocket over TCP), unix:///path (RawSocket over a Unix socket),
// ws://host:port/path (WebSocket). msgpack in every case.
struct router_address {
  enum class kind { tcp, unix_socket, websocket };
  kind transport = kind::tcp;
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;
  std::string path;  // the socket's path, or the WebSocket URL's path ("/" when the URL has none)
  std::string text;  // as configured, for log lines
};

// Parses a router URL. On error, returns false with a message that names the URL and what is wrong.
bool parse_router_url(const std::string& url, router_address& out, std::string& error);

}  // namespace wamp_metad::adapter
