// The mirror: every session the router reported, and (hook protocol v2) their registrations and
// subscriptions, kept right by list-then-watch (a snapshot plus the ordered hook stream; a duplicate is
// dropped, a gap leaves the mirror at its position for the caller to fetch the missing hooks, a new epoch or a
// hook that contradicts the mirror asks for a resync). Pure state: the caller does the I/O and decides when to
// fetch hooks or a snapshot.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/observations.hpp"
#include "wamp_metad/core/session.hpp"

namespace wamp_metad::core {

using record_ptr = std::shared_ptr<const session_record>;
using realm_sessions = std::unordered_map<session_id, record_ptr>;

// What changed in the mirror: a session's record (appeared, went, or was replaced), or a registration or
// subscription (created, a member added or removed, deleted; `id` is then the member a hook named, or none).
struct change {
  enum class subject { session, registration, subscription };
  change(std::string r, session_id i, subject s = subject::session, std::uint64_t o = 0)
      : realm(std::move(r)), id(i), of(s), observation(o) {}
  std::string realm;
  session_id id;
  subject of;
  std::uint64_t observation;  // the registration's or subscription's id
};

class mirror {
 public:
  struct options {
    // Hooks held while a snapshot is being fetched; past this the resync starts over.
    std::size_t max_buffered_hooks = 1'000'000;
  };

  enum class status {
    unsynced,  // no snapshot yet: hooks are buffered
    syncing,   // a resync is under way: hooks are buffered, the old state still answers queries
    live,      // hooks apply as they come
  };

  enum class verdict {
    applied,    // the state changed or the hook was consistent with it
    buffered,   // held until the snapshot arrives
    duplicate,  // seq at or below the last applied one: dropped
    gap,        // seq beyond last + 1: a hook was lost; not applied, the mirror stays at its position
    new_epoch,  // another epoch: the router restarted; resync
    overflow,   // the buffer is full; resync
    conflict,   // a registration or subscription hook contradicts the mirror; resync
  };

  mirror() : mirror(options{}) {}
  explicit mirror(options opts) : opts_(opts) {}

  // Feeds one hook. Changed sessions are appended to `changed`. After a gap the hook is not applied and the
  // mirror stays live at its position (the caller fetches the missing hooks, or calls begin_resync()). After
  // new_epoch, overflow or conflict the mirror is `syncing` and the caller must fetch a new snapshot. The buffer is
  // emptied whenever a resync starts: every hook received so far was published before the snapshot the caller is about
  // to ask for, so that snapshot already holds its effect.
  verdict on_hook(hook_event&& ev, std::vector<change>& changed);

  // Starts a resync without a fault seen in the stream (a reconnect of the internal link).
  void begin_resync();

  // Replaces the state with a complete snapshot, then replays the buffered hooks that follow it. Returns
  // `applied`, or gap / new_epoch when the buffered hooks do not continue the snapshot (the mirror stays
  // `syncing`; fetch another). Every session whose record differs from before lands in `changed`.
  verdict on_snapshot(snapshot snap, std::vector<change>& changed);
  // The same with the sessions already shared (the mirror keeps these very records: no copy).
  verdict on_snapshot(std::optional<hook_position> position, std::vector<record_ptr> sessions,
                      std::vector<change>& changed, std::vector<snapshot_observation> observations = {});

  status state() const { return status_; }
  // The position of the last applied hook (or snapshot); nullopt when the router sends none.
  const std::optional<hook_position>& position() const { return position_; }
  // True when the mirror has applied everything up to `p` (same epoch, seq at or past it).
  bool has_reached(const hook_position& p) const;

  const realm_sessions* sessions(const std::string& realm) const;
  // The record of session `id` in `realm`, hidden ones included; nullptr when the mirror holds none.
  const session_record* find(const std::string& realm, session_id id) const {
    const record_ptr* s = record(realm, id);
    return s ? s->get() : nullptr;
  }
  // The mirror's shared pointer to that record (for a holder that keeps it); nullptr when it holds none.
  const record_ptr* record(const std::string& realm, session_id id) const {
    const realm_sessions* in_realm = sessions(realm);
    if (!in_realm) return nullptr;
    auto it = in_realm->find(id);
    return it == in_realm->end() ? nullptr : &it->second;
  }
  // Whether the mirror holds session `id` in `realm`.
  bool has(const std::string& realm, session_id id) const { return find(realm, id) != nullptr; }
  const std::unordered_map<std::string, realm_sessions>& realms() const { return realms_; }
  std::size_t size() const { return size_; }
  // The registrations and subscriptions (empty with a router that speaks hook protocol v1 only).
  const core::observations& observations() const { return observations_; }
  std::size_t buffered() const { return buffer_.size(); }
  // Counts the resyncs started; a snapshot fetched across a change of it is stale.
  std::uint64_t generation() const { return generation_; }

 private:
  // The verdict on a hook that is not the next one after the position: duplicate (at or before it), gap or
  // new_epoch; nullopt for the next one, and for any hook when either side has no position.
  std::optional<verdict> out_of_line(const hook_event& ev) const;
  // False when the hook contradicts the mirror (then nothing changed).
  bool apply(hook_event& ev, std::vector<change>& changed);
  bool apply_observation(hook_event& ev, std::vector<change>& changed);
  void diff_observations(const core::observations& before, std::vector<change>& changed) const;
  void start_syncing();

  options opts_;
  status status_ = status::unsynced;
  std::optional<hook_position> position_;
  std::unordered_map<std::string, realm_sessions> realms_;
  std::size_t size_ = 0;
  core::observations observations_;
  std::deque<hook_event> buffer_;
  std::uint64_t generation_ = 0;
};

}  // namespace wamp_metad::core
