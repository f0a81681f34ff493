// One of the three translation units with the WAMP client library: its WebSocket transport, kept apart so
// that link.cpp does not pay for websocketpp at every change; link_wss.cpp has the same over TLS.
#include <websocketpp/config/asio_no_tls_client.hpp>

#include "websocket_transport.hpp"

namespace wamp_metad::adapter::detail {

std::shared_ptr<autobahn::wamp_transport> make_websocket_transport(boost::asio::io_service& io, const std::string& url,
                                                                   std::shared_ptr<boost::asio::ssl::context> tls,
                                                                   std::function<void(SSL*)> tcp_connected,
                                                                   std::function<void(int fd)> connected) {
  if (tls) return make_tls_websocket_transport(io, url, std::move(tls), std::move(tcp_connected), std::move(connected));
  return make_websocket<websocketpp::config::asio_client>(io, url, nullptr, std::move(tcp_connected),
                                                          std::move(connected));
}

}  // namespace wamp_metad::adapter::detail
