#include "backoff.hpp"

#include <algorithm>
#include <random>

namespace wamp_metad::adapter::detail {

std::chrono::milliseconds backoff(const service_options& opts, int attempt) {
  auto step = opts.reconnect_min * (1LL << std::min(attempt, 20));
  if (step > opts.reconnect_max) step = opts.reconnect_max;
  static thread_local std::mt19937 rng{std::random_device{}()};
  const auto half = step.count() / 2;
  return std::chrono::milliseconds(half +
                                   std::uniform_int_distribution<long long>(0, std::max<long long>(half, 0))(rng));
}

std::chrono::milliseconds retry_delay(const service_options& opts, const failure& why, int attempt) {
  const auto delay = backoff(opts, attempt);
  if (why.what == failure::kind::refused || why.what == failure::kind::insecure)
    return std::max(delay, std::chrono::milliseconds(10000));
  return delay;
}

}  // namespace wamp_metad::adapter::detail
