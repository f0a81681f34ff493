// wamp-metad: wiring only. Configuration, logging, signals and systemd notification around the service.
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "wamp_metad/adapter/service.hpp"
#include "wamp_metad/daemon/config.hpp"

#ifndef WAMP_METAD_VERSION
#define WAMP_METAD_VERSION "unknown"
#endif

namespace {

constexpr auto shutdown_deadline = std::chrono::milliseconds(4500);  // systemd's default stop timeout is far

int run(const wamp_metad::daemon::config& cfg) {
  auto logger = spdlog::stderr_logger_mt("wamp-metad");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_default_logger(logger);

  boost::asio::io_context io;
  wamp_metad::adapter::service service(io, cfg.service);
  service.on_ready = [&service] {
    const auto st = service.status();
    sd_notifyf(0, "READY=1\nSTATUS=serving %zu realm(s), %zu session(s) mirrored", st.realms_served, st.sessions);
  };

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: leaving every realm", signo);
    sd_notify(0, "STOPPING=1");
    // A hard deadline: whatever hangs, the process is gone within 5 s.
    std::thread([] {
      std::this_thread::sleep_for(shutdown_deadline + std::chrono::milliseconds(500));
      std::cerr << "wamp-metad: shutdown deadline passed, exiting\n";
      std::_Exit(1);
    }).detach();
    service.stop(std::chrono::steady_clock::now() + shutdown_deadline);
    io.stop();
  });

  spdlog::info(
      "wamp-metad {} starting: router {}, {}", WAMP_METAD_VERSION, cfg.service.router.text,
      cfg.service.all_realms ? std::string("all realms") : std::to_string(cfg.service.realms.size()) + " realm(s)");
  service.start();
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      // A bug surfaced as an exception: say so loudly, keep serving.
      spdlog::critical("unexpected error: {}", e.what());
    }
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
  auto parsed = wamp_metad::daemon::parse(argc, argv, creds ? creds : "");
  const auto& cfg = parsed.cfg;
  if (cfg.show_help) {
    std::cout << cfg.help_text;
    return 0;
  }
  if (cfg.show_version) {
    std::cout << "wamp-metad " << WAMP_METAD_VERSION << "\n";
    return 0;
  }
  if (!parsed.problems.empty()) {
    for (const auto& p : parsed.problems)
      std::cerr << "wamp-metad: configuration: " << p << "\n";
    std::cerr << "wamp-metad: " << parsed.problems.size() << " problem(s); see --help\n";
    return 2;
  }
  if (cfg.check_only) {
    std::cout << "wamp-metad: configuration OK\n";
    return 0;
  }
  try {
    return run(cfg);
  } catch (const std::exception& e) {
    std::cerr << "wamp-metad: fatal: " << e.what() << "\n";
    return 1;
  }
}
