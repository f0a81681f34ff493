// One served realm: its link, the meta procedures registered there, the meta events published there, its
// heartbeat, and the testaments waiting for the link to be ready. Runs on the owner thread; private to the
// adapter.
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
  const service_options& opts;
  core::registry& reg;
  service_observer& obs;
  // Answers a call of one of our procedures on `realm`.
  std::function<void(const std::string& realm, const core::procedure&, std::shared_ptr<invocation>)> call;
  // Publishes meta events, each on its own realm.
  std::function<void(const std::vector<core::meta_event>&)> publish;
  // Whether the mirror holds the router's sessions of now (see feed::current).
  std::function<bool()> mirror_current;
  // The hook protocol version the router speaks (the registration and subscription meta API needs 2).
  std::function<int()> router_protocol;
  // A realm is ready: joined, every procedure registered (or standing by for another instance's).
  std::function<void(served_realm&)> ready;
  // The internal feed: router.meta.catch_up, and whether the router keeps told positions.
  feed& internal;
};

class served_realm : public generations<served_realm> {
 public:
  using owner = realm_owner;

  served_realm(owner& o, std::string realm);

  // Joins the realm (again: every reconnect is a new generation).
  void connect();
  // The mirror is current again: registers the procedures if the link has joined and waits for that (see
  // joined()), or catches the subscribers up.
  void mirror_synced();
  // The mirror stops being current: a catch-up under way is void; with told positions, events wait until
  // the realm has caught up again.
  void unsettled();
  // A hook, before the mirror applies it.
  void observe(const core::hook_event& ev);
  void publish(const core::meta_event& e);
  // Publishes these testaments once the link is ready (at once if it is).
  void add_testaments(std::vector<core::testament> gone);
  // Stops serving the realm: leaves in the background, and runs `gone` once it has left, after a second
  // at most.
  void leave(std::function<void()> gone);
  // Leaves with the whole service (see link::begin_stop); `closed` runs at once when there is no link.
  void begin_stop(std::function<void()> closed);
  void close();

  const std::string& realm() const { return realm_; }
  // The meta API features the realm has, as WELCOME.Details.roles announces them: {broker: {...}, dealer: {...}}.
  core::object features() const;
  bool ready() const { return ready_; }
  bool standing_by() const { return standing_by_; }

 private:
  void joined(std::uint64_t session_id);
  void lost(const failure& why);
  void register_procedures();
  // Registers `p`; once the lock (the first of registering_list_) is held, the others.
  void provide(const core::procedure* p, bool lock);
  void registered(const core::procedure& p, const std::optional<failure>& error);
  void stand_by();
  void go_live();
  void fetch_catch_up(std::uint64_t token, std::optional<std::string> cursor);
  void caught_up_page(std::uint64_t token, const call_reply& reply);
  void fall_back(core::catch_up_outcome outcome, const std::string& why);
  bool holds_calls() const;
  void hold(const core::procedure* p, std::shared_ptr<invocation> inv);
  void release_held();
  void heartbeat();
  void send_testaments();
  void stop_timers();
  std::vector<const core::procedure*> procedures() const;

  owner& o_;
  std::string realm_;
  std::unique_ptr<link> link_;
  int attempts_ = 0;
  std::size_t registered_ = 0;
  std::vector<const core::procedure*> registering_list_;  // what register_procedures() registers
  bool joined_ = false;                                   // the link's session is up
  bool registering_ = false;                              // the procedures were asked for
  bool ready_ = false;
  bool heartbeat_pending_ = false;
  bool stopping_ = false;                    // leaving (leave, begin_stop): nothing reconnects
  std::vector<core::testament> testaments_;  // of sessions gone, waiting for the link to be ready
  std::uint64_t session_id_ = 0;             // the link's own session (its heartbeats call our count)
  // Exactly once: events flow (caught up, or fell back); a catch-up under way; whether events carry their
  // told position, and the epoch they tell of.
  bool live_ = false;
  std::unique_ptr<core::catch_up> catch_up_;
  std::uint64_t catch_up_token_ = 0;
  bool tag_ = false;
  std::string told_epoch_;
  // Another instance holds the procedures: waiting to take over (--standby).
  bool standing_by_ = false;
  boost::asio::steady_timer retry_;
  boost::asio::steady_timer standby_poll_;
  // Calls that came while the realm caught up, answered once it has (see hold()).
  std::vector<std::pair<const core::procedure*, std::shared_ptr<invocation>>> held_;
  boost::asio::steady_timer held_timer_;
  boost::asio::steady_timer heartbeat_;
};

}  // namespace wamp_metad::adapter::detail
