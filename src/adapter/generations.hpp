// Callbacks of an object that reconnects (the internal feed, a served realm). A callback made for one
// connection must do nothing once the object is gone, or has moved on to another connection since: each
// connection is a generation, and guarded() wraps a callback so that it runs only in the generation it was
// made in. Private to the adapter.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

namespace wamp_metad::adapter::detail {

template <class Self>
class generations : public std::enable_shared_from_this<Self> {
 protected:
  // `f(self, args...)` on the owner thread, if the object lives and is still in this generation.
  template <class F>
  auto guarded(F f) {
    return [weak = this->weak_from_this(), generation = generation_, f = std::move(f)](auto&&... args) mutable {
      auto self = weak.lock();
      if (self && self->generations::generation_ == generation) f(*self, std::forward<decltype(args)>(args)...);
    };
  }
  // What the callbacks of the generation that ends still deliver is ignored from now on.
  void next_generation() { ++generation_; }
  std::uint64_t generation() const { return generation_; }

 private:
  std::uint64_t generation_ = 0;
};

}  // namespace wamp_metad::adapter::detail
