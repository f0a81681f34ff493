// Testaments (wamp.session.add_testament / flush_testaments): events a session leaves behind, held here and
// published on its realm once the router reports the session gone. Plain data and rules; the adapter
// publishes what take() hands it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "wamp_metad/core/meta.hpp"

namespace wamp_metad::core {

struct testament {
  std::string topic;
  array args;
  object kwargs;
  std::size_t bytes = 0;  // what it counts against the limits
};

struct testament_limits {
  std::size_t per_session = 32;              // testaments per session, both scopes together
  std::size_t bytes_per_session = 64 << 10;  // their packed size, per session
  std::size_t total_bytes = 64 << 20;        // all sessions together
};

enum class testament_scope { detached, destroyed };
const char* scope_name(testament_scope s);

// What a call of add_testament or flush_testaments asks of whoever keeps the testaments: this store, or a
// router that keeps them itself (docs/hook-protocol.md, "Testaments kept by the router"), so that they outlive
// wamp-metad.
struct testament_plan {
  enum class action { add, flush };
  action what = action::add;
  std::string realm;
  session_id session;
  testament_scope scope = testament_scope::destroyed;
  testament t;  // add only
};

// The size of `v` once packed with msgpack: what a testament costs.
std::size_t packed_size(const value& v);

class testament_store {
 public:
  explicit testament_store(testament_limits limits = {}) : limits_(limits) {}

  // wamp.session.add_testament called by `session`: [topic, args, kwargs] with kwargs publish_options and
  // scope, checked (and the limits against what this store holds). Errors: wamp.error.invalid_argument (shape,
  // scope, publish options wamp-metad cannot honour, a limit reached), wamp.error.invalid_uri (a topic that is
  // no URI, or one under the reserved wamp. prefix).
  outcome<testament_plan> plan_add(const std::string& realm, session_id session, const array& args,
                                   const object& kwargs) const;
  // wamp.session.flush_testaments: no positional arguments, kwarg scope.
  outcome<testament_plan> plan_flush(const std::string& realm, session_id session, const array& args,
                                     const object& kwargs) const;
  // Carries a plan out here: the testament is kept (or the scope's forgotten) by this store.
  void keep(testament_plan plan);
  // plan_add / plan_flush, then keep.
  outcome<call_result> add(const std::string& realm, session_id session, const array& args, const object& kwargs);
  outcome<call_result> flush(const std::string& realm, session_id session, const array& args, const object& kwargs);

  // The session is gone: its testaments, the detached bucket then the destroyed one, each in the order they
  // were added. They are forgotten here.
  std::vector<testament> take(const std::string& realm, session_id session);
  // Forgets a session's testaments without publishing them.
  void discard(const std::string& realm, session_id session);
  void discard_realm(const std::string& realm);

  // The sessions that hold testaments.
  std::vector<std::pair<std::string, session_id>> holders() const;
  bool empty() const { return held_.empty(); }
  std::size_t bytes() const { return total_; }

 private:
  struct buckets {
    std::vector<testament> detached;
    std::vector<testament> destroyed;
    std::size_t bytes = 0;
  };
  using key = std::pair<std::string, std::uint64_t>;
  void forget(std::map<key, buckets>::iterator it);

  testament_limits limits_;
  std::map<key, buckets> held_;
  std::size_t total_ = 0;
};

}  // namespace wamp_metad::core
