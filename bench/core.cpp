// Benchmarks of the core (standard library only, no I/O): hook applies, memory per mirrored session,
// wamp.session.list / count over a large realm, and the diff of a resync. See docs/performance.md.
//
// This binary replaces the global operator new / delete with versions that can count the live heap bytes
// (malloc_usable_size of every block) while a measurement window is open; outside the window they only
// forward to malloc / free.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/mirror.hpp"
#include "wamp_metad/core/observations.hpp"
#include "wamp_metad/core/registry.hpp"
#include "workload.hpp"

namespace {

// --- heap accounting

std::atomic<bool> g_counting{false};
std::atomic<std::int64_t> g_live_bytes{0};
std::atomic<std::int64_t> g_live_blocks{0};

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  if (g_counting.load(std::memory_order_relaxed)) {
    g_live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    g_live_blocks.fetch_add(1, std::memory_order_relaxed);
  }
  return p;
}

void counted_free(void* p) noexcept {
  if (!p) return;
  if (g_counting.load(std::memory_order_relaxed)) {
    g_live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    g_live_blocks.fetch_sub(1, std::memory_order_relaxed);
  }
  std::free(p);
}

// Heap the allocator itself holds for the process (chunk headers included), for a cross-check.
std::int64_t malloc_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<std::int64_t>(mi.uordblks + mi.hblkhd);
}

}  // namespace

void* operator new(std::size_t n) {
  return counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc(n);
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  counted_free(p);
}

namespace {

namespace core = wamp_metad::core;

constexpr std::size_t population = 100'000;
const std::string served_realm = "realm1";

// --- realistic sessions: random 53-bit ids, a mix of short and heap-allocated strings

using wamp_metad::bench::id_source;
using wamp_metad::bench::make_session;

core::hook_event joined(core::session_record s, std::uint64_t seq) {
  return core::hook_event{core::hook_kind::joined, std::move(s), core::hook_position{"e1", seq}};
}

// A left hook as a router may send it: realm and id only.
core::hook_event left(const std::string& realm, std::uint64_t id, std::uint64_t seq) {
  core::session_record s;
  s.realm = realm;
  s.id = core::session_id{id};
  return core::hook_event{core::hook_kind::left, std::move(s), core::hook_position{"e1", seq}};
}

// A stream of hooks with consecutive seq over a stable population: a new session joins, then the oldest
// one leaves, and so on.
class hook_stream {
 public:
  explicit hook_stream(std::uint64_t seed) : ids_{seed} {}

  // The initial population, as a snapshot at seq 0.
  core::snapshot initial(std::size_t n) {
    core::snapshot snap{core::hook_position{"e1", 0}, {}, {}};
    snap.sessions.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      snap.sessions.push_back(next_session());
    return snap;
  }

  core::hook_event next() {
    const std::uint64_t seq = ++seq_;
    if (join_next_ || live_.empty()) {
      join_next_ = false;
      return joined(next_session(), seq);
    }
    join_next_ = true;
    const std::uint64_t id = live_.front();
    live_.pop_front();
    return left(served_realm, id, seq);
  }

  // Hooks are made ahead, a batch at a time (untimed), and taken one by one (timed). The batch lives as long
  // as the stream: every hook made is applied, whichever run of the benchmark takes it.
  bool empty() const { return pos_ == batch_.size(); }
  void refill(std::size_t count) {
    batch_.clear();
    batch_.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
      batch_.push_back(next());
    pos_ = 0;
  }
  core::hook_event take() { return std::move(batch_[pos_++]); }

 private:
  core::session_record next_session() {
    const std::uint64_t id = ids_.next();
    live_.push_back(id);
    return make_session(served_realm, id, n_++);
  }

  id_source ids_;
  std::deque<std::uint64_t> live_;
  std::uint64_t seq_ = 0;
  std::uint64_t n_ = 0;
  bool join_next_ = true;
  std::vector<core::hook_event> batch_;
  std::size_t pos_ = 0;
};

constexpr std::size_t batch_size = 16 * 1024;

core::registry::options registry_options() {
  core::registry::options opts;
  opts.hidden_authroles = {"metad"};
  return opts;
}

// --- (a) hook applies

// The raw mirror, live, 100k sessions.
void BM_ApplyHook_Mirror(benchmark::State& state) {
  struct fixture {
    hook_stream stream{1};
    core::mirror mirror;
    fixture() {
      std::vector<core::change> changed;
      mirror.on_snapshot(stream.initial(population), changed);
    }
  };
  static fixture f;
  std::vector<core::change> changed;
  std::size_t not_applied = 0;
  for (auto _ : state) {
    if (f.stream.empty()) {
      state.PauseTiming();
      f.stream.refill(batch_size);
      state.ResumeTiming();
    }
    const auto verdict = f.mirror.on_hook(f.stream.take(), changed);
    not_applied += verdict != core::mirror::verdict::applied;
    changed.clear();
  }
  if (not_applied) state.SkipWithError("a hook was not applied");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["sessions"] = static_cast<double>(f.mirror.size());
}
BENCHMARK(BM_ApplyHook_Mirror);

// Through core::registry::on_hook. served = 0: no realm served (mirror + dispatch); served = 1: the realm is
// served and online, every hook produces an on_join / on_leave meta event, confirmed every 1024 events.
void BM_ApplyHook_Registry(benchmark::State& state) {
  struct fixture {
    hook_stream stream;
    core::registry reg{registry_options()};
    std::uint64_t since_confirm = 0;
    fixture(bool served, std::uint64_t seed) : stream(seed) {
      std::vector<core::meta_event> out;
      if (served) reg.serve(served_realm);
      reg.on_snapshot(stream.initial(population), out);
      if (served) reg.set_online(served_realm, true, out);
    }
  };
  const bool served = state.range(0) != 0;
  static fixture unserved_fixture(false, 2);
  static fixture served_fixture(true, 3);
  fixture& f = served ? served_fixture : unserved_fixture;

  std::vector<core::meta_event> out;
  std::size_t not_applied = 0;
  std::size_t events = 0;
  for (auto _ : state) {
    if (f.stream.empty()) {
      state.PauseTiming();
      f.stream.refill(batch_size);
      state.ResumeTiming();
    }
    const auto verdict = f.reg.on_hook(f.stream.take(), out);
    not_applied += verdict != core::mirror::verdict::applied;
    events += out.size();
    out.clear();
    if (served && (++f.since_confirm & 1023) == 0) f.reg.confirm(served_realm, f.reg.published(served_realm));
  }
  if (not_applied) state.SkipWithError("a hook was not applied");
  if (served && events != static_cast<std::size_t>(state.iterations()))
    state.SkipWithError("expected one meta event per hook");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["meta_events"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["sessions"] = static_cast<double>(f.reg.truth().size());
}
BENCHMARK(BM_ApplyHook_Registry)->ArgName("served")->Arg(0)->Arg(1);

// --- (b) memory per mirrored session

// Heap of a registry that holds 100k sessions of one served, online realm, reached by joined hooks (every
// event confirmed). bytes_per_session excludes the heap blocks of the sessions' strings (those longer than
// the short-string buffer), reported apart as string_bytes_per_session.
std::size_t heap_string_bytes(const std::string& s) {
  const std::string probe;
  if (s.capacity() <= probe.capacity()) return 0;  // held in the short-string buffer
  return malloc_usable_size(const_cast<char*>(s.data()));
}

std::size_t heap_string_bytes(const core::value& v) {
  if (const auto* s = v.get_if<std::string>()) return heap_string_bytes(*s);
  std::size_t n = 0;
  if (const auto* a = v.get_if<core::array>())
    for (const auto& e : *a)
      n += heap_string_bytes(e);
  if (const auto* o = v.get_if<core::object>())
    for (const auto& [k, e] : *o)
      n += heap_string_bytes(k) + heap_string_bytes(e);
  return n;
}

std::size_t heap_string_bytes(const core::session_record& s) {
  std::size_t n = heap_string_bytes(s.realm) + heap_string_bytes(s.authid) + heap_string_bytes(s.authrole) +
                  heap_string_bytes(s.authmethod) + heap_string_bytes(s.authprovider) +
                  heap_string_bytes(s.transport.type) + heap_string_bytes(s.transport.serializer) +
                  heap_string_bytes(s.transport.peer);
  if (s.authextra) n += heap_string_bytes(*s.authextra);
  return n;
}

void BM_MemoryPerSession(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  double total = 0;
  double strings = 0;
  double blocks = 0;
  double malloc_total = 0;
  for (auto _ : state) {
    id_source ids{4};
    std::unique_ptr<core::registry> reg;

    g_live_bytes = 0;
    g_live_blocks = 0;
    const std::int64_t malloc_before = malloc_in_use();
    g_counting = true;
    {
      reg = std::make_unique<core::registry>(registry_options());
      std::vector<core::meta_event> out;
      reg->serve(served_realm);
      reg->on_snapshot(core::snapshot{core::hook_position{"e1", 0}, {}, {}}, out);
      reg->set_online(served_realm, true, out);
      for (std::size_t i = 0; i < n; ++i) {
        reg->on_hook(joined(make_session(served_realm, ids.next(), i), i + 1), out);
        out.clear();
      }
      reg->confirm(served_realm, reg->published(served_realm));
    }
    g_counting = false;
    const std::int64_t live = g_live_bytes;
    const std::int64_t live_blocks = g_live_blocks;
    const std::int64_t malloc_after = malloc_in_use();

    std::size_t string_bytes = 0;
    if (const core::realm_sessions* sessions = reg->truth().sessions(served_realm))
      for (const auto& [id, rec] : *sessions)
        string_bytes += heap_string_bytes(*rec);
    if (reg->truth().size() != n || reg->told_count(served_realm) != n) state.SkipWithError("wrong session count");

    total = static_cast<double>(live);
    strings = static_cast<double>(string_bytes);
    blocks = static_cast<double>(live_blocks);
    malloc_total = static_cast<double>(malloc_after - malloc_before);
    reg.reset();
  }
  const double sessions = static_cast<double>(n);
  state.counters["bytes_per_session"] = (total - strings) / sessions;
  state.counters["string_bytes_per_session"] = strings / sessions;
  state.counters["heap_bytes_per_session"] = total / sessions;
  state.counters["blocks_per_session"] = blocks / sessions;
  state.counters["malloc_bytes_per_session"] = malloc_total / sessions;
}
BENCHMARK(BM_MemoryPerSession)->Arg(population)->Iterations(1)->Unit(benchmark::kMillisecond);

// --- (c) wamp.session.list / count over 100k sessions

const core::registry& listed_registry() {
  static const std::unique_ptr<core::registry> reg = [] {
    auto r = std::make_unique<core::registry>(registry_options());
    std::vector<core::meta_event> out;
    hook_stream stream(5);
    r->serve(served_realm);
    r->on_snapshot(stream.initial(population), out);
    r->set_online(served_realm, true, out);
    return r;
  }();
  return *reg;
}

// filter = 0: no filter; filter = 1: filter_authroles ["user"] (90% of the sessions match).
core::array filter_args(benchmark::State& state) {
  if (state.range(0) == 0) return {};
  return core::array{core::value(core::array{core::value("user")})};
}

void BM_CallList(benchmark::State& state) {
  const core::registry& reg = listed_registry();
  const core::array args = filter_args(state);
  std::size_t listed = 0;
  for (auto _ : state) {
    auto result = core::call_list(reg, served_realm, args, {});
    if (!result.ok()) {
      state.SkipWithError("call_list failed");
      break;
    }
    listed = result.value().args[0].get_if<core::array>()->size();
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * population));
  state.counters["listed"] = static_cast<double>(listed);
}
BENCHMARK(BM_CallList)->ArgName("filter")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_ListSessions(benchmark::State& state) {
  const core::registry& reg = listed_registry();
  for (auto _ : state) {
    auto ids = core::list_sessions(reg, served_realm, std::nullopt);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * population));
}
BENCHMARK(BM_ListSessions)->Unit(benchmark::kMillisecond);

void BM_CallCount(benchmark::State& state) {
  const core::registry& reg = listed_registry();
  const core::array args = filter_args(state);
  std::uint64_t counted = 0;
  for (auto _ : state) {
    auto result = core::call_count(reg, served_realm, args, {});
    if (!result.ok()) {
      state.SkipWithError("call_count failed");
      break;
    }
    result.value().args[0].as_unsigned(counted);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * population));
  state.counters["counted"] = static_cast<double>(counted);
}
BENCHMARK(BM_CallCount)->ArgName("filter")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// --- (d) resync diff

// A registry of 100k sessions (one served, online realm) takes a new snapshot of 100k sessions of which 1%
// differ: 500 of its sessions are gone, 500 are new. Snapshots alternate between the two states, so every
// resync announces 1000 events. Copying the snapshot (the input) is not timed.
void BM_Resync(benchmark::State& state) {
  constexpr std::size_t changed_half = population / 200;  // 0.5% left + 0.5% new = 1%
  struct fixture {
    core::registry reg{registry_options()};
    core::snapshot a;
    core::snapshot b;
    bool at_a = true;
    fixture() {
      hook_stream stream(6);
      a = stream.initial(population);
      b = a;
      b.sessions.erase(b.sessions.begin(), b.sessions.begin() + changed_half);
      core::snapshot extra = stream.initial(changed_half);
      for (auto& s : extra.sessions)
        b.sessions.push_back(std::move(s));
      std::vector<core::meta_event> out;
      reg.serve(served_realm);
      reg.on_snapshot(a, out);
      reg.set_online(served_realm, true, out);
    }
  };
  static fixture f;
  core::snapshot next;
  std::vector<core::meta_event> out;
  std::size_t events = 0;
  bool wrong = false;
  for (auto _ : state) {
    state.PauseTiming();
    next = f.at_a ? f.b : f.a;
    f.at_a = !f.at_a;
    out.clear();
    f.reg.confirm(served_realm, f.reg.published(served_realm));
    state.ResumeTiming();

    f.reg.begin_resync();
    const auto verdict = f.reg.on_snapshot(std::move(next), out);
    wrong |= verdict != core::mirror::verdict::applied || out.size() != 2 * changed_half;
    events += out.size();
  }
  if (wrong) state.SkipWithError("unexpected resync outcome");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * population));
  state.counters["events_per_resync"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Resync)->Unit(benchmark::kMillisecond);

// --- (e) registrations and subscriptions (hook protocol v2)

// 100,000 sessions holding 1,000,000 subscriptions: each session subscribes to 10 topics, each topic has 10
// subscribers (100,000 subscriptions: 10% prefix, 10% wildcard patterns). A subscription hook applied per
// iteration (subscribe, then unsubscribe, of one session to one more topic); memory per subscriber entry
// beyond the URI strings; subscription.match over them.
constexpr std::size_t subscription_topics = 100'000;
constexpr std::size_t subscriptions_per_session = 10;

std::string topic_uri(std::size_t t) {
  // One in ten is a prefix "com.example.feed.N.", one in ten a wildcard "com.example..kind.N".
  if (t % 10 == 1) return "com.example.feed." + std::to_string(t) + ".";
  if (t % 10 == 2) return "com.example..kind." + std::to_string(t);
  return "com.example.topic." + std::to_string(t);
}

core::match_policy topic_match(std::size_t t) {
  return t % 10 == 1   ? core::match_policy::prefix
         : t % 10 == 2 ? core::match_policy::wildcard
                       : core::match_policy::exact;
}

core::snapshot_observation subscription_entry(std::uint64_t id, std::string uri, core::match_policy match,
                                              std::vector<core::session_id> members) {
  core::snapshot_observation o;
  o.realm = served_realm;
  o.info = core::observation_info{
      core::observation_kind::subscription, id, std::move(uri), match, "", "2026-11-30T10:00:00.000Z"};
  o.members = std::move(members);
  return o;
}

core::snapshot_observation topic_entry(std::size_t t, std::vector<core::session_id> members) {
  return subscription_entry(t + 1, topic_uri(t), topic_match(t), std::move(members));
}

// The snapshot: `population` sessions, each subscribed to 10 topics (session i to topics i*10/10.. spread).
core::snapshot subscribed_snapshot() {
  hook_stream stream(7);
  core::snapshot snap = stream.initial(population);
  std::vector<std::vector<core::session_id>> members(subscription_topics);
  for (std::size_t i = 0; i < population; ++i)
    for (std::size_t k = 0; k < subscriptions_per_session; ++k)
      members[(i * 7 + k * 10'007) % subscription_topics].push_back(snap.sessions[i].id);
  for (std::size_t t = 0; t < subscription_topics; ++t)
    if (!members[t].empty()) snap.observations.push_back(topic_entry(t, std::move(members[t])));
  return snap;
}

std::size_t uri_heap_bytes(const core::registry& reg) {
  std::size_t n = 0;
  if (const auto* table = reg.truth().observations().find(served_realm, core::observation_kind::subscription))
    table->for_each([&](const core::observation& o) { n += heap_string_bytes(o.uri) + heap_string_bytes(o.created); });
  return n;
}

void BM_MemoryPerSubscriber(benchmark::State& state) {
  double per_entry = 0, uri_bytes = 0, entries = 0;
  for (auto _ : state) {
    core::snapshot snap = subscribed_snapshot();
    std::unique_ptr<core::registry> reg;
    // The sessions alone first, so that what the subscriptions add is measured apart.
    core::snapshot sessions_only{snap.position, snap.sessions, {}};
    g_live_bytes = 0;
    g_counting = true;
    {
      reg = std::make_unique<core::registry>(registry_options());
      std::vector<core::meta_event> out;
      reg->serve(served_realm);
      reg->set_online(served_realm, true, out);
      reg->on_snapshot(std::move(sessions_only), out);
    }
    const std::int64_t sessions_bytes = g_live_bytes;
    {
      std::vector<core::meta_event> out;
      reg->begin_resync();
      reg->on_snapshot(std::move(snap), out);  // announces every subscription: the told view is filled too
      reg->confirm(served_realm, reg->published(served_realm));
    }
    g_counting = false;
    const std::int64_t with_subscriptions = g_live_bytes;
    const auto* table = reg->truth().observations().find(served_realm, core::observation_kind::subscription);
    entries = table ? static_cast<double>(table->members()) : 0;
    uri_bytes = static_cast<double>(uri_heap_bytes(*reg));
    per_entry = (static_cast<double>(with_subscriptions - sessions_bytes) - uri_bytes) / entries;
    if (entries != static_cast<double>(population * subscriptions_per_session))
      state.SkipWithError("wrong subscriber entry count");
    reg.reset();
  }
  state.counters["subscriber_entries"] = entries;
  state.counters["bytes_per_subscriber_entry"] = per_entry;
  state.counters["uri_string_bytes_total"] = uri_bytes;
}
BENCHMARK(BM_MemoryPerSubscriber)->Iterations(1)->Unit(benchmark::kMillisecond);

// A subscribed / unsubscribed hook pair per two iterations, on a served online realm, one event each.
void BM_ApplySubscriptionHook(benchmark::State& state) {
  struct fixture {
    core::registry reg{registry_options()};
    std::vector<core::session_id> ids;
    std::uint64_t seq = 0;
    std::size_t next = 0;
    bool subscribe = true;
    fixture() {
      core::snapshot snap = subscribed_snapshot();
      for (const auto& s : snap.sessions)
        ids.push_back(s.id);
      seq = 0;
      std::vector<core::meta_event> out;
      reg.serve(served_realm);
      reg.on_snapshot(std::move(snap), out);
      reg.set_online(served_realm, true, out);
    }
  };
  static fixture f;
  std::vector<core::meta_event> out;
  std::size_t not_applied = 0;
  std::size_t events = 0;
  for (auto _ : state) {
    // Session n subscribes (on_create, on_subscribe), then unsubscribes (on_unsubscribe, on_delete); then n + 1.
    const core::session_id member = f.ids[f.next % f.ids.size()];
    core::hook_event ev;
    ev.kind = f.subscribe ? core::hook_kind::subscribed : core::hook_kind::unsubscribed;
    if (!f.subscribe) ++f.next;
    f.subscribe = !f.subscribe;
    ev.session.realm = served_realm;
    ev.session.id = member;
    ev.position = core::hook_position{"e1", ++f.seq};
    ev.observation = std::make_shared<core::observation_info>(
        core::observation_info{core::observation_kind::subscription, 5'000'000, "com.example.bench",
                               core::match_policy::exact, "", "2026-11-30T10:00:00.000Z"});
    not_applied += f.reg.on_hook(std::move(ev), out) != core::mirror::verdict::applied;
    events += out.size();
    out.clear();
    if ((f.seq & 1023) == 0) f.reg.confirm(served_realm, f.reg.published(served_realm));
  }
  if (not_applied) state.SkipWithError("a hook was not applied");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["events_per_hook"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ApplySubscriptionHook);

// wamp.subscription.match against 100,000 subscriptions of which 20,000 are prefix or wildcard, and two more
// so that the URI asked about is reached by an exact, a prefix and a wildcard subscription (the workload's
// own patterns take no URI that an exact subscription has: one of them alone would answer).
void BM_SubscriptionMatch(benchmark::State& state) {
  static const std::unique_ptr<core::registry> reg = [] {
    auto r = std::make_unique<core::registry>(registry_options());
    std::vector<core::meta_event> out;
    core::snapshot snap = subscribed_snapshot();
    const core::session_id member = snap.sessions.front().id;
    snap.observations.push_back(
        subscription_entry(subscription_topics + 1, "com.example.feed.11.x", core::match_policy::exact, {member}));
    snap.observations.push_back(
        subscription_entry(subscription_topics + 2, "com.example.feed..x", core::match_policy::wildcard, {member}));
    r->on_snapshot(std::move(snap), out);
    return r;
  }();
  const core::observation_query q{reg->truth().observations().find(served_realm, core::observation_kind::subscription),
                                  core::observation_kind::subscription, false};
  // Reached by the exact and the wildcard subscription above and by the prefix "com.example.feed.11.".
  const core::array args{std::string("com.example.feed.11.x")};
  std::size_t matched = 0;
  for (auto _ : state) {
    auto r = core::call_observation_match(q, args, {});
    if (!r.ok()) {
      state.SkipWithError("match failed");
      break;
    }
    const auto* ids = r.value().args[0].get_if<core::array>();
    matched = ids ? ids->size() : 0;
    benchmark::DoNotOptimize(r);
  }
  if (matched != 3) state.SkipWithError("the URI should reach three subscriptions");
  state.counters["matched"] = static_cast<double>(matched);
  state.counters["subscriptions"] = static_cast<double>(q.table ? q.table->size() : 0);
}
BENCHMARK(BM_SubscriptionMatch)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
