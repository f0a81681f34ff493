// wamp-metad's configuration: command-line flags and an optional file (flags win), checked in one pass that
// reports every problem at once.
#pragma once

#include <string>
#include <vector>

#include "wamp_metad/adapter/service.hpp"

namespace wamp_metad::daemon {

// When a reload (SIGHUP) applies: said in these words by the log, --help and docs/operations.md.
inline constexpr const char* reload_applies =
    "the realms, enable-kill (a realm whose kill procedures change registers its procedures again), "
    "kill-authrole and on-leave-session-only at once; the other settings at the next start";

struct config {
  adapter::service_options service;
  std::string config_file;
  std::string secret_file;
  std::string log_level = "info";
  std::string metrics_address;  // empty: no metrics
  bool check_only = false;
  bool show_help = false;
  bool show_version = false;
  bool show_procedures = false;
  std::string help_text;
};

struct parse_result {
  config cfg;
  std::vector<std::string> problems;  // empty when the configuration is usable
  std::vector<std::string> warnings;  // usable, but probably not what is meant
};

// Parses argv and the config file it names, reads the secret (file, or $CREDENTIALS_DIRECTORY), and checks
// everything. `env_credentials_dir` is the value of $CREDENTIALS_DIRECTORY (empty when unset). `resolve`:
// whether the router's names are resolved to check that a plain URL stays on this host (a blocking look-up:
// at start, never on a reload, which runs on the event loop and cannot change the router anyway).
enum class name_check { resolve, skip };
parse_result parse(int argc, const char* const* argv, const std::string& env_credentials_dir,
                   name_check names = name_check::resolve);

// The meta procedures wamp-metad serves, from the procedure table, as the Markdown table docs/procedures.md
// holds (printed by --procedures).
std::string procedures_markdown();

}  // namespace wamp_metad::daemon
