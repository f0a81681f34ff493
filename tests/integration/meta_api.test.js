'use strict'
// The Session Meta API served by wamp-metad next to the reference router, seen by Autobahn|JS clients over
// WebSocket (JSON and msgpack) and RawSocket (JSON): payload shapes key by key, filters, errors, realm
// isolation, hidden sidecar sessions, get-for-self right after WELCOME, authorization of wamp.session.*, event
// order for 200 sessions churning concurrently, and the meta API features WELCOME announces.

const path = require('path')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

const SPEC_KEYS = ['authid', 'authmethod', 'authprovider', 'authrole', 'realm', 'session', 'transport']

function keys (o) {
  return Object.keys(o).sort()
}

kit.main('integration: meta API with Autobahn|JS', 110000, async t => {
  const router = await routerctl.start({ realms: ['realm1', 'realm2', 'realm3'] })
  let metad
  const open = []
  const join = async o => {
    const j = await kit.join({ url: router.url, ...o })
    open.push(j)
    return j
  }
  try {
    metad = await metadctl.start(router, { realms: ['realm1', 'realm2'], args: ['--log-level', 'debug'] })
    const alice = { authid: 'alice', ticket: routerctl.SECRETS.alice }
    const bob = { authid: 'bob', wampcra: routerctl.SECRETS.bob }

    await t.step('get for self right after WELCOME, and details key by key', async () => {
      for (const [i, serializer] of ['json', 'msgpack', 'json', 'msgpack'].entries()) {
        const who = i % 2 ? bob : alice
        const j = await join({ realm: 'realm1', serializer, ...who, authextra: i === 0 ? { device: 'd1' } : undefined })
        const details = await j.session.call('wamp.session.get', [j.session.id])
        const want = i === 0 ? [...SPEC_KEYS, 'authextra'].sort() : SPEC_KEYS
        t.eq(keys(details), want, 'details keys')
        t.eq(details.session, j.session.id, 'session')
        t.eq(details.authid, who.authid, 'authid')
        t.eq(details.authrole, i % 2 ? 'admin' : 'user', 'authrole')
        t.eq(details.authmethod, i % 2 ? 'wampcra' : 'ticket', 'authmethod')
        t.eq(details.authprovider, 'static', 'authprovider')
        t.eq(details.realm, 'realm1', 'realm')
        t.eq(keys(details.transport), ['peer', 'serializer', 'type'], 'transport keys')
        t.eq(details.transport.type, 'websocket', 'transport.type')
        t.eq(details.transport.serializer, serializer, 'transport.serializer')
        t.ok(/^tcp4:127\.0\.0\.1:\d+$/.test(details.transport.peer), `transport.peer ${details.transport.peer}`)
        if (i === 0) t.eq(details.authextra, { device: 'd1' }, 'authextra')
        j.connection.close()
      }
      // A burst of fresh sessions, each asking for itself at once.
      const burst = await Promise.all(Array.from({ length: 20 }, () => join({ realm: 'realm1' })))
      const got = await Promise.all(burst.map(j => j.session.call('wamp.session.get', [j.session.id])))
      got.forEach((d, i) => t.eq(d.session, burst[i].session.id, 'self found'))
      // Another session's id, asked for as soon as that session has its WELCOME (its joined hook may still be
      // on its way to wamp-metad): found too.
      for (let i = 0; i < 10; i++) {
        const fresh = await join({ realm: 'realm1' })
        const d = await burst[i].session.call('wamp.session.get', [fresh.session.id])
        t.eq(d.session, fresh.session.id, 'a fresh session found by another')
        fresh.connection.close()
      }
      for (const j of burst) j.connection.close()
    })

    await t.step('count and list: filters absent, null, list, empty list, keyword', async () => {
      const a = await join({ realm: 'realm1', ...alice })
      const b = await join({ realm: 'realm1', serializer: 'msgpack', ...bob })
      const c = await join({ realm: 'realm1' })
      await kit.until(async () => (await a.session.call('wamp.session.count')) === 3, 3000, 'three sessions')
      const s = a.session
      const ids = [a, b, c].map(j => j.session.id).sort()
      t.eq((await s.call('wamp.session.list')).sort(), ids, 'list without filter: [[ids]] as one positional arg')
      t.eq(await s.call('wamp.session.count', [null]), 3, 'null filter')
      t.eq(await s.call('wamp.session.count', [['user']]), 1, 'user only')
      t.eq(await s.call('wamp.session.count', [['user', 'admin']]), 2, 'two roles')
      t.eq(await s.call('wamp.session.list', [['anonymous']]), [c.session.id], 'list by role')
      t.eq(await s.call('wamp.session.count', [[]]), 0, 'empty list matches nothing')
      t.eq(await s.call('wamp.session.list', [[]]), [], 'empty list matches nothing (list)')
      t.eq(await s.call('wamp.session.count', [], { filter_authroles: ['admin'] }), 1, 'keyword filter')
      t.eq(await s.call('wamp.session.count', [['metad']]), 0, 'the sidecar role is hidden')
      const raw = await b.session.call('wamp.session.count', [['user']])
      t.eq(raw, 1, 'msgpack client')
      for (const j of [a, b, c]) j.connection.close()
    })

    await t.step('bad arguments: wamp.error.invalid_argument with a message, sidecar keeps serving', async () => {
      const j = await join({ realm: 'realm1' })
      const s = j.session
      const cases = [
        ['wamp.session.count', ['user'], {}, 'must be a list of strings or null, got string'],
        ['wamp.session.count', [{}], {}, 'got dict'],
        ['wamp.session.list', [[1, 2]], {}, 'filter_authroles[0] must be a string, got integer'],
        ['wamp.session.list', [[], []], {}, 'at most one positional'],
        ['wamp.session.count', [], { bogus: 1 }, "unknown keyword argument 'bogus'"],
        ['wamp.session.count', [[]], { filter_authroles: [] }, 'both'],
        ['wamp.session.list', [Array.from({ length: 2000 }, (_, i) => 'r' + i)], {}, 'at most 1024'],
        ['wamp.session.get', [], {}, 'exactly one positional'],
        ['wamp.session.get', ['12'], {}, 'got string "12"'],
        ['wamp.session.get', [-1], {}, 'got integer -1'],
        ['wamp.session.get', [0], {}, 'got integer 0'],
        ['wamp.session.get', [2 ** 53 + 2], {}, 'from 1 to 2^53'],
        ['wamp.session.get', [1.5], {}, 'got float'],
        ['wamp.session.get', [null], {}, 'got null'],
        ['wamp.session.get', [1], { x: 1 }, "unknown keyword argument 'x'"]
      ]
      for (const [proc, args, kwargs, fragment] of cases) {
        const e = await kit.callError(s.call(proc, args, kwargs))
        t.eq(e.error, 'wamp.error.invalid_argument', `${proc} ${JSON.stringify(args)} error URI`)
        t.ok(typeof e.args[0] === 'string' && e.args[0].includes(fragment),
          `${proc} ${JSON.stringify(args).slice(0, 40)}: message ${JSON.stringify(e.args)} should mention ${fragment}`)
      }
      const missing = await kit.callError(s.call('wamp.session.get', [4242]))
      t.eq(missing.error, 'wamp.error.no_such_session', 'unknown id')
      t.ok(missing.args[0].includes('4242'), 'message names the id')
      t.eq(await s.call('wamp.session.count'), 1, 'still serving')
      j.connection.close()
    })

    await t.step('on_join and on_leave payloads, key by key, over JSON and msgpack', async () => {
      for (const serializer of ['json', 'msgpack']) {
        const watcher = await join({ realm: 'realm1', serializer })
        const events = []
        await watcher.session.subscribe('wamp.session.on_join', (args, kwargs) => events.push(['join', args, kwargs]))
        await watcher.session.subscribe('wamp.session.on_leave', (args, kwargs) => events.push(['leave', args, kwargs]))
        const b = await join({ realm: 'realm1', ...bob, serializer: serializer === 'json' ? 'msgpack' : 'json' })
        const id = b.session.id
        b.connection.close()
        await kit.until(() => events.some(e => e[0] === 'leave' && e[1][0] === id), 3000, 'on_leave')
        const mine = events.filter(e => (e[0] === 'join' ? e[1][0].session : e[1][0]) === id)
        t.eq(mine.map(e => e[0]), ['join', 'leave'], 'one join then one leave')
        const [, joinArgs, joinKw] = mine[0]
        t.eq(joinArgs.length, 1, 'on_join has one positional argument')
        t.eq(keys(joinArgs[0]), SPEC_KEYS, 'on_join details keys')
        t.eq([joinArgs[0].authid, joinArgs[0].authrole, joinArgs[0].authmethod], ['bob', 'admin', 'wampcra'], 'on_join auth')
        t.ok(!joinKw || Object.keys(joinKw).length === 0, 'on_join has no keyword arguments')
        t.eq(mine[1][1], [id, 'bob', 'admin'], 'on_leave is [session, authid, authrole]')
        watcher.connection.close()
      }
    })

    await t.step('realm isolation and unserved realms', async () => {
      const one = await join({ realm: 'realm1' })
      const two = await join({ realm: 'realm2', ...alice })
      const three = await join({ realm: 'realm3', ...alice })
      t.ok(!(await one.session.call('wamp.session.list')).includes(two.session.id), 'realm2 session not in realm1')
      t.eq((await kit.callError(one.session.call('wamp.session.get', [two.session.id]))).error,
        'wamp.error.no_such_session', 'get across realms')
      t.eq(await two.session.call('wamp.session.list'), [two.session.id], 'realm2 lists its own')
      t.eq((await kit.callError(three.session.call('wamp.session.count'))).error, 'wamp.error.no_such_procedure',
        'realm3 is not served')
      for (const j of [one, two, three]) j.connection.close()
    })

    await t.step('only the meta principal may register or publish wamp.session.*', async () => {
      const a = await join({ realm: 'realm1', ...alice })
      const reg = await kit.callError(a.session.register('wamp.session.count', () => 0))
      t.ok(['wamp.error.not_authorized', 'wamp.error.procedure_already_exists'].includes(reg.error), `register: ${reg.error}`)
      const reg2 = await kit.callError(a.session.register('wamp.session.kill_all', () => 0))
      t.eq(reg2.error, 'wamp.error.not_authorized', 'register of a free wamp.session.* URI')
      const pub = await kit.callError(a.session.publish('wamp.session.on_join', [{ session: 1 }], {}, { acknowledge: true }))
      t.eq(pub.error, 'wamp.error.not_authorized', 'publish to wamp.session.on_join')
      a.connection.close()
    })

    await t.step('200 sessions churning concurrently: on_join before on_leave, final view equals list', async () => {
      const watchers = []
      for (const serializer of ['json', 'msgpack']) {
        const w = await join({ realm: 'realm1', serializer })
        const v = { w, view: new Set(), log: [], bad: [] }
        await w.session.subscribe('wamp.session.on_join', ([d]) => {
          // A join after a leave of the same session is the one order that must never be seen.
          if (v.log.some(e => e[0] === 'leave' && e[1] === d.session)) v.bad.push(d.session)
          v.log.push(['join', d.session])
          v.view.add(d.session)
        })
        await w.session.subscribe('wamp.session.on_leave', ([id]) => {
          v.log.push(['leave', id])
          v.view.delete(id)
        })
        watchers.push(v)
      }
      // As a client keeps a live view (docs/meta-api.md): the list, then on top of it the events that arrived while the
      // call was under way (a leave of a session of an earlier step may be among them).
      const since = watchers.map(v => v.log.length)
      const before = await watchers[0].w.session.call('wamp.session.list')
      watchers.forEach((v, i) => {
        v.view = new Set(before)
        for (const [what, id] of v.log.slice(since[i])) what === 'join' ? v.view.add(id) : v.view.delete(id)
      })
      const churned = []
      const one = async i => {
        const j = await kit.join({ url: router.url, realm: 'realm1', serializer: i % 2 ? 'json' : 'msgpack', ...(i % 3 ? {} : alice) })
        churned.push(j.session.id)
        await kit.sleep(i % 7)
        j.connection.close()
        await j.closed
      }
      const waves = 4
      for (let k = 0; k < waves; k++) await Promise.all(Array.from({ length: 50 }, (_, i) => one(k * 50 + i)))
      t.eq(churned.length, 200, 'sessions churned')
      const last = churned[churned.length - 1]
      for (const v of watchers) {
        await kit.until(() => v.log.some(e => e[0] === 'leave' && e[1] === last) &&
          churned.every(id => v.log.filter(e => e[1] === id).length === 2), 5000, 'every event')
        if (v.bad.length) {
          const trail = v.log.filter(e => v.bad.includes(e[1]))
          throw new kit.Failure(`on_join after on_leave for ${v.bad}: ${JSON.stringify(trail)}\nwamp-metad log:\n${metad.stderr()}`)
        }
        for (const id of churned) t.eq(v.log.filter(e => e[1] === id).map(e => e[0]), ['join', 'leave'], `events of ${id}`)
        const list = new Set(await v.w.session.call('wamp.session.list'))
        t.eq([...v.view].sort(), [...list].sort(), 'view built from events equals wamp.session.list')
      }
      for (const v of watchers) v.w.connection.close()
    })

    await t.step('WELCOME announces the meta API the realm has, while wamp-metad serves it', async () => {
      // What a client joining `realm` is told (a fresh session each time: WELCOME is read at the join).
      const features = async realm => {
        const j = await kit.join({ url: router.url, realm, ...alice })
        const roles = j.welcome.roles || {}
        j.connection.close()
        return { broker: (roles.broker || {}).features || {}, dealer: (roles.dealer || {}).features || {} }
      }
      const served = f => f.broker.session_meta_api === true && f.dealer.session_meta_api === true
      const f1 = await kit.until(async () => { const f = await features('realm1'); return served(f) && f }, 3000,
        'realm1 announced')
      t.eq(f1.dealer.testament_meta_api, true, 'testaments announced (served by default)')
      t.ok(!served(await features('realm3')), 'realm3, not served, announces no meta API')
      const res = await metad.stop()
      t.eq(res.code, 0, 'exit code')
      await kit.until(async () => !served(await features('realm1')), 3000, 'withdrawn once wamp-metad left')
      metad = await metadctl.start(router, { realms: ['realm1', 'realm2'], args: ['--log-level', 'debug'] })
      await kit.until(async () => served(await features('realm2')), 3000, 'announced again by the new instance')
    })

    await t.step('the sidecar leaves cleanly on SIGTERM; a new one announces nothing of its own', async () => {
      const watcher = await join({ realm: 'realm1', serializer: 'msgpack' })
      const seen = []
      await watcher.session.subscribe('wamp.session.on_join', ([d]) => seen.push(['join', d.session, d.authrole]))
      await watcher.session.subscribe('wamp.session.on_leave', ([id, , role]) => seen.push(['leave', id, role]))
      const others = await kit.join({ url: router.url, realm: 'realm1', ...alice })  // someone to leave about
      await kit.until(() => seen.some(e => e[1] === others.session.id), 3000, 'its on_join')
      const before = seen.length
      const res = await metad.stop()
      t.eq(res.code, 0, 'exit code')
      t.ok(res.ms < 5000, `stopped in ${res.ms} ms`)
      await kit.sleep(300)
      t.eq(seen.slice(before), [], 'nothing published on shutdown (no on_leave storm)')
      others.connection.close()
      t.ok(!/critical|BUG/.test(res.stderr), 'no critical error logged')
      metad = await metadctl.start(router, { realms: ['realm1', 'realm2'], args: ['--log-level', 'debug'] })
      const probe = await join({ realm: 'realm1', ...alice })
      await kit.until(() => seen.some(e => e[0] === 'join' && e[1] === probe.session.id), 3000, 'on_join of a new session')
      t.eq(seen.filter(e => e[2] === 'metad'), [], 'no event about a session of the meta role')
      const ids = await probe.session.call('wamp.session.list')
      t.eq(ids.sort(), [watcher.session.id, probe.session.id].sort(), 'list holds the two clients only')
      for (const id of ids) t.ok((await probe.session.call('wamp.session.get', [id])).authrole !== 'metad', 'get')
      probe.connection.close()
      watcher.connection.close()
    })
  } finally {
    for (const j of open) { try { j.connection.close() } catch (e) { /* closed */ } }
    if (metad) await metad.stop()
    const r = await router.stop()
    if (/BUG:/.test(r.stderr)) throw new Error('router logged a bug:\n' + r.stderr)
  }
})
