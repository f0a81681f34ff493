// wamp-metad-conformance: checks a router against the hook protocol (docs/hook-protocol.md). It joins the
// router's internal realm as the meta role and a client realm as test clients, provokes every hook itself, and
// prints a verdict per numbered clause and the levels reached. See --help.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "checks.hpp"
#include "rig.hpp"
#include "wamp_metad/adapter/address.hpp"
#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"

namespace {

namespace ad = wamp_metad::adapter;

// A PUBLISH with a told position, as the meta role sends one.
void publish_told(ad::link& l, const std::string& topic, const wamp_metad::core::array& args, const std::string& epoch,
                  std::uint64_t seq, std::uint32_t index) {
  const ad::link::told_position told{epoch, seq, index};
  l.publish(topic, args, nullptr, &told);
}
namespace core = wamp_metad::core;
namespace pr = wamp_metad::protocol;
using namespace wamp_metad::conformance;
using std::chrono::milliseconds;
using std::chrono::seconds;

const char* usage =
    "usage: wamp-metad-conformance --router URL --authid ID --secret-file FILE --client-url URL --realm REALM\n"
    "                              [options]\n"
    "Checks a router against the hook protocol (docs/hook-protocol.md): joins its internal realm as the meta\n"
    "role and a client realm as test clients, provokes every hook, and prints a verdict per numbered clause\n"
    "(PASS, FAIL with what the clause wants and what came, NOT OFFERED for an optional part the router does not\n"
    "have), then the levels reached. Run it against a router nobody else uses: it makes and ends sessions.\n"
    "\n"
    "  --router URL            the router for the internal realm (rs://, rss://, unix://, ws://, wss://)\n"
    "  --authid ID             the meta role's authid\n"
    "  --secret-file FILE      its ticket or wampcra secret\n"
    "  --authmethod M          ticket (default) or wampcra\n"
    "  --internal-realm NAME   default router.internal\n"
    "  --client-url URL        where test clients connect (any URL form above)\n"
    "  --realm REALM           the client realm to test in\n"
    "  --rawsocket-url URL     a second client URL (RawSocket) some of the test clients use\n"
    "  --client-authid ID      the test clients' authid (default: anonymous)\n"
    "  --client-authmethod M   anonymous (default), ticket or wampcra\n"
    "  --client-secret-file F  their secret (ticket, wampcra)\n"
    "  --sessions N            test clients per burst of churn (default 24, 2..500)\n"
    "  --timeout S             seconds for the whole run (default 60)\n"
    "  --json                  one JSON document instead of the text lines\n"
    "  --help                  this text\n"
    "Exit: 0 every clause of the sessions level passed and none failed, 1 a clause failed (or the router has no\n"
    "hooks), 2 it cannot run (usage, cannot connect, refused credentials).\n";

struct options {
  std::string router, authid, secret_file, authmethod = "ticket", internal_realm = "router.internal";
  std::string client_url, realm, rawsocket_url, client_authid, client_authmethod = "anonymous", client_secret_file;
  int sessions = 24;
  int timeout = 60;
  bool json = false;
};

[[noreturn]] void cannot_run(const std::string& message) {
  std::fprintf(stderr, "wamp-metad-conformance: %s\n", message.c_str());
  std::fflush(stdout);
  std::_Exit(2);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) cannot_run("cannot read the secret file '" + path + "'");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  if (s.empty()) cannot_run("the secret file '" + path + "' is empty");
  return s;
}

options parse(int argc, char** argv) {
  options o;
  std::vector<std::string> a(argv + 1, argv + argc);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string& k = a[i];
    if (k == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (k == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= a.size()) cannot_run(k + " needs a value (or is unknown); see --help");
    const std::string& v = a[++i];
    auto number = [&](int lo, int hi) {
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < lo || n > hi)
        cannot_run(k + " must be an integer " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" + v + "'");
      return static_cast<int>(n);
    };
    if (k == "--router")
      o.router = v;
    else if (k == "--authid")
      o.authid = v;
    else if (k == "--secret-file")
      o.secret_file = v;
    else if (k == "--authmethod")
      o.authmethod = v;
    else if (k == "--internal-realm")
      o.internal_realm = v;
    else if (k == "--client-url")
      o.client_url = v;
    else if (k == "--realm")
      o.realm = v;
    else if (k == "--rawsocket-url")
      o.rawsocket_url = v;
    else if (k == "--client-authid")
      o.client_authid = v;
    else if (k == "--client-authmethod")
      o.client_authmethod = v;
    else if (k == "--client-secret-file")
      o.client_secret_file = v;
    else if (k == "--sessions")
      o.sessions = number(2, 500);
    else if (k == "--timeout")
      o.timeout = number(5, 3600);
    else
      cannot_run("unknown option " + k + "; see --help");
  }
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"--router", &o.router},
                             {"--authid", &o.authid},
                             {"--secret-file", &o.secret_file},
                             {"--client-url", &o.client_url},
                             {"--realm", &o.realm}})
    if (value->empty()) cannot_run(std::string(name) + " is required; see --help");
  if (o.authmethod != "ticket" && o.authmethod != "wampcra") cannot_run("--authmethod must be ticket or wampcra");
  if (o.client_authmethod != "anonymous" && o.client_authmethod != "ticket" && o.client_authmethod != "wampcra")
    cannot_run("--client-authmethod must be anonymous, ticket or wampcra");
  if (o.client_authmethod != "anonymous" && o.client_secret_file.empty())
    cannot_run("--client-authmethod " + o.client_authmethod + " needs --client-secret-file");
  return o;
}

ad::router_address address(const std::string& url) {
  auto a = ad::parse_router_url(url);
  if (!a.ok()) cannot_run(a.error().message);
  return a.value();
}

std::string random_hex(std::size_t n) {
  std::random_device rd;
  std::mt19937_64 g(rd());
  std::string s;
  while (s.size() < n)
    s += "0123456789abcdef"[g() & 15];
  return s;
}

// The position a reply to router.session.sync names, or nullopt.
std::optional<core::hook_position> sync_position(const reply& r) {
  if (!r.ok || !r.payload) return std::nullopt;
  auto d = pr::decode_sync(r.payload->get());
  if (!d.ok()) return std::nullopt;
  return d.value();
}

std::string show(const core::array& args) {
  std::ostringstream o;
  o << '[';
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& v = args[i];
    if (i) o << ", ";
    std::uint64_t u = 0;
    if (v.as_unsigned(u))
      o << u;
    else if (const auto* s = v.get_if<std::string>())
      o << '"' << *s << '"';
    else if (const auto* b = v.get_if<bool>())
      o << (*b ? "true" : "false");
    else
      o << core::type_name(v);
  }
  return o.str() + ']';
}

std::string got_of(const reply& r) {
  return r.ok ? "RESULT " + show(r.args)
              : "ERROR " + r.error_uri + (r.error_text.empty() ? "" : " (" + r.error_text + ")");
}

class checker {
 public:
  explicit checker(const options& o)
      : o_(o),
        rig_(std::chrono::steady_clock::now() + seconds(o.timeout)),
        internal_(address(o.router)),
        client_url_(address(o.client_url)),
        prefix_("conformance." + random_hex(8)) {
    meta_creds_.authid = o.authid;
    meta_creds_.authmethod = o.authmethod;
    meta_creds_.secret = read_file(o.secret_file);
    client_creds_.authid = o.client_authid.empty() ? "conformance" : o.client_authid;
    client_creds_.authmethod = o.client_authmethod;
    if (!o.client_secret_file.empty()) client_creds_.secret = read_file(o.client_secret_file);
    if (!o.rawsocket_url.empty()) rawsocket_ = address(o.rawsocket_url);
  }

  int run() {
    try {
      connect();
      scenario();
    } catch (const stalled& s) {
      report_.not_run_rest("the router stopped answering (" + s.what + ")");
    }
    finish_stream();
    std::fputs(o_.json ? report_.json().c_str() : report_.text().c_str(), stdout);
    std::fflush(stdout);
    return report_.exit_code();
  }

 private:
  // --------------------------------------------------------------------------------------------- set-up

  void connect() {
    meta_ = rig_.open(internal_, o_.internal_realm, meta_creds_);
    auto joined = rig_.wait(meta_->joined_f, "joining the internal realm", seconds(15));
    if (joined) {
      const auto& f = *joined;
      if (f.what == ad::failure::kind::refused && f.uri == "wamp.error.no_such_realm") no_hooks(f.message);
      if (f.what == ad::failure::kind::refused)
        cannot_run("the router refused the meta role's credentials: " + f.message);
      cannot_run("cannot join " + o_.internal_realm + " at " + o_.router + ": " + f.message);
    }
    auto r = rig_.wait(rig_.call(meta_, "router.session.sync", {}), "router.session.sync");
    if (!r.ok && r.error_uri == wamp_metad::uri::no_such_procedure) no_hooks("router.session.sync is not registered");
    rig_.record_hooks(meta_);
    // A client first, so that the clients' realm is reachable before anything is judged.
    auto probe = rig_.open(client_url_, o_.realm, client_creds_);
    auto pj = rig_.wait(probe->joined_f, "a test client joining " + o_.realm, seconds(15));
    if (pj) cannot_run("a test client cannot join " + o_.realm + " at " + o_.client_url + ": " + pj->message);
    own_.push_back(probe);
    base_ = snapshot("the first snapshot");
  }

  [[noreturn]] void no_hooks(const std::string& why) {
    std::printf("no hooks: the router at %s does not speak the hook protocol (%s); wamp-metad cannot mirror it\n",
                o_.router.c_str(), why.c_str());
    std::fflush(stdout);
    std::_Exit(1);
  }

  // ----------------------------------------------------------------------------------------- snapshots

  // Every page of a snapshot; judges 5.2 (and 5.3 once) on the way.
  core::snapshot snapshot(const std::string& what) {
    std::vector<core::snapshot_page> pages;
    core::array args;
    for (int i = 0; i < 100000; ++i) {
      auto r = rig_.wait(rig_.call(meta_, "router.session.snapshot", args), what);
      if (!r.ok) {
        report_.fail("snapshot-paging", "a page for " + show(args), got_of(r));
        break;
      }
      auto page = pr::decode_snapshot_page(r.payload->get());
      if (!page.ok()) {
        report_.fail("snapshot-paging", "a snapshot page",
                     "a page the strict decoder refuses: " + page.error().message);
        break;
      }
      if (i == 0) protocol_ = page.value().protocol;
      // A cursor read twice gives the same page while it is valid: asked of the first cursor whose page is not
      // the last (the last page's cursor dies once that page is served).
      if (i > 0 && !cursor_reread_ && page.value().next_cursor) {
        cursor_reread_ = true;
        auto again = rig_.wait(rig_.call(meta_, "router.session.snapshot", args), what);
        if (!again.ok || !(again.args == r.args))
          report_.fail("snapshot-paging", "the same page for a cursor read twice",
                       again.ok ? "two different pages" : got_of(again));
        else
          report_.pass("snapshot-paging");
      }
      pages.push_back(page.value());
      if (!page.value().next_cursor) break;
      args = {*page.value().next_cursor};
    }
    std::vector<std::string> problems;
    auto s = join_pages(pages, problems);
    if (!problems.empty()) report_.fail("snapshot-paging", "pages of one view", problems.front());
    if (pages.size() > 1) paged_ = true;
    return s;
  }

  // 5.1: a snapshot against the state the hooks describe at its seq.
  void judge_snapshot(const core::snapshot& s, const std::string& when) {
    if (!s.position) {
      report_.fail("snapshot-state", "a snapshot with epoch and seq", "none (" + when + ")");
      return;
    }
    if (!rig_.wait_hook(s.position->seq, seconds(5)) && s.position->seq > 0) {
      report_.fail("snapshot-state", "every hook up to the snapshot's seq " + std::to_string(s.position->seq),
                   "they never came (" + when + ")");
      return;
    }
    std::string error;
    auto want = state_at(base_, rig_.hooks(), s.position->seq, error);
    if (!want) {
      report_.fail("snapshot-state", "hooks that lead to the snapshot's seq", error + " (" + when + ")");
      return;
    }
    std::string w, g;
    const auto diff = first_difference(canonical(*want), canonical(s), w, g);
    if (!diff.empty())
      report_.fail("snapshot-state", "the state at seq " + std::to_string(s.position->seq) + " (" + when + "): " + w,
                   diff + ": " + g);
    else
      report_.pass("snapshot-state");
  }

  // --------------------------------------------------------------------------------------------- steps

  bool seen_hook(const std::string& topic, std::uint64_t session) {
    for (const auto& h : rig_.hooks())
      if (h.topic == topic && h.decoded && h.decoded->session.id.value == session) return true;
    return false;
  }

  std::shared_ptr<client> open_client(bool rawsocket = false, std::function<void(client&)> on_join = {}) {
    auto c = rig_.open(rawsocket && rawsocket_ ? *rawsocket_ : client_url_, o_.realm, client_creds_, on_join);
    own_.push_back(c);
    return c;
  }

  // Joins as a client and waits for the WELCOME; nullptr when refused.
  std::shared_ptr<client> joined_client(const std::string& what) {
    auto c = open_client();
    if (rig_.wait(c->joined_f, what)) return nullptr;
    return c;
  }

  std::optional<core::hook_position> sync(const std::string& what) {
    auto r = rig_.wait(rig_.call(meta_, "router.session.sync", {}), what);
    syncs_.push_back(r);
    auto p = sync_position(r);
    if (!p) {
      report_.fail("sync", "RESULT [epoch, seq]", got_of(r));
      return std::nullopt;
    }
    if (!sync_lagging_ && !rig_.wait_hook(p->seq, seconds(5))) {
      sync_lagging_ = true;  // judged once; the later syncs do not wait again
      report_.fail("sync", "every hook up to seq " + std::to_string(p->seq) + " before the RESULT",
                   "hook " + std::to_string(p->seq) + " never came");
    }
    return p;
  }

  // The seq of the last hook received.
  std::uint64_t last_seq() const {
    std::uint64_t last = 0;
    for (const auto& h : rig_.hooks())
      if (h.decoded && h.decoded->position) last = std::max(last, h.decoded->position->seq);
    return last;
  }

  void scenario() {
    authorization();
    churn();
    cursors();
    registrations();
    kill();
    removal();
    features();
    exactly_once();
  }

  // 1.1, 12.1, 12.2 (the last two with the registrations).
  void authorization() {
    auto c = rig_.open(client_url_, o_.internal_realm, client_creds_);
    auto j = rig_.wait(c->joined_f, "a test client joining the internal realm");
    if (!j)
      report_.fail("internal-realm", "ABORT wamp.error.not_authorized for a client that is not the meta role",
                   "WELCOME (session " + std::to_string(c->id.load()) + ")");
    else if (j->uri != wamp_metad::uri::not_authorized)
      report_.fail("internal-realm", "ABORT wamp.error.not_authorized", "ABORT " + j->uri + " (" + j->message + ")");
    else
      report_.pass("internal-realm");
    if (!j) rig_.wait(rig_.leave(c), "leaving");
  }

  // 4.1, 4.2, 5.1 during churn, 3.2 under concurrency.
  void churn() {
    std::vector<std::pair<std::shared_ptr<client>, std::shared_future<std::shared_future<reply>>>> burst;
    auto start_one = [&](bool raw) {
      auto p = std::make_shared<std::promise<std::shared_future<reply>>>();
      auto meta = meta_;
      rig* r = &rig_;
      auto c = open_client(raw, [p, meta, r](client&) { p->set_value(r->call(meta, "router.session.sync", {})); });
      burst.emplace_back(c, p->get_future().share());
    };
    for (int i = 0; i < o_.sessions; ++i)
      start_one(i % 3 == 2);
    std::vector<std::shared_ptr<client>> first;
    for (auto& [c, s] : burst) {
      if (rig_.wait(c->joined_f, "the first burst of joins")) continue;
      first.push_back(c);
    }
    // The second burst joins while half of the first leaves and a snapshot is paged through.
    const std::size_t before = burst.size();
    for (int i = 0; i < o_.sessions; ++i)
      start_one(i % 3 == 0);
    std::vector<std::shared_future<void>> leaving;
    for (std::size_t i = 0; i < first.size(); i += 2)
      leaving.push_back(rig_.leave(first[i]));
    auto during = snapshot("a snapshot during churn");
    for (auto& l : leaving)
      rig_.wait(l, "leaves during churn");
    for (std::size_t i = before; i < burst.size(); ++i)
      rig_.wait(burst[i].first->joined_f, "the second burst of joins");
    auto end = sync("the sync after churn");
    judge_snapshot(during, "taken during churn");

    // 4.1: the sync sent right after each WELCOME is at or past that session's joined hook, which came first.
    const auto hooks = rig_.hooks();
    for (auto& [c, sf] : burst) {
      if (!c->id) continue;
      auto r = rig_.wait(rig_.wait(sf, "a sync after a WELCOME"), "a sync after a WELCOME");
      auto p = sync_position(r);
      syncs_.push_back(r);
      const hook_record* joined = nullptr;
      for (const auto& h : hooks)
        if (h.topic == "router.session.joined" && h.decoded && h.decoded->session.id.value == c->id) joined = &h;
      if (!joined) {
        report_.fail("joined-before-welcome", "a joined hook for session " + std::to_string(c->id.load()), "none");
        continue;
      }
      const auto seq = joined->decoded->position ? joined->decoded->position->seq : 0;
      if (!p || p->seq < seq || joined->arrival > r.arrival)
        report_.fail("joined-before-welcome",
                     "a sync sent right after the WELCOME of session " + std::to_string(c->id.load()) +
                         " at or past its joined hook (seq " + std::to_string(seq) + "), the hook first",
                     p ? "sync at seq " + std::to_string(p->seq) +
                             (joined->arrival > r.arrival ? ", the hook after the RESULT" : "")
                       : got_of(r));
    }
    report_.pass("joined-before-welcome");
    (void)end;
  }

  // 5.3: a cursor that was never given.
  void cursors() {
    auto r =
        rig_.wait(rig_.call(meta_, "router.session.snapshot", {"conformance-no-such-cursor:0.0.0"}), "a bad cursor");
    if (!r.ok && r.error_uri == "wamp.error.invalid_argument")
      report_.pass("snapshot-cursor");
    else
      report_.fail("snapshot-cursor", "ERROR wamp.error.invalid_argument for an unknown cursor", got_of(r));
  }

  // 8.x, 12.1, 12.2.
  void registrations() {
    auto a = joined_client("client A");
    auto b = joined_client("client B");
    auto c = joined_client("client C");
    if (!a || !b || !c) throw stalled{"test clients could not join"};
    const auto proc = prefix_ + ".proc", pre = prefix_ + ".pre", wild = prefix_ + "..wild", topic = prefix_ + ".topic",
               pat = prefix_ + ".pat";
    auto ra = rig_.wait(rig_.provide(a, proc, "exact"), "REGISTER");
    auto rp = rig_.wait(rig_.provide(a, pre, "prefix"), "REGISTER");
    auto rw = rig_.wait(rig_.provide(a, wild, "wildcard"), "REGISTER");
    auto sa = rig_.wait(rig_.subscribe(a, topic, "exact"), "SUBSCRIBE");
    auto sb = rig_.wait(rig_.subscribe(b, topic, "exact"), "SUBSCRIBE");
    auto sp = rig_.wait(rig_.subscribe(b, pat, "prefix"), "SUBSCRIBE");
    auto sc = rig_.wait(rig_.subscribe(c, topic, "exact"), "SUBSCRIBE");
    for (auto* r : {&ra, &rp, &rw, &sa, &sb, &sp, &sc})
      if (r->error) throw stalled{"a test client's REGISTER or SUBSCRIBE was refused: " + r->error->message};
    // 12.2 and 12.1
    auto twice = rig_.wait(rig_.provide(b, proc, "exact"), "a second REGISTER");
    if (twice.error && twice.error->uri == wamp_metad::uri::procedure_already_exists)
      report_.pass("procedure-exists");
    else
      report_.fail("procedure-exists", "ERROR wamp.error.procedure_already_exists",
                   twice.error ? "ERROR " + twice.error->uri : "REGISTERED " + std::to_string(twice.id));
    auto meta_uri = rig_.wait(rig_.provide(c, "wamp." + prefix_ + ".proc", "exact"), "REGISTER wamp.*");
    if (meta_uri.error)
      report_.pass("wamp-uris");
    else
      report_.fail("wamp-uris", "an ERROR for a client that is not the meta role registering wamp.*",
                   "REGISTERED " + std::to_string(meta_uri.id));
    // 12.1, publishing: a client's event on a wamp.* topic reaches nobody (its next event shows it would have).
    const auto spoofed = "wamp." + prefix_ + ".event", after = prefix_ + ".after";
    auto watch = rig_.wait(rig_.subscribe(c, spoofed, "exact"), "SUBSCRIBE wamp.*");
    auto next = rig_.wait(rig_.subscribe(c, after, "exact"), "SUBSCRIBE");
    if (!watch.error && !next.error) {
      rig_.on_io(
          [&] {
            b->link->publish(spoofed, {"spoofed"});
            b->link->publish(after, {"after"});
          },
          "publishing");
      auto got = [&](const char* what) {
        std::lock_guard<std::mutex> lock(c->events_mu);
        return std::count(c->events.begin(), c->events.end(), core::array{what}) > 0;
      };
      for (int i = 0; i < 100 && !got("after"); ++i)
        std::this_thread::sleep_for(milliseconds(20));
      if (got("spoofed"))
        report_.fail("wamp-uris", "no event on " + spoofed + " from a client that is not the meta role",
                     "it reached a subscriber");
    }
    rig_.wait(rig_.unsubscribe(c, sc.id), "UNSUBSCRIBE");
    // The client library never completes an UNREGISTER (it ignores UNREGISTERED): the hook tells it was done.
    rig_.unprovide(a, rw.id);
    for (int i = 0; i < 100 && !seen_hook("router.registration.unregistered", a->id); ++i)
      std::this_thread::sleep_for(milliseconds(50));
    auto at = sync("the sync after the registrations");
    if (!at) return;
    auto now = snapshot("a snapshot with registrations");
    if (protocol_ != 2) {
      report_.level_not_offered("registrations", "the snapshot has no protocol: 2");
      report_.not_offered("remove-subscriber", "no registration and subscription hooks");
      report_.not_offered("remove-callee", "no registration and subscription hooks");
      return;
    }
    judge_snapshot(now, "with registrations and subscriptions");
    report_.pass("snapshot-v2");

    const auto hooks = rig_.hooks();
    auto find = [&](const std::string& t, std::uint64_t session, std::uint64_t id) -> const hook_record* {
      for (const auto& h : hooks)
        if (h.topic == t && h.decoded && h.decoded->session.id.value == session && h.decoded->observation &&
            h.decoded->observation->id == id)
          return &h;
      return nullptr;
    };
    struct want {
      const char* topic;
      std::shared_ptr<client> who;
      op_result r;
      std::string uri, match;
    };
    for (const auto& w : {want{"router.registration.registered", a, ra, proc, "exact"},
                          want{"router.registration.registered", a, rp, pre, "prefix"},
                          want{"router.registration.registered", a, rw, wild, "wildcard"},
                          want{"router.subscription.subscribed", a, sa, topic, "exact"},
                          want{"router.subscription.subscribed", b, sb, topic, "exact"},
                          want{"router.subscription.subscribed", b, sp, pat, "prefix"},
                          want{"router.subscription.subscribed", c, sc, topic, "exact"}}) {
      const auto* h = find(w.topic, w.who->id, w.r.id);
      if (!h) {
        report_.fail("one-id",
                     std::string(w.topic) + " with the id the client got (" + std::to_string(w.r.id) + ") for " + w.uri,
                     "no such hook");
        continue;
      }
      const auto& o = *h->decoded->observation;
      if (o.uri != w.uri || core::match_name(o.match) != w.match)
        report_.fail("pattern-fields", w.uri + " (" + w.match + ")", o.uri + " (" + core::match_name(o.match) + ")");
    }
    report_.pass("pattern-fields");
    if (!(sa.id == sb.id && sb.id == sc.id))
      report_.fail("one-id", "one subscription id for " + topic + " shared by its three subscribers",
                   "ids " + std::to_string(sa.id) + ", " + std::to_string(sb.id) + ", " + std::to_string(sc.id));
    // By session: the ids are judged above (8.2).
    auto any_of = [&](const std::string& t, std::uint64_t session) {
      return std::any_of(hooks.begin(), hooks.end(), [&](const hook_record& h) {
        return h.topic == t && h.decoded && h.decoded->session.id.value == session;
      });
    };
    if (!any_of("router.subscription.unsubscribed", c->id))
      report_.fail("removals-before-left", "an unsubscribed hook for an UNSUBSCRIBE", "none");
    if (!any_of("router.registration.unregistered", a->id))
      report_.fail("removals-before-left", "an unregistered hook for an UNREGISTER", "none");
    // A and B leave with their registrations and subscriptions open.
    rig_.wait(rig_.leave(a), "a leave");
    rig_.wait(rig_.leave(b), "a leave");
  }

  // 7.1, 7.2
  void kill() {
    auto victim = open_client(true);
    if (rig_.wait(victim->joined_f, "a session to kill")) throw stalled{"a test client could not join"};
    const std::uint64_t id = victim->id;
    auto r = rig_.wait(
        rig_.call(meta_, "router.session.kill", {id, "conformance.close.checked", "checked by wamp-metad-conformance"}),
        "router.session.kill");
    if (!r.ok && r.error_uri == wamp_metad::uri::no_such_procedure) {
      report_.level_not_offered("kill", "router.session.kill is not registered");
      return;
    }
    if (!r.ok || r.args.size() != 1 || !(r.args[0] == core::value(true))) {
      report_.fail("kill", "RESULT [true]", got_of(r));
    } else {
      const hook_record* left = nullptr;
      const auto hooks = rig_.hooks();  // held: `left` points into it
      for (const auto& h : hooks)
        if (h.topic == "router.session.left" && h.decoded && h.decoded->session.id.value == id) left = &h;
      if (!left || left->arrival > r.arrival)
        report_.fail("kill", "the left hook of the killed session before the RESULT",
                     left ? "the left hook after it" : "no left hook");
      else
        report_.pass("kill");
      bool gone = false;
      for (int i = 0; i < 50 && !gone; ++i) {
        gone = victim->lost.load();
        if (!gone) std::this_thread::sleep_for(milliseconds(100));
      }
      if (!gone) report_.fail("kill", "the killed session's connection ended", "it is still open after 5 s");
      std::lock_guard<std::mutex> lock(victim->events_mu);
      const std::string want = "the router said GOODBYE conformance.close.checked: checked by wamp-metad-conformance";
      if (gone && (!victim->lost_why || victim->lost_why->message != want))
        report_.fail("kill", "GOODBYE with the reason and Details.message of the kill (" + want + ")",
                     victim->lost_why ? victim->lost_why->message : "no GOODBYE");
    }
    auto again = rig_.wait(rig_.call(meta_, "router.session.kill", {id}), "router.session.kill");
    if (again.ok || again.error_uri != "wamp.error.no_such_session")
      report_.fail("kill-errors", "ERROR wamp.error.no_such_session for a session that is gone", got_of(again));
    auto live = joined_client("a session to kill with a bad reason");
    if (!live) throw stalled{"a test client could not join"};
    auto bad =
        rig_.wait(rig_.call(meta_, "router.session.kill", {live->id.load(), "not a uri!"}), "router.session.kill");
    if (bad.ok || bad.error_uri != "wamp.error.invalid_uri")
      report_.fail("kill-errors", "ERROR wamp.error.invalid_uri for a malformed reason", got_of(bad));
    report_.pass("kill-errors");
  }

  // 9.1, 9.2
  void removal() {
    if (protocol_ != 2) return;
    auto c = joined_client("a subscriber to remove");
    if (!c) throw stalled{"a test client could not join"};
    auto s = rig_.wait(rig_.subscribe(c, prefix_ + ".removal", "exact"), "SUBSCRIBE");
    auto g = rig_.wait(rig_.provide(c, prefix_ + ".removal", "exact"), "REGISTER");
    if (s.error || g.error) throw stalled{"a test client's SUBSCRIBE or REGISTER was refused"};
    auto judge = [&](const char* name, const char* uri, const char* topic, std::uint64_t oid, const char* no_such) {
      auto r = rig_.wait(rig_.call(meta_, uri, {o_.realm, oid, c->id.load(), "conformance.removed"}), uri);
      if (!r.ok && r.error_uri == wamp_metad::uri::no_such_procedure) {
        report_.not_offered(name, std::string(uri) + " is not registered");
        return;
      }
      if (!r.ok) {
        report_.fail(name, "RESULT []", got_of(r));
        return;
      }
      const hook_record* hook = nullptr;
      const auto hooks = rig_.hooks();  // held: `hook` points into it
      for (const auto& h : hooks)
        if (h.topic == topic && h.decoded && h.decoded->session.id.value == c->id && h.decoded->observation &&
            h.decoded->observation->id == oid)
          hook = &h;
      if (!hook || hook->arrival > r.arrival)
        report_.fail(name, std::string(topic) + " hook before the RESULT", hook ? "after it" : "none");
      auto unknown =
          rig_.wait(rig_.call(meta_, uri, {o_.realm, std::uint64_t{9007199254740991ull}, c->id.load()}), uri);
      if (unknown.ok || unknown.error_uri != no_such)
        report_.fail(name, std::string("ERROR ") + no_such + " for an unknown id", got_of(unknown));
      report_.pass(name);
    };
    judge("remove-subscriber", "router.subscription.remove_subscriber", "router.subscription.unsubscribed", s.id,
          "wamp.error.no_such_subscription");
    judge("remove-callee", "router.registration.remove_callee", "router.registration.unregistered", g.id,
          "wamp.error.no_such_registration");
  }

  bool has_feature(const client& c, const std::string& name) {
    core::object details;
    rig_.on_io([&] { details = c.link->welcome_details(); }, "reading a WELCOME");
    for (const auto& [k, v] : details) {
      if (k != "roles") continue;
      const auto* f = v.find("dealer") ? v.find("dealer")->find("features") : nullptr;
      const auto* on = f ? f->find(name) : nullptr;
      return on && *on == core::value(true);
    }
    return false;
  }

  // 10.1 - 10.3
  void features() {
    const std::string name = "conformance_" + random_hex(6);
    auto announcer = rig_.open(internal_, o_.internal_realm, meta_creds_);
    if (rig_.wait(announcer->joined_f, "a second meta session")) throw stalled{"a second meta session was refused"};
    core::object dealer{{name, true}};
    auto r = rig_.wait(rig_.call(announcer, "router.meta.features", {o_.realm, core::object{{"dealer", dealer}}}),
                       "router.meta.features");
    if (!r.ok && r.error_uri == wamp_metad::uri::no_such_procedure) {
      report_.level_not_offered("features", "router.meta.features is not registered");
      rig_.wait(rig_.leave(announcer), "a leave");
      return;
    }
    if (!r.ok) report_.fail("features-welcome", "RESULT [] for an announcement", got_of(r));
    auto w1 = joined_client("a client after the announcement");
    if (!w1) throw stalled{"a test client could not join"};
    if (has_feature(*w1, name))
      report_.pass("features-welcome");
    else
      report_.fail("features-welcome", "roles.dealer.features." + name + " = true in the WELCOME", "absent");
    auto bad = rig_.wait(rig_.call(meta_, "router.meta.features", {o_.realm, core::object{{"nobody", core::object{}}}}),
                         "router.meta.features");
    auto one = rig_.wait(rig_.call(meta_, "router.meta.features", {o_.realm}), "router.meta.features");
    if (!bad.ok && bad.error_uri == "wamp.error.invalid_argument" && !one.ok &&
        one.error_uri == "wamp.error.invalid_argument")
      report_.pass("features-errors");
    else
      report_.fail("features-errors",
                   "ERROR wamp.error.invalid_argument for a role that is not broker or dealer and "
                   "for one argument",
                   got_of(bad.ok ? bad : one));
    rig_.wait(rig_.leave(announcer), "the announcer leaving");
    sync("a sync after the announcer left");
    auto w2 = joined_client("a client after the announcer left");
    if (!w2) throw stalled{"a test client could not join"};
    if (has_feature(*w2, name))
      report_.fail("features-dropped", "no " + name + " once its announcer left", "still in the WELCOME");
    else
      report_.pass("features-dropped");
  }

  // 11.1 - 11.4
  void exactly_once() {
    auto probe = rig_.wait(rig_.call(meta_, "router.meta.catch_up", {o_.realm}), "router.meta.catch_up");
    if (!probe.ok && probe.error_uri == wamp_metad::uri::no_such_procedure) {
      report_.level_not_offered("exactly once", "router.meta.catch_up is not registered");
      return;
    }
    auto p1 = rig_.open(internal_, o_.realm, meta_creds_);
    auto p2 = rig_.open(internal_, o_.realm, meta_creds_);
    auto sub = joined_client("a subscriber of told events");
    if (rig_.wait(p1->joined_f, "the meta role joining " + o_.realm) ||
        rig_.wait(p2->joined_f, "the meta role joining " + o_.realm) || !sub)
      throw stalled{"the meta role cannot join " + o_.realm};
    const auto topic = prefix_ + ".told";
    if (rig_.wait(rig_.subscribe(sub, topic, "exact"), "SUBSCRIBE").error) throw stalled{"SUBSCRIBE refused"};
    auto at = sync("a sync before the told events");
    if (!at) return;
    const std::string epoch = at->epoch;
    const std::uint64_t seq = std::min(at->seq, last_seq());
    auto count = [&](const std::string& what) {
      std::lock_guard<std::mutex> lock(sub->events_mu);
      return std::count(sub->events.begin(), sub->events.end(), core::array{what});
    };
    rig_.on_io(
        [&] {
          publish_told(*p1->link, topic, {"first"}, epoch, seq, 1000);
          p1->link->publish(topic, {"marker"});
        },
        "publishing a told event");
    for (int i = 0; i < 100 && count("marker") < 1; ++i)
      std::this_thread::sleep_for(milliseconds(20));
    rig_.on_io(
        [&] {
          publish_told(*p1->link, topic, {"earlier"}, epoch, seq, 999);
          publish_told(*p1->link, topic, {"duplicate"}, epoch, seq, 1000);
          const std::string other = epoch + "x";
          // Above every position of this run: dropped for its epoch alone.
          publish_told(*p1->link, topic, {"other-epoch"}, other, seq, 5000);
          publish_told(*p1->link, topic, {"race"}, epoch, seq, 1001);
          publish_told(*p2->link, topic, {"race"}, epoch, seq, 1001);
          p1->link->publish(topic, {"marker"});
          p2->link->publish(topic, {"marker"});
        },
        "publishing told events");
    std::map<std::string, int> seen;
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard<std::mutex> lock(sub->events_mu);
        seen.clear();
        for (const auto& e : sub->events)
          if (!e.empty() && e[0].is<std::string>()) ++seen[*e[0].get_if<std::string>()];
      }
      if (seen["marker"] >= 3) break;
      if (rig_.remaining().count() <= 0) throw stalled{"waiting for told events"};
      std::this_thread::sleep_for(milliseconds(50));
    }
    if (seen["marker"] < 3) throw stalled{"the subscriber got no marker events"};
    auto judge = [&](const char* name, const char* what, int want) {
      if (seen[what] == want)
        report_.pass(name);
      else
        report_.fail(name, std::to_string(want) + " event(s) '" + what + "'", std::to_string(seen[what]));
    };
    if (seen["first"] != 1)
      report_.fail("told-duplicate", "the first told event routed once", std::to_string(seen["first"]));
    judge("told-duplicate", "earlier", 0);
    judge("told-duplicate", "duplicate", 0);
    judge("told-epoch", "other-epoch", 0);
    judge("told-race", "race", 1);
    catch_up(seq, 1001, "after the told events");
    // A second position, after more hooks.
    auto more = joined_client("one more session");
    if (!more) throw stalled{"a test client could not join"};
    rig_.wait(rig_.leave(more), "a leave");
    if (!joined_client("one more session that stays")) throw stalled{"a test client could not join"};
    auto later = sync("a sync before the second told position");
    if (!later) return;
    const std::uint64_t second = std::min(later->seq, last_seq());
    rig_.on_io([&] { publish_told(*p1->link, topic, {"second"}, later->epoch, second, 0); }, "publishing a told event");
    rig_.on_io([&] { p1->link->publish(topic, {"marker"}); }, "publishing a marker");
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard<std::mutex> lock(sub->events_mu);
        if (std::count(sub->events.begin(), sub->events.end(), core::array{"marker"}) >= 4) break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    catch_up(second, 0, "at a second position");
  }

  void catch_up(std::uint64_t told_seq, std::uint32_t told_index, const std::string& when) {
    std::vector<core::catch_up_page> pages;
    core::array args{o_.realm};
    for (int i = 0; i < 100000; ++i) {
      auto r = rig_.wait(rig_.call(meta_, "router.meta.catch_up", args), "router.meta.catch_up");
      if (!r.ok) {
        report_.fail("catch-up", "a catch-up page " + when, got_of(r));
        return;
      }
      auto page = pr::decode_catch_up_page(r.payload->get(), o_.realm);
      if (!page.ok()) {
        report_.fail("catch-up", "a catch-up page " + when, "one the strict decoder refuses: " + page.error().message);
        return;
      }
      pages.push_back(page.value());
      if (!page.value().state.next_cursor) break;
      args = {o_.realm, *page.value().state.next_cursor};
    }
    const auto& first = pages.front();
    if (first.at != told_seq - 1 || first.skip != told_index + 1 || !first.told || first.told->first != told_seq ||
        first.told->second != told_index) {
      report_.fail("catch-up",
                   "at " + std::to_string(told_seq - 1) + ", skip " + std::to_string(told_index + 1) + ", told [" +
                       std::to_string(told_seq) + ", " + std::to_string(told_index) + "] " + when,
                   "at " + std::to_string(first.at) + ", skip " + std::to_string(first.skip) +
                       (first.told ? ", told [" + std::to_string(first.told->first) + ", " +
                                         std::to_string(first.told->second) + "]"
                                   : ", no told"));
      return;
    }
    const std::uint64_t view = first.state.position ? first.state.position->seq : 0;
    rig_.wait_hook(view, seconds(5));
    std::string error;
    auto want = state_at(base_, rig_.hooks(), first.at, error);
    if (!want) {
      report_.fail("catch-up", "hooks that lead to seq " + std::to_string(first.at), error);
      return;
    }
    std::vector<core::snapshot_page> states;
    std::vector<std::uint64_t> got_hooks, want_hooks;
    for (const auto& p : pages) {
      states.push_back(p.state);
      states.back().position = first.state.position;
      for (const auto& h : p.hooks)
        got_hooks.push_back(h.position ? h.position->seq : 0);
    }
    std::vector<std::string> problems;
    auto got = join_pages(states, problems);
    std::string w, g;
    const auto diff = first_difference(canonical(*want, &o_.realm), canonical(got, &o_.realm), w, g);
    if (!diff.empty()) {
      report_.fail("catch-up", "the realm's state at seq " + std::to_string(first.at) + " " + when + ": " + w,
                   diff + ": " + g);
      return;
    }
    for (const auto& h : rig_.hooks())
      if (h.decoded && h.decoded->position && h.decoded->session.realm == o_.realm &&
          h.decoded->position->seq > first.at && h.decoded->position->seq <= view)
        want_hooks.push_back(h.decoded->position->seq);
    if (got_hooks != want_hooks) {
      auto list = [](const std::vector<std::uint64_t>& v) {
        std::string s;
        for (auto x : v)
          s += (s.empty() ? "" : ",") + std::to_string(x);
        return "seqs [" + s + "]";
      };
      report_.fail("catch-up", "the realm's hooks after seq " + std::to_string(first.at) + ": " + list(want_hooks),
                   list(got_hooks));
      return;
    }
    report_.pass("catch-up");
  }

  // ------------------------------------------------------------------------------------------- the end

  // The checks over everything recorded: the stream clauses, and one left hook for every own session gone.
  void finish_stream() {
    try {
      for (auto& c : own_)
        if (c->id && !c->lost) rig_.leave(c);
      for (auto& c : own_)
        if (c->id) rig_.wait(c->closed_f, "the test clients leaving", seconds(5));
      sync("the last sync");
    } catch (const stalled& s) {
      report_.not_run_rest("the router stopped answering (" + s.what + ")");
    }
    if (!paged_)
      report_.not_offered("snapshot-paging",
                          "every snapshot came in one page (start the router with a small page size)");
    const auto hooks = rig_.hooks();
    check_stream(hooks, base_, report_);
    for (const auto& c : own_) {
      if (!c->id) continue;
      int joined = 0, left = 0;
      for (const auto& h : hooks) {
        if (!h.decoded || h.decoded->session.id.value != c->id) continue;
        joined += h.topic == "router.session.joined";
        left += h.topic == "router.session.left";
      }
      if (c->closed_f.wait_for(milliseconds(0)) == std::future_status::ready && (joined != 1 || left != 1)) {
        report_.fail("left-once", "one joined and one left hook for session " + std::to_string(c->id.load()),
                     std::to_string(joined) + " joined, " + std::to_string(left) + " left");
      }
    }
    // 6.1: each sync's seq covers what came before it, and everything up to it came before its RESULT.
    std::uint64_t judged = 0;
    for (const auto& r : syncs_) {
      auto p = sync_position(r);
      if (!p) continue;
      for (const auto& h : hooks) {
        if (!h.decoded || !h.decoded->position || h.decoded->position->epoch != p->epoch) continue;
        const auto s = h.decoded->position->seq;
        if (s <= p->seq && h.arrival > r.arrival)
          report_.fail("sync",
                       "hook " + std::to_string(s) + " before the RESULT of a sync at seq " + std::to_string(p->seq),
                       "it came after");
        if (h.arrival < r.sent && s > p->seq)
          report_.fail("sync", "a sync at or past hook " + std::to_string(s) + ", which came before the call",
                       "seq " + std::to_string(p->seq));
      }
      ++judged;
    }
    if (judged) report_.pass("sync");
    rig_.stop();
  }

  const options& o_;
  rig rig_;
  ad::router_address internal_, client_url_;
  std::optional<ad::router_address> rawsocket_;
  std::string prefix_;
  ad::credentials meta_creds_, client_creds_;
  std::shared_ptr<client> meta_;
  std::vector<std::shared_ptr<client>> own_;
  std::vector<reply> syncs_;
  core::snapshot base_;
  report report_;
  int protocol_ = 1;
  bool cursor_reread_ = false;
  bool paged_ = false;
  bool sync_lagging_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  int code = 1;
  {
    checker c(o);
    code = c.run();
  }
  std::fflush(stdout);
  std::_Exit(code);
}
