// Builders shared by the unit tests.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/registry.hpp"

namespace test_support {

namespace core = wamp_metad::core;

inline core::session_record rec(const std::string& realm, std::uint64_t id, const std::string& authrole = "user",
                                const std::string& authid = "") {
  core::session_record s;
  s.realm = realm;
  s.id = core::session_id{id};
  s.authid = authid.empty() ? "a" + std::to_string(id) : authid;
  s.authrole = authrole;
  s.authmethod = "ticket";
  s.authprovider = "static";
  s.transport = {"websocket", "json", "tcp4:127.0.0.1:" + std::to_string(1000 + id % 60000)};
  return s;
}

inline core::hook_event joined(const core::session_record& s, std::uint64_t seq, const std::string& epoch = "e1") {
  return core::hook_event{core::hook_kind::joined, s, core::hook_position{epoch, seq}};
}

// A left hook as a router may send it: realm and id only, no auth fields.
inline core::hook_event left(const std::string& realm, std::uint64_t id, std::uint64_t seq,
                             const std::string& epoch = "e1") {
  core::session_record s;
  s.realm = realm;
  s.id = core::session_id{id};
  return core::hook_event{core::hook_kind::left, s, core::hook_position{epoch, seq}};
}

inline core::snapshot snap(std::vector<core::session_record> sessions, std::uint64_t seq,
                           const std::string& epoch = "e1") {
  return core::snapshot{core::hook_position{epoch, seq}, std::move(sessions), {}};
}

// A registry that hides authrole "metad" and serves realm "r", online, with these sessions (a snapshot at
// seq 0 of epoch "e1").
inline core::registry serving(std::vector<core::session_record> sessions) {
  core::registry::options opts;
  opts.hidden_authroles = {"metad"};
  core::registry reg(opts);
  std::vector<core::meta_event> out;
  reg.serve("r");
  reg.set_online("r", true, out);
  reg.on_snapshot(snap(std::move(sessions), 0), out);
  return reg;
}

// A registration or subscription hook: `what` is registered, unregistered, subscribed or unsubscribed.
inline core::hook_event observed(core::hook_kind what, const std::string& realm, std::uint64_t member, std::uint64_t id,
                                 const std::string& uri, std::uint64_t seq,
                                 core::match_policy match = core::match_policy::exact,
                                 const std::string& epoch = "e1") {
  core::hook_event ev;
  ev.kind = what;
  ev.session.realm = realm;
  ev.session.id = core::session_id{member};
  ev.position = core::hook_position{epoch, seq};
  const bool reg = what == core::hook_kind::registered || what == core::hook_kind::unregistered;
  ev.observation = std::make_shared<core::observation_info>(
      core::observation_info{reg ? core::observation_kind::registration : core::observation_kind::subscription, id, uri,
                             match, reg ? "single" : "", "2026-11-30T10:00:00.000Z"});
  return ev;
}

// "+12" for a join of session 12, "-12" for a leave; for a registration (r) or subscription (s) 7:
// "s7*12" created by 12, "s7+12" 12 added, "s7-12" 12 removed, "s7x12" deleted (12 the last member):
// compact event traces for assertions.
inline std::string trace(const std::vector<core::meta_event>& events) {
  using k = core::meta_event::kind;
  std::string out;
  for (const auto& e : events) {
    if (!out.empty()) out += ' ';
    if (e.what == k::join || e.what == k::leave) {
      out += (e.what == k::join ? "+" : "-") + std::to_string(e.session->id.value);
      continue;
    }
    out += e.of == core::observation_kind::registration ? "r" : "s";
    out += std::to_string(e.observation);
    out += e.what == k::created ? "*" : e.what == k::attached ? "+" : e.what == k::detached ? "-" : "x";
    out += std::to_string(e.member.value);
  }
  return out;
}

// The same events, one string each, sorted: for assertions where the order between sessions is free.
inline std::vector<std::string> sorted_trace(const std::vector<core::meta_event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(trace({e}));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace test_support
