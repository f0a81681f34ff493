// WebSocket as the transport to the router (websocketpp, through the WAMP client library), plain or over
// TLS. Private to the adapter: only link.cpp, link_ws.cpp and link_wss.cpp include it, since it brings in the
// client library.
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>

#include <autobahn/wamp_transport.hpp>
#include <boost/asio/io_service.hpp>
#include <boost/asio/ssl/context.hpp>

namespace wamp_metad::adapter::detail {

// A WebSocket transport to `url` (ws:// or wss://HOST:PORT/PATH, subprotocol wamp.2.msgpack) on `io`; over
// TLS with `tls` (a context per connection), plain without. The returned pointer keeps the WebSocket client
// it needs alive as long as the transport. On `io`'s thread: `tcp_connected` gets the connection's SSL
// object (nullptr when plain) once the TCP connection exists, before any TLS handshake; `connected` gets the
// socket's descriptor once the connection is ready for the WebSocket handshake.
std::shared_ptr<autobahn::wamp_transport> make_websocket_transport(boost::asio::io_service& io, const std::string& url,
                                                                   std::shared_ptr<boost::asio::ssl::context> tls,
                                                                   std::function<void(SSL*)> tcp_connected,
                                                                   std::function<void(int fd)> connected);

// The same over TLS (link_wss.cpp); make_websocket_transport calls it when given a context.
std::shared_ptr<autobahn::wamp_transport> make_tls_websocket_transport(boost::asio::io_service& io,
                                                                       const std::string& url,
                                                                       std::shared_ptr<boost::asio::ssl::context> tls,
                                                                       std::function<void(SSL*)> tcp_connected,
                                                                       std::function<void(int fd)> connected);

}  // namespace wamp_metad::adapter::detail
