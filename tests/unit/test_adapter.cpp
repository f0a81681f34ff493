// The adapter's logic without a router: the service (feed, served realms, calls) on an in-process fake router
// (fake_router.hpp). Each case runs the io_context until what it waits for holds, bounded in time.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>

#include "fake_router.hpp"
#include "wamp_metad/adapter/service.hpp"

namespace {

using namespace std::chrono_literals;
namespace adapter = wamp_metad::adapter;
namespace core = wamp_metad::core;
namespace uri = wamp_metad::uri;

struct recorder final : adapter::service_observer {
  void hook(const char*) override {}
  void malformed(const char*) override {}
  void resync() override {}
  void link_state(const std::string&, bool) override {}
  void link_lost(const std::string&, const adapter::failure&) override {}
  void call(const std::string&, const std::string&, const std::string&, double) override {}
  void published(const std::string&, const char*) override {}
  void role(const std::string&, bool) override {}
  void takeover(const std::string& realm) override { takeovers.push_back(realm); }
  void catch_up(const std::string&, core::catch_up_outcome outcome) override {
    catch_ups.push_back(core::label(outcome));
  }
  void phase(const std::string& realm, const char* p) override { phases.push_back(realm + ":" + p); }
  void testament(const std::string&, bool, bool) override {}
  void router_level(const char* level, bool offered) override { levels[level] = offered; }
  std::map<std::string, bool> levels;
  std::vector<std::string> takeovers, catch_ups, phases;
};

adapter::service_options options(const std::vector<std::string>& realms, recorder& obs) {
  adapter::service_options o;
  o.realms = realms;
  o.internal_realm = fake::router::internal_realm;
  o.hidden_authroles = {"metad"};
  o.reconnect_min = 5ms;
  o.reconnect_max = 20ms;
  o.get_wait = 300ms;
  o.observer = &obs;
  return o;
}

// Runs `io` until `done` holds (true) or `limit` has passed (false).
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.restart();
    io.run_for(2ms);
  }
  return true;
}

std::string phase_of(const adapter::service& s, const std::string& realm) {
  for (const auto& [r, p] : s.phases())
    if (r == realm) return p;
  return "";
}

// A client's call, answered through the fake router: the reply, once it comes.
struct client_call {
  std::optional<adapter::call_reply> reply;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now(), answered;
};

std::shared_ptr<client_call> call(fake::router& r, const std::string& realm, const std::string& procedure,
                                  const core::array& args = {}, std::uint64_t caller = 0) {
  auto c = std::make_shared<client_call>();
  r.call(realm, procedure, args, caller, [c](const adapter::call_reply& reply) {
    c->reply = reply;
    c->answered = std::chrono::steady_clock::now();
  });
  return c;
}

std::uint64_t count_of(const client_call& c) {
  return c.reply->args->get().via.array.ptr[0].as<std::uint64_t>();
}

struct fixture {
  boost::asio::io_context io;
  fake::router router{io};
  recorder obs;
  std::unique_ptr<adapter::service> svc;

  void start(const std::vector<std::string>& realms, const std::function<void(adapter::service_options&)>& tune = {}) {
    auto o = options(realms, obs);
    if (tune) tune(o);
    svc = std::make_unique<adapter::service>(io, o, router.factory());
    svc->start();
  }
  bool live(const std::string& realm) {
    return run_until(io, [&] { return phase_of(*svc, realm) == "live"; });
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(adapter_service)

BOOST_FIXTURE_TEST_CASE(goes_live_through_its_phases_and_answers, fixture) {
  router.join("realm1");
  start({"realm1"});
  BOOST_REQUIRE(live("realm1"));
  const std::vector<std::string> want{"realm1:joining",      "realm1:waiting",     "realm1:registering",
                                      "realm1:out_of_touch", "realm1:catching_up", "realm1:live"};
  BOOST_TEST(obs.phases == want, boost::test_tools::per_element());
  BOOST_TEST(obs.catch_ups == std::vector<std::string>{"exact"}, boost::test_tools::per_element());
  // The levels the fake router offers, as the probe found them.
  BOOST_REQUIRE(run_until(io, [&] { return obs.levels.size() == 8; }));
  const std::map<std::string, bool> levels{{"sessions", true},      {"registrations", false}, {"kill", true},
                                           {"removal", false},      {"features", true},       {"exactly_once", true},
                                           {"hook_history", false}, {"testaments", false}};
  BOOST_TEST((obs.levels == levels));
  auto c = call(router, "realm1", uri::count);
  BOOST_REQUIRE(run_until(io, [&] { return c->reply.has_value(); }));
  BOOST_REQUIRE(c->reply->ok());
  BOOST_TEST(count_of(*c) == 1u);  // the client, not wamp-metad's own session
  // Nothing was told in this router run: the catch-up tells the join of the session there.
  BOOST_TEST(router.events("realm1", uri::on_join).size() == 1u);
  const std::uint64_t id = router.join("realm1");
  BOOST_REQUIRE(run_until(io, [&] { return router.events("realm1", uri::on_join).size() == 2; }));
  router.leave(id);
  BOOST_REQUIRE(run_until(io, [&] { return router.events("realm1", uri::on_leave).size() == 1; }));
  BOOST_TEST(router.events("realm1", uri::on_leave)[0].told.has_value());  // events carry their told position
}

BOOST_FIXTURE_TEST_CASE(a_cut_link_catches_up_exactly_what_it_missed, fixture) {
  start({"realm1"});
  BOOST_REQUIRE(live("realm1"));
  router.join("realm1");
  BOOST_REQUIRE(run_until(io, [&] { return router.events("realm1", uri::on_join).size() == 1; }));
  router.server("realm1")->cut("router restarted the connection");
  BOOST_REQUIRE(phase_of(*svc, "realm1") == "live");  // told by the link's next report
  // While the realm's link is down: a join, and a session that comes and goes.
  router.join("realm1");
  router.leave(router.join("realm1"));
  BOOST_REQUIRE(run_until(io, [&] { return std::count(obs.phases.begin(), obs.phases.end(), "realm1:live") == 2; }));
  BOOST_TEST(obs.catch_ups.back() == "exact");
  BOOST_TEST(router.events("realm1", uri::on_join).size() == 3u);  // each once
  BOOST_TEST(router.events("realm1", uri::on_leave).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(falls_back_when_the_router_cannot_catch_up, fixture) {
  for (auto mode : {fake::router::catch_up_mode::unsupported, fake::router::catch_up_mode::history_lost,
                    fake::router::catch_up_mode::failing}) {
    boost::asio::io_context io2;
    fake::router r(io2);
    recorder o;
    r.catch_up = mode;
    r.join("realm1");
    adapter::service s(io2, options({"realm1"}, o), r.factory());
    s.start();
    BOOST_REQUIRE(run_until(io2, [&] { return phase_of(s, "realm1") == "live"; }));
    const char* want = mode == fake::router::catch_up_mode::unsupported    ? "unsupported"
                       : mode == fake::router::catch_up_mode::history_lost ? "history_lost"
                                                                           : "failed";
    BOOST_TEST(o.catch_ups == std::vector<std::string>{want}, boost::test_tools::per_element());
    // Re-announced: the session already there is told.
    BOOST_TEST(r.events("realm1", uri::on_join).size() == 1u);
  }
}

BOOST_FIXTURE_TEST_CASE(calls_wait_for_a_slow_catch_up_at_most_get_wait_in_all, fixture) {
  router.catch_up_delay = 2s;  // far beyond get_wait (300 ms)
  router.join("realm1");
  start({"realm1"});
  BOOST_REQUIRE(run_until(io, [&] { return phase_of(*svc, "realm1") == "catching_up"; }));
  // A get of a session the mirror does not have: held by the catch-up, then by the wait for the router's
  // position; the two together stay within the one bound.
  auto c = call(router, "realm1", uri::get, {std::uint64_t{999999}});
  BOOST_REQUIRE(run_until(
      io, [&] { return c->reply.has_value(); }, 5s));
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(c->answered - c->started).count();
  BOOST_TEST(!c->reply->ok());
  BOOST_TEST(c->reply->error->uri == uri::no_such_session);
  BOOST_TEST(waited >= 300);
  BOOST_TEST(waited < 2 * 300);  // one bound, not two
  BOOST_TEST(phase_of(*svc, "realm1") == "catching_up");
}

BOOST_FIXTURE_TEST_CASE(a_call_during_the_catch_up_is_answered_after_its_events, fixture) {
  router.catch_up_delay = 100ms;
  router.join("realm1");
  start({"realm1"});
  BOOST_REQUIRE(run_until(io, [&] { return phase_of(*svc, "realm1") == "catching_up"; }));
  auto c = call(router, "realm1", uri::count);
  BOOST_REQUIRE(run_until(io, [&] { return c->reply.has_value(); }));
  BOOST_REQUIRE(c->reply->ok());
  BOOST_TEST(count_of(*c) == 1u);
  BOOST_TEST(router.events("realm1", uri::on_join).size() == 1u);  // told before the answer
}

BOOST_AUTO_TEST_CASE(a_standby_takes_over_when_the_active_instance_goes) {
  boost::asio::io_context io;
  fake::router router(io);
  recorder obs_a, obs_b;
  auto oa = options({"realm1"}, obs_a);
  oa.standby = true;
  auto ob = options({"realm1"}, obs_b);
  ob.standby = true;
  auto a = std::make_unique<adapter::service>(io, oa, router.factory());
  a->start();
  BOOST_REQUIRE(run_until(io, [&] { return phase_of(*a, "realm1") == "live"; }));
  adapter::service b(io, ob, router.factory());
  b.start();
  BOOST_REQUIRE(run_until(io, [&] { return phase_of(b, "realm1") == "standing_by"; }));
  router.join("realm1");
  BOOST_REQUIRE(run_until(io, [&] { return router.events("realm1", uri::on_join).size() == 1; }));
  a.reset();  // gone without a goodbye: its sessions leave, the lock is free
  BOOST_REQUIRE(run_until(io, [&] { return phase_of(b, "realm1") == "live"; }));
  BOOST_TEST(obs_b.takeovers == std::vector<std::string>{"realm1"}, boost::test_tools::per_element());
  router.join("realm1");
  BOOST_REQUIRE(run_until(io, [&] { return router.events("realm1", uri::on_join).size() == 2; }));
  run_until(
      io, [] { return false; }, 50ms);
  BOOST_TEST(router.events("realm1", uri::on_join).size() == 2u);  // the standby told nothing twice
}

BOOST_FIXTURE_TEST_CASE(a_callback_of_an_old_connection_changes_nothing, fixture) {
  start({"realm1"});
  BOOST_REQUIRE(live("realm1"));
  const std::uint64_t old = router.server("realm1")->session();
  router.server("realm1")->cut("first cut");
  BOOST_REQUIRE(run_until(io, [&] {
    return obs.phases.back() == "realm1:live" && router.server("realm1") && router.server("realm1")->session() != old;
  }));
  const auto phases = obs.phases.size();
  // The old link is gone; any of its late reports would be ignored: none reaches the realm.
  BOOST_TEST(router.server("realm1") != nullptr);
  BOOST_TEST(router.links("realm1").size() == 1u);
  run_until(
      io, [] { return false; }, 50ms);
  BOOST_TEST(obs.phases.size() == phases);
  BOOST_TEST(phase_of(*svc, "realm1") == "live");
}

BOOST_FIXTURE_TEST_CASE(a_reload_joins_leaves_and_changes_the_kill_procedures, fixture) {
  start({"realm1", "realm2"});
  BOOST_REQUIRE(live("realm1"));
  BOOST_REQUIRE(live("realm2"));
  auto none = call(router, "realm1", uri::kill, {std::uint64_t{1}});
  BOOST_REQUIRE(run_until(io, [&] { return none->reply.has_value(); }));
  BOOST_TEST(none->reply->error->uri == uri::no_such_procedure);

  auto next = options({"realm1", "realm3"}, obs);
  next.kill_realms = {"realm1"};
  svc->reconfigure(next);
  BOOST_REQUIRE(live("realm3"));
  BOOST_REQUIRE(run_until(io, [&] { return router.links("realm2").empty(); }));
  // realm1 registered its procedures again, kill included.
  BOOST_REQUIRE(run_until(io, [&] { return phase_of(*svc, "realm1") == "live" && router.server("realm1"); }));
  const std::uint64_t victim = router.join("realm1");
  const std::uint64_t operator_session = router.join("realm1");
  auto killed = call(router, "realm1", uri::kill, {victim}, operator_session);
  BOOST_REQUIRE(run_until(io, [&] { return killed->reply.has_value(); }));
  BOOST_REQUIRE_MESSAGE(killed->reply->ok(), killed->reply->error->message);
  BOOST_TEST(killed->reply->args->get().via.array.size == 0u);
  BOOST_REQUIRE(run_until(io, [&] { return router.events("realm1", uri::on_leave).size() == 1; }));
}

BOOST_AUTO_TEST_SUITE_END()
