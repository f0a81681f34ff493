// One WAMP session to the router. Every link runs on the owner's io_context, the one where all of
// wamp-metad's state lives: every callback of this class runs there, and every method is to be called from
// there. Writes never block (they are queued), and a closed connection is noticed at once (see link.cpp).
// This header keeps the WAMP client library out of view: only link.cpp, link_ws.cpp and link_wss.cpp include it.
//
// Errors in the adapter: a link, or one request on it, that fails reports a `failure` (what kind, and the
// router's URI and words for the log); code above decides on the kind, never on the text. Exceptions stay
// at the edge of the client library, inside link.cpp: none leaves a link.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <msgpack.hpp>

#include "wamp_metad/adapter/address.hpp"
#include "wamp_metad/adapter/failure.hpp"
#include "wamp_metad/adapter/tls.hpp"
#include "wamp_metad/core/result.hpp"
#include "wamp_metad/core/value.hpp"

namespace wamp_metad::adapter {

// What a link presents to the router (the secret, a client certificate) and how it keeps them safe.
struct credentials {
  std::string authid;
  std::string authmethod;  // "ticket" or "wampcra"
  std::string secret;
  tls_options tls;  // for rss://, tcps:// and wss:// URLs
  // Send the secret over a plain TCP or WebSocket connection to a host that is not loopback (off: such a
  // link fails before it connects, with kind `insecure`).
  bool allow_plaintext_secret = false;
};

// A payload received from the router, owned (it outlives the message it came in).
using payload = std::shared_ptr<const msgpack::object_handle>;

// The outcome of a call: its positional result, or why there is none.
struct call_reply {
  payload args;
  std::optional<failure> error;
  bool ok() const { return !error; }
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
  // The outcome of a subscribe or register request: nothing, or why it failed.
  using done_fn = std::function<void(const std::optional<failure>&)>;

  struct handlers {
    std::function<void(std::uint64_t session_id)> joined;
    // The connection or the session is gone (refused, aborted, closed, broken). Never called once the link
    // is leaving (begin_stop) or closed. After a GOODBYE the router started, `why.uri` is its reason and
    // `why.message` says "the router said GOODBYE REASON: MESSAGE" (Details.message, when it had one).
    std::function<void(const failure& why)> lost;
  };

  link(boost::asio::io_context& owner, router_address address, std::string realm, credentials creds, handlers h);
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  // Connects and joins; handlers.joined or handlers.lost follows, the latter at the latest after
  // `join_timeout` (a router that closes or stalls during the handshake gives the client library no signal).
  void start(std::chrono::milliseconds join_timeout);
  // Leaves the realm: sends the GOODBYE and runs `closed` once the router answered it or the connection is
  // gone (at once when there is no session to leave), so that many links can leave in parallel. close()
  // then tears the connection down, whatever state it is in.
  void begin_stop(std::function<void()> closed = {});
  // Tears the connection down at once (no GOODBYE unless begin_stop sent one): after begin_stop, or for a
  // link found dead.
  void close();

  // Runs `on_event` for each event on `topic` (on the owner thread, inside the read of the message).
  void subscribe(const std::string& topic,
                 std::function<void(const msgpack::object& args, const msgpack::object& kwargs)> on_event,
                 done_fn done);
  // Registers `uri`; invocations are handed to `handler` on the owner thread.
  void provide(const std::string& uri, bool disclose_caller, std::function<void(std::shared_ptr<invocation>)> handler,
               done_fn done);
  // As subscribe and provide, with a match policy ("exact", "prefix" or "wildcard"); `done` also gets the id the
  // router gave the subscription or registration (0 when it failed).
  using done_id_fn = std::function<void(const std::optional<failure>&, std::uint64_t id)>;
  void subscribe(const std::string& topic, const std::string& match,
                 std::function<void(const msgpack::object& args, const msgpack::object& kwargs)> on_event,
                 done_id_fn done);
  void provide(const std::string& uri, const std::string& match,
               std::function<void(std::shared_ptr<invocation>)> handler, done_id_fn done);
  // UNSUBSCRIBE / UNREGISTER of an id `done_id_fn` gave.
  void unsubscribe(std::uint64_t subscription, done_fn done);
  void unprovide(std::uint64_t registration, done_fn done);
  // The Details of the router's WELCOME, as far as they decode (empty before the join).
  core::object welcome_details() const;
  void publish(const std::string& topic, const core::array& args);
  void publish(const std::string& topic, const core::array& args, const core::object& kwargs);
  // An event with its told position: PUBLISH.Options {_told: [epoch, seq, index]} (docs/hook-protocol.md).
  struct told_position {
    const std::string& epoch;
    std::uint64_t seq;
    std::uint32_t index;
  };
  void publish(const std::string& topic, const core::array& args, const core::object* kwargs,
               const told_position& told);
  // Calls `uri`; `done` runs on the owner thread with the result, the router's error, or a timeout.
  void call(const std::string& uri, const core::array& args, std::chrono::milliseconds timeout,
            std::function<void(const call_reply&)> done);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// Makes a link to `address`: the one way code outside the adapter gets one.
std::unique_ptr<link> make_link(boost::asio::io_context& owner, router_address address, std::string realm,
                                credentials creds, link::handlers h);

}  // namespace wamp_metad::adapter
