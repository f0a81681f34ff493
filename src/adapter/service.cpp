#include "wamp_metad/adapter/service.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "calls.hpp"
#include "feed.hpp"
#include "served_realm.hpp"

namespace wamp_metad::adapter {
namespace {

// Reports nothing: the observer when none is given.
class no_observer final : public service_observer {
 public:
  void hook(const char*) override {}
  void malformed(const char*) override {}
  void resync() override {}
  void link_state(const std::string&, bool) override {}
  void link_lost(const std::string&, const failure&) override {}
  void call(const std::string&, const std::string&, const std::string&, double) override {}
  void published(const std::string&, const char*) override {}
  void role(const std::string&, bool) override {}
  void takeover(const std::string&) override {}
  void catch_up(const std::string&, core::catch_up_outcome) override {}
  void phase(const std::string&, const char*) override {}
  void testament(const std::string&, bool, bool) override {}
  void router_level(const char*, bool) override {}
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

bool listed(const std::vector<std::string>& realms, const std::string& realm) {
  return std::find(realms.begin(), realms.end(), "*") != realms.end() ||
         std::find(realms.begin(), realms.end(), realm) != realms.end();
}

}  // namespace

std::shared_ptr<const realm_settings> realm_settings::from(const service_options& o) {
  return std::make_shared<const realm_settings>(realm_settings{o.kill_realms, o.policy, o.on_leave_session_only});
}

bool realm_settings::kill(const std::string& realm) const {
  return listed(kill_realms, realm);
}

bool realm_settings::on_leave_session_only_on(const std::string& realm) const {
  return listed(on_leave_session_only, realm);
}

service::service(boost::asio::io_context& io, service_options opts, link_factory links)
    : io_(io),
      opts_(std::move(opts)),
      links_(std::move(links)),
      settings_(realm_settings::from(opts_)),
      realms_(opts_.realms),
      reg_(registry_options(opts_)),
      testaments_(opts_.testaments),
      obs_(opts_.observer ? opts_.observer : &nothing_observed) {
  detail::feed::events ev;
  ev.hook = [this](const core::hook_event& h) {
    auto it = served_.find(h.session.realm);
    if (it != served_.end()) it->second->observe(h);
  };
  ev.unsettled = [this] {
    for (auto& [realm, s] : served_)
      s->unsettled();
    calls_->check_waiters();
  };
  ev.left = [this](const std::string& realm, core::session_id id) { release_testaments(realm, id); };
  ev.resynced = [this] { release_gone_testaments(); };
  ev.changed = [this](std::vector<core::meta_event>& out) {
    publish(out);
    for (const auto& realm : reg_.take_new_realms())
      serve(realm);
    calls_->check_waiters();
  };
  ev.synced = [this] {
    for (auto& [realm, s] : served_)
      s->mirror_synced();
    check_ready();
  };
  feed_ = std::make_shared<detail::feed>(io_, opts_, links_, reg_, *obs_, std::move(ev));
  calls_ = std::make_unique<detail::calls>(io_, opts_, settings_, reg_, testaments_, *feed_, *obs_);
  realm_owner_.reset(new detail::realm_owner{
      io_, opts_, [this] { return settings_; }, links_, reg_, *obs_,
      [this](const std::string& realm, const core::procedure& p, std::shared_ptr<invocation> inv,
             std::function<bool()> settled) { calls_->handle(realm, p, std::move(inv), std::move(settled)); },
      [this](const std::vector<core::meta_event>& events) { publish(events); },
      [this](detail::served_realm& s) {
        feed_->announce(s.realm(), s.features());
        check_ready();
      },
      *feed_, [this] { calls_->check_waiters(); }});
}

service::~service() {
  served_.clear();
  leaving_.clear();
  feed_.reset();
}

void service::start() {
  if (!opts_.all_realms)
    for (const auto& realm : realms_)
      serve(realm);
  feed_->start();
}

void service::stop(std::chrono::steady_clock::time_point deadline, std::function<void()> done) {
  stopping_ = true;
  calls_->cancel();
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
      s->close();
    feed_->close();
    for (auto& s : leaving_)
      s->close();
    if (in_time)
      spdlog::info("left every realm");
    else
      spdlog::warn("left every realm; {} link(s) had not closed by the deadline", st->open);
    if (st->done) st->done();
  };
  auto closed = [st, finish] {
    if (--st->open == 0) finish(true);
  };
  // One for each served realm and the feed, and one that stands for this function: nothing to close ends here.
  st->open = static_cast<int>(served_.size()) + 2;
  for (auto& [realm, s] : served_)
    s->begin_stop(closed);
  feed_->begin_stop(closed);
  stop_timer_ = std::make_unique<boost::asio::steady_timer>(io_, deadline);
  stop_timer_->async_wait([finish](const boost::system::error_code& ec) {
    if (!ec) finish(false);
  });
  closed();
}

void service::reconfigure(const service_options& next) {
  if (stopping_) return;
  settings_ = realm_settings::from(next);
  calls_->reconfigure(settings_);
  for (auto& [realm, s] : served_)
    s->reconfigure(settings_);
  if (opts_.all_realms) return;
  const auto& realms = next.realms;
  std::vector<std::string> gone;
  for (const auto& [realm, s] : served_)
    if (std::find(realms.begin(), realms.end(), realm) == realms.end()) gone.push_back(realm);
  for (const auto& realm : gone) {
    auto it = served_.find(realm);
    std::shared_ptr<detail::served_realm> s = std::move(it->second);
    served_.erase(it);
    leaving_.push_back(s);
    s->leave([this, weak = std::weak_ptr<detail::served_realm>(s)] {
      auto s = weak.lock();
      if (!s) return;
      s->close();
      leaving_.erase(std::remove(leaving_.begin(), leaving_.end(), s), leaving_.end());
    });
    reg_.unserve(realm);
    testaments_.discard_realm(realm);
    feed_->announce(realm, std::nullopt);
    spdlog::info("realm '{}' no longer served", realm);
  }
  for (const auto& realm : realms) {
    if (served_.count(realm)) continue;
    spdlog::info("realm '{}' served from now on", realm);
    serve(realm);
  }
  realms_ = realms;
}

std::vector<std::pair<std::string, std::string>> service::phases() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [realm, s] : served_)
    out.emplace_back(realm, detail::served_realm::phase_name(s->current()));
  return out;
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
    if (s->ready()) ++st.realms_ready;
  st.resyncs = feed_->resyncs();
  return st;
}

void service::serve(const std::string& realm) {
  if (stopping_ || served_.count(realm) || realm == opts_.internal_realm) return;
  reg_.serve(realm);
  auto s = std::make_shared<detail::served_realm>(*realm_owner_, realm);
  served_[realm] = s;
  s->connect();
}

void service::publish(const std::vector<core::meta_event>& events) {
  for (const auto& e : events) {
    auto it = served_.find(e.realm);
    if (it != served_.end()) it->second->publish(e);
  }
}

void service::release_testaments(const std::string& realm, core::session_id id) {
  if (testaments_.empty()) return;
  auto gone = testaments_.take(realm, id);
  auto it = served_.find(realm);
  if (gone.empty() || it == served_.end()) return;
  it->second->add_testaments(std::move(gone));
}

void service::release_gone_testaments() {
  if (testaments_.empty()) return;
  for (const auto& [realm, id] : testaments_.holders()) {
    if (!reg_.truth().has(realm, id)) release_testaments(realm, id);
  }
}

void service::check_ready() {
  if (ready_announced_ || reg_.truth().state() != core::mirror::status::live) return;
  std::size_t standing_by = 0;
  for (const auto& [realm, s] : served_) {
    if (s->standing_by()) ++standing_by;
    if (!s->ready() && !s->standing_by()) return;
  }
  ready_announced_ = true;
  if (standing_by)
    spdlog::info("ready: mirror synced, {} realm(s) served, standing by for {}", served_.size() - standing_by,
                 standing_by);
  else
    spdlog::info("ready: mirror synced, {} realm(s) served", served_.size());
  if (on_ready) on_ready();
}

}  // namespace wamp_metad::adapter
