// The registry: the mirror of every session (and of their registrations and subscriptions) plus, for each
// served realm, what that realm's subscribers have been told. Every change to the mirror is turned into the
// meta events that bring what a realm was told back in line with the mirror. One mechanism serves live hooks,
// a resync after a fault and a served link that comes back: diff "told" against "true" for what changed.
// Within a realm, a session's registrations and subscriptions end before its on_leave and begin after its
// on_join.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/mirror.hpp"

namespace wamp_metad::core {

struct meta_event {
  enum class kind {
    join,      // wamp.session.on_join
    leave,     // wamp.session.on_leave
    created,   // wamp.registration.on_create / wamp.subscription.on_create
    attached,  // on_register / on_subscribe
    detached,  // on_unregister / on_unsubscribe
    deleted,   // on_delete
  };
  kind what = kind::join;
  std::string realm;
  record_ptr session;  // join, leave: for leave the record the realm was told at join time (authid, authrole)
  // The registration and subscription events: which one, and the session the event names.
  observation_kind of = observation_kind::subscription;
  std::uint64_t observation = 0;
  session_id member;
  std::shared_ptr<const observation_info> details;  // created
  // The hook the event tells, and its place among that hook's events on the realm (0, 1, ...): the told
  // position the router records (docs/hook-protocol.md). seq 0: not the telling of one hook (a resync's
  // difference, a re-announcement).
  std::uint64_t seq = 0;
  std::uint32_t index = 0;
};

class registry {
 public:
  struct options {
    // Sessions with these authroles are never counted, listed, got or announced (wamp-metad's own role).
    std::vector<std::string> hidden_authroles;
    // Serve every realm that shows up in the mirror (see take_new_realms()).
    bool serve_all_realms = false;
    // Realms never served even with serve_all_realms (the router's internal realm).
    std::vector<std::string> never_serve;
    // At the first snapshot, announce every session already there (on_join) and the snapshot's recently
    // left ones (on_leave), so that subscribers who watched through a restart of wamp-metad converge.
    // Off: the first snapshot is a silent baseline.
    bool announce_existing = false;
    mirror::options mirror_options;
  };

  registry() : registry(options{}) {}
  explicit registry(options opts);

  // --- input from the router (see mirror). Events for online served realms are appended to `out`.
  mirror::verdict on_hook(hook_event&& ev, std::vector<meta_event>& out);
  void begin_resync() { mirror_.begin_resync(); }
  mirror::verdict on_snapshot(snapshot snap, std::vector<meta_event>& out);
  // The same with the sessions already made into records (as they arrived, page by page).
  mirror::verdict on_snapshot(std::optional<hook_position> position, std::vector<record_ptr> sessions,
                              std::vector<session_record> recently_left, std::vector<meta_event>& out,
                              std::vector<snapshot_observation> observations = {});

  // --- visibility
  // Hides one session (wamp-metad's own links). Undone when the session leaves the mirror.
  void hide_session(session_id id, std::vector<meta_event>& out);
  bool visible(const session_record& s) const;

  // --- served realms
  // Starts serving `realm` (offline until set_online). Before the first snapshot, the first snapshot becomes
  // the realm's baseline (announced with announce_existing, silent otherwise); later, the realm starts from
  // what the mirror holds now: existing sessions are not announced, sessions that come after are.
  // A snapshot of a new epoch (the router restarted) is diffed like any other: the old sessions get their
  // on_leave even though their subscribers went with the old router, since a new subscriber may have listed
  // them from the stale mirror while it was being resynced.
  void serve(const std::string& realm);
  void unserve(const std::string& realm);
  // With serve_all_realms: realms seen for the first time since the last call (already served, offline).
  std::vector<std::string> take_new_realms();

  // A served realm's link is up (events flow) or down (changes accumulate and are told when it is back;
  // likewise while the mirror resyncs).
  // Going online publishes what the realm missed. Going offline also re-tells, once back, every event
  // published since the last confirm(): they may not have reached the router.
  void set_online(const std::string& realm, bool online, std::vector<meta_event>& out);
  // How many events have been announced to `realm` so far: a mark for confirm().
  std::uint64_t published(const std::string& realm) const;
  // The events announced to `realm` up to mark `upto` are known to have reached the router.
  void confirm(const std::string& realm, std::uint64_t upto);

  // Exactly once (told positions). suspend(): `realm` is told nothing and forgets what it was told; its
  // changes are not even marked (a standby, which may wait for days). adopt(): the realm's subscribers were
  // told exactly what the mirror holds now (a catch-up replayed up to here): that is what it was told, nothing
  // is pending, and events flow. resume(): the fallback, events flow again and what the realm may have missed
  // is told by convergence, as set_online does; a suspended realm announces everything there is.
  void suspend(const std::string& realm);
  void adopt(const std::string& realm);
  void resume(const std::string& realm, std::vector<meta_event>& out);
  bool suspended(const std::string& realm) const;

  // wamp.session.kill_all: when `id` leaves `realm`, the realm is told nothing (no on_leave), as the spec has
  // it. quiet_cancelled() undoes the mark for a session the router did not kill.
  void leave_quietly(const std::string& realm, session_id id);
  void quiet_cancelled(const std::string& realm, session_id id);

  // A query on `realm` was answered from the mirror. If events are held back (the mirror resyncs), the
  // answer may have shown sessions the realm was never told about: their final state will be told.
  void answered(const std::string& realm);

  // --- queries (visible sessions of one realm only)
  const mirror& truth() const { return mirror_; }
  const session_record* find(const std::string& realm, session_id id) const;
  template <class F>
  void for_each_visible(const std::string& realm, F&& f) const {
    const realm_sessions* sessions = mirror_.sessions(realm);
    if (!sessions) return;
    for (const auto& [id, rec] : *sessions)
      if (visible(*rec)) f(*rec);
  }
  std::size_t told_count(const std::string& realm) const;
  // The visible sessions of a served realm, kept up to date with every change (nullptr for a realm not
  // served): an unfiltered count or list is then a size or a copy instead of a walk over every record.
  const std::vector<session_id>* visible_ids(const std::string& realm) const;

 private:
  struct view {
    bool baselined = false;
    bool online = false;
    bool suspended = false;  // see suspend()
    std::unordered_map<session_id, record_ptr> told;
    std::unordered_set<session_id> dirty;  // changed while offline
    // What was published since the last confirm (what a lost link may have dropped), in publication order,
    // each with the mark it was published at: a confirm drops a prefix. A session dropped from what was told
    // without a word (a quiet leave) voids its entries up to the mark of that moment.
    struct published_record {
      session_id id;
      record_ptr rec;
      std::uint64_t mark;
    };
    std::deque<published_record> unconfirmed;
    std::unordered_map<session_id, std::uint64_t> unconfirmed_void;
    std::uint64_t published = 0;
    // Sessions whose last event may be lost: told again, whatever `told` says.
    std::unordered_map<session_id, record_ptr> uncertain;
    // The realm's visible sessions in the mirror (not what was told): ids, and each one's place in `ids`.
    std::vector<session_id> ids;
    std::unordered_map<session_id, std::size_t> id_pos;
    // Sessions that leave without an on_leave (see leave_quietly).
    std::unordered_set<session_id> quiet;

    // Registrations and subscriptions, keyed by obs_key(): what was told of each, those that changed while
    // offline, those published since the last confirm (with the mark), and those whose last events may be lost.
    struct told_observation {
      std::shared_ptr<const observation_info> info;
      std::unordered_set<session_id> members;
    };
    std::unordered_map<std::uint64_t, told_observation> told_obs;
    std::unordered_set<std::uint64_t> obs_dirty;
    std::unordered_map<std::uint64_t, std::uint64_t> obs_unconfirmed;
    std::unordered_set<std::uint64_t> obs_uncertain;
  };

  // Phases of telling a registration's or subscription's difference: what ends goes before the session
  // events of the same change set, what begins after them.
  enum class phase { ends, begins, both };
  static std::uint64_t obs_key(observation_kind kind, std::uint64_t id) {
    return id * 2 + (kind == observation_kind::subscription ? 1 : 0);
  }

  // Tells the session changes of `changes` (or, with `defer` or while the realm does not tell, marks them
  // for flush()).
  void dispatch(const std::vector<change>& changes, std::vector<meta_event>& out, bool defer = false);
  // The same for the registration and subscription changes, in phase `p`.
  void dispatch_observations(const std::vector<change>& changes, phase p, std::vector<meta_event>& out,
                             bool defer = false);
  void converge_observation(const std::string& realm, view& v, std::uint64_t key, session_id hint, phase p,
                            std::vector<meta_event>& out);
  void announce_observation(const std::string& realm, view& v, std::uint64_t key, meta_event e,
                            std::vector<meta_event>& out);
  view* view_for(const std::string& realm);
  void converge(const std::string& realm, view& v, session_id id, std::vector<meta_event>& out);
  // Same, with the mirror's visible record of `id` (nullptr: none) already looked up.
  void converge(const std::string& realm, view& v, session_id id, record_ptr truth, std::vector<meta_event>& out);
  void announce(const std::string& realm, view& v, meta_event::kind what, record_ptr rec, std::vector<meta_event>& out);
  void baseline(const std::string& realm, view& v);
  // Whether events go out for `v` now: its link is up, and the mirror is live (a mirror being resynced may
  // hold sessions of a router that is gone: nothing is told from it).
  bool tells(const view& v) const { return v.online && v.baselined && mirror_.state() == mirror::status::live; }
  // Tells what waited: the uncertain and the changed sessions, if tells(v).
  void flush(const std::string& realm, view& v, std::vector<meta_event>& out);
  void index(view& v, session_id id, bool shown);
  void reindex(const std::string& realm, view& v);
  record_ptr visible_record(const std::string& realm, session_id id) const;
  void maybe_auto_serve(const std::string& realm);

  options opts_;
  mirror mirror_;
  std::set<std::string> hidden_roles_;
  std::unordered_set<session_id> hidden_ids_;
  std::map<std::string, view> views_;
  std::vector<std::string> new_realms_;
  bool synced_once_ = false;
};

}  // namespace wamp_metad::core
