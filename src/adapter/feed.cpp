#include "feed.hpp"

#ifdef __GLIBC__
#include <malloc.h>  // malloc_trim
#endif

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "backoff.hpp"
#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"

namespace wamp_metad::adapter::detail {
namespace {

// The pages of a large snapshot, decoded and copied, leave the heap much larger than the mirror that stays;
// glibc keeps freed memory for later unless asked. A resync of a million sessions would otherwise leave
// hundreds of MiB of RSS behind.
void give_back_memory() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

// A verdict of the mirror: its metrics label, and the reason a resync gives in the log.
struct verdict_words {
  const char* label;
  const char* why;
};

verdict_words words(core::mirror::verdict v) {
  switch (v) {
    case core::mirror::verdict::applied:
      return {"applied", "applied"};
    case core::mirror::verdict::buffered:
      return {"buffered", "buffered"};
    case core::mirror::verdict::duplicate:
      return {"duplicate", "duplicate"};
    case core::mirror::verdict::gap:
      return {"gap", "a gap in the hook sequence"};
    case core::mirror::verdict::new_epoch:
      return {"new_epoch", "a new router epoch"};
    case core::mirror::verdict::overflow:
      return {"overflow", "too many hooks buffered"};
    case core::mirror::verdict::conflict:
      return {"conflict", "a hook that contradicts the mirror"};
  }
  return {"?", "?"};
}

}  // namespace

feed::feed(boost::asio::io_context& io, const service_options& opts, const link_factory& links, core::registry& reg,
           service_observer& obs, events ev)
    : io_(io),
      opts_(opts),
      links_(links),
      reg_(reg),
      obs_(obs),
      ev_(std::move(ev)),
      retry_timer_(io),
      heartbeat_timer_(io) {}

void feed::start() {
  connect();
  // The heartbeat runs through every connection: not guarded by a generation.
  heartbeat_timer_.expires_after(opts_.heartbeat_interval);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) heartbeat();
  });
}

void feed::begin_stop(std::function<void()> closed) {
  stopping_ = true;
  retry_timer_.cancel();
  heartbeat_timer_.cancel();
  if (!link_) return closed();
  link_->begin_stop(std::move(closed));
}

void feed::close() {
  if (link_) link_->close();
}

bool feed::current() const {
  return up_ && !fetching_ && !replaying_ && reg_.truth().state() == core::mirror::status::live;
}

std::optional<std::chrono::steady_clock::duration> feed::out_of_touch() const {
  if (!out_of_touch_since_) return std::nullopt;
  return std::chrono::steady_clock::now() - *out_of_touch_since_;
}

void feed::connect() {
  if (stopping_) return;
  next_generation();
  link::handlers h;
  h.joined = guarded([](feed& f, std::uint64_t id) {
    spdlog::info("joined internal realm '{}' at {} as session {}", f.opts_.internal_realm, f.opts_.internal_router.text,
                 id);
    f.joined();
  });
  h.lost = guarded([](feed& f, const failure& why) { f.lost(why); });
  link_ = links_(io_, opts_.internal_router, opts_.internal_realm, opts_.creds, std::move(h));
  link_->start(opts_.heartbeat_timeout * 2);
}

void feed::joined() {
  attempts_ = 0;
  // Hooks are decoded as they are read and applied in a handler of their own, in the order they came: not
  // inside the client library's dispatch, since what a hook sets off (a resync, a lost link) may tear the
  // link and its session down.
  // Every topic of hook protocol v2: a v1 router never publishes the registration and subscription ones.
  auto pending = std::make_shared<int>(6);
  auto subscribe = [this, pending](const char* topic, core::hook_kind kind) {
    auto apply = guarded([topic](feed& f, protocol::decoded<core::hook_event>& ev) {
      if (!ev.ok()) {
        // Dropped: if it carried a seq, the next hook shows the gap; if not, the heartbeat's sync does.
        spdlog::warn("malformed {} hook ignored: {}", topic, ev.error().message);
        f.obs_.malformed("hook");
        return;
      }
      f.on_hook(std::move(ev.value()));
    });
    link_->subscribe(
        topic,
        [this, kind, apply](const msgpack::object& args, const msgpack::object&) {
          boost::asio::post(io_, [apply, ev = protocol::decode_hook(kind, args)]() mutable { apply(ev); });
        },
        guarded([topic, pending](feed& f, const std::optional<failure>& error) {
          if (error) {
            failure why = *error;
            why.message = std::string("cannot subscribe to ") + topic + ": " + why.message;
            return f.lost(why);
          }
          if (--*pending > 0) return;
          f.up_ = true;
          f.obs_.link_state("internal", true);
          if (f.reg_.truth().state() == core::mirror::status::live && f.reg_.truth().position())
            f.start_replay("internal link up again");
          else
            f.start_resync("internal link up");
          f.features_refused_ = false;
          for (const auto& [realm, features] : f.features_)
            f.send_features(realm, core::value(features));
        }));
  };
  subscribe(uri::hook_joined, core::hook_kind::joined);
  subscribe(uri::hook_left, core::hook_kind::left);
  subscribe(uri::hook_registered, core::hook_kind::registered);
  subscribe(uri::hook_unregistered, core::hook_kind::unregistered);
  subscribe(uri::hook_subscribed, core::hook_kind::subscribed);
  subscribe(uri::hook_unsubscribed, core::hook_kind::unsubscribed);
}

void feed::lost(const failure& why) {
  if (stopping_) return;
  const bool was_up = up_;
  up_ = false;
  obs_.link_state("internal", false);
  obs_.link_lost("internal", why);
  if (!out_of_touch_since_ && reg_.truth().state() != core::mirror::status::unsynced)
    out_of_touch_since_ = std::chrono::steady_clock::now();
  fetching_ = false;
  replaying_ = false;
  queued_.clear();
  heartbeat_pending_ = false;
  told_positions_ = support::unknown;
  hook_history_ = support::unknown;
  keeps_testaments_ = support::unknown;
  sparse_catch_up_ = support::unknown;
  if (ev_.unsettled) ev_.unsettled();
  if (link_) link_->close();
  next_generation();
  const auto delay = retry_delay(opts_, why, attempts_++);
  if (was_up)
    spdlog::warn("internal link lost: {}; served realms answer from the last mirror; reconnecting in {} ms",
                 why.message, delay.count());
  else
    spdlog::warn("internal link: {}; retrying in {} ms", why.message, delay.count());
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) connect();
  });
}

void feed::on_hook(core::hook_event&& ev) {
  if (replaying_) return queued_.push_back(std::move(ev));
  react(apply(std::move(ev)));
}

// What a verdict of the mirror sets off: a gap, fetching what is missing; another epoch or an overflow, a resync.
void feed::react(core::mirror::verdict verdict) {
  if (verdict == core::mirror::verdict::gap)
    start_replay(words(verdict).why);
  else if (verdict == core::mirror::verdict::new_epoch || verdict == core::mirror::verdict::overflow)
    start_resync(words(verdict).why);
}

core::mirror::verdict feed::apply(core::hook_event&& ev) {
  std::vector<core::meta_event> out;
  const bool left = ev.kind == core::hook_kind::left;
  const std::string realm = left ? ev.session.realm : std::string();
  const core::session_id id = ev.session.id;
  const std::uint64_t seq = ev.position ? ev.position->seq : 0;
  if (ev_.hook) ev_.hook(ev);
  const auto verdict = reg_.on_hook(std::move(ev), out);
  // The events of one hook, numbered in their realm: the told position of each (one hook changes one realm).
  std::uint32_t index = 0;
  for (auto& e : out) {
    e.seq = seq;
    e.index = index++;
  }
  obs_.hook(words(verdict).label);
  if (left) {
    if (!reg_.truth().has(realm, id)) ev_.left(realm, id);
  }
  ev_.changed(out);
  return verdict;
}

void feed::start_replay(const std::string& why) {
  const auto& pos = reg_.truth().position();
  if (!up_ || replaying_) return;
  if (hook_history_ == support::no || !pos || reg_.truth().state() != core::mirror::status::live)
    return start_resync(why);
  spdlog::info("{}: fetching the hooks after seq {} from the router's history", why, pos->seq);
  if (ev_.unsettled) ev_.unsettled();
  replaying_ = true;
  replayed_ = 0;
  queued_.clear();
  fetch_hooks(++replay_id_, pos->seq);
}

void feed::fetch_hooks(std::uint64_t replay, std::uint64_t after) {
  link_->call(
      uri::hook_hooks_since, {after}, opts_.call_timeout, guarded([replay, after](feed& f, const call_reply& reply) {
        if (replay != f.replay_id_ || !f.replaying_) return;
        const auto give_up = [&f](const std::string& why) {
          f.replaying_ = false;
          f.queued_.clear();  // the snapshot covers them, and the live hooks after it come anew
          f.start_resync(why);
        };
        if (!reply.ok()) {
          if (reply.error->what == failure::kind::timeout) {
            f.replaying_ = false;
            return f.lost(*reply.error);
          }
          if (reply.error->uri == uri::no_such_procedure) {
            f.hook_history_ = support::no;
            spdlog::info("the router keeps no hook history for consumers (no {}): a fresh snapshot instead",
                         uri::hook_hooks_since);
            return give_up("a resync");
          }
          return give_up(std::string(uri::hook_hooks_since) + ": " + reply.error->message);
        }
        auto page = protocol::decode_hooks_page(reply.args->get());
        if (!page.ok()) {
          f.obs_.malformed("hooks");
          return give_up("malformed " + std::string(uri::hook_hooks_since) + " answer: " + page.error().message);
        }
        f.hook_history_ = support::yes;
        const auto& mine = f.reg_.truth().position();
        if (!mine || page.value().position.epoch != mine->epoch) return give_up("a new router epoch");
        // Applied as live hooks are, each the next one: a hook the history skipped, or one that contradicts the
        // mirror, ends the replay in a resync; those applied already (a page that overlaps) are passed over.
        std::uint64_t last = after;
        for (auto& h : page.value().hooks) {
          last = h.position->seq;
          const std::uint64_t at = f.reg_.truth().position()->seq;
          if (last <= at) continue;
          if (last > at + 1) return give_up("the router's history skips a hook");
          ++f.replayed_;
          const auto verdict = f.apply(std::move(h));
          if (verdict != core::mirror::verdict::applied) return give_up(words(verdict).why);
        }
        if (last < page.value().position.seq && !page.value().hooks.empty()) return f.fetch_hooks(replay, last);
        if (!f.reg_.truth().has_reached(page.value().position))
          return give_up("the router's history does not reach its own position");
        f.replaying_ = false;
        auto queued = std::move(f.queued_);
        f.queued_.clear();
        f.out_of_touch_since_.reset();
        spdlog::info("caught up with the router's hooks: {} hook(s) replayed, no snapshot (epoch {}, seq {})",
                     f.replayed_, page.value().position.epoch, f.reg_.truth().position()->seq);
        f.ev_.synced();
        // The live hooks that came meanwhile (those the replay covered are duplicates, dropped).
        for (auto& h : queued) {
          f.react(f.apply(std::move(h)));
          if (f.fetching_ || f.replaying_ || !f.up_) return;
        }
      }));
}

void feed::start_resync(const std::string& why) {
  if (!up_) return;
  if (ev_.unsettled) ev_.unsettled();
  if (reg_.truth().state() == core::mirror::status::live) reg_.begin_resync();
  if (reg_.truth().state() != core::mirror::status::unsynced || resyncs_ > 0) {
    spdlog::info("resync: {}", why);
    obs_.resync();
  }
  ++resyncs_;
  fetching_ = false;  // a snapshot under way is stale now
  fetch_snapshot();
}

void feed::fetch_snapshot() {
  if (fetching_ || !up_) return;
  fetching_ = true;
  const std::uint64_t fetch = ++fetch_id_;
  fetched_position_.reset();
  fetched_left_.clear();
  fetched_records_.clear();
  fetched_observations_.clear();
  fetch_page(fetch, std::nullopt);
}

void feed::retry_snapshot(int attempt) {
  fetching_ = false;
  retry_timer_.expires_after(backoff(opts_, attempt));
  retry_timer_.async_wait(guarded([](feed& f, const boost::system::error_code& ec) {
    if (!ec) f.fetch_snapshot();
  }));
}

void feed::fetch_page(std::uint64_t fetch, std::optional<std::string> cursor) {
  core::array args;
  if (cursor) args.emplace_back(*cursor);
  const std::uint64_t mirror_generation = reg_.truth().generation();
  link_->call(uri::hook_snapshot, args, opts_.call_timeout,
              guarded([fetch, mirror_generation, first = !cursor](feed& f, const call_reply& reply) {
                if (fetch != f.fetch_id_ || !f.fetching_) return;
                if (!reply.ok()) {
                  if (reply.error->what == failure::kind::timeout) {
                    f.fetching_ = false;
                    return f.lost(*reply.error);
                  }
                  spdlog::error("snapshot failed: {}; retrying", reply.error->message);
                  return f.retry_snapshot(3);
                }
                auto page = protocol::decode_snapshot_page(reply.args->get());
                if (!page.ok()) {
                  spdlog::error("malformed snapshot page: {}; retrying", page.error().message);
                  f.obs_.malformed("snapshot");
                  return f.retry_snapshot(5);
                }
                if (first) {
                  f.fetched_position_ = page.value().position;
                  f.fetched_left_ = std::move(page.value().recently_left);
                  f.fetched_protocol_ = page.value().protocol;
                }
                for (auto& o : page.value().observations)
                  f.fetched_observations_.push_back(std::move(o));
                // The next page is asked for first: the router prepares it while this one is put away.
                if (page.value().next_cursor) f.fetch_page(fetch, page.value().next_cursor);
                for (auto& s : page.value().sessions)
                  f.fetched_records_.push_back(std::make_shared<const core::session_record>(std::move(s)));
                if (page.value().next_cursor) return;

                f.fetching_ = false;
                if (f.reg_.truth().generation() != mirror_generation) return f.fetch_snapshot();  // restarted meanwhile
                std::vector<core::record_ptr> records = std::move(f.fetched_records_);
                f.fetched_records_ = {};
                const std::size_t count = records.size();
                std::vector<core::meta_event> out;
                const auto verdict =
                    f.reg_.on_snapshot(std::move(f.fetched_position_), std::move(records), std::move(f.fetched_left_),
                                       out, std::move(f.fetched_observations_));
                f.fetched_observations_ = {};
                if (f.fetched_protocol_ != f.protocol_) {
                  if (f.fetched_protocol_ < 2)
                    spdlog::info(
                        "the router speaks hook protocol v{}: the session meta API only (the registration and "
                        "subscription meta API needs v2)",
                        f.fetched_protocol_);
                  else
                    spdlog::info("the router speaks hook protocol v{}", f.fetched_protocol_);
                  f.protocol_ = f.fetched_protocol_;
                }
                f.fetched_position_.reset();
                f.fetched_left_.clear();
                f.ev_.resynced();
                f.ev_.changed(out);
                if (verdict != core::mirror::verdict::applied) return f.start_resync(words(verdict).why);
                const auto& pos = f.reg_.truth().position();
                f.out_of_touch_since_.reset();
                spdlog::info("mirror synced: {} sessions (epoch {}, seq {})", count, pos ? pos->epoch : "-",
                             pos ? pos->seq : 0);
                give_back_memory();
                f.probe_levels();
                f.ev_.synced();
              }));
}

void feed::heartbeat() {
  if (stopping_) return;
  heartbeat_timer_.expires_after(opts_.heartbeat_interval);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) heartbeat();
  });
  if (!up_ || heartbeat_pending_) return;
  heartbeat_pending_ = true;
  link_->call(uri::hook_sync, {}, opts_.heartbeat_timeout, guarded([](feed& f, const call_reply& reply) {
                f.heartbeat_pending_ = false;
                if (!reply.ok()) {
                  const auto what = reply.error->what;
                  if (what == failure::kind::timeout || what == failure::kind::not_connected) {
                    failure why = *reply.error;
                    why.message = "heartbeat: " + why.message;
                    return f.lost(why);
                  }
                  spdlog::warn("heartbeat: router.session.sync answered {}", reply.error->message);
                  return;
                }
                auto pos = protocol::decode_sync(reply.args->get());
                if (!pos.ok()) return spdlog::warn("heartbeat: {}", pos.error().message);
                // Hooks published before this answer arrived before it: a mirror that has not reached the
                // router's position lost one (or it was malformed).
                if (f.reg_.truth().state() == core::mirror::status::live && !f.reg_.truth().has_reached(pos.value()))
                  f.start_replay("behind the router (router at " + pos.value().epoch + "/" +
                                 std::to_string(pos.value().seq) + ")");
              }));
}

void feed::sync(std::chrono::milliseconds timeout, std::function<void(std::optional<core::hook_position>)> done) {
  if (!up_) return done(std::nullopt);
  // Unlike guarded(), answers in any case: a waiting call is answered at once when no position comes.
  link_->call(
      uri::hook_sync, {}, timeout, [weak = weak_from_this(), done, generation = generation()](const call_reply& r) {
        std::optional<core::hook_position> position;
        auto self = weak.lock();
        if (self && generation == self->generation() && r.ok()) {
          auto pos = protocol::decode_sync(r.args->get());
          if (pos.ok()) position = pos.value();
        }
        if (!position)
          spdlog::debug("router.session.sync for a waiting call: {}", r.error ? r.error->message : "no position");
        done(position);
      });
}

void feed::announce(const std::string& realm, std::optional<core::object> features) {
  if (features)
    features_[realm] = *features;
  else
    features_.erase(realm);
  if (up_) send_features(realm, features ? core::value(std::move(*features)) : core::value());
}

void feed::send_features(const std::string& realm, const core::value& features) {
  if (features_refused_) return;
  link_->call(uri::hook_features, {realm, features}, opts_.call_timeout, guarded([realm](feed& f, const call_reply& r) {
                if (r.ok() || f.features_refused_) return;
                if (r.error->uri == uri::no_such_procedure) {
                  f.features_refused_ = true;
                  return spdlog::info(
                      "the router has no {} (an optional part of the hook protocol): its WELCOMEs "
                      "do not announce the meta API",
                      uri::hook_features);
                }
                spdlog::warn("{} for realm '{}': {}", uri::hook_features, realm, r.error->message);
              }));
}

void feed::remove(const std::string& realm, const core::removal_plan& plan,
                  std::function<void(const call_reply&)> done) {
  core::array args{realm, plan.id, plan.member.value};
  if (plan.reason) args.emplace_back(*plan.reason);
  const bool reg = plan.kind == core::observation_kind::registration;
  link_->call(reg ? uri::hook_remove_callee : uri::hook_remove_subscriber, args, opts_.call_timeout, std::move(done));
}

void feed::request(const std::string& procedure, const core::array& args, std::function<void(const call_reply&)> done) {
  if (!up_) return;
  link_->call(procedure, args, opts_.call_timeout,
              guarded([done = std::move(done)](feed&, const call_reply& r) { done(r); }));
}

void feed::kill(core::session_id id, const std::string& reason, const std::optional<std::string>& message, bool quiet,
                std::function<void(const call_reply&)> done) {
  core::array args{id.value, reason, message ? core::value(*message) : core::value()};
  if (quiet) args.emplace_back(core::object{{"quiet", true}});
  link_->call(uri::hook_kill, args, opts_.call_timeout, std::move(done));
}

void feed::keep_testament(const core::testament_plan& plan, const core::testament_limits& limits,
                          std::function<void(const call_reply&)> done) {
  using action = core::testament_plan::action;
  if (plan.what == action::add) {
    const auto& t = plan.t;
    core::array args{plan.realm,
                     plan.session.value,
                     core::scope_name(plan.scope),
                     t.topic,
                     core::value(t.args),
                     core::value(t.kwargs),
                     core::value(core::object{{"per_session", std::uint64_t{limits.per_session}},
                                              {"bytes_per_session", std::uint64_t{limits.bytes_per_session}}})};
    return link_->call(uri::hook_keep_testament, args, opts_.call_timeout, std::move(done));
  }
  link_->call(uri::hook_flush_testaments, {plan.realm, plan.session.value, core::scope_name(plan.scope)},
              opts_.call_timeout, std::move(done));
}

void feed::probe_levels() {
  if (levels_probed_) return;
  levels_probed_ = true;
  // The levels wamp-metad tells apart by a procedure of their own; sessions and registrations follow from the
  // snapshot (the hooks came, and its protocol).
  struct probe {
    const char* level;
    const char* procedure;
  };
  static constexpr probe probes[] = {{"kill", uri::hook_kill},
                                     {"removal", uri::hook_remove_callee},
                                     {"features", uri::hook_features},
                                     {"exactly_once", uri::hook_catch_up},
                                     {"hook_history", uri::hook_hooks_since},
                                     {"testaments", uri::hook_keep_testament}};
  struct tally {
    std::vector<std::pair<const char*, bool>> found;
    std::size_t left = std::size(probes);
  };
  auto t = std::make_shared<tally>();
  obs_.router_level("sessions", true);
  obs_.router_level("registrations", protocol_ >= 2);
  t->found = {{"sessions", true}, {"registrations", protocol_ >= 2}};
  for (const auto& p : probes) {
    link_->call(p.procedure, {}, opts_.call_timeout, guarded([t, p](feed& f, const call_reply& r) {
                  // Any answer but "no such procedure" (an invalid_argument, most likely) means it is there.
                  const bool offered = r.ok() || (r.error->what != failure::kind::timeout &&
                                                  r.error->what != failure::kind::not_connected &&
                                                  r.error->uri != uri::no_such_procedure);
                  f.obs_.router_level(p.level, offered);
                  t->found.emplace_back(p.level, offered);
                  if (--t->left > 0) return;
                  std::string has;
                  std::string lacks;
                  for (const auto& [level, yes] : t->found) {
                    std::string& list = yes ? has : lacks;
                    list += std::string(list.empty() ? "" : ", ") + level;
                  }
                  spdlog::info("the router offers: {}{}{}", has.empty() ? "nothing" : has,
                               lacks.empty() ? "" : "; not: ", lacks);
                }));
  }
}

}  // namespace wamp_metad::adapter::detail
