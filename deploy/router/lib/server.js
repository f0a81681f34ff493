'use strict'
// Wiring: the router binding (lib/fox: fox-wamp with its realms and gate), the hook protocol and
// router.meta.features on its internal realm, the test switches when asked for, authentication, role
// permissions, the listeners and the static files of --web. Nothing here knows fox-wamp.

const crypto = require('crypto')
const { bindFox } = require('./fox')
const { HookProtocol } = require('./hookproto')
const { Testaments } = require('./testaments')
const { MetaFeatures } = require('./metafeatures')
const { TestSwitches } = require('./testswitches')
const { Authenticator } = require('./auth')
const { startWebSocket, startRawSocket } = require('./transports')
const { createWebHandler, createWebMounts } = require('./web')
const log = require('./log')

// The listeners of --crossbar-config's transports (lib/crossbar.js), each with its own authentication: [{what,
// start (gate) -> listener}].
function crossbarListeners (cb, opts) {
  const realms = new Set(cb.realms)
  const authFor = ({ principals, anonymousRole }) => new Authenticator({ principals,
    anonymousRealms: anonymousRole === null ? new Set() : realms, anonymousRole: anonymousRole || 'anonymous',
    internalRealm: opts.internalRealm, metaRole: opts.metaRole,
    hasRole: (realm, role) => cb.roles.has(realm) && cb.roles.get(realm).has(role) })
  return cb.transports.map(t => {
    const at = t.listen.path !== undefined ? `unix:${t.listen.path}` : `${t.listen.host}:${t.listen.port}`
    const what = `${t.where} (${t.type}${t.tls ? ' over TLS' : ''}) ${at}`
    let start
    if (t.type === 'rawsocket') {
      const route = { auth: authFor(t.auth), serializers: t.serializers }
      start = gate => startRawSocket(gate, t.listen, t.tls, route)
    } else if (t.type === 'websocket') {
      const route = { auth: authFor(t.auth), serializers: t.serializers }
      start = gate => startWebSocket(gate, t.listen, undefined, t.tls, () => route)
    } else {
      const routes = new Map([...t.websockets].map(([name, w]) =>
        [name, { auth: authFor(w.auth), serializers: w.serializers }]))
      const onHttp = createWebMounts(t.statics)
      const routeOf = req => {
        const m = /^\/([^/?#]*)\/?(?:[?#].*)?$/.exec(req.url || '')
        return (m && routes.get(m[1])) || null
      }
      start = gate => startWebSocket(gate, t.listen, onHttp, t.tls, routeOf)
    }
    return { what, start }
  })
}

async function startRouter (opts, principals) {
  const epoch = crypto.randomBytes(8).toString('hex')
  const binding = await bindFox({ realms: opts.realms, internalRealm: opts.internalRealm, nativeMeta: opts.nativeMeta })
  const hooks = new HookProtocol({ binding, realms: opts.realms, epoch, pageSize: opts.snapshotPage,
    metaRole: opts.metaRole, leftRetentionMs: opts.leftRetention * 1000, historySize: opts.hookHistory })
  hooks.start()
  new Testaments({ binding, hooks, metaRole: opts.metaRole }).start()
  new MetaFeatures({ binding, realms: opts.realms, metaRole: opts.metaRole }).start()
  if (opts.testSwitches) new TestSwitches(hooks, binding).start()

  const auth = new Authenticator({ principals: principals.principals, anonymousRealms: principals.anonymousRealms,
    internalRealm: opts.internalRealm, metaRole: opts.metaRole })
  const gate = binding.createGate({ auth, metaRole: opts.metaRole, permissions: principals.permissions })

  let onHttp
  try {
    onHttp = opts.web ? createWebHandler(opts.web) : undefined
  } catch (e) {
    e.startFailed = true
    throw e
  }

  const listeners = []
  const addresses = {}
  // [the option, its flag, how to start it]; the TLS ones with the certificate and key of --tls-cert / --tls-key.
  const specs = [
    ['ws', 'ws', (g, addr) => startWebSocket(g, addr, onHttp)],
    ['rawsocket', 'rawsocket', (g, addr) => startRawSocket(g, addr)],
    ['wss', 'wss', (g, addr) => startWebSocket(g, addr, onHttp, opts.tls)],
    ['rawsocketTls', 'rawsocket-tls', (g, addr) => startRawSocket(g, addr, opts.tls)]
  ]
  for (const [key, flag, start] of specs) {
    if (!opts[key]) continue
    try {
      const l = await start(gate, opts[key])
      listeners.push(l)
      addresses[key] = l.address
    } catch (e) {
      for (const l of listeners) l.close()
      const err = new Error(`--${flag} ${opts[key].host}:${opts[key].port}: cannot listen: ${e.code || e.message}`)
      err.startFailed = true
      throw err
    }
  }
  let cbListeners
  try {
    cbListeners = opts.crossbar ? crossbarListeners(opts.crossbar, opts) : []
  } catch (e) {
    for (const l of listeners) l.close()
    e.startFailed = true
    throw e
  }
  for (const { what, start } of cbListeners) {
    try {
      listeners.push(await start(gate))
      log.info(`listening: ${what}`)
    } catch (e) {
      for (const l of listeners) l.close()
      const err = new Error(`--crossbar-config ${opts.crossbar.file}: ${what}: cannot listen: ${e.code || e.message}`)
      err.startFailed = true
      throw err
    }
  }

  // The hooks stop first: the sessions closed on the way out leave without a hook (the next router process is
  // a new epoch anyway).
  function close () {
    hooks.stop()
    binding.stop('wamp.close.system_shutdown', 'router shutting down')
    for (const l of listeners) l.close()
  }

  return { epoch, addresses, close }
}

module.exports = { startRouter }
