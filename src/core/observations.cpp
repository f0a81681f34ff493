#include "wamp_metad/core/observations.hpp"

#include <algorithm>

#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::core {

observation_change observation_table::attach(session_id member, std::uint64_t id, std::string_view uri,
                                             match_policy match, std::string_view invoke, std::string_view created) {
  observation_change c;
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    observation o;
    o.id = id;
    o.uri = uri;
    o.match = match;
    o.invoke = invoke;
    o.created = created;
    it = by_id_.emplace(id, std::move(o)).first;
    if (!index_.add(it->second.uri, match, id)) {  // the same uri and match under another id
      by_id_.erase(it);
      c.conflict = true;
      return c;
    }
    c.created = true;
  } else if (it->second.uri != uri || it->second.match != match) {
    c.conflict = true;  // one id, two patterns
    return c;
  }
  if (it->second.members.insert(member).second) {
    c.attached = true;
    by_member_[member].push_back(id);
    ++members_;
  }
  return c;
}

observation_change observation_table::detach(session_id member, std::uint64_t id) {
  observation_change c;
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.members.erase(member) == 0) return c;
  c.detached = true;
  --members_;
  if (auto held = by_member_.find(member); held != by_member_.end()) {
    auto& ids = held->second;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) by_member_.erase(held);
  }
  if (it->second.members.empty()) {
    index_.remove(it->second.uri, it->second.match);
    by_id_.erase(it);
    c.deleted = true;
  }
  return c;
}

std::vector<std::pair<std::uint64_t, observation_change>> observation_table::detach_all(session_id member) {
  std::vector<std::pair<std::uint64_t, observation_change>> out;
  for (std::uint64_t id : of_member(member))
    out.emplace_back(id, detach(member, id));
  return out;
}

const observation* observation_table::get(std::uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::optional<std::uint64_t> observation_table::lookup(std::string_view uri, match_policy match) const {
  return index_.find(uri, match);
}

std::optional<std::uint64_t> observation_table::best_match(std::string_view uri) const {
  return index_.best(uri);
}

std::vector<std::uint64_t> observation_table::all_matches(std::string_view uri) const {
  return index_.all(uri);
}

std::vector<std::uint64_t> observation_table::of_member(session_id member) const {
  auto it = by_member_.find(member);
  return it == by_member_.end() ? std::vector<std::uint64_t>{} : it->second;
}

observation_table& observations::table(const std::string& realm, observation_kind kind) {
  auto& t = realms_[realm];
  return kind == observation_kind::registration ? t.registrations : t.subscriptions;
}

const observation_table* observations::find(const std::string& realm, observation_kind kind) const {
  auto it = realms_.find(realm);
  if (it == realms_.end()) return nullptr;
  return kind == observation_kind::registration ? &it->second.registrations : &it->second.subscriptions;
}

void observations::forget_realm(const std::string& realm) {
  realms_.erase(realm);
}

// ---------------------------------------------------------------------------------------------------------
// The meta procedures.

namespace {

bool reserved(std::string_view uri) {
  return uri.rfind(uri::reserved_prefix, 0) == 0;
}

// The entry a query may show: it exists, and its URI is not reserved unless the caller may see those.
const observation* shown(const observation_query& q, std::uint64_t id) {
  const observation* o = q.table ? q.table->get(id) : nullptr;
  return o && (q.show_reserved || !reserved(o->uri)) ? o : nullptr;
}

const char* noun(observation_kind kind) {
  return kind == observation_kind::registration ? "registration" : "subscription";
}

// An id argument: exactly one positional integer in [1, 2^53], no kwargs; the entry it names.
outcome<const observation*> read_id(const observation_query& q, const array& args, const object& kwargs) {
  if (auto err = unknown_kwarg(kwargs, {})) return *err;
  if (args.size() != 1)
    return invalid_argument("expected exactly one positional argument, the " + std::string(noun(q.kind)) + " id; got " +
                            std::to_string(args.size()));
  std::uint64_t id = 0;
  if (!args[0].as_unsigned(id) || !session_id::valid(id))
    return invalid_argument(std::string(noun(q.kind)) + " id must be an integer from 1 to 2^53, got " +
                            describe(args[0]));
  const observation* o = shown(q, id);
  if (!o)
    return call_error{q.kind == observation_kind::registration ? uri::no_such_registration : uri::no_such_subscription,
                      "no " + std::string(noun(q.kind)) + " " + std::to_string(id) + " in this realm"};
  return o;
}

// A URI argument (the first positional one): a string of at most max_uri_length characters.
outcome<std::string> read_uri(const array& args, std::size_t max_args, const char* what) {
  if (args.empty() || args.size() > max_args)
    return invalid_argument(std::string("expected ") + what + "; got " + std::to_string(args.size()) +
                            " positional arguments");
  const auto* s = args[0].get_if<std::string>();
  if (!s || s->empty() || s->size() > max_uri_length)
    return invalid_argument("the URI must be a non-empty string of at most " + std::to_string(max_uri_length) +
                            " characters, got " + describe(args[0]));
  return *s;
}

value id_or_null(const observation_query& q, std::optional<std::uint64_t> id) {
  if (id && shown(q, *id)) return value(*id);
  return value();
}

}  // namespace

value observation_details(const observation_info& o) {
  object d{{"id", o.id}, {"created", o.created}, {"uri", o.uri}, {"match", match_name(o.match)}};
  if (o.kind == observation_kind::registration) d.emplace_back("invoke", o.invoke);
  return value(std::move(d));
}

outcome<removal_plan> plan_removal(const observation_query& q, const array& args, const object& kwargs) {
  if (auto err = unknown_kwarg(kwargs, {"reason"})) return *err;
  const char* member_name = q.kind == observation_kind::registration ? "callee" : "subscriber";
  if (args.size() < 2 || args.size() > 3)
    return invalid_argument("expected the " + std::string(noun(q.kind)) + " id, the " + member_name +
                            "'s session id and optionally a reason; got " + std::to_string(args.size()) +
                            " positional arguments");
  auto o = read_id(q, array{args[0]}, {});
  if (!o.ok()) return o.error();
  auto member = parse_session_id(args[1]);
  if (!member.ok()) return member.error();
  if (o.value()->members.count(member.value()) == 0)
    return call_error{uri::no_such_session, "session " + std::to_string(member.value().value) + " is no " +
                                                member_name + " of " + noun(q.kind) + " " +
                                                std::to_string(o.value()->id)};
  removal_plan plan{q.kind, o.value()->id, member.value(), std::nullopt};
  const value* reason = kwarg(kwargs, "reason");
  if ((!reason || reason->is_null()) && args.size() == 3) reason = &args[2];
  if (reason && !reason->is_null()) {
    const auto* s = reason->get_if<std::string>();
    if (!s || !valid_uri(*s)) return call_error{uri::invalid_uri, "reason must be a URI, got " + describe(*reason)};
    plan.reason = *s;
  }
  return plan;
}

outcome<call_result> call_observation_list(const observation_query& q, const array& args, const object& kwargs) {
  if (auto err = unknown_kwarg(kwargs, {"session"})) return *err;
  if (args.size() > 1 || (args.size() == 1 && kwarg(kwargs, "session")))
    return invalid_argument("expected at most one argument, a session id (positional or keyword session)");
  const value* who = args.empty() ? kwarg(kwargs, "session") : &args[0];
  std::optional<session_id> only;
  if (who && !who->is_null()) {
    auto id = parse_session_id(*who);
    if (!id.ok()) return id.error();
    only = id.value();
  }
  array exact, prefix, wildcard;
  const auto add = [&](const observation& o) {
    if (!q.show_reserved && reserved(o.uri)) return;
    (o.match == match_policy::exact ? exact : o.match == match_policy::prefix ? prefix : wildcard).emplace_back(o.id);
  };
  if (q.table) {
    if (only) {
      for (std::uint64_t id : q.table->of_member(*only))
        add(*q.table->get(id));
    } else {
      q.table->for_each(add);
    }
  }
  object lists{{"exact", std::move(exact)}, {"prefix", std::move(prefix)}, {"wildcard", std::move(wildcard)}};
  return call_result{array{value(std::move(lists))}, {}};
}

outcome<call_result> call_observation_lookup(const observation_query& q, const array& args, const object& kwargs) {
  if (auto err = unknown_kwarg(kwargs, {"match"})) return *err;
  auto uri = read_uri(args, 2, "the URI, then optionally an options dict");
  if (!uri.ok()) return uri.error();
  const value* policy = kwarg(kwargs, "match");
  if (args.size() == 2) {
    const auto* options = args[1].get_if<object>();
    if (!options && !args[1].is_null()) return invalid_argument("options must be a dict, got " + describe(args[1]));
    if (options) {
      if (auto err = unknown_kwarg(*options, {"match"})) return *err;
      if (const value* m = kwarg(*options, "match"); m && !policy) policy = m;
    }
  }
  match_policy match = match_policy::exact;
  if (policy && !policy->is_null()) {
    const auto* text = policy->get_if<std::string>();
    auto parsed = text ? parse_match(*text) : std::nullopt;
    if (!parsed)
      return invalid_argument("match must be \"exact\", \"prefix\" or \"wildcard\", got " + describe(*policy));
    match = *parsed;
  }
  return call_result{array{id_or_null(q, q.table ? q.table->lookup(uri.value(), match) : std::nullopt)}, {}};
}

outcome<call_result> call_observation_match(const observation_query& q, const array& args, const object& kwargs) {
  if (auto err = unknown_kwarg(kwargs, {})) return *err;
  auto uri = read_uri(args, 1, "exactly one positional argument, the URI");
  if (!uri.ok()) return uri.error();
  if (q.kind == observation_kind::registration)
    return call_result{array{id_or_null(q, q.table ? q.table->best_match(uri.value()) : std::nullopt)}, {}};
  array ids;
  if (q.table)
    for (std::uint64_t id : q.table->all_matches(uri.value()))
      if (shown(q, id)) ids.emplace_back(id);
  if (ids.empty()) return call_result{array{value()}, {}};
  return call_result{array{value(std::move(ids))}, {}};
}

outcome<call_result> call_observation_get(const observation_query& q, const array& args, const object& kwargs) {
  auto o = read_id(q, args, kwargs);
  if (!o.ok()) return o.error();
  const observation& found = *o.value();
  return call_result{array{observation_details(
                         observation_info{q.kind, found.id, found.uri, found.match, found.invoke, found.created})},
                     {}};
}

outcome<call_result> call_observation_members(const observation_query& q, const array& args, const object& kwargs) {
  auto o = read_id(q, args, kwargs);
  if (!o.ok()) return o.error();
  array ids;
  ids.reserve(o.value()->members.size());
  for (session_id s : o.value()->members)
    ids.emplace_back(s.value);
  return call_result{array{value(std::move(ids))}, {}};
}

outcome<call_result> call_observation_count(const observation_query& q, const array& args, const object& kwargs) {
  auto o = read_id(q, args, kwargs);
  if (!o.ok()) return o.error();
  return call_result{array{static_cast<std::uint64_t>(o.value()->members.size())}, {}};
}

}  // namespace wamp_metad::core
