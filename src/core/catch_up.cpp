#include "wamp_metad/core/catch_up.hpp"

#include <utility>

namespace wamp_metad::core {

const char* label(catch_up_outcome o) {
  switch (o) {
    case catch_up_outcome::exact:
      return "exact";
    case catch_up_outcome::unsupported:
      return "unsupported";
    case catch_up_outcome::history_lost:
      return "history_lost";
    case catch_up_outcome::failed:
      return "failed";
  }
  return "?";
}

catch_up::catch_up(std::string realm, std::vector<std::string> hidden_authroles)
    : realm_(std::move(realm)), hidden_(std::move(hidden_authroles)) {}

outcome<void> catch_up::add(catch_up_page page) {
  if (!epoch_) {
    if (!page.state.position) return invalid_input("the first page has no epoch and seq");
    epoch_ = page.state.position->epoch;
    seq_ = page.state.position->seq;
    at_ = page.at;
    skip_ = page.skip;
    told_ = page.told;
    last_ = at_;
    if (at_ > seq_)
      return invalid_input("the state stands at seq " + std::to_string(at_) + ", after the router's position " +
                           std::to_string(seq_));
  }
  for (auto& s : page.state.sessions) {
    if (s.realm != realm_) return invalid_input("a session of realm '" + s.realm + "'");
    sessions_.push_back(std::move(s));
  }
  for (auto& o : page.state.observations) {
    if (o.realm != realm_) return invalid_input("a registration or subscription of realm '" + o.realm + "'");
    observations_.push_back(std::move(o));
  }
  for (auto& h : page.hooks) {
    const std::uint64_t seq = h.position->seq;
    if (h.session.realm != realm_) return invalid_input("a hook of realm '" + h.session.realm + "'");
    if (h.position->epoch != *epoch_ || seq <= last_ || seq > seq_)
      return invalid_input("hook " + h.position->epoch + "/" + std::to_string(seq) + " is not between " +
                           std::to_string(last_) + " and " + std::to_string(seq_) + " of epoch " + *epoch_);
    last_ = seq;
    hooks_.push_back(std::move(h));
  }
  return {};
}

void catch_up::on_hook(const hook_event& ev) {
  if (!epoch_ || !ev.position || ev.session.realm != realm_) return;
  // Hooks up to the answer's position are in its pages; a stray duplicate is the mirror's to drop.
  if (ev.position->epoch != *epoch_ || ev.position->seq <= seq_ || ev.position->seq <= last_) return;
  last_ = ev.position->seq;
  hooks_.push_back(ev);
}

outcome<std::vector<meta_event>> catch_up::replay() {
  if (!epoch_) return invalid_input("no answer");
  // A registry of this realm alone, on the state the router gave: the realm's hooks are numbered afresh
  // (1, 2, ...) for it, the hooks of other realms being holes in their seq.
  registry::options opts;
  opts.hidden_authroles = hidden_;
  registry scratch(opts);
  scratch.serve(realm_);
  std::vector<record_ptr> records;
  records.reserve(sessions_.size());
  for (auto& s : sessions_)
    records.push_back(std::make_shared<const session_record>(std::move(s)));
  sessions_.clear();
  std::vector<meta_event> silent;
  std::vector<meta_event> out;
  if (scratch.on_snapshot(hook_position{*epoch_, 0}, std::move(records), {}, silent, std::move(observations_)) !=
      mirror::verdict::applied)
    return invalid_input("the state does not hold together");
  scratch.set_online(realm_, true, silent);
  std::uint64_t n = 0;
  for (auto& h : hooks_) {
    const std::uint64_t seq = h.position->seq;
    h.position->seq = ++n;
    const std::size_t first = out.size();
    if (scratch.on_hook(std::move(h), out) != mirror::verdict::applied)
      return invalid_input("hook " + std::to_string(seq) + " does not apply to the state");
    std::uint32_t index = 0;
    for (std::size_t i = first; i < out.size(); ++i) {
      out[i].seq = seq;
      out[i].index = index++;
    }
    // The first events of the hook the record stands in were told already.
    if (seq == at_ + 1 && skip_ > 0) {
      const std::size_t told = std::min<std::size_t>(skip_, out.size() - first);
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(first),
                out.begin() + static_cast<std::ptrdiff_t>(first + told));
    }
  }
  hooks_.clear();
  return out;
}

}  // namespace wamp_metad::core
