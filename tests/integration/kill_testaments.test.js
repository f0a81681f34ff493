'use strict'
// The kill family and testaments served by wamp-metad next to the reference router, seen by Autobahn|JS
// clients: off unless enabled per realm; the caller never killed; reason and message reach the victim's
// GOODBYE; result shapes; hidden sessions unkillable; kill_all on 50 sessions publishes no on_leave and no
// testaments; testaments published in order (detached, then destroyed) before the on_leave, also when the
// client's socket is cut without GOODBYE; flush, limits and bad arguments.

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const tcpproxy = require('../lib/tcpproxy')
const kit = require('../lib/jskit')

kit.main('integration: kill family and testaments with Autobahn|JS', 110000, async t => {
  const router = await routerctl.start({ realms: ['realm1', 'realm2'] })
  let metad
  const open = []
  const proxies = []
  const join = async o => {
    const j = await kit.join({ url: router.url, realm: 'realm1', ...o })
    j.id = j.session.id // Autobahn|JS forgets it once closed
    open.push(j)
    return j
  }
  const alice = { authid: 'alice', ticket: routerctl.SECRETS.alice }
  const bob = { authid: 'bob', wampcra: routerctl.SECRETS.bob }
  // Every event of the given topics, in the order they arrived, as [topic, args, kwargs].
  const watch = async (j, topics) => {
    const seen = []
    for (const topic of topics) await j.session.subscribe(topic, (args, kwargs) => seen.push([topic, args, kwargs]))
    return seen
  }
  const errorOf = async promise => (await kit.callError(promise)).error
  try {
    metad = await metadctl.start(router, {
      realms: ['realm1', 'realm2'],
      args: ['--enable-kill', 'realm1', '--testament-max-count', '4', '--testament-max-bytes', '2048',
        '--log-level', 'debug']
    })

    await t.step('kill procedures only where enabled; testaments everywhere', async () => {
      const other = await join({ realm: 'realm2', ...alice })
      t.eq(await errorOf(other.session.call('wamp.session.kill_all')), 'wamp.error.no_such_procedure',
        'realm2 has no kill_all')
      t.eq(await errorOf(other.session.call('wamp.session.kill', [other.id + 1])),
        'wamp.error.no_such_procedure', 'realm2 has no kill')
      t.eq(await other.session.call('wamp.session.flush_testaments'), null, 'realm2 has testaments')
      other.connection.close()
    })

    await t.step('kill: the victim gets wamp.close.killed and the message; a watcher its on_leave', async () => {
      const watcher = await join({ ...bob })
      const seen = await watch(watcher, ['wamp.session.on_leave'])
      const killer = await join({ ...alice })
      const victim = await join({ ...alice })
      const ret = await killer.session.call('wamp.session.kill', [victim.id], { message: 'bye now' })
      t.ok(ret === null || ret === undefined, `kill returns no result, got ${JSON.stringify(ret)}`)
      const closed = await victim.closed
      t.eq(closed.details.reason, 'wamp.close.killed', 'default reason')
      t.eq(closed.details.message, 'bye now', 'message in GOODBYE details')
      await kit.until(() => seen.length === 1, 3000, 'the victim\'s on_leave')
      t.eq(seen[0][1], [victim.id, 'alice', 'user'], 'on_leave [session, authid, authrole]')
      t.eq(await killer.session.call('wamp.session.count'), 2, 'killer and watcher remain')

      const banned = await join({})
      await killer.session.call('wamp.session.kill', [banned.id], { reason: 'com.example.banned' })
      t.eq((await banned.closed).details.reason, 'com.example.banned', 'custom reason')
      // Crossbar's browser example: reason and message positionally after the session id.
      const positional = await join({})
      await killer.session.call('wamp.session.kill', [positional.id, 'com.example.kicked', 'as Crossbar calls it'])
      const kicked = await positional.closed
      t.eq([kicked.details.reason, kicked.details.message], ['com.example.kicked', 'as Crossbar calls it'],
        'reason and message from Crossbar\'s positional form')
      killer.connection.close()
      watcher.connection.close()
    })

    await t.step('kill: own id, unknown ids, the sidecar, bad arguments', async () => {
      const me = await join({ ...alice })
      const s = me.session
      const own = await kit.callError(s.call('wamp.session.kill', [s.id]))
      t.eq(own.error, 'wamp.error.no_such_session', 'own id is no such session')
      t.eq(await s.call('wamp.session.count'), 1, 'the caller is alive')
      t.eq(await errorOf(s.call('wamp.session.kill', [4503599627370496])), 'wamp.error.no_such_session', 'unknown id')
      const sidecar = Number((await metad.waitLog(/realm 'realm1': joined as session (\d+)/))[1])
      t.eq(await errorOf(s.call('wamp.session.kill', [sidecar])), 'wamp.error.no_such_session', 'the sidecar is hidden')
      t.eq(await s.call('wamp.session.kill_by_authid', ['metad']), [], 'kill_by_authid spares the sidecar')
      t.eq(await s.call('wamp.session.kill_by_authrole', ['metad']), 0, 'kill_by_authrole spares the sidecar')
      const bad = [
        [['x'], {}, 'wamp.error.invalid_argument', 'a string id'],
        [[], {}, 'wamp.error.invalid_argument', 'no id'],
        [[1, 2], {}, 'wamp.error.invalid_argument', 'two ids'],
        [[1, 'wamp.close.killed', 'm', 'x'], {}, 'wamp.error.invalid_argument', 'four positional arguments'],
        [[1, 'not a uri'], {}, 'wamp.error.invalid_uri', 'a positional reason with spaces'],
        [[1], { reason: 'not a uri' }, 'wamp.error.invalid_uri', 'a reason with spaces'],
        [[1], { reason: 'a..b' }, 'wamp.error.invalid_uri', 'an empty URI component'],
        [[1], { reason: 42 }, 'wamp.error.invalid_uri', 'a number as reason'],
        [[1], { message: 42 }, 'wamp.error.invalid_argument', 'a number as message'],
        [[1], { colour: 'red' }, 'wamp.error.invalid_argument', 'an unknown keyword']
      ]
      for (const [args, kwargs, uri, what] of bad) {
        const e = await kit.callError(s.call('wamp.session.kill', args, kwargs))
        t.eq(e.error, uri, what)
        t.ok(typeof e.args[0] === 'string' && e.args[0].length > 0, `${what}: a message (${e.args[0]})`)
      }
      t.eq(await errorOf(s.call('wamp.session.kill_all', [1])), 'wamp.error.invalid_argument', 'kill_all takes no args')
      t.eq(await errorOf(s.call('wamp.session.kill_by_authid', [7])), 'wamp.error.invalid_argument', 'authid not a string')
      t.eq(await errorOf(s.call('wamp.session.kill_by_authrole', ['user'], { reason: 'x y' })), 'wamp.error.invalid_uri',
        'kill_by_authrole checks the reason')
      t.eq(await s.call('wamp.session.count'), 1, 'still serving, caller alive')
      me.connection.close()
    })

    await t.step('kill_by_authid -> [[ids]] and kill_by_authrole -> [n], never the caller', async () => {
      const caller = await join({ ...alice })
      const others = await Promise.all([join({ ...alice }), join({ ...alice, serializer: 'msgpack' }), join({ ...alice })])
      const admins = await Promise.all([join({ ...bob }), join({ ...bob })])
      const bystander = await join({})
      const ids = await caller.session.call('wamp.session.kill_by_authid', ['alice'], { message: 'all alices' })
      t.eq(ids.slice().sort(), others.map(j => j.id).sort(), 'the other alices, not the caller')
      for (const j of others) t.eq((await j.closed).details.message, 'all alices', 'each victim got the message')
      t.eq(await caller.session.call('wamp.session.kill_by_authid', ['nobody']), [], 'no match: [[]]')

      // An admin kills its own role: the caller stays (Crossbar's #2082 killed it).
      const n = await admins[0].session.call('wamp.session.kill_by_authrole', ['admin'])
      t.eq(n, 1, 'one other admin')
      await admins[1].closed
      t.eq(await admins[0].session.call('wamp.session.get', [admins[0].id]).then(d => d.session),
        admins[0].id, 'the calling admin is alive')
      t.eq(await caller.session.call('wamp.session.count'), 3, 'caller, calling admin and bystander remain')
      for (const j of [caller, admins[0], bystander]) j.connection.close()
    })

    await t.step('kill_all on 50 sessions: [n], no on_leave, no testaments', async () => {
      const caller = await join({ ...bob })
      const seen = await watch(caller, ['wamp.session.on_leave', 'com.example.will'])
      const crowd = []
      for (let i = 0; i < 5; i++) crowd.push(...await Promise.all(Array.from({ length: 10 }, () => join({}))))
      await crowd[0].session.call('wamp.session.add_testament', ['com.example.will', ['never'], {}])
      await kit.until(async () => (await caller.session.call('wamp.session.count')) === 51, 5000, '51 sessions')
      const n = await caller.session.call('wamp.session.kill_all', [], { reason: 'com.example.maintenance' })
      t.eq(n, 50, 'kill_all returns [n]')
      for (const j of crowd) t.eq((await j.closed).details.reason, 'com.example.maintenance', 'each got the reason')
      t.eq(await caller.session.call('wamp.session.count'), 1, 'only the caller remains')
      // One more session comes and goes: its on_leave is the first event the caller may see.
      const later = await join({})
      later.connection.close()
      await kit.until(() => seen.length > 0, 3000, 'the later session\'s on_leave')
      await kit.sleep(200)
      t.eq(seen.map(([topic, args]) => [topic, args[0]]), [['wamp.session.on_leave', later.id]],
        'no on_leave and no testament for the 50 killed')
      caller.connection.close()
    })

    await t.step('testaments: detached then destroyed, in order, before on_leave, on a cut socket', async () => {
      const watcher = await join({ ...bob })
      const all = await watch(watcher, ['wamp.session.on_leave', 'com.example.will', 'com.example.other'])
      // Only the client's own on_leave: earlier steps' sessions may still be leaving.
      const seen = { get length () { return this.list().length }, list: () => all.filter(e => e[0] !== 'wamp.session.on_leave' || e[1][0] === client.id) }
      const proxy = await tcpproxy.start({ host: router.ws.host, port: router.ws.port })
      proxies.push(proxy)
      const client = await join({ url: `ws://127.0.0.1:${proxy.port}/ws`, ...alice })
      const add = (topic, args, kwargs, options) => client.session.call('wamp.session.add_testament', [topic, args, kwargs], options)
      t.eq(await add('com.example.will', ['destroyed 1'], {}), null, 'add_testament returns nothing')
      await add('com.example.will', ['detached 1'], { n: 1 }, { scope: 'detached' })
      await add('com.example.other', ['destroyed 2'], { deep: { list: [1, 2.5, 'x'] } }, { publish_options: { acknowledge: true } })
      await add('com.example.will', ['detached 2'], {}, { scope: 'detached', publish_options: {} })
      proxy.cut()
      await kit.until(() => seen.length === 5, 5000, 'four testaments and the on_leave').catch(e => {
        e.message += `; seen: ${JSON.stringify(all)}`
        throw e
      })
      t.eq(seen.list(), [
        ['com.example.will', ['detached 1'], { n: 1 }],
        ['com.example.will', ['detached 2'], {}],
        ['com.example.will', ['destroyed 1'], {}],
        ['com.example.other', ['destroyed 2'], { deep: { list: [1, 2.5, 'x'] } }],
        ['wamp.session.on_leave', [client.id, 'alice', 'user'], {}]
      ], 'detached bucket, destroyed bucket, then on_leave')
      watcher.connection.close()
    })

    await t.step('flush_testaments per scope; a clean leave publishes; kill publishes', async () => {
      const watcher = await join({ ...bob })
      const seen = await watch(watcher, ['com.example.will'])
      const a = await join({})
      await a.session.call('wamp.session.add_testament', ['com.example.will', ['a detached'], {}], { scope: 'detached' })
      await a.session.call('wamp.session.add_testament', ['com.example.will', ['a destroyed'], {}])
      t.eq(await a.session.call('wamp.session.flush_testaments', [], { scope: 'detached' }), null, 'flush returns nothing')
      a.connection.close()
      await kit.until(() => seen.length === 1, 3000, 'a\'s remaining testament')
      t.eq(seen[0][1], ['a destroyed'], 'only the destroyed bucket is left')

      const b = await join({})
      await b.session.call('wamp.session.add_testament', ['com.example.will', ['b'], {}])
      await b.session.call('wamp.session.flush_testaments')
      const c = await join({})
      await c.session.call('wamp.session.add_testament', ['com.example.will', ['c killed'], {}])
      await watcher.session.call('wamp.session.kill', [b.id])
      await watcher.session.call('wamp.session.kill', [c.id])
      await kit.until(() => seen.length === 2, 3000, 'c\'s testament')
      await kit.sleep(200)
      t.eq(seen.map(e => e[1][0]), ['a destroyed', 'c killed'], 'b flushed its testament; kill publishes c\'s')
      watcher.connection.close()
    })

    await t.step('testaments: bad arguments and limits get clear errors', async () => {
      const j = await join({ ...alice })
      const s = j.session
      const add = (args, kwargs) => s.call('wamp.session.add_testament', args, kwargs)
      const bad = [
        [['com.example.t', [], {}], { scope: 'forever' }, 'wamp.error.invalid_argument', 'unknown scope'],
        [['com.example.t', [], {}], { scope: 1 }, 'wamp.error.invalid_argument', 'scope not a string'],
        [['wamp.session.on_leave', [1, 'x', 'y'], {}], {}, 'wamp.error.invalid_uri', 'a wamp. topic'],
        [['not a topic', [], {}], {}, 'wamp.error.invalid_uri', 'topic with spaces'],
        [[5, [], {}], {}, 'wamp.error.invalid_uri', 'topic not a string'],
        [['com.example.t', {}, {}], {}, 'wamp.error.invalid_argument', 'args not a list'],
        [['com.example.t', [], []], {}, 'wamp.error.invalid_argument', 'kwargs not a dict'],
        [['com.example.t'], {}, 'wamp.error.invalid_argument', 'one positional argument'],
        [['com.example.t', [], {}], { publish_options: { eligible: [1] } }, 'wamp.error.invalid_argument', 'eligible'],
        [['com.example.t', [], {}], { publish_options: 'x' }, 'wamp.error.invalid_argument', 'options not a dict'],
        [['com.example.t', [], {}], { when: 'now' }, 'wamp.error.invalid_argument', 'unknown keyword']
      ]
      for (const [args, kwargs, uri, what] of bad) {
        const e = await kit.callError(add(args, kwargs))
        t.eq(e.error, uri, what)
        t.ok(typeof e.args[0] === 'string' && e.args[0].length > 0, `${what}: a message (${e.args[0]})`)
      }
      const flush = await kit.callError(s.call('wamp.session.flush_testaments', [], { scope: 'sometime' }))
      t.eq(flush.error, 'wamp.error.invalid_argument', 'flush with a bad scope')

      const big = 'x'.repeat(2100)
      const tooBig = await kit.callError(add(['com.example.t', [big], {}]))
      t.eq(tooBig.error, 'wamp.error.invalid_argument', 'over the byte limit')
      t.ok(/2048 bytes/.test(tooBig.args[0]), `says the limit: ${tooBig.args[0]}`)
      for (let i = 0; i < 4; i++) await add(['com.example.t', [i], {}])
      const fifth = await kit.callError(add(['com.example.t', [4], {}]))
      t.eq(fifth.error, 'wamp.error.invalid_argument', 'over the count limit')
      t.ok(/already has 4 testaments/.test(fifth.args[0]), `says the count: ${fifth.args[0]}`)
      await s.call('wamp.session.flush_testaments')
      await add(['com.example.t', [5], {}])
      t.eq(await s.call('wamp.session.count'), 1, 'still serving')
      j.connection.close()
    })

    t.ok(!/critical|ERROR: AddressSanitizer/.test(metad.stderr()), 'no critical log line')
  } catch (e) {
    if (metad) e.message += `\nwamp-metad log (end):\n${metad.stderr().slice(-20000)}`
    throw e
  } finally {
    for (const j of open) {
      try { j.connection.close() } catch (e) {}
    }
    for (const p of proxies) await p.close()
    if (metad) await metad.stop()
    await router.stop()
  }
})
