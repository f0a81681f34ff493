'use strict'
// The reference router's fox-wamp binding, authentication and listeners without its hook layer (no hooks, no
// router.session.* procedures): a router that does not speak the hook protocol, for wamp-metad-conformance's
// "no hooks" verdict. Takes router.js's command line and prints its ready line.

const path = require('path')
const lib = path.join(__dirname, '..', '..', 'deploy', 'router', 'lib')
const { parseCommandLine, loadPrincipals } = require(path.join(lib, 'config'))
const { bindFox } = require(path.join(lib, 'fox'))
const { Authenticator } = require(path.join(lib, 'auth'))
const { startWebSocket, startRawSocket } = require(path.join(lib, 'transports'))

// What the binding asks of a hook layer, doing nothing.
const NO_HOOKS = {
  realms: new Set(),
  joined () {},
  left () {},
  added () {},
  removed () {},
  has: () => false,
  publishTold: (realm, told, route) => { route(); return true }
}

async function main () {
  const opts = parseCommandLine(process.argv.slice(2))
  const principals = loadPrincipals(opts.principals, opts)
  const binding = await bindFox({ realms: opts.realms, internalRealm: opts.internalRealm, nativeMeta: false })
  binding.attach(NO_HOOKS)
  const auth = new Authenticator({ principals: principals.principals, anonymousRealms: principals.anonymousRealms,
    internalRealm: opts.internalRealm, metaRole: opts.metaRole })
  const gate = binding.createGate({ auth, metaRole: opts.metaRole, permissions: principals.permissions })
  const ws = await startWebSocket(gate, opts.ws)
  const raw = await startRawSocket(gate, opts.rawsocket)
  const hp = a => `${a.address}:${a.port}`
  process.stdout.write(`ready ws=${hp(ws.address)} rawsocket=${hp(raw.address)} epoch=none\n`)
}

main().catch(e => {
  process.stderr.write(`nohooks_router: ${e && e.stack ? e.stack : e}\n`)
  process.exit(2)
})
