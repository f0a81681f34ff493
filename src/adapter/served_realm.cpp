#include "served_realm.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "backoff.hpp"
#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::adapter::detail {
namespace {

// Another instance holds the procedures: that does not clear up in milliseconds, so it is retried slowly.
constexpr std::chrono::milliseconds conflict_retry{30000};

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

bool listed(const std::vector<std::string>& realms, const std::string& realm) {
  return std::find(realms.begin(), realms.end(), "*") != realms.end() ||
         std::find(realms.begin(), realms.end(), realm) != realms.end();
}

}  // namespace

served_realm::served_realm(owner& o, std::string realm)
    : o_(o), realm_(std::move(realm)), retry_(o.io), heartbeat_(o.io) {}

std::vector<const core::procedure*> served_realm::procedures() const {
  std::vector<const core::procedure*> out;
  for (const auto& p : core::procedures()) {
    const bool served = p.group == core::opt_in::none ||
                        (p.group == core::opt_in::testaments && o_.opts.testaments.per_session > 0) ||
                        (p.group == core::opt_in::kill && listed(o_.opts.kill_realms, realm_));
    if (served && (!p.needs_v2 || o_.router_protocol() >= 2)) out.push_back(&p);
  }
  return out;
}

core::object served_realm::features() const {
  core::object broker{{"session_meta_api", true}};
  core::object dealer{{"session_meta_api", true}};
  if (o_.opts.testaments.per_session > 0) dealer.emplace_back("testament_meta_api", true);
  if (o_.router_protocol() >= 2) {
    broker.emplace_back("subscription_meta_api", true);
    dealer.emplace_back("registration_meta_api", true);
  }
  return {{"broker", std::move(broker)}, {"dealer", std::move(dealer)}};
}

void served_realm::connect() {
  if (stopping_) return;
  next_generation();
  registered_ = 0;
  registering_ = false;
  joined_ = false;
  ready_ = false;
  link::handlers h;
  h.joined = guarded([](served_realm& s, std::uint64_t id) { s.joined(id); });
  h.lost = guarded([](served_realm& s, const failure& why) { s.lost(why); });
  link_ = std::make_unique<link>(o_.io, o_.opts.router, realm_, o_.opts.creds, std::move(h));
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
  joined_ = true;
  if (o_.mirror_current()) register_procedures();
}

void served_realm::register_if_waiting() {
  if (joined_ && !registering_) register_procedures();
}

void served_realm::register_procedures() {
  registering_ = true;
  const auto list = procedures();
  for (const core::procedure* p : list) {
    link_->provide(
        p->uri, true,
        [weak = weak_from_this(), p](std::shared_ptr<invocation> inv) {
          auto self = weak.lock();
          if (!self) return inv->fail({uri::unavailable, "realm no longer served"});
          // Our own heartbeats are not counted as calls.
          if (inv->caller() != self->session_id_)
            inv = std::make_shared<observed_invocation>(std::move(inv), self->o_.obs, self->realm_, p->uri);
          self->o_.call(self->realm_, *p, std::move(inv));
        },
        guarded([p, total = list.size()](served_realm& s, const std::optional<failure>& error) {
          s.registered(*p, error, total);
        }));
  }
}

void served_realm::registered(const core::procedure& p, const std::optional<failure>& error, std::size_t total) {
  if (error) {
    const bool conflict = error->what == failure::kind::conflict;
    spdlog::error("realm '{}': cannot register {}: {}{}", realm_, p.uri, error->message,
                  conflict ? " (another wamp-metad instance already serves this realm?)" : "");
    return lost({error->what, error->uri, "registration failed", error->reason});
  }
  if (++registered_ < total) return;
  ready_ = true;
  attempts_ = 0;
  const auto list = procedures();
  const bool kill =
      std::any_of(list.begin(), list.end(), [](const core::procedure* q) { return q->group == core::opt_in::kill; });
  spdlog::info("serving the session meta API on realm '{}' ({} procedures{})", realm_, total,
               kill ? ", kill included" : "");
  o_.obs.link_state(realm_, true);
  send_testaments();
  std::vector<core::meta_event> out;
  o_.reg.set_online(realm_, true, out);
  o_.publish(out);
  heartbeat();
  o_.ready(*this);
}

void served_realm::lost(const failure& why) {
  if (stopping_) return;
  std::vector<core::meta_event> out;
  o_.reg.set_online(realm_, false, out);
  o_.obs.link_state(realm_, false);
  o_.obs.link_lost(realm_, why);
  ready_ = false;
  joined_ = false;
  registering_ = false;
  heartbeat_pending_ = false;
  heartbeat_.cancel();
  if (link_) link_->close();
  next_generation();
  const auto delay = why.what == failure::kind::conflict ? conflict_retry : retry_delay(o_.opts, why, attempts_++);
  spdlog::warn("realm '{}': {}; reconnecting in {} ms", realm_, why.message, delay.count());
  retry_.expires_after(delay);
  retry_.async_wait(guarded([](served_realm& s, const boost::system::error_code& ec) {
    if (!ec) s.connect();
  }));
}

// A call to our own wamp.session.count through the router: proves the link works both ways, and confirms
// that every event published before it reached the router.
void served_realm::heartbeat() {
  heartbeat_.expires_after(o_.opts.heartbeat_interval);
  heartbeat_.async_wait(guarded([](served_realm& s, const boost::system::error_code& ec) {
    if (ec || s.stopping_) return;
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
  using kind = core::meta_event::kind;
  if (e.what == kind::join || e.what == kind::leave) {
    const bool join = e.what == kind::join;
    spdlog::debug("realm '{}': on_{} {}", realm_, join ? "join" : "leave", e.session->id.value);
    if (join)
      link_->publish(uri::on_join, core::array{core::details(*e.session)});
    else if (listed(o_.opts.on_leave_session_only, realm_))
      link_->publish(uri::on_leave, core::array{e.session->id.value});  // as Crossbar and nexus shape it
    else
      link_->publish(uri::on_leave, core::on_leave_arguments(*e.session));
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
    link_->publish(topic, core::array{e.member.value, core::observation_details(*e.details)});
  else
    link_->publish(topic, core::array{e.member.value, e.observation});
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
  if (!ready_ || !link_) return;  // the link is down: sent when it is ready again
  for (const auto& t : testaments_) {
    link_->publish(t.topic, t.args, t.kwargs);
    o_.obs.published(realm_, "testament");
  }
  testaments_.clear();
}

void served_realm::stop_timers() {
  stopping_ = true;
  retry_.cancel();
  heartbeat_.cancel();
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
