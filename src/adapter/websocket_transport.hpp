// The WebSocket transport of the WAMP client library on websocketpp, for one websocketpp configuration
// (plain or TLS): link_ws.cpp instantiates it plain, link_wss.cpp over TLS, so that each of the two costs what
// one configuration costs to compile. Private to those two files.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include <websocketpp/client.hpp>

#include <autobahn/wamp_websocketpp_websocket_transport.hpp>

#include "websocket.hpp"

namespace wamp_metad::adapter::detail {

template <class Config>
struct websocket_endpoint {
  websocketpp::client<Config> client;
  std::shared_ptr<autobahn::wamp_websocketpp_websocket_transport<Config>> transport;
};

// The SSL object of a connection's socket: the TLS stream's, none for a plain TCP socket.
template <class Socket>
SSL* ssl_of(Socket& socket) {
  if constexpr (std::is_same_v<Socket, boost::asio::ip::tcp::socket>)
    return nullptr;
  else
    return socket.native_handle();
}

template <class Config>
std::shared_ptr<autobahn::wamp_transport> make_websocket(boost::asio::io_service& io, const std::string& url,
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

}  // namespace wamp_metad::adapter::detail
