// TLS for the links, without the WAMP client library (see tls_client.hpp). OpenSSL reports a failed handshake
// as one error code; what went wrong is read here from what the connection saw on the wire instead (the
// router's first bytes, its alerts, the verification result when we sent an alert), so that each failure has
// a reason of its own for the log and the metrics.
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tls_client.hpp"
#include "wamp_metad/adapter/address.hpp"
#include "wamp_metad/core/uris.hpp"

namespace wamp_metad::adapter {
namespace detail {
namespace {

namespace ssl = boost::asio::ssl;

// The SSL object holds a shared_ptr to its observation, freed with it.
void free_observation(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::shared_ptr<tls_observation>*>(ptr);
}

int observation_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_observation);
  return index;
}

std::string printable(const unsigned char* bytes, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += bytes[i] >= 0x20 && bytes[i] < 0x7f ? static_cast<char>(bytes[i]) : '.';
  return out;
}

// OpenSSL's message callback, on the thread that drives the connection (the owner's).
void on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL* ssl, void* arg) {
  auto* seen = static_cast<tls_observation*>(arg);
  const auto* b = static_cast<const unsigned char*>(buf);
  if (!seen || !b) return;
  if (write_p == 0 && content_type == SSL3_RT_HEADER && len >= 5) {
    // A record header: content type 20..24 and major version 3, or something that is not TLS at all.
    if (b[0] >= 20 && b[0] <= 24 && b[1] == 3)
      seen->tls_record_seen = true;
    else if (!seen->tls_record_seen && seen->plaintext.empty())
      seen->plaintext = printable(b, len);
  } else if (content_type == SSL3_RT_ALERT && len >= 2 && b[0] == SSL3_AL_FATAL) {
    if (write_p == 0) {
      if (seen->alert_received < 0) seen->alert_received = b[1];
    } else if (seen->verify_error == X509_V_OK) {
      // We are giving up: if it is because of the router's certificate, the verification says why.
      seen->verify_error = SSL_get_verify_result(ssl);
    }
  } else if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && len >= 1 && b[0] == SSL3_MT_CERTIFICATE_REQUEST) {
    seen->certificate_requested = true;
  }
}

// Appends to `problems` what keeps `o`'s files from loading into `ctx`.
void load(ssl::context& ctx, const tls_options& o, std::vector<std::string>& problems) {
  boost::system::error_code ec;
  if (o.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) problems.push_back("cannot load the system's CA certificates: " + ec.message());
  } else {
    ctx.load_verify_file(o.ca_file, ec);
    if (ec) problems.push_back("--tls-ca: cannot load CA certificates from '" + o.ca_file + "': " + ec.message());
  }
  if (o.cert_file.empty()) return;
  // An encrypted key would make OpenSSL ask for its password on the terminal: refuse it instead.
  ctx.set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });
  bool loaded = true;
  ctx.use_certificate_chain_file(o.cert_file, ec);
  if (ec) {
    problems.push_back("--tls-cert: cannot load a certificate from '" + o.cert_file + "': " + ec.message());
    loaded = false;
  }
  ctx.use_private_key_file(o.key_file, ssl::context::pem, ec);
  const std::string mismatch =
      "--tls-key: the key in '" + o.key_file + "' does not belong to the certificate in '" + o.cert_file + "'";
  if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    problems.push_back(mismatch);
    loaded = false;
  } else if (ec) {
    problems.push_back("--tls-key: cannot load a private key from '" + o.key_file + "': " + ec.message() +
                       " (an unencrypted PEM key is needed)");
    loaded = false;
  }
  if (loaded && SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    problems.push_back(mismatch);
  }
}

std::shared_ptr<ssl::context> new_context(const tls_options& o, std::vector<std::string>& problems) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_peer);
  load(*ctx, o, problems);
  return ctx;
}

bool client_certificate_alert(int alert) {
  switch (alert) {
    case SSL3_AD_BAD_CERTIFICATE:
    case SSL3_AD_UNSUPPORTED_CERTIFICATE:
    case SSL3_AD_CERTIFICATE_REVOKED:
    case SSL3_AD_CERTIFICATE_EXPIRED:
    case SSL3_AD_CERTIFICATE_UNKNOWN:
    case TLS1_AD_UNKNOWN_CA:
    case TLS1_AD_ACCESS_DENIED:
    case TLS13_AD_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

failure tls(const std::string& reason, std::string message) {
  return failure{failure::kind::tls, uri::not_connected, std::move(message), reason};
}

}  // namespace

core::outcome<std::shared_ptr<ssl::context>> make_client_context(const tls_options& o) {
  std::vector<std::string> problems;
  auto ctx = new_context(o, problems);
  if (problems.empty()) return ctx;
  std::string error;
  for (const auto& p : problems)
    error += (error.empty() ? "" : "; ") + p;
  return core::call_error{uri::not_connected, std::move(error)};
}

std::shared_ptr<tls_observation> prepare_connection(SSL* ssl, const std::string& host) {
  auto seen = std::make_shared<tls_observation>();
  seen->host = host;
  seen->have_certificate = SSL_get_certificate(ssl) != nullptr;
  // Asio asks OpenSSL to free a connection's record buffers whenever they are empty: every message then
  // allocates and frees about 34 KiB (a read and a write buffer) and touches fresh memory. A link's buffers
  // are kept instead (their size, a few links, is nothing beside the mirror).
  SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  if (ip_literal(host)) {
    // An address is checked against the certificate's IP addresses, and never sent as SNI (RFC 6066).
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    SSL_set_tlsext_host_name(ssl, nullptr);
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, host.c_str());
  }
  const int index = observation_index();
  delete static_cast<std::shared_ptr<tls_observation>*>(SSL_get_ex_data(ssl, index));
  SSL_set_ex_data(ssl, index, new std::shared_ptr<tls_observation>(seen));
  SSL_set_msg_callback(ssl, on_message);
  SSL_set_msg_callback_arg(ssl, seen.get());
  return seen;
}

std::optional<failure> tls_failure(const tls_observation& seen, const std::string& url, bool timed_out) {
  const std::string at = "TLS with " + url + ": ";
  if (seen.verify_error != X509_V_OK) {
    const std::string detail = std::string(" (") + X509_verify_cert_error_string(seen.verify_error) + ")";
    switch (seen.verify_error) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return tls("expired", at + "the router's certificate has expired" + detail);
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return tls("not_yet_valid", at + "the router's certificate is not valid yet" + detail);
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return tls("name_mismatch", at + "the router's certificate is not for '" + seen.host + "'" + detail);
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_UNTRUSTED:
        return tls("unknown_ca", at + "the router's certificate is not signed by a CA we trust (--tls-ca)" + detail);
      default:
        return tls("bad_certificate", at + "the router's certificate is not acceptable" + detail);
    }
  }
  if (seen.alert_received >= 0) {
    const std::string alert = std::string(" (alert: ") + SSL_alert_desc_string_long(seen.alert_received) + ")";
    if (client_certificate_alert(seen.alert_received) ||
        (seen.alert_received == SSL3_AD_HANDSHAKE_FAILURE && seen.certificate_requested))
      return tls("client_certificate_rejected",
                 at +
                     (seen.have_certificate ? "the router rejected our client certificate (--tls-cert)"
                                            : "the router requires a client certificate (give --tls-cert and "
                                              "--tls-key)") +
                     alert);
    if (seen.alert_received == TLS1_AD_PROTOCOL_VERSION)
      return tls("protocol_version", at + "the router does not speak TLS 1.2 or later" + alert);
    return tls("handshake", at + "the router ended the handshake" + alert);
  }
  if (!seen.plaintext.empty())
    return tls("plaintext_server", at + "the router answered in plain text ('" + seen.plaintext +
                                       "'), not TLS: a plain listener? (then use rs:// or ws://)");
  if (!seen.tcp_connected || timed_out) return std::nullopt;
  if (!seen.tls_record_seen)
    return tls("plaintext_server", at + "the router closed the connection without answering the TLS handshake: a "
                                        "plain listener? (then use rs:// or ws://)");
  // Some routers (node's TLS server, for one) check the client certificate after the handshake and close the
  // connection without an alert.
  if (seen.handshake_done && seen.certificate_requested)
    return tls("client_certificate_rejected",
               at + "the router asked for our client certificate and closed the connection after the handshake: " +
                   (seen.have_certificate ? "it does not accept ours (--tls-cert)"
                                          : "it requires one (give --tls-cert and --tls-key)"));
  if (!seen.handshake_done && !seen.error.empty()) return tls("handshake", at + "the handshake failed: " + seen.error);
  return std::nullopt;
}

failure tls_server_failure(const std::string& url) {
  return tls("tls_server", "the router at " + url +
                               " answers like a TLS listener (it took a TLS handshake): use rss:// or wss:// for it");
}

void probe_tls(boost::asio::io_context& io, const std::string& host, std::uint16_t port,
               std::chrono::milliseconds timeout, std::function<void(bool)> done) {
  struct probe {
    explicit probe(boost::asio::io_context& io) : context(ssl::context::tls_client), resolver(io), timer(io) {}
    ssl::context context;
    boost::asio::ip::tcp::resolver resolver;
    std::unique_ptr<tls_socket::stream_type> stream;
    std::shared_ptr<tls_observation> seen;
    boost::asio::steady_timer timer;
    std::function<void(bool)> done;
    void finish(bool is_tls) {
      if (!done) return;
      timer.cancel();
      resolver.cancel();
      boost::system::error_code ignored;
      stream->lowest_layer().close(ignored);
      auto d = std::move(done);
      done = nullptr;
      d(is_tls);
    }
  };
  auto p = std::make_shared<probe>(io);
  p->context.set_verify_mode(ssl::verify_none);  // any answer in TLS will do: nothing is sent over it
  p->stream = std::make_unique<tls_socket::stream_type>(io, p->context);
  p->seen = prepare_connection(p->stream->native_handle(), host);
  p->done = std::move(done);
  // The timer bounds the whole probe, a name that does not resolve included (resolved on the resolver's own
  // thread: nothing blocks the owner's loop); every address is tried in turn.
  p->timer.expires_after(timeout);
  p->timer.async_wait([p](const boost::system::error_code& e) {
    if (!e) p->finish(p->seen->tls_record_seen);
  });
  p->resolver.async_resolve(
      host, std::to_string(port),
      [p](const boost::system::error_code& e, boost::asio::ip::tcp::resolver::results_type found) {
        if (e || found.empty()) return p->finish(false);
        boost::asio::async_connect(p->stream->lowest_layer(), found,
                                   [p](const boost::system::error_code& c, const boost::asio::ip::tcp::endpoint&) {
                                     if (c) return p->finish(false);
                                     p->stream->async_handshake(ssl::stream_base::client,
                                                                [p](const boost::system::error_code& h) {
                                                                  p->finish(!h || p->seen->tls_record_seen);
                                                                });
                                   });
      });
}

}  // namespace detail

std::vector<std::string> check_tls_files(const tls_options& o) {
  std::vector<std::string> problems;
  detail::new_context(o, problems);
  return problems;
}

std::optional<std::string> remote_address(const std::string& host) {
  if (auto loopback = loopback_host(host)) return *loopback ? std::nullopt : std::optional<std::string>(host);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) return std::nullopt;
  std::optional<std::string> remote;
  for (addrinfo* a = found; a && !remote; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0) continue;
    if (loopback_host(text) != std::optional<bool>(true)) remote = std::string(text);
  }
  ::freeaddrinfo(found);
  return remote;
}

}  // namespace wamp_metad::adapter
