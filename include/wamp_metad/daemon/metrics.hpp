// Prometheus text exposition of what the service reports (adapter::service_observer), served over HTTP by
// prometheus-cpp's exposer on its own thread. Off unless --metrics HOST:PORT is given.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wamp_metad/adapter/observer.hpp"

namespace wamp_metad::daemon {

class metrics final : public adapter::service_observer {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one). Throws std::runtime_error when it cannot.
  explicit metrics(const std::string& address);
  ~metrics() override;
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // Where it listens, with the port actually bound: "127.0.0.1:9464".
  std::string address() const;

  // Visible sessions per served realm (every realm this instance is configured for, standing by or not), and
  // all the mirror holds; realms not listed any more are dropped, from wamp_metad_realm_active too.
  void set_sessions(const std::vector<std::pair<std::string, std::size_t>>& per_realm, std::size_t mirrored);

  void hook(const char* verdict) override;
  void malformed(const char* input) override;
  void resync() override;
  void link_state(const std::string& link, bool up) override;
  void link_lost(const std::string& link, const adapter::failure& why) override;
  void call(const std::string& realm, const std::string& procedure, const std::string& outcome,
            double seconds) override;
  void published(const std::string& realm, const char* kind) override;
  void role(const std::string& realm, bool active) override;
  void takeover(const std::string& realm) override;
  void phase(const std::string& realm, const char* phase) override;
  void testament(const std::string& realm, bool added, bool by_router) override;
  void router_level(const char* level, bool offered) override;
  void catch_up(const std::string& realm, core::catch_up_outcome outcome) override;

 private:
  void realm_counters(const std::string& realm);

  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace wamp_metad::daemon
