'use strict'
// Wiring: a fox-wamp router with pre-created realms whose join/leave feed the hook hub, the gate, and the
// listeners.

const crypto = require('crypto')
const FoxRouter = require('fox-wamp')
const { BaseRealm } = require('fox-wamp/lib/realm')
const { MemEngine } = require('fox-wamp/lib/mono/memengine')
const { REALM_CREATED } = require('fox-wamp/lib/messages')
const { MetadGate } = require('./gate')
const { HookHub } = require('./hooks')
const { Authenticator } = require('./auth')
const { startWebSocket, startRawSocket } = require('./transports')
const log = require('./log')

// A realm whose join/leave notify the hook hub. joinSession runs before the gate sends WELCOME; the left
// hook goes out after fox-wamp removed the session and its registrations/subscriptions from the realm.
class HookedRealm extends BaseRealm {
  joinSession (session) {
    super.joinSession(session)
    if (this.hub) this.hub.onJoin(this.realmName, session)
  }

  leaveSession (session) {
    const done = super.leaveSession(session)
    this.failPendingCalls(session.sessionId)
    if (this.hub) this.hub.onLeave(this.realmName, session)
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

async function startRouter (opts, principals) {
  const epoch = crypto.randomBytes(8).toString('hex')
  const router = new MetadRouter({ nativeMeta: opts.nativeMeta })
  const hub = new HookHub({ router, realms: opts.realms, epoch, pageSize: opts.snapshotPage,
    leftRetentionMs: opts.leftRetention * 1000, testSwitches: opts.testSwitches })
  router.isIdTaken = id => hub.registry.has(id)
  // Realms are created up front (fox-wamp would create any well-formed name on demand, and rejects names
  // with dots); unknown realms are refused by the gate.
  for (const name of [...opts.realms, opts.internalRealm]) {
    await router.initRealm(name, router.createRealm(name))
  }
  for (const name of opts.realms) router.findRealm(name).hub = hub
  hub.attach(router.findRealm(opts.internalRealm))

  const auth = new Authenticator({ principals: principals.principals, anonymousRealms: principals.anonymousRealms,
    internalRealm: opts.internalRealm, metaRole: opts.metaRole })
  const gate = new MetadGate(router, { auth, realms: new Set([...opts.realms, opts.internalRealm]),
    metaRole: opts.metaRole })

  const listeners = []
  const addresses = {}
  const specs = [['ws', startWebSocket], ['rawsocket', startRawSocket]]
  for (const [key, start] of specs) {
    if (!opts[key]) continue
    try {
      const l = await start(gate, opts[key])
      listeners.push(l)
      addresses[key] = l.address
    } catch (e) {
      for (const l of listeners) l.close()
      const err = new Error(`--${key} ${opts[key].host}:${opts[key].port}: cannot listen: ${e.code || e.message}`)
      err.listenFailed = true
      throw err
    }
  }

  function close () {
    hub.stop()
    for (const conn of Array.from(gate.connections)) conn.goodbye('wamp.close.system_shutdown', 'router shutting down')
    for (const l of listeners) l.close()
  }

  return { epoch, addresses, close, router, hub, gate }
}

module.exports = { startRouter }
