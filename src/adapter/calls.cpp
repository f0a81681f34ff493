#include "calls.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>

#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"

namespace wamp_metad::adapter::detail {
namespace {

constexpr std::size_t kills_in_flight = 32;

// What the router said with its ERROR, for the caller: its message, without the URI in front.
std::string words_of(const failure& f) {
  const std::string prefix = f.uri + ": ";
  return f.message.rfind(prefix, 0) == 0 ? f.message.substr(prefix.size()) : f.message;
}

}  // namespace

// A call held until what it waits for holds (see wait()).
struct calls::waiter {
  explicit waiter(boost::asio::io_context& io) : timer(io) {}
  std::function<void()> then;
  std::function<bool()> ready;                // true when waiting is no longer needed
  std::optional<core::hook_position> target;  // the router's position to reach (an empty epoch: none)
  boost::asio::steady_timer timer;
  bool done = false;
};

// One call of the kill family, carried out with router.session.kill per target (a bounded number in flight).
struct calls::kill_job {
  std::string realm;
  core::kill_plan plan;
  std::shared_ptr<invocation> inv;
  std::size_t next = 0;
  std::size_t in_flight = 0;
  std::vector<core::session_id> killed;
  std::optional<core::call_error> error;       // the last refusal
  std::optional<core::call_error> hard_error;  // the last refusal other than "no such session"
};

calls::calls(boost::asio::io_context& io, const service_options& opts, std::shared_ptr<const realm_settings> settings,
             core::registry& reg, core::testament_store& testaments, feed& hooks, service_observer& obs)
    : io_(io),
      opts_(opts),
      settings_(std::move(settings)),
      reg_(reg),
      testaments_(testaments),
      feed_(hooks),
      obs_(obs) {}

bool calls::in_mirror(const std::string& realm, std::uint64_t id) const {
  return reg_.truth().has(realm, core::session_id{id});
}

void calls::handle(const std::string& realm, const core::procedure& p, std::shared_ptr<invocation> inv,
                   std::function<bool()> settled) {
  // One bound for every wait of this call.
  const deadline until = std::chrono::steady_clock::now() + opts_.get_wait;
  if (!settled || settled()) return dispatch(realm, p, std::move(inv), until);
  // From the procedures' registration (or a resync) to the end of the catch-up, the mirror is ahead of what
  // the realm's subscribers were told: an answer then could name a session whose on_join is still to come (a
  // client that lists, then applies the events, would count it twice). The call is answered after the
  // catch-up's events.
  wait(std::move(settled), false, until, [this, realm, &p, inv, until] { dispatch(realm, p, inv, until); });
}

void calls::dispatch(const std::string& realm, const core::procedure& p, std::shared_ptr<invocation> inv,
                     deadline until) {
  if (reg_.truth().state() == core::mirror::status::unsynced)
    return inv->fail({uri::unavailable, "the session mirror is not synced with the router yet"});
  if (const auto lost = feed_.out_of_touch(); lost && *lost > opts_.stale_after)
    return inv->fail(
        {uri::unavailable, "the session mirror has been out of touch with the router for " +
                               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*lost).count()) + " s"});
  auto args = protocol::to_args(inv->args());
  if (!args.ok()) return inv->fail(args.error());
  auto kwargs = protocol::to_kwargs(inv->kwargs());
  if (!kwargs.ok()) return inv->fail(kwargs.error());

  const std::uint64_t caller = inv->caller();
  if (p.flags.has(core::procedure_flag::needs_caller) && caller == 0)
    return inv->fail({uri::runtime_error, "the router did not disclose the caller's session, which " +
                                              std::string(p.uri) + " needs (registered with disclose_caller)"});
  spdlog::trace("realm '{}': {} called by {}", realm, p.uri, caller);
  const std::uint64_t wanted =
      p.flags.has(core::procedure_flag::names_session) ? core::named_session(args.value()).value : 0;
  auto then = [this, realm, &p, inv, args = std::move(args.value()), kwargs = std::move(kwargs.value()), until] {
    answer(realm, p, inv, args, kwargs, until);
  };
  // Read your writes: a router that says where its hooks stood when it routed the call has the call answered
  // once the mirror has applied them all, whatever the procedure, with no round trip.
  if (const auto at = inv->position()) {
    if (reg_.truth().has_reached(*at)) return then();
    spdlog::debug("realm '{}': {} by {} waits for the router's position {}/{}", realm, p.uri, caller, at->epoch,
                  at->seq);
    return wait([this, at = *at] { return reg_.truth().has_reached(at); }, false, until, std::move(then));
  }
  switch (p.wait) {
    case core::wait_policy::none:
      return then();
    case core::wait_policy::router:
      // Acts on every matching session the router has: those that joined just before the call may not be in
      // the mirror yet.
      return wait([] { return false; }, true, until, std::move(then));
    case core::wait_policy::caller:
      break;
  }
  // The caller is in this realm, so a mirror that does not have it yet is behind the router: a session that
  // calls right after its WELCOME can be ahead of its own joined hook (they travel on different links).
  // Likewise for the session the call names. Such a call waits until the mirror has them both, or has
  // caught up with the router's position.
  auto known = [this, realm, caller, wanted] {
    return (caller == 0 || in_mirror(realm, caller)) && (wanted == 0 || in_mirror(realm, wanted));
  };
  if (known()) return then();
  spdlog::debug("realm '{}': {} by {} waits for the router's position (session {} or {} not mirrored yet)", realm,
                p.uri, caller, caller, wanted);
  wait(std::move(known), true, until, std::move(then));
}

void calls::answer(const std::string& realm, const core::procedure& p, const std::shared_ptr<invocation>& inv,
                   const core::array& args, const core::object& kwargs, deadline until) {
  core::call_context ctx{reg_, testaments_, settings_->policy, realm, core::session_id{inv->caller()}, args, kwargs};
  auto result = p.handler(ctx);
  if (!result.ok()) return inv->fail(result.error());
  if (auto* plan = std::get_if<core::kill_plan>(&result.value())) return execute_kill(realm, p, std::move(*plan), inv);
  if (auto* plan = std::get_if<core::removal_plan>(&result.value())) return execute_removal(realm, p, *plan, inv);
  if (auto* plan = std::get_if<core::testament_plan>(&result.value()))
    return keep_testament(std::move(*plan), inv, until);
  inv->reply(std::get<core::call_result>(result.value()));
  reg_.answered(realm);
}

// Hooks published before the sync answer arrive before it on the internal link, so reaching that position is
// enough.
void calls::wait(std::function<bool()> ready, bool position, deadline until, std::function<void()> then) {
  if (position && !feed_.up()) return then();
  auto w = std::make_shared<waiter>(io_);
  w->then = std::move(then);
  w->ready = std::move(ready);
  waiters_.push_back(w);
  w->timer.expires_at(until);
  w->timer.async_wait([this, w](const boost::system::error_code& ec) {
    if (ec || w->done) return;
    w->done = true;
    w->then();
    check_waiters();
  });
  if (!position) return;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
  feed_.sync(std::max(left, std::chrono::milliseconds(1)), [this, w](std::optional<core::hook_position> at) {
    if (w->done) return;
    // No position to wait for: answered now.
    w->target = at ? *at : core::hook_position{};
    if (at) spdlog::trace("a waiting call waits for {}/{}", at->epoch, at->seq);
    check_waiters();
  });
}

void calls::check_waiters() {
  if (waiters_.empty()) return;
  for (std::size_t i = 0; i < waiters_.size(); ++i) {
    auto w = waiters_[i];  // `then` may add waiters
    if (w->done) continue;
    const bool reached =
        w->ready() || (w->target && (w->target->epoch.empty() || reg_.truth().has_reached(*w->target)));
    if (!reached) continue;
    w->done = true;
    w->timer.cancel();
    w->then();
  }
  waiters_.erase(
      std::remove_if(waiters_.begin(), waiters_.end(), [](const std::shared_ptr<waiter>& w) { return w->done; }),
      waiters_.end());
}

void calls::cancel() {
  for (auto& w : waiters_)
    w->timer.cancel();
}

// The router keeps the testament when it can (it then outlives wamp-metad: a restart or a takeover loses
// none), else this process does, as before. Answered once it is kept. While the internal link is down the call
// waits for it (within the call's one bound): kept here instead, a testament would be lost with this process,
// and a flush would leave the router's copies to be published.
void calls::keep_testament(core::testament_plan plan, std::shared_ptr<invocation> inv, deadline until) {
  const auto here = [this](core::testament_plan plan, const std::shared_ptr<invocation>& inv) {
    obs_.testament(plan.realm, plan.what == core::testament_plan::action::add, false);
    testaments_.keep(std::move(plan));
    inv->reply(core::call_result{});
  };
  if (feed_.keeps_testaments() == feed::support::no) return here(std::move(plan), inv);
  if (!feed_.up()) {
    auto waiting = std::make_shared<core::testament_plan>(std::move(plan));
    return wait(
        [this] { return feed_.up(); }, false, until,
        [this, waiting, inv, until] {
          if (!feed_.up())
            return inv->fail({uri::unavailable, "the router's internal realm is out of reach: cannot keep testaments"});
          keep_testament(std::move(*waiting), inv, until);
        });
  }
  auto shared = std::make_shared<core::testament_plan>(std::move(plan));
  feed_.keep_testament(*shared, opts_.testaments, [this, shared, inv, here](const call_reply& r) {
    if (r.ok()) {
      feed_.set_keeps_testaments(feed::support::yes);
      // A flush also empties what this process held from before the router kept them.
      if (shared->what == core::testament_plan::action::flush) testaments_.keep(*shared);
      obs_.testament(shared->realm, shared->what == core::testament_plan::action::add, true);
      return inv->reply(core::call_result{});
    }
    if (r.error->uri == uri::no_such_procedure) {
      if (feed_.keeps_testaments() != feed::support::no)
        spdlog::info(
            "the router does not keep testaments (no {}): wamp-metad keeps them, and a restart or a "
            "takeover of wamp-metad loses them",
            uri::hook_keep_testament);
      feed_.set_keeps_testaments(feed::support::no);
      return here(std::move(*shared), inv);
    }
    inv->fail(core::call_error{r.error->uri, words_of(*r.error)});
  });
}

// The router kills (router.session.kill); its left hook, published before the kill's RESULT on the same
// link, then flows as for any other leave: on_leave and testaments, except after kill_all.
void calls::execute_kill(const std::string& realm, const core::procedure& p, core::kill_plan plan,
                         std::shared_ptr<invocation> inv) {
  if (!feed_.up()) return inv->fail({uri::unavailable, "the router's internal realm is out of reach: cannot kill"});
  auto job = std::make_shared<kill_job>();
  job->realm = realm;
  job->inv = std::move(inv);
  job->plan = std::move(plan);
  if (job->plan.kind == core::kill_kind::all) {
    for (core::session_id id : job->plan.targets) {
      reg_.leave_quietly(realm, id);
      testaments_.discard(realm, id);
    }
  }
  spdlog::info("realm '{}': {} by session {}: {} session(s) to kill, reason {}", realm, p.uri, job->inv->caller(),
               job->plan.targets.size(), job->plan.reason);
  kill_next(job);
}

// The router removes the member and tells it (UNREGISTERED / UNSUBSCRIBED); its hook then flows as any other.
void calls::execute_removal(const std::string& realm, const core::procedure& p, const core::removal_plan& plan,
                            std::shared_ptr<invocation> inv) {
  if (!feed_.up()) return inv->fail({uri::unavailable, "the router's internal realm is out of reach: cannot remove"});
  spdlog::info("realm '{}': {} by session {}: {} {}", realm, p.uri, inv->caller(), plan.id, plan.member.value);
  feed_.remove(realm, plan, [inv](const call_reply& r) {
    if (r.ok()) return inv->reply(core::call_result{});
    inv->fail(core::call_error{r.error->uri, words_of(*r.error)});
  });
}

void calls::kill_next(const std::shared_ptr<kill_job>& job) {
  const auto& targets = job->plan.targets;
  while (job->in_flight < kills_in_flight && job->next < targets.size()) {
    const core::session_id id = targets[job->next++];
    ++job->in_flight;
    const bool quiet = job->plan.kind == core::kill_kind::all;
    feed_.kill(id, job->plan.reason, job->plan.message, quiet, [this, job, id](const call_reply& r) {
      --job->in_flight;
      if (r.ok()) {
        job->killed.push_back(id);
      } else {
        if (job->plan.kind == core::kill_kind::all) reg_.quiet_cancelled(job->realm, id);
        job->error = core::call_error{r.error->uri, words_of(*r.error)};
        if (r.error->uri != uri::no_such_session) {
          spdlog::warn("realm '{}': router.session.kill of {} failed: {}", job->realm, id.value, r.error->message);
          job->hard_error = job->error;
        }
      }
      kill_next(job);
    });
  }
  if (job->in_flight > 0 || job->next < targets.size()) return;
  if (job->killed.empty() && job->error && (job->plan.kind == core::kill_kind::one || job->hard_error))
    return job->inv->fail(job->hard_error ? *job->hard_error : *job->error);
  job->inv->reply(core::kill_result(job->plan.kind, job->killed));
}

}  // namespace wamp_metad::adapter::detail
