// What a meta procedure answers, as a value: a result payload, or a WAMP error URI with a message.
//
// Errors in the core are values, never exceptions: every function that can refuse its input returns an
// outcome<T>, and the caller decides what to do with the error (the adapter sends it as the call's ERROR).
// The layers above keep their own style, each written down at the top of the layer's main header: the links
// report typed failures (adapter/link.hpp), and exceptions exist only at the edges of the client library.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/core/value.hpp"

namespace wamp_metad::core {

// A WAMP error: its URI and a human-readable message (sent as the ERROR's first positional argument).
struct call_error {
  std::string uri;
  std::string message;
};

template <class T>
class outcome {
 public:
  outcome(T v) : v_(std::move(v)) {}
  outcome(call_error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const call_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, call_error> v_;
};

// The outcome of a step that gives nothing back when it succeeds: `return {};`, or the error.
template <>
class outcome<void> {
 public:
  outcome() = default;
  outcome(call_error e) : error_(std::move(e)) {}
  bool ok() const { return !error_; }
  const call_error& error() const { return *error_; }

 private:
  std::optional<call_error> error_;
};

// Input refused outside a call (a router's answer, a configured URL): wamp.error.invalid_argument, and the
// message says what is wrong and where.
inline call_error invalid_input(std::string message) {
  return call_error{uri::invalid_argument, std::move(message)};
}

// The payload of a successful call: Arguments and ArgumentsKw.
struct call_result {
  array args;
  object kwargs;
};

}  // namespace wamp_metad::core
