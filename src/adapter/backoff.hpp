// How long a link waits before it connects again. Private to the adapter.
#pragma once

#include <chrono>

#include "wamp_metad/adapter/link.hpp"
#include "wamp_metad/adapter/service.hpp"

namespace wamp_metad::adapter::detail {

// Exponential from reconnect_min, capped at reconnect_max, with jitter (half to full of the step) so that
// many instances do not reconnect in lockstep after a router restart.
std::chrono::milliseconds backoff(const service_options& opts, int attempt);
// The same, but a refusal by the router (bad credentials, unknown realm, not authorized), or our own refusal
// to send the secret in clear text, waits at least 10 s: it will not clear up within milliseconds, and the
// log then says it a few times a minute only.
std::chrono::milliseconds retry_delay(const service_options& opts, const failure& why, int attempt);

}  // namespace wamp_metad::adapter::detail
