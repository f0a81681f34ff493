'use strict'
// Fault injection: wamp-metad must keep telling the truth through crashes, restarts, cut and hung links,
// lost and malformed hooks, and bad input, while 100+ clients join and leave, subscribe and unsubscribe,
// register and unregister.
//
// A checker subscribes on each realm to wamp.session.on_join / on_leave and to the registration and
// subscription events (on_create, on_register / on_subscribe, on_unregister / on_unsubscribe, on_delete) and,
// as a client would, lists after subscribing (wamp.session.list, wamp.registration.list / wamp.subscription.list
// and each one's list_callees / list_subscribers), again after any reconnect. It keeps the sessions the events
// describe and, per registration and subscription id, its members. After each scenario it requires: those
// == what the meta procedures answer == the router's own snapshot (the sessions of the meta role and wamp.*
// URIs aside); and the order of the events: no on_join of a session after its on_leave, an id's on_create
// before any member's on_register / on_subscribe, and a session's on_leave only once it is no member of
// anything the checker holds. It prints, per scenario, the time from the repair of the fault to convergence.
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

// The registration and subscription meta API, as the checker reads it: the events (positional arguments
// on_create [session, {id, created, uri, match, invoke?}], the others [session, id]), the procedures, and the
// snapshot's lists.
const KINDS = {
  registration: {
    added: 'on_register', removed: 'on_unregister', listMembers: 'wamp.registration.list_callees',
    noSuch: 'wamp.error.no_such_registration', snapshot: 'registrations', members: 'callees'
  },
  subscription: {
    added: 'on_subscribe', removed: 'on_unsubscribe', listMembers: 'wamp.subscription.list_subscribers',
    noSuch: 'wamp.error.no_such_subscription', snapshot: 'subscriptions', members: 'subscribers'
  }
}
const KIND_NAMES = Object.keys(KINDS)
const MATCHES = ['exact', 'prefix', 'wildcard']
// What the churning clients subscribe to and register, the same in every realm: a few topics, each
// subscription shared by many sessions, a few procedures (one callee each: the others are refused until it
// goes), and prefix and wildcard patterns of both. The rare topics have a subscriber or two, so that their
// subscriptions are created and deleted all the time.
const TOPICS = [['com.churn.news', 'exact'], ['com.churn.sport', 'exact'], ['com.churn.weather', 'exact'],
  ['com.churn.', 'prefix'], ['com.churn..alerts', 'wildcard']]
const RARE_TOPICS = [['com.churn.rare.a', 'exact'], ['com.churn.rare.b', 'exact'], ['com.churn.rare.c', 'exact'],
  ['com.churn.rare.', 'prefix'], ['com.churn.rare..x', 'wildcard'], ['com..rare.y', 'wildcard']]
const PROCEDURES = [['com.churn.add', 'exact'], ['com.churn.mul', 'exact'], ['com.churn.echo', 'exact'],
  ['com.churn.math.', 'prefix'], ['com.churn..calc', 'wildcard']]
const TRAIL_MAX = 40  // events remembered per session or id, for a failure's message

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
// that came while the lists were under way, in order. (Replacing the view by the lists alone is not enough: an
// event published after a list was computed may reach the subscriber before the list's RESULT does.) The lists
// are several calls, each true at its own moment; replaying every early event in order on top of them is
// still right, because each event sets one fact (a session there or not, an id there or not, a member in it or
// not) and the last event about a fact decides it, whichever list came before it.
class Watcher {
  constructor (pair, realm) {
    this.pair = pair
    this.realm = realm
    this.view = new Set()
    this.obs = emptyObservations()
    this.leftIds = new Set()
    this.violations = []
    this.stopped = false
    this.ready = false
    this.stale = false  // the registration and subscription view is known to be out of date (see relist)
    this.early = []     // events that came before the lists did
    this.trail = new Map()  // session id or 'KIND ID' -> what this watcher saw of it, for a failure's message
    this.counts = {}  // events received, by kind and name
  }

  note (key, what) {
    const t = this.trail.get(key) || []
    t.push(`${what}@${now() % 100000}`)
    if (t.length > TRAIL_MAX) t.splice(0, t.length - TRAIL_MAX)
    this.trail.set(key, t)
  }

  async connect () {
    const deadline = now() + 20000
    for (;;) {
      try {
        const j = await kit.join({ url: this.pair.clientUrl, realm: this.realm, serializer: 'msgpack' })
        this.j = j
        this.ready = false
        this.early = []
        this.leftIds = new Set()  // a new subscription: a new subscriber
        const on = ev => {
          const name = ev.length > 2 ? `${ev[1]}.${ev[0]}` : ev[0]
          this.counts[name] = (this.counts[name] || 0) + 1
          if (this.ready) this.apply(ev, true)
          else this.early.push(ev)
        }
        await j.session.subscribe('wamp.session.on_join', ([d]) => {
          if (this.leftIds.has(d.session)) this.violations.push(`on_join after on_leave of ${d.session}`)
          this.note(d.session, this.ready ? 'join' : 'early-join')
          on(['join', d.session])
        })
        await j.session.subscribe('wamp.session.on_leave', ([id]) => {
          this.leftIds.add(id)
          this.note(id, this.ready ? 'leave' : 'early-leave')
          on(['leave', id])
        })
        // on_create first: an id created after it is subscribed is either listed or announced.
        for (const kind of KIND_NAMES) {
          const k = KINDS[kind]
          await j.session.subscribe(`wamp.${kind}.on_create`, ([s, d]) => on(['create', kind, s, d]))
          await j.session.subscribe(`wamp.${kind}.${k.added}`, ([s, id]) => on(['add', kind, s, id]))
          await j.session.subscribe(`wamp.${kind}.${k.removed}`, ([s, id]) => on(['remove', kind, s, id]))
          await j.session.subscribe(`wamp.${kind}.on_delete`, ([s, id]) => on(['delete', kind, s, id]))
        }
        await this.seed(j, true, deadline)
        j.closed.then(() => { if (!this.stopped) this.connect().catch(e => { this.error = e }) })
        return
      } catch (e) {
        if (now() > deadline) throw new Error(`watcher ${this.realm} cannot connect: ${e.message || e.error}`)
        await kit.sleep(100)
      }
    }
  }

  // Lists (the sessions too when `sessions`), then applies the events that came meanwhile. Events go on
  // arriving into this.early until it is done.
  async seed (j, sessions, deadline) {
    const listed = sessions ? await retry(() => j.session.call('wamp.session.list'), deadline) : null
    const obs = await retry(() => listObservations(j.session), deadline)
    if (j !== this.j) return  // a new connection took over: it lists for itself
    if (sessions) {
      this.view = new Set(listed)
      for (const id of this.view) this.note(id, 'listed')
    }
    this.obs = obs
    for (const kind of KIND_NAMES) for (const id of obs[kind].keys()) this.note(`${kind} ${id}`, 'listed')
    for (const ev of this.early.splice(0)) this.apply(ev, false)
    this.ready = true
    this.stale = false
  }

  // Lists the registrations and subscriptions again on the same connection (the sessions need not be).
  async relist () {
    const j = this.j
    if (!this.ready) return  // a (re)connect is listing everything already
    this.ready = false
    this.early = []
    try {
      await this.seed(j, false, now() + 10000)
    } catch (e) {
      if (j === this.j && j.connection.isOpen) throw e
      // else the reconnect lists
    }
  }

  // One event on the view, checked against the order rules. A member added to an id the watcher does not know
  // is a violation only among the events that came after the lists (`live`): among the early ones, it may be
  // an id deleted before the lists were taken, whose on_delete follows. A session's on_leave while it is still
  // a member is one everywhere: its ends were published before its leave, so they come first in the replay
  // too. While the view is stale, neither is checked.
  apply (ev, live) {
    const [what] = ev
    if (what === 'join') return this.view.add(ev[1])
    if (what === 'leave') {
      const id = ev[1]
      this.view.delete(id)
      if (this.stale) return
      for (const kind of KIND_NAMES) {
        for (const [oid, o] of this.obs[kind]) {
          if (o.members.has(id)) {
            this.violations.push(`on_leave of ${id} while it is still a ${KINDS[kind].members.slice(0, -1)} of ${kind} ${oid}`)
          }
        }
      }
      return
    }
    const [, kind, session] = ev
    const table = this.obs[kind]
    if (what === 'create') {
      const d = ev[3]
      this.note(`${kind} ${d.id}`, `create(${d.match} ${d.uri}) by ${session}`)
      if (!table.has(d.id)) table.set(d.id, { match: d.match, uri: d.uri, members: new Set() })
      return
    }
    const id = ev[3]
    const o = table.get(id)
    this.note(`${kind} ${id}`, `${what} ${session}${live ? '' : ' (early)'}`)
    if (what === 'add') {
      if (o) o.members.add(session)
      else if (live && !this.stale) this.violations.push(`${KINDS[kind].added} of ${session} to ${kind} ${id} before its on_create`)
    } else if (what === 'remove') {
      if (o) o.members.delete(session)
    } else {
      table.delete(id)
    }
  }

  close () {
    this.stopped = true
    try { this.j.connection.close() } catch (e) { /* closed */ }
  }
}

function emptyObservations () {
  return Object.fromEntries(KIND_NAMES.map(kind => [kind, new Map()]))
}

// What the meta procedures answer: per kind, id -> {match, members}. Not one atomic view: an id gone between
// the list and its members is left out, as if the list had come a moment later.
async function listObservations (session) {
  const out = emptyObservations()
  for (const kind of KIND_NAMES) {
    const ids = await session.call(`wamp.${kind}.list`)
    await Promise.all(MATCHES.flatMap(match => ids[match].map(async id => {
      try {
        out[kind].set(id, { match, members: new Set(await session.call(KINDS[kind].listMembers, [id])) })
      } catch (e) {
        if (e.error !== KINDS[kind].noSuch) throw e
      }
    })))
  }
  return out
}

// Calls fn until it resolves (wamp-metad may be away, or resyncing), at most until the deadline.
async function retry (fn, deadline) {
  for (;;) {
    try {
      return await fn()
    } catch (e) {
      if (now() > deadline) throw e
      await kit.sleep(50)
    }
  }
}

// Where two views of one realm's registrations or subscriptions differ (ids, match policies, members), or null.
function observationsDiffer (a, b) {
  const out = []
  for (const [id, x] of a) {
    const y = b.get(id)
    if (!y) out.push(`${id} only in the first`)
    else if (x.match !== y.match) out.push(`${id}: match ${x.match} / ${y.match}`)
    else if (!setsEqual(x.members, y.members)) out.push(`${id}: members [${[...x.members]}] / [${[...y.members]}]`)
  }
  for (const id of b.keys()) if (!a.has(id)) out.push(`${id} only in the second`)
  return out.length ? out : null
}

const setsEqual = (a, b) => a.size === b.size && [...a].every(x => b.has(x))

// The router's own truth, from a meta-role session on the internal realm: its snapshot (hook protocol v2), the
// sessions of the meta role and the registrations and subscriptions of wamp.* URIs aside. Registrations and
// subscriptions per realm and kind: id -> {match, members}, an entry split over pages taken together.
class Truth {
  constructor (pair) { this.pair = pair }
  async state () {
    if (!this.j || this.jRouter !== this.pair.router) {
      if (this.j) try { this.j.connection.close() } catch (e) { /* closed */ }
      this.jRouter = this.pair.router
      this.j = await kit.join({ url: this.pair.router.url, realm: 'router.internal', serializer: 'msgpack',
        authid: 'metacra', wampcra: routerctl.SECRETS.metacra })
    }
    const sessions = []
    const obs = Object.fromEntries(REALMS.map(r => [r, emptyObservations()]))
    const take = page => {
      sessions.push(...page.sessions)
      for (const kind of KIND_NAMES) {
        for (const e of page[KINDS[kind].snapshot]) {
          if (e.uri.startsWith('wamp.') || !obs[e.realm]) continue
          const table = obs[e.realm][kind]
          if (!table.has(e.id)) table.set(e.id, { match: e.match, members: new Set() })
          for (const m of e[KINDS[kind].members]) table.get(e.id).members.add(m)
        }
      }
    }
    let page = await this.j.session.call('router.session.snapshot', [])
    take(page)
    for (let i = 0; page.next_cursor && i < 1000; i++) {
      page = await this.j.session.call('router.session.snapshot', [page.next_cursor])
      take(page)
    }
    return { sessions: sessions.filter(s => s.authrole !== 'metad'), obs }
  }
  close () { if (this.j) try { this.j.connection.close() } catch (e) { /* closed */ } }
}

// About CHURN_SIZE clients joining and leaving all the time, through the clients' proxy; each also subscribes
// and registers as it joins, and a third of the churn's steps have a random client subscribe or unsubscribe,
// register or unregister instead (about as many steps per second as joins and leaves alone had).
class Churn {
  constructor (pair) {
    this.pair = pair
    this.pool = new Set()
    this.running = false
    this.joins = 0
    this.changes = 0  // subscribes, unsubscribes, registers and unregisters answered
  }
  start () {
    if (this.running) return
    this.running = true
    this.loop = (async () => {
      for (let i = 0; this.running && i < 1e6; i++) {
        if (this.pool.size > 0 && Math.random() < 1 / 3) {
          this.change([...this.pool][Math.floor(Math.random() * this.pool.size)])
        } else if (this.pool.size < CHURN_SIZE || Math.random() < 0.5) {
          kit.join({ url: this.pair.clientUrl, realm: REALMS[i % REALMS.length], serializer: i % 2 ? 'json' : 'msgpack' })
            .then(j => {
              this.joins++
              j.held = []  // {kind, uri, handle}
              this.pool.add(j)
              j.closed.then(() => this.pool.delete(j))
              if (!this.running && Math.random() < 0.5) j.connection.close()
              else this.change(j)
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
  // One change of what client j holds: drops something it holds, or subscribes to a topic or registers a
  // procedure it does not hold yet (refused while another session has it). One change at a time per client.
  async change (j) {
    if (j.busy) return
    j.busy = true
    const s = j.session
    const pick = list => list[Math.floor(Math.random() * list.length)]
    try {
      if (j.held.length > 0 && Math.random() < 0.5) {
        const h = j.held.splice(Math.floor(Math.random() * j.held.length), 1)[0]
        await (h.kind === 'subscription' ? s.unsubscribe(h.handle) : s.unregister(h.handle))
      } else {
        const kind = Math.random() < 0.6 ? 'subscription' : 'registration'
        const from = kind === 'registration' ? PROCEDURES : Math.random() < 0.7 ? TOPICS : RARE_TOPICS
        const free = from.filter(([uri]) => !j.held.some(h => h.uri === uri))
        if (free.length === 0) return
        const [uri, match] = pick(free)
        const handle = kind === 'subscription' ? await s.subscribe(uri, () => {}, { match })
          : await s.register(uri, () => null, { match })
        j.held.push({ kind, uri, handle })
      }
      this.changes++
    } catch (e) {
      // refused (procedure_already_exists), or the session is gone
    } finally {
      j.busy = false
    }
  }
  async stop () {
    this.running = false
    await this.loop
    await kit.sleep(200)  // joins and changes under way settle
  }
  close () { for (const j of this.pool) try { j.connection.close() } catch (e) { /* closed */ } }
}

async function converged (pair, watchers, truth) {
  const t = await truth.state()
  for (const w of watchers) {
    if (w.error) throw w.error
    if (!w.j || !w.ready) return `watcher ${w.realm} not connected (or not listed yet)`
    let list
    try {
      list = new Set(await w.j.session.call('wamp.session.list'))
    } catch (e) {
      return `list on ${w.realm}: ${e.error || e.message}`
    }
    const real = new Set(t.sessions.filter(s => s.realm === w.realm).map(s => s.session))
    const trail = id => `${id} [${(w.trail.get(id) || []).join(' ')}]`
    if (!setsEqual(list, real)) return `${w.realm}: list has ${list.size}, the router ${real.size}`
    if (!setsEqual(w.view, real)) {
      const missing = [...real].filter(id => !w.view.has(id))
      const extra = [...w.view].filter(id => !real.has(id))
      return `${w.realm}: the events describe ${w.view.size}, the router ${real.size}; ` +
        `missing from the events: ${missing.map(trail).join(', ') || 'none'}; ` +
        `extra: ${extra.map(trail).join(', ') || 'none'}`
    }
    let listedObs  // only once the sessions agree: a dozen calls more
    try {
      listedObs = await listObservations(w.j.session)
    } catch (e) {
      return `registration and subscription lists on ${w.realm}: ${e.error || e.message}`
    }
    for (const kind of KIND_NAMES) {
      const realObs = t.obs[w.realm][kind]
      const byList = observationsDiffer(listedObs[kind], realObs)
      if (byList) return `${w.realm}: wamp.${kind}.list and its members / the router: ${byList.join('; ')}`
      const byEvents = observationsDiffer(w.obs[kind], realObs)
      if (byEvents) {
        const ids = new Set([...w.obs[kind].keys(), ...realObs.keys()])
        const trails = [...ids].filter(id => byEvents.some(d => d.startsWith(`${id}`))).map(id => trail(`${kind} ${id}`))
        return `${w.realm}: the ${kind} events / the router: ${byEvents.join('; ')}; seen: ${trails.join(', ')}`
      }
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
      repair: () => pair.startMetad(),
      // A restarted wamp-metad knows nothing of the registrations and subscriptions deleted while it was away
      // (it keeps no tombstones of them, and the router's snapshot has none): it tells every one there is
      // again, but not the end of those gone, so their subscribers relist. A client learns it from its meta
      // calls failing while wamp-metad is away and answering again (its procedures registered again); the
      // checker relists once the new process is ready, and until then does not hold the old view to the order
      // rules. The sessions need no relist: their leaves are told again from the router's recently left ones.
      relist: true
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
        await m.session.call('router.test.publish_raw', ['router.subscription.subscribed',
          [{ realm: 'realm1', session: 5, subscription: 'nope' }]])
        await m.session.call('router.test.publish_raw', ['router.registration.unregistered', [{ realm: 'realm2' }]])
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
          ['wamp.session.get', [77777], {}, 'wamp.error.no_such_session'],
          ['wamp.registration.get', ['x'], {}, 'wamp.error.invalid_argument'],
          ['wamp.registration.list_callees', [2 ** 60], {}, 'wamp.error.invalid_argument'],
          ['wamp.registration.lookup', ['com.churn.add', { match: 'glob' }], {}, 'wamp.error.invalid_argument'],
          ['wamp.subscription.match', [7], {}, 'wamp.error.invalid_argument'],
          ['wamp.subscription.list', [1, 2], {}, 'wamp.error.invalid_argument'],
          ['wamp.subscription.get', [4503599627370495], {}, 'wamp.error.no_such_subscription']
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
      const changesBefore = churn.changes
      if (s.relist) for (const w of watchers) w.stale = true
      await s.fault()
      await kit.sleep(1000)
      const tRepair = now()
      await s.repair()
      if (s.relist) await Promise.all(watchers.map(w => w.relist()))
      const repairMs = now() - tRepair
      await churn.stop()
      const ms = await waitConverged(pair, watchers, truth)
      for (const w of watchers) t.eq(w.violations, [], `${name}: ${w.realm}: event order`)
      const held = kind => watchers.reduce((n, w) => n + w.obs[kind].size, 0)
      results.push({ name, ms: ms + repairMs, joins: churn.joins - joinsBefore, pool: churn.pool.size })
      process.stdout.write(`  ok ${name}: converged ${ms + repairMs} ms after the repair ` +
        `(${churn.joins - joinsBefore} joins and ${churn.changes - changesBefore} (un)subscribes/(un)registers ` +
        `meanwhile, ${churn.pool.size} clients connected holding ${held('registration')} registrations and ` +
        `${held('subscription')} subscriptions)\n`)
    }
    if (!soakMinutes) {
      for (const name of Object.keys(all)) await run(name)
      t.ok(churn.joins >= 100, `clients churned: ${churn.joins}`)
      t.ok(churn.changes >= 100, `clients subscribed, registered and dropped: ${churn.changes}`)
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
    const counts = {}
    for (const w of watchers) for (const [k, n] of Object.entries(w.counts)) counts[k] = (counts[k] || 0) + n
    process.stdout.write(`events checked: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}\n`)
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
