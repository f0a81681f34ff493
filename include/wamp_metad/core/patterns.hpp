// URI patterns as WAMP's registrations and subscriptions use them (the spec's "Pattern-based Registrations"
// and "Pattern-based Subscriptions"): exact, prefix (the URI starts with the pattern, as strings) and
// wildcard (empty components match any one component; as many components as the pattern). An index of
// patterns answers, without a scan over them:
// - find(uri, match): the pattern registered as exactly that (wamp.*.lookup);
// - best(uri): the one a call to `uri` reaches (exact, else the longest prefix, else the wildcard whose
//   concrete components before each wildcard run longest: the spec's rule; wamp.registration.match);
// - all(uri): every pattern an event on `uri` reaches (wamp.subscription.match).
// Prefix patterns are looked up by each length that some prefix pattern has (a handful of hash lookups);
// wildcard patterns by each distinct set of wildcard positions (the URI with those components blanked is
// the pattern itself). Standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wamp_metad::core {

enum class match_policy { exact, prefix, wildcard };

// "exact", "prefix", "wildcard" (the spec's option values); nullopt for anything else.
std::optional<match_policy> parse_match(std::string_view text);
const char* match_name(match_policy m);

// Whether `pattern` is a URI a router accepts with policy `m`: exact and prefix need non-empty components
// (a prefix may end inside a component, so it may not end with a '.'), wildcard allows empty ones (at least
// one component, no '#' or whitespace anywhere).
bool valid_pattern(std::string_view pattern, match_policy m);

class pattern_index {
 public:
  using id_type = std::uint64_t;

  // `pattern` must stay valid (and unchanged) while it is in the index: the index keeps a view of it.
  // Returns false, changing nothing, if the same pattern and policy are already there.
  bool add(std::string_view pattern, match_policy m, id_type id);
  bool remove(std::string_view pattern, match_policy m);

  std::optional<id_type> find(std::string_view pattern, match_policy m) const;
  std::optional<id_type> best(std::string_view uri) const;
  std::vector<id_type> all(std::string_view uri) const;

  std::size_t size() const { return exact_.size() + prefix_.size() + wildcard_count_; }

 private:
  // Wildcard patterns with the same number of components and the same wildcard positions.
  struct wildcard_group {
    std::size_t components = 0;
    std::vector<std::size_t> wildcards;  // positions, ascending
    std::unordered_map<std::string_view, id_type> patterns;
  };
  // Groups in the order the spec ranks them for a call: wildcard positions compared one by one, the later
  // position first (a longer run of concrete components before it), a pattern that has no further wildcard
  // counting as the latest.
  struct group_order {
    bool operator()(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b) const;
  };

  wildcard_group* group_of(std::string_view pattern, bool create);

  std::unordered_map<std::string_view, id_type> exact_;
  std::unordered_map<std::string_view, id_type> prefix_;
  std::map<std::size_t, std::size_t, std::greater<>> prefix_lengths_;  // length -> how many, longest first
  // By component count, then by wildcard positions in the order of group_order.
  std::map<std::size_t, std::map<std::vector<std::size_t>, wildcard_group, group_order>> wildcard_;
  std::size_t wildcard_count_ = 0;
};

}  // namespace wamp_metad::core
