'use strict'
// Hook protocol v1 on the internal realm: joined/left hooks (fields, epoch, gap-free seq, ordering
// before WELCOME), snapshot paging over a frozen view while sessions churn, sync, kill, test switches.

const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')
const { autobahn, join, callError, until, sleep } = kit

const PEER_RE = /^tcp4:127\.0\.0\.1:\d+$/

kit.main('router: hook protocol', 100000, async t => {
  const r = await routerctl.start({ realms: ['realm1', 'realm2'], args: ['--snapshot-page', '3', '--test-switches'] })
  const open = []
  const j = async o => {
    const s = await join(o)
    open.push(s)
    return s
  }
  try {
    const meta = await j({ url: r.url, serializer: 'msgpack', realm: 'router.internal', authid: 'metad',
      ticket: routerctl.SECRETS.metad })
    const hooks = [] // every hook in arrival order: {topic, info}
    const onHook = topic => (args, kwargs) => {
      t.ok(Array.isArray(args) && args.length === 1, `${topic}: one positional argument`)
      t.ok(kwargs === undefined || Object.keys(kwargs).length === 0, `${topic}: no kwargs`)
      hooks.push({ topic, info: args[0] })
    }
    await meta.session.subscribe('router.session.joined', onHook('joined'))
    await meta.session.subscribe('router.session.left', onHook('left'))
    const call = (uri, args, kwargs) => meta.session.call(uri, args, kwargs)
    const callArgs = async (uri, args) => {
      const res = await call(uri, args, {})
      return res instanceof autobahn.Result ? res.args : [res]
    }
    const sync = async () => {
      const [epoch, seq] = await callArgs('router.session.sync', [])
      return { epoch, seq }
    }
    // the seq of hooks must be 1, 2, 3, ... in arrival order (gaps only where a test switch made them)
    let expectedSkips = 0
    const checkSeq = () => {
      let holes = 0
      for (let i = 0; i < hooks.length; i++) {
        const prev = i === 0 ? 0 : hooks[i - 1].info.seq
        t.ok(hooks[i].info.seq > prev, `seq increases at hook ${i}: ${prev} -> ${hooks[i].info.seq}`)
        holes += hooks[i].info.seq - prev - 1
      }
      t.eq(holes, expectedSkips, 'seq has no holes except the skipped ones')
    }

    await t.step('sync before any hook', async () => {
      const s = await sync()
      t.eq(s, { epoch: r.epoch, seq: 0 }, 'sync = [epoch, 0] on a fresh router (epoch of the ready line)')
      t.ok(/^[0-9a-f]{16}$/.test(r.epoch), 'epoch is 16 hex chars')
      const snap = (await callArgs('router.session.snapshot', []))[0]
      t.eq(snap, { epoch: r.epoch, seq: 0, sessions: [], registrations: [], subscriptions: [], protocol: 2, left: [] },
        'empty snapshot without next_cursor')
    })

    const byId = new Map()
    await t.step('joined hooks: fields, order before WELCOME, no hooks for the internal realm', async () => {
      const specs = [
        { url: r.url, serializer: 'json', realm: 'realm1' },
        { url: r.url, serializer: 'msgpack', realm: 'realm1', authid: 'alice', ticket: routerctl.SECRETS.alice,
          authextra: { color: 'blue' } },
        { rawsocket: r.rawsocket, serializer: 'json', realm: 'realm2', authid: 'bob', wampcra: routerctl.SECRETS.bob }
      ]
      for (const spec of specs) {
        const c = await j(spec)
        // A sync issued after WELCOME arrived must find the joined hook already delivered (same socket, in order).
        const s = await sync()
        const h = hooks.find(x => x.topic === 'joined' && x.info.session === c.session.id)
        t.ok(h, `joined hook for ${c.session.id} delivered before a sync issued after its WELCOME`)
        t.ok(h.info.seq <= s.seq, 'hook seq <= sync seq')
        const info = h.info
        const w = c.welcome
        t.eq(info.realm, spec.realm, 'realm')
        t.eq(info.authid, w.authid, 'authid')
        t.eq(info.authrole, w.authrole, 'authrole')
        t.eq(info.authmethod, w.authmethod, 'authmethod')
        t.eq(info.authprovider, 'static', 'authprovider')
        t.eq(info.epoch, r.epoch, 'epoch')
        t.ok(Number.isInteger(info.seq), 'seq integer')
        t.eq(info.transport.type, spec.rawsocket ? 'rawsocket' : 'websocket', 'transport.type')
        t.eq(info.transport.serializer, spec.serializer, 'transport.serializer')
        t.ok(PEER_RE.test(info.transport.peer), `transport.peer ${info.transport.peer}`)
        if (spec.authextra) t.eq(info.authextra, spec.authextra, 'authextra')
        else t.ok(!('authextra' in info), 'no authextra unless given')
        byId.set(c.session.id, c)
      }
      const before = hooks.length
      const m2 = await j({ url: r.url, serializer: 'json', realm: 'router.internal', authid: 'metacra',
        wampcra: routerctl.SECRETS.metacra })
      await sync()
      t.eq(hooks.length, before, 'no hook for a session of the internal realm')
      m2.connection.close()
      await sleep(30)
      await sync()
      t.eq(hooks.length, before, 'no hook when an internal-realm session leaves')
      checkSeq()
    })

    await t.step('left hooks follow the session leaving; many clients keep seq gap-free', async () => {
      const [id] = byId.keys()
      const c = byId.get(id)
      byId.delete(id)
      c.connection.close()
      await until(() => hooks.some(x => x.topic === 'left' && x.info.session === id), 5000, 'left hook')
      const joined = hooks.find(x => x.topic === 'joined' && x.info.session === id).info
      const left = hooks.find(x => x.topic === 'left' && x.info.session === id).info
      for (const k of ['realm', 'session', 'authid', 'authrole', 'authmethod', 'authprovider', 'transport']) {
        t.eq(left[k], joined[k], `left.${k} equals joined.${k}`)
      }
      // 40 clients join concurrently, half leave concurrently
      const many = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        join(i % 3 ? { url: r.url, serializer: i % 2 ? 'json' : 'msgpack', realm: 'realm1' }
          : { url: r.url, serializer: 'msgpack', realm: 'realm2', authid: 'alice', ticket: routerctl.SECRETS.alice })))
      for (const c of many) byId.set(c.session.id, c)
      await Promise.all(many.slice(0, 20).map(c => {
        byId.delete(c.session.id)
        c.connection.close()
        return c.closed
      }))
      const s = await sync()
      await until(() => hooks.length > 0 && hooks[hooks.length - 1].info.seq === s.seq, 5000, 'all hooks up to sync')
      checkSeq()
      open.push(...many.slice(20))
      // the mirror built from hooks equals the live sessions
      const mirror = new Set()
      for (const h of hooks) (h.topic === 'joined' ? mirror.add(h.info.session) : mirror.delete(h.info.session))
      t.eq([...mirror].sort(), [...byId.keys()].sort(), 'hooks describe the live sessions')
    })

    await t.step('snapshot pages over a frozen view while sessions churn', async () => {
      const first = (await callArgs('router.session.snapshot', []))[0]
      t.eq(first.epoch, r.epoch, 'snapshot epoch')
      t.eq(first.sessions.length, 3, 'page size 3')
      t.ok(typeof first.next_cursor === 'string', 'next_cursor on a non-last page')
      const seqAtSnapshot = first.seq
      // The first page carries the recently left sessions (tombstones), exactly the left hooks so far.
      const leftSoFar = hooks.filter(h => h.topic === 'left' && h.info.seq <= seqAtSnapshot).map(h => h.info.session)
      t.ok(Array.isArray(first.left), 'first page has a left list')
      t.eq(first.left.map(i => i.session), leftSoFar, 'left = the sessions that left, oldest first')
      for (const i of first.left) t.ok(i.realm && i.authid && !('seq' in i), 'tombstones are info dicts')
      const all = [...first.sessions]
      let cursor = first.next_cursor
      let pages = 1
      const churn = []
      while (cursor) {
        // churn between pages: one joins, one leaves
        const nc = await join({ url: r.url, serializer: 'json', realm: 'realm1' })
        byId.set(nc.session.id, nc)
        open.push(nc)
        const [gone] = byId.keys()
        churn.push(gone)
        byId.get(gone).connection.close()
        byId.delete(gone)
        const page = (await callArgs('router.session.snapshot', [cursor]))[0]
        t.eq(page.seq, seqAtSnapshot, 'every page carries the seq of the frozen view')
        t.ok(page.sessions.length <= 3 && page.sessions.length > 0, 'page size')
        all.push(...page.sessions)
        t.ok(!('left' in page), 'left only on the first page')
        if (page.next_cursor !== undefined) t.ok(typeof page.next_cursor === 'string', 'cursor is a string')
        else t.ok(!('next_cursor' in page), 'next_cursor absent on the last page')
        // the same cursor can be read again while the view is alive, except after the last page
        cursor = page.next_cursor
        t.ok(++pages < 100, 'bounded paging')
      }
      // the view equals the hooks applied up to seqAtSnapshot
      const mirror = new Map()
      for (const h of hooks) {
        if (h.info.seq > seqAtSnapshot) break
        if (h.topic === 'joined') mirror.set(h.info.session, h.info)
        else mirror.delete(h.info.session)
      }
      t.eq(all.map(s => s.session).sort(), [...mirror.keys()].sort(), 'snapshot = hooks up to its seq')
      for (const s of all) {
        const h = mirror.get(s.session)
        for (const k of ['realm', 'authid', 'authrole', 'authmethod', 'authprovider', 'transport']) {
          t.eq(s[k], h[k], `snapshot ${k}`)
        }
        t.ok(!('seq' in s) && !('epoch' in s), 'snapshot sessions carry no per-session epoch/seq')
      }
      // a consumer that applies the hooks after the snapshot's seq reaches the live state
      const s = await sync()
      await until(() => hooks[hooks.length - 1].info.seq === s.seq, 5000, 'hooks up to sync')
      for (const h of hooks) {
        if (h.info.seq <= seqAtSnapshot) continue
        if (h.topic === 'joined') mirror.set(h.info.session, h.info)
        else mirror.delete(h.info.session)
      }
      t.eq([...mirror.keys()].sort(), [...byId.keys()].sort(), 'snapshot + later hooks = live sessions')
      checkSeq()
      const e1 = await callError(call('router.session.snapshot', [first.next_cursor]))
      t.eq(e1.error, 'wamp.error.invalid_argument', 'cursor of a finished view expires')
      t.ok(typeof e1.args[0] === 'string', 'error carries a message')
      const e2 = await callError(call('router.session.snapshot', ['garbage']))
      t.eq(e2.error, 'wamp.error.invalid_argument', 'garbage cursor')
      const e3 = await callError(call('router.session.snapshot', [42]))
      t.eq(e3.error, 'wamp.error.invalid_argument', 'non-string cursor')
    })

    await t.step('kill', async () => {
      const victim = await j({ url: r.url, serializer: 'json', realm: 'realm1', authid: 'alice',
        ticket: routerctl.SECRETS.alice })
      const vid = victim.session.id
      const res = await callArgs('router.session.kill', [vid, 'com.example.kicked', 'bye now'])
      t.eq(res, [true], 'kill result [true]')
      // the left hook was written before the kill's RESULT
      t.ok(hooks.some(x => x.topic === 'left' && x.info.session === vid), 'left hook before the kill result')
      const closed = await victim.closed
      t.eq(closed.details.reason, 'com.example.kicked', 'victim got GOODBYE with the reason')
      t.eq(closed.details.message, 'bye now', 'victim got Details.message')
      const v2 = await j({ url: r.url, serializer: 'msgpack', realm: 'realm2', authid: 'bob', wampcra: routerctl.SECRETS.bob })
      t.eq(await callArgs('router.session.kill', [v2.session.id, null, null]), [true], 'kill with defaults')
      const c2 = await v2.closed
      t.eq(c2.details.reason, 'wamp.close.killed', 'default reason wamp.close.killed')
      const v3 = await j({ url: r.url, serializer: 'msgpack', realm: 'realm2', authid: 'bob', wampcra: routerctl.SECRETS.bob })
      t.eq(await callArgs('router.session.kill', [v3.session.id]), [true], 'kill with only the session')
      t.eq((await v3.closed).details.reason, 'wamp.close.killed', 'omitted reason')
      const e1 = await callError(call('router.session.kill', [vid, null, null]))
      t.eq(e1.error, 'wamp.error.no_such_session', 'killing a gone session')
      const e2 = await callError(call('router.session.kill', [meta.session.id]))
      t.eq(e2.error, 'wamp.error.no_such_session', 'internal-realm sessions are not killable through hooks')
      const e3 = await callError(call('router.session.kill', [[...byId.keys()][0], 'not a uri!', null]))
      t.eq(e3.error, 'wamp.error.invalid_uri', 'bad reason URI')
      const e4 = await callError(call('router.session.kill', ['x']))
      t.eq(e4.error, 'wamp.error.invalid_argument', 'non-integer session')
      checkSeq()
    })

    await t.step('test switches: skip_seq, publish_raw, fabricate, unfabricate', async () => {
      let s = await sync()
      const [next] = await callArgs('router.test.skip_seq', [2])
      t.eq(next, s.seq + 3, 'skip_seq tells the next seq')
      expectedSkips += 2
      const c = await j({ url: r.url, serializer: 'json', realm: 'realm1' })
      await until(() => hooks.some(x => x.info.session === c.session.id), 5000, 'hook after skip')
      t.eq(hooks[hooks.length - 1].info.seq, s.seq + 3, 'the next hook skipped two numbers')
      checkSeq()

      const raw = []
      await meta.session.subscribe('router.test.raw', (args, kwargs) => raw.push({ args, kwargs }))
      await call('router.test.publish_raw', ['router.test.raw', [1, [2]], { k: 'v' }])
      await call('router.test.publish_raw', ['router.session.joined', [{ bogus: true }], null])
      await until(() => raw.length === 1, 5000, 'raw event')
      t.eq(raw[0], { args: [1, [2]], kwargs: { k: 'v' } }, 'publish_raw payload')
      await until(() => hooks.some(h => h.info.bogus), 5000, 'raw hook')
      hooks.splice(hooks.findIndex(h => h.info.bogus), 1) // not a real hook: no seq
      s = await sync()
      t.eq(s.seq, hooks[hooks.length - 1].info.seq, 'publish_raw does not consume seq')

      const t0 = Date.now()
      // The router keeps serving while it fabricates: a sync sent right after the fabricate call is answered
      // before it, in the middle of the batches (its seq counts some of the 5000 hooks, not all of them).
      const order = []
      const fabricating = callArgs('router.test.fabricate', ['realm2', 5000]).then(r => { order.push('fabricate'); return r })
      const midway = sync().then(r => { order.push('sync'); return r })
      const [[ids], during] = await Promise.all([fabricating, midway])
      const ms = Date.now() - t0
      t.eq(ids.length, 5000, 'fabricate returns the ids')
      t.eq(order, ['sync', 'fabricate'], 'a call made while fabricating is answered before the fabricate ends')
      t.ok(during.seq > s.seq && during.seq < s.seq + 5000, `sync answered between batches (seq ${during.seq - s.seq} of 5000)`)
      s = await sync()
      await until(() => hooks[hooks.length - 1].info.seq === s.seq, 15000, 'fabricated hooks')
      process.stdout.write(`    fabricate 5000 sessions: ${ms} ms call, ${Date.now() - t0} ms until all hooks arrived\n`)
      const fab = hooks.filter(h => h.topic === 'joined' && ids.includes(h.info.session))
      t.eq(fab.length, 5000, 'a joined hook per fabricated session')
      t.eq(fab[0].info.realm, 'realm2', 'fabricated realm')
      // snapshot includes them (page size 3: just count the first page's view via a full walk would be slow;
      // walk it anyway, it is bounded)
      let total = 0
      let page = (await callArgs('router.session.snapshot', []))[0]
      for (let i = 0; ; i++) {
        total += page.sessions.length
        if (!page.next_cursor) break
        t.ok(i < 5000, 'bounded')
        page = (await callArgs('router.session.snapshot', [page.next_cursor]))[0]
      }
      t.eq(total, byId.size + 1 + 5000, 'snapshot counts fabricated sessions')
      t.eq(await callArgs('router.session.kill', [ids[0], null, null]), [true], 'kill a fabricated session')
      t.ok(hooks.some(h => h.topic === 'left' && h.info.session === ids[0]), 'left hook for the killed fake')
      const [n] = await callArgs('router.test.unfabricate', ['realm2'])
      t.eq(n, 4999, 'unfabricate removes the rest')
      s = await sync()
      await until(() => hooks[hooks.length - 1].info.seq === s.seq, 15000, 'unfabricated hooks')
      t.eq(hooks.filter(h => h.topic === 'left' && ids.includes(h.info.session)).length, 5000, 'left hooks')
      checkSeq()
      const e = await callError(call('router.test.fabricate', ['router.internal', 1]))
      t.eq(e.error, 'wamp.error.invalid_argument', 'fabricate only in client realms')
    })
  } finally {
    for (const s of open) {
      try { s.connection.close() } catch (e) { /* closed */ }
    }
    const res = await r.stop()
    if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
    if (res.code !== 0) throw new Error(`router exit code ${res.code} signal ${res.signal}`)
  }
})
