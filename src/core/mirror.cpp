#include "wamp_metad/core/mirror.hpp"

#include <utility>

namespace wamp_metad::core {

// Inline: it runs for every hook.
inline std::optional<mirror::verdict> mirror::out_of_line(const hook_event& ev) const {
  if (!ev.position || !position_) return std::nullopt;
  const hook_position& p = *ev.position;
  if (p.epoch != position_->epoch) return verdict::new_epoch;
  if (p.seq <= position_->seq) return verdict::duplicate;
  if (p.seq != position_->seq + 1) return verdict::gap;
  return std::nullopt;
}

mirror::verdict mirror::on_hook(hook_event&& ev, std::vector<change>& changed) {
  if (status_ != status::live) {
    if (buffer_.size() >= opts_.max_buffered_hooks) {
      start_syncing();
      return verdict::overflow;
    }
    buffer_.push_back(std::move(ev));
    return verdict::buffered;
  }
  if (const auto v = out_of_line(ev)) {
    // A gap leaves the mirror as it was, at its position: whoever feeds it fetches the missing hooks (or asks
    // for a resync). Another epoch needs a snapshot.
    if (*v == verdict::new_epoch) start_syncing();
    return *v;
  }
  if (!apply(ev, changed)) {
    start_syncing();
    return verdict::conflict;
  }
  return verdict::applied;
}

void mirror::begin_resync() {
  start_syncing();
}

void mirror::start_syncing() {
  status_ = status::syncing;
  buffer_.clear();
  ++generation_;
}

bool mirror::has_reached(const hook_position& p) const {
  return status_ == status::live && position_ && position_->epoch == p.epoch && position_->seq >= p.seq;
}

const realm_sessions* mirror::sessions(const std::string& realm) const {
  auto it = realms_.find(realm);
  return it == realms_.end() ? nullptr : &it->second;
}

namespace {

change::subject subject_of(observation_kind kind) {
  return kind == observation_kind::registration ? change::subject::registration : change::subject::subscription;
}

}  // namespace

bool mirror::apply(hook_event& ev, std::vector<change>& changed) {
  if (ev.kind != hook_kind::joined && ev.kind != hook_kind::left) {
    if (!apply_observation(ev, changed)) return false;
    if (ev.position) position_ = ev.position;
    return true;
  }
  if (ev.position) position_ = ev.position;
  const session_id id = ev.session.id;
  if (ev.kind == hook_kind::left) {
    // What it still held goes with it (a router sends its unregistered / unsubscribed hooks first; one that
    // does not still leaves no member behind).
    if (!observations_.empty()) {
      for (auto kind : {observation_kind::registration, observation_kind::subscription}) {
        if (!observations_.find(ev.session.realm, kind)) continue;
        for (const auto& [oid, c] : observations_.table(ev.session.realm, kind).detach_all(id))
          if (c.detached) changed.push_back({ev.session.realm, id, subject_of(kind), oid});
      }
    }
    auto realm = realms_.find(ev.session.realm);
    if (realm == realms_.end()) return true;
    if (realm->second.erase(id) == 0) return true;  // a leave for a session never seen: nothing to tell
    --size_;
    changed.push_back({realm->first, id});
    if (realm->second.empty()) realms_.erase(realm);
    return true;
  }
  auto& sessions = realms_[ev.session.realm];
  auto [it, inserted] = sessions.try_emplace(id);
  if (!inserted && *it->second == ev.session) return true;  // a repeated join with the same details
  if (inserted) ++size_;
  std::string realm = ev.session.realm;
  it->second = std::make_shared<const session_record>(std::move(ev.session));
  changed.push_back({std::move(realm), id});
  return true;
}

bool mirror::apply_observation(hook_event& ev, std::vector<change>& changed) {
  if (!ev.observation) return false;  // a registration or subscription hook that names none
  const auto& o = *ev.observation;
  const std::string& realm = ev.session.realm;
  const session_id member = ev.session.id;
  const bool adds = ev.kind == hook_kind::registered || ev.kind == hook_kind::subscribed;
  if (adds) {
    // A member that is no session of the realm contradicts the mirror.
    if (!has(realm, member)) return false;
    auto c = observations_.table(realm, o.kind).attach(member, o.id, o.uri, o.match, o.invoke, o.created);
    if (c.conflict) return false;
    if (c.attached) changed.push_back({realm, member, subject_of(o.kind), o.id});
    return true;
  }
  if (!observations_.find(realm, o.kind)) return true;  // nothing held: a duplicate removal tells nothing
  auto c = observations_.table(realm, o.kind).detach(member, o.id);
  if (c.detached) changed.push_back({realm, member, subject_of(o.kind), o.id});
  return true;
}

mirror::verdict mirror::on_snapshot(snapshot snap, std::vector<change>& changed) {
  std::vector<record_ptr> records;
  records.reserve(snap.sessions.size());
  for (auto& s : snap.sessions)
    records.push_back(std::make_shared<const session_record>(std::move(s)));
  return on_snapshot(std::move(snap.position), std::move(records), changed, std::move(snap.observations));
}

mirror::verdict mirror::on_snapshot(std::optional<hook_position> position, std::vector<record_ptr> sessions,
                                    std::vector<change>& changed, std::vector<snapshot_observation> observations) {
  // Sized up front: growing a table of a million sessions rehashes it some twenty times.
  std::unordered_map<std::string, std::size_t> per_realm;
  for (const auto& rec : sessions)
    ++per_realm[rec->realm];
  std::unordered_map<std::string, realm_sessions> fresh;
  for (const auto& [realm, n] : per_realm)
    fresh[realm].reserve(n);
  std::size_t fresh_size = 0;
  for (auto& rec : sessions) {
    auto& in_realm = fresh[rec->realm];
    const session_id id = rec->id;
    if (in_realm.insert_or_assign(id, std::move(rec)).second) ++fresh_size;
  }

  // Diff old against new: whatever was dropped, added or replaced is a change.
  for (const auto& [realm, old_sessions] : realms_) {
    auto now = fresh.find(realm);
    for (const auto& [id, rec] : old_sessions) {
      if (now == fresh.end()) {
        changed.push_back({realm, id});
        continue;
      }
      auto it = now->second.find(id);
      if (it == now->second.end() || *it->second != *rec) changed.push_back({realm, id});
    }
  }
  for (const auto& [realm, new_sessions] : fresh) {
    auto before = realms_.find(realm);
    for (const auto& [id, rec] : new_sessions) {
      if (before == realms_.end() || before->second.count(id) == 0) changed.push_back({realm, id});
    }
  }

  realms_ = std::move(fresh);
  size_ = fresh_size;

  // Registrations and subscriptions: the snapshot's replace the mirror's; every one that differs is a change.
  core::observations before = std::move(observations_);
  observations_ = core::observations{};
  bool consistent = true;
  for (auto& o : observations) {
    auto& table = observations_.table(o.realm, o.info.kind);
    for (session_id m : o.members)
      consistent &= !table.attach(m, o.info.id, o.info.uri, o.info.match, o.info.invoke, o.info.created).conflict;
  }
  diff_observations(before, changed);
  position_ = std::move(position);
  if (!consistent) {
    start_syncing();
    return verdict::conflict;
  }
  status_ = status::live;

  // Replay what arrived while the snapshot was fetched. Hooks at or below the snapshot's seq are in it.
  std::deque<hook_event> pending;
  pending.swap(buffer_);
  for (auto& ev : pending) {
    if (const auto v = out_of_line(ev)) {
      if (*v == verdict::duplicate) continue;
      start_syncing();
      return *v;
    }
    if (!apply(ev, changed)) {
      start_syncing();
      return verdict::conflict;
    }
  }
  return verdict::applied;
}

// One change per registration or subscription that differs between `before` and now (created, deleted,
// another pattern under the same id, or other members).
void mirror::diff_observations(const core::observations& before, std::vector<change>& changed) const {
  const auto same = [](const observation& a, const observation& b) {
    return a.uri == b.uri && a.match == b.match && a.invoke == b.invoke && a.members == b.members;
  };
  before.for_each_table([&](const std::string& realm, observation_kind kind, const observation_table& old) {
    const observation_table* now = observations_.find(realm, kind);
    old.for_each([&](const observation& o) {
      const observation* n = now ? now->get(o.id) : nullptr;
      if (!n || !same(o, *n)) changed.push_back({realm, session_id{}, subject_of(kind), o.id});
    });
  });
  observations_.for_each_table([&](const std::string& realm, observation_kind kind, const observation_table& now) {
    const observation_table* old = before.find(realm, kind);
    now.for_each([&](const observation& n) {
      if (!old || !old->get(n.id)) changed.push_back({realm, session_id{}, subject_of(kind), n.id});
    });
  });
}

}  // namespace wamp_metad::core
