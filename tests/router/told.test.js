'use strict'
// Told positions and catch-up (docs/hook-protocol.md): the meta role's PUBLISH option `_told: [epoch, seq, index]`
// (increasing positions routed once, duplicates and other epochs dropped, never visible to a subscriber, other
// roles' ignored, malformed ones refused), one position per realm; router.meta.catch_up without a position (the
// realm's state at seq 0 and all its hooks), after one (the state at P - 1 equals the snapshot taken then, and
// with the hooks replayed gives the current snapshot, across sessions that left, registrations and
// subscriptions deleted with their last member), paged with a small --snapshot-page from a frozen view, the
// RESULT after the hooks it covers, router.error.history_lost with a small --hook-history (and 0), and the
// errors (not_authorized, invalid_argument).

const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')
const raw = require('../lib/rawwamp')
const hookwatch = require('../lib/hookwatch')
const { HookProtocol } = require('../../deploy/router/lib/hookproto')
const { callError } = kit

const PAGE = 3 // --snapshot-page of the main router: every view of a few sessions takes several pages
const LISTS = ['sessions', 'registrations', 'subscriptions', 'hooks']
const MEMBERS = { registrations: 'callees', subscriptions: 'subscribers' }
const OTHER_EPOCH = '0123456789abcdef'

// A value with every dict's keys sorted, for comparisons that do not depend on key order.
function sorted (v) {
  if (Array.isArray(v)) return v.map(sorted)
  if (v === null || typeof v !== 'object') return v
  const out = {}
  for (const k of Object.keys(v).sort()) out[k] = sorted(v[k])
  return out
}

// A realm's state from snapshot or catch-up pages: sessions id -> info, registrations and subscriptions
// id -> {fields, members: Set} (the union of split entries).
function stateOf (pages, realm) {
  const state = { sessions: new Map(), registrations: new Map(), subscriptions: new Map() }
  for (const page of pages) {
    for (const s of page.sessions) if (s.realm === realm) state.sessions.set(s.session, s)
    for (const list of ['registrations', 'subscriptions']) {
      for (const e of page[list]) {
        if (e.realm !== realm) continue
        const { [MEMBERS[list]]: members, ...fields } = e
        if (!state[list].has(e.id)) state[list].set(e.id, { fields, members: new Set() })
        const entry = state[list].get(e.id)
        if (JSON.stringify(sorted(entry.fields)) !== JSON.stringify(sorted(fields))) {
          throw new Error(`${list} ${e.id}: its pieces differ: ${JSON.stringify([entry.fields, fields])}`)
        }
        for (const m of members) entry.members.add(m)
      }
    }
  }
  return state
}

// Applies hooks ([topic, info] pairs) to a state in place, as a consumer does.
function apply (state, hooks) {
  for (const [topic, info] of hooks) {
    const [, kind, what] = topic.split('.')
    if (kind === 'session') {
      const { epoch, seq, ...rest } = info
      if (what === 'joined') state.sessions.set(info.session, rest)
      else state.sessions.delete(info.session)
      continue
    }
    const list = `${kind}s`
    if (what === 'registered' || what === 'subscribed') {
      const o = info[kind]
      if (!state[list].has(o.id)) state[list].set(o.id, { fields: { realm: info.realm, ...o }, members: new Set() })
      state[list].get(o.id).members.add(info.session)
    } else {
      const e = state[list].get(info[kind])
      if (!e || !e.members.delete(info.session)) throw new Error(`${topic} of a non-member: ${JSON.stringify(info)}`)
      if (e.members.size === 0) state[list].delete(info[kind])
    }
  }
  return state
}

// A state in a comparable form: sorted by id, members sorted, keys sorted.
function plain (state) {
  const byId = m => [...m.entries()].sort((a, b) => a[0] - b[0])
  return sorted({
    sessions: byId(state.sessions).map(([, info]) => info),
    registrations: byId(state.registrations).map(([, e]) => ({ ...e.fields, members: [...e.members].sort() })),
    subscriptions: byId(state.subscriptions).map(([, e]) => ({ ...e.fields, members: [...e.members].sort() }))
  })
}

const empty = () => plain({ sessions: new Map(), registrations: new Map(), subscriptions: new Map() })

kit.main('router: told positions and catch-up', 120000, async t => {
  const r = await routerctl.start({ realms: ['realm1', 'realm2'], args: ['--snapshot-page', String(PAGE)],
    principals: { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: ['realm1', 'realm2'] } })
  const others = [] // routers of the history steps
  const { join: j, closeAll } = kit.joiner({ url: r.url, serializer: 'json', realm: 'realm1' })
  const rawClients = []
  const metaJoin = (realm, url = r.url) => j({ url, realm, serializer: 'msgpack', authid: 'metad',
    ticket: routerctl.SECRETS.metad })
  try {
    const meta = await metaJoin('router.internal')
    const hw = await hookwatch.watch(meta.session)

    // Every page of a catch-up of realm, checked page by page; between: fn(pageNumber) after each page but the
    // last (to change the router while the view is frozen).
    const catchUp = async (realm, { watch = hw, pageSize = PAGE, between } = {}) => {
      const pages = [(await watch.call('router.meta.catch_up', [realm]))[0]]
      const first = pages[0]
      t.ok(first.seq === 0 || watch.hooks.some(h => h.info.seq === first.seq),
        `the RESULT came after the hook at its seq ${first.seq}`)
      while (pages[pages.length - 1].next_cursor) {
        if (between) await between(pages.length)
        t.ok(pages.length < 500, 'bounded paging')
        pages.push((await watch.call('router.meta.catch_up', [realm, pages[pages.length - 1].next_cursor]))[0])
      }
      let section = 0
      for (const [i, page] of pages.entries()) {
        const extra = i === 0 ? ['at', 'epoch', 'seq', 'skip', 'told'] : ['epoch', 'seq']
        const want = [...extra, ...LISTS, ...(i < pages.length - 1 ? ['next_cursor'] : [])].sort()
        t.eq(Object.keys(page).sort(), want, `page ${i}: its keys`)
        t.eq([page.epoch, page.seq], [first.epoch, first.seq], `page ${i}: the view's epoch and seq`)
        const items = page.sessions.length + page.hooks.length +
          page.registrations.reduce((n, e) => n + 1 + e.callees.length, 0) +
          page.subscriptions.reduce((n, e) => n + 1 + e.subscribers.length, 0)
        t.ok(items <= pageSize && (items > 0 || pages.length === 1), `page ${i}: ${items} items, 1..${pageSize}`)
        const here = LISTS.map(l => page[l].length)
        const firstHere = here.findIndex(n => n > 0)
        if (firstHere >= 0) {
          t.ok(firstHere >= section, `page ${i}: sessions, registrations, subscriptions, hooks in that order`)
          section = here.length - 1 - [...here].reverse().findIndex(n => n > 0)
        }
        for (const s of page.sessions) t.eq(s.realm, realm, 'only sessions of the realm')
        for (const s of page.sessions) t.ok(!('epoch' in s) && !('seq' in s), 'sessions as in the snapshot')
        for (const l of ['registrations', 'subscriptions']) for (const e of page[l]) t.eq(e.realm, realm, `${l}: the realm's`)
        for (const [, info] of page.hooks) t.eq(info.realm, realm, 'only hooks of the realm')
      }
      return pages
    }
    const hooksOf = pages => pages.flatMap(p => p.hooks)
    const published = (realm, after, upto) => hw.hooks
      .filter(h => h.info.realm === realm && h.info.seq > after && h.info.seq <= upto).map(h => [h.topic, h.info])

    // A raw subscriber: the EVENTs exactly as they are on the wire.
    const sub = await raw.connect({ url: r.url, serializer: 'msgpack' })
    rawClients.push(sub)
    await raw.hello(sub, 'realm1')
    sub.send([32, 1, {}, 'com.told.t'])
    const subscribed = await sub.recv()
    t.eq(subscribed.slice(0, 2), [33, 1], 'SUBSCRIBED')
    // The next EVENTs: [args[0], details] each.
    const events = async n => {
      const out = []
      for (let i = 0; i < n; i++) {
        const m = await sub.recv(3000)
        t.eq([m[0], m[1]], [36, subscribed[2]], `an EVENT of the subscription: ${JSON.stringify(m)}`)
        out.push([m[4][0], m[3]])
      }
      return out
    }
    const pub = await metaJoin('realm1')
    // With acknowledge: the PUBLISHED (or ERROR) must come within 3 s.
    const publish = (value, told, ack = true) => {
      const p = pub.session.publish('com.told.t', [value], {},
        { ...(ack ? { acknowledge: true } : {}), ...(told !== undefined ? { _told: told } : {}) })
      if (!ack) return p
      let timer
      const late = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to the PUBLISH of ${value} within 3 s`)), 3000)
      })
      return Promise.race([p, late]).finally(() => clearTimeout(timer))
    }
    const toldOf = async realm => (await catchUp(realm))[0].told

    await t.step('no position yet: catch_up replays the realm from seq 0, its state there empty', async () => {
      const other = await j({ realm: 'realm2' })
      await other.session.register('com.told.r2', () => 0)
      const c = await j({})
      await c.session.subscribe('com.told.early', () => {})
      const seq = await hw.settle()
      const pages = await catchUp('realm1')
      t.eq([pages[0].epoch, pages[0].seq, pages[0].at, pages[0].skip, pages[0].told], [r.epoch, seq, 0, 0, null],
        'epoch, seq, at 0, skip 0, told null')
      t.eq(plain(stateOf(pages, 'realm1')), empty(), 'the state at seq 0 is empty')
      const hooks = hooksOf(pages)
      t.eq(hooks, published('realm1', 0, seq), 'every hook of realm1 so far, as published')
      t.ok(hooks.length >= 4, `the hooks of the subscriber, c, its subscription and the publisher (${hooks.length})`)
      t.ok(pages.length >= 2, `over ${pages.length} pages`)
      const realm2 = await catchUp('realm2')
      t.eq(hooksOf(realm2), published('realm2', 0, seq), 'realm2: its own hooks')
    })

    let S // the position recorded in the next step: [S, 3]
    await t.step('_told: increasing positions routed once, duplicates and another epoch dropped, never seen', async () => {
      S = (await hw.sync()).seq
      t.ok(S >= 2, 'some hooks were published')
      await publish('a', [r.epoch, S, 0])
      await publish('b', [r.epoch, S, 1])
      await publish('dup-same', [r.epoch, S, 1]) // acknowledged all the same
      await publish('dup-lower-index', [r.epoch, S, 0])
      await publish('dup-lower-seq', [r.epoch, S - 1, 7])
      const e = await callError(publish('other-epoch', [OTHER_EPOCH, S, 2]))
      t.eq(e.error, 'wamp.error.invalid_argument', 'another epoch: invalid_argument with acknowledge')
      t.ok(/epoch/.test(e.args[0]), `with a message: ${e.args[0]}`)
      publish('c', [r.epoch, S, 2], false)
      publish('dup-unacknowledged', [r.epoch, S, 2], false)
      publish('other-epoch-unacknowledged', [OTHER_EPOCH, S, 3], false)
      await publish('d', [r.epoch, S, 3])
      const got = await events(4)
      t.eq(got.map(([v]) => v), ['a', 'b', 'c', 'd'], 'each position once, in order; duplicates and other epochs dropped')
      for (const [v, details] of got) t.eq(details, { topic: 'com.told.t' }, `no _told in the EVENT of ${v}`)
      t.eq(await toldOf('realm1'), [S, 3], 'the recorded position')
      const first = (await catchUp('realm1'))[0]
      t.eq([first.at, first.skip], [S - 1, 4], 'at P - 1, skip i + 1')
    })

    await t.step('_told of other roles is ignored; positions are per realm', async () => {
      const alice = await j({ authid: 'alice', ticket: routerctl.SECRETS.alice })
      const anon = await j({})
      await alice.session.publish('com.told.t', ['alice-low'], {}, { acknowledge: true, _told: [r.epoch, 1, 0] })
      await anon.session.publish('com.told.t', ['anon-malformed'], {}, { acknowledge: true, _told: 'nonsense' })
      await anon.session.publish('com.told.t', ['anon-beyond'], {}, { acknowledge: true, _told: [r.epoch, S + 10, 9] })
      t.eq((await events(3)).map(([v, d]) => [v, d]), [['alice-low', { topic: 'com.told.t' }],
        ['anon-malformed', { topic: 'com.told.t' }], ['anon-beyond', { topic: 'com.told.t' }]],
      'routed under the usual rules, _told not passed on')
      t.eq(await toldOf('realm1'), [S, 3], 'realm1\'s position unchanged')
      t.eq(await toldOf('realm2'), null, 'realm2 has none')
      const pub2 = await metaJoin('realm2')
      await pub2.session.publish('com.told.t', ['r2'], {}, { acknowledge: true, _told: [r.epoch, 1, 0] })
      t.eq(await toldOf('realm2'), [1, 0], 'realm2: its own position (below realm1\'s, accepted)')
      t.eq(await toldOf('realm1'), [S, 3], 'realm1\'s unchanged')
      await publish('still', [r.epoch, S, 4])
      t.eq((await events(1))[0][0], 'still', 'realm1 goes on from its own position')
      pub2.connection.close()
    })

    await t.step('a malformed _told: not routed, invalid_argument with acknowledge, nothing recorded', async () => {
      const seq = (await hw.sync()).seq
      const bad = [null, 'x', 7, {}, [], [r.epoch, S], [r.epoch, S, 5, 0], [r.epoch, 0, 0], [r.epoch, -1, 0],
        [r.epoch, 1.5, 0], [r.epoch, S + 1, -1], [r.epoch, S + 1, 0.5], [r.epoch, '9', 0], [1, S + 1, 0],
        [null, S + 1, 0], [r.epoch, seq + 1, 0], [r.epoch, seq + 1000, 0]]
      for (const told of bad) {
        const e = await callError(publish('bad', told))
        t.eq(e.error, 'wamp.error.invalid_argument', `_told ${JSON.stringify(told)}`)
        t.ok(typeof e.args[0] === 'string' && e.args[0].startsWith('_told'), `a message: ${e.args[0]}`)
        publish('bad-unacknowledged', told, false)
      }
      await publish('marker', [r.epoch, S, 5])
      t.eq((await events(1))[0][0], 'marker', 'none of them was routed')
      t.eq(await toldOf('realm1'), [S, 5], 'only the marker moved the position')
    })

    await t.step('catch_up after a position: state at P - 1 = the snapshot then; + the hooks = the snapshot now',
      async () => {
        const x = await j({})
        const y = await j({ authid: 'alice', ticket: routerctl.SECRETS.alice })
        const w = await j({})
        const q = await j({ realm: 'realm2' })
        const u = await j({}) // no hook after R touches it
        const uId = u.session.id
        const yId = y.session.id // Autobahn|JS forgets it once closed
        const xReg = await x.session.register('com.e.x', () => 'x')
        await x.session.subscribe('com.e.shared', () => {})
        await y.session.register('com.e.del', () => 'y') // deleted when y leaves
        await y.session.subscribe('com.e.shared', () => {})
        await y.session.subscribe('com.e.', () => {}, { match: 'prefix' }) // y's alone: deleted with it
        const wSub = await w.session.subscribe('com.e.shared', () => {})
        await q.session.register('com.e.x', () => 'q')
        await hw.settle()
        const before = await hw.snapshot()
        const R = before[0].seq
        const n1 = await j({}) // the hook at R + 1, told next
        await hw.settle()
        t.eq(hw.hooks[hw.hooks.length - 1].info, { ...hw.hooks[hw.hooks.length - 1].info, seq: R + 1,
          session: n1.session.id }, 'the hook at R + 1 is n1\'s join')
        await publish('told-n1', [r.epoch, R + 1, 0])
        await events(1)

        // Churn: joins and leaves, registrations and subscriptions come and go, on both realms.
        const n1Reg = await n1.session.register('com.e.n1', () => 'n1')
        await n1.session.subscribe('com.e.shared', () => {})
        await x.session.unregister(xReg)
        await x.session.register('com.e.x', () => 'x again') // a new registration of the same URI
        y.connection.close() // its registration and prefix subscription go with it
        await y.closed
        await w.session.unsubscribe(wSub)
        await hw.call('router.registration.remove_callee', ['realm1', n1Reg.id, n1.session.id])
        q.connection.close()
        await q.closed
        await j({ realm: 'realm2' })
        const n2 = await j({})
        n2.connection.close()
        await n2.closed
        await hw.settle()
        const now = await hw.snapshot()
        const S2 = now[0].seq

        let joinedMidway = null
        const pages = await catchUp('realm1', {
          between: async n => { if (n === 1) joinedMidway = await j({}) } // the view stays frozen
        })
        const first = pages[0]
        t.eq([first.seq, first.at, first.skip, first.told], [S2, R, 1, [R + 1, 0]], 'seq, at R, skip 1, told [R + 1, 0]')
        const atR = stateOf(pages, 'realm1')
        t.eq(plain(atR), plain(stateOf(before, 'realm1')), 'the state at R = the snapshot taken at R')
        const hooks = hooksOf(pages)
        t.eq(hooks, published('realm1', R, S2), 'the hooks: realm1\'s in (R, S], as published')
        t.eq(hooks[0][1].seq, R + 1, 'the told hook first')
        t.eq(plain(apply(atR, hooks)), plain(stateOf(now, 'realm1')), 'state at R + the hooks = the snapshot now')
        t.ok(!hooks.some(([, info]) => info.session === joinedMidway.session.id), 'nothing after the view was taken')
        // What the rewind had to restore: a session that left, a registration and a subscription deleted with it.
        const was = plain(stateOf(before, 'realm1'))
        const is = plain(stateOf(now, 'realm1'))
        t.ok(was.sessions.some(s => s.session === yId) && !is.sessions.some(s => s.session === yId),
          'y was there at R and is gone')
        for (const [list, uri] of [['registrations', 'com.e.del'], ['subscriptions', 'com.e.'], ['registrations', 'com.e.x']]) {
          const then = was[list].find(e => e.uri === uri && e.realm === 'realm1')
          t.ok(then && !is[list].some(e => e.id === then.id), `${uri}: its object at R was deleted since`)
        }
        const shared = pages.filter(p => p.subscriptions.some(e => e.uri === 'com.e.shared'))
        t.ok(shared.length >= 2, `the shared subscription (3 members at R) is split over ${shared.length} pages`)

        // {state: 'touched'}: the same hooks, and the state at R of what they touch only (with the members of the
        // registrations and subscriptions among it): what a consumer with a mirror of the rest needs.
        const sparsePages = [(await hw.call('router.meta.catch_up', ['realm1', null, { state: 'touched' }]))[0]]
        for (let i = 0; sparsePages[sparsePages.length - 1].next_cursor && i < 500; i++) {
          sparsePages.push((await hw.call('router.meta.catch_up', ['realm1', sparsePages[sparsePages.length - 1].next_cursor]))[0])
        }
        const sparseFirst = sparsePages[0]
        t.eq([sparseFirst.at, sparseFirst.skip, sparseFirst.told], [R, 1, [R + 1, 0]], 'touched: the same position')
        const sparseHooks = hooksOf(sparsePages)
        t.eq(sparseHooks.slice(0, hooks.length), hooks, 'touched: the same hooks')
        const full = was // (atR was applied the hooks to, above)
        const sparse = plain(stateOf(sparsePages, 'realm1'))
        const touchedIds = new Set(sparseHooks.map(([, info]) => info.session))
        for (const list of ['registrations', 'subscriptions']) {
          for (const e of sparse[list]) for (const m of e.members) touchedIds.add(m)
        }
        for (const s of sparse.sessions) t.eq(s, full.sessions.find(f => f.session === s.session), `touched: session ${s.session} as at R`)
        for (const f of full.sessions) {
          if (touchedIds.has(f.session)) t.ok(sparse.sessions.some(s => s.session === f.session), `touched: ${f.session} there`)
        }
        t.ok(full.sessions.some(f => f.session === uId) && !sparse.sessions.some(s => s.session === uId),
          'an untouched session is left out')
        for (const list of ['registrations', 'subscriptions']) {
          for (const e of sparse[list]) t.eq(e, full[list].find(f => f.id === e.id), `touched: ${list} ${e.uri} as at R`)
        }
        t.ok(sparse.sessions.length < full.sessions.length, `touched: ${sparse.sessions.length} of ${full.sessions.length} sessions`)
        u.connection.close()
      })

    await t.step('cursors: the same page twice, another realm\'s, after the last page, bad arguments', async () => {
      const p1 = (await hw.call('router.meta.catch_up', ['realm1']))[0]
      t.ok(p1.next_cursor, 'more than one page')
      const a = (await hw.call('router.meta.catch_up', ['realm1', p1.next_cursor]))[0]
      const b = (await hw.call('router.meta.catch_up', ['realm1', p1.next_cursor]))[0]
      t.eq(b, a, 'reading a cursor twice gives the same page')
      const e = await callError(hw.call('router.meta.catch_up', ['realm2', p1.next_cursor]))
      t.eq([e.error, /realm1/.test(e.args[0])], ['wamp.error.invalid_argument', true], `another realm's cursor: ${e.args[0]}`)
      const snap = (await hw.call('router.session.snapshot'))[0]
      const e2 = await callError(hw.call('router.meta.catch_up', ['realm1', snap.next_cursor]))
      t.eq(e2.error, 'wamp.error.invalid_argument', 'a snapshot cursor is not a catch-up cursor')
      let p = a
      for (let i = 0; p.next_cursor && i < 500; i++) p = (await hw.call('router.meta.catch_up', ['realm1', p.next_cursor]))[0]
      t.ok(!p.next_cursor, 'the last page')
      const e3 = await callError(hw.call('router.meta.catch_up', ['realm1', p1.next_cursor]))
      t.eq(e3.error, 'wamp.error.invalid_argument', 'the view is gone after its last page')
      const bad = [[], ['nosuch'], ['router.internal'], [5], [null], ['realm1', 5], ['realm1', 'garbage'],
        ['realm1', 'AAAAAAAAAAAA:0.0.0'], ['realm1', null, 1], [['realm1']]]
      for (const args of bad) {
        const err = await callError(hw.call('router.meta.catch_up', args))
        t.eq(err.error, 'wamp.error.invalid_argument', `catch_up ${JSON.stringify(args)}`)
        t.ok(typeof err.args[0] === 'string' && err.args[0].length > 0, `a message: ${err.args[0]}`)
      }
    })

    await t.step('only the meta role: not_authorized for others, no such procedure on a client realm', async () => {
      const c = await j({})
      const e = await callError(c.session.call('router.meta.catch_up', ['realm1']))
      t.eq(e.error, 'wamp.error.no_such_procedure', 'not on a client realm')
      // Only the meta role joins the internal realm; the procedure repeats the rule for any other caller.
      const hp = new HookProtocol({ binding: {}, realms: ['realm1'], epoch: 'e', pageSize: 10, metaRole: 'metad' })
      for (const caller of [{ caller: 1, caller_authrole: 'user' }, {}]) {
        let err
        try { hp.catchUp(['realm1'], caller) } catch (x) { err = x }
        t.eq(err && err.uri, 'wamp.error.not_authorized', `not_authorized for ${JSON.stringify(caller)}`)
      }
      const [page] = hp.catchUp(['realm1'], { caller: 1, caller_authrole: 'metad' })
      t.eq([page.seq, page.at, page.told, page.hooks], [0, 0, null, []], 'the meta role may')
    })

    await t.step('history_lost with --hook-history 4, and 0', async () => {
      const small = await routerctl.start({ args: ['--hook-history', '4', '--snapshot-page', '100'] })
      others.push(small)
      const m = await metaJoin('router.internal', small.url)
      const w = await hookwatch.watch(m.session)
      const call = args => w.call('router.meta.catch_up', args)
      const sj = o => j({ url: small.url, ...o })
      const p = await metaJoin('realm1', small.url) // seq 1
      await sj({}) // 2
      await sj({}) // 3
      await w.settle()
      t.eq((await catchUp('realm1', { watch: w, pageSize: 100 }))[0].hooks.length, 3, 'nothing dropped yet: from 0')
      await sj({}) // 4
      await sj({}) // 5: seq 1 is dropped
      await w.settle()
      let e = await callError(call(['realm1']))
      t.eq(e.error, 'router.error.history_lost', 'no position, seq 1 dropped')
      t.eq(e.kwargs, { first: 2, told: null, seq: 5 }, 'first, told, seq')
      t.ok(/realm1/.test(e.args[0]) && /seq 2/.test(e.args[0]), `a message: ${e.args[0]}`)
      await p.session.publish('com.x', [], {}, { acknowledge: true, _told: [small.epoch, 4, 2] })
      const pages = await catchUp('realm1', { watch: w, pageSize: 100 })
      t.eq([pages[0].at, pages[0].skip, pages[0].told], [3, 3, [4, 2]], 'at, skip, told')
      t.eq(hooksOf(pages).map(([, info]) => info.seq), [4, 5], 'the hooks after 3')
      t.eq(plain(stateOf(pages, 'realm1')).sessions.length, 3, 'three sessions at seq 3')
      for (let i = 0; i < 3; i++) await sj({}) // 6, 7, 8: seq 4 is dropped
      await w.settle()
      e = await callError(call(['realm1']))
      t.eq([e.error, e.kwargs], ['router.error.history_lost', { first: 5, told: [4, 2], seq: 8 }], 'seq 4 dropped')
      t.ok(/up to seq 4 \(event 2\)/.test(e.args[0]) && /starts at seq 5/.test(e.args[0]), `a message: ${e.args[0]}`)

      const none = await routerctl.start({ args: ['--hook-history', '0'] })
      others.push(none)
      const m0 = await metaJoin('router.internal', none.url)
      const w0 = await hookwatch.watch(m0.session)
      const [page] = await w0.call('router.meta.catch_up', ['realm1'])
      t.eq([page.seq, page.at, page.hooks, page.sessions], [0, 0, [], []], 'no hook yet: available (nothing to replay)')
      await j({ url: none.url })
      await w0.settle()
      e = await callError(w0.call('router.meta.catch_up', ['realm1']))
      t.eq([e.error, e.kwargs], ['router.error.history_lost', { first: null, told: null, seq: 1 }], 'keeps none')
    })
  } finally {
    closeAll()
    for (const c of rawClients) c.close()
    for (const o of others) await o.stopChecked()
    await r.stopChecked()
  }
})
