// wamp-metad: wiring only. Configuration, logging, signals and systemd notification around the service.
#include <systemd/sd-daemon.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "wamp_metad/adapter/service.hpp"
#include "wamp_metad/daemon/config.hpp"
#include "wamp_metad/daemon/metrics.hpp"

#ifndef WAMP_METAD_VERSION
#define WAMP_METAD_VERSION "unknown"
#endif

namespace {

constexpr auto shutdown_deadline = std::chrono::milliseconds(4500);  // systemd's default stop timeout is far
constexpr auto status_interval = std::chrono::seconds(5);

// glibc by default adapts its mmap and trim thresholds to what was freed last, and so hands the transient
// buffers of a large answer (a list of 100,000 ids is about 9 MiB on its way out: the ids, the message, its
// bytes) back to the kernel after each call, to fault them in again, page by page, on the next one. Fixed
// thresholds keep up to `keep` of freed memory for reuse; the service still returns what a sync left behind
// (malloc_trim). Settings given in GLIBC_TUNABLES win.
void tune_allocator() {
#ifdef __GLIBC__
  constexpr int mmap_above = 16 << 20;
  constexpr int keep = 32 << 20;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string given = tunables ? tunables : "";
  if (given.find("malloc.mmap_threshold") == std::string::npos) ::mallopt(M_MMAP_THRESHOLD, mmap_above);
  if (given.find("malloc.trim_threshold") == std::string::npos) ::mallopt(M_TRIM_THRESHOLD, keep);
#endif
}

// Runs `f` now and then every `period` on the timer's io_context, until the timer is cancelled.
void every(boost::asio::steady_timer& timer, std::chrono::microseconds period, std::function<void()> f) {
  f();
  timer.expires_after(period);
  timer.async_wait([&timer, period, f = std::move(f)](const boost::system::error_code& ec) mutable {
    if (!ec) every(timer, period, std::move(f));
  });
}

void notify_status(const wamp_metad::adapter::service& service, const char* prefix) {
  const auto st = service.status();
  const std::string of = st.realms_ready < st.realms_served ? std::to_string(st.realms_ready) + " of " : "";
  sd_notifyf(0, "%sSTATUS=%sserving %s%zu realm(s), %zu session(s) mirrored, %llu resync(s)", prefix,
             st.synced ? "" : "mirror not synced; ", of.c_str(), st.realms_served, st.sessions,
             static_cast<unsigned long long>(st.resyncs));
}

// SIGHUP: the configuration is read again (the same flags, the config file as it is now) and applied as
// daemon::reload_applies says, without touching the realms that stay (unless their procedures change). A
// configuration with problems changes nothing.
void on_reload(boost::asio::signal_set& hup, wamp_metad::adapter::service& service, int argc, const char* const* argv) {
  hup.async_wait([&hup, &service, argc, argv](const boost::system::error_code& ec, int) {
    if (ec) return;
    const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
    auto parsed = wamp_metad::daemon::parse(argc, argv, creds ? creds : "", wamp_metad::daemon::name_check::skip);
    if (!parsed.problems.empty()) {
      for (const auto& p : parsed.problems)
        spdlog::error("reload: {}", p);
      spdlog::error("reload: {} problem(s); the running configuration stays", parsed.problems.size());
    } else {
      for (const auto& w : parsed.warnings)
        spdlog::warn("reload: {}", w);
      spdlog::info(
          "reload: serving {} realm(s); a reload applies {}",
          parsed.cfg.service.all_realms ? std::string("every") : std::to_string(parsed.cfg.service.realms.size()),
          wamp_metad::daemon::reload_applies);
      service.reconfigure(parsed.cfg.service);
    }
    on_reload(hup, service, argc, argv);
  });
}

int run(const wamp_metad::daemon::parse_result& parsed, int argc, const char* const* argv) {
  const auto& cfg = parsed.cfg;
  auto logger = spdlog::stderr_logger_mt("wamp-metad");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_default_logger(logger);
  for (const auto& w : parsed.warnings)
    spdlog::warn("configuration: {}", w);

  // Metrics, when asked for: listening before the service starts, so that a bad address stops it at once.
  std::unique_ptr<wamp_metad::daemon::metrics> metrics;
  auto options = cfg.service;
  if (!cfg.metrics_address.empty()) {
    try {
      metrics = std::make_unique<wamp_metad::daemon::metrics>(cfg.metrics_address);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return 1;
    }
    spdlog::info("metrics at http://{}/metrics", metrics->address());
    options.observer = metrics.get();
  }

  boost::asio::io_context io;
  wamp_metad::adapter::service service(io, options);
  service.on_ready = [&service] { notify_status(service, "READY=1\n"); };

  // systemd's watchdog is petted from the service's own io_context: a stalled loop stops petting. STATUS= goes
  // out every few seconds. Without $NOTIFY_SOCKET neither timer runs.
  boost::asio::steady_timer watchdog(io), status(io), sessions_gauge(io);
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0)
    every(watchdog, std::chrono::microseconds(std::max<std::uint64_t>(watchdog_usec / 3, 1000)),
          [] { sd_notify(0, "WATCHDOG=1"); });
  if (std::getenv("NOTIFY_SOCKET")) every(status, status_interval, [&service] { notify_status(service, ""); });
  if (metrics)
    every(sessions_gauge, std::chrono::seconds(1),
          [&service, &metrics] { metrics->set_sessions(service.sessions_per_realm(), service.status().sessions); });

  boost::asio::signal_set hup(io, SIGHUP);
  on_reload(hup, service, argc, argv);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: leaving every realm", signo);
    sd_notify(0, "STOPPING=1");
    watchdog.cancel();
    status.cancel();
    sessions_gauge.cancel();
    hup.cancel();
    // A hard deadline: whatever hangs, the process is gone within 5 s.
    std::thread([] {
      std::this_thread::sleep_for(shutdown_deadline + std::chrono::milliseconds(500));
      std::cerr << "wamp-metad: shutdown deadline passed, exiting\n";
      std::_Exit(1);
    }).detach();
    service.stop(std::chrono::steady_clock::now() + shutdown_deadline, [&io] { io.stop(); });
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
  if (cfg.show_procedures) {
    std::cout << wamp_metad::daemon::procedures_markdown();
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
    for (const auto& w : parsed.warnings)
      std::cerr << "wamp-metad: configuration: warning: " << w << "\n";
    std::cout << "wamp-metad: configuration OK\n";
    return 0;
  }
  tune_allocator();
  try {
    return run(parsed, argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "wamp-metad: fatal: " << e.what() << "\n";
    return 1;
  }
}
