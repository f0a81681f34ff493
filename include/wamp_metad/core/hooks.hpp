// The router's raw session hooks (hook protocol v1, docs/hook-protocol.md), decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

enum class hook_kind { joined, left };

struct hook_event {
  hook_kind kind = hook_kind::joined;
  // For `left`, only realm and id are certain; the auth fields are empty when the router did not send them.
  session_record session;
  std::optional<hook_position> position;
};

// One page of router.session.snapshot.
struct snapshot_page {
  std::optional<hook_position> position;  // seq = the last hook published before the view was frozen
  std::vector<session_record> sessions;
  std::vector<session_record> recently_left;  // first page only, when the router keeps them
  std::optional<std::string> next_cursor;     // absent on the last page
};

// A whole snapshot, all pages joined.
struct snapshot {
  std::optional<hook_position> position;
  std::vector<session_record> sessions;
  // Sessions that left shortly before the view was frozen (the router's tombstones): lets a freshly started
  // wamp-metad tell subscribers about leaves it did not see.
  std::vector<session_record> recently_left;
};

}  // namespace wamp_metad::core
