#include "served_realm.hpp"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "backoff.hpp"
#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"

namespace wamp_metad::adapter::detail {
namespace {

// Another instance holds the procedures: that does not clear up in milliseconds, so it is retried slowly.
constexpr std::chrono::milliseconds conflict_retry{30000};
// A standby tries to take the procedures over as soon as one of the other instance's sessions leaves the
// realm, and, in case it missed that, every so often.
constexpr std::chrono::milliseconds standby_poll{2000};

// An invocation that tells the observer how it was answered, and how long that took.
class observed_invocation final : public invocation {
 public:
  observed_invocation(std::shared_ptr<invocation> inner, service_observer& obs, std::string realm,
                      std::string procedure)
      : inner_(std::move(inner)), obs_(obs), realm_(std::move(realm)), procedure_(std::move(procedure)) {}
  const msgpack::object& args() const override { return inner_->args(); }
  const msgpack::object& kwargs() const override { return inner_->kwargs(); }
  std::uint64_t caller() const override { return inner_->caller(); }
  std::optional<core::hook_position> position() const override { return inner_->position(); }
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

}  // namespace

static_assert(std::size(realm_phase_names) == static_cast<std::size_t>(served_realm::phase::leaving) + 1,
              "a name for every phase");

const char* served_realm::phase_name(phase p) {
  return realm_phase_names[static_cast<int>(p)];
}

served_realm::served_realm(owner& o, std::string realm)
    : o_(o), realm_(std::move(realm)), settings_(o.settings()), retry_(o.io), standby_poll_(o.io), heartbeat_(o.io) {
  o_.obs.phase(realm_, phase_name(phase_));
}

// The one place the phase changes. The registry's view of the realm (what its subscribers were told) follows:
// suspended while another instance tells them, offline while nothing is told, and live again as the realm
// goes live (adopted after an exact catch-up, resumed by re-announcing otherwise).
void served_realm::enter(phase next, told_view view) {
  const phase before = phase_;
  if (before == next && view == told_view::as_is) return;
  phase_ = next;
  std::vector<core::meta_event> out;
  switch (next) {
    case phase::standing_by:
      o_.reg.suspend(realm_);
      break;
    case phase::out_of_touch:
    case phase::reconnecting:
      o_.reg.set_online(realm_, false, out);
      break;
    case phase::live:
      if (view == told_view::adopt) o_.reg.adopt(realm_);
      if (view == told_view::resume) o_.reg.resume(realm_, out);
      break;
    default:
      break;
  }
  o_.publish(out);
  if (before != next) {
    spdlog::debug("realm '{}': {} -> {}", realm_, phase_name(before), phase_name(next));
    o_.obs.phase(realm_, phase_name(next));
    if (o_.phase_changed) o_.phase_changed();
  }
}

bool served_realm::settled() const {
  if (phase_ == phase::live || o_.internal.told_positions() == feed::support::no || !o_.internal.current()) return true;
  return phase_ != phase::registering && phase_ != phase::catching_up;
}

core::serving served_realm::serving() const {
  return {o_.opts.testaments.per_session > 0, settings_->kill(realm_), o_.internal.protocol() >= 2};
}

std::vector<const core::procedure*> served_realm::procedures() const {
  std::vector<const core::procedure*> out;
  const core::serving s = serving();
  for (const auto& p : core::procedures())
    if (core::served(p, s)) out.push_back(&p);
  return out;
}

core::object served_realm::features() const {
  return core::features(serving());
}

void served_realm::connect() {
  if (phase_ == phase::leaving) return;
  next_generation();
  registered_ = 0;
  catch_up_.reset();
  enter(phase::joining);
  link::handlers h;
  h.joined = guarded([](served_realm& s, std::uint64_t id) { s.joined(id); });
  h.lost = guarded([](served_realm& s, const failure& why) { s.lost(why); });
  link_ = o_.links(o_.io, o_.opts.router, realm_, o_.opts.creds, std::move(h));
  link_->start(o_.opts.heartbeat_timeout * 2);
}

void served_realm::joined(std::uint64_t session_id) {
  spdlog::info("realm '{}': joined as session {}", realm_, session_id);
  session_id_ = session_id;
  std::vector<core::meta_event> out;
  o_.reg.hide_session(core::session_id{session_id}, out);
  o_.publish(out);
  // A link that (re)joins while the mirror is not current (say the router restarted and the internal link
  // has not resynced yet) registers only once it is: otherwise the new router's clients could list sessions
  // of a router that is gone. A link that stayed up keeps answering from the last mirror meanwhile.
  enter(phase::waiting);
  if (o_.internal.current()) register_procedures();
}

void served_realm::mirror_synced() {
  if (phase_ == phase::waiting)
    register_procedures();
  else if (phase_ == phase::out_of_touch || phase_ == phase::live)
    go_live();
}

// A standby (or a realm waiting for the mirror) may ask for the procedures now.
bool served_realm::may_register() const {
  return (phase_ == phase::standing_by || phase_ == phase::waiting) && o_.internal.current();
}

// The first procedure is the lock: whoever registers it serves the realm, and registers the others then.
// Two instances that try at once never end up with half the procedures each.
void served_realm::register_procedures() {
  from_standby_ = phase_ == phase::standing_by;
  standby_poll_.cancel();
  registered_ = 0;
  enter(phase::registering);
  // One list for the whole attempt (the router's protocol version, which it depends on, may change meanwhile).
  registering_list_ = procedures();
  provide(registering_list_.front(), true);
}

void served_realm::provide(const core::procedure* p, bool lock) {
  link_->provide(
      p->uri, true,
      [weak = weak_from_this(), p](std::shared_ptr<invocation> inv) {
        auto self = weak.lock();
        if (!self) return inv->fail({uri::unavailable, "realm no longer served"});
        // Our own heartbeats are not counted as calls, nor held.
        if (inv->caller() == self->session_id_) return self->o_.call(self->realm_, *p, std::move(inv), {});
        inv = std::make_shared<observed_invocation>(std::move(inv), self->o_.obs, self->realm_, p->uri);
        self->o_.call(self->realm_, *p, std::move(inv), [weak] {
          auto s = weak.lock();
          return !s || s->settled();
        });
      },
      guarded([p, lock](served_realm& s, const std::optional<failure>& error) {
        if (lock && !error) {
          for (std::size_t i = 1; i < s.registering_list_.size(); ++i)
            s.provide(s.registering_list_[i], false);
        }
        s.registered(*p, error);
      }));
}

void served_realm::registered(const core::procedure& p, const std::optional<failure>& error) {
  if (phase_ != phase::registering) return;
  if (error) {
    const bool conflict = error->what == failure::kind::conflict;
    if (conflict && o_.opts.standby && registered_ == 0) return stand_by();
    spdlog::error("realm '{}': cannot register {}: {}{}", realm_, p.uri, error->message,
                  conflict ? " (another wamp-metad instance already serves this realm?)" : "");
    return lost({error->what, error->uri, "registration failed", error->reason});
  }
  const std::size_t total = registering_list_.size();
  if (++registered_ < total) return;
  attempts_ = 0;
  const bool kill = std::any_of(registering_list_.begin(), registering_list_.end(),
                                [](const core::procedure* q) { return q->group == core::opt_in::kill; });
  o_.obs.role(realm_, true);
  if (from_standby_) {
    o_.obs.takeover(realm_);
    spdlog::info("realm '{}': took over (the instance that served it is gone)", realm_);
    from_standby_ = false;
  }
  spdlog::info("serving the session meta API on realm '{}' ({} procedures{})", realm_, total,
               kill ? ", kill included" : "");
  o_.obs.link_state(realm_, true);
  enter(phase::out_of_touch);  // registered; nothing told until go_live says how
  go_live();
  send_testaments();
  heartbeat();
  o_.ready(*this);
}

// Another instance serves the realm (its registration of the lock procedure stands): the mirror is kept,
// nothing is told here, and the procedures are tried again when one of that instance's sessions leaves
// (see observe()), or after standby_poll.
void served_realm::stand_by() {
  const bool first = !from_standby_;
  if (first) {
    o_.obs.role(realm_, false);
    spdlog::info("realm '{}': standing by (another instance serves it)", realm_);
  }
  registered_ = 0;
  catch_up_.reset();
  enter(phase::standing_by);
  standby_poll_.expires_after(standby_poll);
  standby_poll_.async_wait(guarded([](served_realm& s, const boost::system::error_code& ec) {
    if (!ec && s.may_register()) s.register_procedures();
  }));
  if (first) o_.ready(*this);
}

void served_realm::observe(const core::hook_event& ev) {
  if (catch_up_) catch_up_->on_hook(ev);
  if (phase_ != phase::standing_by || ev.kind != core::hook_kind::left || ev.session.id.value == session_id_) return;
  // One of the serving instance's links (a session of a hidden role) leaves: the procedures may be free.
  const core::session_record* leaving = o_.reg.truth().find(realm_, ev.session.id);
  if (!leaving) return;
  const auto& roles = o_.opts.hidden_authroles;
  if (std::find(roles.begin(), roles.end(), leaving->authrole) == roles.end()) return;
  boost::asio::post(o_.io, guarded([](served_realm& s) {
                      if (s.may_register()) s.register_procedures();
                    }));
}

// Events flow again once the realm's subscribers are told exactly what they missed: from the router's told
// positions when it keeps them (a catch-up), else by convergence as before.
void served_realm::go_live() {
  if (phase_ == phase::catching_up || phase_ == phase::live || !o_.internal.current()) return;
  if (o_.internal.told_positions() == feed::support::no) {
    tag_ = false;
    return enter(phase::live, told_view::resume);
  }
  catch_up_ = std::make_unique<core::catch_up>(realm_, o_.opts.hidden_authroles);
  enter(phase::catching_up);
  fetch_catch_up(++catch_up_token_, std::nullopt);
}

void served_realm::unsettled() {
  if (phase_ == phase::catching_up) {
    catch_up_.reset();
    ++catch_up_token_;
    enter(phase::out_of_touch);
  } else if (phase_ == phase::live && tag_) {
    enter(phase::out_of_touch);
  }
}

// The first page asks for the state of what the hooks since the told position touch only (the rest is as the
// mirror has it): the catch-up costs in proportion to the hooks missed, not to the realm's size. A router that
// does not take that option is asked for the whole state (and then always, until the feed reconnects).
void served_realm::fetch_catch_up(std::uint64_t token, std::optional<std::string> cursor) {
  core::array args{realm_};
  if (cursor)
    args.emplace_back(*cursor);
  else if (o_.internal.sparse_catch_up() != feed::support::no)
    args = {realm_, core::value(), core::object{{"state", "touched"}}};
  o_.internal.request(uri::hook_catch_up, args,
                      guarded([token, first = !cursor](served_realm& s, const call_reply& reply) {
                        s.caught_up_page(token, first, reply);
                      }));
}

void served_realm::caught_up_page(std::uint64_t token, bool first, const call_reply& reply) {
  if (token != catch_up_token_ || !catch_up_) return;
  if (!reply.ok()) {
    const auto& e = *reply.error;
    if (e.uri == uri::invalid_argument && first && o_.internal.sparse_catch_up() == feed::support::unknown) {
      spdlog::info("realm '{}': the router takes no catch-up options; asking for the whole state", realm_);
      o_.internal.set_sparse_catch_up(feed::support::no);
      return fetch_catch_up(token, std::nullopt);
    }
    if (e.uri == uri::no_such_procedure) {
      o_.internal.set_told_positions(feed::support::no);
      return fall_back(core::catch_up_outcome::unsupported,
                       std::string("the router keeps no told positions (no ") + uri::hook_catch_up + ")");
    }
    if (e.uri == uri::history_lost) {
      o_.internal.set_told_positions(feed::support::yes);
      return fall_back(core::catch_up_outcome::history_lost,
                       e.message +
                           " (the router's record of what this realm was told is older than its hook history: "
                           "raise the router's history, or expect this after long outages)");
    }
    return fall_back(core::catch_up_outcome::failed, std::string(uri::hook_catch_up) + ": " + e.message);
  }
  auto page = protocol::decode_catch_up_page(reply.args->get(), realm_);
  if (!page.ok()) {
    o_.obs.malformed("catch_up");
    return fall_back(core::catch_up_outcome::failed,
                     "malformed " + std::string(uri::hook_catch_up) + " answer: " + page.error().message);
  }
  o_.internal.set_told_positions(feed::support::yes);
  if (o_.internal.sparse_catch_up() == feed::support::unknown) o_.internal.set_sparse_catch_up(feed::support::yes);
  auto cursor = page.value().state.next_cursor;
  if (auto added = catch_up_->add(std::move(page.value())); !added.ok())
    return fall_back(core::catch_up_outcome::failed,
                     "inconsistent " + std::string(uri::hook_catch_up) + " answer: " + added.error().message);
  if (cursor) return fetch_catch_up(token, std::move(cursor));

  const std::size_t hooks = catch_up_->hooks();
  auto replayed = catch_up_->replay();
  if (!replayed.ok()) return fall_back(core::catch_up_outcome::failed, "catch-up: " + replayed.error().message);
  const std::vector<core::meta_event>& out = replayed.value();
  o_.obs.catch_up(realm_, core::catch_up_outcome::exact);
  const auto& told = catch_up_->told();
  spdlog::info("realm '{}': caught up exactly from the router's record ({}): {} hook(s) since, {} event(s) told",
               realm_,
               told ? "seq " + std::to_string(told->first) + " event " + std::to_string(told->second)
                    : std::string("nothing told in this router run"),
               hooks, out.size());
  tag_ = true;
  told_epoch_ = catch_up_->epoch();
  catch_up_.reset();
  for (const auto& e : out)
    publish(e);
  // Everything the mirror holds now has been told: the realm goes on from here, hook by hook.
  enter(phase::live, told_view::adopt);
}

void served_realm::fall_back(core::catch_up_outcome outcome, const std::string& why) {
  catch_up_.reset();
  ++catch_up_token_;
  o_.obs.catch_up(realm_, outcome);  // counted before it is logged: whoever reads the log finds it counted
  // A router without told positions is a choice (info); one that has them and could not serve them, a fault.
  spdlog::log(outcome == core::catch_up_outcome::unsupported ? spdlog::level::info : spdlog::level::warn,
              "realm '{}': cannot catch up exactly ({}): telling what the subscribers may have missed by "
              "re-announcing it (duplicates possible)",
              realm_, why);
  const auto& pos = o_.reg.truth().position();
  tag_ = o_.internal.told_positions() == feed::support::yes && pos;
  if (tag_) told_epoch_ = pos->epoch;
  enter(phase::live, told_view::resume);
}

void served_realm::lost(const failure& why) {
  if (phase_ == phase::leaving) return;
  catch_up_.reset();
  ++catch_up_token_;
  standby_poll_.cancel();
  o_.obs.link_state(realm_, false);
  o_.obs.link_lost(realm_, why);
  heartbeat_pending_ = false;
  heartbeat_.cancel();
  if (link_) link_->close();
  next_generation();
  enter(phase::reconnecting);
  const auto delay = why.what == failure::kind::conflict ? conflict_retry : retry_delay(o_.opts, why, attempts_++);
  spdlog::warn("realm '{}': {}; reconnecting in {} ms", realm_, why.message, delay.count());
  retry_.expires_after(delay);
  retry_.async_wait(guarded([](served_realm& s, const boost::system::error_code& ec) {
    if (!ec) s.connect();
  }));
}

void served_realm::reconfigure(std::shared_ptr<const realm_settings> next) {
  settings_ = std::move(next);
  if (phase_ != phase::registering && !ready()) return;  // the next registration takes the new list
  if (procedures() == registering_list_) return;
  // The procedures to serve changed (the kill family): registered again, on a link of its own.
  spdlog::info("realm '{}': the reload changes its procedures: registering them again", realm_);
  lost({failure::kind::closed, uri::not_connected, "reload: procedures changed"});
}

// A call to our own wamp.session.count through the router: proves the link works both ways, and confirms
// that every event published before it reached the router.
void served_realm::heartbeat() {
  heartbeat_.expires_after(o_.opts.heartbeat_interval);
  heartbeat_.async_wait(guarded([](served_realm& s, const boost::system::error_code& ec) {
    if (ec || s.phase_ == phase::leaving) return;
    s.heartbeat();
    if (s.heartbeat_pending_) return;
    s.heartbeat_pending_ = true;
    const std::uint64_t mark = s.o_.reg.published(s.realm_);
    s.link_->call(uri::count, {}, s.o_.opts.heartbeat_timeout,
                  s.guarded([mark](served_realm& s, const call_reply& reply) {
                    s.heartbeat_pending_ = false;
                    // Any answer from our own handler went through the router both ways (an error too: it
                    // refuses while out of touch, say). Silence, a dead connection, or a router that no longer
                    // routes the call to us means the link has to be rebuilt.
                    const failure* e = reply.error ? &*reply.error : nullptr;
                    if (!e || (e->what == failure::kind::refused && e->uri.rfind(uri::error_prefix, 0) == 0 &&
                               e->uri != uri::no_such_procedure && e->uri != uri::canceled))
                      return s.o_.reg.confirm(s.realm_, mark);
                    s.lost({e->what, e->uri, "heartbeat: " + e->message, e->reason});
                  }));
  }));
}

void served_realm::publish(const core::meta_event& e) {
  if (!link_) return;
  // With told positions, an event that tells a hook carries where it stands, for the router to record.
  const auto send = [&](const char* topic, const core::array& args) {
    if (tag_ && e.seq != 0) {
      const link::told_position told{told_epoch_, e.seq, e.index};
      link_->publish(topic, args, nullptr, &told);
    } else {
      link_->publish(topic, args);
    }
  };
  using kind = core::meta_event::kind;
  if (e.what == kind::join || e.what == kind::leave) {
    const bool join = e.what == kind::join;
    spdlog::debug("realm '{}': on_{} {}", realm_, join ? "join" : "leave", e.session->id.value);
    if (join)
      send(uri::on_join, core::array{core::details(*e.session)});
    else if (settings_->on_leave_session_only_on(realm_))
      send(uri::on_leave, core::array{e.session->id.value});  // as Crossbar and nexus shape it
    else
      send(uri::on_leave, core::on_leave_arguments(*e.session));
    o_.obs.published(realm_, join ? "on_join" : "on_leave");
    return;
  }
  // The registration and subscription events: [session, details] for on_create, [session, id] for the others.
  const bool reg = e.of == core::observation_kind::registration;
  static constexpr const char* topics[2][4] = {{uri::subscription_on_create, uri::subscription_on_subscribe,
                                                uri::subscription_on_unsubscribe, uri::subscription_on_delete},
                                               {uri::registration_on_create, uri::registration_on_register,
                                                uri::registration_on_unregister, uri::registration_on_delete}};
  const char* topic = topics[reg ? 1 : 0][static_cast<int>(e.what) - static_cast<int>(kind::created)];
  spdlog::debug("realm '{}': {} {} by {}", realm_, topic, e.observation, e.member.value);
  if (e.what == kind::created)
    send(topic, core::array{e.member.value, core::observation_details(*e.details)});
  else
    send(topic, core::array{e.member.value, e.observation});
  o_.obs.published(realm_, reg ? "registration" : "subscription");
}

void served_realm::add_testaments(std::vector<core::testament> gone) {
  spdlog::debug("realm '{}': {} testament(s) due", realm_, gone.size());
  for (auto& t : gone)
    testaments_.push_back(std::move(t));
  send_testaments();
}

// Published at most once: a testament sent on a link that breaks before it reaches the router is lost.
void served_realm::send_testaments() {
  if (!ready() || !link_) return;  // the link is down: sent when it is ready again
  for (const auto& t : testaments_) {
    link_->publish(t.topic, t.args, t.kwargs);
    o_.obs.published(realm_, "testament");
  }
  testaments_.clear();
}

void served_realm::stop_timers() {
  enter(phase::leaving);
  retry_.cancel();
  heartbeat_.cancel();
  standby_poll_.cancel();
}

void served_realm::leave(std::function<void()> gone) {
  stop_timers();
  next_generation();  // whatever the link still reports is ignored
  o_.obs.link_state(realm_, false);
  // Once: when the GOODBYE was answered, or after a second. Never from inside the link's own callback.
  auto timer = std::make_shared<boost::asio::steady_timer>(o_.io, std::chrono::seconds(1));
  auto once = [io = &o_.io, timer, gone = std::make_shared<std::function<void()>>(std::move(gone))] {
    timer->cancel();
    if (!*gone) return;
    boost::asio::post(*io, std::move(*gone));
    *gone = nullptr;
  };
  timer->async_wait([once](const boost::system::error_code& ec) {
    if (!ec) once();
  });
  if (link_)
    link_->begin_stop(once);
  else
    once();
}

void served_realm::begin_stop(std::function<void()> closed) {
  stop_timers();
  if (!link_) return closed();
  link_->begin_stop(std::move(closed));
}

void served_realm::close() {
  if (link_) link_->close();
}

}  // namespace wamp_metad::adapter::detail
