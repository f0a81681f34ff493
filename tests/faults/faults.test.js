'use strict'
// Fault injection: wamp-metad must keep telling the truth, each meta event exactly once, through crashes,
// restarts, takeovers by a standby, cut and hung links, lost and malformed hooks, and bad input, while 100+
// clients join and leave, subscribe and unsubscribe, register and unregister.
//
// A checker subscribes on each realm to wamp.session.on_join / on_leave and to the registration and
// subscription events (on_create, on_register / on_subscribe, on_unregister / on_unsubscribe, on_delete) and,
// as a client would, lists after subscribing (wamp.session.list, wamp.registration.list / wamp.subscription.list
// and each one's list_callees / list_subscribers). It lists again only when its own session is lost (a router
// restart); it stays connected through restarts and takeovers of wamp-metad and never relists for them. It
// keeps the sessions the events describe and, per registration and subscription id, its members, and holds
// every event to that view: a duplicate on_join, an on_leave of a session not in the view (or still a member of
// something), an on_create of a known id, an on_register / on_subscribe of an unknown id or of a member, an
// on_unregister / on_unsubscribe of a non-member, an on_delete of an unknown id or of one with members left:
// each is a violation, and any violation fails the run. After each scenario it requires: the view == what the
// meta procedures answer == the router's own snapshot (the sessions of the meta role and wamp.* URIs aside),
// so that a missing event shows as a difference. It prints, per scenario, the time from the repair of the
// fault to convergence, and for the standby scenarios the takeover times (from the SIGKILL of the active
// wamp-metad to the first answer of wamp.session.count on each realm).
//
// Testaments (kept by the router, published when their session leaves, just before its left hook): half of
// the churning clients add one or two, a fifth of those flush them; the checker subscribes to their topic and
// holds each to: added by a client of that realm, at most once, in order (detached, then destroyed, each in the
// order added), not after its session's on_leave or flush, its session seen joining and leaving; and a session
// that did not flush and whose on_leave it saw has had every testament it added published (see Watcher.checkWills).
//
//   node tests/faults/faults.test.js                    every scenario once (ctest label `faults`)
//   node tests/faults/faults.test.js --only TEXT        only the scenarios whose name contains TEXT (repeatable)
//   node tests/faults/faults.test.js --keep-going       a failing scenario is reported, the checker and
//                                                       wamp-metad start afresh, the next one runs
//   node tests/faults/faults.test.js --list             the scenarios' names
//   node tests/faults/faults.test.js --soak MINUTES     random scenarios for MINUTES
//   node tests/faults/faults.test.js --takeovers N      churn, and N SIGKILLs of the active one of two
//                                                       wamp-metad --standby in a row
//
// wamp-metad reaches the router through tcp proxies (tests/lib/tcpproxy.js): one for its internal link, one
// for its served links (a second instance, the standby, goes through the same two); the clients through a
// third one, so that a restarted router is one retarget away. Every wamp-metad exposes its metrics on a port
// of its own (--metrics 127.0.0.1:0): wamp_metad_realm_active tells which one serves, and
// wamp_metad_catch_ups_total how each caught up (an outcome other than "exact" is a fallback to re-announcing).

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const metrics = require('../lib/metrics')
const tcpproxy = require('../lib/tcpproxy')
const kit = require('../lib/jskit')

const REALMS = ['realm1', 'realm2']
const CHURN_SIZE = 120
const CONVERGE_MS = 15000
const TAKEOVER_BOUND_MS = 10000  // how long the takeover poll waits for an answer (the target is 1 s)
const STANDBY_WAIT_MS = 10000    // for a (re)started standby to report its role
// After a router restart the churn goes on this long on the new router before it stops (its sessions were all
// ended by the restart, without their testaments): the new sessions' testaments are checked in the scenario too.
const ROUTER_CHURN_AFTER_MS = 2000
const TURNS = 3                  // kills of the active one in 'both restarted in turns'
const VIOLATIONS_SHOWN = 25      // per failure message
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
// Testaments: a share of the churning clients add one or two as they join (on WILL_TOPIC, args [their session
// id, n], n = 1, 2 in the order added, each of scope detached or destroyed at random), and a share of those
// flush them again. The router publishes a session's detached bucket, then its destroyed one, each in the order
// added (SCOPES' order), just before the session's left hook.
const WILL_TOPIC = 'com.example.faults.will'
const WILL_SHARE = 1 / 2
const FLUSH_SHARE = 1 / 5
const SCOPES = ['detached', 'destroyed']
// What the churning clients did about testaments, by session id: {realm, joinedAt, plan: [scope of n = 1, 2],
// ok: the n whose add_testament was answered, flushTried, flushed: the scopes whose flush_testaments was
// answered, checked: its completeness was checked}. Written before the first add_testament goes out.
const testaments = new Map()
// Where testament n of a session comes in its publishing order.
const willRank = (rec, n) => SCOPES.indexOf(rec.plan[n - 1]) * 1000 + n

const USAGE = 'usage: faults.test.js [--soak MINUTES | --takeovers N] [--only TEXT]... [--keep-going] [--list]\n'
const opts = { soakMinutes: 0, takeovers: 0, only: [], keepGoing: false, list: false }
{
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--soak') opts.soakMinutes = Number(args[++i])
    else if (a === '--takeovers') opts.takeovers = Number(args[++i])
    else if (a === '--only') opts.only.push(String(args[++i] || '').toLowerCase())
    else if (a === '--keep-going') opts.keepGoing = true
    else if (a === '--list') opts.list = true
    else opts.bad = true
  }
  if (opts.bad || (args.includes('--soak') && !(opts.soakMinutes > 0 && opts.soakMinutes <= 24 * 60)) ||
      (args.includes('--takeovers') && !(Number.isInteger(opts.takeovers) && opts.takeovers > 0 && opts.takeovers <= 10000)) ||
      (opts.soakMinutes && opts.takeovers) || opts.only.some(s => !s)) {
    process.stderr.write(USAGE)
    process.exit(2)
  }
}

const now = () => Number(process.hrtime.bigint() / 1000000n)

const quantile = (sorted, q) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN

// The router, the three proxies, and the wamp-metad instances: `metad` is the one believed to serve (the only
// one outside the standby scenarios), `others` the rest (the standby).
class Pair {
  async start () {
    this.router = await routerctl.start({ realms: REALMS, principals: PRINCIPALS, args: ['--test-switches'] })
    this.pInternal = await tcpproxy.start(this.router.rawsocket)
    this.pServed = await tcpproxy.start(this.router.rawsocket)
    this.pClients = await tcpproxy.start(this.router.ws)
    this.clientUrl = `ws://127.0.0.1:${this.pClients.port}/ws`
    this.others = []
    this.gone = []  // instances stopped or killed, for the logs and the fallback count
    this.metad = await this.startMetad()
  }

  // A wamp-metad through the proxies. Without `standby` it must get ready (serve every realm); a standby
  // resolves once started (its readiness is its role, see waitRole).
  async startMetad ({ standby = false } = {}) {
    const h = await metadctl.start(this.router, {
      realms: REALMS,
      url: `rs://127.0.0.1:${this.pServed.port}`,
      // debug: every on_join / on_leave it publishes is in the log a failure prints
      args: ['--internal-router', `rs://127.0.0.1:${this.pInternal.port}`, '--log-level', 'debug',
        '--metrics', '127.0.0.1:0', ...(standby ? ['--standby'] : [])],
      waitReady: !standby
    })
    h.standby = standby
    h.startedAt = now()
    h.metricsPort = await metrics.port(h)
    return h
  }

  instances () { return [this.metad, ...this.others].filter(Boolean) }

  // SIGKILL by pid, and the instance's bookkeeping; resolves once it is reaped. Its catch-up counters are read
  // first, as late as they can be (unless the caller just did, so as not to delay a timed kill).
  async kill9 (h, { read = true } = {}) {
    if (read) await tally.read(h)
    process.kill(h.pid, 'SIGKILL')
    await h.stop()
    this.forget(h)
  }

  // SIGTERM by pid (SIGKILL after 5 s).
  async stopOne (h) {
    await tally.read(h)
    const res = await h.stop()
    this.forget(h)
    return res
  }

  forget (h) {
    this.gone.push(h)
    if (this.gone.length > 4) this.gone.shift()
    if (this.metad === h) this.metad = null
    this.others = this.others.filter(o => o !== h)
    if (!this.metad && this.others.length) this.metad = this.others.shift()
  }

  async restartRouter () {
    const old = this.router
    this.router = await routerctl.start({ realms: REALMS, principals: PRINCIPALS, args: ['--test-switches'] })
    for (const [p, where] of [[this.pInternal, 'rawsocket'], [this.pServed, 'rawsocket'], [this.pClients, 'ws']]) {
      p.retarget(this.router[where])
    }
    return old
  }

  logs () {
    const tail = (h, n) => h.stderr().slice(-n)
    const live = this.instances()
    let out = ''
    for (const h of live) out += `\nwamp-metad pid ${h.pid}${h.standby ? ' (--standby)' : ''} log:\n${tail(h, live.length > 1 ? 15000 : 30000)}`
    for (const h of this.gone.slice(-2)) out += `\nwamp-metad pid ${h.pid} (stopped or killed) log, its end:\n${tail(h, 4000)}`
    return out
  }

  async stop () {
    for (const h of this.instances()) await h.stop()
    for (const p of [this.pInternal, this.pServed, this.pClients]) if (p) await p.close()
    if (this.router) await this.router.stop()
  }
}

// Each instance's role per realm from wamp_metad_realm_active: {realm: 1 | 0 | null (not exposed)}, or null
// when the scrape fails.
async function roles (h) {
  try {
    const s = await metrics.scrape(h.metricsPort)
    const out = {}
    for (const r of REALMS) {
      const found = s.filter(x => x.name === 'wamp_metad_realm_active' && x.labels.realm === r)
      out[r] = found.length ? found[0].value : null
    }
    return out
  } catch (e) {
    return null
  }
}

let roleMetricSeen = false
let roleMetricNoted = false

// The instance that serves (every realm, by wamp_metad_realm_active); without the metric, the one believed to.
async function activeOne (pair) {
  const all = pair.instances()
  const rs = await Promise.all(all.map(roles))
  const serving = all.filter((h, i) => rs[i] && REALMS.every(r => rs[i][r] === 1))
  if (rs.some(x => x && REALMS.some(r => x[r] !== null))) roleMetricSeen = true
  if (serving.length === 1) return serving[0]
  // Split (after a router restart each realm goes to whichever registers first): the one serving realm1.
  const first = all.filter((h, i) => rs[i] && rs[i][REALMS[0]] === 1)
  return first.length === 1 ? first[0] : pair.metad
}

// Until h reports `want` (0: standby, 1: active) for every realm, at most STANDBY_WAIT_MS. A binary that does
// not expose the metric gets the benefit of the doubt (noted once).
async function waitRole (h, want, what) {
  const t0 = now()
  let last = null
  while (now() - t0 < STANDBY_WAIT_MS) {
    last = await roles(h)
    if (last && REALMS.some(r => last[r] !== null)) roleMetricSeen = true
    if (last && REALMS.every(r => last[r] === want)) return now() - t0
    if (last && !roleMetricSeen && now() - t0 > 2000) break  // a binary without the metric
    await kit.sleep(50)
  }
  if (!roleMetricSeen) {
    if (!roleMetricNoted) process.stdout.write('  note: no wamp_metad_realm_active exposed: the roles are not checked\n')
    roleMetricNoted = true
    return null
  }
  throw new kit.Failure(`wamp-metad pid ${h.pid} (${what}) did not report wamp_metad_realm_active=${want} on every ` +
    `realm within ${STANDBY_WAIT_MS} ms: ${JSON.stringify(last)}`)
}

// The catch-ups of every process, counted per process (a restarted one's counters start at 0 again): the last
// value read from each, summed.
const tally = {
  byPid: new Map(),  // pid -> {exact, fallback}
  exposed: false,
  async read (h) {
    if (!h || !h.metricsPort) return
    try {
      const s = await metrics.scrape(h.metricsPort)
      const all = s.filter(x => x.name === 'wamp_metad_catch_ups_total')
      if (all.length) this.exposed = true
      const exact = all.filter(x => x.labels.outcome === 'exact').reduce((n, x) => n + x.value, 0)
      const fallback = all.filter(x => x.labels.outcome !== 'exact').reduce((n, x) => n + x.value, 0)
      const fallbacks = all.filter(x => x.labels.outcome !== 'exact' && x.value > 0)
        .map(x => `${x.labels.realm}:${x.labels.outcome}=${x.value}`)
      this.byPid.set(h.pid, { exact, fallback, fallbacks })
    } catch (e) { /* gone: its last reading stands */ }
  },
  async readAll (pair) { for (const h of pair.instances()) await this.read(h) },
  total () {
    let exact = 0
    let fallback = 0
    for (const v of this.byPid.values()) { exact += v.exact; fallback += v.fallback }
    return { exact, fallback }
  },
  text () {
    if (!this.exposed) return 'catch-ups: no wamp_metad_catch_ups_total exposed'
    const { exact, fallback } = this.total()
    const which = [...this.byPid].filter(([, v]) => v.fallbacks.length).map(([pid, v]) => `pid ${pid} ${v.fallbacks.join(' ')}`)
    return `catch-ups: ${exact} exact, ${fallback} fallback${which.length ? ` (${which.join('; ')})` : ''}`
  }
}

// Takeover time: from t0 (just before the SIGKILL) to the first successful answer of wamp.session.count, on
// each realm, to a call made after t0. A client per realm (joined beforehand; joined again when its session is
// lost, as after a router restart) calls every 10 ms without waiting for the previous answer (a call to a dying
// callee may hang), at most TAKEOVER_BOUND_MS.
class Prober {
  constructor (pair) { this.pair = pair; this.clients = {} }
  async connect () {
    for (const r of REALMS) await this.client(r, now() + 5000)
  }
  async client (realm, deadline) {
    const c = this.clients[realm]
    if (c && c.connection.isOpen) return c
    for (let i = 0; i < 1000 && now() < deadline; i++) {
      try {
        this.clients[realm] = await kit.join({ url: this.pair.clientUrl, realm, serializer: 'msgpack' })
        return this.clients[realm]
      } catch (e) {
        await kit.sleep(10)
      }
    }
    return null
  }
  // {realm: ms} (null where no answer came in time).
  async measure (t0) {
    const out = {}
    await Promise.all(REALMS.map(async realm => {
      const deadline = t0 + TAKEOVER_BOUND_MS
      let answered = null
      let outstanding = 0
      while (answered === null && now() < deadline) {
        const c = await this.client(realm, deadline)
        if (!c) break
        if (outstanding < 200) {
          outstanding++
          c.session.call('wamp.session.count').then(() => { if (answered === null) answered = now() - t0 }, () => {})
            .finally(() => { outstanding-- })
        }
        await kit.sleep(10)
      }
      out[realm] = answered
    }))
    return out
  }
  close () { for (const c of Object.values(this.clients)) try { c.connection.close() } catch (e) { /* closed */ } }
}

const takeoverTimes = []  // every takeover measured in this run, per realm

function takeoverText (t) { return REALMS.map(r => `${r} ${t[r] === null ? 'none' : t[r] + ' ms'}`).join(', ') }

// One takeover: kills the active instance, measures how soon each realm answers again, restarts the killed
// one as a standby (unless `restart` is false) and waits until it reports its role.
async function takeover (pair, prober, { restart = true } = {}) {
  const active = await activeOne(pair)
  await tally.read(active)
  const t0 = now()
  await pair.kill9(active, { read: false })
  const t = await prober.measure(t0)
  for (const r of REALMS) takeoverTimes.push(t[r] === null ? Infinity : t[r])
  const slow = REALMS.filter(r => t[r] === null)
  if (slow.length) {
    throw new kit.Failure(`no takeover: wamp.session.count unanswered on ${slow.join(', ')} for ${TAKEOVER_BOUND_MS} ms ` +
      `after the SIGKILL of the active wamp-metad (pid ${active.pid})`)
  }
  if (restart) {
    const h = await pair.startMetad({ standby: true })
    pair.others.push(h)
    await waitRole(h, 0, 'restarted after a SIGKILL: must be the standby')
  }
  return t
}

// The standby scenarios' start: a second instance with --standby beside the one serving.
async function addStandby (pair) {
  const h = await pair.startMetad({ standby: true })
  pair.others.push(h)
  pair.metad = await activeOne(pair)
  pair.others = pair.instances().filter(x => x !== pair.metad)
  await waitRole(h, 0, 'started beside a serving one')
  return h
}

// Back to one instance: the one standing by (for every realm) goes; the other serves every realm.
async function dropStandby (pair) {
  for (let i = 0; i < 10 && pair.others.length; i++) {
    const active = await activeOne(pair)
    const rest = pair.instances().filter(h => h !== active)
    pair.metad = active
    pair.others = rest
    await pair.stopOne(rest[0])
  }
  await waitRole(pair.metad, 1, 'left alone')
  // it answers on every realm (a realm handed over when the other went takes a moment)
  const p = new Prober(pair)
  try {
    const t = await p.measure(now())
    if (REALMS.some(r => t[r] === null)) throw new kit.Failure(`the remaining wamp-metad does not answer: ${takeoverText(t)}`)
  } finally { p.close() }
}

// One realm's subscriber, with the usual client pattern on (re)connect: subscribe, then list, then the events
// that came while the lists were under way, in order. (Replacing the view by the lists alone is not enough: an
// event published after a list was computed may reach the subscriber before the list's RESULT does.) It lists
// only when its own session is new: a restart or a takeover of wamp-metad must leave its view right.
//
// Strict rules, from the end of the lists on (`live`): every event must fit the view (see apply). During the
// lists an event may already be reflected in them (published before the list was computed) or not, and the
// lists are several calls, each true at its own moment: so the first event about a fact (a session there, an
// id there, a session a member of an id) that came during the lists is taken as it comes, whatever the lists
// said; each further one must follow the one before (no two on_joins of a session, no two on_subscribes of
// one member in a row, ...). Replaying every early event in order on top of the lists is right, because each
// event sets one fact and the last event about a fact decides it, whichever list came before it.
class Watcher {
  constructor (pair, realm) {
    this.pair = pair
    this.realm = realm
    this.scenario = 'start'
    this.view = new Set()
    this.obs = emptyObservations()
    this.leftIds = new Set()
    this.resetWills()
    this.willsComplete = 0  // sessions whose every testament was required, and came
    this.violations = []
    this.stopped = false
    this.ready = false
    this.early = []     // events that came before the lists did
    this.earlyLast = new Map()  // fact -> the direction of the last early event about it
    this.trail = new Map()  // session id or 'KIND ID' -> what this watcher saw of it, for a failure's message
    this.counts = {}  // events received, by kind and name
    this.lists = 0    // lists taken (one per own session)
    this.checked = 0  // violations[0, checked) have been reported
  }

  note (key, what) {
    const t = this.trail.get(key) || []
    t.push(`${what}@${now() % 100000}`)
    if (t.length > TRAIL_MAX) t.splice(0, t.length - TRAIL_MAX)
    this.trail.set(key, t)
  }

  seen (key) { return `[${(this.trail.get(key) || []).join(' ')}]` }

  violation (rule, event, held) {
    this.violations.push({ scenario: this.scenario, realm: this.realm, rule, event, held })
  }

  // The testaments received on this connection, by session id: {ns: the n received, rank: the last one's
  // rank, live: one came live}; the sessions seen joined (on_join or listed); when the testaments' topic was
  // subscribed (a session that joined before may have left before, its testaments unseen).
  resetWills () {
    this.wills = new Map()
    this.joined = new Set()
    this.willSince = Infinity
  }

  async connect () {
    const deadline = now() + 20000
    // The old connection's events are all in: what it can tell of testaments is checked before they go.
    this.checkWills()
    for (let attempt = 0; attempt < 1000; attempt++) {
      try {
        const j = await kit.join({ url: this.pair.clientUrl, realm: this.realm, serializer: 'msgpack' })
        this.j = j
        this.ready = false
        this.early = []
        this.earlyLast = new Map()
        this.leftIds = new Set()  // a new subscription: a new subscriber, a fresh view
        this.resetWills()
        this.view = new Set()
        this.obs = emptyObservations()
        const on = (ev, key, what) => {
          if (j !== this.j) return
          const name = ev.length > 2 ? `${ev[1]}.${ev[0]}` : ev[0]
          this.counts[name] = (this.counts[name] || 0) + 1
          this.note(key, this.ready ? what : `early-${what}`)
          if (this.ready) this.apply(ev, true)
          else this.early.push(ev)
        }
        // The testaments' topic first: a session that joins after this is subscribed cannot leave unseen.
        await j.session.subscribe(WILL_TOPIC, ([id, n]) => on(['will', [id, n]], id, `will ${n}`))
        this.willSince = now()
        await j.session.subscribe('wamp.session.on_join', ([d]) => on(['join', d.session], d.session, 'join'))
        await j.session.subscribe('wamp.session.on_leave', ([id]) => on(['leave', id], id, 'leave'))
        // on_create first: an id created after it is subscribed is either listed or announced.
        for (const kind of KIND_NAMES) {
          const k = KINDS[kind]
          await j.session.subscribe(`wamp.${kind}.on_create`, ([s, d]) =>
            on(['create', kind, s, d], `${kind} ${d.id}`, `create(${d.match} ${d.uri}) by ${s}`))
          await j.session.subscribe(`wamp.${kind}.${k.added}`, ([s, id]) => on(['add', kind, s, id], `${kind} ${id}`, `add ${s}`))
          await j.session.subscribe(`wamp.${kind}.${k.removed}`, ([s, id]) => on(['remove', kind, s, id], `${kind} ${id}`, `remove ${s}`))
          await j.session.subscribe(`wamp.${kind}.on_delete`, ([s, id]) => on(['delete', kind, s, id], `${kind} ${id}`, `delete by ${s}`))
        }
        await this.seed(j, deadline)
        j.closed.then(() => {
          if (this.stopped || j !== this.j) return
          this.ready = false
          this.connect().catch(e => { this.error = e })
        })
        return
      } catch (e) {
        if (now() > deadline) throw new Error(`watcher ${this.realm} cannot connect: ${e.message || e.error}`)
        await kit.sleep(100)
      }
    }
    throw new Error(`watcher ${this.realm} cannot connect`)
  }

  // Lists, then applies the events that came meanwhile. Events go on arriving into this.early until it is done.
  async seed (j, deadline) {
    const listed = await retry(() => j.session.call('wamp.session.list'), deadline)
    const obs = await retry(() => listObservations(j.session), deadline)
    if (j !== this.j) return  // a new connection took over: it lists for itself
    this.lists++
    this.view = new Set(listed)
    for (const id of this.view) { this.note(id, 'listed'); this.joined.add(id) }
    this.obs = obs
    for (const kind of KIND_NAMES) for (const id of obs[kind].keys()) this.note(`${kind} ${id}`, 'listed')
    for (const ev of this.early.splice(0)) this.apply(ev, false)
    this.earlyLast = new Map()
    this.ready = true
  }

  // Starts afresh (after a failed scenario, with --keep-going): a new session, a new view.
  async reset () {
    const old = this.j
    this.j = null
    try { old.connection.close() } catch (e) { /* closed */ }
    await this.connect()
  }

  // What the view holds of a session, for a violation's message.
  heldSession (id) {
    const member = []
    for (const kind of KIND_NAMES) for (const [oid, o] of this.obs[kind]) if (o.members.has(id)) member.push(`${kind} ${oid}`)
    return `${this.view.has(id) ? 'in the view' : 'not in the view'}${this.leftIds.has(id) ? ', on_leave seen before' : ''}` +
      `${member.length ? `, member of ${member.join(', ')}` : ''}; seen of it: ${this.seen(id)}`
  }

  heldId (kind, id) {
    const o = this.obs[kind].get(id)
    return `${o ? `${kind} ${id} known (${o.match}), members [${[...o.members].join(', ')}]` : `${kind} ${id} unknown`}; ` +
      `seen of it: ${this.seen(`${kind} ${id}`)}`
  }

  // During the lists: the same direction twice in a row about one fact is a duplicate whatever the lists said.
  earlyRepeat (fact, direction) {
    const last = this.earlyLast.get(fact)
    this.earlyLast.set(fact, direction)
    return last === direction
  }

  // One event on the view, checked against the rules (strict when `live`, see the class comment), then applied.
  // A session's on_leave while it is still a member, and an on_delete of an id with members, are violations
  // during the lists too: a session's ends, an id's members' ends, were published before, so they come first
  // in the replay as well. A member added to an id the watcher does not know is not one during the lists: it
  // may be an id deleted after its list was taken and before its members were, whose on_delete follows.
  apply (ev, live) {
    const [what] = ev
    const during = live ? '' : ' (during the lists)'
    if (what === 'join') {
      const id = ev[1]
      const event = `on_join of ${id}${during}`
      if (this.leftIds.has(id)) this.violation('on_join after its on_leave', event, this.heldSession(id))
      else if (live ? this.view.has(id) : this.earlyRepeat(`session ${id}`, 'join')) {
        this.violation('duplicate on_join (the session is in the view already)', event, this.heldSession(id))
      }
      this.view.add(id)
      this.joined.add(id)
      return
    }
    if (what === 'will') {
      this.applyWill(ev[1], live)
      return
    }
    if (what === 'leave') {
      const id = ev[1]
      const event = `on_leave of ${id}${during}`
      if (live ? !this.view.has(id) : this.earlyRepeat(`session ${id}`, 'leave')) {
        this.violation(this.leftIds.has(id) ? 'on_leave of a session already left' : 'on_leave of a session never seen joined',
          event, this.heldSession(id))
      } else {
        const member = KIND_NAMES.some(kind => [...this.obs[kind].values()].some(o => o.members.has(id)))
        if (member) this.violation('on_leave of a session still held as a member', event, this.heldSession(id))
      }
      this.view.delete(id)
      this.leftIds.add(id)
      return
    }
    const [, kind, session] = ev
    const k = KINDS[kind]
    const table = this.obs[kind]
    if (what === 'create') {
      const d = ev[3]
      const event = `${kind}.on_create of ${d.id} (${d.match} ${d.uri}) by ${session}${during}`
      if (live ? table.has(d.id) : this.earlyRepeat(`${kind} ${d.id}`, 'create')) {
        this.violation('on_create of an id already known', event, this.heldId(kind, d.id))
      }
      if (!table.has(d.id)) table.set(d.id, { match: d.match, uri: d.uri, members: new Set() })
      return
    }
    const id = ev[3]
    const o = table.get(id)
    if (what === 'add') {
      const event = `${kind}.${k.added} of ${session} to ${id}${during}`
      if (live) {
        if (!o) this.violation(`${k.added} of an unknown id`, event, this.heldId(kind, id))
        else if (o.members.has(session)) this.violation(`${k.added} of a session already a member`, event, this.heldId(kind, id))
      } else if (this.earlyRepeat(`${kind} ${id} ${session}`, 'add')) {
        this.violation(`${k.added} of a session already a member`, event, this.heldId(kind, id))
      }
      if (o) o.members.add(session)
    } else if (what === 'remove') {
      const event = `${kind}.${k.removed} of ${session} from ${id}${during}`
      if (live ? !(o && o.members.has(session)) : this.earlyRepeat(`${kind} ${id} ${session}`, 'remove')) {
        this.violation(`${k.removed} of a non-member`, event, this.heldId(kind, id))
      }
      if (o) o.members.delete(session)
    } else {
      const event = `${kind}.on_delete of ${id} by ${session}${during}`
      if (live ? !o : this.earlyRepeat(`${kind} ${id}`, 'delete')) {
        this.violation('on_delete of an unknown id', event, this.heldId(kind, id))
      } else if (o && o.members.size) {
        this.violation('on_delete of an id that still has members', event, this.heldId(kind, id))
      }
      table.delete(id)
    }
  }

  // A testament [session, n]: one the churn added (a realm's own session, n planned), at most once, in the
  // publishing order (willRank), not after the session's on_leave nor after its flush_testaments was answered.
  // The same during the lists: testaments and on_leave are in the order published there too.
  applyWill ([id, n], live) {
    const event = `testament ${n} of ${id}${live ? '' : ' (during the lists)'}`
    const rec = testaments.get(id)
    let got = this.wills.get(id)
    if (!got) this.wills.set(id, got = { ns: new Set(), rank: -1, live: false })
    const added = rec ? `, added ${rec.plan.map((scope, i) => `${i + 1} ${scope}`).join(', ')} ` +
      `(answered [${[...rec.ok].join(', ')}])` : ''
    const held = () => `${this.heldSession(id)}; testaments received [${[...got.ns].join(', ')}]${added}`
    if (!rec || rec.realm !== this.realm || !Number.isInteger(n) || n < 1 || n > rec.plan.length) {
      this.violation('a testament nobody added', event, held())
    } else if (got.ns.has(n)) {
      this.violation('a testament published twice', event, held())
    } else if (willRank(rec, n) < got.rank) {
      this.violation('a testament out of order (detached first, then destroyed, each in the order added)', event,
        held())
    } else if (rec.flushed.has(rec.plan[n - 1])) {
      this.violation('a testament published after its flush_testaments was answered', event, held())
    }
    if (this.leftIds.has(id)) this.violation("a testament after its session's on_leave", event, held())
    got.ns.add(n)
    if (rec && Number.isInteger(n)) got.rank = Math.max(got.rank, willRank(rec, n))
    if (live) got.live = true
  }

  // Sessions of this connection whose testaments came and whose on_leave has not (yet): none once converged.
  willsWithoutLeave () { return [...this.wills.keys()].filter(id => !this.leftIds.has(id)) }

  // Once a session's on_leave is in (after convergence, or when the connection is gone): a testament that came
  // live of a session never seen joined is a violation; and completeness: a session of this realm that joined
  // after the testaments' topic was subscribed, did not flush, and whose on_leave came, must have had every
  // testament whose add_testament was answered published (before its on_leave: one after it is a violation
  // already). The router's restart ends sessions without their on_leave: they are not held to it.
  checkWills () {
    for (const [id, got] of this.wills) {
      if (got.checked || !this.leftIds.has(id)) continue
      got.checked = true
      if (got.live && !this.joined.has(id)) {
        this.violation('a testament of a session never seen joined', `testaments [${[...got.ns].join(', ')}] of ${id}`,
          this.heldSession(id))
      }
    }
    for (const [id, rec] of testaments) {
      if (rec.checked || rec.realm !== this.realm || !this.leftIds.has(id) || rec.flushTried ||
          !(rec.joinedAt > this.willSince)) continue
      rec.checked = true
      const got = this.wills.get(id)
      const missing = [...rec.ok].filter(n => !(got && got.ns.has(n)))
      if (missing.length) {
        this.violation('a testament not published (added, not flushed, its on_leave came)',
          `testament(s) ${missing.join(', ')} of ${id} (${missing.map(n => rec.plan[n - 1]).join(', ')})`,
          `${this.heldSession(id)}; testaments received [${got ? [...got.ns].join(', ') : ''}]`)
      } else if (rec.ok.size) {
        this.willsComplete++
      }
    }
  }

  close () {
    this.stopped = true
    try { this.j.connection.close() } catch (e) { /* closed */ }
  }
}

// The violations as a failure's message: counts by rule, then the first VIOLATIONS_SHOWN in full.
function violationsText (vs) {
  const byRule = new Map()
  for (const v of vs) {
    const key = `[${v.scenario}] ${v.realm}: ${v.rule}`
    byRule.set(key, (byRule.get(key) || 0) + 1)
  }
  const lines = [...byRule].map(([k, n]) => `  ${n} x ${k}`)
  const shown = vs.slice(0, VIOLATIONS_SHOWN).map(v => `  [${v.scenario}] ${v.realm}: ${v.rule}: ${v.event}; the view held: ${v.held}`)
  return `${vs.length} violation(s):\n${lines.join('\n')}\nthe first ${shown.length}:\n${shown.join('\n')}`
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
    this.willsAdded = 0  // add_testament calls answered
    this.willsFlushed = 0  // sessions whose flush_testaments calls were all answered
  }
  start () {
    if (this.running) return
    this.running = true
    this.loop = (async () => {
      for (let i = 0; this.running && i < 1e6; i++) {
        if (this.pool.size > 0 && Math.random() < 1 / 3) {
          this.change([...this.pool][Math.floor(Math.random() * this.pool.size)])
        } else if (this.pool.size < CHURN_SIZE || Math.random() < 0.5) {
          const realm = REALMS[i % REALMS.length]
          kit.join({ url: this.pair.clientUrl, realm, serializer: i % 2 ? 'json' : 'msgpack' })
            .then(j => {
              this.joins++
              if (Math.random() < WILL_SHARE) this.testify(j, realm, now())
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
  // One or two testaments, added one after the other (the plan is in `testaments` before the first goes out),
  // then, for a share of the clients, flushed again: each scope used, one call each. A refused call (wamp-metad
  // away, the session gone) ends it.
  async testify (j, realm, joinedAt) {
    const s = j.session
    const plan = Array.from({ length: Math.random() < 0.5 ? 1 : 2 }, () => SCOPES[Math.floor(Math.random() * 2)])
    const rec = { realm, joinedAt, plan, ok: new Set(), flushTried: false, flushed: new Set(), checked: false }
    testaments.set(s.id, rec)
    try {
      for (let n = 1; n <= plan.length; n++) {
        await s.call('wamp.session.add_testament', [WILL_TOPIC, [s.id, n], {}], { scope: plan[n - 1] })
        rec.ok.add(n)
        this.willsAdded++
      }
      if (Math.random() < FLUSH_SHARE) {
        rec.flushTried = true
        for (const scope of new Set(plan)) {
          await s.call('wamp.session.flush_testaments', [], { scope })
          rec.flushed.add(scope)
        }
        this.willsFlushed++
      }
    } catch (e) {
      // refused while wamp-metad is away, or the session is gone
    }
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
    const trail = id => `${id} ${w.seen(id)}`
    if (!setsEqual(list, real)) return `${w.realm}: list has ${list.size}, the router ${real.size}`
    if (!setsEqual(w.view, real)) {
      const missing = [...real].filter(id => !w.view.has(id))
      const extra = [...w.view].filter(id => !real.has(id))
      return `${w.realm}: the events describe ${w.view.size}, the router ${real.size}; ` +
        `missing from the events: ${missing.map(trail).join(', ') || 'none'}; ` +
        `extra: ${extra.map(trail).join(', ') || 'none'}`
    }
    const unleft = w.willsWithoutLeave()
    if (unleft.length) {
      return `${w.realm}: testaments of ${unleft.length} session(s) came, their on_leave did not: ` +
        unleft.slice(0, 5).map(trail).join(', ')
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
  for (let i = 0; i < 100000 && now() - t0 < CONVERGE_MS; i++) {
    try {
      why = await converged(pair, watchers, truth)
    } catch (e) {
      why = e.message || e.error
    }
    if (!why) return now() - t0
    await kit.sleep(50)
  }
  const vs = watchers.flatMap(w => w.violations.slice(w.checked))
  throw new kit.Failure(`no convergence within ${CONVERGE_MS} ms: ${why}` +
    `${vs.length ? `\nbesides, ${violationsText(vs)}` : ''}\n${pair.logs()}`)
}

async function callProc (session, proc, args, kwargs) {
  try {
    await session.call(proc, args, kwargs)
    return null
  } catch (e) {
    return e
  }
}

// Each scenario: churn, fault, hold, repair; then churn stops and convergence is timed from the repair. A
// standby scenario starts a second wamp-metad (--standby) first and stops the one standing by at the end.
function scenarios (pair) {
  const standbyScenario = body => ({
    setup: async ctx => {
      await addStandby(pair)
      ctx.prober = new Prober(pair)
      await ctx.prober.connect()
    },
    teardown: async ctx => {
      ctx.prober.close()
      await dropStandby(pair)
    },
    ...body
  })
  return {
    'kill -9 wamp-metad, restart it': {
      // The subscribers stay connected and do not relist: the new process must tell exactly what they missed.
      fault: async () => {
        const h = pair.metad
        await pair.kill9(h)
        pair.killedStandby = h.standby
      },
      repair: async () => { pair.metad = await pair.startMetad({ standby: pair.killedStandby }) }
    },
    'kill -9 the router, restart it (new epoch)': {
      fault: async () => { process.kill(pair.router.pid, 'SIGKILL') },
      repair: async () => { const old = await pair.restartRouter(); await old.stop() },
      churnAfter: ROUTER_CHURN_AFTER_MS
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
      fault: () => {
        pair.hangsBefore = (pair.metad.stderr().match(/internal link lost: heartbeat/g) || []).length
        pair.pInternal.silence()
      },
      repair: async () => {
        // Noticed by the heartbeat (within 3 s), reconnected through a fresh, flowing connection.
        await kit.until(() => (pair.metad.stderr().match(/internal link lost: heartbeat/g) || []).length > pair.hangsBefore,
          5000, 'wamp-metad to notice the hung internal link')
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
    },
    'kill -9 the active one with a standby': standbyScenario({
      // The standby takes over; the killed one comes back as the standby.
      fault: async ctx => { ctx.takeovers.push(await takeover(pair, ctx.prober, { restart: false })) },
      repair: async () => {
        const h = await pair.startMetad({ standby: true })
        pair.others.push(h)
        await waitRole(h, 0, 'restarted after a SIGKILL: must be the standby')
      }
    }),
    'both restarted in turns': standbyScenario({
      // Kill the active one, wait for the takeover, restart it (the standby now), kill the new active one, ...
      fault: async ctx => {
        for (let i = 0; i < TURNS; i++) {
          ctx.takeovers.push(await takeover(pair, ctx.prober))
          await kit.sleep(300)
        }
      },
      repair: async () => {}
    }),
    'a router restart during a takeover': standbyScenario({
      // The active one is killed and at once the router too: the standby reconnects to a new router (a new
      // epoch), every client too, the checker lists afresh after its own reconnect.
      fault: async ctx => {
        const active = await activeOne(pair)
        await tally.read(active)
        const t0 = now()
        await pair.kill9(active, { read: false })
        process.kill(pair.router.pid, 'SIGKILL')
        ctx.measuring = ctx.prober.measure(t0)
      },
      repair: async ctx => {
        const old = await pair.restartRouter()
        await old.stop()
        const h = await pair.startMetad({ standby: true })
        pair.others.push(h)
        const t = await ctx.measuring
        for (const r of REALMS) takeoverTimes.push(t[r] === null ? Infinity : t[r])
        ctx.takeovers.push(t)
        if (REALMS.some(r => t[r] === null)) {
          throw new kit.Failure(`no takeover after the router restart: ${takeoverText(t)} (from the SIGKILL)`)
        }
        // On a new router each realm goes to whichever registers first: exactly one serves each.
        await waitOneActive(pair)
      },
      routerRestart: true,
      churnAfter: ROUTER_CHURN_AFTER_MS
    })
  }
}

// Until each realm is served by exactly one instance (by wamp_metad_realm_active), at most STANDBY_WAIT_MS.
async function waitOneActive (pair) {
  const t0 = now()
  let last = null
  while (now() - t0 < STANDBY_WAIT_MS) {
    const all = pair.instances()
    const rs = await Promise.all(all.map(roles))
    if (!rs.some(x => x && REALMS.some(r => x[r] !== null)) && !roleMetricSeen) return null
    last = REALMS.map(r => `${r}: ${all.map((h, i) => `pid ${h.pid}=${rs[i] ? rs[i][r] : 'no scrape'}`).join(' ')}`)
    if (REALMS.every(r => rs.filter(x => x && x[r] === 1).length === 1)) return now() - t0
    await kit.sleep(50)
  }
  throw new kit.Failure(`not exactly one wamp-metad serving each realm within ${STANDBY_WAIT_MS} ms: ${last.join('; ')}`)
}

const takeoverStats = list => {
  const done = list.filter(x => Number.isFinite(x)).sort((a, b) => a - b)
  const failed = list.length - done.length
  return `${list.length} takeover(s) measured: p50 ${quantile(done, 0.5)} ms, p99 ${quantile(done, 0.99)} ms, ` +
    `max ${done.length ? done[done.length - 1] : NaN} ms${failed ? `, ${failed} without an answer within ${TAKEOVER_BOUND_MS} ms` : ''}`
}

// The violations the watchers recorded since they were last checked: reported, then a failure when any.
function checkViolations (watchers, what) {
  const vs = watchers.flatMap(w => w.violations.slice(w.checked))
  for (const w of watchers) w.checked = w.violations.length
  if (vs.length) throw new kit.Failure(`${what}: ${violationsText(vs)}`)
}

const allNames = scenarios(null)
if (opts.list) {
  process.stdout.write(Object.keys(allNames).join('\n') + '\n')
  process.exit(0)
}
const selected = Object.keys(allNames).filter(n => !opts.only.length || opts.only.some(s => n.toLowerCase().includes(s)))
if (!selected.length) {
  process.stderr.write(`no scenario matches ${opts.only.join(', ')}; the scenarios:\n${Object.keys(allNames).join('\n')}\n`)
  process.exit(2)
}

const title = opts.soakMinutes ? `faults: soak for ${opts.soakMinutes} min`
  : opts.takeovers ? `faults: ${opts.takeovers} takeovers in a row` : 'faults: fault injection'
const budget = opts.soakMinutes ? opts.soakMinutes * 60000 + 120000
  : opts.takeovers ? opts.takeovers * 8000 + 120000
  : opts.keepGoing ? 100000 + selected.length * 45000 : 280000

kit.main(title, budget, async t => {
  const pair = new Pair()
  const churn = new Churn(pair)
  const truth = new Truth(pair)
  const watchers = REALMS.map(r => new Watcher(pair, r))
  const results = []
  const failures = []
  const setScenario = name => { for (const w of watchers) w.scenario = name }

  // After a failed scenario (--keep-going): one wamp-metad, a router, fresh watchers.
  const recover = async name => {
    setScenario(`${name}: recovery`)
    await churn.stop()
    let alive = true
    try { process.kill(pair.router.pid, 0) } catch (e) { alive = false }
    if (!alive) { const old = await pair.restartRouter(); await old.stop() }
    for (const h of pair.instances()) await pair.stopOne(h)
    pair.metad = await pair.startMetad()
    for (const w of watchers) await w.reset()
    for (const w of watchers) w.checked = w.violations.length
  }

  const run = async name => {
    const s = scenarios(pair)[name]
    const ctx = { takeovers: [] }
    setScenario(name)
    try {
      // what came since the last check (a standby scenario's teardown) counts here
      checkViolations(watchers, 'before the scenario')
      if (s.setup) await s.setup(ctx)
      churn.start()
      await kit.sleep(600)
      const joinsBefore = churn.joins
      const changesBefore = churn.changes
      const wills = () => watchers.reduce((n, w) => n + (w.counts.will || 0), 0)
      const willsBefore = wills()
      await s.fault(ctx)
      await kit.sleep(1000)
      const willsFault = wills() - willsBefore  // published while the fault held (its repair not begun)
      const tRepair = now()
      await s.repair(ctx)
      const repairMs = now() - tRepair
      if (s.churnAfter) await kit.sleep(s.churnAfter)
      await churn.stop()
      const ms = await waitConverged(pair, watchers, truth)
      for (const w of watchers) w.checkWills()
      checkViolations(watchers, name)
      const held = kind => watchers.reduce((n, w) => n + w.obs[kind].size, 0)
      results.push({ name, ms: ms + repairMs, takeovers: ctx.takeovers })
      const to = ctx.takeovers.length
        ? `; takeover${ctx.takeovers.length > 1 ? 's' : ''} (SIGKILL to the first answer${s.routerRestart ? ', the router restart included' : ''}): ` +
          ctx.takeovers.map(takeoverText).join(' | ')
        : ''
      const after = s.churnAfter ? ` and ${s.churnAfter} ms more churn` : ''
      process.stdout.write(`  ok ${name}: converged ${ms + repairMs} ms after the repair${after}${to} ` +
        `(${churn.joins - joinsBefore} joins and ${churn.changes - changesBefore} (un)subscribes/(un)registers ` +
        `meanwhile, ${wills() - willsBefore} testaments published, ${willsFault} of them while the fault held; ` +
        `${churn.pool.size} clients connected holding ${held('registration')} registrations and ` +
        `${held('subscription')} subscriptions)\n`)
      setScenario(`${name}: teardown`)
      if (s.teardown) await s.teardown(ctx)
    } catch (e) {
      if (ctx.prober) ctx.prober.close()
      if (!opts.keepGoing) throw e
      const message = /wamp-metad pid \d+.* log:/.test(e.message) ? e.message : `${e.message}\n${pair.logs()}`
      failures.push({ name, message: e.message.split('\n')[0] })
      process.stdout.write(`  FAIL ${name}: ${message.slice(0, 60000)}\n`)
      await recover(name)
    }
  }

  try {
    await pair.start()
    for (const w of watchers) await w.connect()
    if (opts.takeovers) {
      setScenario('takeovers')
      await addStandby(pair)
      const prober = new Prober(pair)
      await prober.connect()
      churn.start()
      await kit.sleep(600)
      for (let i = 0; i < opts.takeovers; i++) {
        await tally.readAll(pair)
        setScenario(`takeover ${i + 1}`)
        let tk
        try {
          tk = await takeover(pair, prober)
        } catch (e) {
          await tally.readAll(pair)
          e.message = `takeover ${i + 1} of ${opts.takeovers}: ${e.message}\nso far: ${takeoverStats(takeoverTimes)}; ` +
            `violations ${watchers.reduce((n, w) => n + w.violations.length, 0)}; ${tally.text()}`
          throw e
        }
        process.stdout.write(`  takeover ${i + 1}/${opts.takeovers}: ${takeoverText(tk)}; ` +
          `violations so far ${watchers.reduce((n, w) => n + w.violations.length, 0)}\n`)
        await kit.sleep(300)
      }
      await churn.stop()
      const ms = await waitConverged(pair, watchers, truth)
      for (const w of watchers) w.checkWills()
      await tally.readAll(pair)
      const nv = watchers.reduce((n, w) => n + w.violations.length, 0)
      process.stdout.write(`takeovers: ${takeoverStats(takeoverTimes)}; converged ${ms} ms after the churn stopped; ` +
        `violations ${nv}; ${tally.text()}\n`)
      checkViolations(watchers, `${opts.takeovers} takeovers`)
      setScenario('takeovers: teardown')
      prober.close()
      await dropStandby(pair)
    } else if (!opts.soakMinutes) {
      for (const name of selected) await run(name)
      if (selected.length === Object.keys(allNames).length) {
        t.ok(churn.joins >= 100, `clients churned: ${churn.joins}`)
        t.ok(churn.changes >= 100, `clients subscribed, registered and dropped: ${churn.changes}`)
      }
    } else {
      const end = now() + opts.soakMinutes * 60000
      let faults = 0
      for (let i = 0; i < 1e6 && now() < end; i++) {
        await run(selected[Math.floor(Math.random() * selected.length)])
        faults++
      }
      process.stdout.write(`soak: ${faults} faults survived\n`)
    }
    setScenario('the end')
    checkViolations(watchers, 'at the end')
    await tally.readAll(pair)
    for (const h of pair.instances()) {
      const res = await pair.stopOne(h)
      t.eq(res.code, 0, `wamp-metad pid ${h.pid} exits 0 at the end`)
      t.ok(!/critical/.test(res.stderr), `no critical error in the log of wamp-metad pid ${h.pid}`)
    }
    const counts = {}
    for (const w of watchers) for (const [k, n] of Object.entries(w.counts)) counts[k] = (counts[k] || 0) + n
    process.stdout.write(`events checked: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}\n`)
    if (results.length) {
      process.stdout.write('convergence after repair (ms): ' + results.map(r => `${r.name}=${r.ms}`).join(', ') + '\n')
    }
    const nv = watchers.reduce((n, w) => n + w.violations.length, 0)
    process.stdout.write(`summary: ${results.length} scenario run(s) passed, ${failures.length} failed` +
      `${failures.length ? ` (${failures.map(f => f.name).join('; ')})` : ''}; violations ${nv}; ` +
      `${takeoverTimes.length ? takeoverStats(takeoverTimes) : 'no takeovers'}; ${tally.text()}; ` +
      `relists by the checker ${watchers.map(w => `${w.realm} ${w.lists}`).join(', ')}; ` +
      `testaments: ${churn.willsAdded} added, ${churn.willsFlushed} session(s) flushed theirs, ` +
      `${watchers.reduce((n, w) => n + w.willsComplete, 0)} session(s) left with every one of theirs published\n`)
    if (failures.length) {
      throw new kit.Failure(`${failures.length} scenario(s) failed:\n${failures.map(f => `  ${f.name}: ${f.message}`).join('\n')}`)
    }
  } catch (e) {
    // Whatever failed, the end of wamp-metad's logs goes with it (a convergence failure has them already).
    if (!/wamp-metad pid \d+.* log:/.test(e.message) && !failures.length) {
      e.message += `\nscenarios passed: ${results.map(r => r.name).join(', ') || 'none'}\n${pair.logs()}`
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
