// The reference callee for bench/run: a plain Autobahn|Cpp client (RawSocket, msgpack, the same library and
// transport as wamp-metad's links) that registers
//   bench.echo      returns its positional arguments as they came
//   bench.ids [n]   returns [[n ids]]: a list of n WAMP ids, the same shape as wamp.session.list's result
// so that a meta call can be compared with a call that does nothing but answer.
//
//   bench_echo HOST PORT REALM    prints "ready SESSION_ID" once both are registered; runs until SIGTERM/SIGINT.
// Exit codes: 0 after a signal, 1 when the router cannot be joined, 2 for bad arguments.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <autobahn/autobahn.hpp>
#include <boost/asio/io_service.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace {

constexpr std::size_t max_ids = 1000000;
constexpr std::uint64_t max_wamp_id = 1ULL << 53;
constexpr auto step_timeout = std::chrono::seconds(10);

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
T await(boost::future<T> f, const char* what) {
  if (f.wait_for(boost::chrono::seconds(step_timeout.count())) != boost::future_status::ready)
    throw std::runtime_error(std::string(what) + ": no answer within 10 s");
  return f.get();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: bench_echo HOST PORT REALM\n";
    return 2;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(argv[1], ec);
  char* end = nullptr;
  const unsigned long port = std::strtoul(argv[2], &end, 10);
  if (ec || *end != '\0' || port == 0 || port > 65535) {
    std::cerr << "bench_echo: bad address '" << argv[1] << ":" << argv[2] << "'\n";
    return 2;
  }
  const std::string realm = argv[3];

  // The signals are taken by sigwait below, not by a handler, on whichever thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const auto pool = make_pool();
  boost::asio::io_service io;
  boost::asio::io_service::work keep_running(io);
  std::thread loop([&io] {
    try {
      io.run();
    } catch (const std::exception& e) {
      // The library throws protocol errors out of run(): this callee has nothing left to serve.
      std::cerr << "bench_echo: connection failed: " << e.what() << "\n";
      std::_Exit(1);
    }
  });

  auto transport = std::make_shared<autobahn::wamp_tcp_transport>(io, boost::asio::ip::tcp::endpoint(address, port));
  auto session = std::make_shared<autobahn::wamp_session>(io);
  transport->attach(std::static_pointer_cast<autobahn::wamp_transport_handler>(session));

  const auto echo = [](autobahn::wamp_invocation inv) { inv->result(inv->arguments<msgpack::object>()); };
  const auto ids = [&pool](autobahn::wamp_invocation inv) {
    std::uint64_t n = 0;
    try {
      if (inv->number_of_arguments() != 1) throw std::bad_cast();
      n = inv->argument<std::uint64_t>(0);
    } catch (const std::bad_cast&) {
      n = max_ids + 1;
    }
    if (n > max_ids) {
      inv->error("wamp.error.invalid_argument",
                 std::make_tuple(std::string("bench.ids takes one integer from 0 to ") + std::to_string(max_ids)));
      return;
    }
    inv->result(std::make_tuple(std::vector<std::uint64_t>(pool.begin(), pool.begin() + static_cast<long>(n))));
  };

  try {
    await(transport->connect(), "connect");
    await(session->start(), "start");
    const std::uint64_t id = await(session->join(realm), "join");
    await(session->provide("bench.echo", echo), "register bench.echo");
    await(session->provide("bench.ids", ids), "register bench.ids");
    std::cout << "ready " << id << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "bench_echo: cannot serve " << realm << " at " << argv[1] << ":" << argv[2] << ": " << e.what()
              << "\n";
    std::_Exit(1);
  }

  int signal = 0;
  sigwait(&stop_signals, &signal);
  // Leaving is a courtesy to the router; the process ends either way (the library's objects are not meant to
  // be torn down while its loop runs).
  try {
    session->leave().wait_for(boost::chrono::seconds(1));
  } catch (const std::exception&) {
  }
  io.stop();
  loop.join();
  std::fflush(nullptr);
  std::_Exit(0);
}
