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
//   lib/realm.js (BaseRealm)      joinSession / leaveSession (overridden; leaveSession returns a promise and
//                                 drops the session's registrations and subscriptions without emitting anything),
//                                 cmdRegRpc / cmdUnRegRpc / cmdTrace / cmdUnTrace / cmdCallRpc (overridden, each
//                                 calling fox-wamp's: they answer REGISTERED, UNREGISTERED, SUBSCRIBED, UNSUBSCRIBED
//                                 through the context and return the new registration / subscription id or the
//                                 URI removed), cmdYield, cmdPush, with their cmd shapes {id, qid, unr, uri (split
//                                 on dots), opt, hdr (kwargs), data {args}, err, rqt, ack}; realmName (set here);
//                                 engine.qYield.defers (Map taskId -> call with destSID {calleeId: true}, ctx and
//                                 msg.id, to fail the calls of a callee that left); a REGISTER's request id comes
//                                 back as the id of each invocation (ActorReg.callWorker), which carries the
//                                 handler of the router's own procedures; cmdRegRpc stores a registration under
//                                 restoreUri(cmd.uri) (engine.addSub) and a call reaches the registrations stored
//                                 under its restoreUri(cmd.uri) exactly (engine.doCall); cmdTrace keeps the new
//                                 subscriber under the id engine.makeTraceId() gives (session.addTrace, and the
//                                 qid of its SUBSCRIBED and EVENTs); ActorTrace (subclassed: filter(event) decides
//                                 whether a matching event is delivered, event.uri split on dots; msg is the cmd
//                                 of its SUBSCRIBE, opt included)
//   lib/realm.js (BaseEngine)     makeTraceId() (overridden), createActorTrace(ctx, cmd) (overridden), wTrace (a
//                                 Qlobber matching the subscribers' cmd.uri joined with dots: '*' matches one
//                                 component, '#' any number, none included)
//   lib/mono/memengine.js         MemEngine, the realm engine (subclassed)
//   lib/session.js (Session)      new Session(id), sessionId, realm, realmName, secureDetails,
//                                 setGateProtocol, setAuthMethod, setUserDetails, getSub(registrationId).msg.opt,
//                                 removeSub(engine, registrationId), removeTrace(engine, subscriptionId)
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
//   lib/topic_pattern.js          wampUriParse, restoreUri (a URI's components joined with dots)
//
// To put the hook protocol on another router, write a binding like this one for it.

const crypto = require('crypto')
const FoxRouter = require('fox-wamp')
const { BaseRealm, ActorTrace } = require('fox-wamp/lib/realm')
const { MemEngine } = require('fox-wamp/lib/mono/memengine')
const Session = require('fox-wamp/lib/session')
const Context = require('fox-wamp/lib/context')
const { REALM_CREATED, RESULT_OK } = require('fox-wamp/lib/messages')
const { wampUriParse, restoreUri } = require('fox-wamp/lib/topic_pattern')
const { MetadGate } = require('./gate')
const { WampError, isPlainObject } = require('../wamp')
const { PatternIndex } = require('../uripatterns')
const log = require('../log')

// A WAMP id, uniform in [1, 2^53).
function randomWampId () {
  for (;;) {
    const b = crypto.randomBytes(7)
    const id = (b[0] & 0x1f) * 2 ** 48 + b.readUIntBE(1, 6)
    if (id > 0) return id
  }
}

// The registrations (or subscriptions) of one realm as WAMP clients see them: one object per (uri, match) with
// its id, creation time and member sessions, found by (match, uri), by id, and for a call by the pattern that
// decides for its URI. fox-wamp keeps one record per callee or subscriber, each with an id of its own; these are
// the objects whose ids clients are told.
class Book {
  constructor (ids) {
    this.ids = ids // the router's live ids of this kind, across realms
    this.byKey = new Map() // `${match} ${uri}` (no URI has a space) -> entry
    this.byId = new Map()
    this.index = new PatternIndex()
    this.bySession = new Map() // session id -> Set of the entries it is a member of
  }

  find (match, uri) {
    return this.byKey.get(`${match} ${uri}`)
  }

  best (uri) {
    return this.index.best(uri)
  }

  // Makes sessionId a member of (match, uri), creating that object with this id and these extra fields if it is
  // not there. Returns the entry {id, uri, match, created, ...extra, members}.
  join (sessionId, id, match, uri, extra) {
    let entry = this.find(match, uri)
    if (!entry) {
      entry = { id, uri, match, created: new Date().toISOString(), ...extra, members: new Set() }
      this.byKey.set(`${match} ${uri}`, entry)
      this.byId.set(id, entry)
      this.index.add(match, uri, entry)
      this.ids.add(id)
    }
    entry.members.add(sessionId)
    let mine = this.bySession.get(sessionId)
    if (!mine) this.bySession.set(sessionId, mine = new Set())
    mine.add(entry)
    return entry
  }

  // Takes sessionId out of the object with this id, which goes with its last member (the next one of the same
  // uri and match is a new object with a new id).
  leave (sessionId, id) {
    const entry = this.byId.get(id)
    if (!entry || !entry.members.delete(sessionId)) return
    const mine = this.bySession.get(sessionId)
    mine.delete(entry)
    if (mine.size === 0) this.bySession.delete(sessionId)
    if (entry.members.size > 0) return
    this.byKey.delete(`${entry.match} ${entry.uri}`)
    this.byId.delete(id)
    this.index.remove(entry.match, entry.uri)
    this.ids.delete(id)
  }

  dropSession (sessionId) {
    for (const entry of Array.from(this.bySession.get(sessionId) || [])) this.leave(sessionId, entry.id)
  }
}

// Where fox-wamp's engine keeps a pattern-based registration: it routes a call to the registrations stored under
// the call's URI exactly, so a pattern goes under a key no URI can be ('#' is not allowed in one), and
// HookedRealm.cmdCallRpc sends the calls it decides for there.
function registrationKey (match, uri) {
  return [`${uri}#${match}`]
}

// The engine's pattern for a WAMP subscription, in its own syntax ('*' one component, '#' any number). A WAMP
// prefix is a string prefix ("com.ex" takes in "com.example"), which whole components cannot say: the pattern
// takes in every topic that may start with the prefix, and PrefixTrace keeps those that do.
function tracePattern (match, uri) {
  const parts = wampUriParse(uri)
  if (match === 'wildcard') return parts.map(p => (p === '' ? '*' : p))
  if (match !== 'prefix') return parts
  const last = parts.pop()
  return last === '' ? [...parts, '#'] : [...parts, '*', '#']
}

class PrefixTrace extends ActorTrace {
  filter (event) {
    return restoreUri(event.uri).startsWith(this.msg.opt.prefix) && super.filter(event)
  }
}

// fox-wamp's in-memory realm engine, handing out the ids HookedRealm chose and filtering prefix subscriptions.
class HookedEngine extends MemEngine {
  makeTraceId () {
    return this.nextTraceId
  }

  createActorTrace (ctx, cmd) {
    return cmd.opt.prefix !== undefined ? new PrefixTrace(ctx, cmd) : super.createActorTrace(ctx, cmd)
  }
}

// A realm whose join/leave and registrations/subscriptions reach the binding (on the hooked realms), with WAMP's
// ids and matching on top of fox-wamp's engine: a subscription is shared by every subscriber of its (uri,
// match), one id for all of them in SUBSCRIBED, EVENT and UNSUBSCRIBE; a registration is one per (uri, match);
// prefix and wildcard registrations and subscriptions match as the WAMP spec has it. joinSession runs before the
// gate sends WELCOME; leaveSession reports after fox-wamp removed the session and its registrations and
// subscriptions (the hook protocol reports those removals itself, before the session's left hook).
class HookedRealm extends BaseRealm {
  constructor (router, engine) {
    super(router, engine)
    this.registrations = new Book(router.registrationIds)
    this.subscriptions = new Book(router.subscriptionIds)
  }

  joinSession (session) {
    super.joinSession(session)
    if (this.binding) this.binding.sessionJoined(session)
  }

  leaveSession (session) {
    const done = super.leaveSession(session)
    this.registrations.dropSession(session.sessionId)
    this.subscriptions.dropSession(session.sessionId)
    this.failPendingCalls(session.sessionId)
    if (this.binding) this.binding.sessionLeft(session)
    return done
  }

  // cmd.opt.match: 'exact' (default), 'prefix' or 'wildcard'; the gate has checked the pattern.
  cmdRegRpc (ctx, cmd) {
    const match = cmd.opt.match || 'exact'
    const uri = restoreUri(cmd.uri)
    if (this.registrations.find(match, uri)) {
      throw new WampError('wamp.error.procedure_already_exists', [`'${uri}' is already registered`])
    }
    if (match !== 'exact') cmd.uri = registrationKey(match, uri)
    const id = super.cmdRegRpc(ctx, cmd)
    this.memberAdded('registration', ctx.getSession(), this.registrations.join(ctx.getSession().sessionId, id, match,
      uri, { invoke: 'single' }))
    return id
  }

  cmdUnRegRpc (ctx, cmd) {
    const uri = super.cmdUnRegRpc(ctx, cmd)
    this.memberRemoved('registration', ctx.getSession(), cmd.unr)
    return uri
  }

  // A call goes to the registration that decides for its URI (exact, else the longest prefix, else the most
  // specific wildcard); the callee of a pattern is told the URI called (INVOCATION.Details.procedure).
  cmdCallRpc (ctx, cmd) {
    const uri = restoreUri(cmd.uri)
    const entry = this.registrations.best(uri)
    if (entry && entry.match !== 'exact') {
      cmd.uri = registrationKey(entry.match, entry.uri)
      cmd.opt = { ...cmd.opt, procedure: uri }
    }
    return super.cmdCallRpc(ctx, cmd)
  }

  // cmd.opt.match as for cmdRegRpc. A session that subscribes again to the same uri and match keeps its
  // subscription (the same id again, no second delivery).
  cmdTrace (ctx, cmd) {
    const session = ctx.getSession()
    const match = cmd.opt.match || 'exact'
    const uri = restoreUri(cmd.uri)
    const existing = this.subscriptions.find(match, uri)
    if (existing && existing.members.has(session.sessionId)) {
      ctx.sendSubscribed({ id: cmd.id, qid: existing.id })
      return existing.id
    }
    const id = existing ? existing.id : this.getRouter().newSubscriptionId()
    cmd.uri = tracePattern(match, uri)
    if (match === 'prefix') cmd.opt = { ...cmd.opt, prefix: uri }
    this.engine.nextTraceId = id
    super.cmdTrace(ctx, cmd)
    this.memberAdded('subscription', session, this.subscriptions.join(session.sessionId, id, match, uri))
    return id
  }

  cmdUnTrace (ctx, cmd) {
    const uri = super.cmdUnTrace(ctx, cmd)
    this.memberRemoved('subscription', ctx.getSession(), cmd.unr)
    return uri
  }

  // The router takes session out of a registration or subscription (router.registration.remove_callee,
  // router.subscription.remove_subscriber) and tells its client so.
  revoke (kind, session, id, reason) {
    if (kind === 'registration') session.removeSub(this.engine, id)
    else session.removeTrace(this.engine, id)
    this.memberRemoved(kind, session, id)
    if (session.conn) session.conn.revoked(kind, id, reason)
  }

  memberAdded (kind, session, entry) {
    if (this.binding) this.binding.memberAdded(kind, session, entry)
  }

  memberRemoved (kind, session, id) {
    this[kind === 'registration' ? 'registrations' : 'subscriptions'].leave(session.sessionId, id)
    if (this.binding) this.binding.memberRemoved(kind, session, id)
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
    this.registrationIds = new Set() // ids of the live registrations and subscriptions of every realm
    this.subscriptionIds = new Set()
  }

  // WAMP session ids, unique among live (and fabricated) sessions.
  makeSessionId () {
    for (;;) {
      const id = randomWampId()
      if (!this._sessions.has(id) && !this.isIdTaken(id)) return id
    }
  }

  newSubscriptionId () {
    for (;;) {
      const id = randomWampId()
      if (!this.subscriptionIds.has(id)) return id
    }
  }

  createRealm (realmName) {
    const realm = new HookedRealm(this, new HookedEngine())
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
      },
      memberAdded () {},
      memberRemoved () {}
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

  // An event on a client realm, from the router's own session there (made at the first event; not hooked).
  publishOn (realm, topic, args, kwargs) {
    if (!this.publishers) this.publishers = new Map()
    let session = this.publishers.get(realm)
    if (!session) {
      session = new InternalSession(this.router, this.router.findRealm(realm), this)
      this.publishers.set(realm, session)
    }
    session.publish(topic, args, kwargs)
  }

  // Only the gate's sessions carry an info (see gate.js, establish); the internal session and fox-wamp's own
  // sessions (its wampApi, native fabricated sessions) do not, and are not hooked.
  sessionJoined (session) {
    if (session.metaInfo) this.hooks.joined(session.metaInfo, this)
  }

  sessionLeft (session) {
    this.hooks.left(session.sessionId)
  }

  // A session became a member of a registration or subscription entry ({id, uri, match, created, invoke?}), or
  // stopped being one; the hook protocol ignores the sessions it does not hook.
  memberAdded (kind, session, entry) {
    this.hooks.added(kind, session.sessionId, entry)
  }

  memberRemoved (kind, session, id) {
    this.hooks.removed(kind, session.sessionId, id)
  }

  hasSubscriber (topic) {
    return this.router.findRealm(this.internalRealm).subscriptions.best(topic) !== undefined
  }

  // The router's side of router.registration.remove_callee / router.subscription.remove_subscriber: the hook
  // protocol has checked that the session is a member.
  removeMember (kind, realm, id, sessionId, reason) {
    this.router.findRealm(realm).revoke(kind, this.router.getSession(sessionId), id, reason)
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
      permissions, welcomeFeatures: realm => this.welcomeFeatures.get(realm),
      publishTold: (realm, told, route, publisher) => this.hooks.publishTold(realm, told, route, publisher),
      hookPosition: () => [this.hooks.epoch, this.hooks.seq] })
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
