// The Session Meta API's procedures as plain functions: arguments (already decoded into values) in, a
// result payload or an error URI with a message out. The adapter only moves these across the wire.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wamp_metad/core/registry.hpp"
#include "wamp_metad/core/result.hpp"
#include "wamp_metad/core/value.hpp"

namespace wamp_metad::core {

// Argument checking shared by every procedure.
call_error invalid_argument(std::string message);
// A short description of a value for an error message: its type and, for scalars, a prefix of it.
std::string describe(const value& v);
// The first keyword argument not named in `known`, as an error; nullopt when there is none.
std::optional<call_error> unknown_kwarg(const object& kwargs, std::initializer_list<std::string_view> known);
const value* kwarg(const object& kwargs, std::string_view key);

// A WAMP URI by the spec's loose rule: dot-separated non-empty components without whitespace or '#'.
inline constexpr std::size_t max_uri_length = 1024;
bool valid_uri(std::string_view uri);

// filter_authroles: nullopt = no filter (absent or null); a sorted list without duplicates (as parse_filter
// makes it) = sessions whose authrole is in it. An empty list matches nothing (as Crossbar does; nexus
// matches everything, the spec is silent).
using authrole_filter = std::optional<std::vector<std::string>>;

// Most authroles one filter may name: bounds the work a single call can ask for.
inline constexpr std::size_t max_filter_authroles = 1024;

// Reads filter_authroles from `[filter]` or kwarg `filter_authroles` (not both). Every other shape is
// wamp.error.invalid_argument, with a message saying what was wrong.
outcome<authrole_filter> parse_filter(const array& args, const object& kwargs);
// Reads the session id of wamp.session.get: exactly one positional integer in [1, 2^53], no kwargs.
outcome<session_id> parse_session_arg(const array& args, const object& kwargs);
// Reads one session id: an integer in [1, 2^53] (or a float64 that holds one exactly).
outcome<session_id> parse_session_id(const value& v);

bool matches(const authrole_filter& filter, const std::string& authrole);

std::uint64_t count_sessions(const registry& reg, const std::string& realm, const authrole_filter& filter);
std::vector<session_id> list_sessions(const registry& reg, const std::string& realm, const authrole_filter& filter);

// Whole procedures: payload shapes exactly as the spec has them.
outcome<call_result> call_count(const registry& reg, const std::string& realm, const array& args,
                                const object& kwargs);  // [n]
outcome<call_result> call_list(const registry& reg, const std::string& realm, const array& args,
                               const object& kwargs);  // [[id, ...]]
outcome<call_result> call_get(const registry& reg, const std::string& realm, const array& args,
                              const object& kwargs);  // [details]

// The error wamp.session.get answers for an id the realm does not have (visible).
call_error no_such_session(session_id id);

}  // namespace wamp_metad::core
