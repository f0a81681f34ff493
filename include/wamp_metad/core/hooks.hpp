// The router's hooks (hook protocol, docs/hook-protocol.md), decoded: sessions (v1), and their registrations
// and subscriptions (v2), in one stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wamp_metad/core/patterns.hpp"
#include "wamp_metad/core/session.hpp"

namespace wamp_metad::core {

// Where a hook stands in the router's stream: `epoch` names one run of the router, `seq` counts every hook
// of that epoch from 1 with no holes. Routers without sequencing send neither.
struct hook_position {
  std::string epoch;
  std::uint64_t seq = 0;

  friend bool operator==(const hook_position& a, const hook_position& b) {
    return a.epoch == b.epoch && a.seq == b.seq;
  }
};

enum class hook_kind { joined, left, registered, unregistered, subscribed, unsubscribed };

enum class observation_kind { registration, subscription };

// A registration or subscription as a hook or a snapshot names it (uri and the rest: when it is added to).
struct observation_info {
  observation_kind kind = observation_kind::subscription;
  std::uint64_t id = 0;
  std::string uri;
  match_policy match = match_policy::exact;
  std::string invoke;   // registrations only
  std::string created;  // ISO 8601 UTC
};

struct hook_event {
  hook_kind kind = hook_kind::joined;
  // For `left`, only realm and id are certain; the auth fields are empty when the router did not send them.
  // For the registration and subscription hooks: the realm and the member session only.
  session_record session;
  std::optional<hook_position> position;
  // The registration and subscription hooks only (null for the session hooks): held apart, so that the many
  // session hooks do not carry (and move) its strings.
  std::shared_ptr<observation_info> observation{};
  // A left hook of a quiet leave (a kill asked to be quiet, as kill_all's are): no on_leave is told of it, by
  // whoever applies the hook, live or in a catch-up.
  bool quiet = false;
};

// A registration or subscription of a snapshot, with (some of) its members: a long member list may come in
// parts on several pages, the same id each time.
struct snapshot_observation {
  std::string realm;
  observation_info info;
  std::vector<session_id> members;
};

// One page of router.session.snapshot.
struct snapshot_page {
  std::optional<hook_position> position;  // seq = the last hook published before the view was frozen
  std::vector<session_record> sessions;
  std::vector<session_record> recently_left;  // first page only, when the router keeps them
  std::optional<std::string> next_cursor;     // absent on the last page
  int protocol = 1;                           // first page: 2 when the router has registration hooks too
  std::vector<snapshot_observation> observations{};
};

// One page of router.meta.catch_up: a realm's state where its subscribers' record stands (`state`, with the
// position (epoch, seq now) on the first page), then the realm's hooks since.
// A page of router.session.hooks_since: the router's position when it answered, and hooks after the asked seq.
struct hooks_page {
  hook_position position;
  std::vector<hook_event> hooks;
};

struct catch_up_page {
  snapshot_page state;
  std::uint64_t at = 0;    // first page: the seq the state stands at
  std::uint32_t skip = 0;  // first page: events of the first hook the subscribers were told already
  std::optional<std::pair<std::uint64_t, std::uint32_t>> told;  // first page: the record (seq, index), if any
  std::vector<hook_event> hooks;
};

// A whole snapshot, all pages joined.
struct snapshot {
  std::optional<hook_position> position;
  std::vector<session_record> sessions;
  // Sessions that left shortly before the view was frozen (the router's tombstones): lets a freshly started
  // wamp-metad tell subscribers about leaves it did not see.
  std::vector<session_record> recently_left;
  std::vector<snapshot_observation> observations{};
};

}  // namespace wamp_metad::core
