'use strict'
// The end-to-end benchmark (run it through bench/run). Starts, on 127.0.0.1 with ports chosen at run time:
//   router A: the reference router with hooks and test switches, wamp-metad serving its realm1,
//             and a plain Autobahn|Cpp callee (bench_peer echo, from peer.cpp) registering bench.echo / bench.ids
//   router B: the reference router with fox-wamp's own (native, partial) meta API in realm1
//   router C: the reference router with hooks, and in wamp-metad's place peer.cpp's forwarder (bench_peer
//             forward: each hook published again at once as bench.forwarded, nothing kept or checked)
//   router D: as A, with TLS listeners too, and a wamp-metad whose links run over RawSocket over TLS
//             (rss://, certificates from tests/lib/certs.js): on_join, the calls and the churn's CPU over TLS
//             beside A's plain links
// and measures, in one run: the hop (publish -> event), on_join delivery (WELCOME -> on_join) via wamp-metad,
// via the native API and via the forwarder, on_subscribe delivery (SUBSCRIBED -> on_subscribe) via wamp-metad
// and via the forwarder, meta calls (sessions, registrations, subscriptions) against the echo callee, churn
// with a checker, memory and sync times at scale, and callgrind's instruction count of the core's apply path.
// Prints a table, writes bench/results/latest.json. Fails (exit 1) when an outcome is wrong (lost, duplicated
// or misordered meta events, wrong counts); it never asserts on timings.
//
//   node bench/e2e/bench.js [--quick]      env: WAMP_METAD_BIN, WAMP_METAD_PEER_BIN (both set by bench/run),
//                                               WAMP_METAD_APPLY_COUNT_BIN, WAMP_METAD_STANDIN_BIN,
//                                               WAMP_METAD_BASE_BIN (phase 8: see capacity.js)

const fs = require('fs')
const os = require('os')
const path = require('path')
const readline = require('readline')
const routerctl = require('../../tests/lib/routerctl')
const metadctl = require('../../tests/lib/metadctl')
const kit = require('../../tests/lib/jskit')
const certs = require('../../tests/lib/certs')
const capacity = require('./capacity')
const { seeded } = require('./shuffle')

const QUICK = process.argv.includes('--quick')
const ROOT = routerctl.ROOT
// What the systemd unit adds to wamp-metad's environment (its Environment= lines).
const UNIT_ENV = Object.fromEntries([...fs.readFileSync(path.join(ROOT, 'systemd', 'wamp-metad@.service.in'), 'utf8')
  .matchAll(/^Environment=(\w+)=(.*)$/gm)].map(m => [m[1], m[2]]))
const T_START = Date.now()
// The reference peers (peer.cpp: an echo callee, a hook forwarder), built beside wamp-metad.
const PEER_BIN = process.env.WAMP_METAD_PEER_BIN || path.join(path.dirname(metadctl.BIN), '..', '..', 'bench', 'bench_peer')

// Every count is bounded; full mode stays under 6 minutes on a 2-core machine (5 before phase 8, which has
// capacityMs of its own).
const CFG = QUICK
  ? {
      rounds: 1, hops: 50, pacedHops: 20, joinRates: [[100, 20], [1000, 30]], holdMs: 20, subscribes: 20, calls: 20, bigCalls: 3, bigRounds: 1,
      nativePeers: 10, churnProbe: [], churnWorkers: 8, churnMs: 1000, churnTlsMs: 1000, scale: [10000], oneMillion: false,
      callgrind: [2000, 1000], capacityMs: 30000, watchdogMs: 150000
    }
  : {
      rounds: 5, roundsBudgetMs: 130000, hops: 400, pacedHops: 100, joinRates: [[100, 250], [1000, 250]], holdMs: 20, subscribes: 60, calls: 200, bigCalls: 10, bigRounds: 2,
      nativePeers: 100, churnProbe: [8, 32, 96], churnProbeMs: 3000, churnMs: 30000, churnTlsMs: 10000, scale: [100000],
      oneMillion: true, callgrind: [200000, 100000], capacityMs: 80000, watchdogMs: 375000
    }
// The list sizes of phase 3 (quick mode proves the mechanism with small ones).
const LIST_SIZES = QUICK ? [100, 1000, 10000] : [100, 10000, 100000]
// Topics that a session of the benchmark holds on routers A and C, so that each subscribe of on_subscribe's
// probe joins an existing subscription: one subscribed hook, one on_subscribe event (no on_create), as a
// join is one joined hook and one on_join.
const KEPT_TOPICS = Array.from({ length: 10 }, (_, i) => `bench.kept.${i}`)
// The on_subscribe probe's rate (subscribes per second), as the on_join probe's.
const SUBSCRIBE_RATE = 100

routerctl.withTimeout(CFG.watchdogMs, 'bench/run')

// ------------------------------------------------------------------------------------------------ helpers

class Failure extends Error {}
const now = () => process.hrtime.bigint()
const us = (a, b) => Number(b - a) / 1000 // ns interval -> microseconds

function quantile (sorted, q) {
  if (!sorted.length) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]
}
// Samples pooled over every round: median and p99; plus each round's median, to show the spread.
function summarize (rounds) {
  const all = rounds.flat().slice().sort((a, b) => a - b)
  const med = rounds.filter(r => r.length).map(r => quantile(r.slice().sort((a, b) => a - b), 0.5))
  return {
    n: all.length,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    round_p50_min: med.length ? Math.min(...med) : null,
    round_p50_max: med.length ? Math.max(...med) : null
  }
}
const fmtUs = v => (v === null || v === undefined ? '-' : v >= 10000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(0)} µs`)
const fmtX = v => (v === null || v === undefined || !isFinite(v) ? '-' : `${v.toFixed(2)}`)

function procStat (pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  return { cpuTicks: Number(f[11]) + Number(f[12]) } // utime + stime (fields 14, 15)
}
const CLK_TCK = 100 // Linux USER_HZ
function procStatus (pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = k => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s) || [])[1]) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}
function resetPeak (pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5') // resets VmHWM to the current RSS
    return true
  } catch (e) {
    return false
  }
}
function memAvailable () {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}

// From wamp-metad's first log line ("starting") to its first "mirror synced", by the log's own timestamps
// (milliseconds): the time to a synced mirror, without the announcement and registrations that follow.
function syncedAfterStart (text) {
  const at = re => {
    const m = new RegExp(`^(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) \\w+ ${re}`, 'm').exec(text)
    return m ? Date.parse(`${m[1]}T${m[2]}Z`) : null
  }
  const start = at('wamp-metad .* starting')
  const synced = at('mirror synced')
  return start === null || synced === null ? null : synced - start
}

async function until (fn, ms, what) {
  const deadline = Date.now() + ms
  let last = null
  for (;;) {
    // A failed call only means "not yet" here (for example a call that a reconnecting link canceled).
    const v = await Promise.resolve().then(fn).catch(e => { last = e; return false })
    if (v) return v
    if (Date.now() > deadline) {
      throw new Failure(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last.error || last.message})` : ''}`)
    }
    await kit.sleep(20)
  }
}

// Waits until the log (a growing string) shows `re` after character `from`; resolves with the hrtime of the
// first poll that saw it (polled every 2 ms: the figures derived from it are tens of ms and more).
// A realm's catch-up in wamp-metad's log: group 1 is set when it was exact.
const CAUGHT_UP = /realm '[^']*': (?:(caught up exactly)|cannot catch up exactly)/

async function logMark (getLog, from, re, ms, what) {
  const deadline = Date.now() + ms
  for (;;) {
    const m = re.exec(getLog().slice(from))
    if (m) return { t: now(), match: m }
    if (Date.now() > deadline) throw new Failure(`timed out after ${ms} ms waiting for ${what}`)
    await kit.sleep(2)
  }
}

// Runs a child script of this folder (node, unless `command` says otherwise), or with no script the program
// `command` itself (tracked: killed by pid if this process exits), collecting its stdout lines.
function runChild (script, args, onLine, maxMs, command = process.execPath, env = null) {
  const child = routerctl.spawnTracked(command, script ? [path.join(__dirname, script), ...args] : args,
    env ? { env: { ...process.env, ...env } } : {})
  const name = script || path.basename(command)
  let stderr = ''
  child.stderr.on('data', d => { stderr += d })
  const rl = readline.createInterface({ input: child.stdout })
  rl.on('line', onLine)
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))
  const read = new Promise(resolve => rl.on('close', resolve)) // every line handed over, even after the exit
  const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL') } catch (e) {} }, maxMs)
  const done = Promise.all([exited, read]).then(([r]) => {
    clearTimeout(timer)
    if (r.code !== 0) throw new Failure(`${name} exited with ${r.code ?? r.signal}: ${stderr}`)
    return r
  })
  return { child, done, stderr: () => stderr }
}

// pylist.py under Debian's python3 (python3-autobahn, C msgpack): {list: [ms...], ids: [ms...]}.
async function pythonLists (router, size, calls) {
  // Its own session is one more in the realm: the list it gets has size + 1 ids.
  const cfg = { url: router.url, ws: [router.ws.host, router.ws.port], rawsocket: [router.rawsocket.host, router.rawsocket.port], size, list_size: size + 1, calls }
  let last = ''
  await runChild('pylist.py', [JSON.stringify(cfg)], line => { last = line }, 180000, '/usr/bin/python3').done
  const r = JSON.parse(last)
  return { list: r.list.map(ms => ms * 1000), ids: r.ids.map(ms => ms * 1000) } // microseconds
}

// A joiner run (see joiner.js): resolves with [{id, t}] of the sessions that joined, the ids that left, and
// in mode "subscribe" [{id, t}] of each SUBSCRIBED (the subscription id).
async function joiner (cfg) {
  const joined = []
  const left = []
  const failed = []
  const subscribed = []
  const maxMs = cfg.maxMs || 60000
  const c = runChild('joiner.js', [JSON.stringify({ ...cfg, maxMs })], line => {
    const p = line.split(' ')
    if (p[0] === 'J') joined.push({ id: Number(p[1]), t: BigInt(p[2]) })
    else if (p[0] === 'S') subscribed.push({ id: Number(p[1]), t: BigInt(p[2]) })
    else if (p[0] === 'L') left.push(Number(p[1]))
    else if (p[0] === 'F') failed.push(line.slice(2))
  }, maxMs + 10000)
  await c.done
  return { joined, left, failed, subscribed }
}

// ------------------------------------------------------------------------------------------------ main

async function main () {
  const results = {
    mode: QUICK ? 'quick' : 'full',
    date: new Date().toISOString(),
    machine: {
      nproc: os.cpus().length,
      cpu: (os.cpus()[0] || {}).model,
      mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      loadavg_at_start: os.loadavg().map(v => +v.toFixed(2))
    },
    wamp_metad_bin: metadctl.BIN,
    units: 'microseconds unless named otherwise',
    notes: []
  }
  const checks = [] // outcome failures (exit 1)
  const log = m => process.stderr.write(`[bench ${((Date.now() - T_START) / 1000).toFixed(1)}s] ${m}\n`)
  const stoppers = []
  const metadLogs = []
  try {
    // ---------------------------------------------------------------- set up
    // Router A gets room for a million fabricated sessions; B is the native peer.
    const saved = process.env.NODE_OPTIONS
    process.env.NODE_OPTIONS = `${saved || ''} --max-old-space-size=6144`.trim()
    const A = await routerctl.start({ realms: ['realm1'], args: ['--test-switches'] })
    if (saved === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = saved
    stoppers.push(() => A.stop())
    const B = await routerctl.start({ realms: ['realm1'], rawsocket: false, args: ['--native-meta', '--test-switches'] })
    stoppers.push(() => B.stop())
    // Router C: hooks, and in wamp-metad's place the least any sidecar could do (peer.cpp's forwarder).
    const C = await routerctl.start({ realms: ['realm1'] })
    stoppers.push(() => C.stop())
    let metad = await metadctl.start(A, { realms: ['realm1'] })
    metadLogs.push(metad.stderr)
    stoppers.push(() => metad.stop()) // the current instance (a cold start replaces it)
    // Router D and its wamp-metad over RawSocket over TLS (clients stay on plain WebSocket: what is measured
    // is what TLS costs wamp-metad's links).
    const tlsFiles = certs.make()
    stoppers.push(() => tlsFiles.remove())
    const D = await routerctl.start({ realms: ['realm1'], rawsocket: false, rawsocketTls: true, args: ['--test-switches'],
      tls: { cert: tlsFiles.server, key: tlsFiles.serverKey } })
    stoppers.push(() => D.stop())
    const metadTls = await metadctl.start(D, { realms: ['realm1'], url: `rss://127.0.0.1:${D.rawsocketTls.port}`,
      args: ['--tls-ca', tlsFiles.ca] })
    metadLogs.push(metadTls.stderr)
    stoppers.push(() => metadTls.stop())
    const metadFresh = procStatus(metad.pid)
    log(`router A ${A.url} (pid ${A.pid}), router B ${B.url} native meta (pid ${B.pid}), wamp-metad pid ${metad.pid}, ` +
      `router C ${C.url} with the forwarder (pid ${C.pid}), router D ${D.url} with wamp-metad over rss:// (pid ${metadTls.pid})`)

    const join = (url, realm = 'realm1', o = {}) => kit.join({ url, realm, serializer: 'msgpack', ...o })
    const internal = await join(A.url, 'router.internal', { authid: 'metad', ticket: routerctl.SECRETS.metad })
    const fabricate = async n => (await internal.session.call('router.test.fabricate', ['realm1', n])).length
    const unfabricate = () => internal.session.call('router.test.unfabricate', ['realm1'])

    // A reference peer (peer.cpp) in `mode`, serving realm1 of `router` until the end; resolves once it is ready.
    async function startPeer (mode, router, extraArgs = [], env = null) {
      let ready
      const seen = new Promise(resolve => { ready = resolve })
      const peer = runChild(null, [mode, router.rawsocket.host, String(router.rawsocket.port), 'realm1', ...extraArgs],
        line => { if (line.startsWith('ready')) ready() }, 3600e3, PEER_BIN, env)
      stoppers.push(() => { try { process.kill(peer.child.pid, 'SIGTERM') } catch (e) {} })
      await Promise.race([seen, peer.done,
        kit.sleep(15000).then(() => { throw new Failure(`bench_peer ${mode} did not start`) })])
    }
    await startPeer('echo', A)
    await startPeer('forward', C, ['bench.forwarded'], { WAMP_TICKET: routerctl.SECRETS.metad })

    const cA = await join(A.url) // caller and publisher on A
    const jA = await join(A.url, 'realm1', { serializer: 'json' }) // the same calls with JSON (big lists)
    const sA = await join(A.url) // subscriber on A
    const cB = await join(B.url)
    const sB = await join(B.url)
    const sC = await join(C.url) // subscriber to the forwarder's events
    const sD = await join(D.url) // subscriber on D
    // The sessions of realm1 on A that are not fabricated: ours, the echo callee (wamp-metad's are hidden).
    const baseA = await until(async () => {
      const n = await cA.session.call('wamp.session.count')
      return n === 4 ? n : 0
    }, 5000, 'wamp.session.count = 4 on router A')
    // Subscriptions for the registration and subscription calls of phase 3: one topic with two subscribers,
    // a prefix and a wildcard that reach it too (wamp.subscription.match answers three ids); and the topics
    // that on_subscribe's probe joins on routers A and C.
    await sA.session.subscribe('bench.sub.topic', () => {})
    const subTopic = await jA.session.subscribe('bench.sub.topic', () => {})
    await cA.session.subscribe('bench.sub.', () => {}, { match: 'prefix' })
    await jA.session.subscribe('bench..topic', () => {}, { match: 'wildcard' })
    for (const topic of KEPT_TOPICS) for (const s of [jA, sC]) await s.session.subscribe(topic, () => {})

    // ---------------------------------------------------------------- 1 + 2: hop and on_join delivery
    const hop = { A: [], B: [], paced: [] }
    let hopWaiter = null
    for (const s of [sA, sB]) await s.session.subscribe('bench.hop', () => { if (hopWaiter) hopWaiter(now()) })
    // Back to back (every process stays awake), or one every `gapMs` (each wakes from idle, as at 100 joins/s).
    async function hops (pub, n, gapMs = 0) {
      const out = []
      for (let i = 0; i < n; i++) {
        if (gapMs) await kit.sleep(gapMs)
        const got = new Promise((resolve, reject) => {
          hopWaiter = resolve
          setTimeout(() => reject(new Failure('a bench.hop event did not arrive within 5 s')), 5000).unref()
        })
        const t0 = now()
        pub.session.publish('bench.hop', [i])
        out.push(us(t0, await got))
      }
      hopWaiter = null
      return out
    }

    const seenA = new Map() // session id -> hrtime of its on_join at the subscriber (wamp-metad)
    const seenB = new Map() // same, native
    const seenC = new Map() // same, the forwarder's event
    const seenD = new Map() // same, wamp-metad over TLS
    let watchJoins = false
    await sA.session.subscribe('wamp.session.on_join', ([d]) => { if (watchJoins && d) seenA.set(d.session, now()) })
    const onJoinB = await sB.session.subscribe('wamp.session.on_join', (args, kw) => {
      // fox-wamp's native on_join: no positional argument, {session, authmethod, transport} as keywords.
      const id = kw && kw.session !== undefined ? kw.session : args && args[0] && args[0].session
      if (watchJoins && id !== undefined) seenB.set(id, now())
    })
    // Latency is taken from a probe process that joins at most 100 sessions/s, so that its WELCOME timestamps
    // are not delayed by its own load; above 100/s, two more processes add background joins up to the rate.
    // The forwarder's event carries the joined hook as it came: {session, realm, authid, ...}.
    await sC.session.subscribe('bench.forwarded', ([d]) => { if (watchJoins && d) seenC.set(d.session, now()) })
    await sD.session.subscribe('wamp.session.on_join', ([d]) => { if (watchJoins && d) seenD.set(d.session, now()) })
    async function onJoin (router, seen, rate, count) {
      const probeRate = Math.min(rate, 100)
      const ms = (count / probeRate) * 1000
      const maxMs = Math.ceil(ms * 3) + 10000
      const bgRate = (rate - probeRate) / 2
      seen.clear()
      watchJoins = true
      const common = { url: router.url, realm: 'realm1', mode: 'rate', holdMs: CFG.holdMs, maxInFlight: 200, maxMs }
      const bg = bgRate > 0 ? [0, 1].map(() => joiner({ ...common, rate: bgRate, count: Math.ceil((bgRate * ms) / 1000) })) : []
      const r = await joiner({ ...common, rate: probeRate, count })
      const bgr = await Promise.all(bg)
      const all = [r, ...bgr].flatMap(x => x.joined)
      await until(() => all.every(j => seen.has(j.id)), 3000, 'every on_join').catch(() => {})
      watchJoins = false
      const lat = r.joined.filter(j => seen.has(j.id)).map(j => us(j.t, seen.get(j.id)))
      // The rate the subscriber saw while the probe ran.
      let rateSeen = null
      if (r.joined.length > 1) {
        const a = r.joined[0].t
        const b = r.joined[r.joined.length - 1].t
        let n = 0
        for (const t of seen.values()) if (t >= a && t <= b) n++
        rateSeen = n / (us(a, b) / 1e6)
      }
      return { lat, joined: all.length, failed: [r, ...bgr].reduce((s, x) => s + x.failed.length, 0),
        lost: all.filter(j => !seen.has(j.id)).length, rate: rateSeen }
    }

    // on_subscribe delivery: a probe process subscribes to the kept topics, SUBSCRIBE_RATE a second, each
    // for holdMs; from its SUBSCRIBED to the subscriber's wamp.subscription.on_subscribe [session, id] (router
    // A), or to the forwarder's event with the subscribed hook as it came (router C). The same session joins
    // the same subscription again and again: the n-th SUBSCRIBED of an id goes with the n-th event of it.
    const subSeenA = new Map() // 'session:subscription' -> hrtimes of its on_subscribe events, in order
    const subSeenC = new Map() // same, the forwarder's events
    let watchSubs = false
    const sawSubscribe = (seen, session, id) => {
      if (!watchSubs) return
      const key = `${session}:${id}`
      if (!seen.has(key)) seen.set(key, [])
      seen.get(key).push(now())
    }
    await sA.session.subscribe('wamp.subscription.on_subscribe', ([session, id]) => sawSubscribe(subSeenA, session, id))
    await sC.session.subscribe('bench.forwarded.subscribed', ([d]) => {
      if (d && d.subscription) sawSubscribe(subSeenC, d.session, d.subscription.id)
    })
    async function onSubscribe (router, seen, count) {
      seen.clear()
      watchSubs = true
      const maxMs = Math.ceil((count / SUBSCRIBE_RATE) * 3000) + 10000
      const r = await joiner({ url: router.url, realm: 'realm1', mode: 'subscribe', topics: KEPT_TOPICS, count,
        rate: SUBSCRIBE_RATE, holdMs: CFG.holdMs, maxMs })
      const session = r.joined.length ? r.joined[0].id : null
      const nth = new Map()
      const pairs = () => {
        nth.clear()
        return r.subscribed.map(x => {
          const key = `${session}:${x.id}`
          const i = nth.get(key) || 0
          nth.set(key, i + 1)
          const t = (seen.get(key) || [])[i]
          return t === undefined ? null : us(x.t, t)
        })
      }
      await until(() => pairs().every(v => v !== null), 3000, 'every on_subscribe').catch(() => {})
      watchSubs = false
      const lat = pairs()
      const extra = [...seen.values()].reduce((n, l) => n + l.length, 0) - lat.filter(v => v !== null).length
      return { lat: lat.filter(v => v !== null), subscribed: r.subscribed.length, failed: r.failed.length,
        lost: lat.filter(v => v === null).length, unexpected: extra }
    }

    const joinRes = {}
    for (const [rate] of CFG.joinRates) {
      for (const who of ['metad', 'native', 'forwarder', 'metad_tls']) joinRes[`${who}@${rate}`] = { rounds: [], joined: 0, failed: 0, lost: 0, rates: [] }
    }
    const subRes = Object.fromEntries(['metad', 'forwarder'].map(who => [who, { rounds: [], subscribed: 0, failed: 0, lost: 0, unexpected: 0 }]))
    const roundsStart = Date.now()
    for (let round = 0; round < CFG.rounds; round++) {
      // On a slow moment of the machine, fewer rounds (at least two), so that the whole run stays in bounds.
      const perRound = round > 0 ? (Date.now() - roundsStart) / round : 0
      if (CFG.roundsBudgetMs && round >= 2 && Date.now() - roundsStart + perRound > CFG.roundsBudgetMs) {
        results.notes.push(`hop, on_join and on_subscribe: ${round} rounds of ${CFG.rounds}, the rest did not fit the time budget`)
        log(results.notes[results.notes.length - 1])
        break
      }
      log(`round ${round + 1}/${CFG.rounds}: hops, on_join, on_subscribe`)
      hop.A.push(await hops(cA, CFG.hops))
      hop.B.push(await hops(cB, CFG.hops))
      hop.paced.push(await hops(cA, CFG.pacedHops, 10))
      for (const [rate, count] of CFG.joinRates) {
        for (const [who, router, seen] of [['metad', A, seenA], ['native', B, seenB], ['forwarder', C, seenC], ['metad_tls', D, seenD]]) {
          const r = await onJoin(router, seen, rate, count)
          const acc = joinRes[`${who}@${rate}`]
          acc.rounds.push(r.lat)
          acc.joined += r.joined
          acc.failed += r.failed
          acc.lost += r.lost
          if (r.rate) acc.rates.push(r.rate)
        }
      }
      for (const [who, router, seen] of [['metad', A, subSeenA], ['forwarder', C, subSeenC]]) {
        const r = await onSubscribe(router, seen, CFG.subscribes)
        const acc = subRes[who]
        acc.rounds.push(r.lat)
        for (const k of ['subscribed', 'failed', 'lost', 'unexpected']) acc[k] += r[k]
      }
    }
    results.hop = { via_router_A: summarize(hop.A), via_router_B: summarize(hop.B), paced_100_per_s_router_A: summarize(hop.paced) }
    const hopUnit = results.hop.via_router_A.p50
    const pacedUnit = results.hop.paced_100_per_s_router_A.p50
    results.on_join = {}
    for (const [rate] of CFG.joinRates) {
      const m = joinRes[`metad@${rate}`]
      const n = joinRes[`native@${rate}`]
      const f = joinRes[`forwarder@${rate}`]
      const d = joinRes[`metad_tls@${rate}`]
      const sd = summarize(d.rounds)
      const sm = summarize(m.rounds)
      const sn = summarize(n.rounds)
      const sf = summarize(f.rounds)
      const rateOf = acc => acc.rates.length ? +(acc.rates.reduce((a, b) => a + b, 0) / acc.rates.length).toFixed(0) : null
      results.on_join[`${rate}_per_s`] = {
        wamp_metad: { ...sm, joined: m.joined, failed_joins: m.failed, lost: m.lost, achieved_joins_per_s: rateOf(m) },
        native: { ...sn, joined: n.joined, failed_joins: n.failed, lost: n.lost, achieved_joins_per_s: rateOf(n) },
        forwarder: { ...sf, joined: f.joined, failed_joins: f.failed, lost: f.lost, achieved_joins_per_s: rateOf(f) },
        // wamp-metad with its links over TLS (router D), beside the plain one (router A), the same rounds.
        wamp_metad_tls: { ...sd, joined: d.joined, failed_joins: d.failed, lost: d.lost, achieved_joins_per_s: rateOf(d) },
        tls_over_plain: { p50: sd.p50 / sm.p50, p99: sd.p99 / sm.p99 },
        extra_over_native_hops: {
          p50: (sm.p50 - sn.p50) / hopUnit,
          p99: (sm.p99 - sn.p99) / hopUnit
        },
        // The same extra in hops measured like the joins, one every 10 ms (every process wakes from idle).
        extra_over_native_paced_hops: {
          p50: (sm.p50 - sn.p50) / pacedUnit,
          p99: (sm.p99 - sn.p99) / pacedUnit
        },
        // The least any sidecar adds here (hook in, event out, nothing done in between), and wamp-metad beside it.
        forwarder_extra_over_native_hops: {
          p50: (sf.p50 - sn.p50) / hopUnit,
          p99: (sf.p99 - sn.p99) / hopUnit
        },
        wamp_metad_over_forwarder_us: { p50: sm.p50 - sf.p50, p99: sm.p99 - sf.p99 }
      }
      if (m.lost) checks.push(`on_join at ${rate}/s: ${m.lost} of ${m.joined} sessions got no on_join from wamp-metad`)
      if (f.lost) checks.push(`on_join at ${rate}/s: ${f.lost} of ${f.joined} sessions got no event from the forwarder`)
      if (d.lost) checks.push(`on_join at ${rate}/s: ${d.lost} of ${d.joined} sessions got no on_join from wamp-metad over TLS`)
      if (m.failed || n.failed || f.failed || d.failed) {
        checks.push(`on_join at ${rate}/s: ${m.failed + n.failed + f.failed + d.failed} joins failed`)
      }
    }

    {
      const m = subRes.metad
      const f = subRes.forwarder
      const sm = summarize(m.rounds)
      const sf = summarize(f.rounds)
      const counts = acc => ({ subscribed: acc.subscribed, failed_subscribes: acc.failed, lost: acc.lost, unexpected_events: acc.unexpected })
      results.on_subscribe = {
        subscribes_per_s: SUBSCRIBE_RATE,
        wamp_metad: { ...sm, ...counts(m) },
        forwarder: { ...sf, ...counts(f) },
        wamp_metad_over_forwarder_us: { p50: sm.p50 - sf.p50, p99: sm.p99 - sf.p99 },
        wamp_metad_over_forwarder_hops: { p50: (sm.p50 - sf.p50) / hopUnit, p99: (sm.p99 - sf.p99) / hopUnit },
        wamp_metad_over_forwarder_paced_hops: { p50: (sm.p50 - sf.p50) / pacedUnit, p99: (sm.p99 - sf.p99) / pacedUnit }
      }
      for (const [who, acc, what] of [['wamp-metad', m, 'on_subscribe'], ['the forwarder', f, 'event']]) {
        if (acc.lost) checks.push(`on_subscribe: ${acc.lost} of ${acc.subscribed} subscribes got no ${what} from ${who}`)
        if (acc.unexpected) checks.push(`on_subscribe: ${acc.unexpected} ${what}s from ${who} that no subscribe explains`)
        if (acc.failed) checks.push(`on_subscribe: ${acc.failed} subscribes or unsubscribes failed on ${who}'s router`)
      }
    }

    // ---------------------------------------------------------------- 3: calls
    // Router B's sessions fabricated below would each reach this subscriber as a native on_join.
    await sB.session.unsubscribe(onJoinB)
    log('calls at ~100 sessions')
    // ~100 sessions in realm1 of each router: fabricated ones on A, real connections on B (for the big lists
    // below, B fabricates sessions of fox-wamp's own realm, which its native API lists).
    const small = LIST_SIZES[0]
    await fabricate(small - baseA)
    await until(async () => (await cA.session.call('wamp.session.count')) === small, 10000, `count = ${small} on A`)
    const peersB = []
    for (let i = 0; i < CFG.nativePeers; i += 10) {
      peersB.push(...await Promise.all(Array.from({ length: Math.min(10, CFG.nativePeers - i) }, () => join(B.url))))
    }
    const nativeCount = await cB.session.call('wamp.session.count')
    const getId = sA.session.id
    const getIdB = sB.session.id
    // Side by side: each iteration calls every procedure once, in an order shuffled anew (a call that follows
    // one to another router pays for waking that router from idle: in a fixed order the same calls would pay
    // it every time).
    const shuffle = seeded(20261206)
    async function calls (ops, n, rounds) {
      const res = Object.fromEntries(ops.map(([name]) => [name, []]))
      const order = ops.slice()
      for (let r = 0; r < rounds; r++) {
        const cur = Object.fromEntries(ops.map(([name]) => [name, []]))
        for (let i = 0; i < n; i++) {
          for (const [name, fn, check] of shuffle(order)) {
            const t0 = now()
            const v = await fn()
            cur[name].push(us(t0, now()))
            if (check && i === 0 && r === 0 && !check(v)) checks.push(`call ${name}: unexpected result ${JSON.stringify(v).slice(0, 200)}`)
          }
        }
        for (const [name] of ops) res[name].push(cur[name])
      }
      return Object.fromEntries(ops.map(([name]) => [name, summarize(res[name])]))
    }
    const isList = n => v => Array.isArray(v) && v.length === n
    // The registration and subscription meta API: bench.echo's registration, the subscription made at the
    // start with two subscribers (sA, jA), and a URI that it, a prefix and a wildcard subscription reach.
    const echoReg = await cA.session.call('wamp.registration.lookup', ['bench.echo'])
    const smallCalls = await calls([
      ['echo', () => cA.session.call('bench.echo', [])],
      ['echo [id]', () => cA.session.call('bench.echo', [getId])],
      ['wamp-metad count', () => cA.session.call('wamp.session.count'), v => v === small],
      ['wamp-metad list', () => cA.session.call('wamp.session.list'), isList(small)],
      ['wamp-metad get', () => cA.session.call('wamp.session.get', [getId]), v => v && v.session === getId],
      [`echo ids(${small})`, () => cA.session.call('bench.ids', [small]), isList(small)],
      ['native count', () => cB.session.call('wamp.session.count')],
      ['native list', () => cB.session.call('wamp.session.list')],
      ['native get', () => cB.session.call('wamp.session.get', [getIdB])],
      ['wamp-metad subscription.match', () => cA.session.call('wamp.subscription.match', ['bench.sub.topic']), isList(3)],
      ['wamp-metad registration.get', () => cA.session.call('wamp.registration.get', [echoReg]),
        v => v && v.id === echoReg && v.uri === 'bench.echo'],
      ['wamp-metad subscription.list_subscribers', () => cA.session.call('wamp.subscription.list_subscribers', [subTopic.id]),
        v => isList(2)(v) && v.includes(sA.session.id) && v.includes(jA.session.id)]
    ], CFG.calls, CFG.rounds)
    for (const p of peersB) p.connection.close()

    // ---------------------------------------------------------------- 4: churn
    log('churn')
    const churn = { probe: [] }
    const churnCheckers = new Set() // the session ids of the checkers so far
    // On router A against its wamp-metad, or (over TLS) on router D against metadTls.
    async function churnRun (workers, ms, router = A, sidecar = metad) {
      const ev = new Map() // id -> list of 'j' / 'l'
      const unexpectedOrder = []
      const subs = []
      const earlierCheckers = new Set(churnCheckers)
      const w = await join(router.url)
      churnCheckers.add(w.session.id)
      subs.push(await w.session.subscribe('wamp.session.on_join', ([d]) => {
        const l = ev.get(d.session) || []
        if (l.includes('l')) unexpectedOrder.push(d.session)
        l.push('j')
        ev.set(d.session, l)
      }))
      subs.push(await w.session.subscribe('wamp.session.on_leave', ([id]) => {
        const l = ev.get(id) || []
        l.push('l')
        ev.set(id, l)
      }))
      const before = new Set(await w.session.call('wamp.session.list'))
      const cpu0 = procStat(sidecar.pid).cpuTicks
      const rcpu0 = procStat(router.pid).cpuTicks
      const t0 = now()
      // Two client processes: one alone cannot load the pair (it saturates its own core first).
      const parts = await Promise.all([0, 1].map(() =>
        joiner({ url: router.url, realm: 'realm1', mode: 'churn', workers: Math.ceil(workers / 2), durationMs: ms, maxMs: ms + 20000 })))
      const r = { joined: parts.flatMap(x => x.joined), left: parts.flatMap(x => x.left), failed: parts.flatMap(x => x.failed) }
      const tEnd = now()
      const leftSet = new Set(r.left)
      await until(() => r.joined.every(j => (ev.get(j.id) || []).length >= (leftSet.has(j.id) ? 2 : 1)), 10000,
        'every churn event').catch(() => {})
      await kit.sleep(200) // late duplicates would show up here
      const cpu1 = procStat(sidecar.pid).cpuTicks
      const rcpu1 = procStat(router.pid).cpuTicks
      const ids = new Set(r.joined.map(j => j.id))
      let lost = 0; let dup = 0; let misordered = unexpectedOrder.length; let unknown = 0; let events = 0
      for (const j of r.joined) {
        const l = ev.get(j.id) || []
        const want = leftSet.has(j.id) ? ['j', 'l'] : ['j']
        if (l.join() === want.join()) continue
        if (l.filter(x => x === 'j').length > 1 || l.filter(x => x === 'l').length > 1) dup++
        else if (l.length < want.length) lost++
        else misordered++
      }
      // Events of other sessions are expected only for sessions listed at the start, whose events may still
      // have been on their way (the checker's own on_join, the previous checker's on_leave), and for the
      // previous checker, which is not listed if it was gone before the list was taken, while its on_leave was
      // still on its way (it is closed just before the next one joins).
      const unknownSample = []
      for (const [id, l] of ev) {
        events += l.length
        if (ids.has(id) || (before.has(id) && ['j', 'l', 'j,l'].includes(l.join()))) continue
        if (earlierCheckers.has(id) && l.join() === 'l') continue
        unknown++
        if (unknownSample.length < 5) unknownSample.push([id, l.join(''), before.has(id)])
      }
      // The checker's view (list at start, plus joins, minus leaves) must equal wamp.session.list at the end.
      const view = new Set(before)
      for (const [id, l] of ev) for (const x of l) x === 'j' ? view.add(id) : view.delete(id)
      const list = new Set(await w.session.call('wamp.session.list'))
      const viewOk = view.size === list.size && [...view].every(id => list.has(id))
      w.connection.close()
      const secs = us(t0, tEnd) / 1e6
      const cpuMs = ((cpu1 - cpu0) * 1000) / CLK_TCK
      return {
        workers, seconds: +secs.toFixed(2), sessions: r.joined.length, failed_joins: r.failed.length,
        joins_leaves_per_s: +((r.joined.length + r.left.length) / secs).toFixed(0),
        meta_events: events, lost, duplicated: dup, misordered, unknown_sessions: unknown, unknown_sample: unknownSample, final_view_equals_list: viewOk,
        sidecar_cpu_ms: cpuMs, sidecar_cpu_ms_per_1000_events: events ? +((cpuMs * 1000) / events).toFixed(1) : null,
        sidecar_cpu_percent: +((cpuMs / 10) / secs).toFixed(1),
        router_cpu_percent: +((((rcpu1 - rcpu0) * 1000) / CLK_TCK / 10) / secs).toFixed(1)
      }
    }
    const clean = r => r.lost === 0 && r.duplicated === 0 && r.misordered === 0 && r.unknown_sessions === 0 &&
      r.final_view_equals_list && r.failed_joins === 0
    let best = CFG.churnWorkers
    let bestRate = -1
    for (const w of CFG.churnProbe) {
      const r = await churnRun(w, CFG.churnProbeMs)
      churn.probe.push(r)
      log(`churn probe: ${w} workers: ${JSON.stringify(r)}`)
      if (!clean(r)) checks.push(`churn probe with ${w} workers: ${JSON.stringify(r)}`)
      else if (r.joins_leaves_per_s > bestRate) { best = w; bestRate = r.joins_leaves_per_s }
    }
    churn.sustained = await churnRun(best, CFG.churnMs)
    if (!clean(churn.sustained)) checks.push(`churn: ${JSON.stringify(churn.sustained)}`)
    // The same load, shorter, on router D: wamp-metad's CPU per 1,000 events with its links over TLS.
    log('churn over TLS')
    churn.sustained_tls = await churnRun(best, CFG.churnTlsMs, D, metadTls)
    if (!clean(churn.sustained_tls)) checks.push(`churn over TLS: ${JSON.stringify(churn.sustained_tls)}`)
    results.churn = churn

    // ---------------------------------------------------------------- 3 (big lists) + 5: scale
    await unfabricate()
    await until(async () => (await cA.session.call('wamp.session.count')) === baseA, 20000, 'unfabricate')
    await kit.sleep(300)
    const bigCalls = {}
    const scale = []
    const metadLog = () => metad.stderr()
    async function grow (target) {
      // In chunks of at most 100,000 (the router writes each chunk's hooks at once), each one applied before
      // the next is asked for.
      for (;;) {
        const have = (await cA.session.call('wamp.session.count')) - baseA
        if (have >= target) return
        const n = Math.min(100000, target - have)
        await fabricate(n)
        await until(async () => (await cA.session.call('wamp.session.count')) === baseA + have + n, 120000,
          `wamp.session.count = ${baseA + have + n}`)
      }
    }
    // Router B: sessions that fox-wamp's own realm holds (socketless, as its internal API session is), so that its
    // native API lists as many.
    const internalB = await join(B.url, 'router.internal', { authid: 'metad', ticket: routerctl.SECRETS.metad })
    async function growB (target) {
      const have = await cB.session.call('wamp.session.count')
      if (have < target) await internalB.session.call('router.test.fabricate', ['realm1', target - have], { native: true })
    }
    for (const size of LIST_SIZES.slice(1)) {
      log(`calls at ${size} sessions`)
      await grow(size - baseA)
      await growB(size)
      Object.assign(bigCalls, await calls([
        [`wamp-metad list(${size})`, () => cA.session.call('wamp.session.list'), isList(size)],
        [`echo ids(${size})`, () => cA.session.call('bench.ids', [size]), isList(size)],
        [`wamp-metad list(${size}) json`, () => jA.session.call('wamp.session.list'), isList(size)],
        [`echo ids(${size}) json`, () => jA.session.call('bench.ids', [size]), isList(size)],
        [`native list(${size})`, () => cB.session.call('wamp.session.list'), isList(size)],
        ...(size === LIST_SIZES[LIST_SIZES.length - 1]
          ? [[`wamp-metad count(${size})`, () => cA.session.call('wamp.session.count'), v => v === size],
              [`wamp-metad get(${size})`, () => cA.session.call('wamp.session.get', [getId]), v => v && v.session === getId],
              [`native count(${size})`, () => cB.session.call('wamp.session.count'), v => v === size],
              [`native get(${size})`, () => cB.session.call('wamp.session.get', [getIdB]), v => v && v.session === getIdB]]
          : [])
      ], CFG.bigCalls, CFG.bigRounds))
    }
    await internalB.session.call('router.test.unfabricate', ['realm1'])
    // The largest list once more, from python3-autobahn over RawSocket (its msgpack decoder is C).
    const biggest = LIST_SIZES[LIST_SIZES.length - 1]
    const py = await pythonLists(A, biggest, CFG.bigCalls * CFG.bigRounds)
    bigCalls[`wamp-metad list(${biggest}) python`] = summarize([py.list])
    bigCalls[`echo ids(${biggest}) python`] = summarize([py.ids])
    results.calls = { ...smallCalls, ...bigCalls, native_sessions_counted: nativeCount }
    results.client_decode = clientDecode(LIST_SIZES[LIST_SIZES.length - 1])

    // A new wamp-metad (after the caller stopped the old one) takes the n sessions from the snapshot.
    async function coldStart (n, args, env) {
      const res = {}
      const tc = now()
      metad = await metadctl.start(A, { realms: ['realm1'], args, env, readyTimeoutMs: 180000 })
      metadLogs.push(metad.stderr)
      const tReady = now()
      const synced = /mirror synced: (\d+) sessions/.exec(metad.stderr())
      res.cold_start_to_ready_ms = +(us(tc, tReady) / 1000).toFixed(0)
      // Events flow once the realm has caught up with what its subscribers were told (or fell back).
      const caught = await logMark(metadLog, 0, CAUGHT_UP, 180000, 'the catch-up after a cold start')
      res.cold_start_to_caught_up_ms = +(us(tc, caught.t) / 1000).toFixed(0)
      res.cold_start_catch_up = caught.match[1] ? 'exact' : 'fallback'
      res.cold_start_to_synced_ms = syncedAfterStart(metad.stderr())
      res.cold_start_mirror_sessions = synced ? Number(synced[1]) : null
      await kit.sleep(300)
      const rc = procStatus(metad.pid).rss
      res.rss_after_cold_start_mib = +(rc / 2 ** 20).toFixed(1)
      res.rss_bytes_per_session_cold = Math.round((rc - metadFresh.rss) / n)
      const count = await cA.session.call('wamp.session.count')
      if (count !== baseA + n) checks.push(`cold start at ${n}: count ${count}, expected ${baseA + n}`)
      return res
    }
    // A lost hook (skip_seq, then one hook) makes wamp-metad take a new snapshot and diff it; n sessions before.
    async function resync (n) {
      const res = {}
      const peakOk = resetPeak(metad.pid)
      const rr0 = procStatus(metad.pid).rss
      const from = metad.stderr().length
      await internal.session.call('router.test.skip_seq', [1])
      const tr = now()
      await fabricate(1)
      const m1 = await logMark(metadLog, from, /resync: /, 30000, 'resync: in the log')
      const m2 = await logMark(metadLog, from, /resync: [^]*mirror synced/, 180000, 'mirror synced after the resync')
      const m3 = await logMark(metadLog, from, CAUGHT_UP, 180000, 'the catch-up after the resync')
      res.resync_to_caught_up_ms = +(us(tr, m3.t) / 1000).toFixed(0)
      res.resync_catch_up = m3.match[1] ? 'exact' : 'fallback'
      const st = procStatus(metad.pid)
      res.resync_ms = +(us(tr, m2.t) / 1000).toFixed(0)
      res.resync_detected_ms = +(us(tr, m1.t) / 1000).toFixed(0)
      res.resync_peak_extra_mib = peakOk ? +((st.hwm - rr0) / 2 ** 20).toFixed(1) : null
      res.rss_after_resync_mib = +(st.rss / 2 ** 20).toFixed(1)
      await until(async () => (await cA.session.call('wamp.session.count')) === baseA + n + 1, 20000, 'count after resync')
      return res
    }

    async function scaleAt (n) {
      log(`scale: ${n} fabricated sessions`)
      await unfabricate()
      await until(async () => (await cA.session.call('wamp.session.count')) === baseA, 120000, 'unfabricate')
      await kit.sleep(300)
      const r0 = procStatus(metad.pid).rss
      const t0 = now()
      await grow(n)
      const growSecs = us(t0, now()) / 1e6
      await kit.sleep(300)
      const r1 = procStatus(metad.pid).rss
      const res = { sessions: n, hooks_applied_s: +growSecs.toFixed(2), rss_before_mib: +(r0 / 2 ** 20).toFixed(1),
        // What the heap kept from the big lists before is reused here: RSS barely moves, so the figure per
        // session comes from the cold start below.
        rss_after_mib: +(r1 / 2 ** 20).toFixed(1) }
      // Cold, as the binary runs by default, then as the systemd unit runs it (its GLIBC_TUNABLES).
      await metad.stop()
      res.unit_environment = await coldStart(n, [], UNIT_ENV)
      await metad.stop()
      Object.assign(res, await coldStart(n, []), await resync(n))
      return res
    }
    for (const n of CFG.scale) scale.push(await scaleAt(n))
    // A million: made while wamp-metad is down (the router alone fabricates them), so that what is measured is
    // wamp-metad's cold start over them and a resync, not a million on_join events through the JavaScript
    // router. Started with --start-quietly for the same reason: a fresh instance would otherwise announce
    // every session it finds.
    async function scaleCold (n) {
      log(`scale: ${n} fabricated sessions, cold start`)
      const res = { sessions: n, cold_only: true }
      await metad.stop()
      await unfabricate()
      const tf = now()
      for (let have = 0; have < n; have += 100000) await fabricate(Math.min(100000, n - have))
      res.router_fabricate_s = +(us(tf, now()) / 1e6).toFixed(2)
      Object.assign(res, await coldStart(n, ['--start-quietly'], UNIT_ENV), await resync(n))
      await metad.stop()
      await unfabricate()
      metad = await metadctl.start(A, { realms: ['realm1'] })
      metadLogs.push(metad.stderr)
      return res
    }
    if (CFG.oneMillion) {
      // Ten times the cold start and resync at 100,000, plus the router making and removing a million.
      const elapsed = (Date.now() - T_START) / 1000
      const s0 = scale[0]
      const projected = (10 * (s0.cold_start_to_ready_ms + s0.resync_ms)) / 1000 + 40
      const avail = memAvailable()
      if (elapsed + projected < (CFG.watchdogMs - CFG.capacityMs) / 1000 - 30 && avail > 8 * 2 ** 30) {
        scale.push(await scaleCold(1000000))
      } else {
        results.notes.push(`1,000,000 sessions not run: projected ${projected.toFixed(0)} s after ` +
          `${elapsed.toFixed(0)} s does not fit in the 5-minute run` +
          `${avail > 8 * 2 ** 30 ? '' : `; ${(avail / 2 ** 30).toFixed(1)} GiB available (need 8)`}`)
      }
    }
    results.scale = scale
    await unfabricate()

    // ---------------------------------------------------------------- 6: callgrind
    results.callgrind = await callgrind(log)

    // ---------------------------------------------------------------- 8: capacity (stand-in router)
    // bench/run --capacity runs it alone, side by side with $WAMP_METAD_BASE_BIN and over several rounds.
    {
      const elapsed = (Date.now() - T_START) / 1000
      const need = (CFG.capacityMs / 1000) * (process.env.WAMP_METAD_BASE_BIN ? 2 : 1) / 2
      if (elapsed + need < CFG.watchdogMs / 1000 - 10 && (QUICK || memAvailable() > 4 * 2 ** 30)) {
        results.capacity = await capacity.run({ quick: QUICK, short: true, rounds: 1, log })
      } else {
        results.capacity = { skipped: `projected ${need} s after ${elapsed.toFixed(0)} s does not fit (or < 4 GiB free): ` +
          'bench/run --capacity runs it alone' }
        results.notes.push(`8. capacity not run: ${results.capacity.skipped}`)
      }
    }

    // ---------------------------------------------------------------- report
    const warnings = metadLogs.map(f => f()).join('').split('\n').filter(l => / (warning|error|critical) /.test(l))
    results.wamp_metad_log_warnings = { count: warnings.length, first: warnings.slice(0, 10) }
    results.seconds = +((Date.now() - T_START) / 1000).toFixed(1)
    results.checks_failed = checks
    results.tls_beside_plain = tlsBesidePlain(results)
    report(results)
    const dir = path.join(ROOT, 'bench', 'results')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(results, null, 2) + '\n')
    process.stdout.write(`\nwrote ${path.relative(process.cwd(), path.join(dir, 'latest.json'))} (${results.seconds} s)\n`)
  } finally {
    try {
      const dir = path.join(ROOT, 'bench', 'results')
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, 'latest-wamp-metad.log'), metadLogs.map(f => f()).join('--- restart ---\n'))
    } catch (e) { /* best effort */ }
    for (const stop of stoppers.reverse()) {
      try { await stop() } catch (e) { /* already gone */ }
    }
  }
  if (checks.length) throw new Failure(`outcome checks failed:\n  ${checks.join('\n  ')}`)
}

// What the client library itself spends on a big result: Autobahn|JS decodes msgpack with msgpack5 and JSON
// with JSON.parse. Timed here on a RESULT message of n ids (as wamp-metad sends them: unsigned 64-bit integers
// in msgpack), in this process, so the list rows can be read against it.
function clientDecode (n) {
  const msgpack5 = require(require.resolve('msgpack5', { paths: [path.join(ROOT, 'tests', 'js', 'node_modules', 'autobahn')] }))()
  const ids = Array.from({ length: n }, (_, i) => 2 ** 52 + i * 7919)
  const message = [50, 1, {}, [ids]]
  const packed = msgpack5.encode(message).slice()
  const text = JSON.stringify(message)
  const time = (fn, reps) => {
    const t = []
    for (let i = 0; i < reps; i++) {
      const t0 = now()
      fn()
      t.push(us(t0, now()))
    }
    return summarize([t]).p50
  }
  const reps = QUICK ? 3 : 11
  return {
    ids: n,
    msgpack_bytes: packed.length,
    msgpack5_decode: time(() => msgpack5.decode(packed), reps),
    json_bytes: text.length,
    json_parse: time(() => JSON.parse(text), reps)
  }
}

async function callgrind (log) {
  const [hooks, population] = CFG.callgrind
  const bin = process.env.WAMP_METAD_APPLY_COUNT_BIN ||
    path.join(path.dirname(metadctl.BIN), '..', '..', 'bench', 'bench_apply_count')
  if (!fs.existsSync(bin)) {
    return { skipped: `no ${bin}: cmake --build build/test --target bench_apply_count (or set WAMP_METAD_APPLY_COUNT_BIN)` }
  }
  const which = require('child_process').spawnSync('sh', ['-c', 'command -v valgrind'], { encoding: 'utf8' })
  if (which.status !== 0) return { skipped: 'valgrind is not installed' }
  log(`callgrind: ${hooks} hooks over ${population} sessions`)
  const out = path.join(os.tmpdir(), `bench-callgrind-${process.pid}.out`)
  let stdout = ''
  const c = routerctl.spawnTracked('valgrind', ['--tool=callgrind', '--toggle-collect=wamp_metad_apply_hooks',
    `--callgrind-out-file=${out}`, bin, String(hooks), String(population)])
  c.stdout.on('data', d => { stdout += d })
  let stderr = ''
  c.stderr.on('data', d => { stderr += d })
  const code = await new Promise(resolve => {
    const timer = setTimeout(() => { try { process.kill(c.pid, 'SIGKILL') } catch (e) {} }, 120000)
    c.on('exit', code => { clearTimeout(timer); resolve(code) })
  })
  if (code !== 0) throw new Failure(`callgrind run failed (${code}): ${stdout}${stderr.slice(-2000)}`)
  const text = fs.readFileSync(out, 'utf8')
  fs.rmSync(out, { force: true })
  const m = /^summary:\s+(\d+)/m.exec(text) || /^totals:\s+(\d+)/m.exec(text)
  if (!m) throw new Failure('no instruction total in callgrind output')
  return { hooks, population, instructions: Number(m[1]), instructions_per_hook: Math.round(Number(m[1]) / hooks),
    driver: stdout.trim() }
}

// wamp-metad with its links over TLS (router D) beside plain (router A), from the same run: medians, p99s and
// their ratios (TLS / plain).
function tlsBesidePlain (r) {
  const pair = (plain, tls) => ({
    plain_p50: plain.p50, tls_p50: tls.p50, ratio_p50: tls.p50 / plain.p50,
    plain_p99: plain.p99, tls_p99: tls.p99, ratio_p99: tls.p99 / plain.p99
  })
  // Calls over TLS are measured by calls.js (which bench/run runs next), beside an echo callee over TLS too,
  // each router as often after another as the rest: here router D would take 3 of the phase's calls, nearly
  // all of them right after a call to another router, which pays for waking that one from idle.
  const out = { link: 'rss:// (RawSocket over TLS 1.3), clients on plain WebSocket', on_join: {}, calls: 'see bench/results/calls.json' }
  for (const [k, v] of Object.entries(r.on_join)) out.on_join[k] = pair(v.wamp_metad, v.wamp_metad_tls)
  const [p, t] = [r.churn.sustained, r.churn.sustained_tls]
  out.churn_cpu_ms_per_1000_events = { plain: p.sidecar_cpu_ms_per_1000_events, tls: t.sidecar_cpu_ms_per_1000_events,
    ratio: t.sidecar_cpu_ms_per_1000_events / p.sidecar_cpu_ms_per_1000_events,
    plain_joins_leaves_per_s: p.joins_leaves_per_s, tls_joins_leaves_per_s: t.joins_leaves_per_s }
  return out
}

function report (r) {
  const w = s => process.stdout.write(s + '\n')
  const row = (cells, widths) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ')
  const W = [44, 10, 10, 8, 30]
  w(`\nwamp-metad end to end (${r.mode}): ${r.machine.nproc} cores, ${r.machine.cpu}, node ${r.machine.node}`)
  w(`hop unit = median publish -> event through router A = ${fmtUs(r.hop.via_router_A.p50)}\n`)
  w(row(['measure', 'p50', 'p99', 'n', 'notes'], W))
  w(row(['1. hop, router A (wamp-metad\'s)', fmtUs(r.hop.via_router_A.p50), fmtUs(r.hop.via_router_A.p99), r.hop.via_router_A.n, ''], W))
  w(row(['1. hop, router B (native meta)', fmtUs(r.hop.via_router_B.p50), fmtUs(r.hop.via_router_B.p99), r.hop.via_router_B.n, ''], W))
  const paced = r.hop.paced_100_per_s_router_A
  w(row(['1. hop, router A, one every 10 ms', fmtUs(paced.p50), fmtUs(paced.p99), paced.n, 'each process wakes from idle'], W))
  for (const [k, v] of Object.entries(r.on_join)) {
    const x = v.extra_over_native_hops
    w(row([`2. on_join @${k.replace('_per_s', '/s')} wamp-metad`, fmtUs(v.wamp_metad.p50), fmtUs(v.wamp_metad.p99), v.wamp_metad.n,
      `${v.wamp_metad.achieved_joins_per_s}/s achieved, lost ${v.wamp_metad.lost}`], W))
    w(row([`2. on_join @${k.replace('_per_s', '/s')} native`, fmtUs(v.native.p50), fmtUs(v.native.p99), v.native.n,
      `${v.native.achieved_joins_per_s}/s achieved, lost ${v.native.lost}`], W))
    w(row([`   extra over native, hops`, fmtX(x.p50), fmtX(x.p99), '', 'target <= 2.5 p50, <= 4 p99'], W))
    const xp = v.extra_over_native_paced_hops
    w(row([`   the same in hops one every 10 ms`, fmtX(xp.p50), fmtX(xp.p99), '', ''], W))
    const xf = v.forwarder_extra_over_native_hops
    w(row([`2. on_join @${k.replace('_per_s', '/s')} forwarder`, fmtUs(v.forwarder.p50), fmtUs(v.forwarder.p99), v.forwarder.n,
      `${v.forwarder.achieved_joins_per_s}/s achieved, lost ${v.forwarder.lost}`], W))
    w(row([`   forwarder extra over native, hops`, fmtX(xf.p50), fmtX(xf.p99), '',
      `wamp-metad - forwarder: ${fmtUs(v.wamp_metad_over_forwarder_us.p50)} p50`], W))
  }
  const sub = r.on_subscribe
  for (const [who, v] of [['wamp-metad', sub.wamp_metad], ['forwarder', sub.forwarder]]) {
    w(row([`2. on_subscribe @${sub.subscribes_per_s}/s ${who}`, fmtUs(v.p50), fmtUs(v.p99), v.n,
      `${v.subscribed} subscribes, lost ${v.lost}`], W))
  }
  w(row(['   wamp-metad - forwarder, hops', fmtX(sub.wamp_metad_over_forwarder_hops.p50), fmtX(sub.wamp_metad_over_forwarder_hops.p99), '',
    `target <= 0.5 p50; ${fmtUs(sub.wamp_metad_over_forwarder_us.p50)} p50; paced hops ${fmtX(sub.wamp_metad_over_forwarder_paced_hops.p50)}`], W))
  const echo = r.calls.echo.p50
  for (const [k, v] of Object.entries(r.calls)) {
    if (typeof v !== 'object') continue
    const ref = k.startsWith('wamp-metad') && !k.includes('(') ? ` = ${fmtX(v.p50 / echo)}x echo` : ''
    const m = /^wamp-metad list\((\d+)\)( json| python)?$/.exec(k)
    const peer = m && `echo ids(${m[1]})${m[2] || ''}`
    const big = m && r.calls[peer] ? ` = ${fmtX(v.p50 / r.calls[peer].p50)}x ${peer}` : ''
    const native = m && !m[2] && r.calls[`native list(${m[1]})`]
    const vsNative = native ? `, ${fmtX(v.p50 / native.p50)}x native` : ''
    w(row([`3. ${k}`, fmtUs(v.p50), fmtUs(v.p99), v.n, ref + big + vsNative], W))
  }
  const d = r.client_decode
  w(row([`   client library alone: decode ${d.ids} ids`, fmtUs(d.msgpack5_decode), '', '',
    `msgpack5 (Autobahn|JS), ${d.msgpack_bytes} B; JSON.parse ${fmtUs(d.json_parse)}`], W))
  const c = r.churn.sustained
  w(row([`4. churn ${c.seconds} s, ${c.workers} workers`, '', '', c.sessions,
    `${c.joins_leaves_per_s} joins+leaves/s, lost ${c.lost}, dup ${c.duplicated}, misordered ${c.misordered}, view=list ${c.final_view_equals_list}`], W))
  w(row(['   sidecar CPU per 1,000 meta events', `${c.sidecar_cpu_ms_per_1000_events} ms`, '', c.meta_events,
    `sidecar ${c.sidecar_cpu_percent}% CPU, router ${c.router_cpu_percent}%`], W))
  const ct = r.churn.sustained_tls
  w(row([`4. churn over TLS ${ct.seconds} s, ${ct.workers} workers`, '', '', ct.sessions,
    `${ct.joins_leaves_per_s} joins+leaves/s, lost ${ct.lost}, dup ${ct.duplicated}, misordered ${ct.misordered}, view=list ${ct.final_view_equals_list}`], W))
  w(row(['   sidecar CPU per 1,000 meta events, TLS', `${ct.sidecar_cpu_ms_per_1000_events} ms`, '', ct.meta_events,
    `sidecar ${ct.sidecar_cpu_percent}% CPU, router ${ct.router_cpu_percent}%`], W))
  for (const s of r.scale) {
    if (s.cold_only) {
      w(row([`5. ${s.sessions} sessions: RSS per session`, '', `${s.rss_bytes_per_session_cold} B`, '',
        `after a cold start (--start-quietly); router made them in ${s.router_fabricate_s} s`], W))
    } else {
      w(row([`5. ${s.sessions} sessions: RSS per session`, '', `${s.rss_bytes_per_session_cold} B`, '',
        `after a cold start; grown by hooks in ${s.hooks_applied_s} s`], W))
    }
    const how = s.cold_only ? ' (unit environment)' : ''
    w(row([`   cold start to synced / ready${how}`, `${s.cold_start_to_synced_ms} ms`, `${s.cold_start_to_ready_ms} ms`, '', `RSS ${s.rss_after_cold_start_mib} MiB`], W))
    const u = s.unit_environment
    if (u) w(row(['   the same, unit environment', `${u.cold_start_to_synced_ms} ms`, `${u.cold_start_to_ready_ms} ms`, '', `RSS ${u.rss_after_cold_start_mib} MiB; ${Object.entries(UNIT_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}`], W))
    w(row([`   resync`, `${s.resync_ms} ms`, '', '', `peak +${s.resync_peak_extra_mib} MiB`], W))
    w(row([`   events flow again: cold start / resync`, `${s.cold_start_to_caught_up_ms} ms`, `${s.resync_to_caught_up_ms} ms`, '',
      `catch-up ${s.cold_start_catch_up} / ${s.resync_catch_up}`], W))
  }
  for (const n of r.notes) w(`   note: ${n}`)
  if (r.wamp_metad_log_warnings.count) w(`   wamp-metad logged ${r.wamp_metad_log_warnings.count} warning(s)/error(s): see bench/results/latest.json`)
  const g = r.callgrind
  if (g.skipped) w(`6. callgrind: skipped (${g.skipped})`)
  else w(row([`6. callgrind: instructions per applied hook`, g.instructions_per_hook, '', g.hooks, `${g.population} sessions live`], W))
  if (r.capacity && !r.capacity.skipped) capacity.report(r.capacity, w)
  const x = r.tls_beside_plain
  w(`\n7. TLS beside plain: wamp-metad's links over ${x.link}`)
  w(row(['measure', 'plain p50', 'TLS p50', 'ratio', 'p99 plain / TLS / ratio'], W))
  const tlsRow = (name, v) => w(row([name, fmtUs(v.plain_p50), fmtUs(v.tls_p50), fmtX(v.ratio_p50),
    `${fmtUs(v.plain_p99)} / ${fmtUs(v.tls_p99)} / ${fmtX(v.ratio_p99)}`], W))
  for (const [k, v] of Object.entries(x.on_join)) tlsRow(`   on_join @${k.replace('_per_s', '/s')}`, v)
  w('   calls: bench/e2e/calls.js, next')
  const cc = x.churn_cpu_ms_per_1000_events
  w(row(['   CPU per 1,000 meta events (churn)', `${cc.plain} ms`, `${cc.tls} ms`, fmtX(cc.ratio),
    `${cc.plain_joins_leaves_per_s} / ${cc.tls_joins_leaves_per_s} joins+leaves/s`], W))
  if (r.checks_failed.length) w(`\nOUTCOME CHECKS FAILED:\n  ${r.checks_failed.join('\n  ')}`)
}

main().then(() => process.exit(0), e => {
  const what = e instanceof Error ? e.stack : e && e.error ? `WAMP error ${e.error} ${JSON.stringify(e.args)}` : JSON.stringify(e)
  process.stderr.write(`bench/run: FAIL: ${what}\n`)
  process.exit(1)
})
