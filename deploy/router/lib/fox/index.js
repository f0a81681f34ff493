'use strict'
// The fox-wamp binding: everything that touches fox-wamp lives in this folder (this file and gate.js, the WAMP
// session layer); nothing outside it requires fox-wamp. It gives the hook protocol (lib/hookproto.js),
// router.meta.features (lib/metafeatures.js) and the test switches (lib/testswitches.js) what they ask of a
// router, and the transports their gate.
//
// Pinned to fox-wamp 0.7.28 exactly (package.json and package-lock.json): most of what follows is not fox-wamp's
// public API, and any other version may change it. What the binding relies on, file by file:
//   lib/fox_router.js (FoxRouter, the package's main export)  its constructor installs fox-wamp's own partial
//                                 meta API (ext/metauser.js) as a 'realm.created' listener, removed without
//                                 --native-meta
//   lib/router.js (Router)        _sessions (Map id -> Session), makeSessionId() (overridden: called by
//                                 createSession and by a realm's wampApi), createSession(), getSession(id),
//                                 removeSession(session) (runs session.cleanup(), hence realm.leaveSession),
//                                 createRealm(name) (overridden), initRealm(name, realm), findRealm(name)
//   lib/realm.js (BaseRealm)      joinSession / leaveSession (overridden; leaveSession returns a promise),
//                                 cmdRegRpc, cmdUnRegRpc, cmdCallRpc, cmdYield, cmdTrace, cmdUnTrace, cmdPush with
//                                 their cmd shapes {id, qid, unr, uri (split on dots), opt, hdr (kwargs), data
//                                 {args}, err, rqt, ack}; realmName (set here); engine.wSub[uri] (the
//                                 registrations of a URI, to refuse a second one); engine.qYield.defers (Map
//                                 taskId -> call with destSID {calleeId: true}, ctx and msg.id, to fail the calls
//                                 of a callee that left); a REGISTER's request id comes back as the id of each
//                                 invocation (ActorReg.callWorker), which carries the handler of the router's
//                                 own procedures
//   lib/mono/memengine.js         MemEngine, the realm engine
//   lib/session.js (Session)      new Session(id), sessionId, realm, realmName, secureDetails,
//                                 setGateProtocol, setAuthMethod, setUserDetails, getSub(registrationId).msg.opt
//   lib/context.js (Context)      new Context(router, session), session; the engine calls its send* methods
//                                 (sendInvoke, sendResult, sendEvent, sendError, sendRegistered, ...) with cmds
//                                 {id, qid, subId, traceId, uri, opt, data {args}, hdr, err, rsp}
//   lib/wamp/gate.js              WampGate (new WampGate(router), getRouter()), WampSocketWriterContext (its
//                                 send* methods for the replies gate.js does not replace, writing through
//                                 wampSend / wampClose)
//   lib/wamp/msg.js               wampErrorCode (fox-wamp's numeric error codes to URIs)
//   lib/realm_error.js            RealmError (code), thrown by the engine, e.g. by cmdYield for an unknown
//                                 invocation
//   lib/messages.js               REALM_CREATED, RESULT_OK, RESULT_EMIT
//   lib/topic_pattern.js          wampUriParse
//
// To put the hook protocol on another router, write a binding like this one for it.

const crypto = require('crypto')
const FoxRouter = require('fox-wamp')
const { BaseRealm } = require('fox-wamp/lib/realm')
const { MemEngine } = require('fox-wamp/lib/mono/memengine')
const Session = require('fox-wamp/lib/session')
const Context = require('fox-wamp/lib/context')
const { REALM_CREATED, RESULT_OK } = require('fox-wamp/lib/messages')
const { wampUriParse } = require('fox-wamp/lib/topic_pattern')
const { MetadGate } = require('./gate')
const { WampError, isPlainObject } = require('../wamp')
const log = require('../log')

// A realm whose join/leave reach the binding (on the hooked realms). joinSession runs before the gate sends
// WELCOME; leaveSession reports after fox-wamp removed the session and its registrations/subscriptions.
class HookedRealm extends BaseRealm {
  joinSession (session) {
    super.joinSession(session)
    if (this.binding) this.binding.sessionJoined(session)
  }

  leaveSession (session) {
    const done = super.leaveSession(session)
    this.failPendingCalls(session.sessionId)
    if (this.binding) this.binding.sessionLeft(session)
    return done
  }

  // fox-wamp keeps a call pending forever when its callee disconnects: answer it with wamp.error.canceled.
  failPendingCalls (calleeId) {
    const defers = this.engine.qYield.defers
    for (const [taskId, call] of defers) {
      if (!call.destSID || !Object.prototype.hasOwnProperty.call(call.destSID, calleeId)) continue
      defers.delete(taskId)
      try {
        call.ctx.sendResult({ id: call.msg.id, err: { uri: 'wamp.error.canceled' },
          data: { args: ['the callee left before answering'] } })
      } catch (e) {
        log.warn('cannot cancel a pending call:', e)
      }
    }
  }
}

class MetadRouter extends FoxRouter {
  constructor ({ nativeMeta }) {
    super()
    // fox-wamp's own partial meta API is installed on realm.created; drop it unless asked for.
    if (!nativeMeta) this.removeAllListeners(REALM_CREATED)
    this.isIdTaken = () => false
  }

  // WAMP session ids: uniform in [1, 2^53], unique among live (and fabricated) sessions.
  makeSessionId () {
    for (;;) {
      const b = crypto.randomBytes(7)
      const id = (b[0] & 0x1f) * 2 ** 48 + b.readUIntBE(1, 6)
      if (id > 0 && !this._sessions.has(id) && !this.isIdTaken(id)) return id
    }
  }

  createRealm (realmName) {
    const realm = new HookedRealm(this, new MemEngine())
    realm.realmName = realmName
    return realm
  }
}

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
      result.then(r => ok(r), failed).then(reply => {
        if (!this.session.binding.stopped) this.session.realm.cmdYield(this, reply)
      })
    } else {
      this.session.realm.cmdYield(this, ok(result))
    }
  }
}

class InternalSession extends Session {
  constructor (router, realm, binding) {
    super(router.makeSessionId())
    this.binding = binding
    this.setGateProtocol('internal')
    this.ctx = new InternalContext(router, this)
    realm.joinSession(this)
    this.realmRef = realm
  }

  // The handler rides in the request id, which fox-wamp hands back with every invocation.
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

class FoxBinding {
  constructor (router, realms, internalRealm) {
    this.router = router
    this.realms = realms // client realm names
    this.internalRealm = internalRealm
    this.stopped = false
    this.internalLeftWatchers = []
    this.welcomeFeatures = new Map() // client realm -> {broker: {...}, dealer: {...}} added to its WELCOMEs
    // The internal realm's sessions are never hooked; only their leaving is watched.
    this.router.findRealm(internalRealm).binding = {
      sessionJoined () {},
      sessionLeft: session => {
        for (const fn of this.internalLeftWatchers) fn(session.sessionId)
      }
    }
  }

  // ------------------------------------------------------------------ for the hook protocol (lib/hookproto.js)

  attach (hooks) {
    this.hooks = hooks
    this.router.isIdTaken = id => hooks.has(id)
    for (const name of hooks.realms) this.router.findRealm(name).binding = this
    this.internal = new InternalSession(this.router, this.router.findRealm(this.internalRealm), this)
  }

  register (uri, handler) {
    this.internal.register(uri, handler)
  }

  publish (topic, args, kwargs) {
    this.internal.publish(topic, args, kwargs)
  }

  // Only the gate's sessions carry an info (see gate.js, establish); the internal session and fox-wamp's own
  // sessions (its wampApi, native fabricated sessions) do not, and are not hooked.
  sessionJoined (session) {
    if (session.metaInfo) this.hooks.joined(session.metaInfo, this)
  }

  sessionLeft (session) {
    this.hooks.left(session.sessionId)
  }

  // The owner's side of router.session.kill for the gate's sessions.
  killSession (info, reason, message) {
    log.info(`killing session ${info.session} (${info.realm}, ${info.authid}): ${reason}`)
    this.router.getSession(info.session).conn.goodbye(reason, message)
  }

  // ------------------------------------------------------------ for router.meta.features (lib/metafeatures.js)

  onInternalLeft (fn) {
    this.internalLeftWatchers.push(fn)
  }

  setWelcomeFeatures (realm, features) {
    if (features) this.welcomeFeatures.set(realm, features)
    else this.welcomeFeatures.delete(realm)
  }

  // ---------------------------------------------------------------- for the test switches (lib/testswitches.js)

  newSessionId () {
    return this.router.makeSessionId()
  }

  // Sessions without a socket, like fox-wamp's own API session, so that fox-wamp's native meta API counts and
  // lists them. The realm is looked up once for however many are made.
  nativeSessions (realmName) {
    const realm = this.router.findRealm(realmName)
    return {
      create: () => {
        const session = this.router.createSession() // an id unique among live and fabricated sessions
        session.setGateProtocol('internal.fabricated')
        return session.sessionId
      },
      join: id => realm.joinSession(this.router.getSession(id))
    }
  }

  // Sessions fabricated without `native` have ids fox-wamp never saw: nothing to remove for them.
  removeNativeSession (realmName, id) {
    const session = this.router.getSession(id)
    if (!session) return
    Promise.resolve(this.router.findRealm(realmName).leaveSession(session)).catch(() => {})
    this.router.removeSession(session)
  }

  // -------------------------------------------------------------------------------- for the transports

  createGate ({ auth, metaRole, permissions }) {
    this.gate = new MetadGate(this.router, { auth, realms: new Set([...this.realms, this.internalRealm]), metaRole,
      permissions, welcomeFeatures: realm => this.welcomeFeatures.get(realm) })
    return this.gate
  }

  // Router shutdown: every client gets a GOODBYE with this reason and message, and the router's own procedures
  // still under way (a long fabricate) answer nothing more.
  stop (reason, message) {
    this.stopped = true
    for (const conn of Array.from(this.gate.connections)) conn.goodbye(reason, message)
  }
}

// Makes fox-wamp's router with every realm up front: fox-wamp would create any well-formed name on demand (and
// rejects names with dots); the gate refuses unknown realms instead.
async function bindFox ({ realms, internalRealm, nativeMeta }) {
  const router = new MetadRouter({ nativeMeta })
  for (const name of [...realms, internalRealm]) {
    await router.initRealm(name, router.createRealm(name))
  }
  return new FoxBinding(router, realms, internalRealm)
}

module.exports = { bindFox }
