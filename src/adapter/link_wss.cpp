// One of the three translation units with the WAMP client library: its WebSocket transport over TLS
// (websocketpp's asio_tls_client; the context comes from tls.cpp, one per connection).
#include <websocketpp/config/asio_client.hpp>

#include "websocket_transport.hpp"

namespace wamp_metad::adapter::detail {

std::shared_ptr<autobahn::wamp_transport> make_tls_websocket_transport(boost::asio::io_service& io,
                                                                       const std::string& url,
                                                                       std::shared_ptr<boost::asio::ssl::context> tls,
                                                                       std::function<void(SSL*)> tcp_connected,
                                                                       std::function<void(int fd)> connected) {
  using tls_config = websocketpp::config::asio_tls_client;
  return make_websocket<tls_config>(
      io, url,
      [tls](websocketpp::client<tls_config>& client) {
        client.set_tls_init_handler([tls](websocketpp::connection_hdl) { return tls; });
      },
      std::move(tcp_connected), std::move(connected));
}

}  // namespace wamp_metad::adapter::detail
