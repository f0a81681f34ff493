// The table of meta procedures: everything wamp-metad knows about a procedure it serves, in one entry. The
// adapter registers, dispatches and waits by it; --procedures and docs/procedures.md list it; the meta API
// features a realm's WELCOMEs announce follow from it (features()).
//
// Adding a procedure is one entry here (procedures.cpp), its core function, and its tests.
#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include "wamp_metad/core/kill.hpp"
#include "wamp_metad/core/observations.hpp"
#include "wamp_metad/core/registry.hpp"
#include "wamp_metad/core/result.hpp"
#include "wamp_metad/core/testaments.hpp"

namespace wamp_metad::core {

// Who may do what, beyond what the router's own authorization already decided.
struct call_policy {
  // Authroles whose sessions may call the kill family; empty: every caller the router lets through.
  std::vector<std::string> kill_authroles;
};

// What a call sees: the mirror, the testaments, the policy, which realm, who calls, and the call's arguments.
struct call_context {
  const registry& sessions;
  testament_store& testaments;
  const call_policy& policy;
  const std::string& realm;
  session_id caller;  // 0 when the router did not disclose it
  const array& args;
  const object& kwargs;
};

// What a handler answers: the result to send, or a kill or a removal the adapter carries out through the
// router (a kill's result comes from kill_result() once the router has done it; a removal's is empty).
using answer = std::variant<call_result, kill_plan, removal_plan, testament_plan>;

// What a call waits for before it is answered, when the mirror may be behind the router.
enum class wait_policy {
  none,    // answered at once from the mirror
  caller,  // the caller (and the session the call names, see procedure_flag::names_session) in the mirror, else the
           // router's position, at most --get-wait-ms
  router,  // the router's position (router.session.sync), at most --get-wait-ms: acts on every session
};

// Procedures served only where the configuration asks for them.
enum class opt_in {
  none,        // always served
  kill,        // --enable-kill REALM
  testaments,  // --testament-max-count above 0 (the default)
};

// What else a procedure needs, beyond its wait and its opt-in.
enum class procedure_flag : unsigned {
  needs_caller = 1,   // acts for, or spares, the calling session: refused when the caller is not disclosed
  names_session = 2,  // the first positional argument is a session id the mirror must have (with wait caller)
  needs_v2 = 4,       // served only when the router speaks hook protocol v2 (registrations, subscriptions)
};

// A set of procedure flags: `needs_caller | names_session`, asked with has().
class procedure_flags {
 public:
  constexpr procedure_flags() = default;
  constexpr procedure_flags(procedure_flag f) : bits_(static_cast<unsigned>(f)) {}
  constexpr bool has(procedure_flag f) const { return (bits_ & static_cast<unsigned>(f)) != 0; }
  constexpr procedure_flags operator|(procedure_flags other) const {
    procedure_flags both;
    both.bits_ = bits_ | other.bits_;
    return both;
  }

 private:
  unsigned bits_ = 0;
};

constexpr procedure_flags operator|(procedure_flag a, procedure_flag b) {
  return procedure_flags(a) | b;
}

// The meta API a procedure belongs to: the feature WELCOME.Details.roles announces for it.
enum class meta_api { session, testament, registration, subscription };

struct meta_api_feature {
  const char* name;  // the feature's name: "session_meta_api", ...
  bool broker;       // announced under roles.broker.features
  bool dealer;       // announced under roles.dealer.features
};

// session_meta_api under broker and dealer, testament_meta_api and registration_meta_api under dealer,
// subscription_meta_api under broker.
const meta_api_feature& feature_of(meta_api api);

struct procedure {
  const char* uri;
  outcome<answer> (*handler)(call_context& call);
  wait_policy wait;
  opt_in group;
  meta_api api;
  procedure_flags flags;
  const char* summary;  // one line, for --procedures and the docs
};

// Every meta procedure, in the order they are registered and listed.
const std::vector<procedure>& procedures();
// The entry of `uri`; nullptr for a URI that is not a meta procedure.
const procedure* find_procedure(std::string_view uri);

// What a realm is served: which opt-in groups are on for it, and whether the router speaks hook protocol v2.
struct serving {
  bool testaments = true;  // --testament-max-count above 0
  bool kill = false;       // --enable-kill for the realm
  bool v2 = false;         // the router speaks hook protocol v2
};

// Whether `p` is served so.
bool served(const procedure& p, const serving& s);

// The meta API features of a realm served so, as WELCOME.Details.roles announces them:
// {broker: {NAME: true, ...}, dealer: {NAME: true, ...}}, the feature of every served procedure under its
// roles, each once, in the table's order.
object features(const serving& s);

// The session a call names in its first positional argument (procedure_flag::names_session), if it is a
// valid id.
session_id named_session(const array& args);

}  // namespace wamp_metad::core
