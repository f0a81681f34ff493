// A stand-in router for measuring wamp-metad apart from any real router: just enough WAMP (RawSocket,
// msgpack) for wamp-metad's two links, and a hook source that writes router.session.joined / left hooks at a
// set rate on the internal link and reads back the meta events wamp-metad publishes on its served link.
//
//   bench_standin --metad BIN [--rates R1,R2,...] [--seconds S] [--pool N] [--storm N] [--storm-seconds S]
//                 [--window N] [--metad-cpu C] [--self-cpu C] [--log FILE] [--quick]
//
// It starts wamp-metad itself (pinned to core --metad-cpu, itself to --self-cpu), serves it the internal realm
// (router.session.snapshot, sync, router.meta.features, router.meta.catch_up: a router at seq 0 with a realm
// `realm1` of two sessions subscribed to wamp.session.on_join) and realm1 (wamp-metad's procedures: the
// heartbeat's wamp.session.count is routed to them and back), waits for the first heartbeat to come back,
// then runs its phases:
// - rates: for each rate R (hooks per second; 0 = as fast as wamp-metad takes them, at most --window hooks
//   without their event), S seconds of a steady churn over a pool of N live sessions (a join, then, once the
//   pool is full, the leave of the oldest, in turn), then waits for the last event;
// - storm: N sessions join within S seconds (N / S joins per second), none leaves.
// Each hook is one meta event; every event is checked against its hook (the told position `_told` of the
// PUBLISH, or its place in the stream): in order, exactly once, the right topic and session. Measured per
// phase: events per second, the lag from the hook handed to the socket to its event read, p50 / p99 / max,
// wamp-metad's CPU (/proc/PID/stat) and the stand-in's own.
//
// Prints one line `standin-result {json}` per phase on stdout, readable lines on stderr. Exit code 0 when
// every event came once and in order, 1 otherwise (or when wamp-metad did not get ready), 2 for bad usage.
// A single thread; every wait is bounded.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <msgpack.hpp>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

// WAMP message codes.
enum code : int {
  HELLO = 1,
  WELCOME = 2,
  GOODBYE = 6,
  ERROR = 8,
  PUBLISH = 16,
  PUBLISHED = 17,
  SUBSCRIBE = 32,
  SUBSCRIBED = 33,
  UNSUBSCRIBE = 34,
  UNSUBSCRIBED = 35,
  EVENT = 36,
  CALL = 48,
  RESULT = 50,
  REGISTER = 64,
  REGISTERED = 65,
  UNREGISTER = 66,
  UNREGISTERED = 67,
  INVOCATION = 68,
  YIELD = 70,
};

const std::string internal_realm = "router.internal";
const std::string served_realm = "realm1";
const std::string epoch = "5a7e11de0be4c401";
constexpr std::uint64_t watchers = 2;  // sessions of realm1 subscribed to wamp.session.on_join
constexpr std::uint64_t on_join_subscription = 900001;

// Session k (k >= 1) of the hook stream: an id in 1 .. 2^53 (k times an odd number, modulo 2^53, is one to one).
std::uint64_t session_id(std::uint64_t k) {
  return ((k * 0x9E3779B97F4A7C15ULL) & ((1ULL << 53) - 1)) + 1;
}

// A growing buffer of RawSocket frames, written to by msgpack's packer.
struct frames {
  std::string bytes;
  std::size_t start = 0;
  void write(const char* p, std::size_t n) { bytes.append(p, n); }
  void begin() {
    start = bytes.size();
    bytes.append(4, '\0');
  }
  void end() {
    const auto n = static_cast<std::uint32_t>(bytes.size() - start - 4);
    bytes[start] = 0;  // a regular message
    bytes[start + 1] = static_cast<char>((n >> 16) & 0xff);
    bytes[start + 2] = static_cast<char>((n >> 8) & 0xff);
    bytes[start + 3] = static_cast<char>(n & 0xff);
  }
};
using packer = msgpack::packer<frames>;

// The info of session k (and of the two watchers, k = 0 and k = 1 in their own numbering).
void pack_info(packer& pk, std::uint64_t id, const std::string& authid, const char* authrole, std::uint64_t seq,
               bool with_position) {
  char peer[40];
  std::snprintf(peer, sizeof peer, "tcp4:10.%u.%u.%u:%u", unsigned((id >> 16) & 0xff), unsigned((id >> 8) & 0xff),
                unsigned(id & 0xff), unsigned(1024 + (id % 60000)));
  pk.pack_map(with_position ? 9 : 7);
  pk.pack("realm");
  pk.pack(served_realm);
  pk.pack("session");
  pk.pack(id);
  pk.pack("authid");
  pk.pack(authid);
  pk.pack("authrole");
  pk.pack(authrole);
  pk.pack("authmethod");
  pk.pack("ticket");
  pk.pack("authprovider");
  pk.pack("static");
  pk.pack("transport");
  pk.pack_map(3);
  pk.pack("type");
  pk.pack("rawsocket");
  pk.pack("serializer");
  pk.pack("msgpack");
  pk.pack("peer");
  pk.pack(static_cast<const char*>(peer));
  if (with_position) {
    pk.pack("epoch");
    pk.pack(epoch);
    pk.pack("seq");
    pk.pack(seq);
  }
}

// What wamp-metad's CPU clock says, in seconds (utime + stime of /proc/PID/stat).
double process_cpu_s(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double self_cpu_s() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::size_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

struct options {
  std::string metad;
  std::vector<std::uint64_t> rates;
  double seconds = 5;
  std::uint64_t pool = 10000;
  std::uint64_t storm = 0;
  double storm_seconds = 20;
  std::uint64_t window = 20000;
  std::uint64_t backlog_limit = 500000;  // hooks without their event before a phase stops feeding
  int metad_cpu = 0;
  int self_cpu = 1;
  std::string log;  // wamp-metad's log; by default a file of the run's own, shown (its warnings) on a failure
  bool quick = false;
};

class router;

// One connection of wamp-metad (its internal link or its served link).
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(router& r, tcp::socket s) : r_(r), socket_(std::move(s)) { in_.resize(std::size_t{1} << 20); }
  void start() { read(); }
  void send(const std::function<void(packer&)>& body) {
    out_.begin();
    packer pk(out_);
    body(pk);
    out_.end();
  }
  frames& out() { return out_; }
  void flush();
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }
  std::string realm;
  std::uint64_t session = 0;
  std::unordered_map<std::string, std::uint64_t> subscriptions;  // topic -> subscription id

 private:
  void read();
  void consume();
  router& r_;
  tcp::socket socket_;
  std::vector<char> in_;
  std::size_t have_ = 0;
  bool handshaken_ = false;
  frames out_;
  std::string writing_;
  bool busy_ = false;
  msgpack::zone zone_;
};

struct phase_stats {
  std::string name;
  std::uint64_t rate = 0;  // hooks per second asked for (0: as fast as taken, within the window)
  std::uint64_t first_seq = 0, hooks = 0, events = 0;
  std::int64_t t0 = 0, t_fed = 0, t_last = 0;
  double metad_cpu0 = 0, self_cpu0 = 0, metad_cpu = 0, self_cpu = 0;
  std::vector<std::uint32_t> lag_us;
  std::uint32_t worst_lag_us = 0;
  std::uint64_t worst_seq = 0;  // the phase's hook (1 = its first) whose event was latest
  std::uint64_t max_backlog = 0;
  bool throttled = false;
  bool drained = false;
};

class router {
 public:
  router(asio::io_context& io, options o) : io_(io), o_(std::move(o)), acceptor_(io), tick_(io), deadline_(io) {
    ring_.resize(std::size_t{1} << 21);
  }

  int run();

  // Dispatch of one message of connection c.
  void on_message(connection& c, const msgpack::object& m);

 private:
  struct hook_rec {
    std::int64_t t = 0;
    std::uint64_t k = 0;
    bool left = false;
  };
  struct pending_invocation {
    std::weak_ptr<connection> caller;
    std::uint64_t request = 0;
  };

  void accept();
  void start_metad();
  void stop_metad();
  void ack(connection& c, int code, const msgpack::object& request, std::uint64_t id);
  void hello(connection& c, const msgpack::object* f, std::uint32_t n);
  void call(connection& c, const msgpack::object* f, std::uint32_t n);
  void yield(connection& c, const msgpack::object* f, std::uint32_t n, bool error);
  void publish(connection& c, const msgpack::object* f, std::uint32_t n);
  void result(connection& c, std::uint64_t request, const std::function<void(packer&)>& arg);
  void error(connection& c, int type, std::uint64_t request, const std::string& uri, const std::string& message);
  void pack_state(packer& pk, std::size_t extra_keys);
  void ready_check();
  void next_phase();
  void tick();
  void feed(std::uint64_t n);
  void finish_phase();
  void report(const phase_stats& p);
  void fail(const std::string& why);

  asio::io_context& io_;
  options o_;
  tcp::acceptor acceptor_;
  asio::steady_timer tick_;
  asio::steady_timer deadline_;
  pid_t metad_ = -1;
  std::string secret_file_;
  bool own_log_ = false;
  std::uint64_t next_id_ = 100;
  std::shared_ptr<connection> internal_;
  std::shared_ptr<connection> served_;
  std::vector<std::shared_ptr<connection>> conns_;
  std::unordered_map<std::string, std::pair<std::weak_ptr<connection>, std::uint64_t>> procedures_;
  std::unordered_map<std::uint64_t, pending_invocation> invocations_;
  bool caught_up_ = false;
  bool heartbeat_back_ = false;
  bool started_ = false;
  std::uint64_t publication_ = 0;

  // The hook stream.
  std::uint64_t seq_ = 0;     // the last hook written
  std::uint64_t next_k_ = 1;  // the next session to join
  std::deque<std::uint64_t> live_;
  std::vector<hook_rec> ring_;  // by seq, modulo its size (the backlog stays well below it)
  // What came back.
  std::uint64_t expected_ = 1;  // the seq whose event comes next
  std::uint64_t violations_ = 0;
  std::uint64_t other_events_ = 0;
  std::uint64_t untagged_ = 0;
  std::vector<std::string> violation_samples_;
  std::uint64_t resyncs_ = 0;
  std::uint64_t rejoins_ = 0;

  std::vector<phase_stats> phases_;
  std::size_t phase_ = 0;
  bool feeding_ = false;
  std::int64_t phase_end_ = 0;
  int exit_code_ = 0;
};

void connection::read() {
  if (have_ == in_.size()) in_.resize(in_.size() * 2);
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(in_.data() + have_, in_.size() - have_),
                          [self](const boost::system::error_code& ec, std::size_t n) {
                            if (ec) return;
                            self->have_ += n;
                            self->consume();
                            self->flush();
                            self->read();
                          });
}

void connection::consume() {
  std::size_t at = 0;
  if (!handshaken_) {
    if (have_ < 4) return;
    if (static_cast<unsigned char>(in_[0]) != 0x7f) return close();
    const char reply[4] = {0x7f, static_cast<char>(0xf2), 0, 0};  // 16 MiB, msgpack
    out_.bytes.append(reply, 4);
    handshaken_ = true;
    at = 4;
  }
  while (have_ - at >= 4) {
    const auto* h = reinterpret_cast<const unsigned char*>(in_.data() + at);
    const std::size_t n = (std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3];
    if (have_ - at - 4 < n) {
      if (n + 4 > in_.size()) in_.resize(n + 4);
      break;
    }
    if ((h[0] & 0x07) == 0) {
      zone_.clear();
      std::size_t off = 0;
      const msgpack::object m = msgpack::unpack(zone_, in_.data() + at + 4, n, off);
      r_.on_message(*this, m);
    }
    at += 4 + n;
  }
  if (at > 0) {
    std::memmove(in_.data(), in_.data() + at, have_ - at);
    have_ -= at;
  }
}

void connection::flush() {
  if (busy_ || out_.bytes.empty()) return;
  busy_ = true;
  writing_.swap(out_.bytes);
  out_.bytes.clear();
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(writing_), [self](const boost::system::error_code& ec, std::size_t) {
    self->busy_ = false;
    self->writing_.clear();
    if (!ec) self->flush();
  });
}

std::string str(const msgpack::object& o) {
  return o.type == msgpack::type::STR ? std::string(o.via.str.ptr, o.via.str.size) : std::string();
}

const msgpack::object* find(const msgpack::object& map, const char* key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  const std::size_t len = std::strlen(key);
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& k = map.via.map.ptr[i].key;
    if (k.type == msgpack::type::STR && k.via.str.size == len && std::memcmp(k.via.str.ptr, key, len) == 0)
      return &map.via.map.ptr[i].val;
  }
  return nullptr;
}

void router::on_message(connection& c, const msgpack::object& m) {
  if (m.type != msgpack::type::ARRAY || m.via.array.size == 0) return;
  const auto* f = m.via.array.ptr;
  const std::uint32_t n = m.via.array.size;
  switch (f[0].as<int>()) {
    case HELLO:
      return hello(c, f, n);
    case SUBSCRIBE:
      c.subscriptions[str(f[3])] = ++next_id_;
      return ack(c, SUBSCRIBED, f[1], next_id_);
    case UNSUBSCRIBE:
      return ack(c, UNSUBSCRIBED, f[1], 0);
    case REGISTER:
      procedures_[str(f[3])] = {c.shared_from_this(), ++next_id_};
      return ack(c, REGISTERED, f[1], next_id_);
    case UNREGISTER:
      return ack(c, UNREGISTERED, f[1], 0);
    case CALL:
      return call(c, f, n);
    case YIELD:
      return yield(c, f, n, false);
    case ERROR:
      if (n >= 5 && f[1].as<int>() == INVOCATION) return yield(c, f, n, true);
      return;
    case PUBLISH:
      return publish(c, f, n);
    case GOODBYE:
      c.send([](packer& pk) {
        pk.pack_array(3);
        pk.pack(int(GOODBYE));
        pk.pack_map(0);
        pk.pack("wamp.close.goodbye_and_out");
      });
      return;
    default:
      return;
  }
}

// SUBSCRIBED / REGISTERED [code, request, id], or UNSUBSCRIBED / UNREGISTERED [code, request] (id 0).
void router::ack(connection& c, int code, const msgpack::object& request, std::uint64_t id) {
  c.send([&](packer& pk) {
    pk.pack_array(id ? 3 : 2);
    pk.pack(code);
    pk.pack(request);
    if (id) pk.pack(id);
  });
}

void router::hello(connection& c, const msgpack::object* f, std::uint32_t n) {
  if (n < 3) return;
  c.realm = str(f[1]);
  c.session = ++next_id_;
  if (started_) ++rejoins_;  // a link of wamp-metad came back: it had lost it
  if (c.realm == internal_realm)
    internal_ = c.shared_from_this();
  else
    served_ = c.shared_from_this();
  c.send([&](packer& pk) {
    pk.pack_array(3);
    pk.pack(int(WELCOME));
    pk.pack(c.session);
    pk.pack_map(5);
    pk.pack("roles");
    pk.pack_map(2);
    pk.pack("broker");
    pk.pack_map(1);
    pk.pack("features");
    pk.pack_map(0);
    pk.pack("dealer");
    pk.pack_map(1);
    pk.pack("features");
    pk.pack_map(1);
    pk.pack("caller_identification");
    pk.pack(true);
    pk.pack("authid");
    pk.pack("metad");
    pk.pack("authrole");
    pk.pack("metad");
    pk.pack("authmethod");
    pk.pack("ticket");
    pk.pack("authprovider");
    pk.pack("static");
  });
}

void router::result(connection& c, std::uint64_t request, const std::function<void(packer&)>& arg) {
  c.send([&](packer& pk) {
    pk.pack_array(4);
    pk.pack(int(RESULT));
    pk.pack(request);
    pk.pack_map(0);
    arg(pk);
  });
}

void router::error(connection& c, int type, std::uint64_t request, const std::string& uri, const std::string& message) {
  c.send([&](packer& pk) {
    pk.pack_array(6);
    pk.pack(int(ERROR));
    pk.pack(type);
    pk.pack(request);
    pk.pack_map(0);
    pk.pack(uri);
    pk.pack_array(1);
    pk.pack(message);
  });
}

// The realm's state before the first hook: the two watchers, subscribed to wamp.session.on_join (the keys of
// a snapshot page, and `extra_keys` more that the caller adds).
void router::pack_state(packer& pk, std::size_t extra_keys) {
  pk.pack_map(5 + extra_keys);
  pk.pack("epoch");
  pk.pack(epoch);
  pk.pack("seq");
  pk.pack(seq_);
  pk.pack("sessions");
  pk.pack_array(watchers);
  for (std::uint64_t w = 1; w <= watchers; ++w)
    pack_info(pk, w, "watcher-" + std::to_string(w), "user", 0, false);
  pk.pack("registrations");
  pk.pack_array(0);
  pk.pack("subscriptions");
  pk.pack_array(1);
  pk.pack_map(6);
  pk.pack("realm");
  pk.pack(served_realm);
  pk.pack("id");
  pk.pack(on_join_subscription);
  pk.pack("uri");
  pk.pack("wamp.session.on_join");
  pk.pack("match");
  pk.pack("exact");
  pk.pack("created");
  pk.pack("2026-12-01T00:00:00.000Z");
  pk.pack("subscribers");
  pk.pack_array(watchers);
  for (std::uint64_t w = 1; w <= watchers; ++w)
    pk.pack(w);
}

void router::call(connection& c, const msgpack::object* f, std::uint32_t n) {
  if (n < 4) return;
  const std::uint64_t request = f[1].as<std::uint64_t>();
  const std::string procedure = str(f[3]);
  if (procedure == "router.session.sync") {
    return result(c, request, [&](packer& pk) {
      pk.pack_array(2);
      pk.pack(epoch);
      pk.pack(seq_);
    });
  }
  if (procedure == "router.session.snapshot") {
    // Only the state before the first hook is known here (the benchmark never loses a hook): a snapshot asked
    // for later is a resync, counted as a failure.
    if (seq_ > 0) {
      ++resyncs_;
      return error(c, CALL, request, "wamp.error.runtime_error", "the stand-in has no snapshot after seq 0");
    }
    return result(c, request, [&](packer& pk) {
      pk.pack_array(1);
      pack_state(pk, 1);
      pk.pack("protocol");
      pk.pack(2);
    });
  }
  if (procedure == "router.meta.features") {
    return result(c, request, [](packer& pk) { pk.pack_array(0); });
  }
  if (procedure == "router.meta.catch_up") {
    if (seq_ > 0) {
      ++resyncs_;
      return error(c, CALL, request, "router.error.history_lost", "the stand-in keeps no hook history");
    }
    caught_up_ = true;
    return result(c, request, [&](packer& pk) {
      pk.pack_array(1);
      pack_state(pk, 4);
      pk.pack("at");
      pk.pack(0);
      pk.pack("skip");
      pk.pack(0);
      pk.pack("told");
      pk.pack_nil();
      pk.pack("hooks");
      pk.pack_array(0);
    });
  }
  auto it = procedures_.find(procedure);
  auto callee = it == procedures_.end() ? nullptr : it->second.first.lock();
  if (!callee) return error(c, CALL, request, "wamp.error.no_such_procedure", "no such procedure: " + procedure);
  const std::uint64_t invocation = ++next_id_;
  invocations_[invocation] = {c.shared_from_this(), request};
  callee->send([&](packer& pk) {
    pk.pack_array(n);
    pk.pack(int(INVOCATION));
    pk.pack(invocation);
    pk.pack(it->second.second);
    pk.pack_map(1);
    pk.pack("caller");
    pk.pack(c.session);
    for (std::uint32_t i = 4; i < n; ++i)
      pk.pack(f[i]);
  });
  if (callee.get() != &c) callee->flush();
}

void router::yield(connection& c, const msgpack::object* f, std::uint32_t n, bool failed) {
  const std::uint64_t invocation = f[failed ? 2 : 1].as<std::uint64_t>();
  auto it = invocations_.find(invocation);
  if (it == invocations_.end()) return;
  auto caller = it->second.caller.lock();
  const std::uint64_t request = it->second.request;
  invocations_.erase(it);
  if (!caller) return;
  caller->send([&](packer& pk) {
    if (failed) {
      pk.pack_array(n);
      pk.pack(int(ERROR));
      pk.pack(int(CALL));
      pk.pack(request);
      for (std::uint32_t i = 3; i < n; ++i)
        pk.pack(f[i]);
      return;
    }
    pk.pack_array(n);
    pk.pack(int(RESULT));
    pk.pack(request);
    pk.pack_map(0);
    for (std::uint32_t i = 3; i < n; ++i)
      pk.pack(f[i]);
  });
  if (caller.get() != &c) caller->flush();
  if (&c == served_.get() && !heartbeat_back_ && caught_up_) {
    heartbeat_back_ = true;
    ready_check();
  }
}

// A meta event: checked against the hook it tells, and timed.
void router::publish(connection&, const msgpack::object* f, std::uint32_t n) {
  const std::int64_t t = now_ns();
  ++publication_;
  if (n < 5) return;
  const std::string topic = str(f[3]);
  const bool join = topic == "wamp.session.on_join";
  const bool leave = topic == "wamp.session.on_leave";
  if (!join && !leave) {
    ++other_events_;
    return;
  }
  std::uint64_t seq = expected_;
  std::uint64_t index = 0;
  if (const auto* told = find(f[2], "_told"); told && told->type == msgpack::type::ARRAY && told->via.array.size == 3) {
    seq = told->via.array.ptr[1].as<std::uint64_t>();
    index = told->via.array.ptr[2].as<std::uint64_t>();
  } else {
    ++untagged_;
  }
  const auto& args = f[4];
  std::uint64_t id = 0;
  if (args.type == msgpack::type::ARRAY && args.via.array.size >= 1) {
    const auto& a0 = args.via.array.ptr[0];
    if (a0.type == msgpack::type::POSITIVE_INTEGER) id = a0.via.u64;
    if (const auto* s = find(a0, "session"); s && s->type == msgpack::type::POSITIVE_INTEGER) id = s->via.u64;
  }
  auto violation = [&](const std::string& what) {
    ++violations_;
    if (violation_samples_.size() < 10) violation_samples_.push_back(what);
  };
  if (seq != expected_ || index != 0 || seq > seq_) {
    violation("event for seq " + std::to_string(seq) + " event " + std::to_string(index) + " when seq " +
              std::to_string(expected_) + " was due");
    if (seq < expected_ || seq > seq_) return;  // a duplicate, or nothing of ours
  }
  const hook_rec& h = ring_[seq % ring_.size()];
  if (h.left != leave || session_id(h.k) != id)
    violation("seq " + std::to_string(seq) + ": " + topic + " of " + std::to_string(id) + ", the hook was the " +
              (h.left ? "leave" : "join") + " of " + std::to_string(session_id(h.k)));
  expected_ = seq + 1;
  if (phase_ < phases_.size()) {
    auto& p = phases_[phase_];
    if (seq >= p.first_seq) {
      ++p.events;
      p.t_last = t;
      const auto lag = static_cast<std::uint32_t>(std::max<std::int64_t>(0, t - h.t) / 1000);
      p.lag_us.push_back(lag);
      if (lag >= p.worst_lag_us) {
        p.worst_lag_us = lag;
        p.worst_seq = seq - p.first_seq + 1;
      }
    }
  }
}

void router::ready_check() {
  if (started_ || !heartbeat_back_) return;
  started_ = true;
  std::fprintf(stderr, "standin: wamp-metad (pid %d) serves %s; %zu phase(s)\n", int(metad_), served_realm.c_str(),
               phases_.size());
  phase_ = 0;
  next_phase();
}

void router::next_phase() {
  if (phase_ >= phases_.size()) {
    stop_metad();
    return;
  }
  auto& p = phases_[phase_];
  p.first_seq = seq_ + 1;
  p.t0 = now_ns();
  p.metad_cpu0 = process_cpu_s(metad_);
  p.self_cpu0 = self_cpu_s();
  p.lag_us.reserve(p.name == "storm" ? o_.storm : std::size_t(p.rate ? p.rate * o_.seconds : 1000000));
  feeding_ = true;
  phase_end_ = p.t0 + static_cast<std::int64_t>((p.name == "storm" ? o_.storm_seconds : o_.seconds) * 1e9);
  tick();
}

// Every millisecond: the hooks due by now, written in one go.
void router::tick() {
  auto& p = phases_[phase_];
  const std::int64_t t = now_ns();
  const std::uint64_t written = seq_ + 1 - p.first_seq;
  const std::uint64_t backlog = seq_ + 1 - expected_;
  p.max_backlog = std::max(p.max_backlog, backlog);
  if (feeding_) {
    std::uint64_t due = 0;
    if (p.name == "storm") {
      const double share = std::min(1.0, double(t - p.t0) / (o_.storm_seconds * 1e9));
      due = static_cast<std::uint64_t>(share * double(o_.storm)) - written;
    } else if (p.rate > 0) {
      due = static_cast<std::uint64_t>(double(t - p.t0) * 1e-9 * double(p.rate)) - written;
    } else {
      due = backlog < o_.window ? o_.window - backlog : 0;
    }
    if (backlog + due > o_.backlog_limit) {
      p.throttled = true;
      due = backlog < o_.backlog_limit ? o_.backlog_limit - backlog : 0;
    }
    feed(std::min<std::uint64_t>(due, 20000));
    const bool storm_done = p.name == "storm" && seq_ + 1 - p.first_seq >= o_.storm;
    if (storm_done || (p.name != "storm" && t >= phase_end_)) {
      feeding_ = false;
      p.hooks = seq_ + 1 - p.first_seq;
      p.t_fed = t;
    }
  }
  if (!feeding_) {
    const bool all_in = expected_ > seq_;
    if (all_in || t - p.t_fed > std::int64_t{60} * 1000000000) {
      p.drained = all_in;
      return finish_phase();
    }
  }
  tick_.expires_after(std::chrono::milliseconds(1));
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void router::feed(std::uint64_t n) {
  if (n == 0 || !internal_) return;
  const auto joined = internal_->subscriptions.find("router.session.joined");
  const auto left = internal_->subscriptions.find("router.session.left");
  if (joined == internal_->subscriptions.end() || left == internal_->subscriptions.end())
    return fail("no hook subscriptions");
  const bool storm = phases_[phase_].name == "storm";
  const std::int64_t t = now_ns();
  frames& out = internal_->out();
  for (std::uint64_t i = 0; i < n; ++i) {
    const bool leave = !storm && live_.size() >= o_.pool;
    std::uint64_t k;
    if (leave) {
      k = live_.front();
      live_.pop_front();
    } else {
      k = next_k_++;
      if (!storm) live_.push_back(k);
    }
    const std::uint64_t seq = ++seq_;
    ring_[seq % ring_.size()] = {t, k, leave};
    out.begin();
    packer pk(out);
    pk.pack_array(5);
    pk.pack(int(EVENT));
    pk.pack(leave ? left->second : joined->second);
    pk.pack(++next_id_);
    pk.pack_map(0);
    pk.pack_array(1);
    pack_info(pk, session_id(k), "client-" + std::to_string(k), "user", seq, true);
    out.end();
  }
  internal_->flush();
}

double quantile(std::vector<std::uint32_t>& v, double q) {
  if (v.empty()) return 0;
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(q * double(v.size() - 1) + 0.5));
  return v[i];
}

void router::finish_phase() {
  auto& p = phases_[phase_];
  p.metad_cpu = process_cpu_s(metad_) - p.metad_cpu0;
  p.self_cpu = self_cpu_s() - p.self_cpu0;
  report(p);
  p.lag_us = {};
  ++phase_;
  // A moment between phases: wamp-metad's heartbeats confirm what it published.
  deadline_.expires_after(std::chrono::milliseconds(o_.quick ? 200 : 1500));
  deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) next_phase();
  });
}

void router::report(const phase_stats& p) {
  auto lags = p.lag_us;
  std::sort(lags.begin(), lags.end());
  const double fed_s = (p.t_fed - p.t0) / 1e9;
  const double span_s = (std::max(p.t_last, p.t_fed) - p.t0) / 1e9;
  const double events_per_s = span_s > 0 ? p.events / span_s : 0;
  const double cpu_share = span_s > 0 ? p.metad_cpu / span_s : 0;
  const double cpu_per_1000 = p.events ? p.metad_cpu * 1e6 / p.events : 0;
  char json[1024];
  std::snprintf(json, sizeof json,
                "{\"phase\":\"%s\",\"rate\":%llu,\"hooks\":%llu,\"events\":%llu,\"fed_s\":%.3f,\"span_s\":%.3f,"
                "\"hooks_per_s\":%.0f,\"events_per_s\":%.0f,\"lag_p50_ms\":%.3f,\"lag_p99_ms\":%.3f,"
                "\"lag_max_ms\":%.3f,\"metad_cpu_s\":%.2f,\"metad_cpu_share\":%.3f,\"metad_cpu_ms_per_1000\":%.2f,"
                "\"standin_cpu_share\":%.3f,\"max_backlog\":%llu,\"throttled\":%s,\"drained\":%s,"
                "\"metad_rss_mib\":%.1f,\"violations\":%llu,\"resyncs\":%llu,\"worst_hook\":%llu}",
                p.name.c_str(), (unsigned long long)p.rate, (unsigned long long)p.hooks, (unsigned long long)p.events,
                fed_s, span_s, fed_s > 0 ? p.hooks / fed_s : 0, events_per_s, quantile(lags, 0.5) / 1000,
                quantile(lags, 0.99) / 1000, lags.empty() ? 0.0 : lags.back() / 1000.0, p.metad_cpu, cpu_share,
                cpu_per_1000, span_s > 0 ? p.self_cpu / span_s : 0, (unsigned long long)p.max_backlog,
                p.throttled ? "true" : "false", p.drained ? "true" : "false", rss_kib(metad_) / 1024.0,
                (unsigned long long)violations_, (unsigned long long)resyncs_, (unsigned long long)p.worst_seq);
  std::printf("standin-result %s\n", json);
  std::fflush(stdout);
  std::fprintf(stderr,
               "standin: %-6s %7llu hooks/s asked, %llu hooks in %.2f s, %llu events: %.0f events/s, lag p50 %.2f ms "
               "p99 %.2f ms max %.2f ms, wamp-metad CPU %.0f%% (%.1f ms per 1,000), stand-in %.0f%%%s%s\n",
               p.name.c_str(), (unsigned long long)p.rate, (unsigned long long)p.hooks, fed_s,
               (unsigned long long)p.events, events_per_s, quantile(lags, 0.5) / 1000, quantile(lags, 0.99) / 1000,
               lags.empty() ? 0.0 : lags.back() / 1000.0, cpu_share * 100, cpu_per_1000,
               span_s > 0 ? 100 * p.self_cpu / span_s : 0, p.throttled ? " (throttled: backlog limit)" : "",
               p.drained ? "" : " (NOT DRAINED)");
  if (!p.drained || p.events != p.hooks) exit_code_ = 1;
}

void router::fail(const std::string& why) {
  std::fprintf(stderr, "standin: %s\n", why.c_str());
  exit_code_ = 1;
  stop_metad();
}

void router::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
    if (ec) return;
    s.set_option(tcp::no_delay(true));
    auto c = std::make_shared<connection>(*this, std::move(s));
    conns_.push_back(c);
    c->start();
    accept();
  });
}

void router::start_metad() {
  char dir[] = "/tmp/standin-XXXXXX";
  if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
  secret_file_ = std::string(dir) + "/secret";
  if (o_.log.empty()) {
    o_.log = std::string(dir) + "/wamp-metad.log";
    own_log_ = true;
  }
  std::ofstream(secret_file_) << "any-ticket\n";
  const std::string url = "rs://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  std::vector<std::string> argv = {o_.metad, "--router", url, "--authid", "metad", "--authmethod", "ticket",
                                   "--secret-file", secret_file_, "--realm", served_realm,
                                   // A machine busy with other work must not end a run with a lost link (and a
                                   // resync the stand-in cannot serve): heartbeats wait up to 10 s here.
                                   "--heartbeat-timeout-ms", "10000"};
  const pid_t parent = ::getpid();
  metad_ = ::fork();
  if (metad_ < 0) throw std::runtime_error("fork failed");
  if (metad_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o_.metad_cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
    const int fd = ::open(o_.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 2);
      ::dup2(fd, 1);
    }
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

// SIGTERM (it leaves its links), then SIGKILL after 5 s; the io_context ends with it.
void router::stop_metad() {
  tick_.cancel();
  if (metad_ <= 0) {
    io_.stop();
    return;
  }
  ::kill(metad_, SIGTERM);
  auto waited = std::make_shared<int>(0);
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [this, waited, poll] {
    int status = 0;
    if (::waitpid(metad_, &status, WNOHANG) == metad_) {
      metad_ = -1;
      io_.stop();
      return;
    }
    if (++*waited == 500) ::kill(metad_, SIGKILL);
    deadline_.expires_after(std::chrono::milliseconds(10));
    deadline_.async_wait([poll](const boost::system::error_code&) { (*poll)(); });
  };
  (*poll)();
}

int router::run() {
  if (o_.storm == 0 && o_.rates.empty()) o_.rates = {25000};
  for (auto r : o_.rates) {
    phase_stats p;
    p.name = "rate";
    p.rate = r;
    phases_.push_back(std::move(p));
  }
  if (o_.storm > 0) {
    phase_stats p;
    p.name = "storm";
    p.rate = static_cast<std::uint64_t>(o_.storm / o_.storm_seconds);
    phases_.push_back(std::move(p));
  }
  acceptor_.open(tcp::v4());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acceptor_.listen();
  accept();
  start_metad();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(o_.self_cpu, &set);
  ::sched_setaffinity(0, sizeof set, &set);
  // wamp-metad gets 30 s to serve the realm.
  asio::steady_timer ready_timeout(io_, std::chrono::seconds(30));
  ready_timeout.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !started_) fail("wamp-metad did not serve " + served_realm + " within 30 s (see its log: --log)");
  });
  io_.run();
  if (metad_ > 0) {
    ::kill(metad_, SIGKILL);
    ::waitpid(metad_, nullptr, 0);
  }
  if (phase_ < phases_.size()) exit_code_ = 1;
  std::fprintf(stderr,
               "standin: %llu violation(s), %llu resync(s), %llu link(s) rejoined, %llu untagged event(s), %llu other "
               "event(s)\n",
               (unsigned long long)violations_, (unsigned long long)resyncs_, (unsigned long long)rejoins_,
               (unsigned long long)untagged_, (unsigned long long)other_events_);
  for (const auto& v : violation_samples_)
    std::fprintf(stderr, "standin:   %s\n", v.c_str());
  if (violations_ > 0 || resyncs_ > 0 || rejoins_ > 0) exit_code_ = 1;
  if (exit_code_ != 0) {
    // What wamp-metad said of it: its warnings and errors, the first 20.
    std::ifstream in(o_.log);
    std::string line;
    int shown = 0;
    while (std::getline(in, line) && shown < 20) {
      if (line.find(" warning ") == std::string::npos && line.find(" error ") == std::string::npos) continue;
      std::fprintf(stderr, "standin: wamp-metad: %s\n", line.c_str());
      ++shown;
    }
  }
  if (own_log_) ::unlink(o_.log.c_str());
  ::unlink(secret_file_.c_str());
  ::rmdir(secret_file_.substr(0, secret_file_.rfind('/')).c_str());
  return exit_code_;
}

int usage(const std::string& why) {
  std::fprintf(stderr, "bench_standin: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: bench_standin --metad BIN [--rates R1,R2,...] [--seconds S] [--pool N] [--storm N]\n"
               "                     [--storm-seconds S] [--window N] [--metad-cpu C] [--self-cpu C] [--log FILE]"
               " [--quick]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--metad") {
        o.metad = value();
      } else if (a == "--rates") {
        std::stringstream s(value());
        std::string r;
        while (std::getline(s, r, ','))
          o.rates.push_back(std::stoull(r));
      } else if (a == "--seconds") {
        o.seconds = std::stod(value());
      } else if (a == "--pool") {
        o.pool = std::stoull(value());
      } else if (a == "--storm") {
        o.storm = std::stoull(value());
      } else if (a == "--storm-seconds") {
        o.storm_seconds = std::stod(value());
      } else if (a == "--window") {
        o.window = std::stoull(value());
      } else if (a == "--metad-cpu") {
        o.metad_cpu = std::stoi(value());
      } else if (a == "--self-cpu") {
        o.self_cpu = std::stoi(value());
      } else if (a == "--log") {
        o.log = value();
      } else if (a == "--quick") {
        o.quick = true;
        o.rates = {5000, 0};
        o.seconds = 1;
        o.pool = 1000;
        o.storm = 20000;
        o.storm_seconds = 2;
        o.window = 5000;
      } else {
        return usage("unknown argument '" + a + "'");
      }
    }
  } catch (const std::exception& e) {
    return usage(std::string("bad argument: ") + e.what());
  }
  if (o.metad.empty() || ::access(o.metad.c_str(), X_OK) != 0) return usage("--metad must name the wamp-metad binary");
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (o.metad_cpu < 0 || o.self_cpu < 0 || o.metad_cpu >= cores || o.self_cpu >= cores)
    return usage("--metad-cpu and --self-cpu must be cores of this machine (0 to " + std::to_string(cores - 1) + ")");
  if (o.seconds <= 0 || o.storm_seconds <= 0 || o.pool == 0 || o.window == 0 || o.window > o.backlog_limit)
    return usage("--seconds, --storm-seconds, --pool and --window must be positive (window <= 500000)");
  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  router r(io, o);
  return r.run();
}
