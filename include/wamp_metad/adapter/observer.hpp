// What the service reports as it runs, for metrics: a plain interface, so that the adapter knows nothing of
// how (or whether) the numbers are exposed. Every method is called on the service's owner thread.
#pragma once

#include <string>

#include "wamp_metad/adapter/failure.hpp"
#include "wamp_metad/core/catch_up.hpp"

namespace wamp_metad::adapter {

// A served realm's phases, in the order of served_realm::phase (src/adapter/served_realm.hpp, which says what
// each means): the values of the realm_phase metric's `phase` label.
inline constexpr const char* realm_phase_names[] = {"joining",      "waiting",      "registering",
                                                    "standing_by",  "catching_up",  "live",
                                                    "out_of_touch", "reconnecting", "leaving"};

class service_observer {
 public:
  virtual ~service_observer() = default;
  // A hook from the router and what the mirror made of it (core::mirror::verdict): "applied", "buffered",
  // "duplicate", "gap", "new_epoch", "overflow" or "conflict".
  virtual void hook(const char* verdict) = 0;
  // Input from the router that could not be read: "hook", "snapshot" (a page) or "catch_up" (a page of
  // router.meta.catch_up's answer).
  virtual void malformed(const char* input) = 0;
  virtual void resync() = 0;
  // `link` is "internal" or the served realm's name.
  virtual void link_state(const std::string& link, bool up) = 0;
  // The link is lost or failed to come up, and why (its kind, and for TLS the reason).
  virtual void link_lost(const std::string& link, const failure& why) = 0;
  // A meta procedure answered a client: "ok" or the error URI, and how long it took from the invocation's
  // arrival.
  virtual void call(const std::string& realm, const std::string& procedure, const std::string& outcome,
                    double seconds) = 0;
  // An event wamp-metad published on a realm: "on_join", "on_leave", "testament", "registration" or
  // "subscription" (the latter two: every event of the Registration or Subscription Meta API).
  virtual void published(const std::string& realm, const char* kind) = 0;
  // A served realm's role here: active (its procedures are registered here) or standby (another instance
  // holds them; this one keeps its mirror and waits to take over).
  virtual void role(const std::string& realm, bool active) = 0;
  // This instance took over a realm that another one served (it had been standing by for it).
  virtual void takeover(const std::string& realm) = 0;
  // How a realm caught up with what its subscribers had been told when it came (back) online (labelled by
  // core::label): "exact" (from the router's record of the events it routed), else the fallback to
  // re-announcing the present: "unsupported" (the router keeps no record), "history_lost" (the record is
  // older than the router's hook history), "failed" (the catch-up could not be completed).
  virtual void catch_up(const std::string& realm, core::catch_up_outcome outcome) = 0;
  // A served realm entered `phase` (one of realm_phase_names).
  virtual void phase(const std::string& realm, const char* phase) = 0;
  // A testament added (`added`; else a flush), kept by the router (it outlives wamp-metad) or by wamp-metad.
  virtual void testament(const std::string& realm, bool added, bool by_router) = 0;
  // A level of the hook protocol the router offers or not (docs/hook-protocol.md, "Levels"): sessions,
  // registrations, kill, removal, features, exactly_once, and the optional hook_history and testaments.
  virtual void router_level(const char* level, bool offered) = 0;
};

}  // namespace wamp_metad::adapter
