// The links' buffered reads (src/adapter/buffered_reads.hpp) over a real socket pair (a Unix stream socket
// pair): the RawSocket steps (a 4-byte length, then the body) served from one read, large bodies read straight
// into the caller's memory, the peer's close after the buffered bytes, and no handler run from inside the call
// that started the read.
#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "buffered_reads.hpp"

namespace {

using stream = boost::asio::local::stream_protocol::socket;
using buffered = wamp_metad::adapter::detail::buffered_reads<stream>;

std::string framed(const std::string& body) {
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  return out + body;
}

struct pair_fixture {
  boost::asio::io_context io;
  buffered reader{io};
  stream writer{io};
  pair_fixture() { boost::asio::local::connect_pair(reader, writer); }

  // Reads one framed message as the client library's RawSocket transport does: the length, then the body.
  void read_message(std::function<void(boost::system::error_code, std::string)> done) {
    auto length = std::make_shared<std::array<unsigned char, 4>>();
    boost::asio::async_read(
        reader, boost::asio::buffer(*length), [this, length, done](boost::system::error_code ec, std::size_t) {
          if (ec) return done(ec, "");
          const std::size_t n = (std::size_t{(*length)[0]} << 24) | (std::size_t{(*length)[1]} << 16) |
                                (std::size_t{(*length)[2]} << 8) | (*length)[3];
          auto body = std::make_shared<std::string>(n, '\0');
          boost::asio::async_read(reader, boost::asio::buffer(*body),
                                  [body, done](boost::system::error_code e, std::size_t) { done(e, *body); });
        });
  }

  // Runs the loop until `done` holds; false after 5 s.
  bool run_until(const std::function<bool()>& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < until)
      io.run_for(std::chrono::milliseconds(10));
    return done();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(buffered_reads)

BOOST_FIXTURE_TEST_CASE(messages_written_together_come_from_one_read, pair_fixture) {
  const std::vector<std::string> sent{"first", std::string(300, 'x'), "", "last one"};
  std::string bytes;
  for (const auto& m : sent)
    bytes += framed(m);
  boost::asio::write(writer, boost::asio::buffer(bytes));

  // The first length read takes everything the socket holds: the 4 bytes asked for, the rest kept.
  std::array<unsigned char, 4> length{};
  bool have_length = false;
  boost::asio::async_read(reader, boost::asio::buffer(length),
                          [&](boost::system::error_code ec, std::size_t) { have_length = !ec; });
  BOOST_REQUIRE(run_until([&] { return have_length; }));
  BOOST_CHECK_EQUAL(reader.buffered(), bytes.size() - 4);
  BOOST_CHECK_EQUAL(length[3], sent[0].size());
  std::string first(sent[0].size(), '\0');
  bool have_first = false;
  boost::asio::async_read(reader, boost::asio::buffer(first),
                          [&](boost::system::error_code ec, std::size_t) { have_first = !ec; });
  BOOST_REQUIRE(run_until([&] { return have_first; }));
  std::vector<std::string> got{first};
  std::function<void()> next = [&] {
    read_message([&](boost::system::error_code ec, std::string body) {
      BOOST_REQUIRE(!ec);
      got.push_back(std::move(body));
      if (got.size() < sent.size()) next();
    });
  };
  next();
  BOOST_REQUIRE(run_until([&] { return got.size() == sent.size(); }));
  BOOST_CHECK(got == sent);
  BOOST_CHECK_EQUAL(reader.buffered(), 0u);
}

BOOST_FIXTURE_TEST_CASE(a_large_body_arrives_whole, pair_fixture) {
  std::string body(3 * buffered::capacity + 1234, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>(i * 131 % 251);
  const std::string bytes = framed(body) + framed("after");
  // Written in pieces from the same loop, as a router's writes arrive.
  std::size_t written = 0;
  std::function<void()> write_more = [&] {
    const std::size_t n = std::min<std::size_t>(40000, bytes.size() - written);
    boost::asio::async_write(writer, boost::asio::buffer(bytes.data() + written, n),
                             [&](boost::system::error_code ec, std::size_t k) {
                               BOOST_REQUIRE(!ec);
                               written += k;
                               if (written < bytes.size()) write_more();
                             });
  };
  write_more();
  std::vector<std::string> got;
  read_message([&](boost::system::error_code ec, std::string b) {
    BOOST_REQUIRE(!ec);
    got.push_back(std::move(b));
    read_message([&](boost::system::error_code e, std::string b2) {
      BOOST_REQUIRE(!e);
      got.push_back(std::move(b2));
    });
  });
  BOOST_REQUIRE(run_until([&] { return got.size() == 2; }));
  BOOST_CHECK(got[0] == body);
  BOOST_CHECK_EQUAL(got[1], "after");
}

BOOST_FIXTURE_TEST_CASE(the_peers_close_comes_after_the_buffered_bytes, pair_fixture) {
  boost::asio::write(writer, boost::asio::buffer(framed("one") + framed("two")));
  writer.close();
  std::vector<std::string> got;
  boost::system::error_code last;
  std::function<void()> next = [&] {
    read_message([&](boost::system::error_code ec, std::string body) {
      if (ec) {
        last = ec;
        return;
      }
      got.push_back(std::move(body));
      next();
    });
  };
  next();
  BOOST_REQUIRE(run_until([&] { return bool(last); }));
  BOOST_CHECK_EQUAL(got.size(), 2u);
  BOOST_CHECK(last == boost::asio::error::eof);
}

BOOST_FIXTURE_TEST_CASE(a_buffered_read_completes_later_not_inside_the_call, pair_fixture) {
  boost::asio::write(writer, boost::asio::buffer(framed("abc")));
  std::array<char, 4> length{};
  bool first = false;
  reader.async_read_some(boost::asio::buffer(length), [&](boost::system::error_code, std::size_t) { first = true; });
  BOOST_REQUIRE(run_until([&] { return first; }));
  BOOST_REQUIRE_EQUAL(reader.buffered(), 3u);
  // Served from the buffer: still not from inside async_read_some.
  std::array<char, 3> body{};
  bool second = false;
  std::size_t n = 0;
  reader.async_read_some(boost::asio::buffer(body), [&](boost::system::error_code ec, std::size_t k) {
    BOOST_CHECK(!ec);
    n = k;
    second = true;
  });
  BOOST_CHECK(!second);
  BOOST_REQUIRE(run_until([&] { return second; }));
  BOOST_CHECK_EQUAL(n, 3u);
  BOOST_CHECK_EQUAL(std::string(body.data(), 3), "abc");
}

BOOST_AUTO_TEST_SUITE_END()
