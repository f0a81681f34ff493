// An in-process router for the adapter's unit tests: links made by fake_router::factory() join its realms,
// register, subscribe, publish and call there, as adapter::link promises, on the test's io_context. It
// speaks the hook protocol on its internal realm the way docs/hook-protocol.md says (joined / left hooks with
// epoch and a gap-free seq, router.session.snapshot in one page, router.session.sync, router.meta.features,
// told positions and router.meta.catch_up with every hook kept), so that the feed, the served realms and the
// calls run as they do against a real router, in milliseconds. What it does with catch_up can be changed
// (unsupported, history lost, failing, slow), and links can be cut.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "wamp_metad/adapter/link.hpp"
#include "wamp_metad/core/uris.hpp"
#include "wamp_metad/protocol/encode.hpp"

namespace fake {

namespace adapter = wamp_metad::adapter;
namespace core = wamp_metad::core;
namespace uri = wamp_metad::uri;

// A payload as the real link hands it over: owned msgpack.
inline adapter::payload to_payload(const core::array& args) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack(core::value(args));
  auto handle = std::make_shared<msgpack::object_handle>(msgpack::unpack(buffer.data(), buffer.size()));
  return handle;
}

// What a published event looked like.
struct publication {
  std::string realm;
  std::string topic;
  core::array args;
  std::optional<std::pair<std::uint64_t, std::uint32_t>> told;  // seq, index
};

struct session_info {
  std::string realm;
  std::uint64_t id;
  std::string authid;
  std::string authrole;
};

class router;

class link final : public adapter::link, public std::enable_shared_from_this<link> {
 public:
  link(router& r, boost::asio::io_context& io, std::string realm, handlers h)
      : r_(r), io_(io), realm_(std::move(realm)), h_(std::move(h)) {}
  ~link() override;
  void start(std::chrono::milliseconds join_timeout) override;
  void begin_stop(std::function<void()> closed) override;
  void close() override;
  void subscribe(const std::string& topic, event_fn on_event, done_fn done) override;
  void provide(const std::string& uri, bool disclose_caller,
               std::function<void(std::shared_ptr<adapter::invocation>)> handler, done_fn done) override;
  // What only wamp-metad-conformance uses: refused here.
  void subscribe(const std::string&, const std::string&, event_fn, done_id_fn done) override { done(unsupported(), 0); }
  void provide(const std::string&, const std::string&, std::function<void(std::shared_ptr<adapter::invocation>)>,
               done_id_fn done) override {
    done(unsupported(), 0);
  }
  void unsubscribe(std::uint64_t, done_fn done) override { done(unsupported()); }
  void unprovide(std::uint64_t, done_fn done) override { done(unsupported()); }
  core::object welcome_details() const override { return {}; }
  void publish(const std::string& topic, const core::array& args, const core::object* kwargs,
               const told_position* told) override;
  void call(const std::string& uri, const core::array& args, std::chrono::milliseconds timeout,
            std::function<void(const adapter::call_reply&)> done) override;

  static adapter::failure unsupported() {
    return adapter::failure{adapter::failure::kind::refused, uri::runtime_error, "not in the fake router"};
  }
  // The router cuts the connection: `lost` is reported.
  void cut(const std::string& why);
  const std::string& realm() const { return realm_; }
  std::uint64_t session() const { return session_; }
  bool up() const { return session_ != 0; }

 private:
  friend class router;
  template <class F>
  void later(F f);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  router& r_;
  boost::asio::io_context& io_;
  std::string realm_;
  handlers h_;
  std::uint64_t session_ = 0;
  bool stopping_ = false;
};

// An invocation of a procedure that a fake link registered, from a caller of the fake router.
class invocation final : public adapter::invocation {
 public:
  invocation(const core::array& args, std::uint64_t caller, std::function<void(const adapter::call_reply&)> done)
      : args_(to_payload(args)), caller_(caller), done_(std::move(done)) {}
  const msgpack::object& args() const override { return args_->get(); }
  const msgpack::object& kwargs() const override { return nil_; }
  std::uint64_t caller() const override { return caller_; }
  void reply(const core::call_result& result) override {
    adapter::call_reply r;
    r.args = to_payload(result.args);
    finish(r);
  }
  void fail(const core::call_error& error) override {
    adapter::call_reply r;
    r.error = adapter::failure{adapter::failure::kind::refused, error.uri, error.uri + ": " + error.message};
    finish(r);
  }

 private:
  void finish(const adapter::call_reply& r) {
    if (!done_) return;
    auto d = std::move(done_);
    done_ = nullptr;
    d(r);
  }
  adapter::payload args_;
  msgpack::object nil_;
  std::uint64_t caller_;
  std::function<void(const adapter::call_reply&)> done_;
};

class router {
 public:
  enum class catch_up_mode { exact, unsupported, history_lost, failing };

  explicit router(boost::asio::io_context& io) : io_(io) {}

  adapter::link_factory factory() {
    return [this](boost::asio::io_context& io, const adapter::router_address&, const std::string& realm,
                  const adapter::credentials&, adapter::link::handlers h) -> std::unique_ptr<adapter::link> {
      auto l = std::make_unique<link>(*this, io, realm, std::move(h));
      links_.push_back(l.get());
      return l;
    };
  }

  // A client session joins or leaves `realm`: the hook goes to the internal realm's subscribers.
  std::uint64_t join(const std::string& realm, const std::string& authrole = "user") {
    const std::uint64_t id = next_id_++;
    sessions_.push_back({realm, id, "a" + std::to_string(id), authrole});
    hook(uri::hook_joined, sessions_.back());
    return id;
  }
  void leave(std::uint64_t id) {
    auto it = std::find_if(sessions_.begin(), sessions_.end(), [id](const session_info& s) { return s.id == id; });
    if (it == sessions_.end()) return;
    const session_info gone = *it;
    sessions_.erase(it);
    hook(uri::hook_left, gone);
  }
  // A new router run: another epoch, seq from 1 again, no session, nothing told (links stay up).
  void restart() {
    epoch_ = "e" + std::to_string(++runs_);
    seq_ = 0;
    hooks_.clear();
    told_.clear();
    sessions_.clear();
  }

  catch_up_mode catch_up = catch_up_mode::exact;
  bool refuse_joins = false;
  // Answer router.meta.catch_up after this long (a slow catch-up).
  std::chrono::milliseconds catch_up_delay{0};
  int catch_ups = 0;
  std::vector<publication> published;

  std::vector<publication> events(const std::string& realm, const std::string& topic) const {
    std::vector<publication> out;
    for (const auto& p : published)
      if (p.realm == realm && p.topic == topic) out.push_back(p);
    return out;
  }
  // The live link that serves `realm` (holds its procedures), if any.
  link* server(const std::string& realm) const {
    auto it = procedures_.find({realm, uri::count});
    return it == procedures_.end() ? nullptr : it->second.owner;
  }
  std::vector<link*> links(const std::string& realm) const {
    std::vector<link*> out;
    for (auto* l : links_)
      if (l->realm() == realm && l->up()) out.push_back(l);
    return out;
  }
  // A client's call of `procedure` on `realm`, through the router to whoever registered it.
  void call(const std::string& realm, const std::string& procedure, const core::array& args, std::uint64_t caller,
            std::function<void(const adapter::call_reply&)> done) {
    auto it = procedures_.find({realm, procedure});
    if (it == procedures_.end()) {
      adapter::call_reply r;
      r.error = adapter::failure{adapter::failure::kind::refused, uri::no_such_procedure, uri::no_such_procedure};
      return boost::asio::post(io_, [done, r] { done(r); });
    }
    auto inv = std::make_shared<invocation>(args, caller, std::move(done));
    auto handler = it->second.handler;
    boost::asio::post(io_, [handler, inv] { handler(inv); });
  }

 private:
  friend class link;
  struct procedure {
    link* owner;
    std::function<void(std::shared_ptr<adapter::invocation>)> handler;
  };
  struct subscription {
    link* owner;
    std::string realm;
    std::string topic;
    adapter::link::event_fn fn;
  };
  struct kept_hook {
    std::string topic;
    core::value info;
    std::string realm;
  };

  core::value info(const session_info& s, bool position) const {
    core::object o{{"realm", s.realm},
                   {"session", s.id},
                   {"authid", s.authid},
                   {"authrole", s.authrole},
                   {"authmethod", "ticket"},
                   {"authprovider", "static"},
                   {"transport", core::value(core::object{
                                     {"type", "websocket"}, {"serializer", "json"}, {"peer", "tcp4:127.0.0.1:4000"}})}};
    if (position) {
      o.emplace_back("epoch", epoch_);
      o.emplace_back("seq", seq_);
    }
    return core::value(std::move(o));
  }

  void hook(const char* topic, const session_info& s) {
    ++seq_;
    const core::value payload = info(s, true);
    hooks_.push_back({topic, payload, s.realm});
    deliver(internal_realm, topic, core::array{payload});
  }

  void deliver(const std::string& realm, const std::string& topic, const core::array& args) {
    auto handle = to_payload(args);
    for (const auto& sub : subscriptions_) {
      if (sub.realm != realm || sub.topic != topic) continue;
      auto fn = sub.fn;
      boost::asio::post(io_, [fn, handle] { fn(handle->get(), msgpack::object()); });
    }
  }

  // The router's own procedures on the internal realm.
  std::optional<adapter::call_reply> answer_internal(const std::string& procedure, const core::array& args,
                                                     std::chrono::milliseconds& delay) {
    adapter::call_reply r;
    const auto fail = [&r](const char* error_uri) {
      r.error = adapter::failure{adapter::failure::kind::refused, error_uri, error_uri};
      return r;
    };
    if (procedure == uri::hook_sync) {
      r.args = to_payload(core::array{epoch_, seq_});
      return r;
    }
    if (procedure == uri::hook_snapshot) {
      core::array sessions;
      for (const auto& s : sessions_)
        sessions.push_back(info(s, false));
      r.args = to_payload(core::array{
          core::value(core::object{{"epoch", epoch_}, {"seq", seq_}, {"sessions", core::value(std::move(sessions))}})});
      return r;
    }
    if (procedure == uri::hook_kill) {
      std::uint64_t id = 0;
      if (!args.empty()) args[0].as_unsigned(id);
      if (std::none_of(sessions_.begin(), sessions_.end(), [id](const session_info& s) { return s.id == id; }))
        return fail(uri::no_such_session);
      leave(id);  // the left hook goes out before the RESULT, as the protocol says
      r.args = to_payload(core::array{true});
      return r;
    }
    if (procedure == uri::hook_features) {
      r.args = to_payload(core::array{});
      return r;
    }
    if (procedure == uri::hook_catch_up) {
      ++catch_ups;
      delay = catch_up_delay;
      switch (catch_up) {
        case catch_up_mode::unsupported:
          return fail(uri::no_such_procedure);
        case catch_up_mode::history_lost:
          return fail(uri::history_lost);
        case catch_up_mode::failing:
          return fail(uri::invalid_argument);
        case catch_up_mode::exact:
          break;
      }
      const std::string* named = args.empty() ? nullptr : args[0].get_if<std::string>();
      const std::string realm = named ? *named : std::string();
      // At the told position P (event i): the state at P - 1 and the realm's hooks since, skipping i + 1.
      std::uint64_t at = 0;
      std::uint64_t skip = 0;
      core::value told;
      if (auto it = told_.find(realm); it != told_.end()) {
        at = it->second.first - 1;
        skip = it->second.second + 1;
        told = core::value(core::array{it->second.first, std::uint64_t{it->second.second}});
      }
      std::map<std::uint64_t, session_info> state;
      core::array hooks;
      std::uint64_t seq = 0;
      for (const auto& h : hooks_) {
        ++seq;
        if (h.realm != realm) continue;
        std::uint64_t id = 0;
        h.info.find("session")->as_unsigned(id);
        if (seq <= at) {
          if (h.topic == uri::hook_joined) {
            state[id] = {realm, id, "a" + std::to_string(id), *h.info.find("authrole")->get_if<std::string>()};
          } else {
            state.erase(id);
          }
        } else {
          hooks.push_back(core::value(core::array{h.topic, h.info}));
        }
      }
      core::array sessions;
      for (const auto& [id, s] : state)
        sessions.push_back(info(s, false));
      r.args = to_payload(core::array{core::value(core::object{{"epoch", epoch_},
                                                               {"seq", seq_},
                                                               {"at", at},
                                                               {"skip", skip},
                                                               {"told", told},
                                                               {"sessions", core::value(std::move(sessions))},
                                                               {"registrations", core::value(core::array{})},
                                                               {"subscriptions", core::value(core::array{})},
                                                               {"hooks", core::value(std::move(hooks))}})});
      return r;
    }
    return std::nullopt;
  }

  void gone(link* l) {
    for (auto it = procedures_.begin(); it != procedures_.end();)
      it = it->second.owner == l ? procedures_.erase(it) : std::next(it);
    subscriptions_.erase(std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                                        [l](const subscription& s) { return s.owner == l; }),
                         subscriptions_.end());
  }

 public:
  static constexpr const char* internal_realm = "router.internal";

 private:
  boost::asio::io_context& io_;
  std::string epoch_ = "e0";
  int runs_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t next_id_ = 1000;
  std::vector<session_info> sessions_;
  std::vector<kept_hook> hooks_;  // seq i + 1 at index i
  std::map<std::string, std::pair<std::uint64_t, std::uint32_t>> told_;
  std::map<std::pair<std::string, std::string>, procedure> procedures_;
  std::vector<subscription> subscriptions_;
  std::vector<link*> links_;
};

inline link::~link() {
  *alive_ = false;
  close();
  r_.links_.erase(std::remove(r_.links_.begin(), r_.links_.end(), this), r_.links_.end());
}

// Runs `f` on the io_context later, if the link still exists then.
template <class F>
void link::later(F f) {
  boost::asio::post(io_, [alive = alive_, self = this, f = std::move(f)]() mutable {
    if (*alive) f(*self);
  });
}

inline void link::start(std::chrono::milliseconds) {
  later([](link& self) {
    if (self.stopping_ || self.r_.refuse_joins) return self.cut("refused");
    self.session_ = self.r_.next_id_++;
    // The meta role's own sessions on client realms are hooked like any other.
    if (self.realm_ != router::internal_realm) {
      self.r_.sessions_.push_back({self.realm_, self.session_, "metad", "metad"});
      self.r_.hook(uri::hook_joined, self.r_.sessions_.back());
    }
    if (self.h_.joined) self.h_.joined(self.session_);
  });
}

inline void link::cut(const std::string& why) {
  close();
  if (stopping_) return;
  stopping_ = true;  // a link reports its loss once
  later([why](link& self) {
    if (self.h_.lost) self.h_.lost(adapter::failure{adapter::failure::kind::closed, uri::not_connected, why});
  });
}

inline void link::begin_stop(std::function<void()> closed) {
  stopping_ = true;
  close();
  if (closed) later([closed](link&) { closed(); });
}

inline void link::close() {
  r_.gone(this);
  if (session_ != 0 && realm_ != router::internal_realm) r_.leave(session_);
  session_ = 0;
}

inline void link::subscribe(const std::string& topic, event_fn on_event, done_fn done) {
  if (session_ == 0)
    return later([done](link&) {
      done(adapter::failure{adapter::failure::kind::not_connected, uri::not_connected, "not connected"});
    });
  r_.subscriptions_.push_back({this, realm_, topic, std::move(on_event)});
  later([done](link&) { done(std::nullopt); });
}

inline void link::provide(const std::string& procedure_uri, bool,
                          std::function<void(std::shared_ptr<adapter::invocation>)> handler, done_fn done) {
  if (session_ == 0)
    return later([done](link&) {
      done(adapter::failure{adapter::failure::kind::not_connected, uri::not_connected, "not connected"});
    });
  const auto key = std::make_pair(realm_, procedure_uri);
  if (r_.procedures_.count(key))
    return later([done](link&) {
      done(adapter::failure{adapter::failure::kind::conflict, uri::procedure_already_exists,
                            uri::procedure_already_exists});
    });
  r_.procedures_[key] = {this, std::move(handler)};
  later([done](link&) { done(std::nullopt); });
}

inline void link::publish(const std::string& topic, const core::array& args, const core::object*,
                          const told_position* told) {
  if (session_ == 0 || stopping_) return;
  publication p{realm_, topic, args, std::nullopt};
  if (told) {
    p.told = std::make_pair(told->seq, told->index);
    // Recorded as the event is routed: a position at or before the recorded one is a duplicate, dropped.
    auto& at = r_.told_[realm_];
    if (told->epoch != r_.epoch_ || p.told <= at) return;
    at = *p.told;
  }
  r_.published.push_back(p);
}

inline void link::call(const std::string& procedure, const core::array& args, std::chrono::milliseconds timeout,
                       std::function<void(const adapter::call_reply&)> done) {
  if (session_ == 0) {
    adapter::call_reply r;
    r.error = adapter::failure{adapter::failure::kind::not_connected, uri::not_connected, "not connected"};
    return later([done, r](link&) { done(r); });
  }
  if (realm_ == router::internal_realm) {
    std::chrono::milliseconds delay{0};
    auto r = r_.answer_internal(procedure, args, delay);
    if (!r) {
      r.emplace();
      r->error = adapter::failure{adapter::failure::kind::refused, uri::no_such_procedure, uri::no_such_procedure};
    }
    if (delay.count() == 0) return later([done, r = *r](link&) { done(r); });
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
    timer->async_wait([timer, alive = alive_, done, r = *r](const boost::system::error_code&) {
      if (*alive) done(r);
    });
    return;
  }
  (void)timeout;
  r_.call(realm_, procedure, args, session_, [alive = alive_, done](const adapter::call_reply& r) {
    if (*alive) done(r);
  });
}

}  // namespace fake
