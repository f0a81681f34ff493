// wamp.session.kill, kill_by_authid, kill_by_authrole and kill_all as plain functions: which sessions a call
// names, with what reason and message, and the result the spec gives each procedure. The killing itself is
// the router's (hook router.session.kill); the adapter carries the plan out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::core {

enum class kill_kind { one, by_authid, by_authrole, all };

struct kill_plan {
  kill_kind kind = kill_kind::one;
  std::vector<session_id> targets;     // visible sessions of the realm, never the caller
  std::string reason;                  // GOODBYE.Reason (default uri::close_killed)
  std::optional<std::string> message;  // GOODBYE.Details.message
};

// Checks the arguments and picks the targets among the realm's visible sessions (hidden ones, such as
// wamp-metad's own, are never named). `caller` is the calling session (disclosed by the router).
// `args`: the target (none for kill_all), then optionally reason and message (Crossbar's positional form);
// `kwargs`: reason and message (the spec's form; they win over the positional ones).
// Errors: wamp.error.invalid_argument for a wrong shape, wamp.error.invalid_uri for a reason that is no URI,
// wamp.error.no_such_session for kill of an id the realm does not show or of the caller itself.
outcome<kill_plan> plan_kill(const registry& reg, const std::string& realm, kill_kind kind, session_id caller,
                             const array& args, const object& kwargs);

// The result once the router has killed `killed` (the targets it still had): kill -> no arguments,
// kill_by_authid -> [[ids]], kill_by_authrole and kill_all -> [n].
call_result kill_result(kill_kind kind, const std::vector<session_id>& killed);

}  // namespace wamp_metad::core
