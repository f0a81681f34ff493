// Strict decoding of msgpack data (as the WAMP client library hands it over) into core types. Every
// malformed input gives an error value saying what is wrong and where; nothing here throws or trusts sizes.
#pragma once

#include <cstddef>
#include <string>

#include <msgpack.hpp>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/result.hpp"
#include "wamp_metad/core/value.hpp"

namespace wamp_metad::protocol {

struct limits {
  std::size_t max_string = 64 * 1024;  // bytes in any one string or binary
  std::size_t max_depth = 32;          // nesting of lists and dicts
  std::size_t max_nodes = 100'000;     // values in one converted payload (call arguments, one authextra)
};

template <class T>
using decoded = core::outcome<T>;  // errors carry wamp.error.invalid_argument and a message

// Any msgpack value into a core value, within the limits. Dict keys must be strings.
decoded<core::value> to_value(const msgpack::object& obj, const limits& lim = {});

// A message's Arguments / ArgumentsKw: a list / a dict of string keys; nil (absent) reads as empty.
decoded<core::array> to_args(const msgpack::object& args, const limits& lim = {});
decoded<core::object> to_kwargs(const msgpack::object& kwargs, const limits& lim = {});

// A hook, Arguments [info], `kind` saying which topic it came on: router.session.joined / .left (info: the
// session), router.registration.registered / .unregistered and router.subscription.subscribed /
// .unsubscribed (info: the session and its `registration` / `subscription`, the whole of it when added, its
// id when removed). The position (epoch, seq) is read from info when present.
decoded<core::hook_event> decode_hook(core::hook_kind kind, const msgpack::object& args, const limits& lim = {});
// One session info dict (as in hooks and snapshot pages; the position keys are read separately).
decoded<core::session_record> decode_session_info(const msgpack::object& info, const limits& lim = {});
// router.session.snapshot's result Arguments: [{epoch, seq, sessions: [info, ...], next_cursor?}].
decoded<core::snapshot_page> decode_snapshot_page(const msgpack::object& args, const limits& lim = {});
// router.meta.catch_up's result Arguments: [{sessions, registrations, subscriptions, hooks: [[topic, info],
// ...], next_cursor?}], the first page also {epoch, seq, at, skip, told}. Every hook must be a complete one
// (epoch and seq), of `realm`, in increasing seq.
decoded<core::catch_up_page> decode_catch_up_page(const msgpack::object& args, const std::string& realm,
                                                  const limits& lim = {});
// router.session.hooks_since's result Arguments: [{epoch, seq, hooks: [[topic, info], ...]}], every hook complete,
// of that epoch, at or before seq, in increasing seq.
decoded<core::hooks_page> decode_hooks_page(const msgpack::object& args, const limits& lim = {});
// router.session.sync's result Arguments: [epoch, seq].
decoded<core::hook_position> decode_sync(const msgpack::object& args, const limits& lim = {});

}  // namespace wamp_metad::protocol
