'use strict'
// Nothing lost: testaments through a SIGKILL and restart of wamp-metad, and through a takeover of a standby pair.
// The router keeps what wamp-metad hands it (docs/hook-protocol.md, "Testaments kept by the router") and
// publishes it when the session leaves, before its left hook: a watcher that stays connected sees each
// testament once, in the order added (detached before destroyed), before its session's on_leave, also when the
// session leaves while no wamp-metad runs. flush_testaments after a restart forgets what was added before it.
// And a kill_all followed at once by a SIGKILL of wamp-metad: its successor, catching up, tells no on_leave of
// the sessions kill_all ended (their left hooks say `quiet`).

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const metrics = require('../lib/metrics')
const kit = require('../lib/jskit')

const WILL = 'com.example.will'

// A subscriber of the testaments' topic and of on_join / on_leave, recording the order of what it is told.
async function watcher (router, options = {}) {
  const w = await kit.join({ url: router.url, realm: 'realm1', ...options })
  const log = []
  await w.session.subscribe(WILL, args => log.push(['will', ...args]))
  await w.session.subscribe('wamp.session.on_leave', ([id]) => log.push(['leave', id]))
  return {
    w,
    log,
    wills: owner => log.filter(e => e[0] === 'will' && e[1] === owner).map(e => e[2]),
    leaves: id => log.filter(e => e[0] === 'leave' && e[1] === id).length,
    // Each testament of `owner` before its on_leave.
    before: owner => {
      const leave = log.findIndex(e => e[0] === 'leave' && e[1] === owner)
      const last = log.map(e => e[0] === 'will' && e[1] === owner).lastIndexOf(true)
      return leave > last
    }
  }
}

async function addWills (s, id, words) {
  for (const [scope, word] of words) {
    await s.call('wamp.session.add_testament', [WILL, [id, word], {}], scope ? { scope } : {})
  }
}

kit.main('integration: testaments and quiet leaves through restarts and takeovers', 150000, async t => {
  const routers = []
  const clients = kit.joiner()
  const startMetad = (router, args = []) =>
    metadctl.start(router, { realms: ['realm1'], args: ['--metrics', '127.0.0.1:0', ...args] })
  try {
    await t.step('SIGKILL and restart of a lone instance: each testament once, before its on_leave', async () => {
      const router = await routerctl.start({ realms: ['realm1'] })
      routers.push(router)
      const a = await startMetad(router)
      const v = await watcher(router)
      const x = await clients.join({ url: router.url, realm: 'realm1' })
      const y = await clients.join({ url: router.url, realm: 'realm1' })
      const z = await clients.join({ url: router.url, realm: 'realm1' })
      const [xi, yi, zi] = [x, y, z].map(c => c.session.id)
      await addWills(x.session, xi, [[null, 'x destroyed'], ['detached', 'x detached']])
      await addWills(y.session, yi, [[null, 'y 1'], [null, 'y 2']])
      await addWills(z.session, zi, [[null, 'z flushed']])
      const m = await metrics.scrape(await metrics.port(a))
      t.eq(metrics.value(m, 'wamp_metad_testaments_total', { realm: 'realm1', action: 'add', kept_by: 'router' }), 5,
        'the router keeps them (the metric says so)')
      for (const level of ['sessions', 'registrations', 'kill', 'removal', 'features', 'exactly_once', 'hook_history',
        'testaments']) {
        t.eq(metrics.value(m, 'wamp_metad_router_level', { level }), 1, `the reference router offers ${level}`)
      }
      t.ok(/the router offers: sessions, registrations, [a-z_, ]+testaments\n/.test(a.stderr()) && !/; not: /.test(a.stderr()),
        'the levels in the log at start')
      process.kill(a.pid, 'SIGKILL')
      await a.exited
      // x leaves while nobody serves the realm: the router publishes its testaments itself.
      x.connection.close()
      await kit.until(() => v.wills(xi).length === 2, 3000, "x's testaments while wamp-metad is down")
      const b = await startMetad(router)
      await kit.until(() => v.leaves(xi) === 1, 10000, "x's on_leave, told by the successor")
      await z.session.call('wamp.session.flush_testaments', [], {})
      y.connection.close()
      z.connection.close()
      await kit.until(() => v.leaves(yi) === 1 && v.leaves(zi) === 1, 5000, 'on_leave of y and z')
      await kit.sleep(200)
      t.eq(v.wills(xi), ['x detached', 'x destroyed'], 'x: detached before destroyed, each once')
      t.eq(v.wills(yi), ['y 1', 'y 2'], 'y: in the order added, each once')
      t.eq(v.wills(zi), [], 'z: flushed after the restart, none')
      t.ok(v.before(xi) && v.before(yi), 'each testament before its on_leave')
      t.eq(v.leaves(xi), 1, 'one on_leave of x')
      await b.stop()
      clients.closeAll()
      v.w.connection.close()
    })

    await t.step('a standby pair: the testament of a session outlives the active instance', async () => {
      const router = await routerctl.start({ realms: ['realm1'] })
      routers.push(router)
      const a = await startMetad(router, ['--standby'])
      const b = await startMetad(router, ['--standby'])
      await b.waitLog(/realm 'realm1': standing by/, 5000)
      const v = await watcher(router)
      const x = await clients.join({ url: router.url, realm: 'realm1' })
      const xi = x.session.id
      await addWills(x.session, xi, [[null, 'x after takeover']])
      process.kill(a.pid, 'SIGKILL')
      await b.waitLog(/realm 'realm1': took over/, 10000)
      x.connection.close()
      await kit.until(() => v.leaves(xi) === 1, 5000, "x's on_leave after the takeover")
      await kit.sleep(200)
      t.eq(v.wills(xi), ['x after takeover'], 'the testament once')
      t.ok(v.before(xi), 'before its on_leave')
      await b.stop()
      clients.closeAll()
      v.w.connection.close()
    })

    await t.step('kill_all, then SIGKILL of wamp-metad: its successor tells no on_leave of the victims', async () => {
      const router = await routerctl.start({ realms: ['realm1'] })
      routers.push(router)
      const a = await startMetad(router, ['--enable-kill', 'realm1'])
      // The caller of kill_all is the one session spared: it watches.
      const v = await watcher(router, { authid: 'bob', wampcra: routerctl.SECRETS.bob })
      const victims = []
      for (let i = 0; i < 5; i++) victims.push(await clients.join({ url: router.url, realm: 'realm1' }))
      const victimIds = victims.map(c => c.session.id)
      await addWills(victims[0].session, victimIds[0], [[null, 'never']])
      const n = await v.w.session.call('wamp.session.kill_all', [], { reason: 'com.example.maintenance' })
      t.eq(n, 5, 'kill_all ended five')
      process.kill(a.pid, 'SIGKILL')
      await a.exited
      const b = await startMetad(router, ['--enable-kill', 'realm1'])
      await b.waitLog(/caught up exactly from the router's record/, 10000)
      // Something after, to be sure the successor tells what comes next.
      const later = await clients.join({ url: router.url, realm: 'realm1' })
      const laterId = later.session.id
      later.connection.close()
      await kit.until(() => v.leaves(laterId) === 1, 5000, 'the on_leave of a session after the restart')
      for (const id of victimIds) t.eq(v.leaves(id), 0, `no on_leave of victim ${id}`)
      t.eq(v.wills(victimIds[0]), [], 'no testament of a victim')
      t.eq(await v.w.session.call('wamp.session.count'), 1, 'only the caller is left')
      await b.stop()
      v.w.connection.close()
    })
  } finally {
    clients.closeAll()
    for (const r of routers) await r.stop()
  }
})
