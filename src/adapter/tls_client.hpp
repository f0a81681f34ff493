// TLS for the links (OpenSSL through Boost.Asio's ssl::stream; no WAMP client library here): the client
// context, what one connection saw of its handshake, the failure that makes of it, the probe that tells a
// plain link it reached a TLS listener, and the RawSocket over TLS socket that link.cpp hands the client
// library's RawSocket transport. Private to the adapter. Everything runs on the owner's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "wamp_metad/adapter/failure.hpp"
#include "wamp_metad/adapter/tls.hpp"
#include "wamp_metad/core/result.hpp"

namespace wamp_metad::adapter::detail {

// What one TLS connection saw, filled by OpenSSL's message callback and by the socket as the handshake goes.
struct tls_observation {
  std::string host;  // the router's host, as the certificate must name it
  bool tcp_connected = false;
  bool handshake_done = false;
  bool tls_record_seen = false;        // the router answered with a TLS record
  std::string plaintext;               // or with these bytes, which are not one (printable, for the log)
  bool certificate_requested = false;  // the router asked for our certificate
  bool have_certificate = false;       // and we have one to give
  long verify_error = 0;               // X509_V_OK, or why the router's certificate was not trusted
  int alert_received = -1;             // a fatal alert from the router (its description), or -1
  std::string error;                   // the first error the connection reported, in OpenSSL's words
  void note_error(const std::string& text) {
    if (error.empty()) error = text;
  }
};

// A client context for `o`: TLS 1.2 or later, the router's certificate checked against o.ca_file or the
// system's CAs, o's client certificate and key when given; the problems when a file cannot be loaded.
core::outcome<std::shared_ptr<boost::asio::ssl::context>> make_client_context(const tls_options& o);

// Sets one connection's SSL object up: SNI (for a name, never an address), the name or address the router's
// certificate must carry, and the callbacks that fill the returned observation (which the SSL object keeps
// alive).
std::shared_ptr<tls_observation> prepare_connection(SSL* ssl, const std::string& host);

// The failure a TLS link that did not come up ended in, from what its connection saw; nullopt when that says
// nothing about TLS (the router then refused the join, say). `timed_out`: the link gave up waiting, rather than
// the connection failing.
std::optional<failure> tls_failure(const tls_observation& seen, const std::string& url, bool timed_out);

// Whether host:port answers a TLS ClientHello like a TLS listener (with a TLS record), within `timeout`.
// Asked when a plain link connected but got no transport handshake: the URL probably lacks its TLS scheme.
void probe_tls(boost::asio::io_context& io, const std::string& host, std::uint16_t port,
               std::chrono::milliseconds timeout, std::function<void(bool)> done);

// The failure of a plain link that reached a TLS listener.
failure tls_server_failure(const std::string& url);

// RawSocket over TLS: a TCP socket under TLS, shaped as the client library's RawSocket transport needs its
// socket (made from an io_context, connected to an endpoint, read and written as a stream); the TLS handshake
// is part of connecting. configure() must come before the connection.
class tls_socket {
 public:
  using endpoint_type = boost::asio::ip::tcp::endpoint;
  using stream_type = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  using executor_type = stream_type::executor_type;

  explicit tls_socket(boost::asio::io_context& io) : io_(io) {}

  void configure(std::shared_ptr<boost::asio::ssl::context> context, const std::string& host) {
    context_ = std::move(context);
    stream_ = std::make_unique<stream_type>(io_, *context_);
    seen_ = prepare_connection(stream_->native_handle(), host);
  }
  const std::shared_ptr<tls_observation>& observation() const { return seen_; }

  executor_type get_executor() { return stream_->get_executor(); }
  bool is_open() const { return stream_ && stream_->lowest_layer().is_open(); }
  void close() {
    boost::system::error_code ignored;
    if (stream_) stream_->lowest_layer().close(ignored);
  }
  int native_handle() { return stream_->lowest_layer().native_handle(); }

  // TCP, then the TLS handshake; `handler(error_code)` once both are done or either failed. The stream stays
  // alive while the handlers run (the link keeps a torn down transport a while, see link.cpp).
  template <class Handler>
  void async_connect(const endpoint_type& endpoint, Handler handler) {
    stream_type* stream = stream_.get();
    std::shared_ptr<tls_observation> seen = seen_;
    stream->lowest_layer().async_connect(
        endpoint, [stream, seen, handler](const boost::system::error_code& ec) mutable {
          if (ec) return handler(ec);
          seen->tcp_connected = true;
          boost::system::error_code ignored;
          stream->lowest_layer().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
          stream->async_handshake(boost::asio::ssl::stream_base::client,
                                  [seen, handler](const boost::system::error_code& hs) mutable {
                                    if (hs)
                                      seen->note_error(hs.message());
                                    else
                                      seen->handshake_done = true;
                                    handler(hs);
                                  });
        });
  }

  template <class Buffers>
  std::size_t write_some(const Buffers& buffers) {
    return stream_->write_some(buffers);
  }
  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
    return stream_->write_some(buffers, ec);
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    return stream_->read_some(buffers);
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    return stream_->read_some(buffers, ec);
  }
  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    // A read error after the handshake (the router's alert, say) is kept: the client library drops its words.
    std::shared_ptr<tls_observation> seen = seen_;
    stream_->async_read_some(buffers, [seen, h = std::forward<Handler>(handler)](const boost::system::error_code& ec,
                                                                                 std::size_t n) mutable {
      if (ec && ec != boost::asio::error::operation_aborted) seen->note_error(ec.message());
      h(ec, n);
    });
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    stream_->async_write_some(buffers, std::forward<Handler>(handler));
  }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::unique_ptr<stream_type> stream_;
  std::shared_ptr<tls_observation> seen_;
};

}  // namespace wamp_metad::adapter::detail
