#include "wamp_metad/core/testaments.hpp"

#include <algorithm>
#include <string_view>

#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::core {
namespace {

using scope = testament_scope;

// kwarg scope: "detached" or "destroyed"; absent or null = destroyed (the spec's default).
outcome<scope> read_scope(const object& kwargs) {
  const value* v = kwarg(kwargs, "scope");
  if (!v || v->is_null()) return scope::destroyed;
  if (const auto* s = v->get_if<std::string>()) {
    if (*s == "destroyed") return scope::destroyed;
    if (*s == "detached") return scope::detached;
  }
  return invalid_argument("scope must be \"detached\" or \"destroyed\", got " + describe(*v));
}

// PUBLISH options a testament may carry. wamp-metad publishes through a client library that sends no
// options beyond exclude_me, so the ones it could not honour are refused rather than silently dropped.
std::optional<call_error> check_publish_options(const object& kwargs) {
  const value* v = kwarg(kwargs, "publish_options");
  if (!v || v->is_null()) return std::nullopt;
  const auto* options = v->get_if<object>();
  if (!options) return invalid_argument("publish_options must be a dict, got " + describe(*v));
  static constexpr std::string_view ignored[] = {"acknowledge", "exclude_me"};  // meaningless for a testament
  static constexpr std::string_view unsupported[] = {"exclude",  "exclude_authid",  "exclude_authrole",
                                                     "eligible", "eligible_authid", "eligible_authrole",
                                                     "retain",   "disclose_me"};
  for (const auto& [key, option] : *options) {
    if (std::find(std::begin(ignored), std::end(ignored), key) != std::end(ignored)) {
      if (!option.is<bool>()) return invalid_argument("publish option '" + key + "' must be a bool");
      continue;
    }
    if (std::find(std::begin(unsupported), std::end(unsupported), key) != std::end(unsupported))
      return invalid_argument("publish option '" + key + "' is not supported for testaments by wamp-metad");
    return invalid_argument("unknown publish option '" + key.substr(0, 64) + "'");
  }
  return std::nullopt;
}

std::size_t header(std::size_t n, std::size_t fix) {
  if (n < fix) return 1;
  if (n <= 0xffff) return 3;
  return 5;
}

}  // namespace

std::size_t packed_size(const value& v) {
  struct visitor {
    std::size_t operator()(std::monostate) const { return 1; }
    std::size_t operator()(bool) const { return 1; }
    std::size_t operator()(std::int64_t i) const {
      if (i >= -32 && i <= 127) return 1;
      if (i >= -32768 && i <= 65535) return i >= -128 && i <= 255 ? 2 : 3;
      return i >= -2147483648LL && i <= 4294967295LL ? 5 : 9;
    }
    std::size_t operator()(std::uint64_t u) const {
      if (u <= 127) return 1;
      if (u <= 0xff) return 2;
      if (u <= 0xffff) return 3;
      return u <= 0xffffffffULL ? 5 : 9;
    }
    std::size_t operator()(double) const { return 9; }
    std::size_t operator()(const std::string& s) const {
      return s.size() + (s.size() < 32 ? 1 : s.size() <= 0xff ? 2 : s.size() <= 0xffff ? 3 : 5);
    }
    std::size_t operator()(const binary& b) const {
      return b.bytes.size() + (b.bytes.size() <= 0xff ? 2 : b.bytes.size() <= 0xffff ? 3 : 5);
    }
    std::size_t operator()(const array& a) const {
      std::size_t n = header(a.size(), 16);
      for (const auto& e : a)
        n += packed_size(e);
      return n;
    }
    std::size_t operator()(const object& o) const {
      std::size_t n = header(o.size(), 16);
      for (const auto& [k, e] : o)
        n += (*this)(k) + packed_size(e);
      return n;
    }
  };
  return std::visit(visitor{}, v.raw());
}

outcome<testament_plan> testament_store::plan_add(const std::string& realm, session_id session, const array& args,
                                                  const object& kwargs) const {
  if (auto err = unknown_kwarg(kwargs, {"publish_options", "scope"})) return *err;
  if (args.size() != 3)
    return invalid_argument("expected three positional arguments (topic, args, kwargs); got " +
                            std::to_string(args.size()));
  const auto* topic = args[0].get_if<std::string>();
  if (!topic || !valid_uri(*topic))
    return call_error{uri::invalid_uri, "topic must be a URI, got " + describe(args[0])};
  if (topic->rfind(uri::reserved_prefix, 0) == 0)
    return call_error{uri::invalid_uri, "topic '" + topic->substr(0, 64) + "' is under the reserved prefix wamp."};
  const auto* event_args = args[1].get_if<array>();
  if (!event_args) return invalid_argument("args (the second argument) must be a list, got " + describe(args[1]));
  const auto* event_kwargs = args[2].get_if<object>();
  if (!event_kwargs) return invalid_argument("kwargs (the third argument) must be a dict, got " + describe(args[2]));
  if (auto err = check_publish_options(kwargs)) return *err;
  auto where = read_scope(kwargs);
  if (!where.ok()) return where.error();

  testament_plan plan;
  plan.what = testament_plan::action::add;
  plan.realm = realm;
  plan.session = session;
  plan.scope = where.value();
  plan.t.topic = *topic;
  plan.t.bytes = packed_size(args[0]) + packed_size(args[1]) + packed_size(args[2]);
  // The limits, against what is held here (a router that keeps the testaments checks them against its own).
  auto it = held_.find(key{realm, session.value});
  const std::size_t count = it == held_.end() ? 0 : it->second.detached.size() + it->second.destroyed.size();
  const std::size_t bytes = it == held_.end() ? 0 : it->second.bytes;
  if (count >= limits_.per_session)
    return invalid_argument("session " + std::to_string(session.value) + " already has " + std::to_string(count) +
                            " testaments, the most wamp-metad keeps per session");
  if (bytes + plan.t.bytes > limits_.bytes_per_session)
    return invalid_argument("this testament (" + std::to_string(plan.t.bytes) + " bytes) would take session " +
                            std::to_string(session.value) + " over " + std::to_string(limits_.bytes_per_session) +
                            " bytes of testaments (it holds " + std::to_string(bytes) + ")");
  if (total_ + plan.t.bytes > limits_.total_bytes)
    return invalid_argument("wamp-metad holds " + std::to_string(total_) + " bytes of testaments, its limit is " +
                            std::to_string(limits_.total_bytes) + ": no room for " + std::to_string(plan.t.bytes) +
                            " more");
  plan.t.args = *event_args;
  plan.t.kwargs = *event_kwargs;
  return plan;
}

outcome<testament_plan> testament_store::plan_flush(const std::string& realm, session_id session, const array& args,
                                                    const object& kwargs) const {
  if (auto err = unknown_kwarg(kwargs, {"scope"})) return *err;
  if (!args.empty())
    return invalid_argument("flush_testaments takes no positional arguments; got " + std::to_string(args.size()));
  auto where = read_scope(kwargs);
  if (!where.ok()) return where.error();
  testament_plan plan;
  plan.what = testament_plan::action::flush;
  plan.realm = realm;
  plan.session = session;
  plan.scope = where.value();
  return plan;
}

void testament_store::keep(testament_plan plan) {
  buckets& b = held_[key{plan.realm, plan.session.value}];
  if (plan.what == testament_plan::action::add) {
    b.bytes += plan.t.bytes;
    total_ += plan.t.bytes;
    (plan.scope == scope::detached ? b.detached : b.destroyed).push_back(std::move(plan.t));
    return;
  }
  auto& bucket = plan.scope == scope::detached ? b.detached : b.destroyed;
  for (const auto& t : bucket) {
    b.bytes -= t.bytes;
    total_ -= t.bytes;
  }
  bucket.clear();
  if (b.detached.empty() && b.destroyed.empty()) held_.erase(key{plan.realm, plan.session.value});
}

outcome<call_result> testament_store::add(const std::string& realm, session_id session, const array& args,
                                          const object& kwargs) {
  auto plan = plan_add(realm, session, args, kwargs);
  if (!plan.ok()) return plan.error();
  keep(std::move(plan.value()));
  return call_result{};
}

outcome<call_result> testament_store::flush(const std::string& realm, session_id session, const array& args,
                                            const object& kwargs) {
  auto plan = plan_flush(realm, session, args, kwargs);
  if (!plan.ok()) return plan.error();
  keep(std::move(plan.value()));
  return call_result{};
}

const char* scope_name(testament_scope s) {
  return s == testament_scope::detached ? "detached" : "destroyed";
}

std::vector<testament> testament_store::take(const std::string& realm, session_id session) {
  std::vector<testament> out;
  auto it = held_.find(key{realm, session.value});
  if (it == held_.end()) return out;
  out = std::move(it->second.detached);
  for (auto& t : it->second.destroyed)
    out.push_back(std::move(t));
  forget(it);
  return out;
}

void testament_store::discard(const std::string& realm, session_id session) {
  auto it = held_.find(key{realm, session.value});
  if (it != held_.end()) forget(it);
}

void testament_store::discard_realm(const std::string& realm) {
  for (auto it = held_.lower_bound(key{realm, 0}); it != held_.end() && it->first.first == realm;)
    forget(it++);
}

void testament_store::forget(std::map<key, buckets>::iterator it) {
  total_ -= it->second.bytes;
  held_.erase(it);
}

std::vector<std::pair<std::string, session_id>> testament_store::holders() const {
  std::vector<std::pair<std::string, session_id>> out;
  out.reserve(held_.size());
  for (const auto& [k, b] : held_)
    out.emplace_back(k.first, session_id{k.second});
  return out;
}

}  // namespace wamp_metad::core
