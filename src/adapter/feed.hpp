// The internal feed: wamp-metad's link to the router's internal realm. It keeps the mirror (core::registry)
// right by list-then-watch: subscribe to the hooks, page through the snapshot, apply what came meanwhile;
// a heartbeat (router.session.sync) finds a mirror that fell behind, and any fault starts a resync. It also
// carries wamp-metad's requests to the router there: the position now (sync) and kills. Runs on the owner
// thread; private to the adapter.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "generations.hpp"
#include "wamp_metad/adapter/link.hpp"
#include "wamp_metad/adapter/observer.hpp"
#include "wamp_metad/adapter/service.hpp"
#include "wamp_metad/core/procedures.hpp"
#include "wamp_metad/core/registry.hpp"

namespace wamp_metad::adapter::detail {

class feed : public generations<feed> {
 public:
  // What the mirror's changes mean to the owner, in the order they are called for one change.
  struct events {
    // A hook, before the mirror applies it (a realm catching up keeps it; a standby watches who leaves).
    std::function<void(const core::hook_event& ev)> hook;
    // The mirror stops being current (a resync starts, the internal link is lost): catch-ups under way are
    // void.
    std::function<void()> unsettled;
    // A left hook took the session out of the mirror: its testaments are due (before its on_leave).
    std::function<void(const std::string& realm, core::session_id id)> left;
    // A snapshot replaced the mirror: sessions may be gone without a left hook (testaments are due).
    std::function<void()> resynced;
    // The meta events that bring every served realm in line with the mirror.
    std::function<void(std::vector<core::meta_event>& out)> changed;
    // A snapshot was applied: the mirror is live and current.
    std::function<void()> synced;
  };

  feed(boost::asio::io_context& io, const service_options& opts, const link_factory& links, core::registry& reg,
       service_observer& obs, events ev);

  void start();
  // Leaves the internal realm (see link::begin_stop); `closed` runs at once when there is no link.
  void begin_stop(std::function<void()> closed);
  void close();

  bool up() const { return up_; }
  // The mirror is live and no snapshot is being fetched: it holds the router's sessions of now.
  bool current() const;
  // How long the mirror may have been missing changes (the internal link went down); nullopt while in touch.
  std::optional<std::chrono::steady_clock::duration> out_of_touch() const;
  std::uint64_t resyncs() const { return resyncs_; }

  // router.session.sync: the router's position now, or nullopt (no link, an error, no answer in `timeout`).
  void sync(std::chrono::milliseconds timeout, std::function<void(std::optional<core::hook_position>)> done);
  // router.meta.features: the meta API features `realm` has, for the router to announce in its WELCOMEs
  // (nullopt withdraws them). Told again after every reconnect: the router forgets them when the internal
  // session that told it leaves.
  void announce(const std::string& realm, std::optional<core::object> features);
  // router.registration.remove_callee / router.subscription.remove_subscriber (hook protocol v2).
  void remove(const std::string& realm, const core::removal_plan& plan, std::function<void(const call_reply&)> done);
  // The hook protocol version of the router's last snapshot (1 before the first).
  int protocol() const { return protocol_; }
  // A call of a router procedure on the internal realm (router.meta.catch_up). Answers nothing if the link
  // is lost meanwhile (events::unsettled says so first).
  void request(const std::string& procedure, const core::array& args, std::function<void(const call_reply&)> done);
  // Whether the router keeps told positions (router.meta.catch_up): unknown until a realm asked, again after
  // every reconnect (the router may have been replaced).
  enum class support { unknown, yes, no };
  support told_positions() const { return told_positions_; }
  // Whether router.meta.catch_up takes {state: 'touched'} (the state of what the hooks touch only).
  support sparse_catch_up() const { return sparse_catch_up_; }
  void set_sparse_catch_up(support s) { sparse_catch_up_ = s; }
  void set_told_positions(support s) { told_positions_ = s; }
  // router.session.kill; `quiet` (kill_all): no on_leave and no testaments for it (the left hook says so).
  void kill(core::session_id id, const std::string& reason, const std::optional<std::string>& message, bool quiet,
            std::function<void(const call_reply&)> done);
  // router.meta.keep_testament / router.meta.flush_testaments: the router keeps the testament (or forgets a
  // scope of them) and publishes it when the session leaves. Whether the router does is learnt from the first
  // answer (no such procedure: it does not), again after every reconnect.
  void keep_testament(const core::testament_plan& plan, const core::testament_limits& limits,
                      std::function<void(const call_reply&)> done);
  support keeps_testaments() const { return keeps_testaments_; }
  void set_keeps_testaments(support s) { keeps_testaments_ = s; }

 private:
  void connect();
  void joined();
  void lost(const failure& why);
  void on_hook(core::hook_event&& ev);
  void start_resync(const std::string& why);
  // The mirror missed hooks (a lost link, a gap): fetched from the router's history when it keeps them
  // (router.session.hooks_since), in proportion to what was missed; else, or when they are no longer all kept,
  // a resync (a fresh snapshot).
  void start_replay(const std::string& why);
  void fetch_hooks(std::uint64_t replay, std::uint64_t after);
  // Applies a hook to the mirror and tells the owner; the verdict is the caller's to act on (react()).
  core::mirror::verdict apply(core::hook_event&& ev);
  void react(core::mirror::verdict verdict);
  void fetch_snapshot();
  void fetch_page(std::uint64_t fetch, std::optional<std::string> cursor);
  void retry_snapshot(int attempt);
  void heartbeat();
  // Which levels of the hook protocol the router offers (docs/hook-protocol.md, "Levels"), asked once per
  // connection by calling each optional procedure with no arguments: any answer but "no such procedure" means
  // it is there. Logged once per connection, and reported to the observer (wamp_metad_router_level).
  void probe_levels();
  void send_features(const std::string& realm, const core::value& features);

  boost::asio::io_context& io_;
  const service_options& opts_;
  const link_factory& links_;
  core::registry& reg_;
  service_observer& obs_;
  events ev_;

  std::unique_ptr<link> link_;
  bool up_ = false;
  bool stopping_ = false;
  int attempts_ = 0;
  std::optional<std::chrono::steady_clock::time_point> out_of_touch_since_;
  bool fetching_ = false;
  // Replaying the router's history: live hooks wait in queued_ until the replay has reached them.
  bool replaying_ = false;
  std::uint64_t replay_id_ = 0;
  std::size_t replayed_ = 0;
  std::vector<core::hook_event> queued_;
  support hook_history_ = support::unknown;
  std::uint64_t fetch_id_ = 0;
  // The snapshot being fetched: its position and tombstones (first page), and its sessions, made into
  // records page by page while the router prepares the next one.
  std::optional<core::hook_position> fetched_position_;
  std::vector<core::session_record> fetched_left_;
  std::vector<core::record_ptr> fetched_records_;
  std::vector<core::snapshot_observation> fetched_observations_;
  int fetched_protocol_ = 1;
  int protocol_ = 1;
  support told_positions_ = support::unknown;
  support keeps_testaments_ = support::unknown;
  support sparse_catch_up_ = support::unknown;
  std::uint64_t resyncs_ = 0;
  bool heartbeat_pending_ = false;
  bool levels_probed_ = false;                    // in this connection
  std::map<std::string, core::object> features_;  // what each served realm has, as announced
  bool features_refused_ = false;                 // the router does not take them (until a reconnect)
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer heartbeat_timer_;
};

}  // namespace wamp_metad::adapter::detail
