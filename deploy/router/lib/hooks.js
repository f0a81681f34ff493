'use strict'
// Hook protocol v1 (docs/hook-protocol.md): an in-process session on the internal realm publishes
// router.session.joined / router.session.left and serves router.session.snapshot / sync / kill (and, with
// --test-switches, router.test.*). Everything runs on node's single event loop; a hook is written to every
// subscriber's socket synchronously inside the realm's join/leave, so the joined hook of a session leaves
// before its WELCOME and a snapshot's seq covers exactly the hooks already written before its RESULT.

const crypto = require('crypto')
const Session = require('fox-wamp/lib/session')
const Context = require('fox-wamp/lib/context')
const { RESULT_OK } = require('fox-wamp/lib/messages')
const { wampUriParse } = require('fox-wamp/lib/topic_pattern')
const { WampError } = require('./gate')
const { URI_RE, isPlainObject } = require('./config')
const log = require('./log')

const CURSOR_TTL_MS = 60000
const MAX_VIEWS = 64
const MAX_LEFT = 10000 // tombstones kept at most, whatever the retention (keeps the first page small)
// Fabricated sessions are made (and removed) this many at a time, each batch in a turn of the event loop of
// its own: a million of them must not keep the router from serving everything else for seconds.
const FABRICATE_BATCH = 2000
const nextTurn = () => new Promise(resolve => setImmediate(resolve))

// The router's own session on the internal realm. fox-wamp's realm engine talks to it through this context.
class InternalContext extends Context {
  sendRegistered () {}
  sendUnregistered () {}
  sendSubscribed () {}
  sendUnsubscribed () {}
  sendPublished () {}
  sendEndSubscribe () {}
  sendEvent () {}
  sendResult () {}

  sendError (cmd, code, text) {
    log.error(`BUG: internal session got error ${code} ${text || ''}`)
  }

  // A client called one of our procedures: run the handler and answer at once (synchronously), or once the
  // promise it returned settles (the test switches that make many sessions yield to the event loop).
  sendInvoke (cmd) {
    const handler = cmd.id.handler
    const args = cmd.data && Array.isArray(cmd.data.args) ? cmd.data.args : []
    const kwargs = isPlainObject(cmd.hdr) ? cmd.hdr : {}
    const ok = result => ({ qid: cmd.qid, data: { args: result === undefined ? [] : result }, opt: {}, rqt: RESULT_OK })
    const failed = e => {
      if (!(e instanceof WampError)) log.error(`BUG: ${cmd.uri.join('.')} failed:`, e)
      const err = e instanceof WampError ? e : new WampError('wamp.error.runtime_error', [String(e.message)])
      return { qid: cmd.qid, err: { uri: err.uri }, data: { args: err.args }, hdr: err.kwargs, opt: {}, rqt: RESULT_OK }
    }
    let result
    try {
      result = handler(args, kwargs, (cmd.opt && cmd.opt.caller) || {})
    } catch (e) {
      return this.session.realm.cmdYield(this, failed(e))
    }
    if (result && typeof result.then === 'function') {
      result.then(r => ok(r), failed).then(reply => { if (!this.session.hub.stopped) this.session.realm.cmdYield(this, reply) })
    } else {
      this.session.realm.cmdYield(this, ok(result))
    }
  }
}

class InternalSession extends Session {
  constructor (router, realm, hub) {
    super(router.makeSessionId())
    this.hub = hub
    this.setGateProtocol('internal')
    this.ctx = new InternalContext(router, this)
    realm.joinSession(this)
    this.realmRef = realm
  }

  register (uri, handler) {
    this.realmRef.cmdRegRpc(this.ctx, { id: { handler }, uri: wampUriParse(uri), opt: { simultaneousTaskLimit: -1 } })
  }

  publish (topic, args, kwargs) {
    this.realmRef.cmdPush(this.ctx, {
      id: undefined,
      uri: wampUriParse(topic),
      hdr: kwargs || undefined,
      data: { args: args || [] },
      opt: { exclude_me: true },
      ack: false
    })
  }
}

function invalid (message) {
  return new WampError('wamp.error.invalid_argument', [message])
}

class HookHub {
  constructor ({ router, realms, epoch, pageSize, leftRetentionMs = 300000, testSwitches }) {
    this.router = router
    this.realms = new Set(realms) // configured (hooked) realm names
    this.epoch = epoch
    this.pageSize = pageSize
    this.testSwitches = testSwitches
    this.seq = 0
    this.pendingSkip = 0
    this.registry = new Map() // session id -> {info, conn?, fabricated?, foxSession?}
    this.views = new Map() // view id -> {sessions, left, seq, expires}
    this.leftRetentionMs = leftRetentionMs
    this.left = [] // tombstones, oldest first: {info, at}
    this.fabricatedCount = 0
    this.stopped = false
    this.sweeper = setInterval(() => this.sweepViews(), 10000)
    this.sweeper.unref()
  }

  attach (internalRealm) {
    this.internal = new InternalSession(this.router, internalRealm, this)
    const reg = (uri, fn) => this.internal.register(uri, fn.bind(this))
    reg('router.session.snapshot', this.snapshot)
    reg('router.session.sync', () => [this.epoch, this.seq])
    reg('router.session.kill', this.kill)
    if (this.testSwitches) {
      reg('router.test.skip_seq', this.testSkipSeq)
      reg('router.test.publish_raw', this.testPublishRaw)
      reg('router.test.fabricate', this.testFabricate)
      reg('router.test.unfabricate', this.testUnfabricate)
    }
  }

  stop () {
    this.stopped = true
    clearInterval(this.sweeper)
  }

  publishHook (topic, info) {
    if (this.stopped) return
    this.seq += 1 + this.pendingSkip
    this.pendingSkip = 0
    const hook = Object.assign({}, info, { epoch: this.epoch, seq: this.seq })
    this.internal.publish(topic, [hook])
    if (topic === 'router.session.left' && this.leftRetentionMs > 0) {
      this.left.push({ info, at: Date.now() })
      if (this.left.length > MAX_LEFT) this.left.splice(0, this.left.length - MAX_LEFT)
    }
  }

  // The tombstones still within the retention window, oldest first.
  recentlyLeft (now) {
    let first = 0
    while (first < this.left.length && now - this.left[first].at > this.leftRetentionMs) first++
    if (first > 0) this.left.splice(0, first)
    return this.left.map(e => e.info)
  }

  // Called by the realm right after a session joined (before WELCOME is sent).
  onJoin (realmName, session) {
    if (!session.metaInfo || !this.realms.has(realmName)) return
    this.registry.set(session.sessionId, { info: session.metaInfo, conn: session.conn })
    this.publishHook('router.session.joined', session.metaInfo)
  }

  // Called by the realm right after a session was removed from it.
  onLeave (realmName, session) {
    const entry = this.registry.get(session.sessionId)
    if (!entry || entry.fabricated) return
    this.registry.delete(session.sessionId)
    this.publishHook('router.session.left', entry.info)
  }

  // ------------------------------------------------------------------------------------------ procedures

  snapshot (args) {
    const now = Date.now()
    let viewId, view, offset
    let firstPage = false
    if (args.length === 0 || args[0] === null || args[0] === undefined) {
      viewId = crypto.randomBytes(9).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
      view = { sessions: Array.from(this.registry.values(), e => e.info), seq: this.seq, expires: now + CURSOR_TTL_MS }
      firstPage = true
      offset = 0
      if (this.views.size >= MAX_VIEWS) this.views.delete(this.views.keys().next().value) // oldest
      this.views.set(viewId, view)
    } else {
      const m = typeof args[0] === 'string' ? /^([A-Za-z0-9_-]+):(\d+)$/.exec(args[0]) : null
      if (!m) throw invalid('cursor must be a string returned as next_cursor')
      viewId = m[1]
      offset = Number(m[2])
      view = this.views.get(viewId)
      if (!view || view.expires < now || offset >= view.sessions.length) {
        if (view && view.expires < now) this.views.delete(viewId)
        throw invalid(`unknown or expired snapshot cursor '${args[0]}'`)
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
    if (!Number.isInteger(session)) throw invalid('session must be an integer id')
    if (reason !== undefined && reason !== null) {
      if (typeof reason !== 'string') throw invalid('reason must be a URI string')
      if (!URI_RE.test(reason)) throw new WampError('wamp.error.invalid_uri', [`invalid reason URI '${reason}'`])
    }
    if (message !== undefined && message !== null && typeof message !== 'string') throw invalid('message must be a string')
    const entry = this.registry.get(session)
    if (!entry) throw new WampError('wamp.error.no_such_session', [`no session ${session}`])
    if (entry.fabricated) {
      this.removeFabricated(session, entry)
    } else {
      log.info(`killing session ${session} (${entry.info.realm}, ${entry.info.authid}): ${reason || 'wamp.close.killed'}`)
      entry.conn.goodbye(reason || 'wamp.close.killed', message)
    }
    return [true]
  }

  // ------------------------------------------------------------------------------------------ test switches

  testSkipSeq (args) {
    const n = args.length > 0 && args[0] !== null ? args[0] : 1
    if (!Number.isInteger(n) || n < 0 || n > 1e9) throw invalid('n must be an integer 0..1e9')
    this.pendingSkip += n
    return [this.seq + this.pendingSkip + 1]
  }

  testPublishRaw (args) {
    const [topic, pargs, pkwargs] = args
    if (typeof topic !== 'string' || !URI_RE.test(topic)) throw invalid('topic must be a URI string')
    if (pargs !== undefined && pargs !== null && !Array.isArray(pargs)) throw invalid('args must be a list or null')
    if (pkwargs !== undefined && pkwargs !== null && !isPlainObject(pkwargs)) throw invalid('kwargs must be a dict or null')
    this.internal.publish(topic, pargs || [], pkwargs || undefined)
    return []
  }

  testFabricate (args, kwargs) {
    const [realm, count] = args
    if (!this.realms.has(realm)) throw invalid(`'${realm}' is not a configured client realm`)
    if (!Number.isInteger(count) || count < 0 || count > 1000000) throw invalid('count must be an integer 0..1000000')
    const authrole = typeof kwargs.authrole === 'string' ? kwargs.authrole : 'fabricated'
    if (kwargs.native !== undefined && typeof kwargs.native !== 'boolean') throw invalid('native must be true or false')
    return this.fabricateBatches(realm, count, authrole, kwargs.native === true)
  }

  // Between two batches: the rest of the event loop runs; a router that stopped meanwhile ends the call.
  async nextBatch () {
    await nextTurn()
    if (this.stopped) throw new WampError('wamp.error.canceled', ['the router is stopping'])
  }

  // `native`: each one is also a session of fox-wamp's realm (without a socket, like fox-wamp's own internal
  // API session), so that fox-wamp's native meta API (--native-meta) counts and lists it too.
  async fabricateBatches (realm, count, authrole, native) {
    const ids = new Array(count)
    const foxRealm = native ? this.router.findRealm(realm) : null
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % FABRICATE_BATCH === 0) await this.nextBatch()
      let id
      let foxSession = null
      if (native) {
        foxSession = this.router.createSession() // an id unique among live and fabricated sessions
        foxSession.setGateProtocol('internal.fabricated')
        id = foxSession.sessionId
      } else {
        do id = this.router.makeSessionId(); while (this.registry.has(id))
      }
      const n = ++this.fabricatedCount
      const info = {
        realm,
        session: id,
        authid: `fabricated-${n}`,
        authrole,
        authmethod: 'anonymous',
        authprovider: 'static',
        transport: { type: 'rawsocket', serializer: 'msgpack', peer: 'tcp4:127.0.0.1:0' }
      }
      this.registry.set(id, { info, fabricated: true, foxSession })
      this.publishHook('router.session.joined', info)
      // Its hook is out already: the realm's own join notification finds no metaInfo on it and stays quiet.
      if (foxSession) foxRealm.joinSession(foxSession)
      ids[i] = id
    }
    return [ids]
  }

  testUnfabricate (args) {
    const realm = args.length > 0 ? args[0] : null
    if (realm !== null && !this.realms.has(realm)) throw invalid(`'${realm}' is not a configured client realm`)
    return this.unfabricateBatches(realm)
  }

  async unfabricateBatches (realm) {
    const ids = []
    for (const [id, entry] of this.registry) {
      if (entry.fabricated && (realm === null || entry.info.realm === realm)) ids.push(id)
    }
    let n = 0
    for (let i = 0; i < ids.length; i++) {
      if (i > 0 && i % FABRICATE_BATCH === 0) await this.nextBatch()
      const entry = this.registry.get(ids[i])
      if (entry && entry.fabricated) { // a kill may have removed it meanwhile
        this.removeFabricated(ids[i], entry)
        n++
      }
    }
    return [n]
  }

  removeFabricated (id, entry) {
    this.registry.delete(id)
    this.publishHook('router.session.left', entry.info)
    if (entry.foxSession) { // its left hook is out already: the realm's leave notification finds no entry
      Promise.resolve(this.router.findRealm(entry.info.realm).leaveSession(entry.foxSession)).catch(() => {})
      this.router.removeSession(entry.foxSession)
    }
  }
}

module.exports = { HookHub }
