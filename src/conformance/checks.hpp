// wamp-metad-conformance's judgement, apart from any I/O: the numbered clauses of docs/hook-protocol.md, the
// verdict on each and the levels they add up to, and the checks over what a run recorded (the hook stream, the
// snapshots, the state the hooks describe). Standard library and core only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wamp_metad/core/hooks.hpp"
#include "wamp_metad/core/value.hpp"

namespace wamp_metad::conformance {

enum class status { pass, fail, not_offered, not_run };
const char* status_name(status s);  // "PASS", "FAIL", "NOT OFFERED", "NOT RUN"

// One clause of docs/hook-protocol.md, as the checker names it.
struct clause {
  const char* number;  // "4.1"
  const char* name;    // "joined-before-welcome"
  const char* level;   // the level that needs it: "sessions", "registrations", "kill", "removal", ...
  const char* title;   // what it says, in a few words
};
// Every clause, in the order of the document.
const std::vector<clause>& clauses();
// The levels, in the order they build on each other.
const std::vector<std::string>& levels();

struct verdict {
  const clause* of = nullptr;
  status result = status::not_run;
  std::string wanted;  // FAIL: what the clause wants; NOT OFFERED / NOT RUN: why
  std::string got;     // FAIL: what came
};

// The verdicts of one run. The first failure of a clause is the one kept (later passes do not undo it).
class report {
 public:
  report();
  void pass(const std::string& name);
  void fail(const std::string& name, std::string wanted, std::string got);
  void not_offered(const std::string& name, std::string why);
  // Every clause of `level` not judged yet: NOT OFFERED with `why`.
  void level_not_offered(const std::string& level, const std::string& why);
  // Every clause not judged yet: NOT RUN with `why` (a router that stopped answering, the time ran out).
  void not_run_rest(const std::string& why);
  const verdict& of(const std::string& name) const;
  const std::vector<verdict>& verdicts() const { return verdicts_; }

  // A level is reached when every clause of it passed; one with a clause NOT OFFERED is not offered.
  status level(const std::string& name) const;
  // 0 when every clause of the sessions level passed and every other one passed or is not offered, else 1.
  int exit_code() const;
  std::string text() const;
  std::string json() const;

 private:
  verdict& find(const std::string& name);
  std::vector<verdict> verdicts_;
};

// One hook as it arrived: its topic, the info dict as it decoded to a value, the strict decoder's verdict
// (`decoded`, or why not in `decode_error`), and its place among everything the checker received (hooks and
// call results share one counter, so that "before the RESULT" can be told).
struct hook_record {
  std::string topic;
  core::value info;
  std::optional<core::hook_event> decoded;
  std::string decode_error;
  std::uint64_t arrival = 0;
};

// The hook_kind of a hook topic, or nullopt for another topic.
std::optional<core::hook_kind> kind_of_topic(const std::string& topic);

// Clause 2.1 / 8.1 on one hook: what is wrong with its fields and types, or nullopt.
std::optional<std::string> field_problem(const hook_record& h);

// The checks over the whole stream, in arrival order, given the state before it (the first snapshot): fields
// (2.1, 8.1), one epoch (3.1), gap-free seq (3.2), a left hook once per joined session and never for an unknown
// one (4.2), a leaving member's removals before its left hook (8.4), one id per (realm, uri, match) and the
// same fields for one id (8.2). A clause the stream has no example of stays unjudged.
void check_stream(const std::vector<hook_record>& hooks, const core::snapshot& base, report& out);

// A snapshot from its pages (sessions appended, split registrations and subscriptions joined by id); the
// pages' problems (an epoch or seq that differs between pages, a cursor on the last page...) go to `problems`.
core::snapshot join_pages(const std::vector<core::snapshot_page>& pages, std::vector<std::string>& problems);

// The state as sorted lines ("session realm1 42 authid=... ", "registration realm1 7 exact com.x callees=1,2"),
// of every realm or of one.
std::vector<std::string> canonical(const core::snapshot& s, const std::string* realm = nullptr);

// The state at `seq`: `base` with the recorded hooks after it applied, up to `seq`; nullopt with `error` set
// when the hooks up to `seq` were not all received or `seq` is before the base. Tolerant on purpose: the
// stream's own clauses are judged by check_stream, so that a broken stream fails them and not the snapshot's.
std::optional<core::snapshot> state_at(const core::snapshot& base, const std::vector<hook_record>& hooks,
                                       std::uint64_t seq, std::string& error);

// The first difference between two canonical states ("" when equal), for a FAIL line: wanted vs got.
std::string first_difference(const std::vector<std::string>& wanted, const std::vector<std::string>& got,
                             std::string& wanted_line, std::string& got_line);

}  // namespace wamp_metad::conformance
