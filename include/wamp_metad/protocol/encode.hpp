// core::value as msgpack: lets the WAMP client library send core payloads as they are. A core::object must
// travel inside a core::value to be encoded as a dict (a bare core::object is a list of pairs to msgpack).
#pragma once

#include <msgpack.hpp>

#include "wamp_metad/core/value.hpp"

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {

  template <>
  struct pack<wamp_metad::core::value> {
    template <typename Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& o, const wamp_metad::core::value& v) const;
  };

  template <>
  struct object_with_zone<wamp_metad::core::value> {
    void operator()(msgpack::object::with_zone& o, const wamp_metad::core::value& v) const;
  };

  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {

  template <typename Stream>
  msgpack::packer<Stream>& pack<wamp_metad::core::value>::operator()(msgpack::packer<Stream>& o,
                                                                     const wamp_metad::core::value& v) const {
    namespace core = wamp_metad::core;
    if (v.is_null()) {
      o.pack_nil();
    } else if (const auto* b = v.get_if<bool>()) {
      if (*b)
        o.pack_true();
      else
        o.pack_false();
    } else if (const auto* i = v.get_if<std::int64_t>()) {
      o.pack(*i);
    } else if (const auto* u = v.get_if<std::uint64_t>()) {
      o.pack(*u);
    } else if (const auto* d = v.get_if<double>()) {
      o.pack(*d);
    } else if (const auto* s = v.get_if<std::string>()) {
      o.pack(*s);
    } else if (const auto* bin = v.get_if<core::binary>()) {
      o.pack_bin(static_cast<uint32_t>(bin->bytes.size()));
      o.pack_bin_body(reinterpret_cast<const char*>(bin->bytes.data()), static_cast<uint32_t>(bin->bytes.size()));
    } else if (const auto* a = v.get_if<core::array>()) {
      o.pack_array(static_cast<uint32_t>(a->size()));
      for (const auto& e : *a)
        (*this)(o, e);
    } else if (const auto* m = v.get_if<core::object>()) {
      o.pack_map(static_cast<uint32_t>(m->size()));
      for (const auto& [k, e] : *m) {
        o.pack(k);
        (*this)(o, e);
      }
    }
    return o;
  }

  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
