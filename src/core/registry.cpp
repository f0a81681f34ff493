#include "wamp_metad/core/registry.hpp"

#include <algorithm>
#include <utility>

namespace wamp_metad::core {

registry::registry(options opts)
    : opts_(std::move(opts)),
      mirror_(opts_.mirror_options),
      hidden_roles_(opts_.hidden_authroles.begin(), opts_.hidden_authroles.end()) {}

bool registry::visible(const session_record& s) const {
  return hidden_ids_.count(s.id) == 0 && hidden_roles_.count(s.authrole) == 0;
}

record_ptr registry::visible_record(const std::string& realm, session_id id) const {
  const realm_sessions* sessions = mirror_.sessions(realm);
  if (!sessions) return nullptr;
  auto it = sessions->find(id);
  if (it == sessions->end() || !visible(*it->second)) return nullptr;
  return it->second;
}

const session_record* registry::find(const std::string& realm, session_id id) const {
  return visible_record(realm, id).get();
}

mirror::verdict registry::on_hook(hook_event ev, std::vector<meta_event>& out) {
  std::vector<change> changes;
  const mirror::verdict verdict = mirror_.on_hook(std::move(ev), changes);
  dispatch(changes, out);
  return verdict;
}

mirror::verdict registry::on_snapshot(snapshot snap, std::vector<meta_event>& out) {
  std::vector<record_ptr> records;
  records.reserve(snap.sessions.size());
  for (auto& s : snap.sessions)
    records.push_back(std::make_shared<const session_record>(std::move(s)));
  return on_snapshot(std::move(snap.position), std::move(records), std::move(snap.recently_left), out);
}

mirror::verdict registry::on_snapshot(std::optional<hook_position> position, std::vector<record_ptr> records,
                                      std::vector<session_record> recently_left, std::vector<meta_event>& out) {
  const bool first = !synced_once_;
  // A freshly started wamp-metad does not know what the subscribers were told: with announce_existing, every
  // session it hears of at its first snapshot (there, recently left, or gone while the snapshot was
  // fetched) is told as an uncertain one: its final state goes out.
  std::vector<record_ptr> heard;
  if (first && opts_.announce_existing) {
    heard.reserve(records.size() + recently_left.size());
    heard = records;  // the mirror's own records, shared
    for (auto& s : recently_left)
      heard.push_back(std::make_shared<const session_record>(std::move(s)));
  }
  std::vector<change> changes;
  const mirror::verdict verdict = mirror_.on_snapshot(std::move(position), std::move(records), changes);
  if (first && opts_.serve_all_realms) {
    for (const auto& [realm, sessions] : mirror_.realms())
      maybe_auto_serve(realm);
  }
  synced_once_ = true;
  for (auto& [realm, v] : views_) {
    if (v.baselined) continue;
    if (opts_.announce_existing)
      v.baselined = true;  // starts from nothing told
    else
      baseline(realm, v);  // silent
  }
  for (auto& rec : heard) {
    auto it = views_.find(rec->realm);
    if (it != views_.end() && visible(*rec)) it->second.uncertain.emplace(rec->id, rec);
  }
  dispatch(changes, out);
  for (auto& [realm, v] : views_)
    flush(realm, v, out);  // the uncertain ones, and what waited for a live mirror
  return verdict;
}

void registry::dispatch(const std::vector<change>& changes, std::vector<meta_event>& out) {
  for (const change& c : changes) {
    if (!hidden_ids_.empty() && hidden_ids_.count(c.id) != 0) {
      const realm_sessions* sessions = mirror_.sessions(c.realm);
      if (!sessions || sessions->count(c.id) == 0) hidden_ids_.erase(c.id);  // gone: forget it
    }
    auto it = views_.find(c.realm);
    if (it == views_.end()) {
      if (!opts_.serve_all_realms || !synced_once_) continue;
      maybe_auto_serve(c.realm);
      it = views_.find(c.realm);
      if (it == views_.end()) continue;
    }
    view& v = it->second;
    record_ptr truth = visible_record(c.realm, c.id);
    index(v, c.id, truth != nullptr);
    if (!v.baselined) continue;
    if (tells(v))
      converge(c.realm, v, c.id, std::move(truth), out);
    else
      v.dirty.insert(c.id);
  }
}

void registry::maybe_auto_serve(const std::string& realm) {
  if (views_.count(realm) != 0) return;
  if (std::find(opts_.never_serve.begin(), opts_.never_serve.end(), realm) != opts_.never_serve.end()) return;
  // A realm first seen in the first snapshot takes it as its silent baseline (on_snapshot does that); one
  // that appears later starts empty, so that the sessions that made it appear are announced.
  view& v = views_[realm];
  v.baselined = synced_once_;
  reindex(realm, v);
  new_realms_.push_back(realm);
}

void registry::baseline(const std::string& realm, view& v) {
  v.told.clear();
  v.dirty.clear();
  if (const realm_sessions* sessions = mirror_.sessions(realm)) {
    for (const auto& [id, rec] : *sessions)
      if (visible(*rec)) v.told.emplace(id, rec);
  }
  v.baselined = true;
}

void registry::serve(const std::string& realm) {
  if (views_.count(realm) != 0) return;
  view& v = views_[realm];
  reindex(realm, v);
  if (synced_once_) baseline(realm, v);
}

void registry::index(view& v, session_id id, bool shown) {
  auto it = v.id_pos.find(id);
  if (shown && it == v.id_pos.end()) {
    v.id_pos.emplace(id, v.ids.size());
    v.ids.push_back(id);
  } else if (!shown && it != v.id_pos.end()) {
    const std::size_t at = it->second;
    v.id_pos.erase(it);
    if (at + 1 != v.ids.size()) {
      v.ids[at] = v.ids.back();
      v.id_pos[v.ids[at]] = at;
    }
    v.ids.pop_back();
  }
}

void registry::reindex(const std::string& realm, view& v) {
  v.ids.clear();
  v.id_pos.clear();
  if (const realm_sessions* sessions = mirror_.sessions(realm)) {
    v.ids.reserve(sessions->size());
    v.id_pos.reserve(sessions->size());
    for (const auto& [id, rec] : *sessions)
      if (visible(*rec)) index(v, id, true);
  }
}

const std::vector<session_id>* registry::visible_ids(const std::string& realm) const {
  auto it = views_.find(realm);
  return it == views_.end() ? nullptr : &it->second.ids;
}

void registry::unserve(const std::string& realm) {
  views_.erase(realm);
}

std::vector<std::string> registry::take_new_realms() {
  std::vector<std::string> names;
  names.swap(new_realms_);
  return names;
}

void registry::set_online(const std::string& realm, bool online, std::vector<meta_event>& out) {
  auto it = views_.find(realm);
  if (it == views_.end()) return;
  view& v = it->second;
  if (!online) {
    v.online = false;
    for (auto& [id, entry] : v.unconfirmed)
      v.uncertain.emplace(id, std::move(entry.first));
    v.unconfirmed.clear();
    return;
  }
  v.online = true;
  flush(realm, v, out);
}

void registry::flush(const std::string& realm, view& v, std::vector<meta_event>& out) {
  if (!tells(v)) return;
  std::vector<session_id> ids;
  ids.reserve(v.uncertain.size() + v.dirty.size());
  for (const auto& [id, rec] : v.uncertain)
    ids.push_back(id);
  for (session_id id : v.dirty)
    if (v.uncertain.count(id) == 0) ids.push_back(id);
  v.dirty.clear();
  for (session_id id : ids)
    converge(realm, v, id, out);
}

void registry::answered(const std::string& realm) {
  auto it = views_.find(realm);
  if (it == views_.end() || tells(it->second)) return;
  view& v = it->second;
  if (const realm_sessions* sessions = mirror_.sessions(realm)) {
    for (const auto& [id, rec] : *sessions)
      if (visible(*rec) && v.told.count(id) == 0) v.uncertain.emplace(id, rec);
  }
}

std::uint64_t registry::published(const std::string& realm) const {
  auto it = views_.find(realm);
  return it == views_.end() ? 0 : it->second.published;
}

void registry::confirm(const std::string& realm, std::uint64_t upto) {
  auto it = views_.find(realm);
  if (it == views_.end()) return;
  auto& unconfirmed = it->second.unconfirmed;
  if (upto >= it->second.published) {
    unconfirmed.clear();
    return;
  }
  for (auto e = unconfirmed.begin(); e != unconfirmed.end();) {
    if (e->second.second <= upto)
      e = unconfirmed.erase(e);
    else
      ++e;
  }
}

void registry::hide_session(session_id id, std::vector<meta_event>& out) {
  hidden_ids_.insert(id);
  for (auto& [realm, v] : views_) {
    index(v, id, false);
    if (v.told.count(id) == 0) continue;
    if (tells(v))
      converge(realm, v, id, out);
    else
      v.dirty.insert(id);
  }
}

void registry::leave_quietly(const std::string& realm, session_id id) {
  auto it = views_.find(realm);
  if (it != views_.end()) it->second.quiet.insert(id);
}

void registry::quiet_cancelled(const std::string& realm, session_id id) {
  auto it = views_.find(realm);
  if (it != views_.end()) it->second.quiet.erase(id);
}

std::size_t registry::told_count(const std::string& realm) const {
  auto it = views_.find(realm);
  return it == views_.end() ? 0 : it->second.told.size();
}

void registry::announce(const std::string& realm, view& v, meta_event::kind what, record_ptr rec,
                        std::vector<meta_event>& out) {
  const session_id id = rec->id;
  if (what == meta_event::kind::join)
    v.told[id] = rec;
  else
    v.told.erase(id);
  v.unconfirmed[id] = {rec, ++v.published};
  out.push_back(meta_event{what, realm, std::move(rec)});
}

// Makes what `realm` was told about `id` equal to the mirror, announcing the difference: the old record
// leaves before a replacing one joins, so no subscriber sees a session's on_leave after its new on_join.
void registry::converge(const std::string& realm, view& v, session_id id, std::vector<meta_event>& out) {
  converge(realm, v, id, visible_record(realm, id), out);
}

void registry::converge(const std::string& realm, view& v, session_id id, record_ptr truth,
                        std::vector<meta_event>& out) {
  if (!truth && !v.quiet.empty() && v.quiet.erase(id) != 0) {
    // Killed by kill_all: gone without a word (what the subscribers were told of it is dropped).
    v.told.erase(id);
    v.uncertain.erase(id);
    v.unconfirmed.erase(id);
    return;
  }
  auto told_it = v.told.find(id);
  record_ptr told = told_it == v.told.end() ? nullptr : told_it->second;

  auto uncertain = v.uncertain.find(id);
  if (uncertain != v.uncertain.end()) {
    // The subscribers' view of this session is unknown: tell its final state again.
    record_ptr last = std::move(uncertain->second);
    v.uncertain.erase(uncertain);
    if (truth) {
      if (told && *told != *truth) announce(realm, v, meta_event::kind::leave, told, out);
      announce(realm, v, meta_event::kind::join, truth, out);
    } else {
      announce(realm, v, meta_event::kind::leave, told ? told : last, out);
    }
    return;
  }

  if (told && truth && (told == truth || *told == *truth)) {
    told_it->second = truth;
    return;
  }
  if (told) announce(realm, v, meta_event::kind::leave, told, out);
  if (truth) announce(realm, v, meta_event::kind::join, truth, out);
}

}  // namespace wamp_metad::core
