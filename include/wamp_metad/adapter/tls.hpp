// The TLS settings of the links (--tls-ca, --tls-cert, --tls-key) and their check. The links load the files
// again at every connection, so that a renewed certificate is taken at the next reconnect.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wamp_metad::adapter {

struct tls_options {
  std::string ca_file;    // PEM: the CAs that sign the router's certificate; empty: the system's CAs
  std::string cert_file;  // PEM: our client certificate (chain), for routers that require one; empty: none
  std::string key_file;   // PEM: its private key
};

// Loads the files as a connection would and returns every problem (unreadable, not PEM, no certificate in
// it, a key that does not belong to the certificate), each naming its file. Empty when they are good.
std::vector<std::string> check_tls_files(const tls_options& o);

// The first address `host` stands for that is not loopback (resolving a name, which blocks), or nullopt when
// every one is loopback (see loopback_host) or the name does not resolve. A link that would send the secret
// in clear text (a plain URL) refuses such a host unless told otherwise (--allow-plaintext-secret).
std::optional<std::string> remote_address(const std::string& host);

}  // namespace wamp_metad::adapter
