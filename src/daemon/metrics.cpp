#include "wamp_metad/daemon/metrics.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace wamp_metad::daemon {

namespace pm = prometheus;

// The families, and the series already made (looked up by the owner thread only; prometheus-cpp's metric
// objects themselves are safe to read from the exposer's thread).
struct metrics::impl {
  explicit impl(const std::string& address) : registry(std::make_shared<pm::Registry>()), exposer(address) {}

  // The registry outlives the exposer: members go in reverse order, so the exposer's server threads (one of
  // them may be answering a scrape) are stopped before the registry they read is destroyed.
  std::shared_ptr<pm::Registry> registry;
  pm::Exposer exposer;
  std::string bound;

  pm::Family<pm::Gauge>* sessions = nullptr;
  pm::Gauge* mirrored = nullptr;
  pm::Family<pm::Counter>* hooks = nullptr;
  pm::Family<pm::Counter>* malformed = nullptr;
  pm::Counter* resyncs = nullptr;
  pm::Family<pm::Gauge>* link_up = nullptr;
  pm::Family<pm::Counter>* link_failures = nullptr;
  pm::Family<pm::Counter>* calls = nullptr;
  pm::Family<pm::Histogram>* call_seconds = nullptr;
  pm::Family<pm::Counter>* events = nullptr;
  pm::Family<pm::Gauge>* realm_active = nullptr;
  pm::Family<pm::Counter>* takeovers = nullptr;
  pm::Family<pm::Counter>* catch_ups = nullptr;
  pm::Family<pm::Gauge>* realm_phase = nullptr;
  pm::Family<pm::Counter>* testaments = nullptr;
  pm::Family<pm::Gauge>* router_levels = nullptr;

  std::map<std::string, pm::Gauge*> realm_sessions;
  std::map<std::string, pm::Counter*> hook_series, malformed_series;
  std::map<std::string, pm::Gauge*> link_up_series;
  std::map<std::tuple<std::string, std::string, std::string>, pm::Counter*> link_failure_series;
  std::map<std::tuple<std::string, std::string, std::string>, pm::Counter*> call_series;
  std::map<std::string, pm::Histogram*> duration_series;
  std::map<std::pair<std::string, std::string>, pm::Counter*> event_series;
  std::map<std::string, pm::Gauge*> active_series;
  std::map<std::string, pm::Counter*> takeover_series;
  std::map<std::pair<std::string, std::string>, pm::Counter*> catch_up_series;
  std::map<std::pair<std::string, std::string>, pm::Gauge*> phase_series;
  std::map<std::tuple<std::string, bool, bool>, pm::Counter*> testament_series;
  std::map<std::string, pm::Gauge*> level_series;

  // The series of `family` for `labels`, made (with `extra`, a histogram's buckets) the first time.
  template <class T, class Key, class... Extra>
  static T& series(std::map<Key, T*>& cache, const Key& key, pm::Family<T>& family, const pm::Labels& labels,
                   const Extra&... extra) {
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, &family.Add(labels, extra...)).first;
    return *it->second;
  }
};

namespace {

const pm::Histogram::BucketBoundaries call_buckets{50e-6, 100e-6, 250e-6, 500e-6, 1e-3,   2.5e-3, 5e-3,
                                                   10e-3, 25e-3,  50e-3,  100e-3, 250e-3, 500e-3, 1.0};

}  // namespace

metrics::metrics(const std::string& address) {
  try {
    impl_ = std::make_unique<impl>(address);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen for metrics on " + address + ": " + e.what());
  }
  auto& r = *impl_->registry;
  impl_->sessions = &pm::BuildGauge()
                         .Name("wamp_metad_sessions")
                         .Help("Sessions of a served realm, as wamp.session.count answers (hidden ones left out)")
                         .Register(r);
  impl_->mirrored = &pm::BuildGauge()
                         .Name("wamp_metad_sessions_mirrored")
                         .Help("Sessions in the mirror, every realm")
                         .Register(r)
                         .Add({});
  impl_->hooks = &pm::BuildCounter()
                      .Name("wamp_metad_hooks_total")
                      .Help("Session hooks received from the router, by what the mirror made of them")
                      .Register(r);
  impl_->malformed = &pm::BuildCounter()
                          .Name("wamp_metad_malformed_total")
                          .Help("Input from the router that could not be read (hook, snapshot, catch_up)")
                          .Register(r);
  impl_->resyncs = &pm::BuildCounter()
                        .Name("wamp_metad_resyncs_total")
                        .Help("Resyncs of the mirror from the router's snapshot (the first sync not counted)")
                        .Register(r)
                        .Add({});
  impl_->link_up = &pm::BuildGauge()
                        .Name("wamp_metad_link_up")
                        .Help("1 while a link is up (internal: hooks subscribed; a realm: procedures registered)")
                        .Register(r);
  impl_->link_failures =
      &pm::BuildCounter()
           .Name("wamp_metad_link_failures_total")
           .Help("Links lost or failed to come up, by kind (and reason, for tls); a reconnect follows each")
           .Register(r);
  impl_->calls = &pm::BuildCounter()
                      .Name("wamp_metad_calls_total")
                      .Help("Meta procedure calls answered, by realm, procedure and outcome (ok or the error URI)")
                      .Register(r);
  impl_->call_seconds = &pm::BuildHistogram()
                             .Name("wamp_metad_call_duration_seconds")
                             .Help("Time from a meta procedure's invocation to its answer, by procedure")
                             .Register(r);
  impl_->events = &pm::BuildCounter()
                       .Name("wamp_metad_events_published_total")
                       .Help("Events published on a realm: on_join, on_leave, testament, registration, subscription")
                       .Register(r);
  impl_->realm_active = &pm::BuildGauge()
                             .Name("wamp_metad_realm_active")
                             .Help("A served realm's role here: 1 active (procedures registered here), 0 standby")
                             .Register(r);
  impl_->realm_phase = &pm::BuildGauge()
                            .Name("wamp_metad_realm_phase")
                            .Help(
                                "A served realm's phase: 1 for the phase it is in, 0 for the others "
                                "(joining, waiting, registering, standing_by, catching_up, live, out_of_touch, "
                                "reconnecting, leaving)")
                            .Register(r);
  impl_->router_levels = &pm::BuildGauge()
                              .Name("wamp_metad_router_level")
                              .Help(
                                  "The levels of the hook protocol the router offers (1) or not (0): sessions, "
                                  "registrations, kill, removal, features, exactly_once, hook_history, testaments")
                              .Register(r);
  impl_->testaments = &pm::BuildCounter()
                           .Name("wamp_metad_testaments_total")
                           .Help(
                               "Testament calls carried out, by realm, action (add, flush) and who keeps them: the "
                               "router (they outlive wamp-metad) or wamp_metad (lost when it restarts)")
                           .Register(r);
  impl_->takeovers = &pm::BuildCounter()
                          .Name("wamp_metad_takeovers_total")
                          .Help("Realms taken over from another instance that served them (after standing by)")
                          .Register(r);
  impl_->catch_ups =
      &pm::BuildCounter()
           .Name("wamp_metad_catch_ups_total")
           .Help("Catch-ups of a realm coming (back) online, by outcome: exact, or a fallback to re-announcing")
           .Register(r);
  impl_->exposer.RegisterCollectable(impl_->registry);
  const auto ports = impl_->exposer.GetListeningPorts();
  const auto colon = address.rfind(':');
  impl_->bound =
      address.substr(0, colon) + ":" + (ports.empty() ? address.substr(colon + 1) : std::to_string(ports[0]));
}

namespace {

// One connection to the exposer's listener, closed at once (see ~metrics).
void knock(const std::string& bound) {
  const auto colon = bound.rfind(':');
  if (colon == std::string::npos) return;
  std::string host = bound.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), bound.substr(colon + 1).c_str(), &hints, &found) != 0) return;
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    ::connect(fd, found->ai_addr, found->ai_addrlen);
    ::close(fd);
  }
  ::freeaddrinfo(found);
}

}  // namespace

// The exposer's web server (civetweb) waits for connections in quanta of 2 s and looks at its stop flag only
// between them, so its destructor would hold the exit up to 2 s. A connection now and then while it runs wakes
// the listener, which then sees the stop at once.
metrics::~metrics() {
  const std::string bound = impl_->bound;
  std::atomic<bool> stopped{false};
  std::thread waker([&stopped, bound] {
    for (int i = 0; i < 300 && !stopped; ++i) {
      knock(bound);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  impl_.reset();
  stopped = true;
  waker.join();
}

std::string metrics::address() const {
  return impl_->bound;
}

void metrics::set_sessions(const std::vector<std::pair<std::string, std::size_t>>& per_realm, std::size_t mirrored) {
  impl_->mirrored->Set(static_cast<double>(mirrored));
  std::map<std::string, pm::Gauge*> keep;
  for (const auto& [realm, n] : per_realm) {
    auto& g = impl::series(impl_->realm_sessions, realm, *impl_->sessions, {{"realm", realm}});
    g.Set(static_cast<double>(n));
    keep.emplace(realm, &g);
  }
  for (const auto& [realm, g] : impl_->realm_sessions)
    if (!keep.count(realm)) impl_->sessions->Remove(g);
  impl_->realm_sessions.swap(keep);
  // A realm no longer served has no role here: its gauge goes (its counters stay, as the calls' do).
  for (auto it = impl_->active_series.begin(); it != impl_->active_series.end();) {
    if (impl_->realm_sessions.count(it->first)) {
      ++it;
    } else {
      impl_->realm_active->Remove(it->second);
      it = impl_->active_series.erase(it);
    }
  }
  for (auto it = impl_->phase_series.begin(); it != impl_->phase_series.end();) {
    if (impl_->realm_sessions.count(it->first.first)) {
      ++it;
    } else {
      impl_->realm_phase->Remove(it->second);
      it = impl_->phase_series.erase(it);
    }
  }
}

void metrics::hook(const char* verdict) {
  const std::string v = verdict;
  impl::series(impl_->hook_series, v, *impl_->hooks, {{"verdict", v}}).Increment();
}

void metrics::malformed(const char* input) {
  const std::string i = input;
  impl::series(impl_->malformed_series, i, *impl_->malformed, {{"input", i}}).Increment();
}

void metrics::resync() {
  impl_->resyncs->Increment();
}

void metrics::link_state(const std::string& link, bool up) {
  impl::series(impl_->link_up_series, link, *impl_->link_up, {{"link", link}}).Set(up ? 1 : 0);
}

void metrics::link_lost(const std::string& link, const adapter::failure& why) {
  const std::string kind = adapter::kind_name(why.what);
  pm::Labels labels{{"link", link}, {"kind", kind}};
  if (!why.reason.empty()) labels.emplace("reason", why.reason);
  impl::series(impl_->link_failure_series, std::make_tuple(link, kind, why.reason), *impl_->link_failures, labels)
      .Increment();
}

void metrics::call(const std::string& realm, const std::string& procedure, const std::string& outcome, double seconds) {
  impl::series(impl_->call_series, std::make_tuple(realm, procedure, outcome), *impl_->calls,
               {{"realm", realm}, {"procedure", procedure}, {"outcome", outcome}})
      .Increment();
  impl::series(impl_->duration_series, procedure, *impl_->call_seconds, {{"procedure", procedure}}, call_buckets)
      .Observe(seconds);
}

void metrics::published(const std::string& realm, const char* kind) {
  auto key = std::make_pair(realm, std::string(kind));
  impl::series(impl_->event_series, key, *impl_->events, {{"realm", realm}, {"kind", key.second}}).Increment();
}

// The first time a realm is reported, its takeover counter and a catch-up counter for every outcome are made
// at 0, so that the first takeover or fallback is an increase (increase() and rate() see nothing in a series
// that starts at 1).
void metrics::realm_counters(const std::string& realm) {
  if (impl_->takeover_series.count(realm)) return;
  impl::series(impl_->takeover_series, realm, *impl_->takeovers, {{"realm", realm}});
  for (const auto outcome : core::catch_up_outcomes)
    impl::series(impl_->catch_up_series, std::make_pair(realm, std::string(label(outcome))), *impl_->catch_ups,
                 {{"realm", realm}, {"outcome", label(outcome)}});
}

void metrics::role(const std::string& realm, bool active) {
  realm_counters(realm);
  impl::series(impl_->active_series, realm, *impl_->realm_active, {{"realm", realm}}).Set(active ? 1 : 0);
}

void metrics::takeover(const std::string& realm) {
  realm_counters(realm);
  impl::series(impl_->takeover_series, realm, *impl_->takeovers, {{"realm", realm}}).Increment();
}

void metrics::catch_up(const std::string& realm, core::catch_up_outcome outcome) {
  realm_counters(realm);
  auto key = std::make_pair(realm, std::string(label(outcome)));
  impl::series(impl_->catch_up_series, key, *impl_->catch_ups, {{"realm", realm}, {"outcome", key.second}}).Increment();
}

void metrics::phase(const std::string& realm, const char* phase) {
  for (const char* p : adapter::realm_phase_names) {
    auto key = std::make_pair(realm, std::string(p));
    impl::series(impl_->phase_series, key, *impl_->realm_phase, {{"realm", realm}, {"phase", key.second}})
        .Set(key.second == phase ? 1 : 0);
  }
}

void metrics::testament(const std::string& realm, bool added, bool by_router) {
  impl::series(
      impl_->testament_series, std::make_tuple(realm, added, by_router), *impl_->testaments,
      {{"realm", realm}, {"action", added ? "add" : "flush"}, {"kept_by", by_router ? "router" : "wamp_metad"}})
      .Increment();
}

void metrics::router_level(const char* level, bool offered) {
  const std::string l = level;
  impl::series(impl_->level_series, l, *impl_->router_levels, {{"level", l}}).Set(offered ? 1 : 0);
}

}  // namespace wamp_metad::daemon
