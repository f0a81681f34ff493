// Every WAMP URI wamp-metad speaks: the meta API it serves, the errors and close reasons it sends or reads,
// and the hook protocol it uses on the router's internal realm.
#pragma once

namespace wamp_metad::uri {

// Application URIs must not start with this: it is the router's (and so wamp-metad's) own namespace.
inline constexpr const char* reserved_prefix = "wamp.";

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

// Registration and Subscription Meta API (served once the router speaks hook protocol v2).
inline constexpr const char* registration_list = "wamp.registration.list";
inline constexpr const char* registration_lookup = "wamp.registration.lookup";
inline constexpr const char* registration_match = "wamp.registration.match";
inline constexpr const char* registration_get = "wamp.registration.get";
inline constexpr const char* registration_list_callees = "wamp.registration.list_callees";
inline constexpr const char* registration_count_callees = "wamp.registration.count_callees";
inline constexpr const char* registration_remove_callee = "wamp.registration.remove_callee";
inline constexpr const char* subscription_list = "wamp.subscription.list";
inline constexpr const char* subscription_lookup = "wamp.subscription.lookup";
inline constexpr const char* subscription_match = "wamp.subscription.match";
inline constexpr const char* subscription_get = "wamp.subscription.get";
inline constexpr const char* subscription_list_subscribers = "wamp.subscription.list_subscribers";
inline constexpr const char* subscription_count_subscribers = "wamp.subscription.count_subscribers";
inline constexpr const char* subscription_remove_subscriber = "wamp.subscription.remove_subscriber";
inline constexpr const char* registration_on_create = "wamp.registration.on_create";
inline constexpr const char* registration_on_register = "wamp.registration.on_register";
inline constexpr const char* registration_on_unregister = "wamp.registration.on_unregister";
inline constexpr const char* registration_on_delete = "wamp.registration.on_delete";
inline constexpr const char* subscription_on_create = "wamp.subscription.on_create";
inline constexpr const char* subscription_on_subscribe = "wamp.subscription.on_subscribe";
inline constexpr const char* subscription_on_unsubscribe = "wamp.subscription.on_unsubscribe";
inline constexpr const char* subscription_on_delete = "wamp.subscription.on_delete";

// Errors wamp-metad answers.
inline constexpr const char* invalid_argument = "wamp.error.invalid_argument";
inline constexpr const char* no_such_session = "wamp.error.no_such_session";
inline constexpr const char* no_such_registration = "wamp.error.no_such_registration";
inline constexpr const char* no_such_subscription = "wamp.error.no_such_subscription";
inline constexpr const char* invalid_uri = "wamp.error.invalid_uri";
inline constexpr const char* unavailable = "wamp.error.unavailable";
inline constexpr const char* runtime_error = "wamp.error.runtime_error";
inline constexpr const char* not_authorized = "wamp.error.not_authorized";
// Errors the router answers wamp-metad's requests with, and what a link says of a call that got no answer.
inline constexpr const char* error_prefix = "wamp.error.";
inline constexpr const char* procedure_already_exists = "wamp.error.procedure_already_exists";
inline constexpr const char* no_such_procedure = "wamp.error.no_such_procedure";
inline constexpr const char* canceled = "wamp.error.canceled";
inline constexpr const char* timeout = "wamp.error.timeout";
inline constexpr const char* not_connected = "wamp.error.not_connected";

// Close reasons: GOODBYE of a killed session (the spec's default), and of wamp-metad's links when it stops.
inline constexpr const char* close_killed = "wamp.close.killed";
inline constexpr const char* close_system_shutdown = "wamp.close.system_shutdown";

// Hook protocol v1, on the router's internal realm.
inline constexpr const char* default_internal_realm = "router.internal";
inline constexpr const char* hook_joined = "router.session.joined";
inline constexpr const char* hook_left = "router.session.left";
inline constexpr const char* hook_snapshot = "router.session.snapshot";
inline constexpr const char* hook_sync = "router.session.sync";
inline constexpr const char* hook_hooks_since = "router.session.hooks_since";
inline constexpr const char* hook_kill = "router.session.kill";
// Testaments kept by the router (optional): it publishes them when the session leaves.
inline constexpr const char* hook_keep_testament = "router.meta.keep_testament";
inline constexpr const char* hook_flush_testaments = "router.meta.flush_testaments";
// INVOCATION.Details key: the router's hook position [epoch, seq] when it routed a call to the meta role.
inline constexpr const char* position_detail = "_position";
// Hook protocol v2: registrations and subscriptions.
inline constexpr const char* hook_registered = "router.registration.registered";
inline constexpr const char* hook_unregistered = "router.registration.unregistered";
inline constexpr const char* hook_subscribed = "router.subscription.subscribed";
inline constexpr const char* hook_unsubscribed = "router.subscription.unsubscribed";
inline constexpr const char* hook_remove_callee = "router.registration.remove_callee";
inline constexpr const char* hook_remove_subscriber = "router.subscription.remove_subscriber";
// Optional for routers: the meta API features of a realm, for the router's WELCOMEs.
inline constexpr const char* hook_features = "router.meta.features";
// Told positions (optional): what the router recorded of the meta events it routed per realm, with the
// realm's state there and the hooks since; the PUBLISH option that tells it; the error of a record older
// than the router's hook history.
inline constexpr const char* hook_catch_up = "router.meta.catch_up";
inline constexpr const char* told_option = "_told";
inline constexpr const char* history_lost = "router.error.history_lost";

}  // namespace wamp_metad::uri
