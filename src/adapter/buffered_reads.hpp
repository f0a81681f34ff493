// Reads for the client library's RawSocket transport, through a buffer of wamp-metad's own. The transport
// reads every message in two steps, its 4-byte length and then its body, and each step went to the socket:
// two system calls per message on plain TCP (recv), two SSL_read calls per record over TLS (with Asio's
// ssl::stream posting a completion of its own for the second). Here one read takes what the socket (or the
// TLS record) holds, up to `capacity` bytes, and the steps are served from it: under a stream of hooks one
// system call reads many messages; over TLS, one SSL_read per record. A request at least as large as the
// buffer, with nothing buffered, reads straight into the caller's memory (a large message is not copied).
//
// Private to the adapter: link.cpp's transports use it as their socket type. One thread (the owner's
// io_context), as the socket beneath.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

namespace wamp_metad::adapter::detail {

template <class Socket>
class buffered_reads : public Socket {
 public:
  static constexpr std::size_t capacity = std::size_t{64} << 10;

  using Socket::Socket;

  // The interface of an Asio stream's reads; the socket's own are hidden.
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    const std::size_t wanted = boost::asio::buffer_size(buffers);
    if (wanted == 0 || begin_ < end_) {
      const std::size_t n = take(buffers);
      boost::asio::post(this->get_executor(),
                        [h = std::forward<Handler>(handler), n]() mutable { h(boost::system::error_code(), n); });
      return;
    }
    if (wanted >= capacity) return Socket::async_read_some(buffers, std::forward<Handler>(handler));
    if (!data_) data_ = std::make_unique<char[]>(capacity);
    // The caller's buffers and handler outlive the read (the transport keeps itself, and so this socket,
    // alive in its handler).
    Socket::async_read_some(boost::asio::buffer(data_.get(), capacity),
                            [this, buffers, h = std::forward<Handler>(handler)](const boost::system::error_code& ec,
                                                                                std::size_t n) mutable {
                              begin_ = 0;
                              end_ = ec ? 0 : n;
                              h(ec, ec ? 0 : take(buffers));
                            });
  }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    if (begin_ < end_ || boost::asio::buffer_size(buffers) == 0) return take(buffers);
    return Socket::read_some(buffers, ec);
  }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    if (begin_ < end_ || boost::asio::buffer_size(buffers) == 0) return take(buffers);
    return Socket::read_some(buffers);
  }

  // Bytes read from the socket that no read has taken yet.
  std::size_t buffered() const { return end_ - begin_; }

 private:
  template <class MutableBuffers>
  std::size_t take(const MutableBuffers& buffers) {
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(data_.get() + begin_, end_ - begin_));
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
    return n;
  }

  std::unique_ptr<char[]> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace wamp_metad::adapter::detail
