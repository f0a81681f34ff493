// The calls of the meta procedures, dispatched by the procedure table (core/procedures.hpp): refused while
// the mirror cannot answer, held until the mirror has what they ask about (the table's wait policy), then
// answered by the entry's core function, or, for a kill, carried out through the router. Runs on the owner
// thread; private to the adapter.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "feed.hpp"
#include "wamp_metad/adapter/link.hpp"
#include "wamp_metad/adapter/service.hpp"
#include "wamp_metad/core/procedures.hpp"
#include "wamp_metad/core/testaments.hpp"

namespace wamp_metad::adapter::detail {

class calls {
 public:
  calls(boost::asio::io_context& io, const service_options& opts, std::shared_ptr<const realm_settings> settings,
        core::registry& reg, core::testament_store& testaments, feed& hooks, service_observer& obs);

  // A call of `p` on `realm`. It may wait, in all at most --get-wait-ms from now: first until `settled` (may be
  // empty) holds (the realm's subscribers told everything the mirror holds: a catch-up under way), then for
  // what the procedure's wait policy asks (the caller in the mirror, or the router's position).
  void handle(const std::string& realm, const core::procedure& p, std::shared_ptr<invocation> inv,
              std::function<bool()> settled);
  // The mirror, or a realm's phase, changed: answers the held calls whose wait is over.
  void check_waiters();
  void reconfigure(std::shared_ptr<const realm_settings> next) { settings_ = std::move(next); }
  // The service stops: held calls are not answered any more.
  void cancel();

 private:
  struct waiter;
  struct kill_job;

  using deadline = std::chrono::steady_clock::time_point;
  void dispatch(const std::string& realm, const core::procedure& p, std::shared_ptr<invocation> inv, deadline until);
  void answer(const std::string& realm, const core::procedure& p, const std::shared_ptr<invocation>& inv,
              const core::array& args, const core::object& kwargs, deadline until);
  // Runs `then` once `ready` holds, or (with `position`) the mirror has applied every hook the router had
  // published when it was asked (router.session.sync), or at `until` at the latest.
  void wait(std::function<bool()> ready, bool position, deadline until, std::function<void()> then);
  bool in_mirror(const std::string& realm, std::uint64_t id) const;
  void execute_kill(const std::string& realm, const core::procedure& p, core::kill_plan plan,
                    std::shared_ptr<invocation> inv);
  void kill_next(const std::shared_ptr<kill_job>& job);
  void keep_testament(core::testament_plan plan, std::shared_ptr<invocation> inv, deadline until);
  void execute_removal(const std::string& realm, const core::procedure& p, const core::removal_plan& plan,
                       std::shared_ptr<invocation> inv);

  boost::asio::io_context& io_;
  const service_options& opts_;
  std::shared_ptr<const realm_settings> settings_;
  core::registry& reg_;
  core::testament_store& testaments_;
  feed& feed_;
  service_observer& obs_;
  std::vector<std::shared_ptr<waiter>> waiters_;
};

}  // namespace wamp_metad::adapter::detail
