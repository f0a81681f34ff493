// A fixed amount of work for an instruction count of the core's apply path under callgrind:
//
//   valgrind --tool=callgrind --toggle-collect=wamp_metad_apply_hooks bench_apply_count HOOKS POPULATION
//
// Builds a registry that serves realm1 (online, authrole "metad" hidden, as the daemon configures it) holding
// POPULATION sessions from a snapshot, makes HOOKS hooks ahead of time (a join of a new session, then the
// leave of the oldest one, consecutive seq), and applies them in wamp_metad_apply_hooks(), the only function
// callgrind counts with the option above. Every hook produces one on_join / on_leave meta event; events are
// confirmed every 1024 hooks, as the adapter does. The instruction count of that function divided by HOOKS
// is the cost of one applied hook (registry::on_hook: mirror, realm index, meta event). Exits 1 when a hook
// is not applied or the number of meta events is wrong.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "../workload.hpp"
#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/registry.hpp"

namespace core = wamp_metad::core;

namespace {

const std::string realm = "realm1";

struct counts {
  std::size_t applied = 0;
  std::size_t events = 0;
};

}  // namespace

// Not inlined and with C linkage, so that callgrind's --toggle-collect can name it.
extern "C" __attribute__((noinline)) void wamp_metad_apply_hooks(core::registry* reg,
                                                                 std::vector<core::hook_event>* hooks, counts* c) {
  std::vector<core::meta_event> out;
  std::uint64_t n = 0;
  for (auto& h : *hooks) {
    c->applied += reg->on_hook(std::move(h), out) == core::mirror::verdict::applied;
    c->events += out.size();
    out.clear();
    if ((++n & 1023) == 0) reg->confirm(realm, reg->published(realm));
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s HOOKS POPULATION\n", argv[0]);
    return 2;
  }
  const std::size_t hooks_n = std::strtoull(argv[1], nullptr, 10);
  const std::size_t population = std::strtoull(argv[2], nullptr, 10);
  if (hooks_n == 0 || population == 0) {
    std::fprintf(stderr, "HOOKS and POPULATION must be positive\n");
    return 2;
  }

  core::registry::options opts;
  opts.hidden_authroles = {"metad"};
  core::registry reg{opts};
  reg.serve(realm);

  wamp_metad::bench::id_source ids{7};
  std::uint64_t n = 0;
  std::deque<std::uint64_t> live;
  core::snapshot snap{core::hook_position{"e1", 0}, {}, {}};
  snap.sessions.reserve(population);
  for (std::size_t i = 0; i < population; ++i) {
    const std::uint64_t id = ids.next();
    live.push_back(id);
    snap.sessions.push_back(wamp_metad::bench::make_session(realm, id, n++));
  }
  std::vector<core::meta_event> out;
  reg.on_snapshot(std::move(snap), out);
  reg.set_online(realm, true, out);
  out.clear();

  std::vector<core::hook_event> hooks;
  hooks.reserve(hooks_n);
  for (std::uint64_t seq = 1; seq <= hooks_n; ++seq) {
    if (seq % 2 == 1) {
      const std::uint64_t id = ids.next();
      live.push_back(id);
      hooks.push_back(core::hook_event{core::hook_kind::joined, wamp_metad::bench::make_session(realm, id, n++),
                                       core::hook_position{"e1", seq}});
    } else {
      core::session_record s;
      s.realm = realm;
      s.id = core::session_id{live.front()};
      live.pop_front();
      hooks.push_back(core::hook_event{core::hook_kind::left, std::move(s), core::hook_position{"e1", seq}});
    }
  }

  counts c;
  wamp_metad_apply_hooks(&reg, &hooks, &c);
  std::printf("hooks=%zu applied=%zu meta_events=%zu sessions=%zu\n", hooks_n, c.applied, c.events, reg.truth().size());
  return c.applied == hooks_n && c.events == hooks_n ? 0 : 1;
}
