// Every WAMP URI wamp-metad speaks, in one place.
#pragma once

namespace wamp_metad::uri {

// Session Meta API, served on each realm.
inline constexpr const char* on_join = "wamp.session.on_join";
inline constexpr const char* on_leave = "wamp.session.on_leave";
inline constexpr const char* count = "wamp.session.count";
inline constexpr const char* list = "wamp.session.list";
inline constexpr const char* get = "wamp.session.get";
inline constexpr const char* kill = "wamp.session.kill";
inline constexpr const char* kill_by_authid = "wamp.session.kill_by_authid";
inline constexpr const char* kill_by_authrole = "wamp.session.kill_by_authrole";
inline constexpr const char* kill_all = "wamp.session.kill_all";
inline constexpr const char* add_testament = "wamp.session.add_testament";
inline constexpr const char* flush_testaments = "wamp.session.flush_testaments";

// Errors.
inline constexpr const char* invalid_argument = "wamp.error.invalid_argument";
inline constexpr const char* no_such_session = "wamp.error.no_such_session";
inline constexpr const char* invalid_uri = "wamp.error.invalid_uri";
inline constexpr const char* unavailable = "wamp.error.unavailable";
inline constexpr const char* runtime_error = "wamp.error.runtime_error";

// Hook protocol v1, on the router's internal realm.
inline constexpr const char* hook_joined = "router.session.joined";
inline constexpr const char* hook_left = "router.session.left";
inline constexpr const char* hook_snapshot = "router.session.snapshot";
inline constexpr const char* hook_sync = "router.session.sync";
inline constexpr const char* hook_kill = "router.session.kill";

}  // namespace wamp_metad::uri
