#include "rig.hpp"

#include <boost/asio/post.hpp>

#include "wamp_metad/protocol/decode.hpp"

namespace wamp_metad::conformance {

namespace {
const char* hook_topics[] = {"router.session.joined",          "router.session.left",
                             "router.registration.registered", "router.registration.unregistered",
                             "router.subscription.subscribed", "router.subscription.unsubscribed"};

template <class T>
std::shared_ptr<std::promise<T>> make_promise() {
  return std::make_shared<std::promise<T>>();
}
}  // namespace

rig::rig(std::chrono::steady_clock::time_point deadline)
    : work_(boost::asio::make_work_guard(io_)), deadline_(deadline), thread_([this] { io_.run(); }) {}

rig::~rig() {
  stop();
}

std::chrono::milliseconds rig::remaining() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
}

std::uint64_t rig::next_arrival() {
  std::lock_guard<std::mutex> lock(mu_);
  return ++arrivals_;
}

std::uint64_t rig::arrivals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arrivals_;
}

std::shared_ptr<client> rig::open(const adapter::router_address& where, const std::string& realm,
                                  const adapter::credentials& creds, std::function<void(client&)> on_join) {
  auto c = std::make_shared<client>();
  std::weak_ptr<client> weak = c;
  adapter::link::handlers h;
  h.joined = [weak, on_join](std::uint64_t id) {
    auto self = weak.lock();
    if (!self || self->joined_set) return;
    self->id = id;
    self->joined_set = true;
    if (on_join) on_join(*self);
    self->joined.set_value(std::nullopt);
  };
  h.lost = [weak](const adapter::failure& why) {
    auto self = weak.lock();
    if (!self) return;
    {
      std::lock_guard<std::mutex> lock(self->events_mu);
      self->lost_why = why;
    }
    self->lost = true;
    if (!self->joined_set) {
      self->joined_set = true;
      self->joined.set_value(why);
    }
    if (!self->closed_set) {
      self->closed_set = true;
      self->closed.set_value();
    }
  };
  auto done = make_promise<void>();
  boost::asio::post(io_, [this, c, where, realm, creds, h, done] {
    c->link = adapter::make_link(io_, where, realm, creds, h);
    c->link->start(std::chrono::seconds(10));
    clients_.push_back(c);
    done->set_value();
  });
  wait(done->get_future().share(), "starting a link");
  return c;
}

std::shared_future<void> rig::leave(const std::shared_ptr<client>& c) {
  boost::asio::post(io_, [c] {
    if (!c->link) return;
    c->link->begin_stop([c] {
      if (!c->closed_set) {
        c->closed_set = true;
        c->closed.set_value();
      }
    });
  });
  return c->closed_f;
}

std::shared_future<reply> rig::call(const std::shared_ptr<client>& c, const std::string& uri, const core::array& args) {
  auto p = make_promise<reply>();
  auto f = p->get_future().share();
  boost::asio::post(io_, [this, c, uri, args, p] {
    const auto sent = next_arrival();
    c->link->call(uri, args, std::chrono::seconds(10), [this, p, sent](const adapter::call_reply& r) {
      reply out;
      out.sent = sent;
      out.arrival = next_arrival();
      out.ok = r.ok();
      if (r.ok()) {
        out.payload = r.args;
        if (r.args) {
          auto a = protocol::to_args(r.args->get());
          if (a.ok()) out.args = std::move(a.value());
        }
      } else {
        out.error_uri = r.error->uri;
        out.error_text = r.error->message;
      }
      p->set_value(std::move(out));
    });
  });
  return f;
}

namespace {
void set_op(const std::shared_ptr<std::promise<op_result>>& p, const std::optional<adapter::failure>& e,
            std::uint64_t id) {
  p->set_value(op_result{e, id});
}
}  // namespace

std::shared_future<op_result> rig::subscribe(const std::shared_ptr<client>& c, const std::string& topic,
                                             const std::string& match) {
  auto p = make_promise<op_result>();
  auto f = p->get_future().share();
  boost::asio::post(io_, [c, topic, match, p] {
    std::weak_ptr<client> weak = c;
    c->link->subscribe(
        topic, match,
        [weak](const msgpack::object& args, const msgpack::object&) {
          auto self = weak.lock();
          auto a = protocol::to_args(args);
          if (!self || !a.ok()) return;
          std::lock_guard<std::mutex> lock(self->events_mu);
          self->events.push_back(std::move(a.value()));
        },
        [p](const std::optional<adapter::failure>& e, std::uint64_t id) { set_op(p, e, id); });
  });
  return f;
}

std::shared_future<op_result> rig::provide(const std::shared_ptr<client>& c, const std::string& uri,
                                           const std::string& match) {
  auto p = make_promise<op_result>();
  auto f = p->get_future().share();
  boost::asio::post(io_, [c, uri, match, p] {
    c->link->provide(
        uri, match, [](std::shared_ptr<adapter::invocation> inv) { inv->reply(core::call_result{}); },
        [p](const std::optional<adapter::failure>& e, std::uint64_t id) { set_op(p, e, id); });
  });
  return f;
}

std::shared_future<op_result> rig::unsubscribe(const std::shared_ptr<client>& c, std::uint64_t id) {
  auto p = make_promise<op_result>();
  auto f = p->get_future().share();
  boost::asio::post(io_, [c, id, p] {
    c->link->unsubscribe(id, [p](const std::optional<adapter::failure>& e) { set_op(p, e, 0); });
  });
  return f;
}

std::shared_future<op_result> rig::unprovide(const std::shared_ptr<client>& c, std::uint64_t id) {
  auto p = make_promise<op_result>();
  auto f = p->get_future().share();
  boost::asio::post(
      io_, [c, id, p] { c->link->unprovide(id, [p](const std::optional<adapter::failure>& e) { set_op(p, e, 0); }); });
  return f;
}

void rig::on_io(std::function<void()> f, const std::string& what) {
  auto p = make_promise<void>();
  boost::asio::post(io_, [f, p] {
    f();
    p->set_value();
  });
  wait(p->get_future().share(), what);
}

void rig::record_hooks(const std::shared_ptr<client>& meta) {
  std::vector<std::shared_future<op_result>> done;
  for (const char* topic : hook_topics) {
    auto p = make_promise<op_result>();
    done.push_back(p->get_future().share());
    const std::string t = topic;
    boost::asio::post(io_, [this, meta, t, p] {
      meta->link->subscribe(
          t, "exact",
          [this, t](const msgpack::object& args, const msgpack::object&) {
            hook_record h;
            h.topic = t;
            auto a = protocol::to_args(args);
            if (a.ok() && !a.value().empty()) h.info = a.value().front();
            auto d = protocol::decode_hook(*kind_of_topic(t), args);
            if (d.ok())
              h.decoded = std::move(d.value());
            else
              h.decode_error = d.error().message;
            std::lock_guard<std::mutex> lock(mu_);
            h.arrival = ++arrivals_;
            if (h.decoded && h.decoded->position && h.decoded->position->seq > max_seq_)
              max_seq_ = h.decoded->position->seq;
            hooks_.push_back(std::move(h));
            cv_.notify_all();
          },
          [p](const std::optional<adapter::failure>& e, std::uint64_t id) { set_op(p, e, id); });
    });
  }
  for (auto& f : done) {
    auto r = wait(f, "subscribing to the hooks");
    if (r.error) throw stalled{"subscribing to the hooks: " + r.error->message};
  }
}

std::vector<hook_record> rig::hooks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hooks_;
}

bool rig::wait_hook(std::uint64_t seq, std::chrono::milliseconds cap) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto limit = std::max(std::chrono::milliseconds(0), std::min(cap, remaining()));
  return cv_.wait_for(lock, limit, [&] { return max_seq_ >= seq; });
}

void rig::stop() {
  if (!thread_.joinable()) return;
  auto p = make_promise<void>();
  boost::asio::post(io_, [this, p] {
    for (auto& c : clients_)
      if (c->link) c->link->close();
    p->set_value();
  });
  p->get_future().wait_for(std::chrono::seconds(2));
  work_.reset();
  io_.stop();
  thread_.join();
}

}  // namespace wamp_metad::conformance
