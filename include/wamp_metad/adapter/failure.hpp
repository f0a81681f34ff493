// Why a link, or one request on it, failed: a typed value that code above decides on (the kind, the reason),
// with words for the log. Standard library only, so that the metrics can take it too.
#pragma once

#include <string>
#include <utility>

namespace wamp_metad::adapter {

struct failure {
  enum class kind {
    unreachable,    // no connection could be made
    refused,        // the router answered no: an ABORT to the join, an ERROR to a request (`uri` says which)
    conflict,       // the procedure is registered already (another instance serves the realm)
    timeout,        // no answer in the time allowed (no WELCOME, no RESULT)
    not_connected,  // no session to send on, or the request could not be sent
    closed,         // the connection closed or broke, or the router stopped reading
    protocol,       // the router sent what the client library could not read
    tls,            // the TLS connection could not be made or trusted (`reason` says why)
    insecure,       // not attempted: the secret would cross the network in clear text
  };
  failure() = default;
  failure(kind w, std::string u, std::string m, std::string r = {})
      : what(w), uri(std::move(u)), message(std::move(m)), reason(std::move(r)) {}

  kind what = kind::closed;
  // The router's error URI for `refused` and `conflict`; for the others the one a client of ours is given
  // in their place (wamp.error.timeout, wamp.error.not_connected, ...).
  std::string uri;
  std::string message;  // for the log: what happened, in words (the router's URI and text included)
  // For `tls`: unknown_ca, name_mismatch, expired, not_yet_valid, bad_certificate, client_certificate_rejected,
  // protocol_version, handshake, plaintext_server (a TLS URL answered in plain text), tls_server (a plain URL
  // answered by a TLS listener), local_files (our CA file, certificate or key could not be loaded). Empty for
  // the other kinds.
  std::string reason;
};

// The kind's name, as the metrics label it.
inline const char* kind_name(failure::kind k) {
  switch (k) {
    case failure::kind::unreachable:
      return "unreachable";
    case failure::kind::refused:
      return "refused";
    case failure::kind::conflict:
      return "conflict";
    case failure::kind::timeout:
      return "timeout";
    case failure::kind::not_connected:
      return "not_connected";
    case failure::kind::closed:
      return "closed";
    case failure::kind::protocol:
      return "protocol";
    case failure::kind::tls:
      return "tls";
    case failure::kind::insecure:
      return "insecure";
  }
  return "?";
}

}  // namespace wamp_metad::adapter
