// One WAMP session to the router. Every link runs on the owner's io_context, the one where all of
// wamp-metad's state lives: every callback of this class runs there, and every method is to be called from
// there. Writes never block (they are queued), and a closed connection is noticed at once (see link.cpp).
// This header keeps the WAMP client library out of view: it appears in link.cpp only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <msgpack.hpp>

#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/value.hpp"

namespace wamp_metad::adapter {

// Where the router listens: rs://host:port or tcp://host:port (RawSocket over TCP), unix:///path (RawSocket
// over a Unix socket), ws://host:port/path (WebSocket). msgpack in every case.
struct router_address {
  enum class kind { tcp, unix_socket, websocket };
  kind transport = kind::tcp;
  std::string host;
  std::uint16_t port = 0;
  std::string path;  // the socket's path, or the WebSocket URL's path
  std::string text;  // as configured, for log lines
};

// Parses a router URL; on error, returns the message in `error`.
bool parse_router_url(const std::string& url, router_address& out, std::string& error);

struct credentials {
  std::string authid;
  std::string authmethod;  // "ticket" or "wampcra"
  std::string secret;
};

// A payload received from the router, owned (it outlives the message it came in).
using payload = std::shared_ptr<const msgpack::object_handle>;

// The reply to a call: a payload, or an error URI with a message.
struct call_reply {
  bool ok = false;
  payload args;
  payload kwargs;
  std::string error_uri;  // for a timeout: wamp.error.timeout (our own)
  std::string error_text;
};

// An invocation of one of our procedures: readable and answerable from the owner thread.
class invocation {
 public:
  virtual ~invocation() = default;
  virtual const msgpack::object& args() const = 0;    // nil when absent
  virtual const msgpack::object& kwargs() const = 0;  // nil when absent
  virtual std::uint64_t caller() const = 0;           // 0 unless disclosed
  virtual void reply(const core::call_result& result) = 0;
  virtual void fail(const core::call_error& error) = 0;
};

class link {
 public:
  struct handlers {
    std::function<void(std::uint64_t session_id)> joined;
    // The connection or the session is gone (refused, aborted, closed, broken). Not called after stop().
    std::function<void(const std::string& why)> lost;
  };

  link(boost::asio::io_context& owner, router_address address, std::string realm, credentials creds, handlers h);
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  // Connects and joins; handlers.joined or handlers.lost follows, the latter at the latest after
  // `join_timeout` (a router that closes or stalls during the handshake gives the client library no signal).
  void start(std::chrono::milliseconds join_timeout);
  // Leaves the realm: begin_stop() sends the GOODBYE and runs `closed` once the router answered it or the
  // connection is gone (at once when there is no session to leave), so that many links can leave in
  // parallel; finish_stop() then tears the connection down, whatever state it is in (after a deadline of
  // the caller's, the link may not be closed yet).
  void begin_stop(std::function<void()> closed = {});
  void finish_stop();
  // Tears the connection down at once (no GOODBYE): for a link found dead.
  void abort();

  // Runs `on_event` for each event on `topic` (on the owner thread, inside the read of the message).
  // `done` (owner thread) gets an empty string on success, else the error.
  void subscribe(const std::string& topic,
                 std::function<void(const msgpack::object& args, const msgpack::object& kwargs)> on_event,
                 std::function<void(const std::string& error)> done);
  // Registers `uri`; invocations are handed to `handler` on the owner thread.
  void provide(const std::string& uri, bool disclose_caller, std::function<void(std::shared_ptr<invocation>)> handler,
               std::function<void(const std::string& error)> done);
  void publish(const std::string& topic, const core::array& args);
  void publish(const std::string& topic, const core::array& args, const core::object& kwargs);
  // Calls `uri`; `done` runs on the owner thread with the result, an error, or a timeout.
  void call(const std::string& uri, const core::array& args, std::chrono::milliseconds timeout,
            std::function<void(const call_reply&)> done);

  const std::string& realm() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace wamp_metad::adapter
