'use strict'
// Autobahn|JS against the reference router: WebSocket JSON, WebSocket msgpack and RawSocket JSON.
// Routing (call/publish/subscribe), argument shapes, callee errors, realm isolation, authentication,
// authorization of wamp.* and of the internal realm, duplicate registrations, disclose_caller.

const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')
const { autobahn, join, expectAbort, callError, until } = kit

kit.main('router: Autobahn|JS clients', 90000, async t => {
  const r = await routerctl.start({ realms: ['realm1', 'realm2'] })
  const open = []
  const j = async o => {
    const s = await join(o)
    open.push(s)
    return s
  }
  try {
    const variants = [
      { name: 'websocket/json', base: { url: r.url, serializer: 'json' } },
      { name: 'websocket/msgpack', base: { url: r.url, serializer: 'msgpack' } },
      { name: 'rawsocket/json', base: { rawsocket: r.rawsocket, serializer: 'json' } }
    ]
    for (const v of variants) {
      await t.step(`${v.name}: join, call, errors, pubsub, isolation, disclose_caller`, async () => {
        const a = await j({ ...v.base, realm: 'realm1' })
        const b = await j({ ...v.base, realm: 'realm1', authid: 'alice', ticket: routerctl.SECRETS.alice })
        const other = await j({ ...v.base, realm: 'realm2', authid: 'alice', ticket: routerctl.SECRETS.alice })
        t.eq(a.welcome.authmethod, 'anonymous', 'anonymous authmethod')
        t.eq(a.welcome.authrole, 'anonymous', 'anonymous authrole')
        t.ok(typeof a.welcome.authid === 'string' && a.welcome.authid.length > 0, 'random anonymous authid')
        t.eq(b.welcome.authid, 'alice', 'ticket authid')
        t.eq(b.welcome.authrole, 'user', 'ticket authrole')
        t.eq(b.welcome.authprovider, 'static', 'authprovider')
        t.ok(b.welcome.roles && b.welcome.roles.broker && b.welcome.roles.dealer, 'WELCOME roles')
        const sid = a.session.id
        t.ok(Number.isInteger(sid) && sid > 0 && sid <= 2 ** 53, `session id in range: ${sid}`)

        const uri = `com.test.${v.name.replace('/', '_')}`
        let seen = null
        await a.session.register(`${uri}.echo`, (args, kwargs, details) => {
          seen = { args, kwargs, details }
          return new autobahn.Result(args, Object.assign({ echoed: true }, kwargs))
        })
        let res = await b.session.call(`${uri}.echo`, [[1, 2]], { k: [3] })
        t.eq(res.args, [[1, 2]], 'single list argument not flattened')
        t.eq(res.kwargs, { echoed: true, k: [3] }, 'kwargs passed through')
        t.eq(seen.args, [[1, 2]], 'callee saw [[1,2]]')
        t.ok(seen.details.caller === undefined, 'caller not disclosed without disclose_caller')
        res = await b.session.call(`${uri}.echo`, [])
        t.eq(res.args, [], 'empty args')
        res = await b.session.call(`${uri}.echo`, [1, 'two', { three: 3 }, null])
        t.eq(res.args, [1, 'two', { three: 3 }, null], 'several arguments')
        const big = 2 ** 53 - 1
        res = await b.session.call(`${uri}.echo`, [big, 2 ** 40])
        t.eq(res.args, [big, 2 ** 40], 'large integers')

        await a.session.register(`${uri}.fail`, () => {
          throw new autobahn.Error('com.app.oops', [1, 'x'], { why: 'because' })
        })
        const err = await callError(b.session.call(`${uri}.fail`, [9]))
        t.eq(err.error, 'com.app.oops', 'callee error URI passes through')
        t.eq(err.args, [1, 'x'], 'callee error args pass through')
        t.eq(err.kwargs, { why: 'because' }, 'callee error kwargs pass through')

        const nope = await callError(b.session.call(`${uri}.missing`))
        t.eq(nope.error, 'wamp.error.no_such_procedure', 'unknown procedure')
        const iso = await callError(other.session.call(`${uri}.echo`, [1]))
        t.eq(iso.error, 'wamp.error.no_such_procedure', 'procedures do not cross realms')

        // disclose_caller
        let inv = null
        await a.session.register(`${uri}.who`, (args, kwargs, details) => {
          inv = details
          return 1
        }, { disclose_caller: true })
        await b.session.call(`${uri}.who`)
        t.eq(inv.caller, b.session.id, 'caller id disclosed')
        t.eq(inv.caller_authid, 'alice', 'caller_authid disclosed')
        t.eq(inv.caller_authrole, 'user', 'caller_authrole disclosed')

        // publish / subscribe
        const got = []
        const gotOther = []
        await a.session.subscribe(`${uri}.topic`, (args, kwargs, details) => got.push({ args, kwargs }))
        await other.session.subscribe(`${uri}.topic`, (args) => gotOther.push(args))
        await b.session.publish(`${uri}.topic`, [[1, 2]], { x: 1 }, { acknowledge: true })
        await b.session.publish(`${uri}.topic`, [], {}, { acknowledge: true })
        await b.session.publish(`${uri}.topic`, ['no-ack'])
        await until(() => got.length === 3, 5000, 'three events')
        t.eq(got[0], { args: [[1, 2]], kwargs: { x: 1 } }, 'event payload')
        t.eq(got[1].args, [], 'empty event args')
        t.eq(got[2].args, ['no-ack'], 'unacknowledged publish delivered')
        // exclude_me defaults to true; exclude_me=false delivers to the publisher too
        const self = []
        await b.session.subscribe(`${uri}.topic`, (args) => self.push(args))
        await b.session.publish(`${uri}.topic`, ['mine'], {}, { acknowledge: true })
        await b.session.publish(`${uri}.topic`, ['mine2'], {}, { acknowledge: true, exclude_me: false })
        await until(() => got.length === 5, 5000, 'five events')
        await until(() => self.length === 1, 5000, 'publisher receives with exclude_me=false')
        t.eq(self[0], ['mine2'], 'exclude_me')
        await kit.sleep(50)
        t.eq(gotOther.length, 0, 'events do not cross realms')

        // duplicate registration of an ordinary URI
        const dup = await callError(b.session.register(`${uri}.echo`, () => 0))
        t.eq(dup.error, 'wamp.error.procedure_already_exists', 'duplicate registration refused')
        // after unregistering, the name is free again
        const reg = await b.session.register(`${uri}.free`, () => 'first')
        await b.session.unregister(reg)
        await a.session.register(`${uri}.free`, () => 'second')
        t.eq(await b.session.call(`${uri}.free`), 'second', 're-registration after unregister')

        for (const s of [a, b, other]) s.connection.close()
      })
    }

    await t.step('authentication', async () => {
      const base = { url: r.url, serializer: 'msgpack' }
      const bob = await j({ ...base, realm: 'realm2', authid: 'bob', wampcra: routerctl.SECRETS.bob })
      t.eq([bob.welcome.authid, bob.welcome.authrole, bob.welcome.authmethod], ['bob', 'admin', 'wampcra'], 'wampcra')
      const ex = await j({ ...base, realm: 'realm1', authid: 'alice', ticket: routerctl.SECRETS.alice,
        authextra: { app: 'x' } })
      t.eq(ex.welcome.authextra, { app: 'x' }, 'authextra echoed')
      const named = await j({ ...base, realm: 'realm1', authid: 'anon-name' })
      t.eq([named.welcome.authid, named.welcome.authmethod], ['anon-name', 'anonymous'], 'anonymous keeps HELLO authid')
      t.eq(await expectAbort({ ...base, realm: 'realm1', authid: 'alice', ticket: 'wrong' }),
        'wamp.error.authentication_failed', 'bad ticket')
      t.eq(await expectAbort({ ...base, realm: 'realm1', authid: 'bob', wampcra: 'wrong' }),
        'wamp.error.authentication_failed', 'bad wampcra secret')
      t.eq(await expectAbort({ ...base, realm: 'realm1', authid: 'mallory', ticket: 'x' }),
        'wamp.error.authentication_failed', 'unknown authid')
      t.eq(await expectAbort({ ...base, realm: 'realm1', authid: 'alice', wampcra: 'x' }),
        'wamp.error.authentication_failed', 'method the principal does not have')
      t.eq(await expectAbort({ ...base, realm: 'realm2' }), 'wamp.error.no_auth_method', 'anonymous not allowed on realm2')
      t.eq(await expectAbort({ ...base, realm: 'nosuch' }), 'wamp.error.no_such_realm', 'unknown realm')
      t.eq(await expectAbort({ ...base, realm: 'Bad Realm!' }), 'wamp.error.no_such_realm', 'malformed realm')
      t.eq(await expectAbort({ ...base, realm: 'router.internal', authid: 'alice', ticket: routerctl.SECRETS.alice }),
        'wamp.error.not_authorized', 'internal realm refused to a user')
      t.eq(await expectAbort({ ...base, realm: 'router.internal' }), 'wamp.error.not_authorized',
        'internal realm refused to anonymous')
      const m1 = await j({ ...base, realm: 'router.internal', authid: 'metad', ticket: routerctl.SECRETS.metad })
      const m2 = await j({ ...base, realm: 'router.internal', authid: 'metacra', wampcra: routerctl.SECRETS.metacra })
      t.eq([m1.welcome.authrole, m2.welcome.authrole], ['metad', 'metad'], 'meta role joins the internal realm')
      const after = await j({ ...base, realm: 'realm1' })
      t.ok(after.session.id > 0, 'router still up after refused joins')
      for (const s of [bob, ex, named, m1, m2, after]) s.connection.close()
    })

    await t.step('authorization of wamp.* and duplicate wamp.* registrations', async () => {
      const base = { url: r.url, serializer: 'json', realm: 'realm1' }
      const user = await j({ ...base, authid: 'alice', ticket: routerctl.SECRETS.alice })
      const meta = await j({ ...base, authid: 'metad', ticket: routerctl.SECRETS.metad })
      const meta2 = await j({ ...base, authid: 'metacra', wampcra: routerctl.SECRETS.metacra })
      const e1 = await callError(user.session.register('wamp.session.count', () => 0))
      t.eq(e1.error, 'wamp.error.not_authorized', 'user may not register wamp.*')
      const e2 = await callError(user.session.publish('wamp.session.on_join', [{}], {}, { acknowledge: true }))
      t.eq(e2.error, 'wamp.error.not_authorized', 'user may not publish wamp.*')
      const events = []
      await user.session.subscribe('wamp.session.on_join', (args) => events.push(args))
      await user.session.publish('wamp.session.on_join', ['spoof']) // dropped silently (no ack asked)
      await meta.session.register('wamp.session.count', () => 42)
      t.eq(await user.session.call('wamp.session.count'), 42, 'meta role registers wamp.*')
      const e3 = await callError(meta2.session.register('wamp.session.count', () => 0))
      t.eq(e3.error, 'wamp.error.procedure_already_exists', 'second wamp.* registration refused')
      await meta.session.publish('wamp.session.on_join', [{ session: 1 }], {}, { acknowledge: true })
      await until(() => events.length >= 1, 5000, 'meta event')
      await kit.sleep(50)
      t.eq(events, [[{ session: 1 }]], 'only the meta role\'s wamp.* event arrives')
      // the registration goes away with its session
      meta.connection.close()
      await until(async () => {
        try { await user.session.call('wamp.session.count'); return false } catch (e) { return e.error === 'wamp.error.no_such_procedure' }
      }, 5000, 'registration removed with its session')
      await meta2.session.register('wamp.session.count', () => 7)
      t.eq(await user.session.call('wamp.session.count'), 7, 'name free after the owner left')
      // a call pending when its callee leaves fails instead of hanging
      await meta2.session.register('com.slow', () => new Promise(() => {}))
      const pending = callError(user.session.call('com.slow'))
      await kit.sleep(50)
      meta2.connection.close()
      t.eq((await pending).error, 'wamp.error.canceled', 'pending call canceled when the callee leaves')
      user.connection.close()
    })
  } finally {
    for (const s of open) {
      try { s.connection.close() } catch (e) { /* already closed */ }
    }
    const res = await r.stop()
    if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
    if (res.code !== 0) throw new Error(`router exit code ${res.code} signal ${res.signal}`)
  }
})
