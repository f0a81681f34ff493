// Configuration: router URLs of every scheme, and every problem the flags and the config file can have, each
// reported (all at once) with words that say what to change.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "wamp_metad/adapter/address.hpp"
#include "wamp_metad/adapter/tls.hpp"
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
  auto r = parse_router_url(url);
  if (!r.ok()) return {false, router_address{}, r.error().message};
  return {true, r.value(), ""};
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
  for (const auto* plain : {&rs, &tcp, &ws, &unix_socket, &v6})
    BOOST_TEST(!plain->address.tls, plain->address.text);
}

BOOST_AUTO_TEST_CASE(tls_schemes) {
  auto rss = parse_url("rss://router.example:8443");
  BOOST_REQUIRE(rss.ok);
  BOOST_TEST((rss.address.transport == router_address::kind::tcp));
  BOOST_TEST(rss.address.tls);
  BOOST_TEST(rss.address.host == "router.example");
  BOOST_TEST(rss.address.port == 8443);

  auto tcps = parse_url("tcps://[::1]:8443/");
  BOOST_REQUIRE(tcps.ok);
  BOOST_TEST((tcps.address.transport == router_address::kind::tcp));
  BOOST_TEST(tcps.address.tls);
  BOOST_TEST(tcps.address.host == "::1");

  auto wss = parse_url("wss://127.0.0.1:8443/ws");
  BOOST_REQUIRE(wss.ok);
  BOOST_TEST((wss.address.transport == router_address::kind::websocket));
  BOOST_TEST(wss.address.tls);
  BOOST_TEST(wss.address.host == "127.0.0.1");
  BOOST_TEST(wss.address.path == "/ws");
  BOOST_TEST(wss.address.text == "wss://127.0.0.1:8443/ws");

  auto wss_root = parse_url("wss://localhost:443");
  BOOST_REQUIRE(wss_root.ok);
  BOOST_TEST(wss_root.address.path == "/");
  BOOST_TEST(!wamp_metad::adapter::plaintext_network(wss_root.address));
  BOOST_TEST(wamp_metad::adapter::plaintext_network(parse_url("ws://localhost:80").address));
  BOOST_TEST(!wamp_metad::adapter::plaintext_network(parse_url("unix:///run/r.sock").address));
}

BOOST_AUTO_TEST_CASE(loopback_hosts) {
  using wamp_metad::adapter::loopback_host;
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "localhost", "LocalHost", "localhost.",
                           "router.localhost"})
    BOOST_TEST((loopback_host(host) == std::optional<bool>(true)), host);
  for (const char* host :
       {"10.0.0.1", "192.168.1.2", "0.0.0.0", "128.0.0.1", "::", "::2", "fe80::1", "::ffff:10.0.0.1"})
    BOOST_TEST((loopback_host(host) == std::optional<bool>(false)), host);
  for (const char* host : {"router.example", "localhost.example", "mylocalhost"})
    BOOST_TEST(!loopback_host(host).has_value(), host);
  BOOST_TEST(wamp_metad::adapter::ip_literal("10.1.2.3"));
  BOOST_TEST(wamp_metad::adapter::ip_literal("fe80::1"));
  BOOST_TEST(!wamp_metad::adapter::ip_literal("localhost"));
  // What a link refuses on a plain URL: a host that is, or resolves to, an address that is not loopback.
  BOOST_TEST(!wamp_metad::adapter::remote_address("127.0.0.1").has_value());
  BOOST_TEST(!wamp_metad::adapter::remote_address("localhost").has_value());
  BOOST_TEST((wamp_metad::adapter::remote_address("192.0.2.7") == std::optional<std::string>("192.0.2.7")));
}

BOOST_AUTO_TEST_CASE(bad_urls_say_what_is_wrong) {
  const std::initializer_list<std::pair<const char*, const char*>> cases{
      {"127.0.0.1:8081", "has no scheme"},
      {"", "has no scheme"},
      {"http://127.0.0.1:8080", "scheme 'http' is not supported"},
      {"https://127.0.0.1:8080/ws", "scheme 'https' is not supported"},
      {"rss://127.0.0.1", "needs HOST:PORT"},
      {"wss://:443/ws", "needs HOST:PORT"},
      {"tcps://127.0.0.1:0", "is not a number from 1 to 65535"},
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
    // Refused as input is: an invalid argument, the message naming the URL.
    auto r = parse_router_url(url);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().uri == wamp_metad::uri::invalid_argument, url);
    BOOST_TEST(r.error().message.find("'" + std::string(url) + "'") != std::string::npos,
               url << ": " << r.error().message);
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

// Made with Debian's openssl command: a self-signed certificate and its key, and the key of another pair
// (cert is empty when openssl failed).
struct pem_files {
  fs::path cert, key, other_key;
  explicit pem_files(const scratch& s) {
    cert = s.dir / "cert.pem";
    key = s.dir / "key.pem";
    other_key = s.dir / "other.pem";
    const std::string quiet = " >/dev/null 2>&1";
    const std::string make =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=wamp-metad-test -keyout ";
    if (std::system((make + key.string() + " -out " + cert.string() + quiet).c_str()) != 0 ||
        std::system(
            ("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + other_key.string() + quiet)
                .c_str()) != 0)
      cert.clear();
  }
};

BOOST_AUTO_TEST_CASE(tls_options) {
  scratch s;
  pem_files pem(s);
  BOOST_REQUIRE_MESSAGE(!pem.cert.empty(), "openssl could not make a test certificate (run deploy/setup)");
  const auto with = [&](const std::string& url, std::vector<std::string> extra, const std::string& creds = "") {
    std::vector<std::string> args{"--router", url, "--realm", "r", "--secret-file", s.secret.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return parse(args, creds);
  };
  const std::string cert = pem.cert.string(), key = pem.key.string();

  auto good = with("wss://127.0.0.1:8443/ws", {"--tls-ca", cert, "--tls-cert", cert, "--tls-key", key});
  BOOST_TEST(good.problems.empty(), all(good));
  BOOST_TEST(good.cfg.service.creds.tls.ca_file == cert);
  BOOST_TEST(good.cfg.service.creds.tls.key_file == key);
  BOOST_TEST(!good.cfg.service.creds.allow_plaintext_secret);
  BOOST_TEST(with("rss://localhost:8443", {}).problems.empty());  // the system's CAs, no client certificate

  // The key from systemd's credentials, like the secret; an explicit --tls-key wins.
  fs::copy_file(pem.key, s.dir / "wamp-metad.tls-key");
  auto creds = with("rss://127.0.0.1:8443", {"--tls-cert", cert}, s.dir.string());
  BOOST_TEST(creds.problems.empty(), all(creds));
  BOOST_TEST(creds.cfg.service.creds.tls.key_file == (s.dir / "wamp-metad.tls-key").string());
  auto no_key = with("rss://127.0.0.1:8443", {"--tls-cert", cert});
  BOOST_TEST(says(no_key,
                  "--tls-cert needs its key: give --tls-key FILE (or run under systemd with "
                  "LoadCredential=wamp-metad.tls-key:FILE)"),
             all(no_key));
  BOOST_TEST(says(with("rss://127.0.0.1:8443", {"--tls-key", key}), "--tls-key is given without --tls-cert"));

  // Every file problem at once, each naming its option and file.
  const auto text = s.write("text.pem", "not a certificate\n").string();
  auto bad = with("wss://127.0.0.1:8443/ws", {"--tls-ca", (s.dir / "none.pem").string(), "--tls-cert",
                                              (s.dir / "gone.pem").string(), "--tls-key", text});
  BOOST_TEST(says(bad, "--tls-ca: cannot read the file '" + (s.dir / "none.pem").string() + "'"), all(bad));
  BOOST_TEST(says(bad, "--tls-cert: cannot read the file '" + (s.dir / "gone.pem").string() + "'"), all(bad));
  BOOST_TEST(bad.problems.size() == 2u, all(bad));
  auto unparsable = with("wss://127.0.0.1:8443/ws", {"--tls-ca", text, "--tls-cert", text, "--tls-key", text});
  BOOST_TEST(says(unparsable, "--tls-ca: cannot load CA certificates from '" + text + "'"), all(unparsable));
  BOOST_TEST(says(unparsable, "--tls-cert: cannot load a certificate from '" + text + "'"), all(unparsable));
  BOOST_TEST(says(unparsable, "--tls-key: cannot load a private key from '" + text + "'"), all(unparsable));
  auto mismatch = with("wss://127.0.0.1:8443/ws", {"--tls-cert", cert, "--tls-key", pem.other_key.string()});
  BOOST_TEST(says(mismatch, "does not belong to the certificate"), all(mismatch));
  BOOST_TEST(wamp_metad::adapter::check_tls_files({cert, cert, key}).empty());

  // TLS options with no TLS URL are a mistake: they would be ignored.
  auto plain = with("rs://127.0.0.1:8081", {"--tls-ca", cert, "--tls-cert", cert, "--tls-key", key});
  for (const char* option : {"--tls-ca", "--tls-cert", "--tls-key"})
    BOOST_TEST(says(plain, std::string(option) + " is given but no router URL uses TLS (rss:// or wss://)"),
               all(plain));
  // The same as config file keys.
  const auto file =
      s.write("tls.conf", "router = rss://127.0.0.1:8443\nrealm = r\ntls-ca = " + cert + "\ntls-cert = " + cert +
                              "\ntls-key = " + key + "\nallow-plaintext-secret = true\n");
  auto from_file = parse({"--config", file.string(), "--secret-file", s.secret.string()});
  BOOST_TEST(from_file.problems.empty(), all(from_file));
  BOOST_TEST(from_file.cfg.service.creds.tls.cert_file == cert);
  BOOST_TEST(from_file.cfg.service.creds.allow_plaintext_secret);

  // One of the two URLs over TLS is enough.
  auto internal_tls = with("rs://127.0.0.1:8081", {"--internal-router", "rss://127.0.0.1:8443", "--tls-ca", cert});
  BOOST_TEST(internal_tls.problems.empty(), all(internal_tls));
}

BOOST_AUTO_TEST_CASE(the_secret_stays_off_the_network_in_clear_text) {
  scratch s;
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"--realm", "r", "--secret-file", s.secret.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return parse(args);
  };
  // Loopback and Unix sockets: fine.
  for (const char* url : {"rs://127.0.0.1:8081", "ws://127.0.0.2:8080/ws", "rs://[::1]:8081", "ws://localhost:8080",
                          "unix:///run/router.sock"})
    BOOST_TEST(with({"--router", url}).problems.empty(), url << ": " << all(with({"--router", url})));
  // Elsewhere in clear text: refused, naming the option that allows it; over TLS: fine.
  auto elsewhere = with({"--router", "rs://192.0.2.7:8081"});
  BOOST_TEST(says(elsewhere,
                  "--router rs://192.0.2.7:8081: the ticket secret would cross the network in clear text (192.0.2.7 "
                  "is not a loopback address): use rss:// or wss:// (TLS), or give --allow-plaintext-secret"),
             all(elsewhere));
  auto cra = with({"--router", "wss://192.0.2.7:8443/ws", "--internal-router", "ws://[2001:db8::1]:8080/ws",
                   "--authmethod", "wampcra"});
  BOOST_TEST(says(cra, "--internal-router ws://[2001:db8::1]:8080/ws: the wampcra secret would cross the network"),
             all(cra));
  BOOST_TEST(cra.problems.size() == 1u, all(cra));
  BOOST_TEST(with({"--router", "rss://192.0.2.7:8443"}).problems.empty());
  auto allowed = with({"--router", "rs://192.0.2.7:8081", "--allow-plaintext-secret"});
  BOOST_TEST(allowed.problems.empty(), all(allowed));
  BOOST_TEST(allowed.cfg.service.creds.allow_plaintext_secret);
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
