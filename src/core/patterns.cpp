#include "wamp_metad/core/patterns.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

namespace wamp_metad::core {
namespace {

// The components of a URI, as views into it ("a..b" -> "a", "", "b").
std::vector<std::string_view> components(std::string_view uri) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto dot = uri.find('.', start);
    out.push_back(uri.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

std::vector<std::size_t> wildcard_positions(const std::vector<std::string_view>& parts) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (parts[i].empty()) out.push_back(i);
  return out;
}

// `uri`'s components with those at `wildcards` blanked, joined again: what a wildcard pattern of that shape
// that matches `uri` is, to the letter.
std::string blanked(const std::vector<std::string_view>& parts, const std::vector<std::size_t>& wildcards) {
  std::string out;
  std::size_t w = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back('.');
    if (w < wildcards.size() && wildcards[w] == i)
      ++w;
    else
      out.append(parts[i]);
  }
  return out;
}

}  // namespace

std::optional<match_policy> parse_match(std::string_view text) {
  if (text == "exact") return match_policy::exact;
  if (text == "prefix") return match_policy::prefix;
  if (text == "wildcard") return match_policy::wildcard;
  return std::nullopt;
}

const char* match_name(match_policy m) {
  switch (m) {
    case match_policy::exact:
      return "exact";
    case match_policy::prefix:
      return "prefix";
    case match_policy::wildcard:
      return "wildcard";
  }
  return "?";
}

bool valid_pattern(std::string_view pattern, match_policy m) {
  if (pattern.empty() || pattern.size() > 1024) return false;
  for (char c : pattern)
    if (c == '#' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) return false;
  if (m == match_policy::wildcard) return true;
  for (auto part : components(pattern))
    if (part.empty()) return false;
  return true;
}

bool pattern_index::group_order::operator()(const std::vector<std::size_t>& a,
                                            const std::vector<std::size_t>& b) const {
  for (std::size_t i = 0;; ++i) {
    const bool a_ends = i >= a.size();
    const bool b_ends = i >= b.size();
    if (a_ends || b_ends) return a_ends && !b_ends;
    if (a[i] != b[i]) return a[i] > b[i];
  }
}

pattern_index::wildcard_group* pattern_index::group_of(std::string_view pattern, bool create) {
  const auto parts = components(pattern);
  auto wildcards = wildcard_positions(parts);
  auto& by_shape = wildcard_[parts.size()];
  auto it = by_shape.find(wildcards);
  if (it == by_shape.end()) {
    if (!create) return nullptr;
    wildcard_group g;
    g.components = parts.size();
    g.wildcards = wildcards;
    it = by_shape.emplace(std::move(wildcards), std::move(g)).first;
  }
  return &it->second;
}

bool pattern_index::add(std::string_view pattern, match_policy m, id_type id) {
  switch (m) {
    case match_policy::exact:
      return exact_.emplace(pattern, id).second;
    case match_policy::prefix:
      if (!prefix_.emplace(pattern, id).second) return false;
      ++prefix_lengths_[pattern.size()];
      return true;
    case match_policy::wildcard:
      if (!group_of(pattern, true)->patterns.emplace(pattern, id).second) return false;
      ++wildcard_count_;
      return true;
  }
  return false;
}

bool pattern_index::remove(std::string_view pattern, match_policy m) {
  switch (m) {
    case match_policy::exact:
      return exact_.erase(pattern) != 0;
    case match_policy::prefix: {
      if (prefix_.erase(pattern) == 0) return false;
      auto it = prefix_lengths_.find(pattern.size());
      if (--it->second == 0) prefix_lengths_.erase(it);
      return true;
    }
    case match_policy::wildcard: {
      wildcard_group* g = group_of(pattern, false);
      if (!g || g->patterns.erase(pattern) == 0) return false;
      --wildcard_count_;
      if (g->patterns.empty()) {
        const std::size_t components = g->components;  // g goes with its group
        auto& by_shape = wildcard_[components];
        by_shape.erase(g->wildcards);
        if (by_shape.empty()) wildcard_.erase(components);
      }
      return true;
    }
  }
  return false;
}

std::optional<pattern_index::id_type> pattern_index::find(std::string_view pattern, match_policy m) const {
  const auto look = [pattern](const std::unordered_map<std::string_view, id_type>& map) -> std::optional<id_type> {
    auto it = map.find(pattern);
    if (it == map.end()) return std::nullopt;
    return it->second;
  };
  switch (m) {
    case match_policy::exact:
      return look(exact_);
    case match_policy::prefix:
      return look(prefix_);
    case match_policy::wildcard: {
      const auto parts = components(pattern);
      auto shape = wildcard_.find(parts.size());
      if (shape == wildcard_.end()) return std::nullopt;
      auto g = shape->second.find(wildcard_positions(parts));
      if (g == shape->second.end()) return std::nullopt;
      return look(g->second.patterns);
    }
  }
  return std::nullopt;
}

std::optional<pattern_index::id_type> pattern_index::best(std::string_view uri) const {
  if (auto it = exact_.find(uri); it != exact_.end()) return it->second;
  for (const auto& [length, n] : prefix_lengths_) {
    if (length > uri.size()) continue;
    if (auto it = prefix_.find(uri.substr(0, length)); it != prefix_.end()) return it->second;
  }
  if (wildcard_.empty()) return std::nullopt;
  const auto parts = components(uri);
  auto shape = wildcard_.find(parts.size());
  if (shape == wildcard_.end()) return std::nullopt;
  for (const auto& [wildcards, group] : shape->second)  // best ranked first
    if (auto it = group.patterns.find(blanked(parts, wildcards)); it != group.patterns.end()) return it->second;
  return std::nullopt;
}

std::vector<pattern_index::id_type> pattern_index::all(std::string_view uri) const {
  std::vector<id_type> out;
  if (auto it = exact_.find(uri); it != exact_.end()) out.push_back(it->second);
  for (const auto& [length, n] : prefix_lengths_) {
    if (length > uri.size()) continue;
    if (auto it = prefix_.find(uri.substr(0, length)); it != prefix_.end()) out.push_back(it->second);
  }
  if (wildcard_.empty()) return out;
  const auto parts = components(uri);
  auto shape = wildcard_.find(parts.size());
  if (shape == wildcard_.end()) return out;
  for (const auto& [wildcards, group] : shape->second)
    if (auto it = group.patterns.find(blanked(parts, wildcards)); it != group.patterns.end()) out.push_back(it->second);
  return out;
}

}  // namespace wamp_metad::core
