#include "wamp_metad/daemon/config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include <boost/program_options.hpp>

#include "wamp_metad/adapter/tls.hpp"
#include "wamp_metad/core/procedures.hpp"

namespace wamp_metad::daemon {
namespace po = boost::program_options;

namespace {

// The names under which systemd's LoadCredential= hands the secret and the TLS client key over.
constexpr const char* credential_name = "wamp-metad.secret";
constexpr const char* key_credential_name = "wamp-metad.tls-key";

// A file named by an option must be there and readable now: empty when it is, else the problem.
std::string check_readable(const char* option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string(option) + ": cannot read the file '" + path + "'";
  return {};
}

bool read_secret(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the secret file '" + path + "'";
    return false;
  }
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  if (out.empty()) {
    error = "the secret file '" + path + "' is empty";
    return false;
  }
  if (out.size() > 4096) {
    error = "the secret file '" + path + "' is larger than 4096 bytes";
    return false;
  }
  return true;
}

bool valid_realm(const std::string& realm) {
  if (realm.empty() || realm.size() > 255) return false;
  return std::all_of(realm.begin(), realm.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

// --metrics: HOST:PORT with a port from 0 to 65535 ([v6]:PORT for IPv6). Empty when good.
std::string check_metrics_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return "--metrics '" + address + "' must be HOST:PORT (for example 127.0.0.1:9464)";
  const std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    return "--metrics '" + address + "': the port must be a number from 0 to 65535";
  const bool v6 = host.front() == '[';
  if (v6 ? host.back() != ']' || host.size() < 3 : host.find_first_of(":[] \t/") != std::string::npos)
    return "--metrics '" + address + "': '" + host + "' is not a host name or address";
  return {};
}

const char* opt_in_words(core::opt_in group) {
  switch (group) {
    case core::opt_in::none:
      return "always";
    case core::opt_in::kill:
      return "with --enable-kill";
    case core::opt_in::testaments:
      return "unless --testament-max-count 0";
  }
  return "?";
}

// When a procedure is served: its opt-in, and the router's hook protocol it needs.
std::string served_words(const core::procedure& p) {
  std::string words = opt_in_words(p.group);
  if (!p.flags.has(core::procedure_flag::needs_v2)) return words;
  return p.group == core::opt_in::none ? "with a hook protocol v2 router" : words + ", with a hook protocol v2 router";
}

const char* wait_words(const core::procedure& p) {
  switch (p.wait) {
    case core::wait_policy::none:
      return "nothing";
    case core::wait_policy::caller:
      return p.flags.has(core::procedure_flag::names_session) ? "the caller and the session it names in the mirror"
                                                              : "the caller in the mirror";
    case core::wait_policy::router:
      return "the router's position";
  }
  return "?";
}

// The --help section: one line per procedure.
std::string procedures_help() {
  std::ostringstream out;
  out << "\nMeta procedures served on each realm (--procedures prints them as a table):\n";
  for (const auto& p : core::procedures()) {
    out << "  " << p.uri;
    if (p.group != core::opt_in::none || p.flags.has(core::procedure_flag::needs_v2))
      out << " (" << served_words(p) << ")";
    out << "\n      " << p.summary << "\n";
  }
  return out.str();
}

// The TLS options against the router URLs, their files, and the secret against plain URLs to other hosts.
void check_security(adapter::service_options& s, bool allow_plaintext_secret, const std::string& env_credentials_dir,
                    name_check names, std::vector<std::string>& problems) {
  auto& tls = s.creds.tls;
  s.creds.allow_plaintext_secret = allow_plaintext_secret;
  using named_file = std::pair<const char*, const std::string*>;
  const named_file files[] = {{"--tls-ca", &tls.ca_file}, {"--tls-cert", &tls.cert_file}, {"--tls-key", &tls.key_file}};
  if (!s.router.tls && !s.internal_router.tls) {
    for (const auto& [option, path] : files)
      if (!path->empty())
        problems.push_back(std::string(option) + " is given but no router URL uses TLS (rss:// or wss://)");
  } else {
    // The key, like the secret, may come from systemd's credentials.
    if (tls.key_file.empty() && !tls.cert_file.empty() && !env_credentials_dir.empty())
      tls.key_file = env_credentials_dir + "/" + key_credential_name;
    if (!tls.key_file.empty() && tls.cert_file.empty()) problems.push_back("--tls-key is given without --tls-cert");
    if (!tls.cert_file.empty() && tls.key_file.empty())
      problems.push_back("--tls-cert needs its key: give --tls-key FILE (or run under systemd with LoadCredential=" +
                         std::string(key_credential_name) + ":FILE)");
    bool readable = true;
    for (const auto& [option, path] : files) {
      if (path->empty()) continue;
      if (auto p = check_readable(option, *path); !p.empty()) {
        problems.push_back(p);
        readable = false;
      }
    }
    // Loaded as a connection will load them, once each can be read.
    if (readable && tls.cert_file.empty() == tls.key_file.empty())
      for (auto& p : adapter::check_tls_files(tls))
        problems.push_back(std::move(p));
  }
  if (allow_plaintext_secret || names == name_check::skip) return;
  using named_address = std::pair<const char*, const adapter::router_address*>;
  for (const auto& [option, address] :
       {named_address{"--router", &s.router}, {"--internal-router", &s.internal_router}}) {
    if (address->text.empty() || !adapter::plaintext_network(*address)) continue;
    if (address != &s.router && address->text == s.router.text) continue;  // the same URL, said once
    if (auto remote = adapter::remote_address(address->host))
      problems.push_back(std::string(option) + " " + address->text + ": the " + s.creds.authmethod +
                         " secret would cross the network in clear text (" + *remote +
                         " is not a loopback address): use rss:// or wss:// (TLS), or give --allow-plaintext-secret");
  }
}

}  // namespace

std::string procedures_markdown() {
  std::ostringstream out;
  out << "| procedure | arguments -> result | served | waits for |\n|---|---|---|---|\n";
  for (const auto& p : core::procedures())
    out << "| `" << p.uri << "` | " << p.summary << " | " << served_words(p) << " | " << wait_words(p) << " |\n";
  return out.str();
}

parse_result parse(int argc, const char* const* argv, const std::string& env_credentials_dir, name_check names) {
  parse_result r;
  config& c = r.cfg;
  auto& s = c.service;

  std::string router;
  std::string internal_router;
  std::string authmethod;
  std::vector<std::string> realms;
  std::vector<std::string> hide;
  std::vector<std::string> kill_realms;
  std::vector<std::string> kill_authroles;
  std::vector<std::string> session_only_realms;
  long long testament_count = 0, testament_bytes = 0, testament_total = 0;
  bool start_quietly = false;
  bool allow_plaintext_secret = false;
  long long get_wait_ms = 0, heartbeat_ms = 0, heartbeat_timeout_ms = 0, reconnect_min_ms = 0, reconnect_max_ms = 0,
            stale_after_ms = 0;

  po::options_description general("Options");
  general.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
      "procedures", "print the meta procedures served, as a Markdown table, and exit")(
      "check-config", "check the configuration, list every problem, and exit (2 when there are problems)")(
      "config,c", po::value<std::string>(&c.config_file),
      "read options from this file too (KEY = VALUE lines; "
      "flags win over the file)");
  po::options_description settings("Settings (as flags, or as KEY = VALUE in the config file)");
  settings.add_options()("router", po::value<std::string>(&router),
                         "the router: rs://HOST:PORT, tcp://HOST:PORT, ws://HOST:PORT/PATH or unix:///PATH; over "
                         "TLS rss://HOST:PORT (also tcps://) or wss://HOST:PORT/PATH")(
      "internal-router", po::value<std::string>(&internal_router),
      "where to reach the internal realm, if not at --router (another listener of the same router)")(
      "internal-realm", po::value<std::string>(&s.internal_realm)->default_value(uri::default_internal_realm),
      "the router's internal realm, where the session hooks are")(
      "authid", po::value<std::string>(&s.creds.authid)->default_value("metad"), "our principal's authid")(
      "authmethod", po::value<std::string>(&authmethod)->default_value("ticket"), "ticket or wampcra")(
      "secret-file", po::value<std::string>(&c.secret_file),
      "file holding the ticket or wampcra secret (default: $CREDENTIALS_DIRECTORY/wamp-metad.secret)")(
      "tls-ca", po::value<std::string>(&s.creds.tls.ca_file),
      "PEM file of the CA certificates that sign the router's certificate (default: the system's CAs); for "
      "rss:// and wss:// URLs")("tls-cert", po::value<std::string>(&s.creds.tls.cert_file),
                                "PEM file of our client certificate (chain), for a router that requires one")(
      "tls-key", po::value<std::string>(&s.creds.tls.key_file),
      "PEM file of its private key, unencrypted (default with --tls-cert: "
      "$CREDENTIALS_DIRECTORY/wamp-metad.tls-key)")(
      "allow-plaintext-secret", po::bool_switch(&allow_plaintext_secret),
      "send the secret over a plain (not TLS) TCP or WebSocket URL to a host that is not loopback; refused "
      "otherwise")("realm", po::value<std::vector<std::string>>(&realms),
                   "serve the meta API on this realm (repeatable)")("all-realms", po::bool_switch(&s.all_realms),
                                                                    "serve every realm that shows up in the hooks")(
      "standby", po::bool_switch(&s.standby),
      "another instance may serve the same realms: wait beside it as a hot standby (a full mirror, nothing "
      "registered or published) and take over when it goes; without it, a realm served by another instance is a "
      "configuration error")(
      "start-quietly", po::bool_switch(&start_quietly),
      "on start, do not announce the sessions already there nor the router's recently left ones (subscribers "
      "that watched through a restart then need wamp.session.list to catch up)")(
      "hide-authrole", po::value<std::vector<std::string>>(&hide),
      "never count, list, get or announce sessions of this authrole (repeatable; default: metad)")(
      "enable-kill", po::value<std::vector<std::string>>(&kill_realms),
      "register wamp.session.kill, kill_by_authid, kill_by_authrole and kill_all on this realm (repeatable; * = "
      "every served realm); off by default")(
      "kill-authrole", po::value<std::vector<std::string>>(&kill_authroles),
      "only sessions of this authrole may call the kill procedures (repeatable; checked by wamp-metad beside the "
      "router's own authorization); default: every caller the router lets through")(
      "on-leave-session-only", po::value<std::vector<std::string>>(&session_only_realms),
      "on this realm, publish wamp.session.on_leave as [session] alone, as Crossbar and nexus do, for clients "
      "written for them (repeatable; * = every served realm); default: the spec's [session, authid, authrole]")(
      "testament-max-count", po::value<long long>(&testament_count)->default_value(32),
      "testaments kept per session (0: wamp.session.add_testament and flush_testaments are not registered)")(
      "testament-max-bytes", po::value<long long>(&testament_bytes)->default_value(65536),
      "bytes of testaments (msgpack size) kept per session")(
      "testament-total-bytes", po::value<long long>(&testament_total)->default_value(64LL << 20),
      "bytes of testaments kept for all sessions together")(
      "metrics", po::value<std::string>(&c.metrics_address),
      "serve Prometheus metrics over HTTP at HOST:PORT, e.g. 127.0.0.1:9464 (port 0: any free port; the log "
      "says which); off by default")(
      "get-wait-ms", po::value<long long>(&get_wait_ms)->default_value(1000),
      "how long a call naming a session the mirror lacks yet (its caller, or the id of a get or kill) waits "
      "for the mirror to catch up")("heartbeat-ms", po::value<long long>(&heartbeat_ms)->default_value(1000),
                                    "heartbeat interval on every link")(
      "heartbeat-timeout-ms", po::value<long long>(&heartbeat_timeout_ms)->default_value(2000),
      "a link whose heartbeat gets no answer in this time is reconnected")(
      "reconnect-min-ms", po::value<long long>(&reconnect_min_ms)->default_value(100), "first reconnect delay")(
      "reconnect-max-ms", po::value<long long>(&reconnect_max_ms)->default_value(1500), "largest reconnect delay")(
      "stale-after-ms", po::value<long long>(&stale_after_ms)->default_value(30000),
      "while the router is out of reach, answer from the last mirror for this long, then with "
      "wamp.error.unavailable")("log-level", po::value<std::string>(&c.log_level)->default_value("info"),
                                "trace, debug, info, warn, error or off");
  po::options_description all;
  all.add(general).add(settings);
  std::ostringstream help;
  help << "wamp-metad: the WAMP Session Meta API for routers that lack it\n\n"
       << "Usage: wamp-metad --router URL --realm NAME [--realm NAME ...] [options]\n\n"
       << all << "\nReload (SIGHUP, systemctl reload) applies " << reload_applies << ".\n"
       << procedures_help();
  c.help_text = help.str();

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
  } catch (const po::error& e) {
    r.problems.push_back(e.what());
    return r;
  }
  if (vm.count("help")) c.show_help = true;
  if (vm.count("version")) c.show_version = true;
  if (vm.count("procedures")) c.show_procedures = true;
  if (vm.count("check-config")) c.check_only = true;
  if (vm.count("config")) {
    const std::string file = vm["config"].as<std::string>();
    std::ifstream in(file);
    if (!in) {
      r.problems.push_back("cannot read the config file '" + file + "'");
    } else {
      try {
        // Unknown keys are reported one by one; the file's other values still count (and are checked).
        auto parsed = po::parse_config_file(in, settings, /*allow_unregistered=*/true);
        for (const auto& option : parsed.options)
          if (option.unregistered)
            r.problems.push_back("config file '" + file + "': unknown key '" + option.string_key + "'");
        po::store(parsed, vm);  // values already given as flags stay
      } catch (const po::error& e) {
        r.problems.push_back("config file '" + file + "': " + e.what());
      }
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    r.problems.push_back(e.what());
  }
  if (c.show_help || c.show_version || c.show_procedures) return r;

  if (router.empty()) {
    r.problems.push_back("--router is required (for example rs://127.0.0.1:8081)");
  } else {
    auto parsed = adapter::parse_router_url(router);
    if (!parsed.ok()) r.problems.push_back(parsed.error().message);
    // Empty on error: nothing further is checked against it.
    s.router = parsed.ok() ? parsed.value() : adapter::router_address{};
  }
  s.internal_router = s.router;
  if (!internal_router.empty()) {
    auto parsed = adapter::parse_router_url(internal_router);
    if (!parsed.ok()) r.problems.push_back("--internal-router: " + parsed.error().message);
    s.internal_router = parsed.ok() ? parsed.value() : adapter::router_address{};
  }
  if (authmethod != "ticket" && authmethod != "wampcra")
    r.problems.push_back("--authmethod must be ticket or wampcra, not '" + authmethod + "'");
  s.creds.authmethod = authmethod;
  if (s.creds.authid.empty()) r.problems.push_back("--authid must not be empty");
  if (!valid_realm(s.internal_realm))
    r.problems.push_back("--internal-realm '" + s.internal_realm + "' is not a realm name");

  if (s.all_realms && !realms.empty()) r.problems.push_back("give either --realm or --all-realms, not both");
  if (!s.all_realms && realms.empty()) r.problems.push_back("no realm to serve: give --realm NAME or --all-realms");
  for (const auto& realm : realms) {
    if (!valid_realm(realm))
      r.problems.push_back("--realm '" + realm + "' is not a realm name (letters, digits, _ . -)");
    else if (realm == s.internal_realm)
      r.problems.push_back("--realm '" + realm + "' is the internal realm: it is never served");
    else if (std::find(s.realms.begin(), s.realms.end(), realm) == s.realms.end())
      s.realms.push_back(realm);
  }
  // A setting given per realm: served realms, or * for every served realm.
  auto per_realm = [&](const char* flag, const std::vector<std::string>& given, std::vector<std::string>& out) {
    for (const auto& realm : given) {
      if (realm == "*") {
        out.push_back(realm);
      } else if (!valid_realm(realm)) {
        r.problems.push_back(std::string(flag) + " '" + realm + "' is not a realm name (or *)");
      } else if (!s.all_realms && std::find(realms.begin(), realms.end(), realm) == realms.end()) {
        r.problems.push_back(std::string(flag) + " '" + realm + "' names a realm that is not served (no --realm " +
                             realm + ")");
      } else {
        out.push_back(realm);
      }
    }
  };
  per_realm("--enable-kill", kill_realms, s.kill_realms);
  per_realm("--on-leave-session-only", session_only_realms, s.on_leave_session_only);
  for (const auto& role : kill_authroles) {
    if (role.empty() || role.size() > 255 || role.find_first_of(" \t\n\r") != std::string::npos)
      r.problems.push_back("--kill-authrole '" + role + "' is not an authrole");
    else
      s.policy.kill_authroles.push_back(role);
  }
  if (!s.kill_realms.empty() && s.policy.kill_authroles.empty())
    r.warnings.push_back(
        "kill is enabled and no --kill-authrole is given: every caller the router lets call "
        "wamp.session.kill* may kill (restrict it in the router's permissions, or give "
        "--kill-authrole ROLE)");
  auto limit = [&](const char* name, long long value, long long min, long long max, std::size_t& out) {
    if (value < min || value > max)
      r.problems.push_back(std::string("--") + name + " must be from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", not " + std::to_string(value));
    else
      out = static_cast<std::size_t>(value);
  };
  limit("testament-max-count", testament_count, 0, 100000, s.testaments.per_session);
  limit("testament-max-bytes", testament_bytes, 1, 64LL << 20, s.testaments.bytes_per_session);
  limit("testament-total-bytes", testament_total, 1, 64LL << 30, s.testaments.total_bytes);
  if (!c.metrics_address.empty()) {
    const std::string problem = check_metrics_address(c.metrics_address);
    if (!problem.empty()) r.problems.push_back(problem);
  }
  s.announce_on_start = !start_quietly;
  s.hidden_authroles = hide.empty() ? std::vector<std::string>{"metad"} : hide;

  auto duration = [&](const char* name, long long ms, long long min, long long max, std::chrono::milliseconds& out) {
    if (ms < min || ms > max)
      r.problems.push_back(std::string("--") + name + " must be from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", not " + std::to_string(ms));
    out = std::chrono::milliseconds(ms);
  };
  duration("get-wait-ms", get_wait_ms, 0, 60000, s.get_wait);
  duration("heartbeat-ms", heartbeat_ms, 50, 60000, s.heartbeat_interval);
  duration("heartbeat-timeout-ms", heartbeat_timeout_ms, 50, 60000, s.heartbeat_timeout);
  duration("reconnect-min-ms", reconnect_min_ms, 1, 600000, s.reconnect_min);
  duration("reconnect-max-ms", reconnect_max_ms, 1, 600000, s.reconnect_max);
  duration("stale-after-ms", stale_after_ms, 0, 3600000, s.stale_after);
  if (s.reconnect_min > s.reconnect_max) r.problems.push_back("--reconnect-min-ms is larger than --reconnect-max-ms");

  static const std::vector<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(levels.begin(), levels.end(), c.log_level) == levels.end())
    r.problems.push_back("--log-level must be one of trace, debug, info, warn, error, off; not '" + c.log_level + "'");

  check_security(s, allow_plaintext_secret, env_credentials_dir, names, r.problems);

  std::string secret_path = c.secret_file;
  if (secret_path.empty() && !env_credentials_dir.empty()) secret_path = env_credentials_dir + "/" + credential_name;
  if (secret_path.empty()) {
    r.problems.push_back("no secret: give --secret-file FILE (or run under systemd with LoadCredential=" +
                         std::string(credential_name) + ":FILE)");
  } else {
    std::string error;
    if (!read_secret(secret_path, s.creds.secret, error)) r.problems.push_back(error);
  }
  return r;
}

}  // namespace wamp_metad::daemon
