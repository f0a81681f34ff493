#include "wamp_metad/core/mirror.hpp"

#include <utility>

namespace wamp_metad::core {

mirror::verdict mirror::on_hook(hook_event ev, std::vector<change>& changed) {
  if (status_ != status::live) {
    if (buffer_.size() >= opts_.max_buffered_hooks) {
      start_syncing();
      return verdict::overflow;
    }
    buffer_.push_back(std::move(ev));
    return verdict::buffered;
  }
  if (ev.position && position_) {
    const hook_position& p = *ev.position;
    if (p.epoch != position_->epoch) {
      start_syncing();
      return verdict::new_epoch;
    }
    if (p.seq <= position_->seq) return verdict::duplicate;
    if (p.seq != position_->seq + 1) {
      start_syncing();
      return verdict::gap;
    }
  }
  apply(ev, changed);
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

void mirror::apply(hook_event& ev, std::vector<change>& changed) {
  if (ev.position) position_ = ev.position;
  const session_id id = ev.session.id;
  if (ev.kind == hook_kind::left) {
    auto realm = realms_.find(ev.session.realm);
    if (realm == realms_.end()) return;
    if (realm->second.erase(id) == 0) return;  // a leave for a session never seen: nothing to tell
    --size_;
    changed.push_back({realm->first, id});
    if (realm->second.empty()) realms_.erase(realm);
    return;
  }
  auto& sessions = realms_[ev.session.realm];
  auto [it, inserted] = sessions.try_emplace(id);
  if (!inserted && *it->second == ev.session) return;  // a repeated join with the same details
  if (inserted) ++size_;
  std::string realm = ev.session.realm;
  it->second = std::make_shared<const session_record>(std::move(ev.session));
  changed.push_back({std::move(realm), id});
}

mirror::verdict mirror::on_snapshot(snapshot snap, std::vector<change>& changed) {
  std::vector<record_ptr> records;
  records.reserve(snap.sessions.size());
  for (auto& s : snap.sessions)
    records.push_back(std::make_shared<const session_record>(std::move(s)));
  return on_snapshot(std::move(snap.position), std::move(records), changed);
}

mirror::verdict mirror::on_snapshot(std::optional<hook_position> position, std::vector<record_ptr> sessions,
                                    std::vector<change>& changed) {
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
  position_ = std::move(position);
  status_ = status::live;

  // Replay what arrived while the snapshot was fetched. Hooks at or below the snapshot's seq are in it.
  std::deque<hook_event> pending;
  pending.swap(buffer_);
  for (auto& ev : pending) {
    if (ev.position && position_) {
      if (ev.position->epoch != position_->epoch) {
        start_syncing();
        return verdict::new_epoch;
      }
      if (ev.position->seq <= position_->seq) continue;
      if (ev.position->seq != position_->seq + 1) {
        start_syncing();
        return verdict::gap;
      }
    }
    apply(ev, changed);
  }
  return verdict::applied;
}

}  // namespace wamp_metad::core
