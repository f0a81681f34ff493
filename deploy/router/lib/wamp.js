'use strict'
// WAMP vocabulary that every layer shares and that belongs to no router: the shape of URIs and dicts, and the
// ERROR reply a handler throws. The configuration, the hook protocol, the test switches and the fox-wamp
// binding all use it, so it lives apart from each of them.

// Realm names and URIs: dot-separated non-empty components without whitespace, '#' or '*'.
const URI_RE = /^[^\s.#*]+(\.[^\s.#*]+)*$/
// What a URI starts with: non-empty components, the last one may be empty ("com.example.", or "" for all).
const PREFIX_URI_RE = /^([^\s.#*]+\.)*[^\s.#*]*$/
// A wildcard pattern: the same components, where an empty one stands for any one component.
const WILDCARD_URI_RE = /^([^\s.#*]*\.)*[^\s.#*]*$/

// A WAMP dict as the decoders deliver it (a JSON object, a msgpack map): any object that is not a list.
function isPlainObject (v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

// An ERROR reply carrying a URI, args and kwargs; thrown by handlers, sent by whoever answers the request.
class WampError extends Error {
  constructor (uri, args, kwargs) {
    super(`${uri}${args && args.length ? ': ' + args[0] : ''}`)
    this.uri = uri
    this.args = args || []
    this.kwargs = kwargs
  }
}

function invalidArgument (message) {
  return new WampError('wamp.error.invalid_argument', [message])
}

// The router's own procedures on the internal realm answer the meta role only. Only it can join that realm;
// this repeats the rule where it matters. caller: {caller, caller_authrole} as the binding passes it.
function requireRole (caller, role, what) {
  if (caller.caller_authrole !== role || !Number.isInteger(caller.caller)) {
    throw new WampError('wamp.error.not_authorized', [`only authrole '${role}' may ${what}`])
  }
}

module.exports = { URI_RE, PREFIX_URI_RE, WILDCARD_URI_RE, isPlainObject, WampError, invalidArgument, requireRole }
