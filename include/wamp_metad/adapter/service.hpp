// wamp-metad's running state: the internal link that mirrors the router's sessions, and one served link per
// realm that registers the meta procedures and publishes the meta events. Runs on one io_context thread
// (the owner thread of every link); the core registry is only touched there.
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
#include "wamp_metad/core/kill.hpp"
#include "wamp_metad/core/registry.hpp"
#include "wamp_metad/core/testaments.hpp"

namespace wamp_metad::adapter {

struct service_options {
  router_address router;           // the served realms' links
  router_address internal_router;  // the internal realm's link (the same router, perhaps another listener)
  credentials creds;
  std::string internal_realm = "router.internal";
  std::vector<std::string> realms;  // served realms, unless all_realms
  bool all_realms = false;
  // On start, announce the sessions already there and the router's recently left ones (see core::registry).
  bool announce_on_start = true;
  std::vector<std::string> hidden_authroles;
  // Realms that get wamp.session.kill, kill_by_authid, kill_by_authrole and kill_all ("*": every served realm).
  std::vector<std::string> kill_realms;
  // Testaments kept per session and in all; per_session 0 leaves add_testament / flush_testaments unregistered.
  core::testament_limits testaments;
  std::chrono::milliseconds get_wait{1000};
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{2000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{1500};
  std::chrono::milliseconds call_timeout{10000};  // snapshot pages
  // While the internal link is down, the realms answer from the last mirror for this long, then with
  // wamp.error.unavailable until the mirror is synced again.
  std::chrono::milliseconds stale_after{30000};
  // Told what happens, for metrics (may be null; must outlive the service).
  service_observer* observer = nullptr;
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
  service(boost::asio::io_context& io, service_options opts);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  void start();
  // Leaves every realm and the internal realm, in parallel, then runs `done`: once every GOODBYE was
  // answered, or at `deadline` with the links that are left torn down. Publishes nothing.
  void stop(std::chrono::steady_clock::time_point deadline, std::function<void()> done);

  // Serves exactly these realms from now on (a reload): leaves the realms no longer listed, joins the new
  // ones, leaves the others alone. Ignored with all_realms.
  // `kill_realms` replaces service_options::kill_realms for the realms joined from now on.
  void set_realms(const std::vector<std::string>& realms, const std::vector<std::string>& kill_realms);

  // Called once, when the mirror is synced and every served realm has its procedures registered.
  std::function<void()> on_ready;
  service_status status() const;
  // Visible sessions per served realm (what count answers), and all the mirror holds.
  std::vector<std::pair<std::string, std::size_t>> sessions_per_realm() const;

 private:
  struct served;
  struct waiter;
  struct kill_job;

  // internal link
  void connect_internal();
  void internal_joined();
  void internal_lost(const std::string& why);
  void on_hook(std::uint64_t generation, core::hook_event ev);
  void start_resync(const std::string& why);
  void fetch_snapshot();
  void fetch_page(std::uint64_t fetch, std::optional<std::string> cursor);
  void after_mirror_change(std::vector<core::meta_event>& out);
  void internal_heartbeat();

  // served realms
  void serve(const std::string& realm);
  void connect_served(served& s);
  void served_joined(served& s, std::uint64_t session_id);
  void served_lost(served& s, const std::string& why);
  void register_procedures(served& s);
  void register_pending();
  bool mirror_current() const;
  void served_heartbeat(served& s);
  void handle_call(served& s, const std::string& procedure, std::shared_ptr<invocation> inv);
  void after_sync(std::function<void()> then, std::function<bool()> early);
  bool in_mirror(const std::string& realm, std::uint64_t id) const;
  void publish(const std::vector<core::meta_event>& events);
  std::vector<const char*> procedures_for(const std::string& realm) const;
  void execute_kill(const std::string& realm, core::kill_plan plan, std::shared_ptr<invocation> inv);
  void kill_next(const std::shared_ptr<kill_job>& job);
  // Testaments of sessions that left: queued on their realm and published (before its on_leave events).
  void release_testaments(const std::string& realm, core::session_id id);
  void release_gone_testaments();
  void send_testaments(served& s);
  void check_waiters();
  void check_ready();

  std::chrono::milliseconds backoff(int attempt) const;
  std::chrono::milliseconds retry_delay(const std::string& why, int attempt) const;

  boost::asio::io_context& io_;
  service_options opts_;
  core::registry reg_;
  core::testament_store testaments_;
  service_observer* obs_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards handlers posted from link callbacks

  std::unique_ptr<link> internal_;
  // Links of realms no longer served, leaving (GOODBYE sent) for at most a second.
  std::vector<std::shared_ptr<link>> leaving_;
  std::unique_ptr<boost::asio::steady_timer> stop_timer_;
  std::uint64_t internal_generation_ = 0;
  bool internal_up_ = false;
  // Since when the mirror may be missing changes (the internal link went down); empty while in sync.
  std::optional<std::chrono::steady_clock::time_point> out_of_touch_since_;
  int internal_attempts_ = 0;
  bool fetching_ = false;
  std::uint64_t fetch_id_ = 0;
  // The snapshot being fetched: its position and tombstones (first page), and its sessions, made into
  // records page by page while the router prepares the next one.
  std::optional<core::hook_position> fetched_position_;
  std::vector<core::session_record> fetched_left_;
  std::vector<core::record_ptr> fetched_records_;
  bool heartbeat_pending_ = false;
  boost::asio::steady_timer internal_timer_;
  boost::asio::steady_timer heartbeat_timer_;

  std::map<std::string, std::unique_ptr<served>> served_;
  std::vector<std::shared_ptr<waiter>> waiters_;
  bool stopping_ = false;
  bool ready_announced_ = false;
  std::uint64_t resyncs_ = 0;
};

}  // namespace wamp_metad::adapter
