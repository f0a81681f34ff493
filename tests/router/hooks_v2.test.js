'use strict'
// Hook protocol v2 on the internal realm: the registration and subscription hooks (fields, the ids clients got,
// after the joined hook, one seq stream with the session hooks), a session that leaves holding registrations and
// subscriptions (GOODBYE, killed, socket destroyed: their removal hooks, then its left hook), a version 1
// consumer alone (no v2 hook, no hole), the v2 snapshot (protocol 2, the lists, item paging with split member
// lists, a frozen view), and router.registration.remove_callee / router.subscription.remove_subscriber with
// Autobahn|JS and raw clients, and every error.

const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')
const raw = require('../lib/rawwamp')
const hookwatch = require('../lib/hookwatch')
const { HookProtocol } = require('../../deploy/router/lib/hookproto')
const { callError, until, sleep } = kit

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const HOOK_KEYS = ['epoch', 'realm', 'seq', 'session']
const FIELDS = {
  registration: ['created', 'id', 'invoke', 'match', 'uri'],
  subscription: ['created', 'id', 'match', 'uri']
}
const MEMBERS = { registration: 'callees', subscription: 'subscribers' }
const LISTS = { registration: 'registrations', subscription: 'subscriptions' }

const keys = o => Object.keys(o).sort()

// What the hooks say up to seq: the live sessions and, per kind, id -> {fields..., realm, members: Set}.
function fold (hooks, upto) {
  const state = { sessions: new Set(), registration: new Map(), subscription: new Map() }
  for (const { topic, info } of hooks) {
    if (info.seq > upto) break
    const [, kind, what] = topic.split('.')
    if (kind === 'session') {
      if (what === 'joined') state.sessions.add(info.session)
      else state.sessions.delete(info.session)
    } else if (what === 'registered' || what === 'subscribed') {
      const o = info[kind]
      if (!state[kind].has(o.id)) state[kind].set(o.id, { realm: info.realm, ...o, members: new Set() })
      state[kind].get(o.id).members.add(info.session)
    } else {
      const e = state[kind].get(info[kind])
      e.members.delete(info.session)
      if (e.members.size === 0) state[kind].delete(info[kind])
    }
  }
  return state
}

// The union of a snapshot's pages, in the shape of fold().
function union (pages) {
  const state = { sessions: new Set(), registration: new Map(), subscription: new Map() }
  for (const page of pages) {
    for (const s of page.sessions) state.sessions.add(s.session)
    for (const kind of ['registration', 'subscription']) {
      for (const e of page[LISTS[kind]]) {
        const { [MEMBERS[kind]]: members, ...fields } = e
        if (!state[kind].has(e.id)) state[kind].set(e.id, { ...fields, members: new Set() })
        for (const m of members) state[kind].get(e.id).members.add(m)
      }
    }
  }
  return state
}

// A state in a comparable form: sorted sessions, entries sorted by id with sorted members.
function plain (state) {
  const out = { sessions: [...state.sessions].sort() }
  for (const kind of ['registration', 'subscription']) {
    out[kind] = [...state[kind].values()].sort((a, b) => a.id - b.id)
      .map(e => ({ ...e, members: [...e.members].sort() }))
  }
  return out
}

kit.main('router: hook protocol v2', 120000, async t => {
  const r = await routerctl.start({ realms: ['realm1', 'realm2'], args: ['--snapshot-page', '4', '--test-switches'] })
  const { join: j, closeAll } = kit.joiner({ url: r.url, serializer: 'json', realm: 'realm1' })
  const rawClients = []
  const rawJoin = async (realm = 'realm1') => {
    const c = await raw.connect({ url: r.url, serializer: 'msgpack' })
    rawClients.push(c)
    const w = await raw.hello(c, realm)
    c.id = w[1]
    return c
  }
  // A raw request and its answer: [REGISTERED|SUBSCRIBED, request, id] -> the id.
  const rawAck = async (c, msg) => {
    c.send(msg)
    const m = await c.recv()
    t.eq(m.slice(0, 2), [msg[0] + 1, msg[1]], `answer to ${JSON.stringify(msg)}`)
    return m[2]
  }
  const internal = (authid, secret) => j({ serializer: 'msgpack', realm: 'router.internal', authid,
    ...(authid === 'metad' ? { ticket: secret } : { wampcra: secret }) })
  try {
    const v1meta = await internal('metacra', routerctl.SECRETS.metacra)
    const v1 = await hookwatch.watch(v1meta.session, { v2: false })

    await t.step('a version 1 consumer alone: no registration or subscription hook, no hole', async () => {
      const s0 = (await v1.sync()).seq
      const c = await j({})
      await c.session.register('com.v1.proc', () => 1)
      const sub = await c.session.subscribe('com.v1.topic', () => {})
      await c.session.unsubscribe(sub)
      t.eq((await v1.sync()).seq, s0 + 1, 'only the joined hook took a seq')
      const [first] = await v1.snapshot()
      t.eq(first.registrations.map(e => [e.uri, e.callees]), [['com.v1.proc', [c.session.id]]],
        'the snapshot has the registration all the same')
      c.connection.close()
      await c.closed
      await v1.settle()
      t.eq(v1.hooks.map(h => h.topic), ['router.session.joined', 'router.session.left'], 'session hooks only')
      t.eq(v1.holes(), 0, 'no hole in seq')
      t.eq((await v1.snapshot())[0].registrations, [], 'the registration went with its callee')
    })

    const meta = await internal('metad', routerctl.SECRETS.metad)
    const hw = await hookwatch.watch(meta.session)
    const hooksOf = id => hw.hooks.filter(h => h.info.session === id)

    await t.step('hooks: fields, the ids the clients got, after the joined hook, one seq stream', async () => {
      const c = await j({ authid: 'alice', ticket: routerctl.SECRETS.alice, serializer: 'msgpack' })
      const d = await j({})
      const t0 = Date.now()
      const regs = {
        exact: await c.session.register('com.v2.proc', () => 1),
        prefix: await c.session.register('com.v2.pre.', () => 2, { match: 'prefix' }),
        wildcard: await c.session.register('com.v2..wild', () => 3, { match: 'wildcard' })
      }
      const subs = {
        exact: await c.session.subscribe('com.v2.topic', () => {}),
        prefix: await c.session.subscribe('com.v2.', () => {}, { match: 'prefix' }),
        wildcard: await c.session.subscribe('com..topic', () => {}, { match: 'wildcard' })
      }
      const dsub = await d.session.subscribe('com.v2.topic', () => {})
      t.eq(dsub.id, subs.exact.id, 'the second subscriber of a topic gets its subscription id')
      await hw.settle()
      const mine = hooksOf(c.session.id)
      t.eq(mine[0].topic, 'router.session.joined', 'the joined hook comes first')
      const check = (kind, topic, objects) => {
        const got = mine.filter(h => h.topic === topic)
        t.eq(got.length, 3, `three ${topic} hooks`)
        for (const [match, obj] of Object.entries(objects)) {
          const h = got.find(x => x.info[kind].match === match)
          t.ok(h, `a ${topic} hook for match ${match}`)
          t.eq(keys(h.info), [...HOOK_KEYS, kind].sort(), `${topic} keys`)
          t.eq([h.info.realm, h.info.session, h.info.epoch], ['realm1', c.session.id, r.epoch], `${topic} realm, session, epoch`)
          t.eq(keys(h.info[kind]), FIELDS[kind], `${topic} ${kind} keys`)
          t.eq([h.info[kind].id, h.info[kind].uri], [obj.id, obj.procedure || obj.topic], `${topic} id and uri as the client got them`)
          if (kind === 'registration') t.eq(h.info[kind].invoke, 'single', 'invoke')
          const created = h.info[kind].created
          t.ok(ISO_MS.test(created), `created is ISO 8601 UTC with milliseconds: ${created}`)
          t.ok(Math.abs(Date.parse(created) - t0) < 5000, 'created is about now')
        }
      }
      check('registration', 'router.registration.registered', regs)
      check('subscription', 'router.subscription.subscribed', subs)
      const dh = hooksOf(d.session.id).find(h => h.topic === 'router.subscription.subscribed')
      const ch = mine.find(h => h.topic === 'router.subscription.subscribed' && h.info.subscription.match === 'exact')
      t.eq(dh.info.subscription, ch.info.subscription, 'every member gets the same subscription, created included')

      await c.session.unregister(regs.exact)
      await c.session.unsubscribe(subs.prefix)
      await hw.settle()
      const [u1, u2] = hooksOf(c.session.id).slice(-2)
      t.eq([u1.topic, keys(u1.info), u1.info.registration], ['router.registration.unregistered',
        [...HOOK_KEYS, 'registration'].sort(), regs.exact.id], 'unregistered hook: the registration id')
      t.eq([u2.topic, keys(u2.info), u2.info.subscription], ['router.subscription.unsubscribed',
        [...HOOK_KEYS, 'subscription'].sort(), subs.prefix.id], 'unsubscribed hook: the subscription id')
      t.eq(hw.holes(), 0, 'session, registration and subscription hooks share one gap-free seq')
      const internalHooks = hw.hooks.filter(h => h.info.realm === 'router.internal')
      t.eq(internalHooks, [], 'nothing of the internal realm (the hooks\' own subscriptions) is hooked')
    })

    await t.step('leaving with registrations and subscriptions: their removal hooks, then the left hook', async () => {
      const stayer = await rawJoin()
      await rawAck(stayer, [32, 1, {}, 'com.v2.shared'])
      const ways = {
        goodbye: async c => {
          c.send([6, {}, 'wamp.close.close_realm'])
          t.eq(await c.recv(), [6, {}, 'wamp.close.goodbye_and_out'], 'GOODBYE answered')
        },
        killed: async c => {
          t.eq(await hw.call('router.session.kill', [c.id]), [true], 'kill')
          t.ok(hooksOf(c.id).some(h => h.topic === 'router.session.left'), 'the left hook came before the kill result')
        },
        'socket destroyed': async c => c.close()
      }
      for (const [way, leave] of Object.entries(ways)) {
        const c = await rawJoin()
        const held = [
          ['router.registration.unregistered', await rawAck(c, [64, 1, {}, `com.v2.leave.${way.replace(' ', '_')}`])],
          ['router.registration.unregistered', await rawAck(c, [64, 2, { match: 'wildcard' }, 'com.v2..leave'])],
          ['router.subscription.unsubscribed', await rawAck(c, [32, 3, {}, 'com.v2.shared'])],
          ['router.subscription.unsubscribed', await rawAck(c, [32, 4, { match: 'prefix' }, 'com.v2.leave'])]
        ]
        await hw.settle()
        const from = hw.hooks.length
        await leave(c)
        await until(() => hooksOf(c.id).some(h => h.topic === 'router.session.left'), 5000, `the left hook (${way})`)
        await hw.settle()
        const after = hw.hooks.slice(from).filter(h => h.info.session === c.id)
        t.eq(after.map(h => [h.topic, h.info.registration || h.info.subscription]),
          [...held, ['router.session.left', undefined]], `${way}: what it held, removed, then the left hook`)
        const seqs = after.map(h => h.info.seq)
        t.eq(seqs, seqs.map((s, i) => seqs[0] + i), `${way}: consecutive seqs`)
      }
      t.eq(hw.holes(), 0, 'no hole in seq')
      stayer.close()
      await until(() => hooksOf(stayer.id).some(h => h.topic === 'router.session.left'), 5000, 'the stayer\'s left hook')
    })

    await t.step('snapshot v2: protocol 2, the lists, pages of at most 4 items, split members, a frozen view', async () => {
      const many = []
      for (let i = 0; i < 5; i++) {
        const c = await j({})
        await c.session.subscribe('com.v2.many', () => {})
        many.push(c)
      }
      await many[0].session.register('com.v2.snap', () => 0)
      await hw.settle()
      const pages = [(await hw.call('router.session.snapshot'))[0]]
      const seq = pages[0].seq
      while (pages[pages.length - 1].next_cursor) {
        // The view stays as it was at the first page: one more subscriber comes, one goes (on the first pages).
        if (pages.length <= 3) {
          const more = await j({})
          await more.session.subscribe('com.v2.many', () => {})
          many.shift().connection.close()
        }
        pages.push((await hw.call('router.session.snapshot', [pages[pages.length - 1].next_cursor]))[0])
        t.ok(pages.length < 200, 'bounded paging')
      }
      t.eq(pages[0].protocol, 2, 'the first page says protocol 2')
      t.ok(Array.isArray(pages[0].left), 'the first page has left')
      let section = 0
      for (const [i, page] of pages.entries()) {
        if (i > 0) t.ok(!('protocol' in page) && !('left' in page), 'protocol and left on the first page only')
        t.eq([page.epoch, page.seq], [r.epoch, seq], 'every page: the view\'s epoch and seq')
        for (const l of ['sessions', 'registrations', 'subscriptions']) t.ok(Array.isArray(page[l]), `${l} always present`)
        const items = page.sessions.length + page.registrations.reduce((n, e) => n + 1 + e.callees.length, 0) +
          page.subscriptions.reduce((n, e) => n + 1 + e.subscribers.length, 0)
        t.ok(items > 0 && items <= 4, `page ${i}: ${items} items, at most 4`)
        const sections = [page.sessions.length, page.registrations.length, page.subscriptions.length]
        const firstHere = sections.findIndex(n => n > 0)
        t.ok(firstHere >= section, `page ${i}: sessions, then registrations, then subscriptions`)
        section = sections.length - 1 - [...sections].reverse().findIndex(n => n > 0)
        for (const e of page.registrations) t.eq(keys(e), [...FIELDS.registration, 'callees', 'realm'].sort(), 'registration keys')
        for (const e of page.subscriptions) t.eq(keys(e), [...FIELDS.subscription, 'realm', 'subscribers'].sort(), 'subscription keys')
      }
      const manyPages = pages.filter(p => p.subscriptions.some(e => e.uri === 'com.v2.many'))
      t.ok(manyPages.length >= 2, `the subscription of 5 members is split over ${manyPages.length} pages`)
      const view = union(pages)
      t.eq(plain(view), plain(fold(hw.hooks, seq)), 'the view = what the hooks said up to its seq')
      for (const kind of ['registration', 'subscription']) {
        for (const e of view[kind].values()) {
          for (const m of e.members) t.ok(view.sessions.has(m), `member ${m} of ${kind} ${e.id} is a session of the view`)
        }
      }
      const manyEntry = [...view.subscription.values()].find(e => e.uri === 'com.v2.many')
      t.eq(manyEntry.members.size, 5, 'the split subscription has its five subscribers')
      const now = await hw.snapshot()
      t.eq(plain(union(now)), plain(fold(hw.hooks, now[0].seq)), 'a later view = the hooks up to its seq')
    })

    await t.step('remove_callee / remove_subscriber: Autobahn|JS sees its registration and subscription go', async () => {
      const x = await j({})
      const y = await j({ authid: 'alice', ticket: routerctl.SECRETS.alice })
      const z = await j({})
      const reg = await x.session.register('com.v2.rm.proc', () => 'x')
      const gotX = []
      const gotY = []
      const subX = await x.session.subscribe('com.v2.rm.topic', args => gotX.push(args))
      const subY = await y.session.subscribe('com.v2.rm.topic', args => gotY.push(args))
      t.eq(subX.id, subY.id, 'one subscription')
      t.eq(await y.session.call('com.v2.rm.proc'), 'x', 'the call reaches x')

      t.eq(await hw.call('router.registration.remove_callee', ['realm1', reg.id, x.session.id, 'com.example.removed']),
        [], 'remove_callee result []')
      const last = hooksOf(x.session.id).pop()
      t.eq([last.topic, last.info.registration], ['router.registration.unregistered', reg.id],
        'the unregistered hook came before the result')
      t.eq(await reg.on_unregister, 'com.example.removed', 'Autobahn|JS: on_unregister with the reason')
      t.ok(!reg.active, 'the registration is inactive')
      t.eq((await callError(y.session.call('com.v2.rm.proc'))).error, 'wamp.error.no_such_procedure', 'calls stop')
      const again = await x.session.register('com.v2.rm.proc', () => 'x again')
      t.ok(again.id !== reg.id, 'x may register it again (a new registration)')
      t.eq(await y.session.call('com.v2.rm.proc'), 'x again', 'and serve it')

      t.eq(await hw.call('router.subscription.remove_subscriber', ['realm1', subX.id, x.session.id]), [],
        'remove_subscriber result []')
      t.eq(hooksOf(x.session.id).pop().topic, 'router.subscription.unsubscribed', 'the unsubscribed hook before the result')
      t.eq(await subX.on_unsubscribe, undefined, 'Autobahn|JS: on_unsubscribe, no reason given')
      t.ok(!subX.active, 'the subscription is inactive')
      await z.session.publish('com.v2.rm.topic', ['after'], {}, { acknowledge: true })
      await until(() => gotY.length === 1, 5000, 'y\'s event')
      await sleep(50)
      t.eq([gotX, gotY], [[], [['after']]], 'x gets no event, y still does')
      t.ok(x.connection.isOpen, 'x stays connected')
      await hw.settle()
      t.eq(hw.holes(), 0, 'no hole in seq')
    })

    await t.step('remove_callee / remove_subscriber: the router-initiated messages on the wire', async () => {
      const c = await rawJoin()
      const regId = await rawAck(c, [64, 1, {}, 'com.v2.rm.raw'])
      const subId = await rawAck(c, [32, 2, { match: 'prefix' }, 'com.v2.rm.'])
      await hw.call('router.registration.remove_callee', ['realm1', regId, c.id, 'com.example.bye'])
      t.eq(await c.recv(), [67, 0, { registration: regId, reason: 'com.example.bye' }], 'UNREGISTERED with the reason')
      await hw.call('router.subscription.remove_subscriber', ['realm1', subId, c.id, null])
      t.eq(await c.recv(), [35, 0, { subscription: subId }], 'UNSUBSCRIBED without a reason')
      c.send([66, 3, regId])
      t.eq((await c.recv()).slice(0, 5), [8, 66, 3, {}, 'wamp.error.no_such_registration'], 'the registration is gone')
    })

    await t.step('remove_callee / remove_subscriber: errors', async () => {
      const x = await j({})
      const y = await j({})
      const other = await j({ realm: 'realm2', authid: 'bob', wampcra: routerctl.SECRETS.bob })
      const reg = await x.session.register('com.v2.err.proc', () => 0)
      const sub = await y.session.subscribe('com.v2.err.topic', () => {})
      const reg2 = await other.session.register('com.v2.err.proc', () => 0)
      const cases = [
        ['router.registration.remove_callee', ['realm1', 424242, x.session.id], 'wamp.error.no_such_registration'],
        ['router.registration.remove_callee', ['realm1', reg2.id, other.session.id], 'wamp.error.no_such_registration'],
        ['router.registration.remove_callee', ['realm2', reg.id, x.session.id], 'wamp.error.no_such_registration'],
        ['router.registration.remove_callee', ['realm1', reg.id, y.session.id], 'wamp.error.no_such_session'],
        ['router.registration.remove_callee', ['realm1', reg.id, 99], 'wamp.error.no_such_session'],
        ['router.subscription.remove_subscriber', ['realm1', 424242, y.session.id], 'wamp.error.no_such_subscription'],
        ['router.subscription.remove_subscriber', ['realm1', sub.id, x.session.id], 'wamp.error.no_such_session']
      ]
      const bad = [[], ['realm1', reg.id], ['realm1', reg.id, x.session.id, 'com.x', 1], [5, reg.id, x.session.id],
        ['nosuch', reg.id, x.session.id], ['router.internal', reg.id, x.session.id], ['realm1', 'one', x.session.id],
        ['realm1', reg.id, 2.5], ['realm1', reg.id, x.session.id, 'not a uri!'], ['realm1', reg.id, x.session.id, 42]]
      for (const proc of ['router.registration.remove_callee', 'router.subscription.remove_subscriber']) {
        for (const args of bad) cases.push([proc, args, 'wamp.error.invalid_argument'])
      }
      for (const [proc, args, error] of cases) {
        const e = await callError(hw.call(proc, args))
        t.eq(e.error, error, `${proc} ${JSON.stringify(args)}`)
        t.ok(typeof e.args[0] === 'string' && e.args[0].length > 0, `a message: ${e.args[0]}`)
      }
      t.eq(await x.session.call('com.v2.err.proc'), 0, 'nothing was removed')
      const e = await callError(x.session.call('router.registration.remove_callee', ['realm1', reg.id, x.session.id]))
      t.eq(e.error, 'wamp.error.no_such_procedure', 'not on a client realm')
      // Only the meta role joins the internal realm; the procedures repeat the rule for any other caller.
      const hp = new HookProtocol({ binding: {}, realms: ['realm1'], epoch: 'e', pageSize: 10, metaRole: 'metad' })
      for (const caller of [{ caller: 1, caller_authrole: 'user' }, {}]) {
        let err
        try { hp.removeMember('registration', ['realm1', 1, 1], caller) } catch (x) { err = x }
        t.eq(err && err.uri, 'wamp.error.not_authorized', `not_authorized for ${JSON.stringify(caller)}`)
      }
    })

    await t.step('fabricated sessions hold nothing and stay fast', async () => {
      const t0 = Date.now()
      const [ids] = await hw.call('router.test.fabricate', ['realm2', 4000])
      t.eq((await hw.call('router.test.unfabricate', ['realm2']))[0], 4000, 'unfabricated')
      await hw.settle()
      process.stdout.write(`    fabricate + unfabricate 4000: ${Date.now() - t0} ms\n`)
      const fabricated = new Set(ids)
      const fab = hw.hooks.filter(h => fabricated.has(h.info.session))
      t.eq(fab.length, 8000, 'a joined and a left hook each, nothing else')
      t.eq(hw.holes(), 0, 'no hole in seq')
    })
  } finally {
    closeAll()
    for (const c of rawClients) c.close()
    await r.stopChecked()
  }
})
