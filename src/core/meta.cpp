#include "wamp_metad/core/meta.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::core {
call_error invalid_argument(std::string message) {
  return call_error{uri::invalid_argument, std::move(message)};
}

// "integer -5", "string \"abc\"", "dict": enough to see what was sent, never the whole of a large value.
std::string describe(const value& v) {
  std::string out = type_name(v);
  if (const auto* i = v.get_if<std::int64_t>()) return out + " " + std::to_string(*i);
  if (const auto* u = v.get_if<std::uint64_t>()) return out + " " + std::to_string(*u);
  if (const auto* d = v.get_if<double>()) return out + " " + std::to_string(*d);
  if (const auto* b = v.get_if<bool>()) return out + (*b ? " true" : " false");
  if (const auto* s = v.get_if<std::string>()) {
    constexpr std::size_t shown = 40;
    return out + " \"" + s->substr(0, shown) + (s->size() > shown ? "...\"" : "\"");
  }
  return out;
}

std::optional<call_error> unknown_kwarg(const object& kwargs, std::initializer_list<std::string_view> known) {
  for (const auto& [key, v] : kwargs)
    if (std::find(known.begin(), known.end(), key) == known.end())
      return invalid_argument("unknown keyword argument '" + key.substr(0, 64) + "'");
  return std::nullopt;
}

const value* kwarg(const object& kwargs, std::string_view key) {
  for (const auto& [k, v] : kwargs)
    if (k == key) return &v;
  return nullptr;
}

bool valid_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > max_uri_length) return false;
  bool component_empty = true;
  for (char c : uri) {
    if (c == '.') {
      if (component_empty) return false;
      component_empty = true;
      continue;
    }
    if (c == '#' || std::isspace(static_cast<unsigned char>(c)) || c == '\0') return false;
    component_empty = false;
  }
  return !component_empty;
}

namespace {
call_error invalid(std::string message) {
  return invalid_argument(std::move(message));
}
}  // namespace

call_error no_such_session(session_id id) {
  return call_error{uri::no_such_session, "no session " + std::to_string(id.value) + " in this realm"};
}

outcome<authrole_filter> parse_filter(const array& args, const object& kwargs) {
  if (args.size() > 1)
    return invalid("expected at most one positional argument (filter_authroles), got " + std::to_string(args.size()));
  if (auto err = unknown_kwarg(kwargs, {"filter_authroles"})) return *err;
  const value* kw = kwarg(kwargs, "filter_authroles");
  if (kw && !args.empty()) return invalid("filter_authroles given both as positional and as keyword argument");
  const value* filter = kw ? kw : (args.empty() ? nullptr : &args[0]);
  if (!filter || filter->is_null()) return authrole_filter{};

  const array* roles = filter->get_if<array>();
  if (!roles) return invalid("filter_authroles must be a list of strings or null, got " + describe(*filter));
  if (roles->size() > max_filter_authroles)
    return invalid("filter_authroles has " + std::to_string(roles->size()) + " entries; at most " +
                   std::to_string(max_filter_authroles) + " are allowed");
  std::vector<std::string> out;
  out.reserve(roles->size());
  for (std::size_t i = 0; i < roles->size(); ++i) {
    const auto* s = (*roles)[i].get_if<std::string>();
    if (!s)
      return invalid("filter_authroles[" + std::to_string(i) + "] must be a string, got " + describe((*roles)[i]));
    out.push_back(*s);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return authrole_filter{std::move(out)};
}

outcome<session_id> parse_session_arg(const array& args, const object& kwargs) {
  if (auto err = unknown_kwarg(kwargs, {})) return *err;
  if (args.size() != 1)
    return invalid("expected exactly one positional argument, the session id; got " + std::to_string(args.size()));
  return parse_session_id(args[0]);
}

outcome<session_id> parse_session_id(const value& v) {
  std::uint64_t id = 0;
  bool ok = v.as_unsigned(id);
  if (!ok) {
    // Some encoders send large integers as float64: accept one that holds an exact integer.
    if (const auto* d = v.get_if<double>()) {
      if (*d >= 1 && *d <= static_cast<double>(max_wamp_id) && std::floor(*d) == *d) {
        id = static_cast<std::uint64_t>(*d);
        ok = true;
      }
    }
  }
  if (!ok || !session_id::valid(id)) return invalid("session id must be an integer from 1 to 2^53, got " + describe(v));
  return session_id{id};
}

bool matches(const authrole_filter& filter, const std::string& authrole) {
  if (!filter) return true;
  return std::binary_search(filter->begin(), filter->end(), authrole);
}

std::uint64_t count_sessions(const registry& reg, const std::string& realm, const authrole_filter& filter) {
  if (const auto* ids = reg.visible_ids(realm); ids && !filter) return ids->size();
  std::uint64_t n = 0;
  reg.for_each_visible(realm, [&](const session_record& s) {
    if (matches(filter, s.authrole)) ++n;
  });
  return n;
}

std::vector<session_id> list_sessions(const registry& reg, const std::string& realm, const authrole_filter& filter) {
  if (const auto* ids = reg.visible_ids(realm); ids && !filter) return *ids;
  std::vector<session_id> ids;
  if (const realm_sessions* sessions = reg.truth().sessions(realm)) ids.reserve(sessions->size());
  reg.for_each_visible(realm, [&](const session_record& s) {
    if (matches(filter, s.authrole)) ids.push_back(s.id);
  });
  return ids;  // in no particular order, as the spec allows
}

outcome<call_result> call_count(const registry& reg, const std::string& realm, const array& args,
                                const object& kwargs) {
  auto filter = parse_filter(args, kwargs);
  if (!filter.ok()) return filter.error();
  return call_result{array{count_sessions(reg, realm, filter.value())}, {}};
}

outcome<call_result> call_list(const registry& reg, const std::string& realm, const array& args, const object& kwargs) {
  auto filter = parse_filter(args, kwargs);
  if (!filter.ok()) return filter.error();
  // Built in place: a list of 100,000 ids is one allocation of its final size, and is moved, never copied,
  // into the result (an initializer list would copy it).
  array ids;
  const auto add = [&ids](const std::vector<session_id>& from) {
    ids.reserve(from.size());
    for (session_id id : from)
      ids.emplace_back(id.value);
  };
  if (const auto* visible = reg.visible_ids(realm); visible && !filter.value())
    add(*visible);
  else
    add(list_sessions(reg, realm, filter.value()));
  call_result out;
  out.args.emplace_back(std::move(ids));
  return out;
}

outcome<call_result> call_get(const registry& reg, const std::string& realm, const array& args, const object& kwargs) {
  auto id = parse_session_arg(args, kwargs);
  if (!id.ok()) return id.error();
  const session_record* s = reg.find(realm, id.value());
  if (!s) return no_such_session(id.value());
  return call_result{array{details(*s)}, {}};
}

}  // namespace wamp_metad::core
