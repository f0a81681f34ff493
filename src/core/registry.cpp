#include "wamp_metad/core/registry.hpp"

#include <algorithm>
#include <utility>

#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::core {
namespace {

// A hash table grows all at once: past a million sessions, a rehash moves every node and holds the loop for
// tens of milliseconds. The mirror's table and a served realm's two (what it was told, the index of its ids)
// hold the same sessions, so they would all grow at the same hook, and their stalls add up (a third of a
// second at 712,697 sessions, the event of every hook meanwhile waiting). A realm's tables grow ahead of
// theirs instead, each at its own share of its load (`share`: 0.75 and 0.6 of the bucket count, never a power
// of two apart from the mirror's): the same work, in three pauses instead of one.
template <class Table>
void grow_early(Table& table, double share) {
  if (table.size() < 4096) return;
  const double limit = static_cast<double>(table.bucket_count()) * table.max_load_factor();
  if (static_cast<double>(table.size() + 1) > share * limit) table.reserve(static_cast<std::size_t>(2 * limit));
}

}  // namespace

registry::registry(options opts)
    : opts_(std::move(opts)),
      mirror_(opts_.mirror_options),
      hidden_roles_(opts_.hidden_authroles.begin(), opts_.hidden_authroles.end()) {}

bool registry::visible(const session_record& s) const {
  return hidden_ids_.count(s.id) == 0 && hidden_roles_.count(s.authrole) == 0;
}

record_ptr registry::visible_record(const std::string& realm, session_id id) const {
  const record_ptr* rec = mirror_.record(realm, id);
  if (!rec || !visible(**rec)) return nullptr;
  return *rec;
}

const session_record* registry::find(const std::string& realm, session_id id) const {
  return visible_record(realm, id).get();
}

mirror::verdict registry::on_hook(hook_event&& ev, std::vector<meta_event>& out) {
  if (ev.quiet) leave_quietly(ev.session.realm, ev.session.id);
  // One buffer of changes for every hook of the thread (a hook makes one or a few): no allocation per hook.
  // Nothing that on_hook calls applies another hook.
  static thread_local std::vector<change> changes;
  changes.clear();
  const mirror::verdict verdict = mirror_.on_hook(std::move(ev), changes);
  // Most hooks change one session and nothing else: the registration and subscription phases are skipped.
  const bool observations =
      std::any_of(changes.begin(), changes.end(), [](const change& c) { return c.of != change::subject::session; });
  if (observations) dispatch_observations(changes, phase::ends, out);
  dispatch(changes, out);
  if (observations) dispatch_observations(changes, phase::begins, out);
  return verdict;
}

mirror::verdict registry::on_snapshot(snapshot snap, std::vector<meta_event>& out) {
  std::vector<record_ptr> records;
  records.reserve(snap.sessions.size());
  for (auto& s : snap.sessions)
    records.push_back(std::make_shared<const session_record>(std::move(s)));
  return on_snapshot(std::move(snap.position), std::move(records), std::move(snap.recently_left), out,
                     std::move(snap.observations));
}

mirror::verdict registry::on_snapshot(std::optional<hook_position> position, std::vector<record_ptr> records,
                                      std::vector<session_record> recently_left, std::vector<meta_event>& out,
                                      std::vector<snapshot_observation> observations) {
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
  const mirror::verdict verdict =
      mirror_.on_snapshot(std::move(position), std::move(records), changes, std::move(observations));
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
    if (it != views_.end() && !it->second.suspended && visible(*rec)) it->second.uncertain.emplace(rec->id, rec);
  }
  if (first && opts_.announce_existing) {
    // Likewise every registration and subscription there is: told in full.
    mirror_.observations().for_each_table(
        [&](const std::string& realm, observation_kind kind, const observation_table& table) {
          auto it = views_.find(realm);
          if (it == views_.end() || it->second.suspended) return;
          table.for_each([&](const observation& o) { it->second.obs_uncertain.insert(obs_key(kind, o.id)); });
        });
  }
  // Everything a snapshot changed is told by flush(), with what waited already, in one order: what ends
  // (of registrations and subscriptions), the sessions, what begins.
  dispatch(changes, out, true);
  dispatch_observations(changes, phase::both, out, true);
  for (auto& [realm, v] : views_)
    flush(realm, v, out);  // the uncertain ones, and what waited for a live mirror
  return verdict;
}

registry::view* registry::view_for(const std::string& realm) {
  auto it = views_.find(realm);
  if (it == views_.end()) {
    if (!opts_.serve_all_realms || !synced_once_) return nullptr;
    maybe_auto_serve(realm);
    it = views_.find(realm);
    if (it == views_.end()) return nullptr;
  }
  return &it->second;
}

void registry::dispatch(const std::vector<change>& changes, std::vector<meta_event>& out, bool defer) {
  for (const change& c : changes) {
    if (c.of != change::subject::session) continue;
    if (!hidden_ids_.empty() && hidden_ids_.count(c.id) != 0) {
      if (!mirror_.has(c.realm, c.id)) hidden_ids_.erase(c.id);  // gone: forget it
    }
    view* found = view_for(c.realm);
    if (!found) continue;
    view& v = *found;
    record_ptr truth = visible_record(c.realm, c.id);
    index(v, c.id, truth != nullptr);
    if (!v.baselined || v.suspended) continue;
    if (tells(v) && !defer)
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
  v.told_obs.clear();
  v.obs_dirty.clear();
  for (auto kind : {observation_kind::registration, observation_kind::subscription}) {
    const observation_table* table = mirror_.observations().find(realm, kind);
    if (!table) continue;
    table->for_each([&](const observation& o) {
      auto info = std::make_shared<observation_info>();
      *info = observation_info{kind, o.id, o.uri, o.match, o.invoke, o.created};
      v.told_obs[obs_key(kind, o.id)] = view::told_observation{std::move(info), o.members};
    });
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
    grow_early(v.id_pos, 0.6);
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
    // The last record published of each session (newest first: the first emplace of an id wins), unless a
    // quiet leave voided it since.
    for (auto e = v.unconfirmed.rbegin(); e != v.unconfirmed.rend(); ++e) {
      if (!v.unconfirmed_void.empty()) {
        const auto gone = v.unconfirmed_void.find(e->id);
        if (gone != v.unconfirmed_void.end() && e->mark <= gone->second) continue;
      }
      v.uncertain.emplace(e->id, std::move(e->rec));
    }
    v.unconfirmed.clear();
    v.unconfirmed_void.clear();
    for (const auto& [key, mark] : v.obs_unconfirmed)
      v.obs_uncertain.insert(key);
    v.obs_unconfirmed.clear();
    return;
  }
  if (v.suspended) return resume(realm, out);
  v.online = true;
  flush(realm, v, out);
}

void registry::suspend(const std::string& realm) {
  auto it = views_.find(realm);
  if (it == views_.end()) return;
  view& v = it->second;
  v.suspended = true;
  v.baselined = true;  // a snapshot leaves it alone
  v.online = false;
  v.told.clear();
  v.dirty.clear();
  v.unconfirmed.clear();
  v.unconfirmed_void.clear();
  v.uncertain.clear();
  v.quiet.clear();
  v.told_obs.clear();
  v.obs_dirty.clear();
  v.obs_unconfirmed.clear();
  v.obs_uncertain.clear();
}

bool registry::suspended(const std::string& realm) const {
  auto it = views_.find(realm);
  return it != views_.end() && it->second.suspended;
}

void registry::adopt(const std::string& realm) {
  auto it = views_.find(realm);
  if (it == views_.end()) return;
  view& v = it->second;
  baseline(realm, v);
  v.suspended = false;
  v.unconfirmed.clear();
  v.unconfirmed_void.clear();
  v.uncertain.clear();
  v.obs_unconfirmed.clear();
  v.obs_uncertain.clear();
  v.online = true;
}

void registry::resume(const std::string& realm, std::vector<meta_event>& out) {
  auto it = views_.find(realm);
  if (it == views_.end()) return;
  view& v = it->second;
  if (v.suspended) {
    v.suspended = false;
    if (const realm_sessions* sessions = mirror_.sessions(realm)) {
      for (const auto& [id, rec] : *sessions)
        if (visible(*rec)) v.uncertain.emplace(id, rec);
    }
    for (auto kind : {observation_kind::registration, observation_kind::subscription}) {
      const observation_table* table = mirror_.observations().find(realm, kind);
      if (table) table->for_each([&](const observation& o) { v.obs_uncertain.insert(obs_key(kind, o.id)); });
    }
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
  std::vector<std::uint64_t> keys(v.obs_uncertain.begin(), v.obs_uncertain.end());
  for (std::uint64_t key : v.obs_dirty)
    if (v.obs_uncertain.count(key) == 0) keys.push_back(key);
  v.obs_dirty.clear();
  for (std::uint64_t key : keys)
    converge_observation(realm, v, key, session_id{}, phase::ends, out);
  for (session_id id : ids)
    converge(realm, v, id, out);
  for (std::uint64_t key : keys)
    converge_observation(realm, v, key, session_id{}, phase::begins, out);
}

void registry::answered(const std::string& realm) {
  auto it = views_.find(realm);
  if (it == views_.end() || it->second.suspended || tells(it->second)) return;
  view& v = it->second;
  if (const realm_sessions* sessions = mirror_.sessions(realm)) {
    for (const auto& [id, rec] : *sessions)
      if (visible(*rec) && v.told.count(id) == 0) v.uncertain.emplace(id, rec);
  }
  // Likewise the registrations and subscriptions it may have shown: those told differently, or not at all.
  for (auto kind : {observation_kind::registration, observation_kind::subscription}) {
    const observation_table* table = mirror_.observations().find(realm, kind);
    if (!table) continue;
    table->for_each([&](const observation& o) {
      const std::uint64_t key = obs_key(kind, o.id);
      auto told = v.told_obs.find(key);
      if (told == v.told_obs.end() || told->second.members != o.members) v.obs_uncertain.insert(key);
    });
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
  auto& obs_unconfirmed = it->second.obs_unconfirmed;
  if (upto >= it->second.published) {
    unconfirmed.clear();
    it->second.unconfirmed_void.clear();
    obs_unconfirmed.clear();
    return;
  }
  while (!unconfirmed.empty() && unconfirmed.front().mark <= upto)
    unconfirmed.pop_front();
  if (unconfirmed.empty()) it->second.unconfirmed_void.clear();
  for (auto e = obs_unconfirmed.begin(); e != obs_unconfirmed.end();) {
    if (e->second <= upto)
      e = obs_unconfirmed.erase(e);
    else
      ++e;
  }
}

void registry::hide_session(session_id id, std::vector<meta_event>& out) {
  hidden_ids_.insert(id);
  for (auto& [realm, v] : views_) {
    index(v, id, false);
    if (v.suspended || v.told.count(id) == 0) continue;
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
  if (what == meta_event::kind::join) {
    grow_early(v.told, 0.75);
    v.told[id] = rec;
  } else {
    v.told.erase(id);
  }
  v.unconfirmed.push_back({id, rec, ++v.published});
  meta_event e;
  e.what = what;
  e.realm = realm;
  e.session = std::move(rec);
  out.push_back(std::move(e));
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
    if (!v.unconfirmed.empty()) v.unconfirmed_void[id] = v.published;
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

namespace wamp_metad::core {

void registry::dispatch_observations(const std::vector<change>& changes, phase p, std::vector<meta_event>& out,
                                     bool defer) {
  for (const change& c : changes) {
    if (c.of == change::subject::session) continue;
    view* v = view_for(c.realm);
    if (!v || !v->baselined || v->suspended) continue;
    const auto kind =
        c.of == change::subject::registration ? observation_kind::registration : observation_kind::subscription;
    const std::uint64_t key = obs_key(kind, c.observation);
    if (tells(*v) && !defer)
      converge_observation(c.realm, *v, key, c.id, p, out);
    else
      v->obs_dirty.insert(key);
  }
}

void registry::announce_observation(const std::string& realm, view& v, std::uint64_t key, meta_event e,
                                    std::vector<meta_event>& out) {
  e.realm = realm;
  v.obs_unconfirmed[key] = ++v.published;
  out.push_back(std::move(e));
}

// Makes what `realm` was told of one registration or subscription equal to the mirror, in phase `p`: ends
// (members gone, then its on_delete) or begins (its on_create, then members added). `hint` names the
// session that caused the change, for on_create's first argument, when known. URIs under wamp. (the router's
// and wamp-metad's own) are never told.
void registry::converge_observation(const std::string& realm, view& v, std::uint64_t key, session_id hint, phase p,
                                    std::vector<meta_event>& out) {
  const auto kind = key % 2 ? observation_kind::subscription : observation_kind::registration;
  const std::uint64_t id = key / 2;
  const observation_table* table = mirror_.observations().find(realm, kind);
  const observation* truth = table ? table->get(id) : nullptr;
  auto told_it = v.told_obs.find(key);
  view::told_observation* told = told_it == v.told_obs.end() ? nullptr : &told_it->second;
  const bool uncertain = v.obs_uncertain.count(key) != 0;
  // Its URI, when known here: an unsure one that is gone and was never told here has none, yet its end is
  // told (the subscribers may have listed it).
  const std::string& uri = truth ? truth->uri : told ? told->info->uri : std::string();
  if (uri.empty() ? !uncertain : uri.rfind(uri::reserved_prefix, 0) == 0) {
    v.obs_uncertain.erase(key);
    return;
  }
  const bool replaced = told && truth && (told->info->uri != truth->uri || told->info->match != truth->match);
  const auto event = [&](meta_event::kind what, session_id member) {
    meta_event e;
    e.what = what;
    e.of = kind;
    e.observation = id;
    e.member = member;
    return e;
  };

  if (p != phase::begins && uncertain) {
    // What the subscribers hold of it is unknown (a lost link, a list answered while events were held
    // back): it is deleted for them, whatever they hold, and told again in full in the begins phase if it
    // still exists.
    session_id last = hint;
    if (!last.value && told && !told->members.empty()) last = *told->members.begin();
    if (!last.value && truth && !truth->members.empty()) last = *truth->members.begin();
    announce_observation(realm, v, key, event(meta_event::kind::deleted, last), out);
    if (told) v.told_obs.erase(told_it);
    told = nullptr;
  } else if (p != phase::begins && told && (!truth || replaced)) {
    // Gone (or another pattern took its id): every member leaves it, then it is deleted.
    session_id last = hint;
    for (session_id m : told->members) {
      announce_observation(realm, v, key, event(meta_event::kind::detached, m), out);
      last = m;
    }
    announce_observation(realm, v, key, event(meta_event::kind::deleted, last), out);
    v.told_obs.erase(told_it);
    told = nullptr;
  } else if (p != phase::begins && told && truth) {
    for (auto m = told->members.begin(); m != told->members.end();) {
      if (truth->members.count(*m)) {
        ++m;
        continue;
      }
      announce_observation(realm, v, key, event(meta_event::kind::detached, *m), out);
      m = told->members.erase(m);
    }
  }
  if (p == phase::ends) return;
  v.obs_uncertain.erase(key);
  if (!truth) return;
  if (!told) {
    auto info = std::make_shared<observation_info>();
    *info = observation_info{kind, truth->id, truth->uri, truth->match, truth->invoke, truth->created};
    const session_id creator = hint.value && truth->members.count(hint) ? hint : *truth->members.begin();
    meta_event e = event(meta_event::kind::created, creator);
    e.details = info;
    announce_observation(realm, v, key, std::move(e), out);
    told = &v.told_obs.emplace(key, view::told_observation{std::move(info), {}}).first->second;
  }
  for (session_id m : truth->members) {
    if (told->members.insert(m).second) announce_observation(realm, v, key, event(meta_event::kind::attached, m), out);
  }
}

}  // namespace wamp_metad::core
