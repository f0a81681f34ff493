#include "wamp_metad/core/value.hpp"

namespace wamp_metad::core {

bool value::as_unsigned(std::uint64_t& out) const {
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
    out = *u;
    return true;
  }
  if (const auto* i = std::get_if<std::int64_t>(&v_)) {
    if (*i < 0) return false;
    out = static_cast<std::uint64_t>(*i);
    return true;
  }
  return false;
}

const value* value::find(std::string_view key) const {
  const auto* o = std::get_if<object>(&v_);
  if (!o) return nullptr;
  for (const auto& [k, v] : *o)
    if (k == key) return &v;
  return nullptr;
}

bool operator==(const value& a, const value& b) {
  std::uint64_t ua = 0;
  std::uint64_t ub = 0;
  const bool a_int = a.is<std::int64_t>() || a.is<std::uint64_t>();
  const bool b_int = b.is<std::int64_t>() || b.is<std::uint64_t>();
  if (a_int && b_int) {
    const bool a_nonneg = a.as_unsigned(ua);
    const bool b_nonneg = b.as_unsigned(ub);
    if (a_nonneg != b_nonneg) return false;
    if (a_nonneg) return ua == ub;
    return *a.get_if<std::int64_t>() == *b.get_if<std::int64_t>();
  }
  return a.v_ == b.v_;
}

const char* type_name(const value& v) {
  switch (v.raw().index()) {
    case 0:
      return "null";
    case 1:
      return "boolean";
    case 2:
    case 3:
      return "integer";
    case 4:
      return "float";
    case 5:
      return "string";
    case 6:
      return "binary";
    case 7:
      return "list";
    case 8:
      return "dict";
  }
  return "unknown";
}

}  // namespace wamp_metad::core
