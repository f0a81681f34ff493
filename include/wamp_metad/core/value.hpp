// A self-contained dynamic value (the data model WAMP payloads share: nil, bool, integers, float, string,
// binary, array, map). The core uses it for the parts of a session that are free-form (authextra) and for
// the payloads it hands to the outside: it knows nothing about any wire encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace wamp_metad::core {

class value;

using array = std::vector<value>;
// Maps keep insertion order: payloads leave in the order their builder wrote them.
using object = std::vector<std::pair<std::string, value>>;

struct binary {
  std::vector<std::uint8_t> bytes;
  friend bool operator==(const binary& a, const binary& b) { return a.bytes == b.bytes; }
};

class value {
 public:
  using storage =
      std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, binary, array, object>;

  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : v_(b) {}
  value(int i) : v_(static_cast<std::int64_t>(i)) {}
  value(std::int64_t i) : v_(i) {}
  value(std::uint64_t u) : v_(u) {}
  value(double d) : v_(d) {}
  value(const char* s) : v_(std::string(s)) {}
  value(std::string s) : v_(std::move(s)) {}
  value(binary b) : v_(std::move(b)) {}
  value(array a) : v_(std::move(a)) {}
  value(object o) : v_(std::move(o)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  template <class T>
  bool is() const {
    return std::holds_alternative<T>(v_);
  }
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }
  template <class T>
  T* get_if() {
    return std::get_if<T>(&v_);
  }
  const storage& raw() const { return v_; }

  // Reads a non-negative integer, whichever alternative holds it; false for anything else.
  bool as_unsigned(std::uint64_t& out) const;

  // The member `key` of an object value, or nullptr when this is no object or has no such key.
  const value* find(std::string_view key) const;

  // Integers compare by value across the signed/unsigned alternatives (1 == 1u): a decoder may pick
  // either for the same number.
  friend bool operator==(const value& a, const value& b);
  friend bool operator!=(const value& a, const value& b) { return !(a == b); }

 private:
  storage v_;
};

// A short, human-readable name of the value's type ("string", "array", ...) for error messages.
const char* type_name(const value& v);

}  // namespace wamp_metad::core
