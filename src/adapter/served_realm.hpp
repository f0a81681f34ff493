// One served realm: its link, the meta procedures registered there, the meta events published there, its
// heartbeat, and the testaments waiting for the link to be ready. Runs on the owner thread; private to the
// adapter.
//
// Its life is one phase at a time, changed only by enter() (served_realm.cpp), which logs every change,
// reports it to the observer (the wamp_metad_realm_phase metric) and sets the registry's view of the realm
// (what its subscribers have been told) to follow it:
//
//   joining ──joined──▶ waiting ──mirror current──▶ registering ──all registered──▶ catching_up ──▶ live
//      ▲                   (or at once when current)  │  ▲      │                      │   ▲           │
//      │                                  lock taken  ▼  │ lock  └─(no told positions)─┼───┼──────────▶│
//      │                               by another: standing_by  free (a leave, a poll)  │   │           │
//      │                                                                mirror not current  mirror current
//      │                                                                                ▼   │           │
//      └──────retry timer── reconnecting ◀──link lost (any phase)──           out_of_touch ◀────────────┘
//   leaving: from any phase, for good (the realm is no longer served, or the service stops).
//
// joining: the link resolves, connects and joins. waiting: joined; the mirror is not current yet (a router
// that restarted), so nothing is registered: clients would list the sessions of a router that is gone.
// registering: the lock (the first procedure) and then the others are asked for. standing_by: another
// instance holds the lock; the mirror is kept, nothing is told. catching_up: every procedure registered;
// router.meta.catch_up pages are fetched and replayed; calls wait (one bound: --get-wait-ms). live: events
// flow, calls are answered. out_of_touch: the mirror stopped being current (a resync, the internal link
// lost) while the realm told positions: events wait for the next catch-up, calls are answered from the last
// mirror. reconnecting: the link is gone; the retry timer runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "feed.hpp"
#include "generations.hpp"
#include "wamp_metad/adapter/link.hpp"
#include "wamp_metad/adapter/observer.hpp"
#include "wamp_metad/adapter/service.hpp"
#include "wamp_metad/core/catch_up.hpp"
#include "wamp_metad/core/procedures.hpp"
#include "wamp_metad/core/registry.hpp"

namespace wamp_metad::adapter::detail {

// What every served realm needs of the service that owns it (which outlives them all).
struct realm_owner {
  boost::asio::io_context& io;
  const service_options& opts;  // as the service started: never changed
  // The settings of the realms joined from now on (replaced as a whole on a reload); each realm keeps the
  // copy it was made with, until the service hands it another.
  std::function<std::shared_ptr<const realm_settings>()> settings;
  const link_factory& links;
  core::registry& reg;
  service_observer& obs;
  // Answers a call of one of our procedures on `realm`; `settled` (may be empty) says whether the realm's
  // subscribers have been told everything the mirror holds: until then the call waits (see calls::handle).
  std::function<void(const std::string& realm, const core::procedure&, std::shared_ptr<invocation>,
                     std::function<bool()> settled)>
      call;
  // Publishes meta events, each on its own realm.
  std::function<void(const std::vector<core::meta_event>&)> publish;
  // A realm is ready: joined, every procedure registered (or standing by for another instance's).
  std::function<void(served_realm&)> ready;
  // The internal feed: whether the mirror is current, the hook protocol version, router.meta.catch_up, and
  // whether the router keeps told positions.
  feed& internal;
  // A realm's phase changed (calls waiting for it may go on).
  std::function<void()> phase_changed;
};

class served_realm : public generations<served_realm> {
 public:
  using owner = realm_owner;
  // In the order of realm_phase_names (observer.hpp), which names them.
  enum class phase {
    joining,
    waiting,
    registering,
    standing_by,
    catching_up,
    live,
    out_of_touch,
    reconnecting,
    leaving
  };
  static const char* phase_name(phase p);

  served_realm(owner& o, std::string realm);

  // Joins the realm (again: every reconnect is a new generation).
  void connect();
  // The mirror is current again: registers the procedures if the link waits for that, or catches the
  // subscribers up.
  void mirror_synced();
  // The mirror stops being current: a catch-up under way is void; with told positions, events wait until
  // the realm has caught up again.
  void unsettled();
  // A hook, before the mirror applies it.
  void observe(const core::hook_event& ev);
  void publish(const core::meta_event& e);
  // Publishes these testaments once the link is ready (at once if it is).
  void add_testaments(std::vector<core::testament> gone);
  // New settings (a reload): the kill family and the on_leave shape change at the next registration.
  void reconfigure(std::shared_ptr<const realm_settings> next);
  // Stops serving the realm: leaves in the background, and runs `gone` once it has left, after a second
  // at most.
  void leave(std::function<void()> gone);
  // Leaves with the whole service (see link::begin_stop); `closed` runs at once when there is no link.
  void begin_stop(std::function<void()> closed);
  void close();

  const std::string& realm() const { return realm_; }
  phase current() const { return phase_; }
  // The meta API features the realm has, as WELCOME.Details.roles announces them: {broker: {...}, dealer: {...}}.
  core::object features() const;
  // Every procedure registered here (the realm may be catching up, or out of touch).
  bool ready() const { return phase_ == phase::catching_up || phase_ == phase::live || phase_ == phase::out_of_touch; }
  bool standing_by() const { return phase_ == phase::standing_by; }
  // Whether the realm's subscribers have been told everything the mirror holds, so that a call's answer is
  // not ahead of the events: false while registering or catching up with told positions.
  bool settled() const;

 private:
  // How the registry's view of the realm follows when it goes live.
  enum class told_view { as_is, adopt, resume };
  void enter(phase next, told_view view = told_view::as_is);
  void joined(std::uint64_t session_id);
  void lost(const failure& why);
  void register_procedures();
  // Registers `p`; once the lock (the first of registering_list_) is held, the others.
  void provide(const core::procedure* p, bool lock);
  void registered(const core::procedure& p, const std::optional<failure>& error);
  void stand_by();
  void go_live();
  void fetch_catch_up(std::uint64_t token, std::optional<std::string> cursor);
  void caught_up_page(std::uint64_t token, bool first, const call_reply& reply);
  void fall_back(core::catch_up_outcome outcome, const std::string& why);
  void heartbeat();
  void send_testaments();
  void stop_timers();
  // What the realm serves (the settings, the router's protocol): its procedures and WELCOME features.
  core::serving serving() const;
  std::vector<const core::procedure*> procedures() const;
  bool may_register() const;

  owner& o_;
  std::string realm_;
  std::shared_ptr<const realm_settings> settings_;
  phase phase_ = phase::joining;
  std::unique_ptr<link> link_;
  int attempts_ = 0;
  std::size_t registered_ = 0;
  std::vector<const core::procedure*> registering_list_;  // what register_procedures() registers
  bool heartbeat_pending_ = false;
  std::vector<core::testament> testaments_;  // of sessions gone, waiting for the link to be ready
  std::uint64_t session_id_ = 0;             // the link's own session (its heartbeats call our count)
  // Exactly once: the catch-up under way (catching_up); whether events carry their told position, and the
  // epoch they tell of.
  std::unique_ptr<core::catch_up> catch_up_;
  std::uint64_t catch_up_token_ = 0;
  bool tag_ = false;
  std::string told_epoch_;
  bool from_standby_ = false;  // the realm stood by before this registration
  boost::asio::steady_timer retry_;
  boost::asio::steady_timer standby_poll_;
  boost::asio::steady_timer heartbeat_;
};

}  // namespace wamp_metad::adapter::detail
