'use strict'
// The test switches (router.test.*, registered only with --test-switches; docs/hook-protocol.md): a lost
// hook, a raw publication on the internal realm, and fabricated sessions without sockets, for tests of
// consumers. Never enabled in production.
//
// They drive the hook protocol (lib/hookproto.js) and, through the same binding, the router: besides what the
// hook protocol uses they need
//   binding.newSessionId()               an id no live, hooked or fabricated session has
//   binding.nativeSessions(realm)        {create(), join(id)}: create() makes a session of the router's own
//                                        realm (without a socket) and returns its id, join(id) puts it into the
//                                        realm, where the router's native meta API (--native-meta) sees it
//   binding.removeNativeSession(realm, id)  takes such a session out of its realm and the router (nothing for
//                                        an id that is not one)

const { URI_RE, isPlainObject, WampError, invalidArgument } = require('./wamp')
const breakages = require('./breakages')

// Fabricated sessions are made (and removed) this many at a time, each batch in a turn of the event loop of
// its own: a million of them must not keep the router from serving everything else for seconds.
const FABRICATE_BATCH = 2000
const nextTurn = () => new Promise(resolve => setImmediate(resolve))

class TestSwitches {
  constructor (hooks, binding) {
    this.hooks = hooks
    this.binding = binding
    this.fabricatedCount = 0
  }

  start () {
    const reg = (uri, fn) => this.binding.register(uri, fn.bind(this))
    reg('router.test.skip_seq', this.skipSeq)
    reg('router.test.publish_raw', this.publishRaw)
    reg('router.test.fabricate', this.fabricate)
    reg('router.test.unfabricate', this.unfabricate)
    reg('router.test.break', this.breakClause)
  }

  // [name] or [name, on]: turns one deliberate breakage of lib/breakages.js on (or off); returns its description.
  breakClause (args) {
    const [name, value] = args
    if (typeof name !== 'string' || !Object.hasOwn(breakages.NAMES, name)) {
      throw invalidArgument(`name must be one of ${Object.keys(breakages.NAMES).join(', ')}`)
    }
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      throw invalidArgument('on must be a boolean')
    }
    breakages.set(name, value !== false)
    return [breakages.NAMES[name]]
  }

  skipSeq (args) {
    const n = args.length > 0 && args[0] !== null ? args[0] : 1
    if (!Number.isInteger(n) || n < 0 || n > 1e9) throw invalidArgument('n must be an integer 0..1e9')
    return [this.hooks.skip(n)]
  }

  publishRaw (args) {
    const [topic, pargs, pkwargs] = args
    if (typeof topic !== 'string' || !URI_RE.test(topic)) throw invalidArgument('topic must be a URI string')
    if (pargs !== undefined && pargs !== null && !Array.isArray(pargs)) {
      throw invalidArgument('args must be a list or null')
    }
    if (pkwargs !== undefined && pkwargs !== null && !isPlainObject(pkwargs)) {
      throw invalidArgument('kwargs must be a dict or null')
    }
    this.binding.publish(topic, pargs || [], pkwargs || undefined)
    return []
  }

  fabricate (args, kwargs) {
    const [realm, count] = args
    this.checkRealm(realm)
    if (!Number.isInteger(count) || count < 0 || count > 1000000) {
      throw invalidArgument('count must be an integer 0..1000000')
    }
    const authrole = typeof kwargs.authrole === 'string' ? kwargs.authrole : 'fabricated'
    if (kwargs.native !== undefined && typeof kwargs.native !== 'boolean') {
      throw invalidArgument('native must be true or false')
    }
    return this.fabricateBatches(realm, count, authrole, kwargs.native === true)
  }

  checkRealm (realm) {
    if (!this.hooks.realms.has(realm)) throw invalidArgument(`'${realm}' is not a configured client realm`)
  }

  // Between two batches: the rest of the event loop runs; a router that stopped meanwhile ends the call.
  async nextBatch () {
    await nextTurn()
    if (this.hooks.stopped) throw new WampError('wamp.error.canceled', ['the router is stopping'])
  }

  async fabricateBatches (realm, count, authrole, native) {
    const ids = new Array(count)
    const natives = native ? this.binding.nativeSessions(realm) : null
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % FABRICATE_BATCH === 0) await this.nextBatch()
      const id = natives ? natives.create() : this.binding.newSessionId()
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
      this.hooks.joined(info, this)
      // Its joined hook is out already; the binding tells the hook protocol only of sessions of its gate.
      if (natives) natives.join(id)
      ids[i] = id
    }
    return [ids]
  }

  unfabricate (args) {
    const realm = args.length > 0 ? args[0] : null
    if (realm !== null) this.checkRealm(realm)
    return this.unfabricateBatches(realm)
  }

  async unfabricateBatches (realm) {
    const infos = []
    for (const info of this.hooks.sessionsOf(this)) {
      if (realm === null || info.realm === realm) infos.push(info)
    }
    let n = 0
    for (let i = 0; i < infos.length; i++) {
      if (i > 0 && i % FABRICATE_BATCH === 0) await this.nextBatch()
      if (this.hooks.has(infos[i].session)) { // a kill may have removed it meanwhile
        this.remove(infos[i])
        n++
      }
    }
    return [n]
  }

  // The owner's side of router.session.kill: a fabricated session has no one to say GOODBYE to.
  killSession (info) {
    this.remove(info)
  }

  remove (info) {
    this.hooks.left(info.session)
    // Its left hook is out already: when it leaves the router's realm, the hook protocol knows its id no more.
    this.binding.removeNativeSession(info.realm, info.session)
  }
}

module.exports = { TestSwitches }
