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
#include "wamp_metad/core/hooks.hpp"
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
  // The router's hook position when it routed the call (INVOCATION.Details._position, docs/hook-protocol.md),
  // if it says: every hook published before the call has a seq at or below it.
  virtual std::optional<core::hook_position> position() const { return std::nullopt; }
  virtual void reply(const core::call_result& result) = 0;
  virtual void fail(const core::call_error& error) = 0;
};

// One WAMP session to one realm of a router, as the rest of the adapter sees it. make_link() gives the real
// one (link.cpp); the adapter's unit tests give an in-process fake (tests/unit/fake_router.hpp), so that the
// feed, the served realms and the calls run without a router.
class link {
 public:
  // The outcome of a subscribe or register request: nothing, or why it failed.
  using done_fn = std::function<void(const std::optional<failure>&)>;
  using event_fn = std::function<void(const msgpack::object& args, const msgpack::object& kwargs)>;

  struct handlers {
    std::function<void(std::uint64_t session_id)> joined;
    // The connection or the session is gone (refused, aborted, closed, broken). Never called once the link
    // is leaving (begin_stop) or closed. After a GOODBYE the router started, `why.uri` is its reason and
    // `why.message` says "the router said GOODBYE REASON: MESSAGE" (Details.message, when it had one).
    std::function<void(const failure& why)> lost;
  };

  // An event with its told position: PUBLISH.Options {_told: [epoch, seq, index]} (docs/hook-protocol.md).
  struct told_position {
    const std::string& epoch;
    std::uint64_t seq;
    std::uint32_t index;
  };

  virtual ~link() = default;

  // Resolves the router's name (without blocking: every address in turn, IPv4 and IPv6), connects and joins;
  // handlers.joined or handlers.lost follows, the latter at the latest after `join_timeout` (a router that
  // closes or stalls during the handshake gives the client library no signal, and a name may never resolve).
  virtual void start(std::chrono::milliseconds join_timeout) = 0;
  // Leaves the realm: sends the GOODBYE and runs `closed` once the router answered it or the connection is
  // gone (at once when there is no session to leave), so that many links can leave in parallel. close()
  // then tears the connection down, whatever state it is in.
  virtual void begin_stop(std::function<void()> closed) = 0;
  // Tears the connection down at once (no GOODBYE unless begin_stop sent one): after begin_stop, or for a
  // link found dead.
  virtual void close() = 0;

  // Runs `on_event` for each event on `topic` (on the owner thread, inside the read of the message).
  virtual void subscribe(const std::string& topic, event_fn on_event, done_fn done) = 0;
  // Registers `uri`; invocations are handed to `handler` on the owner thread.
  virtual void provide(const std::string& uri, bool disclose_caller,
                       std::function<void(std::shared_ptr<invocation>)> handler, done_fn done) = 0;
  // As subscribe and provide, with a match policy ("exact", "prefix" or "wildcard"), as a client would (no
  // caller disclosed); `done` also gets the id the router gave the subscription or registration (0 when it
  // failed). For clients of the router (wamp-metad-conformance).
  using done_id_fn = std::function<void(const std::optional<failure>&, std::uint64_t id)>;
  virtual void subscribe(const std::string& topic, const std::string& match, event_fn on_event, done_id_fn done) = 0;
  virtual void provide(const std::string& uri, const std::string& match,
                       std::function<void(std::shared_ptr<invocation>)> handler, done_id_fn done) = 0;
  // UNSUBSCRIBE / UNREGISTER of an id `done_id_fn` gave.
  virtual void unsubscribe(std::uint64_t subscription, done_fn done) = 0;
  virtual void unprovide(std::uint64_t registration, done_fn done) = 0;
  // The Details of the router's WELCOME, as far as they decode (empty before the join).
  virtual core::object welcome_details() const = 0;
  // Publishes without acknowledgement; `kwargs` may be null, `told` too (an event without a told position).
  // Nothing is sent before the WELCOME or once the link is leaving.
  virtual void publish(const std::string& topic, const core::array& args, const core::object* kwargs,
                       const told_position* told) = 0;
  void publish(const std::string& topic, const core::array& args) { publish(topic, args, nullptr, nullptr); }
  void publish(const std::string& topic, const core::array& args, const core::object& kwargs) {
    publish(topic, args, kwargs.empty() ? nullptr : &kwargs, nullptr);
  }
  // Calls `uri`; `done` runs on the owner thread with the result, the router's error, or a timeout.
  virtual void call(const std::string& uri, const core::array& args, std::chrono::milliseconds timeout,
                    std::function<void(const call_reply&)> done) = 0;
};

// Makes a link; what the feed and the served realms use to get theirs (make_link, or a test's fake).
using link_factory =
    std::function<std::unique_ptr<link>(boost::asio::io_context& owner, const router_address& address,
                                        const std::string& realm, const credentials& creds, link::handlers h)>;

// A link to `address` through the WAMP client library.
std::unique_ptr<link> make_link(boost::asio::io_context& owner, const router_address& address, const std::string& realm,
                                const credentials& creds, link::handlers h);

}  // namespace wamp_metad::adapter
