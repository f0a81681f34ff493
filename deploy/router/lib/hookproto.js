'use strict'
// Hook protocol v1 (docs/hook-protocol.md), apart from any router: the epoch and the gap-free seq, the table of
// hooked sessions, the tombstones of those that left lately, the frozen views behind snapshot cursors, and the
// procedures router.session.snapshot / sync / kill.
//
// A session is a plain info dict ({realm, session, authid, authrole, authmethod, authprovider, transport,
// authextra?}) plus its owner, the one that can end it. What the protocol needs from the router it gets from a
// binding (lib/fox is the one for fox-wamp):
//   binding.attach(hooks)              from now on call hooks.joined(info, owner) when a session has joined a
//                                      realm of hooks.realms (before its WELCOME) and hooks.left(id) once it is
//                                      gone from it, and make no session id that hooks.has(id)
//   binding.register(uri, handler)     a procedure on the internal realm: handler(args, kwargs, caller) returns
//                                      the result's args (or a promise of them), or throws a WampError
//   binding.publish(topic, args, kwargs)  an event on the internal realm, written to every subscriber before it
//                                      returns
// and an owner has killSession(info, reason, message): end that session (GOODBYE with reason and message) so
// that its hooks.left comes back before killSession returns.
//
// Everything runs on node's single event loop, and the binding writes a hook to every subscriber's socket
// synchronously, so the joined hook of a session leaves before its WELCOME and a snapshot's seq covers exactly
// the hooks already written before its RESULT.

const crypto = require('crypto')
const { URI_RE, WampError, invalidArgument } = require('./wamp')

const CURSOR_TTL_MS = 60000
const MAX_VIEWS = 64
const MAX_LEFT = 10000 // tombstones kept at most, whatever the retention (keeps the first page small)

class HookProtocol {
  constructor ({ binding, realms, epoch, pageSize, leftRetentionMs = 300000 }) {
    this.binding = binding
    this.realms = new Set(realms) // the client realms whose sessions are hooked
    this.epoch = epoch
    this.pageSize = pageSize
    this.seq = 0
    this.pendingSkip = 0
    this.registry = new Map() // session id -> {info, owner}
    this.views = new Map() // view id -> {sessions, seq, expires}
    this.leftRetentionMs = leftRetentionMs
    this.tombstones = [] // sessions that left, oldest first: {info, at}
    this.stopped = false
  }

  start () {
    this.sweeper = setInterval(() => this.sweepViews(), 10000)
    this.sweeper.unref()
    this.binding.attach(this)
    this.binding.register('router.session.snapshot', args => this.snapshot(args))
    this.binding.register('router.session.sync', () => [this.epoch, this.seq])
    this.binding.register('router.session.kill', (args, kwargs) => this.kill(args, kwargs))
  }

  // From now on no hook goes out: the sessions the router closes while it shuts down leave silently.
  stop () {
    this.stopped = true
    clearInterval(this.sweeper)
  }

  has (id) {
    return this.registry.has(id)
  }

  // The infos of the sessions one owner made, oldest first (the test switches end theirs in bulk).
  * sessionsOf (owner) {
    for (const entry of this.registry.values()) if (entry.owner === owner) yield entry.info
  }

  // A session has joined a hooked realm (before its WELCOME).
  joined (info, owner) {
    if (!this.realms.has(info.realm)) return
    this.registry.set(info.session, { info, owner })
    this.publishHook('router.session.joined', info)
  }

  // A session is gone from its realm; unknown ids (sessions that were never hooked) are ignored.
  left (id) {
    const entry = this.registry.get(id)
    if (!entry) return
    this.registry.delete(id)
    this.publishHook('router.session.left', entry.info)
  }

  // The next hook's seq jumps by n more than 1 (a simulated lost hook); returns the seq that hook will carry.
  skip (n) {
    this.pendingSkip += n
    return this.seq + this.pendingSkip + 1
  }

  publishHook (topic, info) {
    if (this.stopped) return
    this.seq += 1 + this.pendingSkip
    this.pendingSkip = 0
    const hook = Object.assign({}, info, { epoch: this.epoch, seq: this.seq })
    this.binding.publish(topic, [hook])
    if (topic === 'router.session.left' && this.leftRetentionMs > 0) {
      this.tombstones.push({ info, at: Date.now() })
      if (this.tombstones.length > MAX_LEFT) this.tombstones.splice(0, this.tombstones.length - MAX_LEFT)
    }
  }

  // The tombstones still within the retention window, oldest first.
  recentlyLeft (now) {
    let first = 0
    while (first < this.tombstones.length && now - this.tombstones[first].at > this.leftRetentionMs) first++
    if (first > 0) this.tombstones.splice(0, first)
    return this.tombstones.map(e => e.info)
  }

  // ------------------------------------------------------------------------------------------ procedures

  snapshot (args) {
    const now = Date.now()
    let viewId, view, offset
    let firstPage = false
    if (args.length === 0 || args[0] === null || args[0] === undefined) {
      viewId = crypto.randomBytes(9).toString('base64url')
      view = { sessions: Array.from(this.registry.values(), e => e.info), seq: this.seq, expires: now + CURSOR_TTL_MS }
      firstPage = true
      offset = 0
      if (this.views.size >= MAX_VIEWS) this.views.delete(this.views.keys().next().value) // oldest
      this.views.set(viewId, view)
    } else {
      const m = typeof args[0] === 'string' ? /^([A-Za-z0-9_-]+):(\d+)$/.exec(args[0]) : null
      if (!m) throw invalidArgument('cursor must be a string returned as next_cursor')
      viewId = m[1]
      offset = Number(m[2])
      view = this.views.get(viewId)
      if (!view || view.expires < now || offset >= view.sessions.length) {
        if (view && view.expires < now) this.views.delete(viewId)
        throw invalidArgument(`unknown or expired snapshot cursor '${args[0]}'`)
      }
    }
    const end = offset + this.pageSize
    const page = { epoch: this.epoch, seq: view.seq, sessions: view.sessions.slice(offset, end) }
    if (firstPage) page.left = this.recentlyLeft(now)
    if (end < view.sessions.length) {
      page.next_cursor = `${viewId}:${end}`
      view.expires = now + CURSOR_TTL_MS
    } else {
      this.views.delete(viewId)
    }
    return [page]
  }

  sweepViews () {
    const now = Date.now()
    for (const [id, v] of this.views) if (v.expires < now) this.views.delete(id)
    this.recentlyLeft(now)
  }

  kill (args, kwargs) {
    const session = args[0]
    const reason = args.length > 1 ? args[1] : kwargs.reason
    const message = args.length > 2 ? args[2] : kwargs.message
    if (!Number.isInteger(session)) throw invalidArgument('session must be an integer id')
    if (reason !== undefined && reason !== null) {
      if (typeof reason !== 'string') throw invalidArgument('reason must be a URI string')
      if (!URI_RE.test(reason)) throw new WampError('wamp.error.invalid_uri', [`invalid reason URI '${reason}'`])
    }
    if (message !== undefined && message !== null && typeof message !== 'string') {
      throw invalidArgument('message must be a string')
    }
    const entry = this.registry.get(session)
    if (!entry) throw new WampError('wamp.error.no_such_session', [`no session ${session}`])
    entry.owner.killSession(entry.info, reason || 'wamp.close.killed', message)
    return [true]
  }
}

module.exports = { HookProtocol }
