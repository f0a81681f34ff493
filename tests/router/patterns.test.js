'use strict'
// WAMP ids and URI patterns in the reference router: one subscription id per (realm, uri, match) for every
// subscriber, in SUBSCRIBED and EVENT and for UNSUBSCRIBE, a new one once the last subscriber left; prefix and
// wildcard subscriptions reach what the WAMP spec says (a prefix is a string prefix); a call reaches the exact
// registration, else the longest prefix, else the most specific wildcard, and the callee of a pattern is told
// the procedure called; patterns that could take wamp.* calls are the meta role's.

const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')
const raw = require('../lib/rawwamp')
const { callError, until, sleep } = kit

kit.main('router: WAMP ids and URI patterns', 90000, async t => {
  const r = await routerctl.start({ realms: ['realm1', 'realm2'],
    principals: { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: ['realm1', 'realm2'] } })
  const { join: j, closeAll } = kit.joiner({ url: r.url, serializer: 'json', realm: 'realm1' })
  const rawClients = []
  const rawJoin = async (realm = 'realm1') => {
    const c = await raw.connect({ url: r.url, serializer: 'msgpack' })
    rawClients.push(c)
    await raw.hello(c, realm)
    return c
  }
  let request = 100
  // SUBSCRIBE on a raw client -> the subscription id of SUBSCRIBED.
  const subscribe = async (c, topic, match) => {
    const id = ++request
    c.send([32, id, match ? { match } : {}, topic])
    const m = await c.recv()
    t.eq(m.slice(0, 2), [33, id], `SUBSCRIBED for ${topic} (${match || 'exact'})`)
    return m[2]
  }
  // Every EVENT a raw client has received so far: [subscription id, details.topic, args].
  const drain = async c => {
    const out = []
    for (;;) {
      const m = await c.recv(150).catch(() => null)
      if (!m) return out
      t.eq(m[0], 36, `EVENT, got ${JSON.stringify(m)}`)
      out.push([m[1], m[3].topic, m[4]])
    }
  }
  try {
    const pub = await j({})
    const publish = (topic, args) => pub.session.publish(topic, args, {}, { acknowledge: true })

    await t.step('raw: one subscription id per (realm, uri, match) in SUBSCRIBED and EVENT, new after the last', async () => {
      const a = await rawJoin()
      const b = await rawJoin()
      const id = await subscribe(a, 'com.shared.t')
      t.eq(await subscribe(b, 'com.shared.t'), id, 'both subscribers get one id')
      t.ok(Number.isInteger(id) && id > 0 && id <= 2 ** 53, 'an id in range')
      t.eq(await subscribe(a, 'com.shared.t'), id, 'subscribing again: the same subscription')
      const other = await rawJoin('realm2')
      t.ok(await subscribe(other, 'com.shared.t') !== id, 'another realm: another subscription')
      await publish('com.shared.t', [1])
      t.eq(await drain(a), [[id, 'com.shared.t', [1]]], 'a: one EVENT with the id')
      t.eq(await drain(b), [[id, 'com.shared.t', [1]]], 'b: one EVENT with the id')
      a.send([34, 7, id])
      t.eq(await a.recv(), [35, 7], 'UNSUBSCRIBED')
      await publish('com.shared.t', [2])
      t.eq([await drain(a), await drain(b)], [[], [[id, 'com.shared.t', [2]]]], 'b alone gets the next event')
      b.send([34, 8, id])
      t.eq(await b.recv(), [35, 8], 'the last subscriber unsubscribes')
      const again = await subscribe(a, 'com.shared.t')
      t.ok(again !== id, 'a new subscription: a new id')
      const prefix = await subscribe(a, 'com.shared.t', 'prefix')
      t.ok(prefix !== again, 'the same URI with another match policy: another subscription')
      await publish('com.shared.t', [3])
      t.eq((await drain(a)).sort(), [[again, 'com.shared.t', [3]], [prefix, 'com.shared.t', [3]]].sort(),
        'one EVENT per subscription')
    })

    await t.step('Autobahn|JS: two clients share a subscription id; one unsubscribes, the other stays', async () => {
      const x = await j({})
      const y = await j({ serializer: 'msgpack' })
      const got = { x: [], y: [] }
      const sx = await x.session.subscribe('com.shared.js', args => got.x.push(args[0]))
      const sy = await y.session.subscribe('com.shared.js', args => got.y.push(args[0]))
      t.eq(sx.id, sy.id, 'one subscription id')
      await publish('com.shared.js', [1])
      await until(() => got.x.length === 1 && got.y.length === 1, 5000, 'both events')
      await x.session.unsubscribe(sx)
      await publish('com.shared.js', [2])
      await until(() => got.y.length === 2, 5000, 'y\'s second event')
      await sleep(50)
      t.eq(got, { x: [1], y: [1, 2] }, 'each event once; after x left, y alone')
      await y.session.unsubscribe(sy)
      const sx2 = await x.session.subscribe('com.shared.js', args => got.x.push(args[0]))
      t.ok(sx2.id !== sx.id, 'after the last subscriber: a new id')
      await publish('com.shared.js', [3])
      await until(() => got.x.length === 2, 5000, 'x\'s event on the new subscription')
    })

    await t.step('prefix and wildcard subscriptions reach what the spec says', async () => {
      const s = await rawJoin()
      const ids = {}
      for (const [name, topic, match] of [['E', 'com.p.door'], ['P1', 'com.p.do', 'prefix'],
        ['P2', 'com.p.door.', 'prefix'], ['P3', '', 'prefix'], ['W1', 'com.p..state', 'wildcard'],
        ['W2', 'com..door.', 'wildcard']]) {
        ids[await subscribe(s, topic, match)] = name
      }
      const expected = {
        'com.p.door': ['E', 'P1', 'P3'],
        'com.p.dormant': ['P1', 'P3'],
        'com.p.door.state': ['P1', 'P2', 'P3', 'W1', 'W2'],
        'com.p.window.state': ['P3', 'W1'],
        'com.q.door.open': ['P3', 'W2'],
        'com.p.a.b.state': ['P3'],
        'com.pdoor': ['P3'],
        'com.p': ['P3']
      }
      for (const [topic, names] of Object.entries(expected)) {
        await publish(topic, [topic])
        const events = await drain(s)
        t.eq(events.map(([id]) => ids[id]).sort(), names, `a publication to ${topic} reaches`)
        for (const [, detailsTopic, args] of events) t.eq([detailsTopic, args], [topic, [topic]], 'EVENT.Details.topic')
      }
    })

    await t.step('calls reach the exact registration, else the longest prefix, else the most specific wildcard', async () => {
      const cal = await j({})
      const caller = await j({ serializer: 'msgpack' })
      const regs = {}
      const reg = async (name, uri, match) => {
        regs[name] = await cal.session.register(uri, (args, kwargs, details) => [name, details.procedure],
          match ? { match } : {})
      }
      const reaches = async (uri, name) => {
        if (name === null) {
          t.eq((await callError(caller.session.call(uri))).error, 'wamp.error.no_such_procedure', `${uri} reaches nothing`)
        } else {
          t.eq(await caller.session.call(uri), [name, uri], `${uri} reaches ${name}`)
        }
      }
      await reg('exact', 'com.r.p.x')
      await reg('p-short', 'com.r.p', 'prefix')
      await reg('p-long', 'com.r.p.x.', 'prefix')
      await reg('w-a', 'com.r.w.a..c', 'wildcard')
      await reg('w-b', 'com.r.w..b.c', 'wildcard')
      await reg('w-any', 'com.r.w...c', 'wildcard')
      const table = [['com.r.p.x', 'exact'], ['com.r.p.x.y', 'p-long'], ['com.r.px', 'p-short'], ['com.r.p', 'p-short'],
        ['com.r.w.a.b.c', 'w-a'], ['com.r.w.z.b.c', 'w-b'], ['com.r.w.z.y.c', 'w-any'], ['com.r.w.z.y', null],
        ['com.r.q', null]]
      for (const [uri, name] of table) await reaches(uri, name)
      await reg('p-w', 'com.r.w.a', 'prefix')
      await reaches('com.r.w.a.b.c', 'p-w') // a prefix beats a wildcard
      await reaches('com.r.w.z.b.c', 'w-b')
      await reg('exact-w', 'com.r.w.z.b.c')
      await reaches('com.r.w.z.b.c', 'exact-w') // an exact registration beats both
      await cal.session.unregister(regs['p-long'])
      await reaches('com.r.p.x.y', 'p-short')
      const other = await j({})
      t.eq((await callError(other.session.register('com.r.p', () => 0, { match: 'prefix' }))).error,
        'wamp.error.procedure_already_exists', 'a second registration of a prefix')
      await other.session.register('com.r.p', () => ['other exact', null])
      t.eq(await caller.session.call('com.r.p'), ['other exact', null], 'the same URI as exact is another registration')
    })

    await t.step('raw: INVOCATION.Details.procedure for a pattern-based registration only', async () => {
      const c = await rawJoin()
      const caller = await rawJoin()
      c.send([64, 1, { match: 'prefix' }, 'com.r.raw.'])
      const [, , prefixId] = await c.recv()
      c.send([64, 2, {}, 'com.r.rawexact'])
      const [, , exactId] = await c.recv()
      caller.send([48, 1, {}, 'com.r.raw.x', [1]])
      const inv = await c.recv()
      t.eq([inv[0], inv[2], inv[3], inv[4]], [68, prefixId, { procedure: 'com.r.raw.x' }, [1]], 'pattern: procedure')
      c.send([70, inv[1], {}, ['ok']])
      t.eq(await caller.recv(), [50, 1, {}, ['ok']], 'RESULT')
      caller.send([48, 2, {}, 'com.r.rawexact'])
      const inv2 = await c.recv()
      t.eq([inv2[0], inv2[2], inv2[3]], [68, exactId, {}], 'exact: no procedure in Details')
    })

    await t.step('patterns that could take wamp.* calls are the meta role\'s; malformed patterns', async () => {
      const alice = await j({ authid: 'alice', ticket: routerctl.SECRETS.alice })
      for (const [uri, match] of [['wamp', 'prefix'], ['', 'prefix'], ['wamp.session.', 'prefix'], ['w', 'prefix'],
        ['.session.count', 'wildcard'], ['wamp..count', 'wildcard'], ['wamp.session.kill', 'exact']]) {
        const e = await callError(alice.session.register(uri, () => 0, { match }))
        t.eq(e.error, 'wamp.error.not_authorized', `${match} '${uri}' refused`)
      }
      await alice.session.register('wampx', () => 0, { match: 'prefix' })
      await alice.session.register('com..count', () => 0, { match: 'wildcard' })
      const meta = await j({ authid: 'metad', ticket: routerctl.SECRETS.metad })
      await meta.session.register('wamp.session.', () => 'meta', { match: 'prefix' })
      t.eq(await alice.session.call('wamp.session.anything'), 'meta', 'the meta role may')
      const c = await rawJoin()
      for (const [type, opt, uri, error] of [[64, {}, 'com..x', 'wamp.error.invalid_uri'],
        [64, { match: 'prefix' }, 'com..x', 'wamp.error.invalid_uri'], [32, { match: 'wildcard' }, 'com.#.x', 'wamp.error.invalid_uri'],
        [32, { match: 'prefix' }, 'com x', 'wamp.error.invalid_uri'], [64, { match: 'fuzzy' }, 'com.x', 'wamp.error.invalid_argument']]) {
        c.send([type, 9, opt, uri])
        t.eq((await c.recv()).slice(0, 5), [8, type, 9, {}, error], `${type} ${JSON.stringify(opt)} '${uri}'`)
      }
    })
  } finally {
    closeAll()
    for (const c of rawClients) c.close()
    await r.stopChecked()
  }
})
