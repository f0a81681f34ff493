#include "wamp_metad/adapter/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace wamp_metad::adapter {

core::outcome<router_address> parse_router_url(const std::string& url) {
  static const std::string supported =
      "rs://HOST:PORT, tcp://HOST:PORT, ws://HOST:PORT/PATH, unix:///PATH, or over TLS rss://HOST:PORT, "
      "tcps://HOST:PORT, wss://HOST:PORT/PATH";
  router_address out;
  out.text = url;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return core::invalid_input("router URL '" + url + "' has no scheme; use " + supported);
  const std::string scheme = url.substr(0, scheme_end);
  const std::string rest = url.substr(scheme_end + 3);
  if (scheme == "unix") {
    if (rest.empty() || rest[0] != '/')
      return core::invalid_input("router URL '" + url +
                                 "': a unix socket needs an absolute path (unix:///run/wamp.sock)");
    out.transport = router_address::kind::unix_socket;
    out.path = rest;
    return out;
  }
  const bool websocket = scheme == "ws" || scheme == "wss";
  if (!websocket && scheme != "rs" && scheme != "tcp" && scheme != "rss" && scheme != "tcps")
    return core::invalid_input("router URL '" + url + "': scheme '" + scheme + "' is not supported; use " + supported);
  out.tls = scheme == "wss" || scheme == "rss" || scheme == "tcps";
  std::string hostport = rest;
  if (websocket) {
    out.transport = router_address::kind::websocket;
    out.path = "/";
    auto slash = hostport.find('/');
    if (slash != std::string::npos) {
      out.path = hostport.substr(slash);
      hostport = hostport.substr(0, slash);
    }
  }
  if (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == hostport.size())
    return core::invalid_input("router URL '" + url + "' needs HOST:PORT");
  out.host = hostport.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  const std::string port = hostport.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoul(port) == 0 ||
      std::stoul(port) > 65535)
    return core::invalid_input("router URL '" + url + "': port '" + port + "' is not a number from 1 to 65535");
  out.port = static_cast<std::uint16_t>(std::stoul(port));
  return out;
}

bool ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::optional<bool> loopback_host(const std::string& host) {
  unsigned char v4[4];
  if (::inet_pton(AF_INET, host.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (::inet_pton(AF_INET6, host.c_str(), v6) == 1) {
    static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(v6, v6 + 16, loopback)) return true;
    return std::equal(v6, v6 + 12, mapped) && v6[12] == 127;
  }
  std::string name = host;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!name.empty() && name.back() == '.') name.pop_back();
  const std::string suffix = ".localhost";
  if (name == "localhost" ||
      (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0))
    return true;
  return std::nullopt;
}

}  // namespace wamp_metad::adapter
