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

// reason (a URI; default wamp.close.killed) and message (a string), both optional and nullable: as keyword
// arguments (the spec's form), or positionally after the first argument (Crossbar's form: [target, reason,
// message], args[1] and args[2]). A keyword wins over the positional value when both are given.
std::optional<call_error> read_options(const array& args, const object& kwargs, kill_plan& plan) {
  if (auto err = unknown_kwarg(kwargs, {"reason", "message"})) return err;
  const auto option = [&](const char* name, std::size_t index) -> const value* {
    if (const value* kw = kwarg(kwargs, name); kw && !kw->is_null()) return kw;
    if (index < args.size() && !args[index].is_null()) return &args[index];
    return nullptr;
  };
  plan.reason = uri::close_killed;
  if (const value* reason = option("reason", 1)) {
    const auto* s = reason->get_if<std::string>();
    // A second positional argument that is no string is a call of another shape (two ids, say), not a reason.
    if (!s && args.size() > 1 && reason == &args[1])
      return invalid_argument("the second positional argument is the reason, a URI string; got " + describe(*reason));
    if (!s || !valid_uri(*s))
      return call_error{
          uri::invalid_uri,
          "reason must be a URI (dot-separated components without spaces or '#'), got " + describe(*reason)};
    plan.reason = *s;
  }
  if (const value* message = option("message", 2)) {
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
  if (kind == kill_kind::all && !args.empty())
    return invalid_argument("kill_all takes no positional arguments; got " + std::to_string(args.size()));
  if (kind != kill_kind::all && (args.empty() || args.size() > 3))
    return invalid_argument("expected " + std::string(argument_name(kind)) +
                            ", then optionally reason and message; got " + std::to_string(args.size()) +
                            " positional arguments");
  if (auto err = read_options(args, kwargs, plan)) return *err;

  switch (kind) {
    case kill_kind::one: {
      auto id = parse_session_id(args[0]);
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
