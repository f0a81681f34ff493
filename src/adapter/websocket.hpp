// WebSocket as the transport to the router (websocketpp, through the WAMP client library). Private to the
// adapter: only link.cpp and link_ws.cpp include it, since it brings in the client library.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <autobahn/wamp_transport.hpp>
#include <boost/asio/io_service.hpp>

namespace wamp_metad::adapter::detail {

// A WebSocket transport to `url` (ws://HOST:PORT/PATH, subprotocol wamp.2.msgpack) on `io`. The returned
// pointer keeps the WebSocket client it needs alive as long as the transport. `connected` gets the socket's
// descriptor once the TCP connection exists (on `io`'s thread).
std::shared_ptr<autobahn::wamp_transport> make_websocket_transport(boost::asio::io_service& io, const std::string& url,
                                                                   std::function<void(int fd)> connected);

}  // namespace wamp_metad::adapter::detail
