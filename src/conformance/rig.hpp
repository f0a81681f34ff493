// What wamp-metad-conformance drives a router with: links (adapter::make_link) on an io_context of their own
// thread, and blocking steps for the scenario on the main thread, each bounded by the run's deadline. The
// hooks the meta link receives are recorded with their place among everything received (hooks and call
// results), so that "before the RESULT" can be checked.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "checks.hpp"
#include "wamp_metad/adapter/link.hpp"
#include "wamp_metad/core/value.hpp"

namespace wamp_metad::conformance {

// The router stopped answering (or the run's time is up) during `what`.
struct stalled {
  std::string what;
};

struct reply {
  bool ok = false;
  std::string error_uri;     // when !ok: the router's error URI (or the link's, wamp.error.timeout...)
  std::string error_text;    // for FAIL lines
  adapter::payload payload;  // when ok: the positional result as it came
  core::array args;          // the same, decoded (empty when it does not decode)
  std::uint64_t arrival = 0;
  std::uint64_t sent = 0;  // the arrival counter when the call left
};

// One session (a test client, or the meta role) and what happened to it.
struct client {
  std::unique_ptr<adapter::link> link;
  std::promise<std::optional<adapter::failure>> joined;  // nullopt: joined
  std::shared_future<std::optional<adapter::failure>> joined_f = joined.get_future().share();
  std::atomic<std::uint64_t> id{0};
  std::atomic<bool> lost{false};
  std::optional<adapter::failure> lost_why;  // under events_mu
  std::promise<void> closed;
  std::shared_future<void> closed_f = closed.get_future().share();
  bool closed_set = false;        // io thread
  bool joined_set = false;        // io thread
  std::function<void()> on_join;  // io thread, run right after the WELCOME
  std::mutex events_mu;
  std::vector<core::array> events;  // events received by this client (args), in order
};

struct op_result {
  std::optional<adapter::failure> error;
  std::uint64_t id = 0;
};

class rig {
 public:
  explicit rig(std::chrono::steady_clock::time_point deadline);
  ~rig();

  boost::asio::io_context& io() { return io_; }
  std::chrono::milliseconds remaining() const;
  // Waits for `f`, at most `cap` and never past the deadline; throws stalled{what} when it does not come.
  template <class T>
  T wait(std::shared_future<T> f, const std::string& what, std::chrono::milliseconds cap = std::chrono::seconds(10)) {
    const auto limit = std::min(cap, remaining());
    if (limit.count() <= 0 || f.wait_for(limit) != std::future_status::ready) throw stalled{what};
    return f.get();
  }

  // Starts a session; `on_join` (optional) runs on the io thread at once after the WELCOME.
  std::shared_ptr<client> open(const adapter::router_address& where, const std::string& realm,
                               const adapter::credentials& creds, std::function<void(client&)> on_join = {});
  // GOODBYE; the future is ready once the router answered it or the connection is gone.
  std::shared_future<void> leave(const std::shared_ptr<client>& c);
  std::shared_future<reply> call(const std::shared_ptr<client>& c, const std::string& uri, const core::array& args);
  std::shared_future<op_result> subscribe(const std::shared_ptr<client>& c, const std::string& topic,
                                          const std::string& match);
  std::shared_future<op_result> provide(const std::shared_ptr<client>& c, const std::string& uri,
                                        const std::string& match);
  std::shared_future<op_result> unsubscribe(const std::shared_ptr<client>& c, std::uint64_t id);
  std::shared_future<op_result> unprovide(const std::shared_ptr<client>& c, std::uint64_t id);
  // Runs `f` on the io thread and waits for it (bounded).
  void on_io(std::function<void()> f, const std::string& what);

  // The meta link's hook recording: subscribes it to the six hook topics.
  void record_hooks(const std::shared_ptr<client>& meta);
  std::vector<hook_record> hooks() const;
  // Waits until a hook with seq >= `seq` was recorded (bounded); false when none came.
  bool wait_hook(std::uint64_t seq, std::chrono::milliseconds cap);
  std::uint64_t next_arrival();
  std::uint64_t arrivals() const;

  // Closes every link at once (no GOODBYE) and stops the io thread.
  void stop();

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<hook_record> hooks_;
  std::uint64_t arrivals_ = 0;
  std::uint64_t max_seq_ = 0;
  std::vector<std::shared_ptr<client>> clients_;
};

}  // namespace wamp_metad::conformance
