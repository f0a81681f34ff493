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

namespace wamp_metad::core {

class catch_up {
 public:
  catch_up(std::string realm, std::vector<std::string> hidden_authroles);

  // A page of router.meta.catch_up, in order. False (with `error`) for one that does not fit the others.
  bool add(catch_up_page page, std::string& error);
  // Every live hook, as the mirror gets it: those of the realm after the answer's position are kept.
  void on_hook(const hook_event& ev);
  // After the last page: the events to publish, in order. False (with `error`) when a hook does not apply
  // to the state the router gave.
  bool replay(std::vector<meta_event>& out, std::string& error);

  bool started() const { return epoch_.has_value(); }
  const std::string& epoch() const { return *epoch_; }
  std::uint64_t at() const { return at_; }
  std::uint64_t seq() const { return seq_; }
  std::uint32_t skip() const { return skip_; }
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
