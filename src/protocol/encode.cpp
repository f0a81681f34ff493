#include "wamp_metad/protocol/encode.hpp"

#include <cstring>

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {

  void object_with_zone<wamp_metad::core::value>::operator()(msgpack::object::with_zone& o,
                                                             const wamp_metad::core::value& v) const {
    namespace core = wamp_metad::core;
    if (v.is_null()) {
      o.type = msgpack::type::NIL;
    } else if (const auto* b = v.get_if<bool>()) {
      o.type = msgpack::type::BOOLEAN;
      o.via.boolean = *b;
    } else if (const auto* i = v.get_if<std::int64_t>()) {
      if (*i >= 0) {
        o.type = msgpack::type::POSITIVE_INTEGER;
        o.via.u64 = static_cast<uint64_t>(*i);
      } else {
        o.type = msgpack::type::NEGATIVE_INTEGER;
        o.via.i64 = *i;
      }
    } else if (const auto* u = v.get_if<std::uint64_t>()) {
      o.type = msgpack::type::POSITIVE_INTEGER;
      o.via.u64 = *u;
    } else if (const auto* d = v.get_if<double>()) {
      o.type = msgpack::type::FLOAT64;
      o.via.f64 = *d;
    } else if (const auto* s = v.get_if<std::string>()) {
      char* p = static_cast<char*>(o.zone.allocate_no_align(s->size()));
      if (!s->empty()) std::memcpy(p, s->data(), s->size());
      o.type = msgpack::type::STR;
      o.via.str.ptr = p;
      o.via.str.size = static_cast<uint32_t>(s->size());
    } else if (const auto* bin = v.get_if<core::binary>()) {
      char* p = static_cast<char*>(o.zone.allocate_no_align(bin->bytes.size()));
      if (!bin->bytes.empty()) std::memcpy(p, bin->bytes.data(), bin->bytes.size());
      o.type = msgpack::type::BIN;
      o.via.bin.ptr = p;
      o.via.bin.size = static_cast<uint32_t>(bin->bytes.size());
    } else if (const auto* a = v.get_if<core::array>()) {
      o.type = msgpack::type::ARRAY;
      o.via.array.size = static_cast<uint32_t>(a->size());
      o.via.array.ptr = a->empty() ? nullptr
                                   : static_cast<msgpack::object*>(o.zone.allocate_align(
                                         sizeof(msgpack::object) * a->size(), MSGPACK_ZONE_ALIGNOF(msgpack::object)));
      for (std::size_t i = 0; i < a->size(); ++i)
        o.via.array.ptr[i] = msgpack::object((*a)[i], o.zone);
    } else if (const auto* m = v.get_if<core::object>()) {
      o.type = msgpack::type::MAP;
      o.via.map.size = static_cast<uint32_t>(m->size());
      o.via.map.ptr = m->empty()
                          ? nullptr
                          : static_cast<msgpack::object_kv*>(o.zone.allocate_align(
                                sizeof(msgpack::object_kv) * m->size(), MSGPACK_ZONE_ALIGNOF(msgpack::object_kv)));
      for (std::size_t i = 0; i < m->size(); ++i) {
        o.via.map.ptr[i].key = msgpack::object((*m)[i].first, o.zone);
        o.via.map.ptr[i].val = msgpack::object((*m)[i].second, o.zone);
      }
    }
  }

  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
