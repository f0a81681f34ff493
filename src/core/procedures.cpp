#include "wamp_metad/core/procedures.hpp"

#include <algorithm>
#include <string>

#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::core {
namespace {

// Adapts a procedure whose answer is always a result.
template <outcome<call_result> (*f)(const registry&, const std::string&, const array&, const object&)>
outcome<answer> plain(call_context& c) {
  auto r = f(c.sessions, c.realm, c.args, c.kwargs);
  if (!r.ok()) return r.error();
  return answer{std::move(r.value())};
}

// Defence in depth: the router should keep the kill family from the roles that must not kill, and
// wamp-metad checks the caller's authrole (as its mirror has it) once more.
std::optional<call_error> kill_refused(const call_context& c) {
  const auto& allowed = c.policy.kill_authroles;
  if (allowed.empty()) return std::nullopt;
  const session_record* caller = c.sessions.truth().find(c.realm, c.caller);
  if (!caller)
    return call_error{uri::unavailable, "session " + std::to_string(c.caller.value) +
                                            " is not in wamp-metad's mirror yet, so its authrole cannot be "
                                            "checked; try again"};
  const std::string& role = caller->authrole;
  if (std::find(allowed.begin(), allowed.end(), role) != allowed.end()) return std::nullopt;
  std::string names;
  for (const auto& a : allowed)
    names += (names.empty() ? "'" : ", '") + a + "'";
  return call_error{
      uri::not_authorized,
      "authrole '" + role + "' may not kill sessions (wamp-metad's --kill-authrole allows " + names + ")"};
}

// Sessions hidden from the meta API (wamp-metad's own, the meta role) may see the reserved wamp.* entries.
bool sees_reserved(const call_context& c) {
  const session_record* caller = c.sessions.truth().find(c.realm, c.caller);
  return caller && !c.sessions.visible(*caller);
}

observation_query query_of(const call_context& c, observation_kind kind) {
  return {c.sessions.truth().observations().find(c.realm, kind), kind, sees_reserved(c)};
}

template <outcome<call_result> (*f)(const observation_query&, const array&, const object&), observation_kind kind>
outcome<answer> observation_call(call_context& c) {
  auto r = f(query_of(c, kind), c.args, c.kwargs);
  if (!r.ok()) return r.error();
  return answer{std::move(r.value())};
}

template <observation_kind kind>
outcome<answer> removal_call(call_context& c) {
  if (auto err = kill_refused(c)) return *err;
  auto plan = plan_removal(query_of(c, kind), c.args, c.kwargs);
  if (!plan.ok()) return plan.error();
  return answer{std::move(plan.value())};
}

template <kill_kind kind>
outcome<answer> kill_call(call_context& c) {
  if (auto err = kill_refused(c)) return *err;
  auto plan = plan_kill(c.sessions, c.realm, kind, c.caller, c.args, c.kwargs);
  if (!plan.ok()) return plan.error();
  return answer{std::move(plan.value())};
}

// Testaments are published when the mirror sees their session go: one it does not hold would never be.
std::optional<call_error> caller_not_mirrored(const call_context& c) {
  if (c.sessions.truth().has(c.realm, c.caller)) return std::nullopt;
  return call_error{uri::unavailable, "session " + std::to_string(c.caller.value) +
                                          " is not in wamp-metad's mirror of the router yet; try again"};
}

// A testament plan: carried out by whoever keeps the testaments (see calls.cpp).
template <outcome<testament_plan> (testament_store::*f)(const std::string&, session_id, const array&, const object&)
              const>
outcome<answer> testament_call(call_context& c) {
  if (auto err = caller_not_mirrored(c)) return *err;
  auto r = (c.testaments.*f)(c.realm, c.caller, c.args, c.kwargs);
  if (!r.ok()) return r.error();
  return answer{std::move(r.value())};
}

}  // namespace

const std::vector<procedure>& procedures() {
  using w = wait_policy;
  using a = meta_api;
  using f = procedure_flag;
  constexpr procedure_flags no_flags{};
  constexpr auto reg = observation_kind::registration;
  constexpr auto sub = observation_kind::subscription;
  static const std::vector<procedure> table{
      // uri, handler, wait, opt-in, meta API, flags, summary
      {uri::count, plain<call_count>, w::caller, opt_in::none, a::session, no_flags,
       "[filter_authroles?] -> [n]: the realm's sessions, of these authroles if given"},
      {uri::list, plain<call_list>, w::caller, opt_in::none, a::session, no_flags,
       "[filter_authroles?] -> [[ids]]: the realm's session ids, of these authroles if given"},
      {uri::get, plain<call_get>, w::caller, opt_in::none, a::session, f::names_session,
       "[session] -> [details]: one session's details, as on_join has them"},
      {uri::add_testament, testament_call<&testament_store::plan_add>, w::caller, opt_in::testaments, a::testament,
       f::needs_caller, "[topic, args, kwargs], {scope?, publish_options?} -> []: published when the caller goes"},
      {uri::flush_testaments, testament_call<&testament_store::plan_flush>, w::caller, opt_in::testaments, a::testament,
       f::needs_caller, "{scope?} -> []: forgets the caller's testaments"},
      {uri::kill, kill_call<kill_kind::one>, w::caller, opt_in::kill, a::session, f::needs_caller | f::names_session,
       "[session, reason?, message?], {reason?, message?} -> []: ends one session (never the caller)"},
      {uri::kill_by_authid, kill_call<kill_kind::by_authid>, w::router, opt_in::kill, a::session, f::needs_caller,
       "[authid, reason?, message?], {reason?, message?} -> [[ids]]: ends every session of this authid but the "
       "caller"},
      {uri::kill_by_authrole, kill_call<kill_kind::by_authrole>, w::router, opt_in::kill, a::session, f::needs_caller,
       "[authrole, reason?, message?], {reason?, message?} -> [n]: ends every session of this authrole but the "
       "caller"},
      {uri::kill_all, kill_call<kill_kind::all>, w::router, opt_in::kill, a::session, f::needs_caller,
       "{reason?, message?} -> [n]: ends every session but the caller, with no on_leave and no testaments"},
      {uri::registration_list, observation_call<call_observation_list, reg>, w::caller, opt_in::none, a::registration,
       f::needs_v2, "[session?] -> [{exact, prefix, wildcard}]: the realm's registration ids (of one callee if given)"},
      {uri::registration_lookup, observation_call<call_observation_lookup, reg>, w::caller, opt_in::none,
       a::registration, f::needs_v2,
       "[uri, {match?}] -> [id or null]: the registration of exactly this uri and match policy"},
      {uri::registration_match, observation_call<call_observation_match, reg>, w::caller, opt_in::none, a::registration,
       f::needs_v2, "[uri] -> [id or null]: the registration a call to uri reaches"},
      {uri::registration_get, observation_call<call_observation_get, reg>, w::caller, opt_in::none, a::registration,
       f::needs_v2, "[id] -> [{id, created, uri, match, invoke}]: one registration"},
      {uri::registration_list_callees, observation_call<call_observation_members, reg>, w::caller, opt_in::none,
       a::registration, f::needs_v2, "[id] -> [[session ids]]: the callees of a registration"},
      {uri::registration_count_callees, observation_call<call_observation_count, reg>, w::caller, opt_in::none,
       a::registration, f::needs_v2, "[id] -> [n]: how many callees a registration has"},
      {uri::registration_remove_callee, removal_call<reg>, w::caller, opt_in::kill, a::registration,
       f::needs_caller | f::needs_v2,
       "[id, callee, reason?] -> []: the router unregisters that callee (it gets UNREGISTERED)"},
      {uri::subscription_list, observation_call<call_observation_list, sub>, w::caller, opt_in::none, a::subscription,
       f::needs_v2,
       "[session?] -> [{exact, prefix, wildcard}]: the realm's subscription ids (of one subscriber if given)"},
      {uri::subscription_lookup, observation_call<call_observation_lookup, sub>, w::caller, opt_in::none,
       a::subscription, f::needs_v2,
       "[uri, {match?}] -> [id or null]: the subscription of exactly this uri and match policy"},
      {uri::subscription_match, observation_call<call_observation_match, sub>, w::caller, opt_in::none, a::subscription,
       f::needs_v2, "[uri] -> [[ids] or null]: every subscription an event on uri reaches"},
      {uri::subscription_get, observation_call<call_observation_get, sub>, w::caller, opt_in::none, a::subscription,
       f::needs_v2, "[id] -> [{id, created, uri, match}]: one subscription"},
      {uri::subscription_list_subscribers, observation_call<call_observation_members, sub>, w::caller, opt_in::none,
       a::subscription, f::needs_v2, "[id] -> [[session ids]]: the subscribers of a subscription"},
      {uri::subscription_count_subscribers, observation_call<call_observation_count, sub>, w::caller, opt_in::none,
       a::subscription, f::needs_v2, "[id] -> [n]: how many subscribers a subscription has"},
      {uri::subscription_remove_subscriber, removal_call<sub>, w::caller, opt_in::kill, a::subscription,
       f::needs_caller | f::needs_v2,
       "[id, subscriber, reason?] -> []: the router unsubscribes that subscriber (it gets UNSUBSCRIBED)"},
  };
  return table;
}

const procedure* find_procedure(std::string_view uri) {
  const auto& table = procedures();
  auto it = std::find_if(table.begin(), table.end(), [uri](const procedure& p) { return uri == p.uri; });
  return it == table.end() ? nullptr : &*it;
}

const meta_api_feature& feature_of(meta_api api) {
  static constexpr meta_api_feature session{"session_meta_api", true, true};
  static constexpr meta_api_feature testament{"testament_meta_api", false, true};
  static constexpr meta_api_feature registration{"registration_meta_api", false, true};
  static constexpr meta_api_feature subscription{"subscription_meta_api", true, false};
  switch (api) {
    case meta_api::session:
      break;
    case meta_api::testament:
      return testament;
    case meta_api::registration:
      return registration;
    case meta_api::subscription:
      return subscription;
  }
  return session;
}

bool served(const procedure& p, const serving& s) {
  if (p.flags.has(procedure_flag::needs_v2) && !s.v2) return false;
  switch (p.group) {
    case opt_in::none:
      return true;
    case opt_in::kill:
      return s.kill;
    case opt_in::testaments:
      return s.testaments;
  }
  return false;
}

object features(const serving& s) {
  object broker, dealer;
  const auto announce = [](object& role, const char* name) {
    for (const auto& [n, v] : role)
      if (n == name) return;
    role.emplace_back(name, true);
  };
  for (const auto& p : procedures()) {
    if (!served(p, s)) continue;
    const meta_api_feature& f = feature_of(p.api);
    if (f.broker) announce(broker, f.name);
    if (f.dealer) announce(dealer, f.name);
  }
  return {{"broker", std::move(broker)}, {"dealer", std::move(dealer)}};
}

session_id named_session(const array& args) {
  if (args.empty()) return session_id{};
  auto id = parse_session_id(args[0]);
  return id.ok() ? id.value() : session_id{};
}

}  // namespace wamp_metad::core
