#include "wamp_metad/core/session.hpp"

namespace wamp_metad::core {

bool operator==(const session_record& a, const session_record& b) {
  return a.id == b.id && a.realm == b.realm && a.authid == b.authid && a.authrole == b.authrole &&
         a.authmethod == b.authmethod && a.authprovider == b.authprovider && a.authextra == b.authextra &&
         a.transport == b.transport;
}

value details(const session_record& s) {
  object d;
  d.reserve(8);
  d.emplace_back("session", s.id.value);
  d.emplace_back("authid", s.authid);
  d.emplace_back("authrole", s.authrole);
  d.emplace_back("authmethod", s.authmethod);
  d.emplace_back("authprovider", s.authprovider);
  d.emplace_back("realm", s.realm);
  if (s.authextra) d.emplace_back("authextra", *s.authextra);
  d.emplace_back(
      "transport",
      object{{"type", s.transport.type}, {"serializer", s.transport.serializer}, {"peer", s.transport.peer}});
  return d;
}

array on_leave_arguments(const session_record& s) {
  return array{s.id.value, s.authid, s.authrole};
}

}  // namespace wamp_metad::core
