// One of the three translation units that include the WAMP client library (Autobahn|Cpp; link_ws.cpp and
// link_wss.cpp have its WebSocket transport, plain and over TLS): each costs 20-30 s and about 1 GB to compile,
// so nothing else includes it.
// The library's exceptions end here: they become typed failures (see classify()). TLS (rss://, wss://) comes
// from tls.cpp: a link over TLS keeps what its connection saw of the handshake, and a link that fails before
// its transport is up reports that instead of the library's words (see fail_connecting()).
//
// One thread. Every link runs on the owner's io_context, where everything that touches wamp-metad's state
// runs too: a hook is read, applied and its meta event written in one pass, with no hand-off between
// threads (each cost a wake-up of a sleeping thread, about 100 µs on a virtual machine). Two things the
// client library does not do on its own make that safe:
// - It writes synchronously: a router that stops reading would stall every link. Here every message it
//   sends, and every event wamp-metad publishes, goes into the link's queue of framed messages, written
//   asynchronously, gathered into one system call when several are waiting. A queue that grows past
//   `max_queued_bytes` means a router that stopped reading: the link is lost.
// - It never says that the connection closed (a failed read just ends its read loop). A watcher thread per
//   link waits in poll() on a duplicate of the socket's descriptor for the peer's close, an error or a
//   reset, and tells the owner; it touches nothing else.
// The library's futures may still run their continuations on a thread of Boost.Thread's own (seen with Boost
// 1.74 even with boost::launch::sync), so a continuation only posts to the owner.
//
// Events skip the library's message objects on RawSocket: publish() serializes the PUBLISH straight into the
// queue (the library would build a message with a zone of its own, 8 KiB at least, per event).
#include "wamp_metad/adapter/link.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/thread/future.hpp>

#include <autobahn/autobahn.hpp>
#include <autobahn/wamp_auth_utils.hpp>

#include "buffered_reads.hpp"
#include "tls_client.hpp"
#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"
#include "wamp_metad/protocol/encode.hpp"
#include "websocket.hpp"

namespace wamp_metad::adapter {
namespace {

// The failure that the exception in flight stands for (call from a catch block), its message prefixed with
// `context`. The library hands the router's ERROR to a call, subscribe or register over as a plain
// std::runtime_error whose text is the URI (then ": " and the error's kwarg "what", when present); an ABORT
// to a join as abort_error; a request it could not send as a std::exception sliced from its own.
failure classify(const std::string& context) {
  const auto make = [&context](failure::kind what, std::string uri, const char* text) {
    return failure{what, std::move(uri), context + text};
  };
  try {
    throw;
  } catch (const autobahn::abort_error& e) {
    return make(failure::kind::refused, e.what(), e.what());
  } catch (const autobahn::protocol_error& e) {
    return make(failure::kind::protocol, uri::runtime_error, e.what());
  } catch (const autobahn::no_session_error& e) {
    return make(failure::kind::not_connected, uri::not_connected, e.what());
  } catch (const autobahn::no_transport_error& e) {
    return make(failure::kind::not_connected, uri::not_connected, e.what());
  } catch (const autobahn::network_error& e) {
    return make(failure::kind::closed, uri::not_connected, e.what());
  } catch (const std::runtime_error& e) {
    const std::string text = e.what();
    std::string error_uri = text.substr(0, text.find(": "));
    const auto what = error_uri == uri::procedure_already_exists ? failure::kind::conflict : failure::kind::refused;
    return make(what, std::move(error_uri), e.what());
  } catch (const std::exception& e) {
    return make(failure::kind::not_connected, uri::not_connected, e.what());
  }
}

// A session that answers ticket and wampcra challenges with the configured secret.
class authenticating_session : public autobahn::wamp_session {
 public:
  authenticating_session(boost::asio::io_service& io, credentials creds)
      : autobahn::wamp_session(io), creds_(std::move(creds)) {}

  boost::future<autobahn::wamp_authenticate> on_challenge(const autobahn::wamp_challenge& challenge) override {
    boost::promise<autobahn::wamp_authenticate> answer;
    std::string signature;
    if (challenge.authmethod() == "ticket") {
      signature = creds_.secret;
    } else if (challenge.authmethod() == "wampcra") {
      const std::string key = challenge.salt().empty() ? creds_.secret
                                                       : ::derive_key(creds_.secret, challenge.salt(),
                                                                      challenge.iterations(), challenge.keylen());
      signature = ::compute_wcs(key, challenge.challenge());
    }
    answer.set_value(autobahn::wamp_authenticate(signature));
    return answer.get_future();
  }

  std::string goodbye_reason;  // of a GOODBYE the router started ("" when none came); see goodbye_guard
  std::string goodbye_message;
  core::object welcome;  // the WELCOME's Details, copied as it came (the library keeps views into a freed message)

  // The library's version asserts that the session was stopped first, which a link torn down in any state
  // cannot promise. Detaching is only how the link breaks the session <-> transport ownership cycle.
  void on_detach(bool, const std::string&) override {}

 private:
  credentials creds_;
};

// Between the transport and the session, for what the router starts and the library cannot take (each would
// throw out of the read and end the process):
// - a GOODBYE (a kill, a shutdown): the library answers it on the session it has just ended. Its reason and
//   Details.message are kept for the link's `lost` report instead; the router closes the connection;
// - a router-initiated UNSUBSCRIBED or UNREGISTERED (request 0, a removal by the router): dropped.
// It also copies the WELCOME's Details (link::welcome_details()).
class goodbye_guard final : public autobahn::wamp_transport_handler {
  // An ERROR's words, for the log: the library keeps of an ERROR only its URI and ArgumentsKw "what" (and only
  // when every ArgumentsKw value is a string), so its Arguments[0] (the message) and its ArgumentsKw, whatever
  // their types, are put into "what" as text before it reads the message.
  static autobahn::wamp_message with_words(autobahn::wamp_message message) {
    std::ostringstream words;
    const auto& args = message.field(5);
    if (args.type == msgpack::type::ARRAY && args.via.array.size > 0) {
      const auto& first = args.via.array.ptr[0];
      if (first.type == msgpack::type::STR)
        words << std::string_view(first.via.str.ptr, first.via.str.size);
      else
        words << first;
    }
    if (message.size() > 6 && message.field(6).type == msgpack::type::MAP && message.field(6).via.map.size > 0)
      words << (words.tellp() > 0 ? " " : "") << message.field(6);
    const std::string text = words.str();
    if (text.empty()) return message;
    autobahn::wamp_message out(7);
    for (std::size_t i = 0; i < 6; ++i)
      out.set_field(i, message.field(i));
    out.set_field(6, std::map<std::string, std::string>{{"what", text.substr(0, 2000)}});
    return out;
  }

 public:
  explicit goodbye_guard(std::shared_ptr<authenticating_session> s) : session_(std::move(s)) {}
  void on_attach(const std::shared_ptr<autobahn::wamp_transport>& t) override { handler().on_attach(t); }
  void on_detach(bool was_clean, const std::string& reason) override { handler().on_detach(was_clean, reason); }
  void on_message(autobahn::wamp_message&& message) override {
    if (message.size() >= 6 && message.field(0).type == msgpack::type::POSITIVE_INTEGER &&
        message.field(0).via.u64 == 8)
      return handler().on_message(with_words(std::move(message)));
    const bool goodbye = message.size() == 3 && message.field(0).type == msgpack::type::POSITIVE_INTEGER &&
                         message.field(0).via.u64 == 6;
    const bool removal = message.size() >= 2 && message.field(0).type == msgpack::type::POSITIVE_INTEGER &&
                         (message.field(0).via.u64 == 35 || message.field(0).via.u64 == 67) &&
                         message.field(1).type == msgpack::type::POSITIVE_INTEGER && message.field(1).via.u64 == 0;
    if (removal) return;
    const bool welcome = message.size() == 3 && message.field(0).type == msgpack::type::POSITIVE_INTEGER &&
                         message.field(0).via.u64 == 2;
    if (welcome) {
      auto details = protocol::to_value(message.field(2));
      if (details.ok() && details.value().is<core::object>())
        session_->welcome = std::move(*details.value().get_if<core::object>());
    }
    if (!goodbye) return handler().on_message(std::move(message));
    const auto& reason = message.field(2);
    if (reason.type == msgpack::type::STR) session_->goodbye_reason.assign(reason.via.str.ptr, reason.via.str.size);
    const auto& details = message.field(1);
    if (details.type == msgpack::type::MAP) {
      for (std::uint32_t i = 0; i < details.via.map.size; ++i) {
        const auto& kv = details.via.map.ptr[i];
        if (kv.key.type == msgpack::type::STR && kv.val.type == msgpack::type::STR &&
            std::string(kv.key.via.str.ptr, kv.key.via.str.size) == "message")
          session_->goodbye_message.assign(kv.val.via.str.ptr, kv.val.via.str.size);
      }
    }
    try {
      handler().on_message(std::move(message));
    } catch (const autobahn::no_session_error&) {
    }
  }

 private:
  autobahn::wamp_transport_handler& handler() { return *session_; }
  std::shared_ptr<authenticating_session> session_;
};

// The library keeps the socket to itself: this hands its sends to the link's queue instead of writing them
// synchronously, and gives the link the socket for its own writes.
template <class Transport>
class queued_transport : public Transport {
 public:
  using Transport::Transport;
  using socket_type = typename Transport::socket_type;
  socket_type& stream() { return this->socket(); }
  // Owner thread: takes framed bytes (RawSocket length prefix + msgpack message).
  std::function<void(std::string)> enqueue;

  void send_message(autobahn::wamp_message&& message) override {
    if (!enqueue) throw autobahn::no_transport_error();
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> packer(body);
    packer.pack(message.fields());
    enqueue(frame(body));
  }

  static std::string frame(const msgpack::sbuffer& body) {
    const auto n = static_cast<std::uint32_t>(body.size());
    std::string bytes;
    bytes.reserve(4 + body.size());
    bytes.push_back(static_cast<char>((n >> 24) & 0xff));
    bytes.push_back(static_cast<char>((n >> 16) & 0xff));
    bytes.push_back(static_cast<char>((n >> 8) & 0xff));
    bytes.push_back(static_cast<char>(n & 0xff));
    bytes.append(body.data(), body.size());
    return bytes;
  }
};
// A TCP socket without Nagle's delay from the moment it connects (before the RawSocket handshake).
class tcp_socket : public boost::asio::ip::tcp::socket {
 public:
  using boost::asio::ip::tcp::socket::socket;
  template <class Handler>
  void async_connect(const endpoint_type& endpoint, Handler handler) {
    // The socket outlives the completion: a dropped transport lingers (see drop_transport()), and a closed
    // socket's connect completes with operation_aborted, which leaves `this` alone.
    boost::asio::ip::tcp::socket::async_connect(endpoint, [this, handler](const boost::system::error_code& ec) mutable {
      boost::system::error_code ignored;
      if (!ec) set_option(boost::asio::ip::tcp::no_delay(true), ignored);
      handler(ec);
    });
  }
};

// The library's RawSocket transport, its reads through a buffer (see buffered_reads.hpp): over TCP, over a
// Unix socket, and over TLS (detail::tls_socket, which does the TLS handshake as part of connecting; the
// RawSocket handshake and messages then go through TLS).
template <class Socket>
using rawsocket = autobahn::wamp_rawsocket_transport<detail::buffered_reads<Socket>>;

class tls_tcp_transport_base : public rawsocket<detail::tls_socket> {
 public:
  tls_tcp_transport_base(boost::asio::io_service& io, const boost::asio::ip::tcp::endpoint& endpoint,
                         std::shared_ptr<boost::asio::ssl::context> context, const std::string& host)
      : rawsocket<detail::tls_socket>(io, endpoint) {
    socket().configure(std::move(context), host);
  }
};

using tcp_transport = queued_transport<rawsocket<tcp_socket>>;
using uds_transport = queued_transport<rawsocket<boost::asio::local::stream_protocol::socket>>;
using tls_tcp_transport = queued_transport<tls_tcp_transport_base>;

// Waits, on a thread of its own, for the connection behind `fd` to close, fail or be reset, and then runs
// `gone` once (from that thread). Holds a duplicate of the descriptor, so that the socket it watches cannot
// be replaced under it by a new one with the same number. stop() ends it at once.
class close_watcher {
 public:
  close_watcher(int fd, std::function<void(std::string)> gone)
      : fd_(::fcntl(fd, F_DUPFD_CLOEXEC, 0)), wake_(::eventfd(0, EFD_CLOEXEC)), gone_(std::move(gone)) {
    thread_ = std::thread([this] { run(); });
  }
  ~close_watcher() { stop(); }
  close_watcher(const close_watcher&) = delete;
  close_watcher& operator=(const close_watcher&) = delete;

  // Also shuts the connection down: the library's socket may share it with this duplicate.
  void stop() {
    if (thread_.joinable()) {
      const std::uint64_t one = 1;
      if (wake_ >= 0) (void)!::write(wake_, &one, sizeof one);
      thread_.join();
    }
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
      ::close(fd_);
      fd_ = -1;
    }
    if (wake_ >= 0) {
      ::close(wake_);
      wake_ = -1;
    }
  }

 private:
  void run() {
    if (fd_ < 0 || wake_ < 0) return gone_("cannot watch the connection (out of descriptors)");
    for (;;) {
      pollfd p[2] = {{fd_, POLLRDHUP, 0}, {wake_, POLLIN, 0}};
      const int r = ::poll(p, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return gone_(std::string("cannot watch the connection: ") + std::strerror(errno));
      if (p[1].revents != 0) return;  // stop()
      if (p[0].revents & (POLLERR | POLLNVAL)) return gone_("connection failed");
      if (p[0].revents & (POLLRDHUP | POLLHUP)) return gone_("connection closed by the router");
    }
  }

  int fd_;
  int wake_;
  std::function<void(std::string)> gone_;
  std::thread thread_;
};

// A call's result keeps the zone its message was decoded into (and, through the zone, the receive buffer its
// strings point into): holding the result keeps its payload valid, with no copy of a snapshot page.
struct held_result {
  explicit held_result(autobahn::wamp_call_result r) : result(std::move(r)) {
    args = msgpack::object_handle(result.arguments<msgpack::object>(), msgpack::unique_ptr<msgpack::zone>());
  }
  autobahn::wamp_call_result result;
  msgpack::object_handle args;
};

class invocation_impl final : public invocation {
 public:
  explicit invocation_impl(autobahn::wamp_invocation inv) : inv_(std::move(inv)) {
    args_ = inv_->arguments<msgpack::object>();
    kwargs_ = inv_->kw_arguments<msgpack::object>();
    try {
      auto details = inv_->details<std::unordered_map<std::string, msgpack::object>>();
      auto it = details.find("caller");
      if (it != details.end() && it->second.type == msgpack::type::POSITIVE_INTEGER) caller_ = it->second.via.u64;
      // [epoch, seq]; anything else is no position (the call then waits as it would without one).
      it = details.find(uri::position_detail);
      if (it != details.end() && it->second.type == msgpack::type::ARRAY && it->second.via.array.size == 2) {
        const auto& e = it->second.via.array.ptr[0];
        const auto& q = it->second.via.array.ptr[1];
        if (e.type == msgpack::type::STR && q.type == msgpack::type::POSITIVE_INTEGER)
          position_ = core::hook_position{std::string(e.via.str.ptr, e.via.str.size), q.via.u64};
      }
    } catch (const std::exception&) {
      caller_ = 0;  // details without a readable caller: treated as not disclosed
    }
  }
  const msgpack::object& args() const override { return args_; }
  const msgpack::object& kwargs() const override { return kwargs_; }
  std::uint64_t caller() const override { return caller_; }
  std::optional<core::hook_position> position() const override { return position_; }

  // The library hands the YIELD / ERROR to the link's queue (see queued_transport).
  void reply(const core::call_result& result) override {
    try {
      if (result.kwargs.empty())
        inv_->result(result.args);
      else
        inv_->result(result.args, core::value(result.kwargs));
    } catch (const std::exception&) {
      // The link is gone; the caller gets its error from the router.
    }
  }
  void fail(const core::call_error& error) override {
    try {
      inv_->error(error.uri, core::array{error.message});
    } catch (const std::exception&) {
    }
  }

 private:
  autobahn::wamp_invocation inv_;
  msgpack::object args_;
  msgpack::object kwargs_;
  std::uint64_t caller_ = 0;
  std::optional<core::hook_position> position_;
};

}  // namespace

namespace {

struct impl : std::enable_shared_from_this<impl> {
  using handlers = link::handlers;
  using done_fn = link::done_fn;

  impl(boost::asio::io_context& o, router_address a, std::string r, credentials c, handlers hs)
      : owner(o), address(std::move(a)), realm(std::move(r)), creds(std::move(c)), h(std::move(hs)) {}

  // A router that has not taken this much of what was sent to it has stopped reading.
  static constexpr std::size_t max_queued_bytes = std::size_t{256} << 20;
  // How long a plain link that got no transport handshake waits for a TLS handshake on the same address.
  static constexpr std::chrono::milliseconds probe_timeout{1000};

  boost::asio::io_context& owner;
  router_address address;
  std::string realm;
  credentials creds;
  handlers h;

  std::shared_ptr<autobahn::wamp_transport> transport;
  std::shared_ptr<authenticating_session> session;
  boost::asio::steady_timer join_timer{owner};
  std::vector<boost::future<void>> steps;  // continuations of connect, start and join
  std::unique_ptr<close_watcher> watcher;
  bool stopping = false;
  bool joined = false;
  bool lost_reported = false;
  bool closed = false;  // GOODBYE answered, or the connection gone, while stopping
  std::function<void()> on_closed;

  // While connecting: what the TLS connection saw (over TLS), whether the TCP connection is up, whether the
  // transport (its RawSocket or WebSocket handshake) is, and whether a plain link is probing for TLS.
  std::shared_ptr<detail::tls_observation> tls_seen;
  bool tcp_connected = false;
  std::function<bool()> tcp_established;  // asked when the transport does not say (plain RawSocket)
  bool transport_up = false;
  bool probing = false;
  std::shared_ptr<boost::asio::ssl::context> tls_context;  // over TLS: made once per link
  std::unique_ptr<boost::asio::ip::tcp::resolver> resolver;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // what the name stands for, tried in turn
  std::size_t endpoint_index = 0;

  // The queue of framed messages (RawSocket), and the writes under way.
  std::function<void(const std::vector<boost::asio::const_buffer>&,
                     std::function<void(boost::system::error_code, std::size_t)>)>
      write_some;
  std::string queue;             // framed messages back to back, not yet handed to a write
  std::size_t queued_bytes = 0;  // waiting and under way
  bool writing = false;
  bool pump_posted = false;
  std::size_t pump_seen = 0;  // the queue's size when the posted pump last looked
  int pump_deferrals = 0;
  int pump_quiet = 0;   // turns of the loop in a row without a new message
  bool urgent = false;  // the queue holds a message of the library's, to be written without waiting
  std::uint64_t publication_id = 0;

  template <class F>
  void post_owner(F f) {
    std::weak_ptr<impl> weak = weak_from_this();
    boost::asio::post(owner, [weak, f = std::move(f)]() mutable {
      if (auto self = weak.lock()) f(*self);
    });
  }

  // The library's procedure for `handler`: each invocation handed over on the owner thread.
  static auto procedure_of(std::weak_ptr<impl> weak, std::function<void(std::shared_ptr<invocation>)> handler) {
    return [weak, handler = std::move(handler)](autobahn::wamp_invocation inv) {
      auto self = weak.lock();
      if (!self) return;
      auto wrapped = std::make_shared<invocation_impl>(std::move(inv));
      self->post_owner([handler, wrapped](impl&) { handler(wrapped); });
    };
  }

  // A continuation that hands the outcome of a subscribe or register request to `done` on the owner thread.
  template <class Result>
  static auto outcome_to_owner(std::weak_ptr<impl> weak, done_fn done) {
    return [weak, done = std::move(done)](boost::future<Result> f) {
      std::optional<failure> error;
      try {
        f.get();
      } catch (const std::exception&) {
        error = classify("");
      }
      if (auto self = weak.lock()) self->post_owner([done, error](impl&) { done(error); });
    };
  }

  // Any thread: tells the owner once that the link is gone (unless it is being stopped: then it is closed).
  void report_lost(failure why) {
    post_owner([why = std::move(why)](impl& self) mutable {
      if (self.stopping) return self.mark_closed();
      if (self.lost_reported) return;
      if (self.session && !self.session->goodbye_reason.empty()) {
        why.uri = self.session->goodbye_reason;
        why.message = "the router said GOODBYE " + why.uri +
                      (self.session->goodbye_message.empty() ? "" : ": " + self.session->goodbye_message);
      }
      self.lost_reported = true;
      self.joined = false;
      if (self.h.lost) self.h.lost(why);
    });
  }

  void mark_closed() {
    if (closed) return;
    closed = true;
    if (auto f = std::move(on_closed)) f();
  }

  // Owner thread: the connection is up; watch it for its end.
  void watch(int fd) {
    if (fd < 0 || watcher) return;
    std::weak_ptr<impl> weak = weak_from_this();
    watcher = std::make_unique<close_watcher>(fd, [weak](std::string text) {
      const failure why{failure::kind::closed, uri::not_connected, std::move(text)};
      auto self = weak.lock();
      if (!self) return;
      // A message with a better reason (an ABORT, say) may still be on its way: give it a moment.
      self->post_owner([weak, why](impl& s) {
        auto timer = std::make_shared<boost::asio::steady_timer>(s.owner, std::chrono::milliseconds(100));
        timer->async_wait([weak, timer, why](const boost::system::error_code&) {
          if (auto s2 = weak.lock()) s2->report_lost(why);
        });
      });
    });
  }

  // Owner thread: queues framed bytes for the router (the library's messages: a YIELD, a CALL...), written at
  // once unless a write is under way (then with the next one), as a call's answer must not wait for events.
  void enqueue(std::string bytes) {
    if (lost_reported || closed) return;
    queue += bytes;
    urgent = true;
    if (queued(bytes.size())) pump();
  }

  // Owner thread: `n` more bytes are in the queue; false when that is too many (the link is lost).
  bool queued(std::size_t n) {
    queued_bytes += n;
    if (queued_bytes > max_queued_bytes) {
      report_lost({failure::kind::closed, uri::not_connected,
                   "the router stopped reading: " + std::to_string(queued_bytes >> 20) + " MiB waiting to be sent"});
      return false;
    }
    return true;
  }

  // How many turns of the event loop a write may wait for more messages, how many quiet turns (nothing
  // queued) end the wait, and how many bytes end it.
  static constexpr int max_pump_deferrals = 32;
  static constexpr int quiet_pump_turns = 3;
  static constexpr std::size_t pump_batch_bytes = std::size_t{256} << 10;

  // Owner thread: the write is not made at once but from a handler of its own, so that the messages of the
  // hooks read meanwhile go with it. Reading and applying a hook takes a few turns of the event loop (the
  // RawSocket header, the message, the apply): the write waits while messages keep coming, up to
  // max_pump_deferrals turns, and goes after quiet_pump_turns turns without a new one (on a quiet link, a
  // few microseconds). One system call for many events instead of one each (and on loopback, one pass
  // through the receiver's TCP stack, which the sender pays for).
  void schedule_pump() {
    if (writing || pump_posted || queue.empty() || !write_some) return;
    pump_posted = true;
    pump_seen = queue.size();
    pump_deferrals = 0;
    pump_quiet = 0;
    post_pump();
  }

  void post_pump() {
    std::weak_ptr<impl> weak = weak_from_this();
    boost::asio::post(owner, [weak] {
      auto self = weak.lock();
      if (!self) return;
      const std::size_t now = self->queue.size();
      self->pump_quiet = now > self->pump_seen ? 0 : self->pump_quiet + 1;
      self->pump_seen = now;
      if (now < pump_batch_bytes && self->pump_quiet < quiet_pump_turns && ++self->pump_deferrals < max_pump_deferrals)
        return self->post_pump();
      self->pump_posted = false;
      self->pump();
    });
  }

  // Owner thread: writes whatever waits, in one write (one buffer: over TLS, one record), unless one is under
  // way.
  void pump() {
    if (writing || queue.empty() || !write_some) return;
    writing = true;
    urgent = false;
    // The bytes stay with the write until it completes, even if the link is gone by then.
    auto in_flight = std::make_shared<std::string>();
    in_flight->swap(queue);
    queue.reserve(std::min(in_flight->capacity(), pump_batch_bytes));
    const std::size_t bytes = in_flight->size();
    const std::vector<boost::asio::const_buffer> buffers{boost::asio::const_buffer(in_flight->data(), bytes)};
    std::weak_ptr<impl> weak = weak_from_this();
    write_some(buffers, [weak, bytes, in_flight](boost::system::error_code ec, std::size_t) {
      auto self = weak.lock();
      if (!self) return;
      self->writing = false;
      if (ec) {
        if (ec != boost::asio::error::operation_aborted)
          self->report_lost({failure::kind::closed, uri::not_connected, "cannot send to the router: " + ec.message()});
        return;
      }
      self->queued_bytes -= bytes;
      if (self->urgent)
        self->pump();
      else
        self->schedule_pump();
    });
  }

  // Appends what msgpack's packer writes to a string.
  struct string_sink {
    std::string& out;
    void write(const char* p, std::size_t n) { out.append(p, n); }
  };

  // Owner thread: a PUBLISH without acknowledgement, serialized straight into the queue, framed in place.
  void publish_framed(const std::string& topic, const core::array& args, const core::object* kwargs,
                      const link::told_position* told = nullptr) {
    if (lost_reported || closed) return;
    const std::size_t start = queue.size();
    queue.append(4, '\0');  // the RawSocket length prefix, filled in below
    string_sink sink{queue};
    msgpack::packer<string_sink> pk(sink);
    pk.pack_array(kwargs ? 6 : 5);
    pk.pack(16);  // PUBLISH
    // Request ids of our own: the router answers a PUBLISH without acknowledgement only with an ERROR, which
    // nobody waits for, so they need not follow the library's.
    pk.pack(++publication_id);
    if (told) {
      pk.pack_map(1);
      pk.pack(uri::told_option);
      pk.pack_array(3);
      pk.pack(told->epoch);
      pk.pack(told->seq);
      pk.pack(told->index);
    } else {
      pk.pack_map(0);
    }
    pk.pack(topic);
    pk.pack_array(static_cast<std::uint32_t>(args.size()));
    for (const auto& a : args)
      pk.pack(a);
    if (kwargs) pk.pack(core::value(*kwargs));
    const auto n = static_cast<std::uint32_t>(queue.size() - start - 4);
    queue[start] = static_cast<char>((n >> 24) & 0xff);
    queue[start + 1] = static_cast<char>((n >> 16) & 0xff);
    queue[start + 2] = static_cast<char>((n >> 8) & 0xff);
    queue[start + 3] = static_cast<char>(n & 0xff);
    if (queued(queue.size() - start)) schedule_pump();
  }

  template <class T>
  void attach_queue(const std::shared_ptr<T>& t) {
    std::weak_ptr<impl> weak = weak_from_this();
    t->enqueue = [weak](std::string bytes) {
      if (auto self = weak.lock()) self->enqueue(std::move(bytes));
    };
    std::weak_ptr<T> weak_t = t;
    write_some = [weak_t](const std::vector<boost::asio::const_buffer>& buffers,
                          std::function<void(boost::system::error_code, std::size_t)> done) {
      auto tr = weak_t.lock();
      if (!tr) return done(boost::asio::error::operation_aborted, 0);
      boost::asio::async_write(tr->stream(), buffers, std::move(done));
    };
  }

  // Owner thread. Each step's continuation starts the next one (see the note at the top). Nothing here
  // blocks: a name is resolved by the resolver's own thread (an IP address is not resolved at all), and
  // a RawSocket link tries every address the name stands for, in the resolver's order, until one connects
  // (an installed Debian gives ::1 before 127.0.0.1 for localhost; a router may listen on either).
  void connect() {
    if (address.transport == router_address::kind::unix_socket) {
      auto t = std::make_shared<uds_transport>(owner, boost::asio::local::stream_protocol::endpoint(address.path));
      attach_queue(t);
      return attach_and_connect(t, descriptor_of(t), false);
    }
    if (address.tls) {
      auto context = detail::make_client_context(creds.tls);
      if (!context.ok())
        return report_lost({failure::kind::tls, uri::not_connected,
                            "TLS with " + address.text + ": " + context.error().message, "local_files"});
      tls_context = std::move(context.value());
    }
    const bool websocket = address.transport == router_address::kind::websocket;
    const bool check_plaintext = plaintext_network(address) && !creds.allow_plaintext_secret;
    // websocketpp resolves (asynchronously) and tries every address itself: only the plaintext check needs
    // the addresses first.
    if (websocket && !check_plaintext) return connect_websocket();
    boost::system::error_code ec;
    const auto literal = boost::asio::ip::make_address(address.host, ec);
    if (!ec) return resolved({boost::asio::ip::tcp::endpoint(literal, address.port)});
    resolver = std::make_unique<boost::asio::ip::tcp::resolver>(owner);
    std::weak_ptr<impl> weak = weak_from_this();
    resolver->async_resolve(
        address.host, std::to_string(address.port),
        [weak](const boost::system::error_code& e, boost::asio::ip::tcp::resolver::results_type results) {
          auto self = weak.lock();
          if (!self || e == boost::asio::error::operation_aborted || self->stopping || self->lost_reported) return;
          if (e || results.empty())
            return self->report_lost({failure::kind::unreachable, uri::not_connected,
                                      "cannot resolve " + self->address.host + " (" + self->address.text +
                                          "): " + (e ? e.message() : std::string("no address"))});
          std::vector<boost::asio::ip::tcp::endpoint> endpoints;
          for (const auto& r : results)
            endpoints.push_back(r.endpoint());
          self->resolved(std::move(endpoints));
        });
  }

  // Owner thread: the addresses the router's name stands for.
  void resolved(std::vector<boost::asio::ip::tcp::endpoint> found) {
    if (plaintext_network(address) && !creds.allow_plaintext_secret) {
      for (const auto& e : found) {
        if (e.address().is_loopback()) continue;
        return report_lost({failure::kind::insecure, uri::not_connected,
                            "refusing to send the " + creds.authmethod + " secret in clear text to " +
                                e.address().to_string() + " (" + address.text +
                                ": not a loopback address): use rss:// or wss:// (TLS), or --allow-plaintext-secret"});
      }
    }
    if (address.transport == router_address::kind::websocket) return connect_websocket();
    endpoints = std::move(found);
    connect_tcp(0);
  }

  // Owner thread: a RawSocket connection to the `index`th address.
  void connect_tcp(std::size_t index) {
    endpoint_index = index;
    const auto& endpoint = endpoints[index];
    tcp_connected = false;
    if (tls_context) {
      auto t = std::make_shared<tls_tcp_transport>(owner, endpoint, tls_context, address.host);
      tls_seen = t->stream().observation();
      attach_queue(t);
      return attach_and_connect(t, descriptor_of(t), index + 1 < endpoints.size());
    }
    auto t = std::make_shared<tcp_transport>(owner, endpoint);
    std::weak_ptr<tcp_transport> weak_t = t;
    tcp_established = [weak_t] {
      auto tr = weak_t.lock();
      boost::system::error_code ec;
      if (tr) tr->stream().remote_endpoint(ec);
      return tr && !ec;
    };
    attach_queue(t);
    attach_and_connect(t, descriptor_of(t), index + 1 < endpoints.size());
  }

  void connect_websocket() {
    // Its writes are queued by websocketpp itself; its descriptor comes once the TCP connection exists.
    std::weak_ptr<impl> weak = weak_from_this();
    auto t = detail::make_websocket_transport(
        owner, address.text, tls_context,
        [weak](SSL* ssl) {
          auto self = weak.lock();
          if (!self) return;
          self->tcp_connected = true;
          if (ssl) self->tls_seen = detail::prepare_connection(ssl, self->address.host);
        },
        [weak](int fd) {
          if (auto self = weak.lock()) self->watch(fd);
        });
    attach_and_connect(
        t, [] { return -1; }, false);
  }

  // The socket's descriptor, once connected. Holds the transport weakly: the function ends up in a
  // continuation of the transport's own connect promise, and a strong hold would keep both alive for ever
  // when that promise is never kept (a connection torn down mid-handshake as the process exits).
  template <class T>
  static std::function<int()> descriptor_of(const std::shared_ptr<T>& t) {
    return [weak = std::weak_ptr<T>(t)] {
      auto tr = weak.lock();
      return tr ? static_cast<int>(tr->stream().native_handle()) : -1;
    };
  }

  // `more`: another address is left to try if this one refuses the connection.
  void attach_and_connect(std::shared_ptr<autobahn::wamp_transport> t, std::function<int()> descriptor, bool more) {
    transport = t;
    session = std::make_shared<authenticating_session>(owner, creds);
    t->attach(std::make_shared<goodbye_guard>(session));
    const std::string context =
        "cannot connect to " + address.text + (endpoints.empty() ? std::string() : " (" + endpoint_text() + ")") + ": ";
    step(
        t->connect(), context, failure::kind::unreachable,
        [descriptor](impl& s, bool) {
          s.transport_up = true;
          s.watch(descriptor());
          s.start_session();
        },
        more ? [](impl& s, const failure& why) {
          // Refused (or unreachable) there: the next address, on a transport and session of its own.
          spdlog::debug("{}; trying the next address", why.message);
          s.drop_transport();
          s.tls_seen.reset();
          s.tcp_established = nullptr;
          s.connect_tcp(s.endpoint_index + 1);
        } : std::function<void(impl&, const failure&)>());
  }

  std::string endpoint_text() const {
    const auto& e = endpoints[endpoint_index];
    return e.address().is_v6() ? "[" + e.address().to_string() + "]:" + std::to_string(e.port())
                               : e.address().to_string() + ":" + std::to_string(e.port());
  }

  // Owner thread: the link did not come up. What its connection saw may say more than `why`: a TLS failure
  // (unknown CA, wrong name, a plain listener...), or for a plain link whose transport got no handshake, a
  // TLS listener at that address (asked with a probe, which delays the report by at most probe_timeout).
  // `timed_out`: the join timeout, rather than the connection, ended it.
  void fail_connecting(failure why, bool timed_out) {
    if (stopping || lost_reported || probing) return;
    if (transport_up) return report_lost(std::move(why));
    if (tls_seen) {
      if (auto tls = detail::tls_failure(*tls_seen, address.text, timed_out)) return report_lost(std::move(*tls));
      if (timed_out && !tls_seen->handshake_done) why.message += " (the TLS handshake had not completed)";
      return report_lost(std::move(why));
    }
    const bool plain_tcp = !address.tls && address.transport != router_address::kind::unix_socket;
    if (plain_tcp && (tcp_connected || (tcp_established && tcp_established()))) {
      probing = true;
      std::weak_ptr<impl> weak = weak_from_this();
      detail::probe_tls(owner, address.host, address.port, probe_timeout, [weak, why](bool is_tls) {
        auto self = weak.lock();
        if (!self) return;
        self->probing = false;
        self->report_lost(is_tls ? detail::tls_server_failure(self->address.text) : why);
      });
      return;
    }
    report_lost(std::move(why));
  }

  void start_session() {
    step(session->start(), "cannot start the WAMP session: ", std::nullopt, [](impl& s, bool) { s.join(); });
  }

  void join() {
    step(session->join(realm, {creds.authmethod}, creds.authid),
         "cannot join realm '" + realm + "' as '" + creds.authid + "': ", std::nullopt, [](impl& s, std::uint64_t id) {
           s.joined = true;
           if (s.h.joined) s.h.joined(id);
         });
  }

  // One step of connecting (connect, start, join): once `f` is ready, on the owner thread, `next` gets its
  // value (true for a step without one), or the link is lost with the library's reason, prefixed with
  // `context` (and of kind `as`, when given); neither happens once the link is stopping or already lost.
  // `on_error`, when given, takes the failure instead (before the connection was made: see fail_connecting).
  template <class T, class Next>
  void step(boost::future<T> f, std::string context, std::optional<failure::kind> as, Next next,
            std::function<void(impl&, const failure&)> on_error = {}) {
    using value_type = std::conditional_t<std::is_void_v<T>, bool, T>;
    std::weak_ptr<impl> weak = weak_from_this();
    steps.push_back(
        f.then(boost::launch::sync, [weak, context = std::move(context), as, next, on_error](boost::future<T> done) {
          auto self = weak.lock();
          if (!self) return;
          value_type value{};
          std::optional<failure> error;
          try {
            if constexpr (std::is_void_v<T>) {
              done.get();
              value = true;
            } else {
              value = done.get();
            }
          } catch (const std::exception&) {
            error = classify(context);
            if (as) error->what = *as;
          }
          self->post_owner([next, value, error, on_error](impl& s) {
            if (s.stopping || s.lost_reported || s.probing) return;
            if (error && on_error && !s.connection_made()) return on_error(s, *error);
            if (error) return s.fail_connecting(*error, false);
            next(s, value);
          });
        }));
  }

  void tear_down() {
    stopping = true;
    join_timer.cancel();
    if (watcher) watcher->stop();  // also shuts the connection down
    watcher.reset();
    if (resolver) resolver->cancel();
    drop_transport();
    mark_closed();
  }

  // The transport and its session go (on a teardown, or to try the router's next address).
  void drop_transport() {
    write_some = nullptr;
    queue.clear();
    queued_bytes = 0;
    if (transport) {
      try {
        if (transport->is_connected()) transport->disconnect();
      } catch (const std::exception&) {
      }
      // The transport and the session own each other: detach to let both go.
      if (transport->has_handler()) transport->detach();
      // Not at once: the handlers of their cancelled operations still run on the owner's io_context, and the
      // WebSocket client's refer to the transport by a plain pointer.
      auto linger = std::make_shared<boost::asio::steady_timer>(owner, std::chrono::seconds(5));
      linger->async_wait(
          [linger, t = std::move(transport), s = std::move(session)](const boost::system::error_code&) {});
    }
    session.reset();
    transport.reset();
  }

  // Whether the TCP connection to the router was made (the RawSocket or TLS handshake may have failed).
  bool connection_made() const {
    return transport_up || tcp_connected || (tls_seen && tls_seen->tcp_connected) ||
           (tcp_established && tcp_established());
  }
};

// The link through the WAMP client library (see the top of this file).
class router_link final : public link {
 public:
  router_link(boost::asio::io_context& owner, router_address address, std::string realm, credentials creds, handlers h)
      : impl_(std::make_shared<impl>(owner, std::move(address), std::move(realm), std::move(creds), std::move(h))) {}
  ~router_link() override;
  void start(std::chrono::milliseconds join_timeout) override;
  void begin_stop(std::function<void()> closed) override;
  void close() override;
  void subscribe(const std::string& topic, event_fn on_event, done_fn done) override;
  void provide(const std::string& uri, bool disclose_caller, std::function<void(std::shared_ptr<invocation>)> handler,
               done_fn done) override;
  void subscribe(const std::string& topic, const std::string& match, event_fn on_event, done_id_fn done) override;
  void provide(const std::string& uri, const std::string& match,
               std::function<void(std::shared_ptr<invocation>)> handler, done_id_fn done) override;
  void unsubscribe(std::uint64_t subscription, done_fn done) override;
  void unprovide(std::uint64_t registration, done_fn done) override;
  core::object welcome_details() const override;
  void publish(const std::string& topic, const core::array& args, const core::object* kwargs,
               const told_position* told) override;
  void call(const std::string& uri, const core::array& args, std::chrono::milliseconds timeout,
            std::function<void(const call_reply&)> done) override;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace

std::unique_ptr<link> make_link(boost::asio::io_context& owner, const router_address& address, const std::string& realm,
                                const credentials& creds, link::handlers h) {
  return std::make_unique<router_link>(owner, address, realm, creds, std::move(h));
}

router_link::~router_link() {
  impl_->on_closed = nullptr;
  impl_->tear_down();
}

void router_link::start(std::chrono::milliseconds join_timeout) {
  impl* self = impl_.get();
  self->join_timer.expires_after(join_timeout);
  std::weak_ptr<impl> weak = impl_;
  self->join_timer.async_wait([weak, join_timeout](const boost::system::error_code& ec) {
    auto s = weak.lock();
    if (ec || !s || s->joined) return;
    s->fail_connecting({failure::kind::timeout, uri::timeout,
                        "no WELCOME from the router within " + std::to_string(join_timeout.count()) + " ms"},
                       true);
  });
  self->post_owner([](impl& s) {
    if (!s.stopping) s.connect();
  });
}

void router_link::begin_stop(std::function<void()> closed) {
  impl& self = *impl_;
  // Already torn down (lost, and waiting to be made again): nothing to leave.
  if (self.closed) {
    if (closed) closed();
    return;
  }
  self.on_closed = std::move(closed);
  if (self.stopping) return;
  self.stopping = true;
  if (self.lost_reported || !self.joined || !self.session) return self.mark_closed();
  std::weak_ptr<impl> weak = impl_;
  try {
    self.session->leave(uri::close_system_shutdown).then(boost::launch::sync, [weak](boost::future<std::string>) {
      if (auto s = weak.lock()) s->post_owner([](impl& s2) { s2.mark_closed(); });
    });
  } catch (const std::exception&) {
    self.mark_closed();
  }
}

void router_link::close() {
  impl_->on_closed = nullptr;
  impl_->tear_down();
}

void router_link::subscribe(const std::string& topic, event_fn on_event, done_fn done) {
  impl& self = *impl_;
  if (!self.session) return done(failure{failure::kind::not_connected, uri::not_connected, "not connected"});
  auto handler = [on_event = std::move(on_event)](const autobahn::wamp_event& ev) {
    on_event(ev.arguments<msgpack::object>(), ev.kw_arguments<msgpack::object>());
  };
  std::weak_ptr<impl> weak = impl_;
  self.session->subscribe(topic, handler)
      .then(boost::launch::sync, impl::outcome_to_owner<autobahn::wamp_subscription>(weak, std::move(done)));
}

void router_link::provide(const std::string& uri, bool disclose_caller,
                          std::function<void(std::shared_ptr<invocation>)> handler, done_fn done) {
  impl& self = *impl_;
  if (!self.session) return done(failure{failure::kind::not_connected, uri::not_connected, "not connected"});
  std::weak_ptr<impl> weak = impl_;
  auto procedure = impl::procedure_of(impl_, std::move(handler));
  autobahn::provide_options options;
  if (disclose_caller) options["disclose_caller"] = msgpack::object(true);
  self.session->provide(uri, procedure, options)
      .then(boost::launch::sync, impl::outcome_to_owner<autobahn::wamp_registration>(weak, std::move(done)));
}

namespace {
// A continuation that hands the outcome of a subscribe or register request and its id to `done` on the owner.
template <class Result>
auto id_to_owner(boost::asio::io_context& owner, std::weak_ptr<void> alive, link::done_id_fn done) {
  return [&owner, alive, done = std::move(done)](boost::future<Result> f) {
    std::optional<failure> error;
    std::uint64_t id = 0;
    try {
      id = f.get().id();
    } catch (const std::exception&) {
      error = classify("");
    }
    if (alive.expired()) return;
    boost::asio::post(owner, [alive, done, error, id] {
      if (!alive.expired()) done(error, id);
    });
  };
}
}  // namespace

void router_link::subscribe(const std::string& topic, const std::string& match, event_fn on_event, done_id_fn done) {
  impl& self = *impl_;
  if (!self.session) return done(failure{failure::kind::not_connected, uri::not_connected, "not connected"}, 0);
  auto handler = [on_event = std::move(on_event)](const autobahn::wamp_event& ev) {
    on_event(ev.arguments<msgpack::object>(), ev.kw_arguments<msgpack::object>());
  };
  self.session->subscribe(topic, handler, autobahn::wamp_subscribe_options(match))
      .then(boost::launch::sync, id_to_owner<autobahn::wamp_subscription>(self.owner, impl_, std::move(done)));
}

void router_link::provide(const std::string& uri, const std::string& match,
                          std::function<void(std::shared_ptr<invocation>)> handler, done_id_fn done) {
  impl& self = *impl_;
  if (!self.session) return done(failure{failure::kind::not_connected, uri::not_connected, "not connected"}, 0);
  auto procedure = impl::procedure_of(impl_, std::move(handler));
  autobahn::provide_options options;
  options["match"] = msgpack::object(match.c_str());
  self.session->provide(uri, procedure, options)
      .then(boost::launch::sync, id_to_owner<autobahn::wamp_registration>(self.owner, impl_, std::move(done)));
}

void router_link::unsubscribe(std::uint64_t subscription, done_fn done) {
  impl& self = *impl_;
  if (!self.session) return done(failure{failure::kind::not_connected, uri::not_connected, "not connected"});
  self.session->unsubscribe(autobahn::wamp_subscription(subscription))
      .then(boost::launch::sync, impl::outcome_to_owner<void>(impl_, std::move(done)));
}

void router_link::unprovide(std::uint64_t registration, done_fn done) {
  impl& self = *impl_;
  if (!self.session) return done(failure{failure::kind::not_connected, uri::not_connected, "not connected"});
  self.session->unprovide(autobahn::wamp_registration(registration))
      .then(boost::launch::sync, impl::outcome_to_owner<void>(impl_, std::move(done)));
}

core::object router_link::welcome_details() const {
  if (!impl_->session || !impl_->joined) return {};
  return impl_->session->welcome;
}

void router_link::publish(const std::string& topic, const core::array& args, const core::object* kwargs,
                          const told_position* told) {
  impl& self = *impl_;
  // Before the WELCOME, or while stopping, there is no session to publish in (the library would refuse).
  if (!self.session || !self.joined || self.stopping) return;
  if (kwargs && kwargs->empty()) kwargs = nullptr;
  if (self.address.transport != router_address::kind::websocket) return self.publish_framed(topic, args, kwargs, told);
  // A broken link is noticed by its heartbeat; what this event said is told again (or caught up) once it is
  // back.
  try {
    if (!told) {
      if (kwargs)
        self.session->publish(topic, args, core::value(*kwargs));
      else
        self.session->publish(topic, args);
      return;
    }
    // The library's publish() takes no options of a router's own: the message is made here and handed to the
    // transport as the library would.
    if (!self.transport || !self.transport->is_connected()) return;
    autobahn::wamp_message message(kwargs ? 6 : 5);
    message.set_field(0, 16);  // PUBLISH
    message.set_field(1, ++self.publication_id);
    message.set_field(
        2,
        core::value(core::object{{uri::told_option, core::array{told->epoch, told->seq, std::uint64_t{told->index}}}}));
    message.set_field(3, topic);
    message.set_field(4, core::value(args));
    if (kwargs) message.set_field(5, core::value(*kwargs));
    self.transport->send_message(std::move(message));
  } catch (const std::exception&) {
  }
}

void router_link::call(const std::string& uri, const core::array& args, std::chrono::milliseconds timeout,
                       std::function<void(const call_reply&)> done) {
  impl& self = *impl_;
  auto state = std::make_shared<std::function<void(const call_reply&)>>(std::move(done));
  auto finish = [state](const call_reply& r) {  // owner thread; the first answer wins
    if (!*state) return;
    auto f = std::move(*state);
    *state = nullptr;
    f(r);
  };
  if (!self.session) {
    call_reply r;
    r.error = failure{failure::kind::not_connected, uri::not_connected, "not connected"};
    boost::asio::post(self.owner, [finish, r] { finish(r); });
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(self.owner, timeout);
  timer->async_wait([finish, uri, timeout](const boost::system::error_code& ec) {
    if (ec) return;
    call_reply r;
    r.error = failure{failure::kind::timeout, uri::timeout,
                      uri + " got no answer within " + std::to_string(timeout.count()) + " ms"};
    finish(r);
  });
  std::weak_ptr<impl> weak = impl_;
  autobahn::wamp_call_options options;
  options.set_timeout(timeout);
  self.session->call(uri, args, options)
      .then(boost::launch::sync, [weak, finish, timer](boost::future<autobahn::wamp_call_result> f) {
        call_reply r;
        try {
          auto held = std::make_shared<held_result>(f.get());
          r.args = payload(held, &held->args);
        } catch (const std::exception&) {
          // The router's ERROR (its arguments are lost in the library), or the library failing to send the
          // call (a transport that has just closed, say): then the link is gone, whatever it says. Never an
          // answer: a heartbeat that ended there must not count as one.
          r.error = classify("");
          if (r.error->what == failure::kind::not_connected)
            r.error->message = "the call could not be sent: " + r.error->message;
        }
        auto self = weak.lock();
        if (!self) return;
        self->post_owner([finish, timer, r](impl&) {
          timer->cancel();
          finish(r);
        });
      });
}

}  // namespace wamp_metad::adapter
