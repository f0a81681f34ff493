#include "wamp_metad/core/kill.hpp"

#include <utility>

#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::core {
namespace {

const char* argument_name(kill_kind kind) {
  switch (kind) {
    case kill_kind::one:
      return "the session id";
    case kill_kind::by_authid:
      return "the authid";
    case kill_kind::by_authrole:
      return "the authrole";
    case kill_kind::all:
      break;
  }
  return "none";
}

// reason (a URI; default wamp.close.killed) and message (a string), both optional and nullable.
std::optional<call_error> read_options(const object& kwargs, kill_plan& plan) {
  if (auto err = unknown_kwarg(kwargs, {"reason", "message"})) return err;
  plan.reason = uri::close_killed;
  if (const value* reason = kwarg(kwargs, "reason"); reason && !reason->is_null()) {
    const auto* s = reason->get_if<std::string>();
    if (!s || !valid_uri(*s))
      return call_error{
          uri::invalid_uri,
          "reason must be a URI (dot-separated components without spaces or '#'), got " + describe(*reason)};
    plan.reason = *s;
  }
  if (const value* message = kwarg(kwargs, "message"); message && !message->is_null()) {
    const auto* s = message->get_if<std::string>();
    if (!s) return invalid_argument("message must be a string, got " + describe(*message));
    plan.message = *s;
  }
  return std::nullopt;
}

}  // namespace

outcome<kill_plan> plan_kill(const registry& reg, const std::string& realm, kill_kind kind, session_id caller,
                             const array& args, const object& kwargs) {
  kill_plan plan;
  plan.kind = kind;
  if (auto err = read_options(kwargs, plan)) return *err;

  if (kind == kill_kind::all && !args.empty())
    return invalid_argument("kill_all takes no positional arguments; got " + std::to_string(args.size()));
  if (kind != kill_kind::all && args.size() != 1)
    return invalid_argument("expected exactly one positional argument, " + std::string(argument_name(kind)) + "; got " +
                            std::to_string(args.size()));

  switch (kind) {
    case kill_kind::one: {
      auto id = parse_session_arg(args, {});
      if (!id.ok()) return id.error();
      // The caller's own session is never killed: to the caller it does not exist as a target.
      if (id.value() == caller || !reg.find(realm, id.value())) return no_such_session(id.value());
      plan.targets.push_back(id.value());
      break;
    }
    case kill_kind::by_authid:
    case kill_kind::by_authrole: {
      const auto* name = args[0].get_if<std::string>();
      if (!name)
        return invalid_argument(std::string(argument_name(kind)) + " must be a string, got " + describe(args[0]));
      const bool by_id = kind == kill_kind::by_authid;
      reg.for_each_visible(realm, [&](const session_record& s) {
        if (s.id != caller && (by_id ? s.authid : s.authrole) == *name) plan.targets.push_back(s.id);
      });
      break;
    }
    case kill_kind::all:
      reg.for_each_visible(realm, [&](const session_record& s) {
        if (s.id != caller) plan.targets.push_back(s.id);
      });
      break;
  }
  return plan;
}

call_result kill_result(kill_kind kind, const std::vector<session_id>& killed) {
  switch (kind) {
    case kill_kind::one:
      return call_result{};
    case kill_kind::by_authid: {
      array ids;
      ids.reserve(killed.size());
      for (session_id id : killed)
        ids.emplace_back(id.value);
      return call_result{array{value(std::move(ids))}, {}};
    }
    case kill_kind::by_authrole:
    case kill_kind::all:
      break;
  }
  return call_result{array{static_cast<std::uint64_t>(killed.size())}, {}};
}

}  // namespace wamp_metad::core
