// wamp-metad's running state: the internal feed that mirrors the router's sessions (feed.cpp), one served
// realm per realm that registers the meta procedures and publishes the meta events (served_realm.cpp), and
// the calls of those procedures (calls.cpp); the service owns them and wires them together. Runs on one
// io_context thread (the owner thread of every link); the core registry is only touched there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "wamp_metad/adapter/link.hpp"
#include "wamp_metad/adapter/observer.hpp"
#include "wamp_metad/core/procedures.hpp"
#include "wamp_metad/core/registry.hpp"
#include "wamp_metad/core/testaments.hpp"
#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::adapter {
namespace detail {
class feed;
class calls;
class served_realm;
struct realm_owner;
}  // namespace detail

struct service_options {
  router_address router;           // the served realms' links
  router_address internal_router;  // the internal realm's link (the same router, perhaps another listener)
  credentials creds;
  std::string internal_realm = uri::default_internal_realm;
  std::vector<std::string> realms;  // served realms, unless all_realms
  bool all_realms = false;
  // Another instance may serve the same realms: a realm it serves is waited for (a hot standby) and taken
  // over when it goes, instead of being a configuration error.
  bool standby = false;
  // On start, announce the sessions already there and the router's recently left ones (see core::registry).
  bool announce_on_start = true;
  std::vector<std::string> hidden_authroles;
  // Realms that get wamp.session.kill, kill_by_authid, kill_by_authrole and kill_all ("*": every served realm).
  std::vector<std::string> kill_realms;
  // Who may kill (wamp-metad's own check, beside the router's authorization); empty: every caller.
  core::call_policy policy;
  // Realms whose on_leave carries [session] alone, as Crossbar and nexus publish it ("*": every served realm).
  std::vector<std::string> on_leave_session_only;
  // Testaments kept per session and in all; per_session 0 leaves add_testament / flush_testaments unregistered.
  core::testament_limits testaments;
  std::chrono::milliseconds get_wait{1000};
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{2000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{1500};
  std::chrono::milliseconds call_timeout{10000};  // requests to the router: snapshot pages, kills
  // While the internal link is down, the realms answer from the last mirror for this long, then with
  // wamp.error.unavailable until the mirror is synced again.
  std::chrono::milliseconds stale_after{30000};
  // Told what happens, for metrics (may be null; must outlive the service).
  service_observer* observer = nullptr;
};

// What a reload changes, and when (see service::reconfigure): every part that reads these holds its own copy,
// replaced as a whole.
struct realm_settings {
  std::vector<std::string> kill_realms;
  core::call_policy policy;
  std::vector<std::string> on_leave_session_only;
  static std::shared_ptr<const realm_settings> from(const service_options& o);
  bool kill(const std::string& realm) const;
  bool on_leave_session_only_on(const std::string& realm) const;
};

struct service_status {
  bool synced = false;
  std::size_t sessions = 0;
  std::size_t realms_served = 0;
  std::size_t realms_ready = 0;
  std::uint64_t resyncs = 0;
};

class service {
 public:
  // `links` makes every link (make_link; the unit tests' fake router).
  service(boost::asio::io_context& io, service_options opts, link_factory links = make_link);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  void start();
  // Leaves every realm and the internal realm, in parallel, then runs `done`: once every GOODBYE was
  // answered, or at `deadline` with the links that are left torn down. Publishes nothing.
  void stop(std::chrono::steady_clock::time_point deadline, std::function<void()> done);

  // A reload: serves exactly next.realms from now on (unless all_realms): leaves the realms no longer listed,
  // joins the new ones, leaves the others alone; next.kill_realms, next.policy and next.on_leave_session_only
  // apply at once (daemon::reload_applies); the other settings only at the next start.
  void reconfigure(const service_options& next);
  // Each served realm's phase (see served_realm.hpp), for tests and the log.
  std::vector<std::pair<std::string, std::string>> phases() const;

  // Called once, when the mirror is synced and every served realm has its procedures registered.
  std::function<void()> on_ready;
  service_status status() const;
  // Visible sessions per served realm (what count answers), and all the mirror holds.
  std::vector<std::pair<std::string, std::size_t>> sessions_per_realm() const;

 private:
  void serve(const std::string& realm);
  void publish(const std::vector<core::meta_event>& events);
  // Testaments of a session that left: handed to its realm, published before its on_leave.
  void release_testaments(const std::string& realm, core::session_id id);
  // After a resync: of the sessions gone without a left hook seen (a lost link, a router restart).
  void release_gone_testaments();
  void check_ready();

  boost::asio::io_context& io_;
  const service_options opts_;  // as started: never changed (a reload replaces settings_)
  link_factory links_;
  std::shared_ptr<const realm_settings> settings_;
  std::vector<std::string> realms_;  // served (unless all_realms)
  core::registry reg_;
  core::testament_store testaments_;
  service_observer* obs_;
  std::unique_ptr<detail::realm_owner> realm_owner_;
  std::shared_ptr<detail::feed> feed_;
  std::unique_ptr<detail::calls> calls_;
  std::map<std::string, std::shared_ptr<detail::served_realm>> served_;
  // Realms no longer served, leaving (GOODBYE sent) for at most a second.
  std::vector<std::shared_ptr<detail::served_realm>> leaving_;
  std::unique_ptr<boost::asio::steady_timer> stop_timer_;
  bool stopping_ = false;
  bool ready_announced_ = false;
};

}  // namespace wamp_metad::adapter
