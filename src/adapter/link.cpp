// The only translation unit that includes the WAMP client library (Autobahn|Cpp): it costs about 20 s and
// close to 1 GB to compile, so nothing else does.
//
// Threads: each link runs the client library on its own io_service and thread ("link thread"). The
// library's futures are set there, but their continuations may run on a thread of Boost.Thread's own (seen
// with Boost 1.74 even with boost::launch::sync), so a continuation only posts: to the owner's io_context
// ("owner thread"), where everything that touches wamp-metad's state runs, or to the link thread. The
// library's API (call, publish, subscribe, provide) is called from the owner thread only: it builds the
// message there and dispatches the send to the link thread itself. Until the connection is made, a work
// guard keeps the link thread's io_service running (the connect continuation must still say why it failed);
// after that the socket's pending read keeps it running, and run() returning means the connection is gone,
// also in the middle of the join.
//
// Events (the bulk of what wamp-metad sends) skip the library on RawSocket: publish() serializes the PUBLISH
// on the owner thread straight into a batch of framed messages, and one task on the link thread writes the
// whole batch with one system call. The library would build a message object with a zone of its own (8 KiB
// at least) per event and wake the link thread for each; a burst of 100,000 events then held close to a
// gigabyte until written. Order is kept: anything sent through the library seals the open batch first, so
// nothing published after it can overtake it.
#include "wamp_metad/adapter/link.hpp"

#include <sys/socket.h>

#include <atomic>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/thread/future.hpp>

#include <autobahn/autobahn.hpp>
#include <autobahn/wamp_auth_utils.hpp>

#include "wamp_metad/protocol/encode.hpp"
#include "websocket.hpp"

namespace wamp_metad::adapter {
namespace {

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

  // The library's version asserts that the session was stopped first, which a link torn down in any state
  // cannot promise. Detaching is only how the link breaks the session <-> transport ownership cycle.
  void on_detach(bool, const std::string&) override {}

 private:
  credentials creds_;
};

// The library keeps the socket to itself; its descriptor is needed to unblock a stuck write.
template <class Transport>
class transport_with_fd : public Transport {
 public:
  using Transport::Transport;
  int fd() { return this->socket().native_handle(); }
  // Link thread: writes bytes that are already framed (RawSocket length prefix + msgpack message).
  void write_framed(const std::string& bytes) { boost::asio::write(this->socket(), boost::asio::buffer(bytes)); }
};
using tcp_transport = transport_with_fd<autobahn::wamp_tcp_transport>;
using uds_transport = transport_with_fd<autobahn::wamp_uds_transport>;

// A call's result keeps the zone its message was decoded into (and, through the zone, the receive buffer its
// strings point into): holding the result keeps its payload valid, with no copy of a page of 10,000 sessions.
struct held_result {
  explicit held_result(autobahn::wamp_call_result r) : result(std::move(r)) {
    args = msgpack::object_handle(result.arguments<msgpack::object>(), msgpack::unique_ptr<msgpack::zone>());
    kwargs = msgpack::object_handle(result.kw_arguments<msgpack::object>(), msgpack::unique_ptr<msgpack::zone>());
  }
  autobahn::wamp_call_result result;
  msgpack::object_handle args;
  msgpack::object_handle kwargs;
};

class invocation_impl final : public invocation {
 public:
  // `seal` runs on the owner thread before the reply goes out through the library (see the note on order).
  invocation_impl(autobahn::wamp_invocation inv, std::function<void()> seal)
      : inv_(std::move(inv)), seal_(std::move(seal)) {
    args_ = inv_->arguments<msgpack::object>();
    kwargs_ = inv_->kw_arguments<msgpack::object>();
    try {
      auto details = inv_->details<std::unordered_map<std::string, msgpack::object>>();
      auto it = details.find("caller");
      if (it != details.end() && it->second.type == msgpack::type::POSITIVE_INTEGER) caller_ = it->second.via.u64;
    } catch (const std::exception&) {
      caller_ = 0;  // details without a readable caller: treated as not disclosed
    }
  }
  const msgpack::object& args() const override { return args_; }
  const msgpack::object& kwargs() const override { return kwargs_; }
  std::uint64_t caller() const override { return caller_; }

  // The library sends the YIELD / ERROR from the link thread (it dispatches there itself).
  void reply(const core::call_result& result) override {
    seal_();
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
    seal_();
    try {
      inv_->error(error.uri, core::array{error.message});
    } catch (const std::exception&) {
    }
  }

 private:
  autobahn::wamp_invocation inv_;
  std::function<void()> seal_;
  msgpack::object args_;
  msgpack::object kwargs_;
  std::uint64_t caller_ = 0;
};

}  // namespace

bool parse_router_url(const std::string& url, router_address& out, std::string& error) {
  static const std::string supported = "rs://HOST:PORT, tcp://HOST:PORT, ws://HOST:PORT/PATH or unix:///PATH";
  out = router_address{};
  out.text = url;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    error = "router URL '" + url + "' has no scheme; use " + supported;
    return false;
  }
  const std::string scheme = url.substr(0, scheme_end);
  const std::string rest = url.substr(scheme_end + 3);
  if (scheme == "unix") {
    if (rest.empty() || rest[0] != '/') {
      error = "router URL '" + url + "': a unix socket needs an absolute path (unix:///run/wamp.sock)";
      return false;
    }
    out.transport = router_address::kind::unix_socket;
    out.path = rest;
    return true;
  }
  if (scheme != "rs" && scheme != "tcp" && scheme != "ws") {
    error = "router URL '" + url + "': scheme '" + scheme + "' is not supported; use " + supported;
    return false;
  }
  std::string hostport = rest;
  if (scheme == "ws") {
    out.transport = router_address::kind::websocket;
    out.path = "/";
    auto slash = hostport.find('/');
    if (slash != std::string::npos) {
      out.path = hostport.substr(slash);
      hostport = hostport.substr(0, slash);
    }
  }
  if (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == hostport.size()) {
    error = "router URL '" + url + "' needs HOST:PORT";
    return false;
  }
  out.host = hostport.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  const std::string port = hostport.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoul(port) == 0 ||
      std::stoul(port) > 65535) {
    error = "router URL '" + url + "': port '" + port + "' is not a number from 1 to 65535";
    return false;
  }
  out.port = static_cast<std::uint16_t>(std::stoul(port));
  return true;
}

struct link::impl : std::enable_shared_from_this<impl> {
  impl(boost::asio::io_context& o, router_address a, std::string r, credentials c, handlers hs)
      : owner(o), address(std::move(a)), realm(std::move(r)), creds(std::move(c)), h(std::move(hs)) {}

  boost::asio::io_context& owner;
  router_address address;
  std::string realm;
  credentials creds;
  handlers h;

  boost::asio::io_service io;  // the link thread's
  std::thread thread;
  std::promise<void> exited;
  std::future<void> exited_future = exited.get_future();
  std::shared_ptr<autobahn::wamp_transport> transport;
  std::shared_ptr<authenticating_session> session;
  boost::asio::steady_timer join_timer{owner};  // owner thread
  std::atomic<int> fd{-1};
  std::vector<boost::future<void>> steps;  // continuations of connect, start and join
  std::optional<boost::asio::executor_work_guard<boost::asio::io_service::executor_type>> connecting;
  std::atomic<bool> stopping{false};
  bool joined = false;         // owner thread
  bool lost_reported = false;  // owner thread

  // Batches of framed PUBLISH messages (RawSocket only), oldest first; each has one write task posted to the
  // link thread. The last one takes more events until it is sealed.
  const bool batches_events = address.transport != router_address::kind::websocket;
  std::mutex batches_mutex;
  std::deque<std::string> batches;
  bool last_sealed = true;
  std::uint64_t publication_id = 0;                           // owner thread
  std::function<void(const std::string&)> write_framed;      // link thread; set once connected

  // Owner thread: whatever is sent next through the library goes after the events published so far.
  void seal() {
    std::lock_guard<std::mutex> lock(batches_mutex);
    last_sealed = true;
  }

  // Owner thread: a PUBLISH without acknowledgement, serialized here and written by the link thread.
  void publish_framed(const std::string& topic, const core::array& args, const core::object* kwargs) {
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> pk(body);
    pk.pack_array(kwargs ? 6 : 5);
    pk.pack(16);  // PUBLISH
    // Request ids of our own: the router answers a PUBLISH without acknowledgement only with an ERROR, which
    // nobody waits for, so they need not follow the library's.
    pk.pack(++publication_id);
    pk.pack_map(0);
    pk.pack(topic);
    pk.pack_array(static_cast<std::uint32_t>(args.size()));
    for (const auto& a : args)
      pk.pack(a);
    if (kwargs) pk.pack(core::value(*kwargs));
    const auto n = static_cast<std::uint32_t>(body.size());
    const char prefix[4] = {static_cast<char>((n >> 24) & 0xff), static_cast<char>((n >> 16) & 0xff),
                            static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
    bool new_batch = false;
    {
      std::lock_guard<std::mutex> lock(batches_mutex);
      if (last_sealed) {
        batches.emplace_back();
        last_sealed = false;
        new_batch = true;
      }
      batches.back().append(prefix, 4).append(body.data(), body.size());
    }
    if (!new_batch) return;
    std::weak_ptr<impl> weak = weak_from_this();
    boost::asio::post(io, [weak] {
      if (auto self = weak.lock()) self->write_batch();
    });
  }

  // Link thread: writes the oldest batch in one go.
  void write_batch() {
    std::string bytes;
    {
      std::lock_guard<std::mutex> lock(batches_mutex);
      if (batches.empty()) return;
      bytes.swap(batches.front());
      batches.pop_front();
      if (batches.empty()) last_sealed = true;
    }
    if (!write_framed || bytes.empty()) return;  // batches posted before a GOODBYE still go out before it
    try {
      write_framed(bytes);
    } catch (const std::exception&) {
      // A broken link is noticed by its heartbeat; what these events said is told again once it is back.
    }
  }

  template <class F>
  void post_owner(F f) {
    std::weak_ptr<impl> weak = weak_from_this();
    boost::asio::post(owner, [weak, f = std::move(f)]() mutable {
      if (auto self = weak.lock()) f(*self);
    });
  }

  // A continuation that hands the outcome of a subscribe or register request to `done` on the owner thread:
  // an empty string, or the error the router answered.
  template <class Result>
  static auto outcome_to_owner(std::weak_ptr<impl> weak, std::function<void(const std::string&)> done) {
    return [weak, done = std::move(done)](boost::future<Result> f) {
      std::string error;
      try {
        f.get();
      } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "refused by the router";
      }
      if (auto self = weak.lock()) self->post_owner([done, error](impl&) { done(error); });
    };
  }

  // Link thread or owner thread: tells the owner once that the link is gone, unless it is being stopped.
  void report_lost(std::string why) {
    post_owner([why = std::move(why)](impl& self) {
      if (self.stopping || self.lost_reported) return;
      self.lost_reported = true;
      self.joined = false;
      if (self.h.lost) self.h.lost(why);
    });
  }

  // Link thread: the link cannot go on.
  void fail(std::string why) {
    report_lost(std::move(why));
    io.stop();
  }

  void thread_main() {
    std::string why;
    try {
      io.run();
    } catch (const std::exception& e) {
      why = std::string("protocol error: ") + e.what();
    } catch (...) {
      why = "unknown error in the WAMP client";
    }
    if (why.empty()) {
      // The connection closed. A continuation with a better reason (an ABORT, say) may still be on its way
      // from another thread: give it a moment to be first.
      std::weak_ptr<impl> weak = weak_from_this();
      post_owner([weak](impl& self) {
        auto timer = std::make_shared<boost::asio::steady_timer>(self.owner, std::chrono::milliseconds(100));
        timer->async_wait([weak, timer](const boost::system::error_code&) {
          if (auto s = weak.lock()) s->report_lost("connection closed by the router");
        });
      });
    } else {
      report_lost(why);
    }
    exited.set_value();
  }

  // Link thread. Each step's continuation starts the next one (see the threads note at the top).
  void connect() {
    try {
      switch (address.transport) {
        case router_address::kind::tcp: {
          boost::asio::ip::tcp::resolver resolver(io);
          auto endpoints = resolver.resolve(address.host, std::to_string(address.port));
          auto t = std::make_shared<tcp_transport>(io, endpoints.begin()->endpoint());
          write_framed = [t](const std::string& bytes) { t->write_framed(bytes); };
          return attach_and_connect(t, [t] { return t->fd(); });
        }
        case router_address::kind::unix_socket: {
          auto t = std::make_shared<uds_transport>(io, boost::asio::local::stream_protocol::endpoint(address.path));
          write_framed = [t](const std::string& bytes) { t->write_framed(bytes); };
          return attach_and_connect(t, [t] { return t->fd(); });
        }
        case router_address::kind::websocket:
          // Its writes are queued, never blocking: no descriptor needed to unblock them.
          return attach_and_connect(detail::make_websocket_transport(io, address.text), [] { return -1; });
      }
    } catch (const std::exception& e) {
      fail("cannot connect to " + address.text + ": " + e.what());
    }
  }

  void attach_and_connect(std::shared_ptr<autobahn::wamp_transport> t, std::function<int()> descriptor) {
    std::weak_ptr<impl> weak = weak_from_this();
    transport = t;
    session = std::make_shared<authenticating_session>(io, creds);
    t->attach(std::static_pointer_cast<autobahn::wamp_transport_handler>(session));
    steps.push_back(t->connect().then(boost::launch::sync, [weak, descriptor](boost::future<void> f) {
      auto self = weak.lock();
      if (!self) return;
      try {
        f.get();
      } catch (const std::exception& e) {
        return self->fail("cannot connect to " + self->address.text + ": " + e.what());
      }
      self->fd = descriptor();
      boost::asio::post(self->io, [weak] {
        if (auto s = weak.lock()) s->connecting.reset();
      });
      self->start_session();
    }));
  }

  void start_session() {
    std::weak_ptr<impl> weak = weak_from_this();
    steps.push_back(session->start().then(boost::launch::sync, [weak](boost::future<void> started) {
      auto self = weak.lock();
      if (!self) return;
      try {
        started.get();
      } catch (const std::exception& e) {
        return self->fail(std::string("cannot start the WAMP session: ") + e.what());
      }
      self->join();
    }));
  }

  void join() {
    std::weak_ptr<impl> weak = weak_from_this();
    steps.push_back(session->join(realm, {creds.authmethod}, creds.authid)
                        .then(boost::launch::sync, [weak](boost::future<std::uint64_t> welcome) {
                          auto self = weak.lock();
                          if (!self) return;
                          std::uint64_t id = 0;
                          try {
                            id = welcome.get();
                          } catch (const std::exception& e) {
                            return self->fail("router refused to join realm '" + self->realm + "' as '" +
                                              self->creds.authid + "': " + e.what());
                          }
                          self->post_owner([id](impl& s) {
                            s.joined = true;
                            if (s.h.joined) s.h.joined(id);
                          });
                        }));
  }

  void tear_down() {
    stopping = true;
    join_timer.cancel();
    const int f = fd.load();
    if (f >= 0) ::shutdown(f, SHUT_RDWR);  // unblocks a write stuck on a router that stopped reading
    io.stop();
    if (thread.joinable()) thread.join();
    // The transport and the session own each other: detach to let both go.
    if (transport && transport->has_handler()) transport->detach();
    session.reset();
    transport.reset();
    write_framed = nullptr;
  }
};

link::link(boost::asio::io_context& owner, router_address address, std::string realm, credentials creds, handlers h)
    : impl_(std::make_shared<impl>(owner, std::move(address), std::move(realm), std::move(creds), std::move(h))) {}

link::~link() {
  impl_->tear_down();
}

const std::string& link::realm() const {
  return impl_->realm;
}

void link::start(std::chrono::milliseconds join_timeout) {
  impl* self = impl_.get();
  self->join_timer.expires_after(join_timeout);
  std::weak_ptr<impl> weak = impl_;
  self->join_timer.async_wait([weak, join_timeout](const boost::system::error_code& ec) {
    auto s = weak.lock();
    if (ec || !s || s->joined) return;
    s->report_lost("no WELCOME from the router within " + std::to_string(join_timeout.count()) + " ms");
  });
  self->connecting.emplace(self->io.get_executor());
  boost::asio::post(self->io, [self] { self->connect(); });
  self->thread = std::thread([self] { self->thread_main(); });
}

void link::begin_stop() {
  impl& self = *impl_;
  if (!self.thread.joinable() || self.stopping) return;
  self.stopping = true;
  if (self.joined && self.session) {
    std::weak_ptr<impl> weak = impl_;
    auto session = self.session;
    boost::asio::post(self.io, [weak, session] {
      try {
        session->leave("wamp.close.system_shutdown").then(boost::launch::sync, [weak](boost::future<std::string>) {
          if (auto s = weak.lock()) s->io.stop();
        });
      } catch (const std::exception&) {
        if (auto s = weak.lock()) s->io.stop();
      }
    });
  } else {
    self.io.stop();
  }
}

void link::finish_stop(std::chrono::steady_clock::time_point deadline) {
  impl& self = *impl_;
  if (self.thread.joinable()) self.exited_future.wait_until(deadline);
  self.tear_down();
}

void link::abort() {
  impl_->tear_down();
}

void link::subscribe(const std::string& topic,
                     std::function<void(const msgpack::object& args, const msgpack::object& kwargs)> on_event,
                     std::function<void(const std::string& error)> done) {
  impl& self = *impl_;
  if (!self.session) return done("not connected");
  self.seal();
  auto handler = [on_event = std::move(on_event)](const autobahn::wamp_event& ev) {
    on_event(ev.arguments<msgpack::object>(), ev.kw_arguments<msgpack::object>());
  };
  std::weak_ptr<impl> weak = impl_;
  self.session->subscribe(topic, handler)
      .then(boost::launch::sync, impl::outcome_to_owner<autobahn::wamp_subscription>(weak, std::move(done)));
}

void link::provide(const std::string& uri, bool disclose_caller,
                   std::function<void(std::shared_ptr<invocation>)> handler,
                   std::function<void(const std::string& error)> done) {
  impl& self = *impl_;
  if (!self.session) return done("not connected");
  std::weak_ptr<impl> weak = impl_;
  self.seal();
  auto procedure = [weak, handler = std::move(handler)](autobahn::wamp_invocation inv) {
    auto self = weak.lock();
    if (!self) return;
    auto wrapped = std::make_shared<invocation_impl>(std::move(inv), [weak] {
      if (auto s = weak.lock()) s->seal();
    });
    self->post_owner([handler, wrapped](impl&) { handler(wrapped); });
  };
  autobahn::provide_options options;
  if (disclose_caller) options["disclose_caller"] = msgpack::object(true);
  self.session->provide(uri, procedure, options)
      .then(boost::launch::sync, impl::outcome_to_owner<autobahn::wamp_registration>(weak, std::move(done)));
}

void link::publish(const std::string& topic, const core::array& args) {
  publish(topic, args, core::object{});
}

void link::publish(const std::string& topic, const core::array& args, const core::object& kwargs) {
  impl& self = *impl_;
  if (!self.session) return;
  if (self.batches_events) {
    // Before the WELCOME, or while stopping, there is no session to publish in (the library would refuse).
    if (self.joined && !self.stopping) self.publish_framed(topic, args, kwargs.empty() ? nullptr : &kwargs);
    return;
  }
  try {
    // A broken link is noticed by its heartbeat; what this event said is told again once it is back.
    if (kwargs.empty())
      self.session->publish(topic, args);
    else
      self.session->publish(topic, args, core::value(kwargs));
  } catch (const std::exception&) {
  }
}

void link::call(const std::string& uri, const core::array& args, std::chrono::milliseconds timeout,
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
    r.error_uri = "wamp.error.not_connected";
    r.error_text = "not connected";
    boost::asio::post(self.owner, [finish, r] { finish(r); });
    return;
  }
  self.seal();
  auto timer = std::make_shared<boost::asio::steady_timer>(self.owner, timeout);
  timer->async_wait([finish, uri, timeout](const boost::system::error_code& ec) {
    if (ec) return;
    call_reply r;
    r.error_uri = "wamp.error.timeout";
    r.error_text = uri + " got no answer within " + std::to_string(timeout.count()) + " ms";
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
          r.ok = true;
          r.args = payload(held, &held->args);
          r.kwargs = payload(held, &held->kwargs);
        } catch (const std::runtime_error& e) {
          // The library hands over an ERROR as a runtime_error: its URI (and ": what" when present); the
          // arguments are lost.
          std::string text = e.what();
          auto colon = text.find(": ");
          r.error_uri = text.substr(0, colon);
          r.error_text = colon == std::string::npos ? text : text.substr(colon + 2);
        } catch (const std::exception& e) {
          // Anything else is the library failing to send the call (a transport that has just closed, say;
          // it stores such failures as a plain std::exception): the link is gone, whatever it says. Never an
          // answer: a heartbeat that ended here must not count as one.
          r.error_uri = "wamp.error.not_connected";
          r.error_text = std::string("the call could not be sent: ") + e.what();
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
