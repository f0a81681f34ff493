'use strict'
// Testaments kept by the router (docs/hook-protocol.md, "Testaments kept by the router", optional): the meta
// role hands each testament it accepted (wamp.session.add_testament) to the router, which keeps it with the
// session and publishes it on the session's realm when the session leaves, just before the left hook: a
// testament then outlives any restart or takeover of wamp-metad, and is published exactly once. A quiet leave
// (the meta role's kill_all) publishes none.
//
//   router.meta.keep_testament  [realm, session, scope, topic, args, kwargs, limits?] -> [count kept for the
//                               session]; limits {per_session, bytes_per_session}: the meta role's, where lower
//   router.meta.flush_testaments [realm, session, scope | null] -> [count forgotten]
//
// Bounded like wamp-metad's own store: per session (count and packed size) and in all.

const { URI_RE, WampError, invalidArgument, requireRole, isPlainObject } = require('./wamp')

const SCOPES = ['detached', 'destroyed']

class Testaments {
  constructor ({ binding, hooks, metaRole, perSession = 32, bytesPerSession = 64 << 10, totalBytes = 64 << 20 }) {
    this.binding = binding
    this.hooks = hooks
    this.metaRole = metaRole
    this.limits = { perSession, bytesPerSession, totalBytes }
    this.held = new Map() // session id -> {realm, detached: [], destroyed: [], count, bytes}
    this.total = 0
  }

  start () {
    this.binding.register('router.meta.keep_testament', (args, kwargs, caller) => this.keep(args, caller))
    this.binding.register('router.meta.flush_testaments', (args, kwargs, caller) => this.flush(args, caller))
    // Just before a session's left hook: its testaments go out (none for a quiet leave).
    this.hooks.beforeLeft = (info, quiet) => this.release(info, quiet)
  }

  keep (args, caller) {
    requireRole(caller, this.metaRole, 'keep testaments')
    if (args.length < 6 || args.length > 7) throw invalidArgument('expected [realm, session, scope, topic, args, kwargs, limits?]')
    const [realm, session, scope, topic, targs, tkwargs, asked] = args
    if (asked !== undefined && asked !== null && !isPlainObject(asked)) throw invalidArgument('limits must be a dict')
    // The meta role's own limits (per session) hold too, where they are lower.
    const limits = { ...this.limits }
    for (const k of ['perSession', 'bytesPerSession']) {
      const v = asked && asked[k === 'perSession' ? 'per_session' : 'bytes_per_session']
      if (Number.isInteger(v) && v >= 0) limits[k] = Math.min(limits[k], v)
    }
    this.check(realm, session)
    if (!SCOPES.includes(scope)) throw invalidArgument(`scope must be 'detached' or 'destroyed', got ${JSON.stringify(scope)}`)
    if (typeof topic !== 'string' || !URI_RE.test(topic)) throw new WampError('wamp.error.invalid_uri', ['invalid topic URI'])
    if (!Array.isArray(targs)) throw invalidArgument('args must be a list')
    if (!isPlainObject(tkwargs)) throw invalidArgument('kwargs must be a dict')
    const info = this.hooks.infoOf(session)
    if (!info || info.realm !== realm) throw new WampError('wamp.error.no_such_session', [`no session ${session} in ${realm}`])
    const bytes = Buffer.byteLength(JSON.stringify([topic, targs, tkwargs]))
    let entry = this.held.get(session)
    const count = entry ? entry.count : 0
    const used = entry ? entry.bytes : 0
    if (count + 1 > limits.perSession) {
      throw invalidArgument(`session ${session} already has ${count} testaments, the most kept per session`)
    }
    if (used + bytes > limits.bytesPerSession) {
      throw invalidArgument(`this testament (${bytes} bytes) would take session ${session} over ` +
        `${limits.bytesPerSession} bytes of testaments (it holds ${used})`)
    }
    if (this.total + bytes > this.limits.totalBytes) throw invalidArgument('the router holds as many testaments as it may')
    if (!entry) {
      entry = { realm, detached: [], destroyed: [], count: 0, bytes: 0 }
      this.held.set(session, entry)
    }
    entry[scope].push({ topic, args: targs, kwargs: tkwargs, bytes })
    entry.count++
    entry.bytes += bytes
    this.total += bytes
    return [entry.count]
  }

  flush (args, caller) {
    requireRole(caller, this.metaRole, 'flush testaments')
    if (args.length < 2 || args.length > 3) throw invalidArgument('expected [realm, session, scope?]')
    const [realm, session, scope] = args
    this.check(realm, session)
    if (scope !== undefined && scope !== null && !SCOPES.includes(scope)) {
      throw invalidArgument(`scope must be 'detached', 'destroyed' or null, got ${JSON.stringify(scope)}`)
    }
    const entry = this.held.get(session)
    if (!entry || entry.realm !== realm) return [0]
    let n = 0
    for (const s of scope ? [scope] : SCOPES) {
      for (const t of entry[s]) {
        entry.bytes -= t.bytes
        this.total -= t.bytes
      }
      n += entry[s].length
      entry.count -= entry[s].length
      entry[s] = []
    }
    if (entry.count === 0) this.held.delete(session)
    return [n]
  }

  check (realm, session) {
    if (typeof realm !== 'string' || !this.hooks.realms.has(realm)) {
      throw invalidArgument(`realm must be a configured client realm, got ${JSON.stringify(realm)}`)
    }
    if (!Number.isInteger(session)) throw invalidArgument('session must be an integer id')
  }

  // The detached bucket, then the destroyed one, each in the order added.
  release (info, quiet) {
    const entry = this.held.get(info.session)
    if (!entry) return
    this.held.delete(info.session)
    this.total -= entry.bytes
    if (quiet) return
    for (const s of SCOPES) for (const t of entry[s]) this.binding.publishOn(entry.realm, t.topic, t.args, t.kwargs)
  }
}

module.exports = { Testaments }
