#include "wamp_metad/adapter/service.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>
#ifdef __GLIBC__
#include <malloc.h>  // malloc_trim
#endif

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"

namespace wamp_metad::adapter {

using namespace std::chrono_literals;

struct service::served {
  served(boost::asio::io_context& io, std::string r) : realm(std::move(r)), retry(io), heartbeat(io) {}
  std::string realm;
  std::unique_ptr<link> l;
  std::uint64_t generation = 0;
  int attempts = 0;
  int registered = 0;
  bool ready = false;
  bool heartbeat_pending = false;
  bool conflict = false;                    // another instance holds the procedures: retry slowly
  bool joined = false;                      // the link's session is up
  bool registering = false;                 // the procedures were asked for
  std::vector<core::testament> testaments;  // of sessions gone, waiting for the link to be ready
  std::uint64_t session_id = 0;             // the link's own session (its heartbeats call our count)
  boost::asio::steady_timer retry;
  boost::asio::steady_timer heartbeat;
};

// A call held until the mirror has caught up with the router (see after_sync).
struct service::waiter {
  explicit waiter(boost::asio::io_context& io) : deadline(io) {}
  std::function<void()> then;
  std::function<bool()> early;  // true when waiting is no longer needed
  std::optional<core::hook_position> target;
  boost::asio::steady_timer deadline;
  bool done = false;
};

// One call of the kill family, carried out with router.session.kill per target (a bounded number in flight).
struct service::kill_job {
  std::string realm;
  core::kill_plan plan;
  std::shared_ptr<invocation> inv;
  std::size_t next = 0;
  std::size_t in_flight = 0;
  std::vector<core::session_id> killed;
  std::optional<core::call_error> error;       // the last refusal
  std::optional<core::call_error> hard_error;  // the last refusal other than "no such session"
};

namespace {

constexpr std::size_t kills_in_flight = 32;

// The pages of a large snapshot, decoded and copied, leave the heap much larger than the mirror that stays;
// glibc keeps freed memory for later unless asked. A resync of a million sessions would otherwise leave
// hundreds of MiB of RSS behind.
void give_back_memory() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

// Reports nothing: the observer when none is given.
class no_observer final : public service_observer {
 public:
  void hook(const char*) override {}
  void malformed(const char*) override {}
  void resync() override {}
  void link_state(const std::string&, bool) override {}
  void link_lost(const std::string&) override {}
  void call(const std::string&, const std::string&, const std::string&, double) override {}
  void published(const std::string&, const char*) override {}
};

// An invocation that tells the observer how it was answered, and how long that took.
class observed_invocation final : public invocation {
 public:
  observed_invocation(std::shared_ptr<invocation> inner, service_observer& obs, std::string realm,
                      std::string procedure)
      : inner_(std::move(inner)), obs_(obs), realm_(std::move(realm)), procedure_(std::move(procedure)) {}
  const msgpack::object& args() const override { return inner_->args(); }
  const msgpack::object& kwargs() const override { return inner_->kwargs(); }
  std::uint64_t caller() const override { return inner_->caller(); }
  void reply(const core::call_result& result) override {
    inner_->reply(result);
    done("ok");
  }
  void fail(const core::call_error& error) override {
    inner_->fail(error);
    done(error.uri);
  }

 private:
  void done(const std::string& outcome) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
    obs_.call(realm_, procedure_, outcome, took.count());
  }
  std::shared_ptr<invocation> inner_;
  service_observer& obs_;
  std::string realm_;
  std::string procedure_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

no_observer nothing_observed;

core::registry::options registry_options(const service_options& o) {
  core::registry::options r;
  r.hidden_authroles = o.hidden_authroles;
  r.serve_all_realms = o.all_realms;
  r.never_serve = {o.internal_realm};
  r.announce_existing = o.announce_on_start;
  return r;
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
  }
  return {"?", "?"};
}

}  // namespace

service::service(boost::asio::io_context& io, service_options opts)
    : io_(io),
      opts_(std::move(opts)),
      reg_(registry_options(opts_)),
      testaments_(opts_.testaments),
      obs_(opts_.observer ? opts_.observer : &nothing_observed),
      internal_timer_(io),
      heartbeat_timer_(io) {}

service::~service() {
  *alive_ = false;
  internal_.reset();
  served_.clear();
}

std::chrono::milliseconds service::backoff(int attempt) const {
  // Exponential, capped, with jitter (half to full of the step) so that many instances do not reconnect in
  // lockstep after a router restart.
  auto step = opts_.reconnect_min * (1LL << std::min(attempt, 20));
  if (step > opts_.reconnect_max) step = opts_.reconnect_max;
  static thread_local std::mt19937 rng{std::random_device{}()};
  const auto half = step.count() / 2;
  return std::chrono::milliseconds(half +
                                   std::uniform_int_distribution<long long>(0, std::max<long long>(half, 0))(rng));
}

// A refusal by the router (bad credentials, unknown realm, not authorized) will not clear up by itself
// within milliseconds: such retries wait at least 10 s, so that the log says it a few times a minute only.
std::chrono::milliseconds service::retry_delay(const std::string& why, int attempt) const {
  const auto delay = backoff(attempt);
  if (why.rfind("router refused", 0) == 0) return std::max(delay, std::chrono::milliseconds(10000));
  return delay;
}

void service::start() {
  if (!opts_.all_realms)
    for (const auto& realm : opts_.realms)
      serve(realm);
  connect_internal();
  heartbeat_timer_.expires_after(opts_.heartbeat_interval);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) internal_heartbeat();
  });
}

void service::stop(std::chrono::steady_clock::time_point deadline, std::function<void()> done) {
  stopping_ = true;
  internal_timer_.cancel();
  heartbeat_timer_.cancel();
  for (auto& w : waiters_)
    w->deadline.cancel();
  // Ends once: when the last link closed, or at the deadline.
  struct stop_state {
    int open = 0;
    bool finished = false;
    std::function<void()> done;
  };
  auto st = std::make_shared<stop_state>();
  st->done = std::move(done);
  auto finish = [this, st](bool in_time) {
    if (st->finished) return;
    st->finished = true;
    if (stop_timer_) stop_timer_->cancel();
    for (auto& [realm, s] : served_)
      if (s->l) s->l->finish_stop();
    if (internal_) internal_->finish_stop();
    for (auto& l : leaving_)
      l->finish_stop();
    if (in_time)
      spdlog::info("left every realm");
    else
      spdlog::warn("left every realm; {} link(s) had not closed by the deadline", st->open);
    if (st->done) st->done();
  };
  auto closed = [st, finish] {
    if (--st->open == 0) finish(true);
  };
  std::vector<link*> links;
  for (auto& [realm, s] : served_) {
    s->retry.cancel();
    s->heartbeat.cancel();
    if (s->l) links.push_back(s->l.get());
  }
  if (internal_) links.push_back(internal_.get());
  st->open = static_cast<int>(links.size()) + 1;
  for (link* l : links)
    l->begin_stop(closed);
  stop_timer_ = std::make_unique<boost::asio::steady_timer>(io_, deadline);
  stop_timer_->async_wait([finish](const boost::system::error_code& ec) {
    if (!ec) finish(false);
  });
  closed();  // the one that stands for this function: no link at all ends here
}

void service::set_realms(const std::vector<std::string>& realms, const std::vector<std::string>& kill_realms) {
  if (stopping_) return;
  opts_.kill_realms = kill_realms;
  if (opts_.all_realms) return;
  std::vector<std::string> gone;
  for (const auto& [realm, s] : served_)
    if (std::find(realms.begin(), realms.end(), realm) == realms.end()) gone.push_back(realm);
  for (const auto& realm : gone) {
    auto it = served_.find(realm);
    served& s = *it->second;
    s.retry.cancel();
    s.heartbeat.cancel();
    ++s.generation;  // whatever the link still reports is ignored
    if (s.l) {
      // It leaves in the background, for a second at most.
      std::shared_ptr<link> l = std::move(s.l);
      leaving_.push_back(l);
      auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::seconds(1));
      std::weak_ptr<link> weak = l;
      auto gone = [this, weak, timer] {
        timer->cancel();
        auto l = weak.lock();
        if (!l) return;
        // Not from inside the link's own callback: a moment later.
        boost::asio::post(io_, [this, l] {
          l->finish_stop();
          leaving_.erase(std::remove(leaving_.begin(), leaving_.end(), l), leaving_.end());
        });
      };
      timer->async_wait([gone](const boost::system::error_code& ec) {
        if (!ec) gone();
      });
      l->begin_stop(gone);
    }
    reg_.unserve(realm);
    testaments_.discard_realm(realm);
    obs_->link_state(realm, false);
    served_.erase(it);
    spdlog::info("realm '{}' no longer served", realm);
  }
  for (const auto& realm : realms) {
    if (served_.count(realm)) continue;
    spdlog::info("realm '{}' served from now on", realm);
    serve(realm);
  }
  opts_.realms = realms;
}

std::vector<std::pair<std::string, std::size_t>> service::sessions_per_realm() const {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& [realm, s] : served_) {
    const auto* ids = reg_.visible_ids(realm);
    out.emplace_back(realm, ids ? ids->size() : 0);
  }
  return out;
}

service_status service::status() const {
  service_status st;
  st.synced = reg_.truth().state() == core::mirror::status::live;
  st.sessions = reg_.truth().size();
  st.realms_served = served_.size();
  for (const auto& [realm, s] : served_)
    if (s->ready) ++st.realms_ready;
  st.resyncs = resyncs_;
  return st;
}

// ---------------------------------------------------------------------------------------------------------
// The internal link: hooks in, mirror kept.

void service::connect_internal() {
  if (stopping_) return;
  const std::uint64_t generation = ++internal_generation_;
  link::handlers h;
  h.joined = [this, generation](std::uint64_t id) {
    if (generation != internal_generation_) return;
    spdlog::info("joined internal realm '{}' at {} as session {}", opts_.internal_realm, opts_.internal_router.text,
                 id);
    internal_joined();
  };
  h.lost = [this, generation](const std::string& why) {
    if (generation == internal_generation_) internal_lost(why);
  };
  internal_ = std::make_unique<link>(io_, opts_.internal_router, opts_.internal_realm, opts_.creds, std::move(h));
  internal_->start(opts_.heartbeat_timeout * 2);
}

void service::internal_joined() {
  internal_attempts_ = 0;
  const std::uint64_t generation = internal_generation_;
  // Hooks are decoded as they are read and applied in a handler of their own, in the order they came: not
  // inside the client library's dispatch, since what a hook sets off (a resync, a lost link) may tear the
  // link and its session down.
  auto subscribe = [this, generation](const char* topic, core::hook_kind kind, std::shared_ptr<int> pending) {
    std::weak_ptr<bool> alive = alive_;
    internal_->subscribe(
        topic,
        [this, alive, generation, kind, topic](const msgpack::object& args, const msgpack::object&) {
          auto ev = protocol::decode_hook(kind, args);
          boost::asio::post(io_, [this, alive, generation, topic, ev = std::move(ev)]() mutable {
            if (!alive.lock() || generation != internal_generation_) return;
            if (!ev.ok()) {
              // Dropped: if it carried a seq, the next hook shows the gap; if not, the heartbeat's sync does.
              spdlog::warn("malformed {} hook ignored: {}", topic, ev.error().message);
              obs_->malformed("hook");
              return;
            }
            on_hook(generation, std::move(ev.value()));
          });
        },
        [this, generation, topic, pending](const std::string& error) {
          if (generation != internal_generation_) return;
          if (!error.empty()) {
            internal_lost(std::string("cannot subscribe to ") + topic + ": " + error);
            return;
          }
          if (--*pending == 0) {
            internal_up_ = true;
            obs_->link_state("internal", true);
            start_resync("internal link up");
          }
        });
  };
  auto pending = std::make_shared<int>(2);
  subscribe(uri::hook_joined, core::hook_kind::joined, pending);
  subscribe(uri::hook_left, core::hook_kind::left, pending);
}

void service::internal_lost(const std::string& why) {
  if (stopping_) return;
  const bool was_up = internal_up_;
  internal_up_ = false;
  obs_->link_state("internal", false);
  obs_->link_lost("internal");
  if (!out_of_touch_since_ && reg_.truth().state() != core::mirror::status::unsynced)
    out_of_touch_since_ = std::chrono::steady_clock::now();
  fetching_ = false;
  heartbeat_pending_ = false;
  if (internal_) internal_->abort();
  ++internal_generation_;  // whatever the old link still delivers is ignored
  const auto delay = retry_delay(why, internal_attempts_++);
  if (was_up)
    spdlog::warn("internal link lost: {}; served realms answer from the last mirror; reconnecting in {} ms", why,
                 delay.count());
  else
    spdlog::warn("internal link: {}; retrying in {} ms", why, delay.count());
  internal_timer_.expires_after(delay);
  internal_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) connect_internal();
  });
}

void service::on_hook(std::uint64_t, core::hook_event ev) {
  std::vector<core::meta_event> out;
  const bool left = ev.kind == core::hook_kind::left;
  const std::string realm = left ? ev.session.realm : std::string();
  const core::session_id id = ev.session.id;
  const auto verdict = reg_.on_hook(std::move(ev), out);
  obs_->hook(words(verdict).label);
  if (left && !testaments_.empty() && !in_mirror(realm, id.value)) release_testaments(realm, id);
  after_mirror_change(out);
  if (verdict == core::mirror::verdict::gap || verdict == core::mirror::verdict::new_epoch ||
      verdict == core::mirror::verdict::overflow) {
    fetching_ = false;  // a snapshot under way is stale now
    start_resync(words(verdict).why);
  }
}

void service::start_resync(const std::string& why) {
  if (!internal_up_) return;
  if (reg_.truth().state() == core::mirror::status::live) reg_.begin_resync();
  if (reg_.truth().state() != core::mirror::status::unsynced || resyncs_ > 0) {
    spdlog::info("resync: {}", why);
    obs_->resync();
  }
  ++resyncs_;
  fetching_ = false;
  fetch_snapshot();
}

void service::fetch_snapshot() {
  if (fetching_ || !internal_up_) return;
  fetching_ = true;
  const std::uint64_t fetch = ++fetch_id_;
  fetched_position_.reset();
  fetched_left_.clear();
  fetched_records_.clear();
  fetch_page(fetch, std::nullopt);
}

void service::fetch_page(std::uint64_t fetch, std::optional<std::string> cursor) {
  core::array args;
  if (cursor) args.emplace_back(*cursor);
  const std::uint64_t generation = internal_generation_;
  const std::uint64_t mirror_generation = reg_.truth().generation();
  internal_->call(uri::hook_snapshot, args, opts_.call_timeout,
                  [this, fetch, generation, mirror_generation, first = !cursor](const call_reply& reply) mutable {
                    if (generation != internal_generation_ || fetch != fetch_id_ || !fetching_) return;
                    if (!reply.ok) {
                      fetching_ = false;
                      if (reply.error_uri == "wamp.error.timeout") return internal_lost(reply.error_text);
                      spdlog::error("snapshot failed: {} {}; retrying", reply.error_uri, reply.error_text);
                      internal_timer_.expires_after(backoff(3));
                      internal_timer_.async_wait([this](const boost::system::error_code& ec) {
                        if (!ec) fetch_snapshot();
                      });
                      return;
                    }
                    auto page = protocol::decode_snapshot_page(reply.args->get());
                    if (!page.ok()) {
                      fetching_ = false;
                      spdlog::error("malformed snapshot page: {}; retrying", page.error().message);
                      obs_->malformed("snapshot");
                      internal_timer_.expires_after(backoff(5));
                      internal_timer_.async_wait([this](const boost::system::error_code& ec) {
                        if (!ec) fetch_snapshot();
                      });
                      return;
                    }
                    if (first) {
                      fetched_position_ = page.value().position;
                      fetched_left_ = std::move(page.value().recently_left);
                    }
                    // The next page is asked for first: the router prepares it while this one is put away.
                    if (page.value().next_cursor) fetch_page(fetch, page.value().next_cursor);
                    for (auto& s : page.value().sessions)
                      fetched_records_.push_back(std::make_shared<const core::session_record>(std::move(s)));
                    if (page.value().next_cursor) return;

                    fetching_ = false;
                    if (reg_.truth().generation() != mirror_generation) return fetch_snapshot();  // restarted meanwhile
                    std::vector<core::record_ptr> records = std::move(fetched_records_);
                    fetched_records_ = {};
                    const std::size_t count = records.size();
                    std::vector<core::meta_event> out;
                    const auto verdict = reg_.on_snapshot(std::move(fetched_position_), std::move(records),
                                                          std::move(fetched_left_), out);
                    fetched_position_.reset();
                    fetched_left_.clear();
                    release_gone_testaments();
                    after_mirror_change(out);
                    if (verdict != core::mirror::verdict::applied) return start_resync(words(verdict).why);
                    const auto& pos = reg_.truth().position();
                    out_of_touch_since_.reset();
                    spdlog::info("mirror synced: {} sessions (epoch {}, seq {})", count, pos ? pos->epoch : "-",
                                 pos ? pos->seq : 0);
                    give_back_memory();
                    register_pending();
                    check_ready();
                  });
}

void service::after_mirror_change(std::vector<core::meta_event>& out) {
  publish(out);
  for (const auto& realm : reg_.take_new_realms())
    serve(realm);
  check_waiters();
}

void service::internal_heartbeat() {
  if (stopping_) return;
  heartbeat_timer_.expires_after(opts_.heartbeat_interval);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) internal_heartbeat();
  });
  if (!internal_up_ || heartbeat_pending_) return;
  heartbeat_pending_ = true;
  const std::uint64_t generation = internal_generation_;
  internal_->call(uri::hook_sync, {}, opts_.heartbeat_timeout, [this, generation](const call_reply& reply) {
    if (generation != internal_generation_) return;
    heartbeat_pending_ = false;
    if (!reply.ok) {
      if (reply.error_uri == "wamp.error.timeout" || reply.error_uri == "wamp.error.not_connected")
        return internal_lost("heartbeat: " + reply.error_text);
      spdlog::warn("heartbeat: router.session.sync answered {} {}", reply.error_uri, reply.error_text);
      return;
    }
    auto pos = protocol::decode_sync(reply.args->get());
    if (!pos.ok()) return spdlog::warn("heartbeat: {}", pos.error().message);
    // Hooks published before this answer arrived before it: a mirror that has not reached the router's
    // position lost one (or it was malformed).
    if (reg_.truth().state() == core::mirror::status::live && !reg_.truth().has_reached(pos.value()))
      start_resync("behind the router (router at " + pos.value().epoch + "/" + std::to_string(pos.value().seq) + ")");
  });
}

// ---------------------------------------------------------------------------------------------------------
// Served realms: the meta API.

void service::serve(const std::string& realm) {
  if (served_.count(realm) || realm == opts_.internal_realm) return;
  reg_.serve(realm);
  auto& s = served_[realm];
  s = std::make_unique<served>(io_, realm);
  connect_served(*s);
}

void service::connect_served(served& s) {
  if (stopping_) return;
  const std::uint64_t generation = ++s.generation;
  s.registered = 0;
  s.registering = false;
  s.joined = false;
  s.ready = false;
  link::handlers h;
  const std::string realm = s.realm;
  h.joined = [this, realm, generation](std::uint64_t id) {
    auto it = served_.find(realm);
    if (it != served_.end() && it->second->generation == generation) served_joined(*it->second, id);
  };
  h.lost = [this, realm, generation](const std::string& why) {
    auto it = served_.find(realm);
    if (it != served_.end() && it->second->generation == generation) served_lost(*it->second, why);
  };
  s.l = std::make_unique<link>(io_, opts_.router, s.realm, opts_.creds, std::move(h));
  s.l->start(opts_.heartbeat_timeout * 2);
}

void service::served_joined(served& s, std::uint64_t session_id) {
  spdlog::info("realm '{}': joined as session {}", s.realm, session_id);
  s.session_id = session_id;
  std::vector<core::meta_event> out;
  reg_.hide_session(core::session_id{session_id}, out);
  publish(out);
  // A link that (re)joins while the mirror is not current (say the router restarted and the internal link
  // has not resynced yet) registers only once it is: otherwise the new router's clients could list sessions
  // of a router that is gone. A link that stayed up keeps answering from the last mirror meanwhile.
  s.joined = true;
  if (mirror_current()) register_procedures(s);
}

bool service::mirror_current() const {
  return internal_up_ && !fetching_ && reg_.truth().state() == core::mirror::status::live;
}

void service::register_pending() {
  for (auto& [realm, s] : served_)
    if (s->joined && !s->registering) register_procedures(*s);
}

void service::register_procedures(served& s) {
  s.registering = true;
  const std::uint64_t generation = s.generation;
  const std::string realm = s.realm;
  const std::vector<const char*> procedures = procedures_for(realm);
  for (const char* procedure : procedures) {
    s.l->provide(
        procedure, true,
        [this, realm, procedure](std::shared_ptr<invocation> inv) {
          auto it = served_.find(realm);
          if (it == served_.end()) return inv->fail({uri::unavailable, "realm no longer served"});
          // Our own heartbeats are not counted as calls.
          if (inv->caller() != it->second->session_id)
            inv = std::make_shared<observed_invocation>(std::move(inv), *obs_, realm, procedure);
          handle_call(*it->second, procedure, std::move(inv));
        },
        [this, realm, generation, procedure, n = procedures.size(),
         kill = std::find_if(procedures.begin(), procedures.end(), [](const char* p) {
                  return std::string(p) == uri::kill;
                }) != procedures.end()](const std::string& error) {
          auto it = served_.find(realm);
          if (it == served_.end() || it->second->generation != generation) return;
          served& s = *it->second;
          if (!error.empty()) {
            spdlog::error("realm '{}': cannot register {}: {}{}", realm, procedure, error,
                          error.find("procedure_already_exists") != std::string::npos
                              ? " (another wamp-metad instance already serves this realm?)"
                              : "");
            s.conflict = error.find("procedure_already_exists") != std::string::npos;
            return served_lost(s, "registration failed");
          }
          if (++s.registered < static_cast<int>(n)) return;
          s.ready = true;
          s.attempts = 0;
          spdlog::info("serving the session meta API on realm '{}' ({} procedures{})", realm, n,
                       kill ? ", kill included" : "");
          obs_->link_state(realm, true);
          send_testaments(s);
          std::vector<core::meta_event> out;
          reg_.set_online(realm, true, out);
          publish(out);
          served_heartbeat(s);
          check_ready();
        });
  }
}

void service::served_lost(served& s, const std::string& why) {
  if (stopping_) return;
  std::vector<core::meta_event> out;
  reg_.set_online(s.realm, false, out);
  obs_->link_state(s.realm, false);
  obs_->link_lost(s.realm);
  s.ready = false;
  s.joined = false;
  s.registering = false;
  s.heartbeat_pending = false;
  s.heartbeat.cancel();
  if (s.l) s.l->abort();
  ++s.generation;
  // A conflict with another instance does not clear up in milliseconds: no point in retrying fast.
  const auto delay = s.conflict ? std::chrono::milliseconds(30000) : retry_delay(why, s.attempts++);
  s.conflict = false;
  spdlog::warn("realm '{}': {}; reconnecting in {} ms", s.realm, why, delay.count());
  s.retry.expires_after(delay);
  const std::string realm = s.realm;
  s.retry.async_wait([this, realm](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = served_.find(realm);
    if (it != served_.end()) connect_served(*it->second);
  });
}

// A call to our own wamp.session.count through the router: proves the link works both ways, and confirms
// that every event published before it reached the router.
void service::served_heartbeat(served& s) {
  const std::uint64_t generation = s.generation;
  const std::string realm = s.realm;
  s.heartbeat.expires_after(opts_.heartbeat_interval);
  s.heartbeat.async_wait([this, realm, generation](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    auto it = served_.find(realm);
    if (it == served_.end() || it->second->generation != generation) return;
    served& s = *it->second;
    served_heartbeat(s);
    if (s.heartbeat_pending) return;
    s.heartbeat_pending = true;
    const std::uint64_t mark = reg_.published(realm);
    s.l->call(uri::count, {}, opts_.heartbeat_timeout, [this, realm, generation, mark](const call_reply& reply) {
      auto it = served_.find(realm);
      if (it == served_.end() || it->second->generation != generation) return;
      served& s = *it->second;
      s.heartbeat_pending = false;
      // Any answer from our own handler went through the router both ways (an error too: it refuses while
      // out of touch, say). Silence, a dead connection, or a router that no longer routes the call to us
      // means the link has to be rebuilt.
      const std::string& e = reply.error_uri;
      if (reply.ok || (e.rfind("wamp.error.", 0) == 0 && e != "wamp.error.timeout" && e != "wamp.error.not_connected" &&
                       e != "wamp.error.no_such_procedure" && e != "wamp.error.canceled"))
        return reg_.confirm(realm, mark);
      served_lost(s, "heartbeat: " + reply.error_text);
    });
  });
}

bool service::in_mirror(const std::string& realm, std::uint64_t id) const {
  const core::realm_sessions* sessions = reg_.truth().sessions(realm);
  return sessions && sessions->count(core::session_id{id}) != 0;
}

void service::handle_call(served& s, const std::string& procedure, std::shared_ptr<invocation> inv) {
  if (reg_.truth().state() == core::mirror::status::unsynced)
    return inv->fail({uri::unavailable, "the session mirror is not synced with the router yet"});
  if (out_of_touch_since_) {
    const auto lost = std::chrono::steady_clock::now() - *out_of_touch_since_;
    if (lost > opts_.stale_after)
      return inv->fail({uri::unavailable,
                        "the session mirror has been out of touch with the router for " +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(lost).count()) + " s"});
  }
  auto args = protocol::to_args(inv->args());
  if (!args.ok()) return inv->fail(args.error());
  auto kwargs = protocol::to_kwargs(inv->kwargs());
  if (!kwargs.ok()) return inv->fail(kwargs.error());

  const std::string realm = s.realm;
  const std::uint64_t caller = inv->caller();
  const auto kill = core::kill_kind_of(procedure);
  const bool testament = procedure == uri::add_testament || procedure == uri::flush_testaments;
  // These act for (or spare) the calling session: without knowing it, nothing is done.
  if ((kill || testament) && caller == 0)
    return inv->fail({uri::runtime_error, "the router did not disclose the caller's session, which " + procedure +
                                              " needs (registered with disclose_caller)"});
  // The session a get or kill names, if the arguments name one (read before they move into `answer`).
  std::uint64_t wanted = 0;
  if (procedure == uri::get || kill == core::kill_kind::one) {
    auto id = core::parse_session_arg(args.value(), kill ? core::object{} : kwargs.value());
    if (id.ok()) wanted = id.value().value;
  }
  auto answer = [this, realm, procedure, inv, caller, kill, args = std::move(args.value()),
                 kwargs = std::move(kwargs.value())] {
    core::outcome<core::call_result> result = core::call_error{uri::runtime_error, "unknown procedure"};
    if (procedure == uri::count) {
      result = core::call_count(reg_, realm, args, kwargs);
    } else if (procedure == uri::list) {
      result = core::call_list(reg_, realm, args, kwargs);
    } else if (procedure == uri::get) {
      result = core::call_get(reg_, realm, args, kwargs);
    } else if (kill) {
      auto plan = core::plan_kill(reg_, realm, *kill, core::session_id{caller}, args, kwargs);
      if (!plan.ok()) return inv->fail(plan.error());
      return execute_kill(realm, std::move(plan.value()), inv);
    } else if (!in_mirror(realm, caller)) {
      // Testaments are published when the mirror sees the session go: one it does not hold would never be.
      result = core::call_error{uri::unavailable, "session " + std::to_string(caller) +
                                                      " is not in wamp-metad's mirror of the router yet; try again"};
    } else if (procedure == uri::add_testament) {
      result = testaments_.add(realm, core::session_id{caller}, args, kwargs);
    } else if (procedure == uri::flush_testaments) {
      result = testaments_.flush(realm, core::session_id{caller}, args, kwargs);
    }
    if (result.ok()) {
      inv->reply(result.value());
      reg_.answered(realm);
    } else {
      inv->fail(result.error());
    }
  };

  // The caller is in this realm, so a mirror that does not have it yet is behind the router: a session that
  // calls right after its WELCOME can be ahead of its own joined hook (they travel on different links).
  // Likewise for the session a get or kill names. Such a call waits until the mirror has them both, or has
  // caught up with the router's position.
  spdlog::trace("realm '{}': {} called by {}", realm, procedure, caller);
  // A kill by authid, by authrole or of all acts on every matching session the router has: those that joined
  // just before the call may not be in the mirror yet, so the plan always waits for the router's position.
  if (kill && *kill != core::kill_kind::one) return after_sync(std::move(answer), [] { return false; });
  auto known = [this, realm, caller, wanted] {
    return (caller == 0 || in_mirror(realm, caller)) && (wanted == 0 || in_mirror(realm, wanted));
  };
  if (!known()) {
    spdlog::debug("realm '{}': {} by {} waits for the router's position (session {} or {} not mirrored yet)", realm,
                  procedure, caller, caller, wanted);
    return after_sync(std::move(answer), std::move(known));
  }
  answer();
}

// Runs `then` once the mirror has applied every hook the router had published when we asked for its position
// (router.session.sync), or as soon as `early` holds, or after get_wait at the latest. Hooks published before
// the sync answer arrive before it on the internal link, so reaching that position is enough.
void service::after_sync(std::function<void()> then, std::function<bool()> early) {
  if (!internal_up_) return then();
  auto w = std::make_shared<waiter>(io_);
  w->then = std::move(then);
  w->early = std::move(early);
  waiters_.push_back(w);
  w->deadline.expires_after(opts_.get_wait);
  w->deadline.async_wait([this, w](const boost::system::error_code& ec) {
    if (ec || w->done) return;
    w->done = true;
    w->then();
    check_waiters();
  });
  const std::uint64_t generation = internal_generation_;
  internal_->call(uri::hook_sync, {}, opts_.get_wait, [this, w, generation](const call_reply& r) {
    if (w->done) return;
    if (generation == internal_generation_ && r.ok) {
      auto pos = protocol::decode_sync(r.args->get());
      if (pos.ok()) w->target = pos.value();
    }
    if (!w->target) {
      spdlog::debug("router.session.sync for a waiting call: {} {}", r.error_uri, r.error_text);
      w->target = core::hook_position{};  // no position to wait for: answer now
    } else {
      spdlog::trace("a waiting call waits for {}/{}", w->target->epoch, w->target->seq);
    }
    check_waiters();
  });
}

void service::check_waiters() {
  if (waiters_.empty()) return;
  for (std::size_t i = 0; i < waiters_.size(); ++i) {
    auto w = waiters_[i];  // `then` may add waiters
    if (w->done) continue;
    const bool reached =
        w->early() || (w->target && (w->target->epoch.empty() || reg_.truth().has_reached(*w->target)));
    if (!reached) continue;
    w->done = true;
    w->deadline.cancel();
    w->then();
  }
  waiters_.erase(
      std::remove_if(waiters_.begin(), waiters_.end(), [](const std::shared_ptr<waiter>& w) { return w->done; }),
      waiters_.end());
}

void service::publish(const std::vector<core::meta_event>& events) {
  for (const auto& e : events) {
    auto it = served_.find(e.realm);
    if (it == served_.end() || !it->second->l) continue;
    spdlog::debug("realm '{}': on_{} {}", e.realm, e.what == core::meta_event::kind::join ? "join" : "leave",
                  e.session->id.value);
    if (e.what == core::meta_event::kind::join)
      it->second->l->publish(uri::on_join, core::array{core::details(*e.session)});
    else
      it->second->l->publish(uri::on_leave, core::on_leave_arguments(*e.session));
    obs_->published(e.realm, e.what == core::meta_event::kind::join ? "on_join" : "on_leave");
  }
}

std::vector<const char*> service::procedures_for(const std::string& realm) const {
  std::vector<const char*> procedures{uri::count, uri::list, uri::get};
  if (opts_.testaments.per_session > 0) {
    procedures.push_back(uri::add_testament);
    procedures.push_back(uri::flush_testaments);
  }
  const auto& k = opts_.kill_realms;
  if (std::find(k.begin(), k.end(), "*") != k.end() || std::find(k.begin(), k.end(), realm) != k.end()) {
    for (auto kind :
         {core::kill_kind::one, core::kill_kind::by_authid, core::kill_kind::by_authrole, core::kill_kind::all})
      procedures.push_back(core::kill_procedure(kind));
  }
  return procedures;
}

// The router kills (router.session.kill); its left hook, published before the kill's RESULT on the same
// link, then flows as for any other leave: on_leave and testaments, except after kill_all.
void service::execute_kill(const std::string& realm, core::kill_plan plan, std::shared_ptr<invocation> inv) {
  if (!internal_up_) return inv->fail({uri::unavailable, "the router's internal realm is out of reach: cannot kill"});
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
  spdlog::info("realm '{}': {} by session {}: {} session(s) to kill, reason {}", realm,
               core::kill_procedure(job->plan.kind), job->inv->caller(), job->plan.targets.size(), job->plan.reason);
  kill_next(job);
}

void service::kill_next(const std::shared_ptr<kill_job>& job) {
  const auto& targets = job->plan.targets;
  while (job->in_flight < kills_in_flight && job->next < targets.size()) {
    const core::session_id id = targets[job->next++];
    ++job->in_flight;
    core::array args{id.value, job->plan.reason, job->plan.message ? core::value(*job->plan.message) : core::value()};
    internal_->call(uri::hook_kill, args, opts_.call_timeout, [this, job, id](const call_reply& r) {
      --job->in_flight;
      if (r.ok) {
        job->killed.push_back(id);
      } else {
        if (job->plan.kind == core::kill_kind::all) reg_.quiet_cancelled(job->realm, id);
        job->error = core::call_error{r.error_uri, r.error_text};
        if (r.error_uri != uri::no_such_session) {
          spdlog::warn("realm '{}': router.session.kill of {} failed: {} {}", job->realm, id.value, r.error_uri,
                       r.error_text);
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

void service::release_testaments(const std::string& realm, core::session_id id) {
  auto gone = testaments_.take(realm, id);
  auto it = served_.find(realm);
  if (gone.empty() || it == served_.end()) return;
  served& s = *it->second;
  spdlog::debug("realm '{}': session {} left {} testament(s)", realm, id.value, gone.size());
  for (auto& t : gone)
    s.testaments.push_back(std::move(t));
  send_testaments(s);
}

// After a resync: the sessions that are gone without a left hook seen (a lost link, a router restart).
void service::release_gone_testaments() {
  if (testaments_.empty()) return;
  for (const auto& [realm, id] : testaments_.holders())
    if (!in_mirror(realm, id.value)) release_testaments(realm, id);
}

// Published at most once: a testament sent on a link that breaks before it reaches the router is lost.
void service::send_testaments(served& s) {
  if (!s.ready || !s.l) return;  // the realm's link is down: sent when it is ready again
  for (const auto& t : s.testaments) {
    s.l->publish(t.topic, t.args, t.kwargs);
    obs_->published(s.realm, "testament");
  }
  s.testaments.clear();
}

void service::check_ready() {
  if (ready_announced_ || reg_.truth().state() != core::mirror::status::live) return;
  for (const auto& [realm, s] : served_)
    if (!s->ready) return;
  ready_announced_ = true;
  spdlog::info("ready: mirror synced, {} realm(s) served", served_.size());
  if (on_ready) on_ready();
}

}  // namespace wamp_metad::adapter
