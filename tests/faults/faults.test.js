'use strict'
// Fault injection: wamp-metad must keep telling the truth through crashes, restarts, cut and hung links,
// lost and malformed hooks, and bad input, while 100+ clients join and leave.
//
// A checker subscribes to wamp.session.on_join / on_leave on each realm (as a client would: subscribe, then
// wamp.session.list, again after any reconnect) and keeps the set of sessions the events describe. After each
// scenario it requires: that set == wamp.session.list == the router's own snapshot (the sessions of the
// meta role aside), and that no subscriber ever saw an on_join of a session after its on_leave. It prints,
// per scenario, the time from the repair of the fault to convergence.
//
//   node tests/faults/faults.test.js                 every scenario once (ctest label `faults`)
//   node tests/faults/faults.test.js --soak MINUTES  random faults every few seconds for MINUTES
//
// wamp-metad reaches the router through tcp proxies (tests/lib/tcpproxy.js): one for its internal link, one
// for its served links; the clients through a third one, so that a restarted router is one retarget away.

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const tcpproxy = require('../lib/tcpproxy')
const kit = require('../lib/jskit')

const REALMS = ['realm1', 'realm2']
const CHURN_SIZE = 120
const CONVERGE_MS = 15000
const PRINCIPALS = { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: REALMS }

const args = process.argv.slice(2)
const soakMinutes = args[0] === '--soak' ? Number(args[1]) : 0
if (args[0] === '--soak' && !(soakMinutes > 0 && soakMinutes <= 24 * 60)) {
  process.stderr.write('usage: faults.test.js [--soak MINUTES]\n')
  process.exit(2)
}

const now = () => Number(process.hrtime.bigint() / 1000000n)

class Pair {
  async start () {
    this.router = await routerctl.start({ realms: REALMS, principals: PRINCIPALS, args: ['--test-switches'] })
    this.pInternal = await tcpproxy.start(this.router.rawsocket)
    this.pServed = await tcpproxy.start(this.router.rawsocket)
    this.pClients = await tcpproxy.start(this.router.ws)
    this.clientUrl = `ws://127.0.0.1:${this.pClients.port}/ws`
    await this.startMetad()
  }

  async startMetad () {
    this.metad = await metadctl.start(this.router, {
      realms: REALMS,
      url: `rs://127.0.0.1:${this.pServed.port}`,
      // debug: every on_join / on_leave it publishes is in the log a failure prints
      args: ['--internal-router', `rs://127.0.0.1:${this.pInternal.port}`, '--log-level', 'debug']
    })
  }

  async restartRouter () {
    const old = this.router
    this.router = await routerctl.start({ realms: REALMS, principals: PRINCIPALS, args: ['--test-switches'] })
    for (const [p, where] of [[this.pInternal, 'rawsocket'], [this.pServed, 'rawsocket'], [this.pClients, 'ws']]) {
      p.retarget(this.router[where])
    }
    return old
  }

  async stop () {
    if (this.metad) await this.metad.stop()
    for (const p of [this.pInternal, this.pServed, this.pClients]) if (p) await p.close()
    if (this.router) await this.router.stop()
  }
}

// One realm's subscriber, with the usual client pattern on (re)connect: subscribe, then list, then the events
// that came while the list was under way, in order. (Replacing the view by the list alone is not enough: an
// event published after the list was computed may reach the subscriber before the list's RESULT does.)
class Watcher {
  constructor (pair, realm) {
    this.pair = pair
    this.realm = realm
    this.view = new Set()
    this.leftIds = new Set()
    this.violations = []
    this.stopped = false
    this.trail = new Map()  // session id -> what this watcher saw of it, for a failure's message
  }

  note (id, what) {
    const t = this.trail.get(id) || []
    t.push(`${what}@${now() % 100000}`)
    this.trail.set(id, t)
  }

  async connect () {
    const deadline = now() + 20000
    for (;;) {
      try {
        const j = await kit.join({ url: this.pair.clientUrl, realm: this.realm, serializer: 'msgpack' })
        this.ready = false
        this.j = j
        this.leftIds = new Set()  // a new subscription: a new subscriber
        const early = []  // events that came before the list did
        const apply = ([what, id]) => what === 'join' ? this.view.add(id) : this.view.delete(id)
        await j.session.subscribe('wamp.session.on_join', ([d]) => {
          if (this.leftIds.has(d.session)) this.violations.push(`on_join after on_leave of ${d.session}`)
          this.note(d.session, this.ready ? 'join' : 'early-join')
          this.ready ? apply(['join', d.session]) : early.push(['join', d.session])
        })
        await j.session.subscribe('wamp.session.on_leave', ([id]) => {
          this.leftIds.add(id)
          this.note(id, this.ready ? 'leave' : 'early-leave')
          this.ready ? apply(['leave', id]) : early.push(['leave', id])
        })
        this.view = new Set(await this.listWithRetry(deadline))
        for (const id of this.view) this.note(id, 'listed')
        for (const ev of early) apply(ev)
        this.ready = true
        j.closed.then(() => { if (!this.stopped) this.connect().catch(e => { this.error = e }) })
        return
      } catch (e) {
        if (now() > deadline) throw new Error(`watcher ${this.realm} cannot connect: ${e.message || e.error}`)
        await kit.sleep(100)
      }
    }
  }

  async listWithRetry (deadline) {
    for (;;) {
      try {
        return await this.j.session.call('wamp.session.list')
      } catch (e) {
        if (now() > deadline) throw e
        await kit.sleep(50)
      }
    }
  }

  close () {
    this.stopped = true
    try { this.j.connection.close() } catch (e) { /* closed */ }
  }
}

// The router's own truth, from a meta-role session on the internal realm.
class Truth {
  constructor (pair) { this.pair = pair }
  async sessions () {
    if (!this.j || this.jRouter !== this.pair.router) {
      if (this.j) try { this.j.connection.close() } catch (e) { /* closed */ }
      this.jRouter = this.pair.router
      this.j = await kit.join({ url: this.pair.router.url, realm: 'router.internal', serializer: 'msgpack',
        authid: 'metacra', wampcra: routerctl.SECRETS.metacra })
    }
    const out = []
    let page = await this.j.session.call('router.session.snapshot', [])
    out.push(...page.sessions)
    for (let i = 0; page.next_cursor && i < 1000; i++) {
      page = await this.j.session.call('router.session.snapshot', [page.next_cursor])
      out.push(...page.sessions)
    }
    return out.filter(s => s.authrole !== 'metad')
  }
  close () { if (this.j) try { this.j.connection.close() } catch (e) { /* closed */ } }
}

// About CHURN_SIZE clients joining and leaving all the time, through the clients' proxy.
class Churn {
  constructor (pair) {
    this.pair = pair
    this.pool = new Set()
    this.running = false
    this.joins = 0
  }
  start () {
    if (this.running) return
    this.running = true
    this.loop = (async () => {
      for (let i = 0; this.running && i < 1e6; i++) {
        if (this.pool.size < CHURN_SIZE || Math.random() < 0.5) {
          kit.join({ url: this.pair.clientUrl, realm: REALMS[i % REALMS.length], serializer: i % 2 ? 'json' : 'msgpack' })
            .then(j => {
              this.joins++
              this.pool.add(j)
              j.closed.then(() => this.pool.delete(j))
              if (!this.running && Math.random() < 0.5) j.connection.close()
            }, () => {})
        } else {
          const victim = [...this.pool][Math.floor(Math.random() * this.pool.size)]
          this.pool.delete(victim)
          try { victim.connection.close() } catch (e) { /* closed */ }
        }
        await kit.sleep(5)
      }
    })()
  }
  async stop () {
    this.running = false
    await this.loop
    await kit.sleep(200)  // joins under way settle
  }
  close () { for (const j of this.pool) try { j.connection.close() } catch (e) { /* closed */ } }
}

async function converged (pair, watchers, truth) {
  const t = await truth.sessions()
  for (const w of watchers) {
    if (w.error) throw w.error
    if (!w.j || !w.ready) return `watcher ${w.realm} not connected (or not listed yet)`
    let list
    try {
      list = new Set(await w.j.session.call('wamp.session.list'))
    } catch (e) {
      return `list on ${w.realm}: ${e.error || e.message}`
    }
    const real = new Set(t.filter(s => s.realm === w.realm).map(s => s.session))
    const eq = (a, b) => a.size === b.size && [...a].every(x => b.has(x))
    if (!eq(list, real)) return `${w.realm}: list has ${list.size}, the router ${real.size}`
    if (!eq(w.view, real)) {
      const missing = [...real].filter(id => !w.view.has(id))
      const extra = [...w.view].filter(id => !real.has(id))
      const trail = id => `${id} [${(w.trail.get(id) || []).join(' ')}]`
      return `${w.realm}: the events describe ${w.view.size}, the router ${real.size}; ` +
        `missing from the events: ${missing.map(trail).join(', ') || 'none'}; ` +
        `extra: ${extra.map(trail).join(', ') || 'none'}`
    }
  }
  return null
}

async function waitConverged (pair, watchers, truth) {
  const t0 = now()
  let why = null
  while (now() - t0 < CONVERGE_MS) {
    try {
      why = await converged(pair, watchers, truth)
    } catch (e) {
      why = e.message || e.error
    }
    if (!why) return now() - t0
    await kit.sleep(50)
  }
  throw new kit.Failure(`no convergence within ${CONVERGE_MS} ms: ${why}\nwamp-metad log:\n${pair.metad.stderr().slice(-30000)}`)
}

async function callProc (session, proc, args, kwargs) {
  try {
    await session.call(proc, args, kwargs)
    return null
  } catch (e) {
    return e
  }
}

// Each scenario: churn, fault, hold, repair; then churn stops and convergence is timed from the repair.
function scenarios (pair) {
  const kill9 = async child => { process.kill(child.pid, 'SIGKILL'); await child.exited }
  return {
    'kill -9 wamp-metad, restart it': {
      fault: async () => { await kill9(pair.metad); pair.metad._stopped = Promise.resolve({}) },
      repair: () => pair.startMetad()
    },
    'kill -9 the router, restart it (new epoch)': {
      fault: async () => { process.kill(pair.router.pid, 'SIGKILL') },
      repair: async () => { const old = await pair.restartRouter(); await old.stop() }
    },
    'cut the internal link only': {
      fault: () => { pair.pInternal.block(); pair.pInternal.cut() },
      repair: () => pair.pInternal.unblock()
    },
    'cut one served link only (realm1)': {
      fault: () => { pair.pServed.block({ realm: 'realm1' }); pair.pServed.cut({ realm: 'realm1' }) },
      repair: () => pair.pServed.unblock()
    },
    'hang the internal link (silent peer)': {
      fault: () => { pair.pInternal.silence() },
      repair: async () => {
        // Noticed by the heartbeat (within 3 s), reconnected through a fresh, flowing connection.
        await pair.metad.waitLog(/internal link lost: heartbeat/, 5000)
      }
    },
    'the router skips a seq and publishes malformed hooks': {
      fault: async () => {
        const m = await kit.join({ url: pair.router.url, realm: 'router.internal', serializer: 'msgpack',
          authid: 'metacra', wampcra: routerctl.SECRETS.metacra })
        await m.session.call('router.test.skip_seq', [1])
        await m.session.call('router.test.publish_raw', ['router.session.joined', [{ realm: 'realm1', session: -5 }]])
        await m.session.call('router.test.publish_raw', ['router.session.left', ['garbage']])
        await m.session.call('router.test.publish_raw', ['router.session.joined', []])
        m.connection.close()
      },
      repair: async () => {}
    },
    'bad arguments to every meta procedure': {
      fault: async () => {
        const j = await kit.join({ url: pair.clientUrl, realm: 'realm1', serializer: 'msgpack' })
        const huge = Array.from({ length: 5000 }, (_, i) => 'role' + i)
        const cases = [
          ['wamp.session.count', ['x'], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.count', [huge], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.count', [], { nope: true }, 'wamp.error.invalid_argument'],
          ['wamp.session.list', [{ a: 1 }], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.list', [[1, 2, 3]], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.list', [null, null], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.get', [2 ** 60], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.get', [-7], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.get', ['abc'], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.get', [[1]], {}, 'wamp.error.invalid_argument'],
          ['wamp.session.get', [123], { filter_authroles: [] }, 'wamp.error.invalid_argument'],
          ['wamp.session.get', [77777], {}, 'wamp.error.no_such_session']
        ]
        for (const [proc, a, kw, uri] of cases) {
          const e = await callProc(j.session, proc, a, kw)
          if (!e || e.error !== uri || typeof e.args[0] !== 'string') {
            throw new kit.Failure(`${proc} ${JSON.stringify(a).slice(0, 40)}: expected ${uri} with a message, got ${e ? e.error : 'a result'}`)
          }
        }
        const n = await j.session.call('wamp.session.count')
        if (!(n >= 1)) throw new kit.Failure('wamp-metad stopped serving after bad arguments')
        j.connection.close()
      },
      repair: async () => {}
    }
  }
}

kit.main(soakMinutes ? `faults: soak for ${soakMinutes} min` : 'faults: fault injection', soakMinutes ? soakMinutes * 60000 + 120000 : 170000, async t => {
  const pair = new Pair()
  const churn = new Churn(pair)
  const truth = new Truth(pair)
  const watchers = REALMS.map(r => new Watcher(pair, r))
  const results = []
  try {
    await pair.start()
    for (const w of watchers) await w.connect()
    const all = scenarios(pair)
    const run = async name => {
      const s = all[name]
      churn.start()
      await kit.sleep(600)
      const joinsBefore = churn.joins
      await s.fault()
      await kit.sleep(1000)
      const tRepair = now()
      await s.repair()
      const repairMs = now() - tRepair
      await churn.stop()
      const ms = await waitConverged(pair, watchers, truth)
      for (const w of watchers) t.eq(w.violations, [], `${name}: ${w.realm}: event order`)
      results.push({ name, ms: ms + repairMs, joins: churn.joins - joinsBefore, pool: churn.pool.size })
      process.stdout.write(`  ok ${name}: converged ${ms + repairMs} ms after the repair ` +
        `(${churn.joins - joinsBefore} joins meanwhile, ${churn.pool.size} clients connected)\n`)
    }
    if (!soakMinutes) {
      for (const name of Object.keys(all)) await run(name)
      t.ok(churn.joins >= 100, `clients churned: ${churn.joins}`)
    } else {
      const names = Object.keys(all)
      const end = now() + soakMinutes * 60000
      let faults = 0
      while (now() < end) {
        await run(names[Math.floor(Math.random() * names.length)])
        faults++
      }
      process.stdout.write(`soak: ${faults} faults survived, 0 divergences, 0 crashes\n`)
    }
    const res = await pair.metad.stop()
    t.eq(res.code, 0, 'wamp-metad exits 0 at the end')
    t.ok(!/critical/.test(res.stderr), 'no critical error in its log')
    process.stdout.write('convergence after repair (ms): ' + results.map(r => `${r.name}=${r.ms}`).join(', ') + '\n')
  } catch (e) {
    // Whatever failed, the end of wamp-metad's log goes with it (a convergence failure has it already).
    if (pair.metad && !/wamp-metad log/.test(e.message)) {
      e.message += `\nscenarios passed: ${results.map(r => r.name).join(', ') || 'none'}` +
        `\nwamp-metad log:\n${pair.metad.stderr().slice(-30000)}`
    }
    throw e
  } finally {
    churn.running = false
    churn.close()
    for (const w of watchers) w.close()
    truth.close()
    await pair.stop()
  }
})
