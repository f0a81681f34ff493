'use strict'
// The registration and subscription meta API served by wamp-metad next to the reference router (hook protocol
// v2), seen by Autobahn|JS clients: every procedure and event with the spec's shapes, the errors, shared
// subscription ids, prefix and wildcard matching checked against where the router really routes, a session
// that dies holding registrations and subscriptions (their ends before its on_leave), wamp.* kept out of sight,
// router-initiated removal (opt-in), and WELCOME's features.

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')
const raw = require('../lib/rawwamp')

kit.main('integration: registration and subscription meta API with Autobahn|JS', 110000, async t => {
  const router = await routerctl.start({ realms: ['realm1', 'realm2'] })
  let metad
  const { join, closeAll } = kit.joiner({ url: router.url, realm: 'realm1' })
  const alice = { authid: 'alice', ticket: routerctl.SECRETS.alice }
  const bob = { authid: 'bob', wampcra: routerctl.SECRETS.bob }
  try {
    metad = await metadctl.start(router, { realms: ['realm1', 'realm2'], args: ['--enable-kill', 'realm1'] })
    await metad.waitLog(/the router speaks hook protocol v2/, 5000)
    const watcher = await join({ ...bob, serializer: 'msgpack' })
    const w = watcher.session
    const events = []
    for (const kind of ['registration', 'subscription']) {
      const names = kind === 'registration' ? ['on_create', 'on_register', 'on_unregister', 'on_delete']
        : ['on_create', 'on_subscribe', 'on_unsubscribe', 'on_delete']
      for (const name of names) await w.subscribe(`wamp.${kind}.${name}`, args => events.push([`${kind}.${name}`, ...args]))
    }
    const seen = (what, pred) => events.find(e => e[0] === what && pred(e))
    const call = (uri, args, kwargs) => w.call(uri, args, kwargs)
    const visible = async (uri, args, pred, what) => kit.until(async () => { const r = await call(uri, args); return pred(r) && r }, 3000, what)

    await t.step('WELCOME announces the registration and subscription meta API', async () => {
      const f = await kit.until(async () => {
        const j = await kit.join({ url: router.url, realm: 'realm1', ...alice })
        j.connection.close()
        const roles = j.welcome.roles || {}
        return ((roles.dealer || {}).features || {}).registration_meta_api &&
          ((roles.broker || {}).features || {}).subscription_meta_api && roles
      }, 3000, 'the features announced')
      t.eq(f.dealer.features.session_meta_api, true, 'and the session meta API')
    })

    await t.step('registrations: events, list, lookup, match, get, callees, errors', async () => {
      const callee = await join({ ...alice })
      const c = callee.session
      const exact = await c.register('com.example.add', () => 'exact')
      const prefix = await c.register('com.example.math.', () => 'prefix', { match: 'prefix' })
      const wild = await c.register('com..calc', () => 'wildcard', { match: 'wildcard' })
      const created = await kit.until(() => seen('registration.on_create', e => e[2].id === exact.id), 3000, 'on_create')
      t.eq(created[1], c.id, 'on_create names the callee')
      t.eq(Object.keys(created[2]).sort(), ['created', 'id', 'invoke', 'match', 'uri'], 'details keys')
      t.eq([created[2].uri, created[2].match, created[2].invoke], ['com.example.add', 'exact', 'single'], 'details')
      t.ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(created[2].created), `created is ISO 8601 UTC: ${created[2].created}`)
      const order = events.map(e => `${e[0]}:${e[0].endsWith('on_create') ? e[2].id : e[2]}`)
      t.ok(order.indexOf(`registration.on_create:${exact.id}`) < order.indexOf(`registration.on_register:${exact.id}`),
        'on_create before on_register')
      await kit.until(() => seen('registration.on_register', e => e[1] === c.id && e[2] === wild.id), 3000, 'on_register')

      const list = await visible('wamp.registration.list', [], r => r.wildcard.includes(wild.id), 'list has all three')
      t.eq([list.exact, list.prefix, list.wildcard], [[exact.id], [prefix.id], [wild.id]], 'list by policy, wamp.* left out')
      t.eq(await call('wamp.registration.list', [c.id]), list, 'list of one callee')
      t.eq(await call('wamp.registration.list', [w.id]), { exact: [], prefix: [], wildcard: [] }, 'list of another')
      t.eq(await call('wamp.registration.lookup', ['com.example.add']), exact.id, 'lookup exact')
      t.eq(await call('wamp.registration.lookup', ['com.example.math.', { match: 'prefix' }]), prefix.id, 'lookup prefix')
      t.eq(await call('wamp.registration.lookup', ['com.example.math.']), null, 'lookup: exact is the default')
      t.eq(await call('wamp.registration.lookup', ['wamp.session.count']), null, 'wamp.* is not looked up')
      // match names the registration a call reaches: check it against the router's routing.
      for (const [uri, want, answer] of [['com.example.add', exact.id, 'exact'], ['com.example.math.mul', prefix.id, 'prefix'],
        ['com.x.calc', wild.id, 'wildcard']]) {
        t.eq(await call('wamp.registration.match', [uri]), want, `match ${uri}`)
        t.eq(await w.call(uri, []), answer, `a call to ${uri} reaches the ${answer} registration`)
      }
      t.eq(await call('wamp.registration.match', ['org.nothing']), null, 'match of nothing')
      const got = await call('wamp.registration.get', [prefix.id])
      t.eq([got.id, got.uri, got.match], [prefix.id, 'com.example.math.', 'prefix'], 'get')
      t.eq(await call('wamp.registration.list_callees', [exact.id]), [c.id], 'list_callees')
      t.eq(await call('wamp.registration.count_callees', [exact.id]), 1, 'count_callees')
      for (const [uri, args, error] of [['wamp.registration.get', [4503599627370495], 'wamp.error.no_such_registration'],
        ['wamp.registration.count_callees', [4503599627370495], 'wamp.error.no_such_registration'],
        ['wamp.registration.get', ['x'], 'wamp.error.invalid_argument'],
        ['wamp.registration.lookup', [], 'wamp.error.invalid_argument'],
        ['wamp.registration.lookup', ['a', { match: 'glob' }], 'wamp.error.invalid_argument'],
        ['wamp.registration.match', [7], 'wamp.error.invalid_argument']]) {
        const e = await kit.callError(call(uri, args))
        t.eq(e.error, error, `${uri} ${JSON.stringify(args)}`)
        t.ok(typeof e.args[0] === 'string' && e.args[0].length > 0, `with a message: ${e.args[0]}`)
      }
      await c.unregister(exact)
      await kit.until(() => seen('registration.on_delete', e => e[2] === exact.id), 3000, 'on_delete')
      const o = events.map(e => `${e[0]}:${e[0].endsWith('on_create') ? e[2].id : e[2]}`)
      t.ok(o.indexOf(`registration.on_unregister:${exact.id}`) < o.indexOf(`registration.on_delete:${exact.id}`),
        'on_unregister before on_delete')
      callee.connection.close()
    })

    await t.step('subscriptions: one id per topic, shared; match agrees with delivery; list_subscribers', async () => {
      const a = await join({ ...alice })
      const b = await join({ ...alice, serializer: 'msgpack' })
      const got = { a: [], b: [] }
      const sa = await a.session.subscribe('com.example.news', () => got.a.push(1))
      const sb = await b.session.subscribe('com.example.news', () => got.b.push(1))
      t.eq(sa.id, sb.id, 'the same subscription id for the same topic')
      const pre = await b.session.subscribe('com.example', () => got.b.push(2), { match: 'prefix' })
      const wc = await a.session.subscribe('com..news', () => got.a.push(3), { match: 'wildcard' })
      const subs = await visible('wamp.subscription.list_subscribers', [sa.id], r => r.length === 2, 'two subscribers')
      t.eq(subs.sort(), [a.session.id, b.session.id].sort(), 'list_subscribers')
      t.eq(await call('wamp.subscription.count_subscribers', [sa.id]), 2, 'count_subscribers')
      await kit.until(async () => (await call('wamp.subscription.list')).wildcard.includes(wc.id), 3000, 'all listed')
      const matched = await call('wamp.subscription.match', ['com.example.news'])
      t.eq(matched.sort(), [sa.id, pre.id, wc.id].sort(), 'match: every subscription the event reaches')
      t.eq(await call('wamp.subscription.match', ['org.example.news']), null, 'match of nothing')
      await w.publish('com.example.news', [], {}, { acknowledge: true })
      await kit.until(() => got.a.length === 2 && got.b.length === 2, 3000, 'the event reached what match names')
      t.eq([got.a.sort(), got.b.sort()], [[1, 3], [1, 2]], 'each subscriber once per subscription')
      t.eq(await call('wamp.subscription.lookup', ['com..news', { match: 'wildcard' }]), wc.id, 'lookup wildcard')
      const d = await call('wamp.subscription.get', [pre.id])
      t.eq(Object.keys(d).sort(), ['created', 'id', 'match', 'uri'], 'get: no invoke for subscriptions')
      const created = seen('subscription.on_create', e => e[2].id === sa.id)
      t.ok(created && created[1] === a.session.id, 'on_create by the first subscriber')
      t.ok(seen('subscription.on_subscribe', e => e[1] === b.session.id && e[2] === sa.id), 'on_subscribe of the second')
      t.ok(!seen('subscription.on_create', e => e[2].id === sb.id && e[1] === b.session.id), 'no second on_create')
      await b.session.unsubscribe(sb)
      await kit.until(() => seen('subscription.on_unsubscribe', e => e[1] === b.session.id && e[2] === sa.id), 3000, 'on_unsubscribe')
      t.eq(await call('wamp.subscription.count_subscribers', [sa.id]), 1, 'one left')
      t.ok(!seen('subscription.on_delete', e => e[2] === sa.id), 'not deleted while a subscriber is left')
      a.connection.close()
      b.connection.close()
    })

    await t.step('a session that dies holding registrations and subscriptions: their ends, then its on_leave', async () => {
      const order = []
      await w.subscribe('wamp.session.on_leave', ([id]) => order.push(['leave', id]))
      await w.subscribe('wamp.subscription.on_delete', ([id, sub]) => order.push(['sub.delete', id, sub]))
      await w.subscribe('wamp.registration.on_delete', ([id, reg]) => order.push(['reg.delete', id, reg]))
      // A client with no library in between, so that its connection can end without a GOODBYE.
      const doomed = await raw.connect({ url: router.url, serializer: 'json' })
      const welcome = await raw.hello(doomed, 'realm1', { roles: { subscriber: {}, callee: {} } })
      const doomedId = welcome[1]
      doomed.send([32, 1, {}, 'com.example.doomed'])
      const s = { id: (await doomed.recv(3000))[2] }
      doomed.send([64, 2, {}, 'com.example.doomed.proc'])
      const r = { id: (await doomed.recv(3000))[2] }
      await kit.until(async () => (await call('wamp.subscription.lookup', ['com.example.doomed'])) === s.id, 3000, 'mirrored')
      await kit.until(async () => (await call('wamp.registration.lookup', ['com.example.doomed.proc'])) === r.id, 3000, 'mirrored')
      doomed.close()  // the connection goes, no GOODBYE
      await kit.until(() => order.some(e => e[0] === 'leave' && e[1] === doomedId), 5000, 'its on_leave')
      const at = what => order.findIndex(e => e[0] === what && e[1] === doomedId)
      t.ok(at('sub.delete') >= 0 && at('sub.delete') < at('leave'), `subscription ended first: ${JSON.stringify(order)}`)
      t.ok(at('reg.delete') >= 0 && at('reg.delete') < at('leave'), `registration ended first: ${JSON.stringify(order)}`)
      t.eq(await call('wamp.subscription.lookup', ['com.example.doomed']), null, 'gone from the mirror')
    })

    await t.step('wamp.* stays out of sight: no events, not listed, not got', async () => {
      const regs = await call('wamp.registration.list')
      for (const id of [...regs.exact, ...regs.prefix, ...regs.wildcard]) {
        const d = await call('wamp.registration.get', [id])
        t.ok(!d.uri.startsWith('wamp.'), `listed ${d.uri}`)
      }
      t.eq(await call('wamp.registration.match', ['wamp.session.count']), null, 'wamp-metad\'s own: not matched')
      t.ok(!events.some(e => e[0].endsWith('on_create') && e[2].uri.startsWith('wamp.')), 'no event about wamp.*')
    })

    await t.step('remove_callee and remove_subscriber (with --enable-kill): the router removes, the client is told', async () => {
      const victim = await join({ ...alice })
      const sub = await victim.session.subscribe('com.example.removable', () => {})
      const reg = await victim.session.register('com.example.removable.proc', () => 1)
      await kit.until(async () => (await call('wamp.registration.lookup', ['com.example.removable.proc'])) === reg.id, 3000, 'mirrored')
      await kit.until(async () => (await call('wamp.subscription.lookup', ['com.example.removable'])) === sub.id, 3000, 'mirrored')
      t.eq(await call('wamp.registration.remove_callee', [reg.id, victim.session.id, 'com.example.bye']), null, 'remove_callee')
      await kit.until(async () => (await call('wamp.registration.lookup', ['com.example.removable.proc'])) === null, 3000, 'unregistered')
      t.eq((await kit.callError(w.call('com.example.removable.proc', []))).error, 'wamp.error.no_such_procedure', 'no more calls reach it')
      t.eq(await call('wamp.subscription.remove_subscriber', [sub.id, victim.session.id]), null, 'remove_subscriber')
      await kit.until(async () => (await call('wamp.subscription.lookup', ['com.example.removable'])) === null, 3000, 'unsubscribed')
      for (const [args, error] of [[[reg.id, victim.session.id], 'wamp.error.no_such_registration'],
        [[4503599627370495, 1], 'wamp.error.no_such_registration'], [['x', 1], 'wamp.error.invalid_argument']]) {
        t.eq((await kit.callError(call('wamp.registration.remove_callee', args))).error, error, JSON.stringify(args))
      }
      const other = await join({ realm: 'realm2', ...alice })
      t.eq((await kit.callError(other.session.call('wamp.registration.remove_callee', [1, 1]))).error,
        'wamp.error.no_such_procedure', 'not served without --enable-kill')
      t.ok(/wamp.registration.remove_callee by session/.test(metad.stderr()), 'logged')
    })
  } finally {
    await closeAll()
    if (metad) await metad.stop()
    const r = await router.stop()
    if (/BUG:/.test(r.stderr)) throw new Error('router logged a bug:\n' + r.stderr)
  }
})
