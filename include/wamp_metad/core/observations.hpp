// The registrations and subscriptions of every realm, mirrored from the router's hooks (hook protocol v2):
// who serves which procedure (callees) and who listens to which topic (subscribers), with the router's own
// ids: one registration or subscription per (realm, uri, match), shared by its callees or subscribers,
// created by the first one and deleted with the last. Each session's entries are indexed by session, so
// that a session that leaves is cleaned up in proportion to what it held; URIs are indexed by pattern (see
// patterns.hpp), so that matching is no scan. Standard library only; one owner thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/patterns.hpp"
#include "wamp_metad/core/result.hpp"
#include "wamp_metad/core/session.hpp"

namespace wamp_metad::core {

// A registration or a subscription, as the meta API describes it.
struct observation {
  std::uint64_t id = 0;
  std::string uri;
  match_policy match = match_policy::exact;
  std::string invoke;                      // registrations only ("single", "roundrobin", ...)
  std::string created;                     // ISO 8601 UTC, as the router reported it
  std::unordered_set<session_id> members;  // callees or subscribers
};

// What attaching or detaching one member changed, so that the caller can tell it (on_create before the first
// on_register / on_subscribe; on_unregister / on_unsubscribe before on_delete).
struct observation_change {
  bool created = false;   // the first member made it
  bool attached = false;  // the member is new to it
  bool detached = false;  // the member was in it and is gone
  bool deleted = false;   // the last member went
  bool conflict = false;  // the hook contradicts the mirror (another id for the same uri and match): resync
};

// One kind (registrations or subscriptions) in one realm. Movable, not copyable: the pattern index keeps
// views of the URIs its entries hold.
class observation_table {
 public:
  observation_table() = default;
  observation_table(const observation_table&) = delete;
  observation_table& operator=(const observation_table&) = delete;
  observation_table(observation_table&&) = default;
  observation_table& operator=(observation_table&&) = default;

  observation_change attach(session_id member, std::uint64_t id, std::string_view uri, match_policy match,
                            std::string_view invoke, std::string_view created);
  observation_change detach(session_id member, std::uint64_t id);
  // Every entry `member` holds, detached (the member left); what each detach changed, in no set order.
  std::vector<std::pair<std::uint64_t, observation_change>> detach_all(session_id member);

  const observation* get(std::uint64_t id) const;
  std::optional<std::uint64_t> lookup(std::string_view uri, match_policy match) const;
  // The registration a call to `uri` reaches (the spec's ranking), or nullopt.
  std::optional<std::uint64_t> best_match(std::string_view uri) const;
  // Every subscription an event on `uri` reaches.
  std::vector<std::uint64_t> all_matches(std::string_view uri) const;
  // The ids of the entries `member` holds (each once).
  std::vector<std::uint64_t> of_member(session_id member) const;
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [id, o] : by_id_)
      f(o);
  }
  std::size_t size() const { return by_id_.size(); }
  std::size_t members() const { return members_; }

 private:
  std::unordered_map<std::uint64_t, observation> by_id_;  // nodes never move: the index keeps views of uri
  pattern_index index_;
  std::unordered_map<session_id, std::vector<std::uint64_t>> by_member_;
  std::size_t members_ = 0;
};

// Both kinds, for every realm.
class observations {
 public:
  observation_table& table(const std::string& realm, observation_kind kind);
  // nullptr for a realm with none of that kind.
  const observation_table* find(const std::string& realm, observation_kind kind) const;
  void forget_realm(const std::string& realm);
  // f(realm, kind, table) for every table.
  template <class F>
  void for_each_table(F&& f) const {
    for (const auto& [realm, t] : realms_) {
      f(realm, observation_kind::registration, t.registrations);
      f(realm, observation_kind::subscription, t.subscriptions);
    }
  }
  bool empty() const { return realms_.empty(); }

 private:
  struct realm_tables {
    observation_table registrations;
    observation_table subscriptions;
  };
  std::unordered_map<std::string, realm_tables> realms_;
};

// --- the meta procedures' semantics (wamp.registration.* and wamp.subscription.*), payloads as the spec has
// them. URIs under wamp. are the router's and wamp-metad's own: they are listed, looked up and matched only
// for callers that may see them (`show_reserved`).
struct observation_query {
  const observation_table* table = nullptr;  // the caller's realm's, of the procedure's kind; may be null
  observation_kind kind = observation_kind::subscription;
  bool show_reserved = false;
};

// list([session?]) -> [{exact: [ids], prefix: [ids], wildcard: [ids]}]
outcome<call_result> call_observation_list(const observation_query& q, const array& args, const object& kwargs);
// lookup(uri, options?) -> [id] or [null]; options.match picks the policy (default exact)
outcome<call_result> call_observation_lookup(const observation_query& q, const array& args, const object& kwargs);
// registration.match(uri) -> [id] or [null]; subscription.match(uri) -> [[ids]] or [null]
outcome<call_result> call_observation_match(const observation_query& q, const array& args, const object& kwargs);
// get(id) -> [{id, created, uri, match(, invoke)}]
outcome<call_result> call_observation_get(const observation_query& q, const array& args, const object& kwargs);
// list_callees / list_subscribers(id) -> [[session ids]]
outcome<call_result> call_observation_members(const observation_query& q, const array& args, const object& kwargs);
// count_callees / count_subscribers(id) -> [n]
outcome<call_result> call_observation_count(const observation_query& q, const array& args, const object& kwargs);

// wamp.registration.remove_callee / wamp.subscription.remove_subscriber: what the router is to remove.
struct removal_plan {
  observation_kind kind = observation_kind::registration;
  std::uint64_t id = 0;
  session_id member;
  std::optional<std::string> reason;
};
// [id, member, reason?] (reason also as keyword; the keyword wins), as Crossbar takes them. Errors:
// no_such_registration / no_such_subscription for an id the caller may not see, no_such_session for a session
// that is not a member, invalid_uri for a reason that is no URI, invalid_argument for any other shape.
outcome<removal_plan> plan_removal(const observation_query& q, const array& args, const object& kwargs);

// The details dict of get and on_create.
value observation_details(const observation_info& o);

}  // namespace wamp_metad::core
