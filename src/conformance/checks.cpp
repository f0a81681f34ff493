#include "checks.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

namespace wamp_metad::conformance {

const char* status_name(status s) {
  switch (s) {
    case status::pass:
      return "PASS";
    case status::fail:
      return "FAIL";
    case status::not_offered:
      return "NOT OFFERED";
    case status::not_run:
      return "NOT RUN";
  }
  return "?";
}

const std::vector<clause>& clauses() {
  static const std::vector<clause> all = {
      {"1.1", "internal-realm", "sessions", "only the meta role joins the internal realm"},
      {"2.1", "info-fields", "sessions", "session hooks carry the info keys with their types"},
      {"3.1", "epoch-constant", "sessions", "one epoch for every hook of a run"},
      {"3.2", "seq-gap-free", "sessions", "seq increases by exactly 1 per hook, in publication order"},
      {"4.1", "joined-before-welcome", "sessions", "the joined hook is out before the client's WELCOME"},
      {"4.2", "left-once", "sessions", "one left hook per joined session, none for unknown or refused ones"},
      {"5.1", "snapshot-state", "sessions", "a snapshot equals the state at its seq, also taken during churn"},
      {"5.2", "snapshot-paging", "sessions", "pages repeat epoch and seq; a cursor read twice gives the same page"},
      {"5.3", "snapshot-cursor", "sessions", "a malformed or unknown cursor: wamp.error.invalid_argument"},
      {"6.1", "sync", "sessions", "sync returns [epoch, seq] after every hook up to seq"},
      {"7.1", "kill", "kill", "kill ends the session; its left hook before the RESULT [true]"},
      {"7.2", "kill-errors", "kill", "kill of an unknown session or with a bad reason is refused"},
      {"8.1", "v2-fields", "registrations", "registration and subscription hooks carry their fields and types"},
      {"8.2", "one-id", "registrations", "one id per (realm, uri, match), the id the clients got"},
      {"8.3", "pattern-fields", "registrations", "exact, prefix and wildcard reported as the client asked"},
      {"8.4", "removals-before-left", "registrations",
       "UNREGISTER / UNSUBSCRIBE give their hook; a leaving member's removals come before its left hook"},
      {"8.5", "snapshot-v2", "registrations", "the snapshot has protocol 2, registrations and subscriptions"},
      {"9.1", "remove-subscriber", "removal", "router.subscription.remove_subscriber: hook before the RESULT"},
      {"9.2", "remove-callee", "removal", "router.registration.remove_callee: hook before the RESULT"},
      {"10.1", "features-welcome", "features", "announced features are in the WELCOME of later sessions"},
      {"10.2", "features-dropped", "features", "an announcement ends when its session leaves"},
      {"10.3", "features-errors", "features", "a malformed announcement: wamp.error.invalid_argument"},
      {"11.1", "told-duplicate", "exactly once", "a told position at or below the realm's is dropped"},
      {"11.2", "told-epoch", "exactly once", "a told position of another epoch is dropped"},
      {"11.3", "told-race", "exactly once", "two publishers of one position: one gets through"},
      {"11.4", "catch-up", "exactly once", "catch_up: the state at the told position and the hooks since"},
      {"12.1", "wamp-uris", "sessions", "only the meta role registers wamp.* procedures or publishes wamp.* topics"},
      {"12.2", "procedure-exists", "sessions", "a second registration: wamp.error.procedure_already_exists"},
  };
  return all;
}

const std::vector<std::string>& levels() {
  static const std::vector<std::string> all = {"sessions", "registrations", "kill",
                                               "removal",  "features",      "exactly once"};
  return all;
}

report::report() {
  for (const auto& c : clauses())
    verdicts_.push_back(verdict{&c, status::not_run, {}, {}});
}

verdict& report::find(const std::string& name) {
  for (auto& v : verdicts_)
    if (name == v.of->name) return v;
  // A programming error: every name used is in the table.
  static verdict none{};
  return none;
}

const verdict& report::of(const std::string& name) const {
  return const_cast<report*>(this)->find(name);
}

void report::pass(const std::string& name) {
  auto& v = find(name);
  if (!v.of || v.result != status::not_run) return;
  v.result = status::pass;
  v.wanted.clear();
}

void report::fail(const std::string& name, std::string wanted, std::string got) {
  auto& v = find(name);
  if (!v.of || v.result == status::fail) return;
  v.result = status::fail;
  v.wanted = std::move(wanted);
  v.got = std::move(got);
}

void report::not_offered(const std::string& name, std::string why) {
  auto& v = find(name);
  if (!v.of || v.result != status::not_run) return;
  v.result = status::not_offered;
  v.wanted = std::move(why);
}

void report::level_not_offered(const std::string& level, const std::string& why) {
  for (auto& v : verdicts_)
    if (level == v.of->level) not_offered(v.of->name, why);
}

void report::not_run_rest(const std::string& why) {
  for (auto& v : verdicts_)
    if (v.result == status::not_run && v.wanted.empty()) v.wanted = why;
}

status report::level(const std::string& name) const {
  bool offered = true;
  for (const auto& v : verdicts_) {
    if (name != v.of->level) continue;
    if (v.result == status::fail || v.result == status::not_run) return status::fail;
    if (v.result == status::not_offered) offered = false;
  }
  return offered ? status::pass : status::not_offered;
}

int report::exit_code() const {
  for (const auto& v : verdicts_) {
    if (v.result == status::fail || v.result == status::not_run) return 1;
    if (v.result != status::pass && std::string(v.of->level) == "sessions") return 1;
  }
  return 0;
}

std::string report::text() const {
  std::ostringstream o;
  for (const auto& v : verdicts_) {
    o << v.of->number << ' ' << v.of->name << ": " << status_name(v.result);
    if (v.result == status::fail) {
      o << "\n    wanted: " << v.wanted << "\n    got:    " << v.got;
    } else if (!v.wanted.empty()) {
      o << " (" << v.wanted << ')';
    }
    o << '\n';
  }
  o << "levels:";
  for (const auto& l : levels()) {
    const auto s = level(l);
    o << ' ' << l << '=' << (s == status::pass ? "yes" : s == status::not_offered ? "not offered" : "no") << ';';
  }
  std::string out = o.str();
  out.back() = '\n';
  return out;
}

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + '"';
}

}  // namespace

std::string report::json() const {
  std::ostringstream o;
  o << "{\"checks\": [";
  bool first = true;
  for (const auto& v : verdicts_) {
    o << (first ? "" : ", ") << "{\"clause\": " << json_string(v.of->number)
      << ", \"name\": " << json_string(v.of->name) << ", \"level\": " << json_string(v.of->level)
      << ", \"verdict\": " << json_string(status_name(v.result));
    if (v.result == status::fail) {
      o << ", \"wanted\": " << json_string(v.wanted) << ", \"got\": " << json_string(v.got);
    } else if (!v.wanted.empty()) {
      o << ", \"why\": " << json_string(v.wanted);
    }
    o << '}';
    first = false;
  }
  o << "], \"levels\": {";
  first = true;
  for (const auto& l : levels()) {
    const auto s = level(l);
    o << (first ? "" : ", ") << json_string(l) << ": "
      << json_string(s == status::pass          ? "reached"
                     : s == status::not_offered ? "not offered"
                                                : "not reached");
    first = false;
  }
  o << "}, \"exit\": " << exit_code() << "}\n";
  return o.str();
}

std::optional<core::hook_kind> kind_of_topic(const std::string& topic) {
  using core::hook_kind;
  if (topic == "router.session.joined") return hook_kind::joined;
  if (topic == "router.session.left") return hook_kind::left;
  if (topic == "router.registration.registered") return hook_kind::registered;
  if (topic == "router.registration.unregistered") return hook_kind::unregistered;
  if (topic == "router.subscription.subscribed") return hook_kind::subscribed;
  if (topic == "router.subscription.unsubscribed") return hook_kind::unsubscribed;
  return std::nullopt;
}

namespace {

bool is_v2(core::hook_kind k) {
  return k != core::hook_kind::joined && k != core::hook_kind::left;
}

bool wamp_id(const core::value* v) {
  std::uint64_t u = 0;
  return v && !v->is<double>() && v->as_unsigned(u) && core::session_id::valid(u);
}

bool string_field(const core::value* v) {
  return v && v->is<std::string>();
}

std::optional<std::string> object_problem(const core::value& o, bool registration) {
  const char* what = registration ? "registration" : "subscription";
  if (!o.is<core::object>()) return std::string(what) + " is a " + core::type_name(o) + ", not a dict";
  if (!wamp_id(o.find("id"))) return std::string(what) + ".id is not an integer in 1..2^53";
  if (!string_field(o.find("uri"))) return std::string(what) + ".uri is not a string";
  const auto* match = o.find("match");
  if (!string_field(match) || !core::parse_match(*match->get_if<std::string>()))
    return std::string(what) + ".match is not exact, prefix or wildcard";
  if (registration && !string_field(o.find("invoke"))) return "registration.invoke is not a string";
  static const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  const auto* created = o.find("created");
  if (!string_field(created) || !std::regex_match(*created->get_if<std::string>(), iso))
    return std::string(what) + ".created is not an ISO 8601 UTC time with milliseconds";
  return std::nullopt;
}

std::string describe(const hook_record& h) {
  std::ostringstream o;
  o << h.topic;
  if (h.decoded && h.decoded->position) o << " seq " << h.decoded->position->seq;
  if (h.decoded) o << " of session " << h.decoded->session.id.value;
  return o.str();
}

}  // namespace

std::optional<std::string> field_problem(const hook_record& h) {
  const auto kind = kind_of_topic(h.topic);
  if (!kind) return "not a hook topic";
  const auto& info = h.info;
  if (!info.is<core::object>()) return "Arguments[0] is a " + std::string(core::type_name(info)) + ", not a dict";
  if (!string_field(info.find("realm"))) return std::string("realm is missing or not a string");
  if (!wamp_id(info.find("session"))) return std::string("session is missing or not an integer in 1..2^53");
  const auto* epoch = info.find("epoch");
  if (!string_field(epoch) || epoch->get_if<std::string>()->empty()) return std::string("epoch is missing or empty");
  std::uint64_t seq = 0;
  const auto* seqv = info.find("seq");
  if (!seqv || seqv->is<double>() || !seqv->as_unsigned(seq) || seq == 0)
    return std::string("seq is missing or not an integer >= 1");
  if (*kind == core::hook_kind::joined) {
    for (const char* key : {"authid", "authrole", "authmethod", "authprovider"})
      if (!string_field(info.find(key))) return std::string(key) + " is missing or not a string";
    const auto* t = info.find("transport");
    if (!t || !t->is<core::object>()) return std::string("transport is missing or not a dict");
    for (const char* key : {"type", "serializer", "peer"})
      if (!string_field(t->find(key))) return std::string("transport.") + key + " is missing or not a string";
    const auto* extra = info.find("authextra");
    if (extra && !extra->is<core::object>()) return std::string("authextra is not a dict");
  }
  const bool reg = *kind == core::hook_kind::registered || *kind == core::hook_kind::unregistered;
  if (*kind == core::hook_kind::registered || *kind == core::hook_kind::subscribed) {
    const auto* o = info.find(reg ? "registration" : "subscription");
    if (!o) return std::string(reg ? "registration" : "subscription") + " is missing";
    if (auto p = object_problem(*o, reg)) return p;
  }
  if (*kind == core::hook_kind::unregistered || *kind == core::hook_kind::unsubscribed) {
    if (!wamp_id(info.find(reg ? "registration" : "subscription")))
      return std::string(reg ? "registration" : "subscription") + " is not an integer id";
  }
  if (!h.decode_error.empty()) return "the strict decoder refused it: " + h.decode_error;
  if (!h.decoded) return std::string("it did not decode");
  return std::nullopt;
}

void check_stream(const std::vector<hook_record>& hooks, const core::snapshot& base, report& out) {
  using core::hook_kind;
  const std::uint64_t base_seq = base.position ? base.position->seq : 0;
  std::set<std::uint64_t> live;
  for (const auto& s : base.sessions)
    live.insert(s.id.value);
  // What each session holds: (is registration, id); each object's key and live members.
  std::map<std::uint64_t, std::set<std::pair<bool, std::uint64_t>>> held;
  using key = std::tuple<bool, std::string, std::string, std::string>;  // kind, realm, uri, match
  struct object_state {
    key k;
    std::set<std::uint64_t> members;
  };
  std::map<std::pair<bool, std::uint64_t>, object_state> objects;
  std::map<key, std::uint64_t> by_key;
  std::set<std::pair<bool, std::uint64_t>> deleted;
  for (const auto& o : base.observations) {
    const bool reg = o.info.kind == core::observation_kind::registration;
    auto& st = objects[{reg, o.info.id}];
    st.k = key{reg, o.realm, o.info.uri, core::match_name(o.info.match)};
    by_key[st.k] = o.info.id;
    for (auto m : o.members) {
      st.members.insert(m.value);
      held[m.value].insert({reg, o.info.id});
    }
  }

  std::optional<std::string> epoch;
  std::optional<std::uint64_t> last_seq;
  bool any_session = false, any_v2 = false, any_left = false, any_member_left = false, any_shared = false;
  for (const auto& h : hooks) {
    const auto kind = kind_of_topic(h.topic);
    if (!kind) continue;
    (is_v2(*kind) ? any_v2 : any_session) = true;
    if (auto p = field_problem(h)) {
      out.fail(is_v2(*kind) ? "v2-fields" : "info-fields", "every hook with the keys and types of the protocol",
               describe(h) + ": " + *p);
      if (!h.decoded) continue;
    }
    const auto& ev = *h.decoded;
    if (!ev.position) continue;
    const auto& pos = *ev.position;
    if (!epoch) {
      epoch = pos.epoch;
    } else if (*epoch != pos.epoch) {
      out.fail("epoch-constant", "epoch " + *epoch + " on every hook of the run",
               describe(h) + " in epoch " + pos.epoch);
    }
    if (last_seq && pos.seq != *last_seq + 1)
      out.fail("seq-gap-free", "seq " + std::to_string(*last_seq + 1) + " after seq " + std::to_string(*last_seq),
               describe(h) + " (arrived next)");
    last_seq = pos.seq;
    if (pos.seq <= base_seq) continue;  // already in the base snapshot

    const std::uint64_t sid = ev.session.id.value;
    switch (ev.kind) {
      case hook_kind::joined:
        if (!live.insert(sid).second)
          out.fail("left-once", "one joined hook per session",
                   describe(h) + ": a second joined hook for a live session");
        break;
      case hook_kind::left: {
        any_left = true;
        if (live.erase(sid) == 0)
          out.fail("left-once", "a left hook only for a session that joined (and once)",
                   describe(h) + ": no such session was live");
        auto it = held.find(sid);
        if (it != held.end() && !it->second.empty()) {
          const auto& [reg, id] = *it->second.begin();
          out.fail(
              "removals-before-left", "the leaving session's unregistered / unsubscribed hooks before its left hook",
              describe(h) + " while it still held " + (reg ? "registration " : "subscription ") + std::to_string(id));
          for (const auto& [r, oid] : it->second)
            objects[{r, oid}].members.erase(sid);
        }
        if (it != held.end()) {
          any_member_left = true;
          held.erase(it);
        }
        break;
      }
      case hook_kind::registered:
      case hook_kind::subscribed: {
        const bool reg = ev.kind == hook_kind::registered;
        const auto& o = *ev.observation;
        if (!live.count(sid))
          out.fail("removals-before-left", "registered / subscribed hooks only for live sessions (after their joined)",
                   describe(h) + ": the session is not live");
        const key k{reg, ev.session.realm, o.uri, core::match_name(o.match)};
        auto known = by_key.find(k);
        const auto ref = std::make_pair(reg, o.id);
        if (known != by_key.end() && known->second != o.id && objects.count({reg, known->second}))
          out.fail("one-id", "one id per (realm, uri, match): " + std::to_string(known->second) + " for " + o.uri,
                   describe(h) + " names id " + std::to_string(o.id));
        auto obj = objects.find(ref);
        if (obj != objects.end() && obj->second.k != k)
          out.fail("one-id", "id " + std::to_string(o.id) + " keeps its uri and match",
                   describe(h) + " gives it " + o.uri + " (" + core::match_name(o.match) + ")");
        if (obj == objects.end() && deleted.count(ref))
          out.fail("one-id", "a new id for a new " + std::string(reg ? "registration" : "subscription"),
                   describe(h) + " reuses the deleted id " + std::to_string(o.id));
        auto& st = objects[ref];
        st.k = k;
        if (!st.members.empty()) any_shared = true;
        st.members.insert(sid);
        by_key[k] = o.id;
        held[sid].insert(ref);
        break;
      }
      case hook_kind::unregistered:
      case hook_kind::unsubscribed: {
        const bool reg = ev.kind == hook_kind::unregistered;
        const auto ref = std::make_pair(reg, ev.observation->id);
        auto obj = objects.find(ref);
        if (obj == objects.end() || !obj->second.members.erase(sid)) {
          out.fail("removals-before-left", "an unregistered / unsubscribed hook only for a member",
                   describe(h) + ": not a member of " + std::to_string(ref.second));
          break;
        }
        held[sid].erase(ref);
        if (obj->second.members.empty()) {
          by_key.erase(obj->second.k);
          deleted.insert(ref);
          objects.erase(obj);
        }
        break;
      }
    }
  }
  if (any_session) {
    out.pass("info-fields");
    out.pass("epoch-constant");
    out.pass("seq-gap-free");
  }
  if (any_left) out.pass("left-once");
  if (any_v2) out.pass("v2-fields");
  if (any_shared) out.pass("one-id");
  if (any_member_left) out.pass("removals-before-left");
}

core::snapshot join_pages(const std::vector<core::snapshot_page>& pages, std::vector<std::string>& problems) {
  core::snapshot s;
  std::map<std::pair<int, std::uint64_t>, std::size_t> at;  // (kind, id) -> index in s.observations
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const auto& p = pages[i];
    if (i == 0) {
      s.position = p.position;
      s.recently_left = p.recently_left;
    } else if (!(p.position == s.position)) {
      problems.push_back("page " + std::to_string(i + 1) + " has another epoch or seq than the first page");
    }
    if (p.next_cursor && i + 1 == pages.size()) problems.push_back("the last page has a next_cursor");
    if (!p.next_cursor && i + 1 < pages.size()) problems.push_back("a page without next_cursor is not the last");
    s.sessions.insert(s.sessions.end(), p.sessions.begin(), p.sessions.end());
    for (const auto& o : p.observations) {
      const std::pair<int, std::uint64_t> k{static_cast<int>(o.info.kind), o.info.id};
      auto it = at.find(k);
      if (it == at.end()) {
        at[k] = s.observations.size();
        s.observations.push_back(o);
      } else {
        auto& members = s.observations[it->second].members;
        members.insert(members.end(), o.members.begin(), o.members.end());
      }
    }
  }
  return s;
}

std::vector<std::string> canonical(const core::snapshot& s, const std::string* realm) {
  std::vector<std::string> lines;
  for (const auto& r : s.sessions) {
    if (realm && r.realm != *realm) continue;
    lines.push_back("session " + r.realm + ' ' + std::to_string(r.id.value) + " authid=" + r.authid +
                    " authrole=" + r.authrole + " authmethod=" + r.authmethod + " authprovider=" + r.authprovider +
                    " transport=" + r.transport.type + '/' + r.transport.serializer + '/' + r.transport.peer +
                    (r.authextra ? " authextra" : ""));
  }
  for (const auto& o : s.observations) {
    if (realm && o.realm != *realm) continue;
    std::vector<std::uint64_t> m;
    for (auto id : o.members)
      m.push_back(id.value);
    std::sort(m.begin(), m.end());
    std::string members;
    for (auto id : m)
      members += (members.empty() ? "" : ",") + std::to_string(id);
    const bool reg = o.info.kind == core::observation_kind::registration;
    lines.push_back(std::string(reg ? "registration " : "subscription ") + o.realm + ' ' + std::to_string(o.info.id) +
                    ' ' + core::match_name(o.info.match) + ' ' + o.info.uri + (reg ? " invoke=" + o.info.invoke : "") +
                    " created=" + o.info.created + (reg ? " callees=" : " subscribers=") + members);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::optional<core::snapshot> state_at(const core::snapshot& base, const std::vector<hook_record>& hooks,
                                       std::uint64_t seq, std::string& error) {
  const std::uint64_t base_seq = base.position ? base.position->seq : 0;
  if (seq < base_seq) {
    error = "seq " + std::to_string(seq) + " is before the first snapshot (seq " + std::to_string(base_seq) + ")";
    return std::nullopt;
  }
  // The state only: the stream's own clauses (epoch, seq, one id per uri, the order of a leave) are judged apart,
  // so hooks apply in their order whatever their position, and one that names what is not there changes nothing.
  std::map<std::uint64_t, core::session_record> sessions;
  for (const auto& r : base.sessions)
    sessions[r.id.value] = r;
  std::map<std::pair<int, std::uint64_t>, core::snapshot_observation> objects;
  for (const auto& o : base.observations)
    objects[{static_cast<int>(o.info.kind), o.info.id}] = o;
  auto detach = [&objects](int kind, std::uint64_t id, core::session_id member) {
    auto it = objects.find({kind, id});
    if (it == objects.end()) return;
    auto& m = it->second.members;
    m.erase(std::remove(m.begin(), m.end(), member), m.end());
    if (m.empty()) objects.erase(it);
  };
  std::uint64_t received = base_seq;
  for (const auto& h : hooks) {
    if (!h.decoded || !h.decoded->position) continue;
    const auto s = h.decoded->position->seq;
    received = std::max(received, s);
    if (s <= base_seq || s > seq) continue;
    const auto& ev = *h.decoded;
    const auto member = ev.session.id;
    switch (ev.kind) {
      case core::hook_kind::joined:
        sessions[member.value] = ev.session;
        break;
      case core::hook_kind::left:
        sessions.erase(member.value);
        for (auto it = objects.begin(); it != objects.end();) {
          auto& m = it->second.members;
          m.erase(std::remove(m.begin(), m.end(), member), m.end());
          it = m.empty() ? objects.erase(it) : std::next(it);
        }
        break;
      case core::hook_kind::registered:
      case core::hook_kind::subscribed: {
        if (!sessions.count(member.value)) break;
        const auto& o = *ev.observation;
        auto& entry = objects[{static_cast<int>(o.kind), o.id}];
        if (entry.members.empty()) {
          entry.realm = ev.session.realm;
          entry.info = o;
        }
        if (std::find(entry.members.begin(), entry.members.end(), member) == entry.members.end())
          entry.members.push_back(member);
        break;
      }
      case core::hook_kind::unregistered:
      case core::hook_kind::unsubscribed:
        detach(static_cast<int>(ev.observation->kind), ev.observation->id, member);
        break;
    }
  }
  if (received < seq) {
    error = "hooks up to seq " + std::to_string(seq) + " were not all received (last " + std::to_string(received) + ")";
    return std::nullopt;
  }
  core::snapshot out;
  out.position = core::hook_position{base.position ? base.position->epoch : "", seq};
  for (auto& [id, r] : sessions)
    out.sessions.push_back(std::move(r));
  for (auto& [key, o] : objects)
    out.observations.push_back(std::move(o));
  return out;
}

std::string first_difference(const std::vector<std::string>& wanted, const std::vector<std::string>& got,
                             std::string& wanted_line, std::string& got_line) {
  std::vector<std::string> only_wanted, only_got;
  std::set_difference(wanted.begin(), wanted.end(), got.begin(), got.end(), std::back_inserter(only_wanted));
  std::set_difference(got.begin(), got.end(), wanted.begin(), wanted.end(), std::back_inserter(only_got));
  if (only_wanted.empty() && only_got.empty()) return "";
  wanted_line = only_wanted.empty() ? "(nothing more)" : only_wanted.front();
  got_line = only_got.empty() ? "(nothing of it)" : only_got.front();
  return std::to_string(only_wanted.size()) + " missing, " + std::to_string(only_got.size()) + " extra";
}

}  // namespace wamp_metad::conformance
