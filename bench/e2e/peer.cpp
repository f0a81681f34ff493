// Reference peers for bench/run: plain Autobahn|Cpp clients over RawSocket (msgpack), the same library and
// transport as wamp-metad's links, so that wamp-metad is measured against the least a client in its place
// could do.
//
//   bench_peer echo HOST PORT REALM [CA_FILE]        (with CA_FILE: RawSocket over TLS, the router's
//                                                    certificate checked against CA_FILE)
//       registers bench.echo (returns its positional arguments as they came) and bench.ids [n] (returns [[n
//       ids]]: a list of n WAMP ids, the shape of wamp.session.list's result): a call that only answers.
//       Also bench.keep [name, value] (keeps a copy of value) and bench.give [name] (returns [value]): an
//       answer of any shape that the callee has at hand.
//   bench_peer forward HOST PORT REALM TOPIC        (WAMP_TICKET: the ticket of the principal "metad")
//       joins the router's internal realm, and publishes every router.session.joined hook of REALM as it came
//       (a dict as large as an on_join's) as TOPIC [hook] in REALM at once, and every router.session.left hook
//       as TOPIC.left [hook]: the shortest path from hook to event that any sidecar could take, with as many
//       events as wamp-metad's, and no mirror, checks or reshaping. Likewise every router.subscription.subscribed
//       hook as TOPIC.subscribed [hook] and every router.subscription.unsubscribed one as TOPIC.unsubscribed
//       (hook protocol v2: subscribing to them makes the router publish them), against wamp-metad's
//       on_subscribe and on_unsubscribe.
//
// Both print "ready SESSION_ID" once serving and run until SIGTERM/SIGINT. Exit codes: 0 after a signal, 1
// when the router cannot be joined or the connection fails, 2 for bad arguments.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <autobahn/autobahn.hpp>
#include <boost/asio/io_service.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tls_client.hpp"

namespace {

constexpr std::size_t max_ids = 1000000;
constexpr std::uint64_t max_wamp_id = 1ULL << 53;
constexpr int step_timeout_s = 10;
const std::string internal_realm = "router.internal";
const std::string internal_authid = "metad";

// One pool of random ids, made once: a call copies a prefix of it, as a callee that had the list would.
std::vector<std::uint64_t> make_pool() {
  std::mt19937_64 rng(20261125);
  std::uniform_int_distribution<std::uint64_t> id(1, max_wamp_id);
  std::vector<std::uint64_t> pool(max_ids);
  for (auto& v : pool)
    v = id(rng);
  return pool;
}

// Waits for one step of the client library (connect, join, register) with a bound; throws what it threw.
template <class T>
T await(boost::future<T> f, const std::string& what) {
  if (f.wait_for(boost::chrono::seconds(step_timeout_s)) != boost::future_status::ready)
    throw std::runtime_error(what + ": no answer within " + std::to_string(step_timeout_s) + " s");
  return f.get();
}

// A session that answers a ticket challenge.
class ticket_session : public autobahn::wamp_session {
 public:
  ticket_session(boost::asio::io_service& io, std::string ticket)
      : autobahn::wamp_session(io), ticket_(std::move(ticket)) {}
  boost::future<autobahn::wamp_authenticate> on_challenge(const autobahn::wamp_challenge&) override {
    return boost::make_ready_future(autobahn::wamp_authenticate(ticket_));
  }

 private:
  std::string ticket_;
};

// Whether a hook (a dict; see docs/hook-protocol.md) is about a session of `realm`.
bool of_realm(const msgpack::object& hook, const std::string& realm) {
  if (hook.type != msgpack::type::MAP) return false;
  for (const auto& kv : hook.via.map) {
    if (kv.key.type == msgpack::type::STR && kv.val.type == msgpack::type::STR &&
        std::string(kv.key.via.str.ptr, kv.key.via.str.size) == "realm")
      return std::string(kv.val.via.str.ptr, kv.val.via.str.size) == realm;
  }
  return false;
}

// The library's RawSocket transport over TLS (wamp-metad's TLS socket: the handshake is part of connecting).
class tls_transport : public autobahn::wamp_rawsocket_transport<wamp_metad::adapter::detail::tls_socket> {
 public:
  tls_transport(boost::asio::io_service& io, const boost::asio::ip::tcp::endpoint& router,
                std::shared_ptr<boost::asio::ssl::context> context)
      : autobahn::wamp_rawsocket_transport<wamp_metad::adapter::detail::tls_socket>(io, router) {
    socket().configure(std::move(context), router.address().to_string());
  }
};

struct connection {
  std::shared_ptr<autobahn::wamp_transport> transport;
  std::shared_ptr<autobahn::wamp_session> session;
};

// Over TLS when `tls` is given.
connection open(boost::asio::io_service& io, const boost::asio::ip::tcp::endpoint& router,
                std::shared_ptr<autobahn::wamp_session> session, const std::string& realm,
                const std::vector<std::string>& authmethods, const std::string& authid, std::uint64_t* id,
                std::shared_ptr<boost::asio::ssl::context> tls = nullptr) {
  connection c{tls ? std::shared_ptr<autobahn::wamp_transport>(std::make_shared<tls_transport>(io, router, tls))
                   : std::make_shared<autobahn::wamp_tcp_transport>(io, router),
               std::move(session)};
  c.transport->attach(std::static_pointer_cast<autobahn::wamp_transport_handler>(c.session));
  await(c.transport->connect(), "connect");
  await(c.session->start(), "start");
  *id = await(c.session->join(realm, authmethods, authid), "join " + realm);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!((mode == "echo" && (argc == 5 || argc == 6)) || (mode == "forward" && argc == 6))) {
    std::cerr << "usage: bench_peer echo HOST PORT REALM [CA_FILE]   (with CA_FILE: RawSocket over TLS)\n"
                 "       bench_peer forward HOST PORT REALM TOPIC   (ticket in WAMP_TICKET)\n";
    return 2;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(argv[2], ec);
  char* end = nullptr;
  const unsigned long port = std::strtoul(argv[3], &end, 10);
  if (ec || *end != '\0' || port == 0 || port > 65535) {
    std::cerr << "bench_peer: bad address '" << argv[2] << ":" << argv[3] << "'\n";
    return 2;
  }
  const boost::asio::ip::tcp::endpoint router(address, static_cast<unsigned short>(port));
  const std::string realm = argv[4];
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (mode == "echo" && argc == 6) {
    wamp_metad::adapter::tls_options files;
    files.ca_file = argv[5];
    auto context = wamp_metad::adapter::detail::make_client_context(files);
    if (!context.ok()) {
      std::cerr << "bench_peer: " << context.error().message << "\n";
      return 2;
    }
    tls = context.value();
  }
  const char* ticket = std::getenv("WAMP_TICKET");
  if (mode == "forward" && (!ticket || !*ticket)) {
    std::cerr << "bench_peer: forward needs the internal realm's ticket in WAMP_TICKET\n";
    return 2;
  }

  // The signals are taken by sigwait below, not by a handler, on whichever thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  boost::asio::io_service io;
  boost::asio::io_service::work keep_running(io);
  std::thread loop([&io] {
    try {
      io.run();
    } catch (const std::exception& e) {
      // The library throws protocol errors out of run(): this peer has nothing left to serve.
      std::cerr << "bench_peer: connection failed: " << e.what() << "\n";
      std::_Exit(1);
    }
  });

  std::vector<connection> connections;
  std::uint64_t id = 0;
  try {
    connections.push_back(open(io, router, std::make_shared<autobahn::wamp_session>(io), realm, {}, "", &id, tls));
    auto& served = *connections.back().session;
    if (mode == "echo") {
      auto pool = std::make_shared<const std::vector<std::uint64_t>>(make_pool());
      const auto echo = [](autobahn::wamp_invocation inv) { inv->result(inv->arguments<msgpack::object>()); };
      const auto ids = [pool](autobahn::wamp_invocation inv) {
        std::uint64_t n = max_ids + 1;
        try {
          if (inv->number_of_arguments() == 1) n = inv->argument<std::uint64_t>(0);
        } catch (const std::bad_cast&) {
        }
        if (n > max_ids) {
          inv->error("wamp.error.invalid_argument",
                     std::make_tuple("bench.ids takes one integer from 0 to " + std::to_string(max_ids)));
          return;
        }
        inv->result(std::make_tuple(std::vector<std::uint64_t>(pool->begin(), pool->begin() + static_cast<long>(n))));
      };
      // Answers kept by name: what a callee that has the answer at hand costs, for answers of any shape.
      auto kept = std::make_shared<std::map<std::string, std::pair<msgpack::object, std::unique_ptr<msgpack::zone>>>>();
      const auto keep = [kept](autobahn::wamp_invocation inv) {
        try {
          if (inv->number_of_arguments() == 2) {
            auto zone = std::make_unique<msgpack::zone>();
            msgpack::object value(inv->argument<msgpack::object>(1), *zone);
            (*kept)[inv->argument<std::string>(0)] = {value, std::move(zone)};
            inv->empty_result();
            return;
          }
        } catch (const std::bad_cast&) {
        }
        inv->error("wamp.error.invalid_argument", std::make_tuple("bench.keep takes a name and a value"));
      };
      const auto give = [kept](autobahn::wamp_invocation inv) {
        const auto at = inv->number_of_arguments() == 1 ? kept->find(inv->argument<std::string>(0)) : kept->end();
        if (at == kept->end()) {
          inv->error("wamp.error.invalid_argument", std::make_tuple("bench.give takes the name of a kept value"));
          return;
        }
        inv->result(std::make_tuple(at->second.first));
      };
      await(served.provide("bench.echo", echo), "register bench.echo");
      await(served.provide("bench.ids", ids), "register bench.ids");
      await(served.provide("bench.keep", keep), "register bench.keep");
      await(served.provide("bench.give", give), "register bench.give");
    } else {
      std::uint64_t internal_id = 0;
      connections.push_back(open(io, router, std::make_shared<ticket_session>(io, ticket), internal_realm, {"ticket"},
                                 internal_authid, &internal_id));
      auto& internal = *connections.back().session;
      const auto forward_to = [&served, realm](std::string topic) {
        return [&served, realm, topic](const autobahn::wamp_event& hook) {
          if (hook.number_of_arguments() < 1) return;
          const auto dict = hook.argument<msgpack::object>(0);
          if (of_realm(dict, realm)) served.publish(topic, std::make_tuple(dict));
        };
      };
      const std::string topic = argv[5];
      await(internal.subscribe("router.session.joined", forward_to(topic)), "subscribe");
      await(internal.subscribe("router.session.left", forward_to(topic + ".left")), "subscribe");
      await(internal.subscribe("router.subscription.subscribed", forward_to(topic + ".subscribed")), "subscribe");
      await(internal.subscribe("router.subscription.unsubscribed", forward_to(topic + ".unsubscribed")), "subscribe");
    }
    std::cout << "ready " << id << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "bench_peer: cannot serve " << realm << " at " << argv[2] << ":" << argv[3] << ": " << e.what()
              << "\n";
    std::_Exit(1);
  }

  int signal = 0;
  sigwait(&stop_signals, &signal);
  // Leaving is a courtesy to the router; the process ends either way (the library's objects are not meant to
  // be torn down while its loop runs).
  for (auto& c : connections) {
    try {
      c.session->leave().wait_for(boost::chrono::seconds(1));
    } catch (const std::exception&) {
    }
  }
  io.stop();
  loop.join();
  std::fflush(nullptr);
  std::_Exit(0);
}
