#include "wamp_metad/adapter/address.hpp"

namespace wamp_metad::adapter {

bool parse_router_url(const std::string& url, router_address& out, std::string& error) {
  static const std::string supported = "rs://HOST:PORT, tcp://HOST:PORT, ws://HOST:PORT/PATH or unix:///PATH";
  out = router_address{};
  out.text = url;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    error = "router URL '" + url + "' has no scheme; use " + supported;
    return false;
  }
  const std::string scheme = url.substr(0, scheme_end);
  const std::string rest = url.substr(scheme_end + 3);
  if (scheme == "unix") {
    if (rest.empty() || rest[0] != '/') {
      error = "router URL '" + url + "': a unix socket needs an absolute path (unix:///run/wamp.sock)";
      return false;
    }
    out.transport = router_address::kind::unix_socket;
    out.path = rest;
    return true;
  }
  if (scheme != "rs" && scheme != "tcp" && scheme != "ws") {
    error = "router URL '" + url + "': scheme '" + scheme + "' is not supported; use " + supported;
    return false;
  }
  std::string hostport = rest;
  if (scheme == "ws") {
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
  if (colon == std::string::npos || colon == 0 || colon + 1 == hostport.size()) {
    error = "router URL '" + url + "' needs HOST:PORT";
    return false;
  }
  out.host = hostport.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  const std::string port = hostport.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoul(port) == 0 ||
      std::stoul(port) > 65535) {
    error = "router URL '" + url + "': port '" + port + "' is not a number from 1 to 65535";
    return false;
  }
  out.port = static_cast<std::uint16_t>(std::stoul(port));
  return true;
}

}  // namespace wamp_metad::adapter
