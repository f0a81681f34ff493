// libFuzzer target: bytes -> msgpack -> every decoder of the protocol layer -> the core.
//
// Each msgpack object in the input is fed to every decoder. What decodes is then
//  - applied to a fresh core::registry (hooks, snapshot pages, sync positions), checking the meta events and
//    the query results the registry must give for it;
//  - used as the arguments of wamp.session.count / list / get;
//  - encoded again (msgpack::pack and msgpack::object of core::value, encode.hpp) and decoded once more, which
//    must give back what was decoded the first time.
// Any violation aborts: it is a bug in the code under test, not in the input.
//
// Floats round-trip exactly because the decoder turns a float that holds an integer into that integer (as
// msgpack-c's packer would on the way out) and refuses 2^64 (which that packer converts with undefined
// behaviour).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "wamp_metad/core/catch_up.hpp"
#include "wamp_metad/core/meta.hpp"
#include "wamp_metad/core/registry.hpp"
#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/decode.hpp"
#include "wamp_metad/protocol/encode.hpp"

namespace {

namespace core = wamp_metad::core;
namespace protocol = wamp_metad::protocol;
namespace uri = wamp_metad::uri;

const std::string hidden_role = "metad";
const std::string internal_realm = "router.internal";

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_decode: check failed: %s\n", what);
  std::abort();
}

// --- equality that sees every bit of a float (NaN equals NaN, -0.0 differs from 0.0): a round trip through
// msgpack must keep floats exactly.

bool same(const core::value& a, const core::value& b);

bool same(const core::array& a, const core::array& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

bool same(const core::object& a, const core::object& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !same(a[i].second, b[i].second)) return false;
  return true;
}

bool same(const core::value& a, const core::value& b) {
  const auto* da = a.get_if<double>();
  const auto* db = b.get_if<double>();
  if (da || db) return da && db && std::memcmp(da, db, sizeof(double)) == 0;
  if (const auto* aa = a.get_if<core::array>()) {
    const auto* ba = b.get_if<core::array>();
    return ba && same(*aa, *ba);
  }
  if (const auto* ao = a.get_if<core::object>()) {
    const auto* bo = b.get_if<core::object>();
    return bo && same(*ao, *bo);
  }
  return a == b;
}

bool same(const core::session_record& a, const core::session_record& b) {
  if (a.authextra.has_value() != b.authextra.has_value()) return false;
  if (a.authextra && !same(*a.authextra, *b.authextra)) return false;
  core::session_record x = a;
  core::session_record y = b;
  x.authextra.reset();
  y.authextra.reset();
  return x == y;
}

msgpack::object_handle packed(const core::value& v) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, v);
  return msgpack::unpack(buf.data(), buf.size());
}

// v decoded by to_value: encoding it both ways and decoding again gives v back.
void check_value_round_trip(const core::value& v) {
  {
    msgpack::zone zone;
    const msgpack::object obj(v, zone);
    auto again = protocol::to_value(obj);
    check(again.ok(), "msgpack::object of a decoded value does not decode");
    check(same(v, again.value()), "value -> msgpack::object -> value differs");
  }
  auto oh = packed(v);
  auto again = protocol::to_value(oh.get());
  check(again.ok(), "a packed decoded value does not decode");
  check(same(v, again.value()), "value -> msgpack::pack -> value differs");
}

// The info dict of a session as a router sends it (details() has exactly the info keys).
core::value info_of(const core::session_record& s, const std::optional<core::hook_position>& p) {
  core::value info = core::details(s);
  if (p) {
    auto* o = info.get_if<core::object>();
    o->emplace_back("epoch", p->epoch);
    o->emplace_back("seq", p->seq);
  }
  return info;
}

void check_session_round_trip(const core::session_record& s) {
  auto oh = packed(info_of(s, std::nullopt));
  auto again = protocol::decode_session_info(oh.get());
  check(again.ok(), "the info of a decoded session does not decode");
  check(same(s, again.value()), "session -> info -> session differs");
}

void check_hook_round_trip(const core::hook_event& ev) {
  auto oh = packed(core::array{info_of(ev.session, ev.position)});
  auto again = protocol::decode_hook(ev.kind, oh.get());
  check(again.ok(), "a re-encoded hook does not decode");
  check(again.value().kind == ev.kind, "hook round trip: kind differs");
  check(again.value().position == ev.position, "hook round trip: position differs");
  check(same(again.value().session, ev.session), "hook round trip: session differs");
}

void check_page_round_trip(const core::snapshot_page& page) {
  core::array sessions;
  for (const auto& s : page.sessions) {
    sessions.push_back(info_of(s, std::nullopt));
  }
  core::object p;
  if (page.position) {
    p.emplace_back("epoch", page.position->epoch);
    p.emplace_back("seq", page.position->seq);
  }
  p.emplace_back("sessions", std::move(sessions));
  if (page.next_cursor) p.emplace_back("next_cursor", *page.next_cursor);
  auto oh = packed(core::array{core::value(std::move(p))});
  auto again = protocol::decode_snapshot_page(oh.get());
  check(again.ok(), "a re-encoded snapshot page does not decode");
  check(again.value().position == page.position, "page round trip: position differs");
  check(again.value().next_cursor == page.next_cursor, "page round trip: next_cursor differs");
  check(again.value().sessions.size() == page.sessions.size(), "page round trip: session count differs");
  for (std::size_t i = 0; i < page.sessions.size(); ++i)
    check(same(again.value().sessions[i], page.sessions[i]), "page round trip: a session differs");
}

void check_sync_round_trip(const core::hook_position& p) {
  auto oh = packed(core::array{p.epoch, p.seq});
  auto again = protocol::decode_sync(oh.get());
  check(again.ok(), "a re-encoded sync result does not decode");
  check(again.value() == p, "sync round trip differs");
}

core::registry::options registry_options(bool serve_all) {
  core::registry::options opts;
  opts.hidden_authroles = {hidden_role};
  opts.serve_all_realms = serve_all;
  opts.never_serve = {internal_realm};
  return opts;
}

// --- the meta procedures with arguments from the input

struct call_args {
  core::array args;
  core::object kwargs;
};

void check_result_round_trip(const core::call_result& r) {
  check_value_round_trip(core::value(r.args));
  check_value_round_trip(core::value(r.kwargs));
}

// Runs count, list and get with `a` on `realm`; count and list must agree.
void call_all(const core::registry& reg, const std::string& realm, const call_args& a) {
  auto count = core::call_count(reg, realm, a.args, a.kwargs);
  auto list = core::call_list(reg, realm, a.args, a.kwargs);
  check(count.ok() == list.ok(), "count and list disagree on the arguments");
  if (count.ok()) {
    check_result_round_trip(count.value());
    check_result_round_trip(list.value());
    check(count.value().args.size() == 1 && list.value().args.size() == 1, "count/list: one result argument");
    std::uint64_t n = 0;
    check(count.value().args[0].as_unsigned(n), "count: result is no integer");
    const auto* ids = list.value().args[0].get_if<core::array>();
    check(ids && ids->size() == n, "list and count disagree");
  } else {
    check(count.error().uri == uri::invalid_argument, "count: unexpected error URI");
    check(list.error().uri == uri::invalid_argument, "list: unexpected error URI");
  }
  auto get = core::call_get(reg, realm, a.args, a.kwargs);
  if (get.ok()) {
    check_result_round_trip(get.value());
  } else {
    check(get.error().uri == uri::invalid_argument || get.error().uri == uri::no_such_session,
          "get: unexpected error URI");
  }
  // The registration and subscription procedures, over the registry's registrations and subscriptions.
  for (auto kind : {core::observation_kind::registration, core::observation_kind::subscription}) {
    const core::observation_query q{reg.truth().observations().find(realm, kind), kind, false};
    for (auto f : {core::call_observation_list, core::call_observation_lookup, core::call_observation_match,
                   core::call_observation_get, core::call_observation_members, core::call_observation_count}) {
      auto r = f(q, a.args, a.kwargs);
      if (r.ok()) {
        check_result_round_trip(r.value());
        check(r.value().args.size() == 1, "observation procedure: one result argument");
      } else {
        const auto& e = r.error().uri;
        check(e == uri::invalid_argument || e == uri::no_such_registration || e == uri::no_such_subscription ||
                  e == uri::no_such_session,
              "observation procedure: unexpected error URI");
      }
    }
    auto removal = core::plan_removal(q, a.args, a.kwargs);
    if (!removal.ok())
      check(removal.error().uri == uri::invalid_argument || removal.error().uri == uri::invalid_uri ||
                removal.error().uri == uri::no_such_registration || removal.error().uri == uri::no_such_subscription ||
                removal.error().uri == uri::no_such_session,
            "remove: unexpected error URI");
  }
}

const core::registry& fixed_registry() {
  static const core::registry reg = [] {
    core::registry r(registry_options(false));
    std::vector<core::meta_event> out;
    std::vector<core::session_record> sessions;
    const char* roles[] = {"user", "admin", "metad", "user", ""};
    for (std::uint64_t id = 1; id <= 5; ++id) {
      core::session_record s;
      s.realm = "realm1";
      s.id = core::session_id{id};
      s.authid = "a" + std::to_string(id);
      s.authrole = roles[id - 1];
      s.authmethod = "ticket";
      s.transport = {"websocket", "msgpack", "tcp4:127.0.0.1:5000"};
      if (id == 2) s.authextra = core::object{{"k", core::array{1, "x"}}};
      sessions.push_back(std::move(s));
    }
    r.serve("realm1");
    core::snapshot snap{core::hook_position{"e", 1}, std::move(sessions), {}};
    // A few registrations and subscriptions of every policy, shared and single, one reserved.
    const auto add = [&snap](core::observation_kind kind, std::uint64_t id, const char* uri, core::match_policy m,
                             std::vector<std::uint64_t> members) {
      core::snapshot_observation o;
      o.realm = "realm1";
      o.info = core::observation_info{kind, id, uri, m, "single", "2026-11-30T10:00:00.000Z"};
      for (auto member : members)
        o.members.push_back(core::session_id{member});
      snap.observations.push_back(std::move(o));
    };
    add(core::observation_kind::registration, 1, "com.example.add", core::match_policy::exact, {1});
    add(core::observation_kind::registration, 2, "com.example.", core::match_policy::prefix, {2});
    add(core::observation_kind::registration, 3, "wamp.session.count", core::match_policy::exact, {3});
    add(core::observation_kind::subscription, 1, "com.example.news", core::match_policy::exact, {1, 2, 4});
    add(core::observation_kind::subscription, 5, "com..news", core::match_policy::wildcard, {5});
    r.on_snapshot(std::move(snap), out);
    r.set_online("realm1", true, out);
    return r;
  }();
  return reg;
}

// --- hooks

void check_join_events(const std::vector<core::meta_event>& out, const core::session_record& s, bool visible) {
  check(out.size() == (visible ? 1u : 0u), "join: wrong number of meta events");
  if (!visible) return;
  check(out[0].what == core::meta_event::kind::join, "join: the event is no join");
  check(out[0].realm == s.realm, "join: event for another realm");
  check(out[0].session && same(*out[0].session, s), "join: the event carries another record");
}

void check_leave_events(const std::vector<core::meta_event>& out, const core::session_record& s, bool visible) {
  check(out.size() == (visible ? 1u : 0u), "leave: wrong number of meta events");
  if (!visible) return;
  check(out[0].what == core::meta_event::kind::leave, "leave: the event is no leave");
  check(out[0].realm == s.realm, "leave: event for another realm");
  check(out[0].session && out[0].session->id == s.id, "leave: the event is about another session");
}

// A registry serving the hook's realm, live just before the hook, takes the session's join and then its leave.
void exercise_hook(const core::hook_event& ev, const std::vector<call_args>& calls, bool hide_first) {
  const core::session_record& s = ev.session;
  const std::string& realm = s.realm;
  const bool visible = s.authrole != hidden_role;
  std::optional<core::hook_position> before;
  if (ev.position) before = core::hook_position{ev.position->epoch, ev.position->seq - 1};

  // The hook as it came, on an empty registry: a leave of an unknown session tells nothing.
  {
    core::registry reg(registry_options(true));
    std::vector<core::meta_event> out;
    check(reg.on_snapshot(core::snapshot{before, {}, {}}, out) == core::mirror::verdict::applied, "empty snapshot");
    check(reg.on_hook(core::hook_event(ev), out) == core::mirror::verdict::applied,
          "a hook right after the snapshot not applied");
    if (ev.kind == core::hook_kind::left) check(out.empty() && reg.truth().size() == 0, "leave of nobody");
    // A realm that appears after the first snapshot is served (offline): nothing is published yet.
    check(out.empty(), "events for an offline realm");
    for (const auto& r : reg.take_new_realms())
      reg.set_online(r, true, out);
    if (ev.kind == core::hook_kind::joined && realm != internal_realm) check_join_events(out, s, visible);
  }

  core::registry reg(registry_options(false));
  std::vector<core::meta_event> out;
  reg.serve(realm);
  check(reg.on_snapshot(core::snapshot{before, {}, {}}, out) == core::mirror::verdict::applied, "empty snapshot");
  reg.set_online(realm, true, out);
  check(out.empty(), "events after an empty snapshot");

  core::hook_event join = ev;
  join.kind = core::hook_kind::joined;
  check(reg.on_hook(std::move(join), out) == core::mirror::verdict::applied, "join not applied");
  check_join_events(out, s, visible);
  check(reg.truth().size() == 1, "the mirror does not hold the joined session");
  check(core::count_sessions(reg, realm, std::nullopt) == (visible ? 1u : 0u), "count after join");
  check(core::list_sessions(reg, realm, std::nullopt).size() == (visible ? 1u : 0u), "list after join");
  auto get = core::call_get(reg, realm, core::array{s.id.value}, {});
  if (visible) {
    check(get.ok(), "get of a joined session fails");
    check(get.value().args.size() == 1 && same(get.value().args[0], core::details(s)), "get: wrong details");
    check_result_round_trip(get.value());
  } else {
    check(!get.ok() && get.error().uri == uri::no_such_session, "get of a hidden session");
  }
  if (ev.position) check(reg.truth().has_reached(*ev.position), "the mirror has not reached the hook");

  for (const auto& c : calls)
    call_all(reg, realm, c);

  if (ev.position && ev.position->seq == std::numeric_limits<std::uint64_t>::max()) return;
  bool told_leave = false;
  if (hide_first) {
    out.clear();
    reg.hide_session(s.id, out);
    check_leave_events(out, s, visible);
    told_leave = visible;
    check(core::count_sessions(reg, realm, std::nullopt) == 0, "count after hide");
  }
  core::hook_event leave;
  leave.kind = core::hook_kind::left;
  leave.session.realm = realm;
  leave.session.id = s.id;
  if (ev.position) leave.position = core::hook_position{ev.position->epoch, ev.position->seq + 1};
  out.clear();
  check(reg.on_hook(std::move(leave), out) == core::mirror::verdict::applied, "leave not applied");
  check_leave_events(out, s, visible && !told_leave);
  check(reg.truth().size() == 0, "the mirror still holds the session");
  check(reg.told_count(realm) == 0, "the realm is still told about the session");
  check(!core::call_get(reg, realm, core::array{s.id.value}, {}).ok(), "get after leave");
}

// --- snapshot pages

void exercise_page(const core::snapshot_page& page, const std::vector<call_args>& calls) {
  // What the mirror must hold: the last record of every (realm, id).
  std::map<std::pair<std::string, std::uint64_t>, const core::session_record*> expect;
  for (const auto& s : page.sessions)
    expect[{s.realm, s.id.value}] = &s;
  std::map<std::string, std::uint64_t> visible_in;
  std::uint64_t told = 0;
  for (const auto& [key, s] : expect) {
    visible_in[key.first] += 0;
    if (s->authrole == hidden_role) continue;
    ++visible_in[key.first];
    if (key.first != internal_realm) ++told;
  }

  core::registry reg(registry_options(true));
  std::vector<core::meta_event> out;
  const core::snapshot snap{page.position, page.sessions, page.recently_left};
  check(reg.on_snapshot(snap, out) == core::mirror::verdict::applied, "snapshot not applied");
  check(out.empty(), "events for the first snapshot");
  for (const auto& realm : reg.take_new_realms())
    reg.set_online(realm, true, out);
  check(out.empty(), "events when the baseline realms go online");
  check(reg.truth().size() == expect.size(), "the mirror does not hold every session of the page");

  std::size_t got = 0;
  for (const auto& [realm, n] : visible_in) {
    check(core::count_sessions(reg, realm, std::nullopt) == n, "count of a realm of the page");
    check(core::list_sessions(reg, realm, std::nullopt).size() == n, "list of a realm of the page");
  }
  for (const auto& [key, s] : expect) {
    if (got++ == 64) break;
    auto get = core::call_get(reg, key.first, core::array{key.second}, {});
    if (s->authrole == hidden_role) {
      check(!get.ok(), "get of a hidden session");
      continue;
    }
    check(get.ok(), "get of a session of the page fails");
    check(same(get.value().args.at(0), core::details(*s)), "get: wrong details");
  }
  if (!visible_in.empty())
    for (const auto& c : calls)
      call_all(reg, visible_in.begin()->first, c);

  // A resync to nothing: every session the served realms were told about leaves; then back again.
  out.clear();
  reg.begin_resync();
  check(reg.on_snapshot(core::snapshot{page.position, {}, {}}, out) == core::mirror::verdict::applied, "empty resync");
  check(out.size() == told, "resync to empty: wrong number of leaves");
  for (const auto& e : out)
    check(e.what == core::meta_event::kind::leave, "resync to empty: not a leave");
  out.clear();
  reg.begin_resync();
  check(reg.on_snapshot(snap, out) == core::mirror::verdict::applied, "resync back");
  check(out.size() == told, "resync back: wrong number of joins");
  for (const auto& e : out)
    check(e.what == core::meta_event::kind::join, "resync back: not a join");
}

// --- one msgpack object

void exercise(const msgpack::object& obj, bool flag) {
  // Plain values, under the default limits and under tight ones (what passes tight limits passes the default).
  auto v = protocol::to_value(obj);
  if (v.ok()) check_value_round_trip(v.value());
  const protocol::limits tight{16, 4, 64};
  auto small = protocol::to_value(obj, tight);
  if (small.ok()) check(v.ok() && same(small.value(), v.value()), "tight limits accept what the default refuses");

  // Call arguments: the object as Arguments, as ArgumentsKw, and [Arguments, ArgumentsKw].
  std::vector<call_args> calls;
  auto args = protocol::to_args(obj);
  if (args.ok()) {
    check(v.ok() || obj.type == msgpack::type::NIL, "to_args accepts what to_value refuses");
    check_value_round_trip(core::value(args.value()));
    calls.push_back({args.value(), {}});
  }
  auto kwargs = protocol::to_kwargs(obj);
  if (kwargs.ok()) {
    check_value_round_trip(core::value(kwargs.value()));
    calls.push_back({{}, kwargs.value()});
  }
  if (obj.type == msgpack::type::ARRAY && obj.via.array.size >= 2) {
    auto a = protocol::to_args(obj.via.array.ptr[0]);
    auto k = protocol::to_kwargs(obj.via.array.ptr[1]);
    if (a.ok() && k.ok()) calls.push_back({a.value(), k.value()});
  }
  for (const auto& c : calls)
    call_all(fixed_registry(), "realm1", c);

  auto info = protocol::decode_session_info(obj);
  if (info.ok()) {
    check(core::session_id::valid(info.value().id.value) && !info.value().realm.empty(), "decoded session invalid");
    check_session_round_trip(info.value());
  }

  for (const auto kind : {core::hook_kind::joined, core::hook_kind::left}) {
    auto ev = protocol::decode_hook(kind, obj);
    if (!ev.ok()) continue;
    check(ev.value().kind == kind, "decode_hook: wrong kind");
    check(!ev.value().position || ev.value().position->seq >= 1, "decode_hook: seq 0");
    check_hook_round_trip(ev.value());
    exercise_hook(ev.value(), calls, flag);
  }
  for (const auto kind : {core::hook_kind::registered, core::hook_kind::unregistered, core::hook_kind::subscribed,
                          core::hook_kind::unsubscribed}) {
    auto ev = protocol::decode_hook(kind, obj);
    if (!ev.ok()) continue;
    check(ev.value().observation != nullptr, "decode_hook: a registration or subscription hook without one");
    const auto& o = *ev.value().observation;
    check(core::session_id::valid(o.id), "decode_hook: invalid registration or subscription id");
    const bool adds = kind == core::hook_kind::registered || kind == core::hook_kind::subscribed;
    check(!adds || !o.uri.empty(), "decode_hook: no uri");
    // Applied to a registry that has the member: applied or a conflict, never a crash; an added member is
    // then held, and listed by the procedures.
    core::registry reg(registry_options(false));
    std::vector<core::meta_event> out;
    const auto& s = ev.value().session;
    reg.serve(s.realm);
    reg.set_online(s.realm, true, out);
    core::session_record member = s;
    member.authrole = "user";
    std::optional<core::hook_position> before;
    if (ev.value().position) before = core::hook_position{ev.value().position->epoch, ev.value().position->seq - 1};
    reg.on_snapshot(core::snapshot{before, {member}, {}}, out);
    const auto verdict = reg.on_hook(core::hook_event(ev.value()), out);
    check(verdict == core::mirror::verdict::applied || verdict == core::mirror::verdict::conflict,
          "a registration or subscription hook neither applied nor a conflict");
    if (adds && verdict == core::mirror::verdict::applied) {
      const auto* table = reg.truth().observations().find(s.realm, o.kind);
      check(table && table->get(o.id) && table->get(o.id)->members.count(s.id), "an added member is not held");
    }
  }

  auto page = protocol::decode_snapshot_page(obj);
  if (page.ok()) {
    check_page_round_trip(page.value());
    exercise_page(page.value(), calls);
  }

  // A catch-up page: whatever decodes is taken by core::catch_up or refused with a reason, and a replay ends
  // with events or a reason, never a crash.
  auto catch_up_page = protocol::decode_catch_up_page(obj, "realm1");
  if (catch_up_page.ok()) {
    for (const auto& h : catch_up_page.value().hooks)
      check(h.position && h.session.realm == "realm1", "catch-up page: a hook of another realm, or unplaced");
    core::catch_up c("realm1", {"metad"});
    if (auto added = c.add(catch_up_page.value()); added.ok()) {
      auto out = c.replay();
      if (!out.ok()) check(!out.error().message.empty(), "a replay refused without a reason");
      for (const auto& e : out.ok() ? out.value() : std::vector<core::meta_event>{})
        check(e.realm == "realm1" && e.seq >= 1, "a replayed event of another realm, or untagged");
    } else {
      check(!added.error().message.empty(), "a catch-up page refused without a reason");
    }
  }

  auto sync = protocol::decode_sync(obj);
  if (sync.ok()) {
    check(!sync.value().epoch.empty(), "sync: empty epoch");
    check_sync_round_trip(sync.value());
    core::mirror m;
    std::vector<core::change> changed;
    m.on_snapshot(core::snapshot{sync.value(), {}, {}}, changed);
    check(m.has_reached(sync.value()), "a mirror at the sync position has not reached it");
    if (sync.value().seq < std::numeric_limits<std::uint64_t>::max())
      check(!m.has_reached(core::hook_position{sync.value().epoch, sync.value().seq + 1}), "reached the future");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Strict unpacking: the unpacker throws on malformed input and on these limits (its contract).
  const msgpack::unpack_limit limit(10'000, 10'000, 1 << 20, 1 << 20, 1 << 20, 64);
  const char* bytes = reinterpret_cast<const char*>(data);
  std::size_t offset = 0;
  for (int objects = 0; objects < 4 && offset < size; ++objects) {
    msgpack::object_handle oh;
    try {
      oh = msgpack::unpack(bytes, size, offset, nullptr, nullptr, limit);
    } catch (const msgpack::unpack_error&) {
      return 0;
    }
    exercise(oh.get(), size > 0 && (data[size - 1] & 1) != 0);
  }
  return 0;
}
