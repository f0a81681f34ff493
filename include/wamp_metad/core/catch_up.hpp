// Telling one realm's subscribers exactly what they have not been told (told positions,
// docs/hook-protocol.md). The router records how far the meta events it routed on a realm got; when a realm
// comes (back) online here, router.meta.catch_up answers with the realm's state at that record, the realm's
// hooks since, and how many events of the first hook went out already. Replaying those hooks on that state,
// then the live hooks that came while the pages were fetched, gives the very events a router with the meta
// API built in would have published, in its order, each tagged with its hook's seq and its place among that
// hook's events. After the replay what the realm was told equals the mirror (registry::adopt).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/registry.hpp"
#include "wamp_metad/core/result.hpp"

namespace wamp_metad::core {

// How a realm caught up with what its subscribers had been told when it came (back) online: exactly, from
// the router's record, or by one of the fallbacks to re-announcing the present.
enum class catch_up_outcome {
  exact,         // from the router's record of the meta events it routed: no event missed, none twice
  unsupported,   // the router keeps no such record
  history_lost,  // the record is older than the router's hook history
  failed,        // the catch-up could not be completed
};

// Every outcome, in the order above (a metric's series are made for each).
inline constexpr catch_up_outcome catch_up_outcomes[] = {catch_up_outcome::exact, catch_up_outcome::unsupported,
                                                         catch_up_outcome::history_lost, catch_up_outcome::failed};

// The outcome's name, as logs and metrics label it: "exact", "unsupported", "history_lost", "failed".
const char* label(catch_up_outcome o);

class catch_up {
 public:
  catch_up(std::string realm, std::vector<std::string> hidden_authroles);

  // A page of router.meta.catch_up, in order; refused when it does not fit the pages before it.
  outcome<void> add(catch_up_page page);
  // Every live hook, as the mirror gets it: those of the realm after the answer's position are kept.
  void on_hook(const hook_event& ev);
  // After the last page: the events to publish, in order; refused when no page came or a hook does not
  // apply to the state the router gave.
  outcome<std::vector<meta_event>> replay();

  // The router's epoch, once a page was added.
  const std::string& epoch() const { return *epoch_; }
  const std::optional<std::pair<std::uint64_t, std::uint32_t>>& told() const { return told_; }
  std::size_t hooks() const { return hooks_.size(); }

 private:
  std::string realm_;
  std::vector<std::string> hidden_;
  std::optional<std::string> epoch_;
  std::uint64_t at_ = 0;
  std::uint64_t seq_ = 0;  // the router's position when it answered: later hooks come live
  std::uint32_t skip_ = 0;
  std::optional<std::pair<std::uint64_t, std::uint32_t>> told_;
  std::vector<session_record> sessions_;
  std::vector<snapshot_observation> observations_;
  std::vector<hook_event> hooks_;
  std::uint64_t last_ = 0;  // the seq of the last hook kept
};

}  // namespace wamp_metad::core
