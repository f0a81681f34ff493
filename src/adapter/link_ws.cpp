// The second (and last) translation unit with the WAMP client library: its WebSocket transport, kept apart
// so that link.cpp does not pay for websocketpp at every change.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include <autobahn/wamp_websocketpp_websocket_transport.hpp>

#include "websocket.hpp"

namespace wamp_metad::adapter::detail {
namespace {

using ws_client = websocketpp::client<websocketpp::config::asio_client>;
using ws_transport = autobahn::wamp_websocketpp_websocket_transport<websocketpp::config::asio_client>;

struct websocket_endpoint {
  ws_client client;
  std::shared_ptr<ws_transport> transport;
};

}  // namespace

std::shared_ptr<autobahn::wamp_transport> make_websocket_transport(boost::asio::io_service& io, const std::string& url,
                                                                   std::function<void(int fd)> connected) {
  auto endpoint = std::make_shared<websocket_endpoint>();
  endpoint->client.clear_access_channels(websocketpp::log::alevel::all);
  endpoint->client.clear_error_channels(websocketpp::log::elevel::all);  // failures reach us as exceptions
  endpoint->client.init_asio(&io);
  // Small request/response messages: without TCP_NODELAY each waits for the peer's delayed ACK. Set once
  // the TCP connection exists (the socket-init handler runs before it is open).
  ws_client* client = &endpoint->client;
  endpoint->client.set_tcp_post_init_handler([client, connected](websocketpp::connection_hdl hdl) {
    boost::system::error_code ec;
    auto& socket = client->get_con_from_hdl(hdl)->get_socket();
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    if (connected) connected(socket.native_handle());
  });
  endpoint->transport = std::make_shared<ws_transport>(endpoint->client, url);
  return std::shared_ptr<autobahn::wamp_transport>(endpoint, endpoint->transport.get());
}

}  // namespace wamp_metad::adapter::detail
