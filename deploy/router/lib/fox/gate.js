'use strict'
// The WAMP session layer on top of fox-wamp's realm engine; part of the fox-wamp binding (index.js in this
// folder lists every fox-wamp internal the two files rely on). It subclasses fox-wamp's WampGate and
// WampSocketWriterContext (fox-wamp/lib/wamp/gate) and replaces their message handlers, because stock
// fox-wamp sends null/flattened arguments, hides callee errors behind wamp.error.callee_failure, answers
// GOODBYE with a wrong reason, lets anyone register or publish wamp.* URIs, ignores the match option, has no
// caller or publisher disclosure and no role permissions (lib/permissions.js decides those; this file asks it at CALL,
// REGISTER, PUBLISH, SUBSCRIBE and before each EVENT) and no told positions (the meta role's PUBLISH option
// `_told`, which the hook protocol checks and records as the event is routed). Routing itself (registrations,
// subscriptions, pending calls) stays in fox-wamp's engine, reached through realm.cmd* as fox's own gate does,
// with WAMP's ids and matching added by the realm (index.js, HookedRealm).

const crypto = require('crypto')
const { WampGate, WampSocketWriterContext } = require('fox-wamp/lib/wamp/gate')
const { wampErrorCode } = require('fox-wamp/lib/wamp/msg')
const { RealmError } = require('fox-wamp/lib/realm_error')
const { RESULT_EMIT, RESULT_OK } = require('fox-wamp/lib/messages')
const { wampUriParse } = require('fox-wamp/lib/topic_pattern')
const { URI_RE, isPlainObject, WampError } = require('../wamp')
const { MATCHES, patternProblem } = require('../uripatterns')
const log = require('../log')
const breakages = require('../breakages')

const T = {
  HELLO: 1, WELCOME: 2, ABORT: 3, CHALLENGE: 4, AUTHENTICATE: 5, GOODBYE: 6, ERROR: 8,
  PUBLISH: 16, PUBLISHED: 17, SUBSCRIBE: 32, SUBSCRIBED: 33, UNSUBSCRIBE: 34, UNSUBSCRIBED: 35, EVENT: 36,
  CALL: 48, CANCEL: 49, RESULT: 50, REGISTER: 64, REGISTERED: 65, UNREGISTER: 66, UNREGISTERED: 67,
  INVOCATION: 68, INTERRUPT: 69, YIELD: 70
}
const MAX_ID = 2 ** 53
// Requests a router answers with ERROR when they fail (PUBLISH only when acknowledge was asked).
const REPLIES_ERRORS = new Set([T.SUBSCRIBE, T.UNSUBSCRIBE, T.PUBLISH, T.REGISTER, T.UNREGISTER, T.CALL])

// Thrown by a handler for input that breaks the protocol: the session is aborted and the connection closed.
class ProtocolViolation extends Error {}

// Payloads nested deeper than this are refused on input: they could not be re-encoded for other peers
// (the encoders recurse), and no WAMP application needs them.
const MAX_DEPTH = 100

function tooDeep (v, depth) {
  if (v === null || typeof v !== 'object') return false
  if (depth >= MAX_DEPTH) return true
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (tooDeep(v[i], depth + 1)) return true
    return false
  }
  if (v instanceof Uint8Array) return false
  for (const k in v) if (tooDeep(v[k], depth + 1)) return true
  return false
}

// Payload helpers: fox-wamp carries WAMP arguments as {args: [...]} and kwargs as cmd.hdr.
function argsOf (data) {
  if (data && Array.isArray(data.args)) return data.args
  if (data === null || data === undefined) return []
  if (data && 'kv' in data) return [data.kv] // fox-internal publishers (not used by this router)
  return []
}

function payload (data, hdr) {
  const args = argsOf(data)
  if (isPlainObject(hdr) && Object.keys(hdr).length > 0) return [args, hdr]
  if (args.length > 0) return [args]
  return []
}

function checkId (v, what) {
  if (!Number.isInteger(v) || v < 0 || v > MAX_ID) throw new ProtocolViolation(`${what} must be an integer id`)
  return v
}

function checkDict (v, what) {
  if (!isPlainObject(v)) throw new ProtocolViolation(`${what} must be a dict`)
  return v
}

function checkArgs (msg, i) {
  const args = msg[i]
  const kwargs = msg[i + 1]
  if (args !== undefined && args !== null && !Array.isArray(args)) throw new ProtocolViolation('Arguments must be a list')
  if (kwargs !== undefined && kwargs !== null && !isPlainObject(kwargs)) {
    throw new ProtocolViolation('ArgumentsKw must be a dict')
  }
  return { args: args || [], kwargs: kwargs || undefined }
}

function checkUri (v) {
  if (typeof v !== 'string') throw new ProtocolViolation('URI must be a string')
  if (!URI_RE.test(v)) throw new WampError('wamp.error.invalid_uri', [`invalid URI '${v}'`])
  return v
}

// The match policy of a SUBSCRIBE or REGISTER (default exact), with its URI pattern checked.
function checkPattern (opt, uri) {
  const match = opt.match === undefined ? 'exact' : opt.match
  if (!MATCHES.includes(match)) throw new WampError('wamp.error.invalid_argument', [patternProblem(match, uri)])
  if (typeof uri !== 'string') throw new ProtocolViolation('URI must be a string')
  const why = patternProblem(match, uri)
  if (why !== null) throw new WampError('wamp.error.invalid_uri', [why])
  return match
}

// Whether a registration of this pattern could take calls to wamp.* URIs, which only the meta role serves.
function reachesReserved (match, uri) {
  if (match === 'exact') return uri.startsWith('wamp.')
  if (match === 'prefix') return uri.startsWith('wamp.') || 'wamp.'.startsWith(uri)
  const parts = uri.split('.')
  return parts.length > 1 && (parts[0] === '' || parts[0] === 'wamp')
}

// Context for one socket-backed session: fox-wamp's realm engine calls these send* methods.
class SocketContext extends WampSocketWriterContext {
  constructor (router, session, conn, msgType) {
    super(router, session, null)
    this.conn = conn
    this.msgType = msgType
  }

  wampSend (msg) {
    this.conn.send(msg)
  }

  wampClose (code, reason) {
    this.conn.closeTransport(code, reason)
  }

  sendInvoke (cmd) {
    const details = {}
    const callOpt = cmd.opt || {}
    if (callOpt.receive_progress) details.receive_progress = true
    if (callOpt.procedure !== undefined) details.procedure = callOpt.procedure // a pattern-based registration
    // The caller is disclosed where its permission says so, always to the meta role (wamp-metad needs it) and,
    // unless only the permissions decide (Crossbar's way), where the callee or the caller asked for it.
    const reg = this.session.getSub(cmd.subId)
    const asked = !this.conn.gate.permissions.discloseByPermission && reg &&
      (reg.msg.opt.disclose_caller || callOpt.disclose_me)
    if ((callOpt.disclose || asked || this.conn.isMeta()) && callOpt.caller) Object.assign(details, callOpt.caller)
    // To the meta role: where the hooks stand as the call is routed (docs/hook-protocol.md, "Positions in
    // invocations"), so that wamp-metad answers only once its mirror has every hook published before the call.
    if (this.conn.isMeta() && this.conn.gate.hookPosition) details._position = this.conn.gate.hookPosition()
    this.conn.send([T.INVOCATION, cmd.qid, cmd.subId, details, ...payload(cmd.data, cmd.hdr)])
  }

  sendResult (cmd) {
    if (cmd.err !== undefined && cmd.err !== null) {
      if (typeof cmd.err === 'object') { // passed through from the callee's ERROR
        this.conn.send([T.ERROR, T.CALL, cmd.id, {}, cmd.err.uri, ...payload(cmd.data, cmd.hdr)])
      } else {
        const args = typeof cmd.data === 'string' ? [cmd.data] : argsOf(cmd.data)
        this.conn.send([T.ERROR, T.CALL, cmd.id, {}, wampErrorCode(cmd.err), ...payload({ args })])
      }
      return
    }
    const details = cmd.rsp === RESULT_EMIT ? { progress: true } : {}
    this.conn.send([T.RESULT, cmd.id, details, ...payload(cmd.data, cmd.hdr)])
  }

  sendEvent (cmd) {
    const details = { topic: cmd.uri.join('.') }
    // A pattern-based subscription was checked on its pattern; each topic it reaches is checked too, so that a
    // permission on a more specific URI inside the pattern still holds.
    if (this.conn.rules !== null && !this.conn.rules.allows('subscribe', details.topic)) return
    const opt = cmd.opt || {}
    if (opt.publisher && (opt.disclose || this.conn.isMeta())) Object.assign(details, opt.publisher)
    this.conn.send([T.EVENT, cmd.traceId, cmd.qid, details, ...payload(cmd.data, cmd.hdr)])
  }

  sendError (cmd, errorCode, text) {
    if (cmd.id === undefined || cmd.id === null) return
    this.conn.send([T.ERROR, this.msgType, cmd.id, {}, wampErrorCode(errorCode), ...(text ? [[text]] : [])])
  }

  wampSendError (mtype, requestId, uri, args, kwargs) {
    if (requestId === undefined || requestId === null) return
    this.conn.send([T.ERROR, mtype, requestId, {}, uri, ...payload({ args: args || [] }, kwargs)])
  }
}

const handlers = {}

// One WAMP connection: the session state machine new -> challenged -> established -> closed.
class Connection {
  constructor (gate, channel) {
    this.gate = gate
    this.channel = channel
    this.router = gate.getRouter()
    this.session = this.router.createSession()
    this.session.setGateProtocol(`wamp.2.${channel.serializer}`)
    this.session.conn = this
    this.state = 'new'
    this.authState = null
    this.rules = null // the role's permissions on its realm once established; null: not restricted
    log.debug(`${channel.type}/${channel.serializer} ${channel.peer}: connected`)
  }

  send (msg) {
    if (this.state === 'closed') return
    try {
      this.channel.send(msg)
    } catch (e) {
      log.error(`BUG: cannot encode a message for ${this.channel.peer}:`, e)
      this.closeTransport(1011, 'internal error')
    }
  }

  closeTransport (code, reason) {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.channel.close(code, reason)
    this.leave()
  }

  // Removes the session from its realm now (the left hook is published inside), idempotent.
  leave () {
    this.router.removeSession(this.session)
  }

  abort (reason, message) {
    log.info(`${this.channel.peer}: ABORT ${reason}${message ? ' (' + message + ')' : ''}`)
    this.send([T.ABORT, message ? { message } : {}, reason])
    this.closeTransport(1000, 'aborted')
  }

  // Router-initiated close (kill, shutdown): GOODBYE with reason and message, then the transport closes.
  goodbye (reason, message) {
    if (this.state === 'closed') return
    if (this.state === 'established') {
      this.send([T.GOODBYE, message !== undefined && message !== null ? { message } : {}, reason])
    }
    this.closeTransport(1000, 'goodbye')
  }

  // A router-initiated UNREGISTERED / UNSUBSCRIBED (request 0, the id in Details, reason when given): the router
  // took this session out of a registration or subscription.
  revoked (kind, id, reason) {
    const details = { [kind]: id }
    if (reason !== undefined && reason !== null) details.reason = reason
    this.send([kind === 'registration' ? T.UNREGISTERED : T.UNSUBSCRIBED, 0, details])
  }

  onProtocolError (reason) {
    if (this.state === 'closed') return
    log.info(`${this.channel.type} ${this.channel.peer}: ${reason}; closing`)
    if (this.state === 'established' || this.state === 'new' || this.state === 'challenged') {
      this.send([T.ABORT, { message: reason }, 'wamp.error.protocol_violation'])
    }
    this.closeTransport(1002, 'protocol violation')
  }

  onTransportClosed () {
    if (this.state !== 'closed') this.state = 'closed'
    this.leave()
    log.debug(`${this.channel.peer}: disconnected`)
  }

  onMessage (msg) {
    if (this.state === 'closed') return
    if (!Array.isArray(msg) || msg.length === 0 || !Number.isInteger(msg[0])) {
      this.onProtocolError('a WAMP message must be a non-empty list starting with an integer type')
      return
    }
    if (tooDeep(msg, 0)) {
      this.onProtocolError(`message nested deeper than ${MAX_DEPTH} levels`)
      return
    }
    const type = msg[0]
    const handler = handlers[type]
    if (!handler) {
      this.onProtocolError(`unexpected message type ${type}`)
      return
    }
    const ctx = new SocketContext(this.router, this.session, this, type)
    try {
      if (type !== T.HELLO && type !== T.AUTHENTICATE && type !== T.ABORT && this.state !== 'established') {
        throw new ProtocolViolation(`message type ${type} before the session is established`)
      }
      handler.call(this, ctx, msg)
    } catch (e) {
      if (e instanceof ProtocolViolation) {
        this.onProtocolError(e.message)
      } else if (e instanceof WampError || e instanceof RealmError) {
        const uri = e instanceof WampError ? e.uri : wampErrorCode(e.code)
        const args = e instanceof WampError ? e.args : (e.message ? [e.message] : [])
        const silent = !REPLIES_ERRORS.has(type) || (type === T.PUBLISH && !(isPlainObject(msg[2]) && msg[2].acknowledge))
        if (silent) log.debug(`${this.channel.peer}: ${uri} for message type ${type} (not answered)`)
        else ctx.wampSendError(type, msg[1], uri, args, e instanceof WampError ? e.kwargs : undefined)
      } else {
        log.error(`BUG: internal error handling message type ${type} from ${this.channel.peer}:`, e)
        this.onProtocolError('internal error')
      }
    }
  }

  establish (realmName, details, identity) {
    const realm = this.router.findRealm(realmName)
    const session = this.session
    session.realmName = realmName
    session.secureDetails = details
    session.setAuthMethod(identity.authmethod)
    session.setUserDetails(identity)
    session.identity = identity
    session.metaInfo = {
      realm: realmName,
      session: session.sessionId,
      authid: identity.authid,
      authrole: identity.authrole,
      authmethod: identity.authmethod,
      authprovider: identity.authprovider
    }
    if (identity.authextra) session.metaInfo.authextra = identity.authextra
    session.metaInfo.transport = { type: this.channel.type, serializer: this.channel.serializer,
      peer: this.channel.peer }
    this.rules = this.gate.rulesFor(realmName, identity.authrole)
    this.state = 'established'
    // The joined hook is published inside joinSession, so it leaves before WELCOME.
    realm.joinSession(session)
    this.send([T.WELCOME, session.sessionId, this.gate.welcomeDetails(realmName, identity)])
    log.debug(`${this.channel.peer}: session ${session.sessionId} joined ${realmName} as ` +
      `${identity.authid}/${identity.authrole}`)
  }

  decide (decision) {
    if (decision.abort) {
      this.abort(decision.abort, decision.message)
    } else if (decision.challenge) {
      this.state = 'challenged'
      this.authState = decision.state // the authenticator's own, handed back with the signature
      this.send([T.CHALLENGE, decision.challenge, decision.extra])
    } else {
      this.establish(this.helloRealm, this.helloDetails, decision.identity)
    }
  }

  // The listener's own authentication (a transport of --crossbar-config), else the router's.
  auth () {
    return this.channel.auth || this.gate.auth
  }

  // Whether this session's permission discloses it as kind ('caller', 'publisher') when it acts on uri.
  discloses (kind, uri) {
    return this.rules !== null && this.rules.discloses(kind, uri)
  }

  isMeta () {
    return this.session.identity && this.session.identity.authrole === this.gate.metaRole
  }

  // Refuses with wamp.error.not_authorized what the session's role may not do on its realm.
  authorize (action, uri, args) {
    const why = this.rules === null ? null : this.rules.refusal(action, uri, args)
    if (why !== null) throw new WampError('wamp.error.not_authorized', [why])
  }
}

handlers[T.HELLO] = function (ctx, msg) {
  if (this.state !== 'new') throw new ProtocolViolation('HELLO on an open session')
  const realm = msg[1]
  const details = msg[2]
  if (typeof realm !== 'string' || !isPlainObject(details)) {
    throw new ProtocolViolation('HELLO needs a realm string and a details dict')
  }
  if (!this.gate.realms.has(realm)) {
    this.abort('wamp.error.no_such_realm', `no realm '${realm}' on this router`)
    return
  }
  this.helloRealm = realm
  this.helloDetails = details
  this.decide(this.auth().hello(realm, details, this.session.sessionId))
}

handlers[T.AUTHENTICATE] = function (ctx, msg) {
  if (this.state !== 'challenged') throw new ProtocolViolation('AUTHENTICATE without a CHALLENGE')
  this.decide(this.auth().authenticate(this.authState, msg[1]))
}

handlers[T.ABORT] = function (ctx, msg) {
  log.debug(`${this.channel.peer}: client sent ABORT ${msg[2]}`)
  this.closeTransport(1000, 'aborted by client')
}

handlers[T.GOODBYE] = function (ctx, msg) {
  log.debug(`${this.channel.peer}: GOODBYE ${msg[2]}`)
  this.send([T.GOODBYE, {}, 'wamp.close.goodbye_and_out'])
  this.closeTransport(1000, 'goodbye')
}

handlers[T.SUBSCRIBE] = function (ctx, msg) {
  const id = checkId(msg[1], 'SUBSCRIBE.Request')
  const opt = checkDict(msg[2], 'SUBSCRIBE.Options')
  const topic = msg[3]
  const match = checkPattern(opt, topic)
  this.authorize('subscribe', topic)
  this.session.realm.cmdTrace(ctx, { id, uri: wampUriParse(topic), opt: { match } })
}

handlers[T.UNSUBSCRIBE] = function (ctx, msg) {
  const id = checkId(msg[1], 'UNSUBSCRIBE.Request')
  const unr = checkId(msg[2], 'UNSUBSCRIBE.Subscription')
  this.session.realm.cmdUnTrace(ctx, { id, unr })
}

handlers[T.PUBLISH] = function (ctx, msg) {
  const id = checkId(msg[1], 'PUBLISH.Request')
  const opt = checkDict(msg[2], 'PUBLISH.Options')
  const topic = checkUri(msg[3])
  const { args, kwargs } = checkArgs(msg, 4)
  if (topic.startsWith('wamp.') && !this.isMeta() && !breakages.on('wamp_publish_open')) {
    log.debug(`${this.channel.peer}: publish to ${topic} denied`)
    if (opt.acknowledge) throw new WampError('wamp.error.not_authorized', [`publishing to '${topic}' is not allowed`])
    return
  }
  this.authorize('publish', topic) // answered only when acknowledge was asked (onMessage), and not delivered
  // Only exclude_me and acknowledge of the options go on: `_told` never reaches a subscriber. The publisher goes
  // along for the subscribers it is disclosed to (sendEvent).
  const ident = this.session.identity
  const route = () => this.session.realm.cmdPush(ctx, {
    id,
    uri: wampUriParse(topic),
    hdr: kwargs,
    data: { args },
    opt: { exclude_me: opt.exclude_me !== false, disclose: this.discloses('publisher', topic),
      publisher: { publisher: this.session.sessionId, publisher_authid: ident.authid,
        publisher_authrole: ident.authrole } },
    ack: !!opt.acknowledge
  })
  // The meta role's told position: the hook protocol routes the event and records it in one step, or drops it as a
  // duplicate (acknowledged all the same), or refuses it (a WampError, answered like any other). Another role's
  // `_told` is ignored.
  if (opt._told === undefined || !this.isMeta()) {
    route()
  } else if (!this.gate.publishTold(this.session.realmName, opt._told, route, this.session.sessionId) &&
    opt.acknowledge) {
    ctx.sendPublished({ id, qid: crypto.randomInt(1, 2 ** 48) })
  }
}

handlers[T.REGISTER] = function (ctx, msg) {
  const id = checkId(msg[1], 'REGISTER.Request')
  const opt = checkDict(msg[2], 'REGISTER.Options')
  const uri = msg[3]
  const match = checkPattern(opt, uri)
  if (reachesReserved(match, uri) && !this.isMeta() && !breakages.on('wamp_uris_open')) {
    throw new WampError('wamp.error.not_authorized', [`registering '${uri}' (match ${match}) is not allowed: ` +
      'wamp.* is reserved'])
  }
  this.authorize('register', uri)
  // A second registration of the same uri and match is refused by the realm (procedure_already_exists).
  this.session.realm.cmdRegRpc(ctx, {
    id,
    uri: wampUriParse(uri),
    opt: { simultaneousTaskLimit: -1, disclose_caller: opt.disclose_caller === true, match }
  })
}

handlers[T.UNREGISTER] = function (ctx, msg) {
  const id = checkId(msg[1], 'UNREGISTER.Request')
  const unr = checkId(msg[2], 'UNREGISTER.Registration')
  this.session.realm.cmdUnRegRpc(ctx, { id, unr })
}

handlers[T.CALL] = function (ctx, msg) {
  const id = checkId(msg[1], 'CALL.Request')
  const opt = checkDict(msg[2], 'CALL.Options')
  const uri = checkUri(msg[3])
  const { args, kwargs } = checkArgs(msg, 4)
  this.authorize('call', uri, args)
  const ident = this.session.identity
  const callOpt = {
    caller: { caller: this.session.sessionId, caller_authid: ident.authid, caller_authrole: ident.authrole }
  }
  if (opt.receive_progress) callOpt.receive_progress = true
  if (opt.disclose_me === true) callOpt.disclose_me = true
  // Disclosed where the caller's permission says so (and to the meta role always: sendInvoke).
  if (this.discloses('caller', uri)) callOpt.disclose = true
  this.session.realm.cmdCallRpc(ctx, { id, uri: wampUriParse(uri), opt: callOpt, hdr: kwargs, data: { args } })
}

handlers[T.CANCEL] = function (ctx, msg) {
  checkId(msg[1], 'CANCEL.Request')
  // Not supported by the engine: the call runs to completion and its result is delivered.
}

handlers[T.YIELD] = function (ctx, msg) {
  const qid = checkId(msg[1], 'YIELD.Request')
  const opt = checkDict(msg[2], 'YIELD.Options')
  const { args, kwargs } = checkArgs(msg, 3)
  yieldToCaller(this, ctx, { qid, hdr: kwargs, data: { args }, opt: {}, rqt: opt.progress ? RESULT_EMIT : RESULT_OK })
}

handlers[T.ERROR] = function (ctx, msg) {
  const requestType = msg[1]
  const qid = checkId(msg[2], 'ERROR.Request')
  checkDict(msg[3], 'ERROR.Details')
  if (typeof msg[4] !== 'string') throw new ProtocolViolation('ERROR.Error must be a URI string')
  const { args, kwargs } = checkArgs(msg, 5)
  if (requestType !== T.INVOCATION) return // nothing else is answered with ERROR by a client
  yieldToCaller(this, ctx, { qid, err: { uri: msg[4] }, hdr: kwargs, data: { args }, opt: {}, rqt: RESULT_OK })
}

function yieldToCaller (conn, ctx, cmd) {
  try {
    conn.session.realm.cmdYield(ctx, cmd)
  } catch (e) {
    if (!(e instanceof RealmError)) throw e
    log.debug(`${conn.channel.peer}: answer to unknown invocation ${cmd.qid} ignored`)
  }
}

class MetadGate extends WampGate {
  constructor (router, { auth, realms, metaRole, permissions, welcomeFeatures, publishTold, hookPosition }) {
    super(router)
    this.auth = auth
    this.realms = realms // Set of every joinable realm, the internal one included
    this.metaRole = metaRole
    this.permissions = permissions
    this.welcomeFeatures = welcomeFeatures // realm -> the meta role's announced features, or undefined
    this.publishTold = publishTold // (realm, told, route, publisher) -> false for a duplicate (hookproto.js)
    this.hookPosition = hookPosition // () -> [epoch, seq] of the last hook published
    this.connections = new Set()
  }

  // The meta role is never restricted: wamp-metad must always be able to serve the meta API. The internal realm
  // is not either, as the permissions section cannot name it.
  rulesFor (realm, role) {
    return role === this.metaRole ? null : this.permissions.rulesFor(realm, role)
  }

  openConnection (channel) {
    const conn = new Connection(this, channel)
    this.connections.add(conn)
    const origLeave = conn.leave.bind(conn)
    conn.leave = () => {
      this.connections.delete(conn)
      origLeave()
    }
    return conn
  }

  // The router's own features, and the meta API features the meta role announced for the realm
  // (router.meta.features): session_meta_api only when something really serves it there.
  welcomeDetails (realm, identity) {
    const announced = this.welcomeFeatures(realm) || {}
    const d = {
      realm,
      authid: identity.authid,
      authrole: identity.authrole,
      authmethod: identity.authmethod,
      authprovider: identity.authprovider,
      roles: {
        broker: { features: { publisher_exclusion: true, pattern_based_subscription: true, ...announced.broker } },
        dealer: { features: { caller_identification: true, progressive_call_results: true, ...announced.dealer } }
      }
    }
    if (identity.authextra) d.authextra = identity.authextra
    return d
  }
}

module.exports = { MetadGate }
