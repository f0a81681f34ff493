// The second (and last) translation unit with the WAMP client library: its WebSocket transport, plain and
// over TLS, kept apart so that link.cpp does not pay for websocketpp at every change.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include <autobahn/wamp_websocketpp_websocket_transport.hpp>

#include "websocket.hpp"

namespace wamp_metad::adapter::detail {
namespace {

template <class Config>
struct websocket_endpoint {
  websocketpp::client<Config> client;
  std::shared_ptr<autobahn::wamp_websocketpp_websocket_transport<Config>> transport;
};

// The SSL object of a connection's socket: the TLS stream's, none for a plain TCP socket.
SSL* ssl_of(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& socket) {
  return socket.native_handle();
}
SSL* ssl_of(boost::asio::ip::tcp::socket&) {
  return nullptr;
}

template <class Config>
std::shared_ptr<autobahn::wamp_transport> make(boost::asio::io_service& io, const std::string& url,
                                               std::function<void(websocketpp::client<Config>&)> setup,
                                               std::function<void(SSL*)> tcp_connected,
                                               std::function<void(int fd)> connected) {
  auto endpoint = std::make_shared<websocket_endpoint<Config>>();
  auto& client = endpoint->client;
  client.clear_access_channels(websocketpp::log::alevel::all);
  client.clear_error_channels(websocketpp::log::elevel::all);  // failures reach us as exceptions
  client.init_asio(&io);
  if (setup) setup(client);
  auto* c = &client;
  // After the TCP connection and (for TLS) websocketpp's own SNI, before the TLS handshake.
  client.set_tcp_pre_init_handler([c, tcp_connected](websocketpp::connection_hdl hdl) {
    if (tcp_connected) tcp_connected(ssl_of(c->get_con_from_hdl(hdl)->get_socket()));
  });
  // Small request/response messages: without TCP_NODELAY each waits for the peer's delayed ACK. Set once
  // the TCP connection exists (the socket-init handler runs before it is open).
  client.set_tcp_post_init_handler([c, connected](websocketpp::connection_hdl hdl) {
    boost::system::error_code ec;
    auto& socket = c->get_con_from_hdl(hdl)->get_socket().lowest_layer();
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    if (connected) connected(socket.native_handle());
  });
  endpoint->transport = std::make_shared<autobahn::wamp_websocketpp_websocket_transport<Config>>(client, url);
  return std::shared_ptr<autobahn::wamp_transport>(endpoint, endpoint->transport.get());
}

}  // namespace

std::shared_ptr<autobahn::wamp_transport> make_websocket_transport(boost::asio::io_service& io, const std::string& url,
                                                                   std::shared_ptr<boost::asio::ssl::context> tls,
                                                                   std::function<void(SSL*)> tcp_connected,
                                                                   std::function<void(int fd)> connected) {
  if (!tls) return make<websocketpp::config::asio_client>(io, url, nullptr, tcp_connected, connected);
  using tls_config = websocketpp::config::asio_tls_client;
  return make<tls_config>(
      io, url,
      [tls](websocketpp::client<tls_config>& client) {
        client.set_tls_init_handler([tls](websocketpp::connection_hdl) { return tls; });
      },
      tcp_connected, connected);
}

}  // namespace wamp_metad::adapter::detail
