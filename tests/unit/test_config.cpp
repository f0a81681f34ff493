// Configuration: router URLs of every scheme, and every problem the flags and the config file can have, each
// reported (all at once) with words that say what to change.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include <unistd.h>

#include "wamp_metad/adapter/address.hpp"
#include "wamp_metad/daemon/config.hpp"

using wamp_metad::adapter::parse_router_url;
using wamp_metad::adapter::router_address;
namespace cfg = wamp_metad::daemon;
namespace fs = std::filesystem;

namespace {

struct url_outcome {
  bool ok;
  router_address address;
  std::string error;
};

url_outcome parse_url(const std::string& url) {
  url_outcome o;
  o.ok = parse_router_url(url, o.address, o.error);
  return o;
}

// A scratch folder with a secret in it, removed at the end.
struct scratch {
  fs::path dir;
  fs::path secret;
  scratch() {
    dir = fs::temp_directory_path() / ("wamp-metad-config-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    secret = dir / "secret";
    write("secret", "s3cret\n");
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary) << text;
    return dir / name;
  }
};

cfg::parse_result parse(std::vector<std::string> args, const std::string& credentials_dir = "") {
  args.insert(args.begin(), "wamp-metad");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  return cfg::parse(static_cast<int>(argv.size()), argv.data(), credentials_dir);
}

// The problems, one string; and whether one of them contains `text`.
bool says(const cfg::parse_result& r, const std::string& text) {
  for (const auto& p : r.problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

std::string all(const cfg::parse_result& r) {
  std::string out;
  for (const auto& p : r.problems)
    out += p + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(router_urls)

BOOST_AUTO_TEST_CASE(every_scheme) {
  auto rs = parse_url("rs://127.0.0.1:8081");
  BOOST_REQUIRE(rs.ok);
  BOOST_TEST((rs.address.transport == router_address::kind::tcp));
  BOOST_TEST(rs.address.host == "127.0.0.1");
  BOOST_TEST(rs.address.port == 8081);
  BOOST_TEST(rs.address.text == "rs://127.0.0.1:8081");

  auto tcp = parse_url("tcp://router.example:1/");
  BOOST_REQUIRE(tcp.ok);
  BOOST_TEST((tcp.address.transport == router_address::kind::tcp));
  BOOST_TEST(tcp.address.host == "router.example");
  BOOST_TEST(tcp.address.port == 1);

  auto ws = parse_url("ws://localhost:8080/ws");
  BOOST_REQUIRE(ws.ok);
  BOOST_TEST((ws.address.transport == router_address::kind::websocket));
  BOOST_TEST(ws.address.host == "localhost");
  BOOST_TEST(ws.address.port == 8080);
  BOOST_TEST(ws.address.path == "/ws");

  auto ws_root = parse_url("ws://localhost:65535");
  BOOST_REQUIRE(ws_root.ok);
  BOOST_TEST(ws_root.address.path == "/");
  BOOST_TEST(ws_root.address.port == 65535);

  auto unix_socket = parse_url("unix:///run/wamp/router.sock");
  BOOST_REQUIRE(unix_socket.ok);
  BOOST_TEST((unix_socket.address.transport == router_address::kind::unix_socket));
  BOOST_TEST(unix_socket.address.path == "/run/wamp/router.sock");

  auto v6 = parse_url("rs://[::1]:9000");
  BOOST_REQUIRE(v6.ok);
  BOOST_TEST(v6.address.host == "::1");
  BOOST_TEST(v6.address.port == 9000);
}

BOOST_AUTO_TEST_CASE(bad_urls_say_what_is_wrong) {
  const std::initializer_list<std::pair<const char*, const char*>> cases{
      {"127.0.0.1:8081", "has no scheme"},
      {"", "has no scheme"},
      {"http://127.0.0.1:8080", "scheme 'http' is not supported"},
      {"wss://127.0.0.1:8080/ws", "scheme 'wss' is not supported"},
      {"unix://relative.sock", "needs an absolute path"},
      {"unix://", "needs an absolute path"},
      {"rs://127.0.0.1", "needs HOST:PORT"},
      {"rs://:8081", "needs HOST:PORT"},
      {"rs://127.0.0.1:", "needs HOST:PORT"},
      {"ws:///ws", "needs HOST:PORT"},
      {"rs://127.0.0.1:0", "is not a number from 1 to 65535"},
      {"rs://127.0.0.1:65536", "is not a number from 1 to 65535"},
      {"rs://127.0.0.1:123456", "is not a number from 1 to 65535"},
      {"rs://127.0.0.1:-1", "is not a number from 1 to 65535"},
      {"rs://127.0.0.1:80a", "is not a number from 1 to 65535"},
      {"rs://127.0.0.1:8081/path", "is not a number from 1 to 65535"},
  };
  for (const auto& [url, words] : cases) {
    auto o = parse_url(url);
    BOOST_TEST(!o.ok, url);
    BOOST_TEST(o.error.find(words) != std::string::npos, url << ": " << o.error);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(configuration)

BOOST_AUTO_TEST_CASE(a_good_command_line) {
  scratch s;
  auto r = parse({"--router", "rs://127.0.0.1:8081", "--internal-router", "unix:///run/r.sock", "--realm", "realm1",
                  "--realm", "realm2", "--realm", "realm1", "--secret-file", s.secret.string(), "--enable-kill",
                  "realm2", "--authmethod", "wampcra", "--hide-authrole", "ops", "--start-quietly"});
  BOOST_TEST(r.problems.empty(), all(r));
  const auto& o = r.cfg.service;
  BOOST_TEST(o.router.port == 8081);
  BOOST_TEST((o.internal_router.transport == router_address::kind::unix_socket));
  BOOST_TEST((o.realms == std::vector<std::string>{"realm1", "realm2"}));  // the repeat counted once
  BOOST_TEST((o.kill_realms == std::vector<std::string>{"realm2"}));
  BOOST_TEST(o.creds.secret == "s3cret");  // the newline is not part of it
  BOOST_TEST(o.creds.authmethod == "wampcra");
  BOOST_TEST((o.hidden_authroles == std::vector<std::string>{"ops"}));
  BOOST_TEST(!o.announce_on_start);
  BOOST_TEST(o.internal_realm == "router.internal");
}

BOOST_AUTO_TEST_CASE(defaults) {
  scratch s;
  auto r = parse({"--router", "ws://127.0.0.1:8080/ws", "--all-realms", "--secret-file", s.secret.string()});
  BOOST_TEST(r.problems.empty(), all(r));
  const auto& o = r.cfg.service;
  BOOST_TEST((o.internal_router.transport == router_address::kind::websocket));  // --router's
  BOOST_TEST((o.hidden_authroles == std::vector<std::string>{"metad"}));
  BOOST_TEST(o.creds.authid == "metad");
  BOOST_TEST(o.announce_on_start);
  BOOST_TEST(o.testaments.per_session == 32u);
  BOOST_TEST(o.get_wait.count() == 1000);
  BOOST_TEST(r.cfg.log_level == "info");
}

BOOST_AUTO_TEST_CASE(every_problem_at_once) {
  scratch s;
  auto r = parse({"--router",
                  "http://x",
                  "--internal-router",
                  "rs://h",
                  "--realm",
                  "bad realm!",
                  "--realm",
                  "router.internal",
                  "--all-realms",
                  "--enable-kill",
                  "nosuch",
                  "--enable-kill",
                  "b@d",
                  "--authmethod",
                  "cryptosign",
                  "--authid",
                  "",
                  "--internal-realm",
                  "in ternal",
                  "--testament-max-count",
                  "-1",
                  "--testament-max-bytes",
                  "0",
                  "--testament-total-bytes",
                  "0",
                  "--metrics",
                  "nohostport",
                  "--get-wait-ms",
                  "60001",
                  "--heartbeat-ms",
                  "10",
                  "--heartbeat-timeout-ms",
                  "70000",
                  "--reconnect-min-ms",
                  "2000",
                  "--reconnect-max-ms",
                  "1000",
                  "--stale-after-ms",
                  "-5",
                  "--log-level",
                  "loud",
                  "--secret-file",
                  (s.dir / "none").string()});
  for (const char* words :
       {"scheme 'http' is not supported", "--internal-router: router URL 'rs://h' needs HOST:PORT",
        "--realm 'bad realm!' is not a realm name", "give either --realm or --all-realms, not both",
        "--enable-kill 'b@d' is not a realm name", "--authmethod must be ticket or wampcra, not 'cryptosign'",
        "--authid must not be empty", "--internal-realm 'in ternal' is not a realm name",
        "--testament-max-count must be from 0 to 100000, not -1", "--testament-max-bytes must be from 1",
        "--testament-total-bytes must be from 1", "--metrics 'nohostport' must be HOST:PORT",
        "--get-wait-ms must be from 0 to 60000, not 60001", "--heartbeat-ms must be from 50",
        "--heartbeat-timeout-ms must be from 50 to 60000", "--reconnect-min-ms is larger than --reconnect-max-ms",
        "--stale-after-ms must be from 0", "--log-level must be one of", "cannot read the secret file"})
    BOOST_TEST(says(r, words), "missing: " << words << "\ngot:\n" << all(r));
}

BOOST_AUTO_TEST_CASE(what_is_missing) {
  auto r = parse({});
  BOOST_TEST(says(r, "--router is required"), all(r));
  BOOST_TEST(says(r, "no realm to serve"), all(r));
  BOOST_TEST(says(r, "no secret: give --secret-file FILE"), all(r));
}

BOOST_AUTO_TEST_CASE(realms_kill_and_the_internal_realm) {
  scratch s;
  auto r = parse({"--router", "rs://127.0.0.1:1", "--realm", "router.internal", "--realm", "realm1", "--enable-kill",
                  "realm2", "--secret-file", s.secret.string()});
  BOOST_TEST(says(r, "--realm 'router.internal' is the internal realm: it is never served"), all(r));
  BOOST_TEST(says(r, "--enable-kill 'realm2' names a realm that is not served (no --realm realm2)"), all(r));
  auto star = parse({"--router", "rs://127.0.0.1:1", "--all-realms", "--enable-kill", "*", "--enable-kill", "any",
                     "--secret-file", s.secret.string()});
  BOOST_TEST(star.problems.empty(), all(star));
}

BOOST_AUTO_TEST_CASE(secrets) {
  scratch s;
  const auto base = std::vector<std::string>{"--router", "rs://127.0.0.1:1", "--realm", "r"};
  auto with = [&](std::vector<std::string> extra, const std::string& creds = "") {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return parse(args, creds);
  };
  BOOST_TEST(says(with({"--secret-file", s.write("empty", "\n").string()}), "is empty"));
  BOOST_TEST(says(with({"--secret-file", s.write("big", std::string(5000, 'x')).string()}), "larger than 4096 bytes"));
  // systemd's LoadCredential=: the secret under its credential name.
  s.write("wamp-metad.secret", "from-systemd");
  auto creds = with({}, s.dir.string());
  BOOST_TEST(creds.problems.empty(), all(creds));
  BOOST_TEST(creds.cfg.service.creds.secret == "from-systemd");
  // An explicit file wins over the credentials folder.
  auto both = with({"--secret-file", s.secret.string()}, s.dir.string());
  BOOST_TEST(both.cfg.service.creds.secret == "s3cret");
}

BOOST_AUTO_TEST_CASE(config_file_and_flags) {
  scratch s;
  const auto file = s.write("metad.conf",
                            "router = rs://127.0.0.1:9\nrealm = a\nrealm = b\nheartbeat-ms = 500\n"
                            "log-level = debug\nsecret-file = " +
                                s.secret.string() + "\n");
  auto r = parse({"--config", file.string(), "--log-level", "warn"});
  BOOST_TEST(r.problems.empty(), all(r));
  BOOST_TEST(r.cfg.service.router.port == 9);
  BOOST_TEST((r.cfg.service.realms == std::vector<std::string>{"a", "b"}));
  BOOST_TEST(r.cfg.service.heartbeat_interval.count() == 500);
  BOOST_TEST(r.cfg.log_level == "warn");  // the flag wins

  const auto unknown = s.write("unknown.conf", "router = rs://127.0.0.1:9\nrealm = a\ncolour = blue\nrelm = b\n");
  auto u = parse({"--config", unknown.string(), "--secret-file", s.secret.string()});
  BOOST_TEST(says(u, "unknown key 'colour'"), all(u));
  BOOST_TEST(says(u, "unknown key 'relm'"), all(u));

  auto missing = parse({"--config", (s.dir / "nope.conf").string()});
  BOOST_TEST(says(missing, "cannot read the config file"), all(missing));

  const auto bad = s.write("bad.conf", "heartbeat-ms = soon\n");
  auto b = parse({"--config", bad.string()});
  BOOST_TEST(says(b, "config file '" + bad.string() + "'"), all(b));
}

BOOST_AUTO_TEST_CASE(unknown_flags_and_help) {
  auto r = parse({"--relm", "x"});
  BOOST_TEST(!r.problems.empty());
  BOOST_TEST(all(r).find("relm") != std::string::npos, all(r));
  auto help = parse({"--help"});
  BOOST_TEST(help.cfg.show_help);
  BOOST_TEST(help.problems.empty());
  BOOST_TEST(help.cfg.help_text.find("wamp.session.kill_all (with --enable-kill)") != std::string::npos);
  auto procedures = parse({"--procedures"});
  BOOST_TEST(procedures.cfg.show_procedures);
  BOOST_TEST(procedures.problems.empty());
}

BOOST_AUTO_TEST_CASE(the_procedure_table_as_the_docs_hold_it) {
  const std::string table = cfg::procedures_markdown();
  BOOST_TEST(table.rfind("| procedure |", 0) == 0u);
  BOOST_TEST(table.find("| `wamp.session.get` |") != std::string::npos);
  BOOST_TEST(table.find("| with --enable-kill | the router's position |") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
