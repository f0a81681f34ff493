// The sessions both core benchmarks (bench/core.cpp, bench/e2e/apply_count.cpp) work with: random 53-bit ids,
// as routers hand them out, and records shaped like real ones (short strings held inline, a heap-allocated
// peer address), so that figures from the two programs can be compared.
#pragma once

#include <cstdint>
#include <string>

#include "wamp_metad/core/session.hpp"

namespace wamp_metad::bench {

// splitmix64 over a counter: a repeatable stream of ids in [1, 2^53].
struct id_source {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return 1 + z % core::max_wamp_id;
  }
};

// The n-th session: authid "client-N" (at most 14 characters: inline), authrole user (one in ten admin),
// peer "tcp4:10.A.B.C:PORT" (19 to 25 characters: heap-allocated with libstdc++, whose inline limit is 15).
inline core::session_record make_session(const std::string& realm, std::uint64_t id, std::uint64_t n) {
  core::session_record s;
  s.realm = realm;
  s.id = core::session_id{id};
  s.authid = "client-" + std::to_string(n % 10'000'000);
  s.authrole = n % 10 == 0 ? "admin" : "user";
  s.authmethod = "ticket";
  s.authprovider = "static";
  s.transport.type = "websocket";
  s.transport.serializer = "msgpack";
  s.transport.peer = "tcp4:10." + std::to_string((n >> 16) & 0xff) + "." + std::to_string((n >> 8) & 0xff) + "." +
                     std::to_string(n & 0xff) + ":" + std::to_string(10'000 + n % 50'000);
  return s;
}

}  // namespace wamp_metad::bench
