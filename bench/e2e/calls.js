'use strict'
// Meta calls against an echo call, plain and over TLS, side by side with another binary. For each binary
// (the one measured, and --base BIN when given): a router with wamp-metad over RawSocket and the echo callee
// (bench_peer echo) beside it, and a router with wamp-metad over RawSocket over TLS (rss://), each realm with
// 100 sessions and the subscriptions that wamp.subscription.match and list_subscribers answer about, and the
// echo callee (bench_peer echo, Autobahn|Cpp) on each, linked as wamp-metad is (plain, or over TLS): what TLS
// adds to its calls is what it costs any client of the library, to set beside what it adds to wamp-metad's. The caller is
// Autobahn|JS (WebSocket, msgpack) on each router. Every iteration calls every procedure once on every
// router, in an order shuffled anew each time: a call that follows a call to another router pays for waking
// that router and its peers from idle, and a fixed order would put that cost on the same calls every time.
// Prints p50 and p99 per call, each call against the echo on the same router, and what TLS adds (TLS minus
// plain, per call, at p50).
// Exits 1 when an answer is wrong; it never asserts on timings.
//
//   node bench/e2e/calls.js [--quick] [--base BIN] [--iterations N] [--json FILE]
//   env: WAMP_METAD_BIN (the binary measured), WAMP_METAD_PEER_BIN (the echo callee; default: beside it)

const fs = require('fs')
const path = require('path')
const readline = require('readline')
const routerctl = require('../../tests/lib/routerctl')
const metadctl = require('../../tests/lib/metadctl')
const kit = require('../../tests/lib/jskit')
const certs = require('../../tests/lib/certs')
const { seeded } = require('./shuffle')

const QUICK = process.argv.includes('--quick')
function option (name, fallback) {
  const at = process.argv.indexOf(name)
  if (at < 0) return fallback
  if (at + 1 >= process.argv.length) throw new kit.Failure(`${name} needs a value`)
  return process.argv[at + 1]
}
const BASE = option('--base', null)
const ITERATIONS = Number(option('--iterations', QUICK ? 20 : 1000))
const JSON_OUT = option('--json', null)
if (!Number.isInteger(ITERATIONS) || ITERATIONS < 1 || ITERATIONS > 100000) {
  console.error('calls.js: --iterations needs a whole number from 1 to 100000')
  process.exit(2)
}
const SESSIONS = 100
const PEER_BIN = process.env.WAMP_METAD_PEER_BIN || path.join(path.dirname(metadctl.BIN), '..', '..', 'bench', 'bench_peer')

const now = () => process.hrtime.bigint()
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

// The echo callee on `router`'s RawSocket listener, as wamp-metad's links (plain, or over TLS); resolves once
// it has registered.
// Over TLS (rss://) when `ca` is given.
function startEcho (router, stoppers, ca) {
  if (!fs.existsSync(PEER_BIN)) throw new kit.Failure(`no echo callee at ${PEER_BIN} (cmake --build build/test --target bench_peer)`)
  const at = ca ? router.rawsocketTls : router.rawsocket
  const child = routerctl.spawnTracked(PEER_BIN, ['echo', at.host, String(at.port), 'realm1', ...(ca ? [ca] : [])])
  stoppers.push(() => { try { process.kill(child.pid, 'SIGTERM') } catch (e) {} })
  let err = ''
  child.stderr.on('data', d => { err += d })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new kit.Failure(`bench_peer echo did not start: ${err}`)), 15000)
    readline.createInterface({ input: child.stdout }).on('line', line => {
      if (line.startsWith('ready')) { clearTimeout(timer); resolve() }
    })
    child.on('exit', code => { clearTimeout(timer); reject(new kit.Failure(`bench_peer echo exited with ${code}: ${err}`)) })
  })
}

// One router with one wamp-metad (`bin`), plain or over TLS; its realm1 holds SESSIONS sessions and the
// subscriptions asked about.
async function side (bin, tls, files, stoppers) {
  const router = await routerctl.start(tls
    ? { realms: ['realm1'], rawsocket: false, rawsocketTls: true, args: ['--test-switches'], tls: { cert: files.server, key: files.serverKey } }
    : { realms: ['realm1'], args: ['--test-switches'] })
  stoppers.push(() => router.stop())
  const m = await metadctl.start(router, tls
    ? { realms: ['realm1'], bin, url: `rss://127.0.0.1:${router.rawsocketTls.port}`, args: ['--tls-ca', files.ca] }
    : { realms: ['realm1'], bin })
  stoppers.push(() => m.stop())
  await startEcho(router, stoppers, tls ? files.ca : null)
  const join = (o = {}) => kit.join({ url: router.url, realm: 'realm1', serializer: 'msgpack', ...o })
  const caller = await join()
  const other = await join()
  stoppers.push(() => { caller.connection.close(); other.connection.close() })
  await caller.session.subscribe('bench.sub.topic', () => {})
  const topic = await other.session.subscribe('bench.sub.topic', () => {})
  await caller.session.subscribe('bench.sub.', () => {}, { match: 'prefix' })
  await other.session.subscribe('bench..topic', () => {}, { match: 'wildcard' })
  const internal = await kit.join({ url: router.url, realm: 'router.internal', serializer: 'msgpack', authid: 'metad', ticket: routerctl.SECRETS.metad })
  stoppers.push(() => internal.connection.close())
  const have = await caller.session.call('wamp.session.count')
  await internal.session.call('router.test.fabricate', ['realm1', SESSIONS - have])
  const deadline = Date.now() + 10000
  while (await caller.session.call('wamp.session.count') !== SESSIONS) {
    if (Date.now() > deadline) throw new kit.Failure(`realm1 did not reach ${SESSIONS} sessions`)
    await kit.sleep(20)
  }
  const reg = await caller.session.call('wamp.registration.lookup', ['bench.echo'])
  const s = caller.session
  const id = other.session.id
  // The echo callee keeps get's and registration.get's answers, to give them back as they are: the cost of
  // moving such an answer through this router and client, without wamp-metad.
  await s.call('bench.keep', ['get', await s.call('wamp.session.get', [id])])
  await s.call('bench.keep', ['registration.get', await s.call('wamp.registration.get', [reg])])
  const isList = n => v => Array.isArray(v) && v.length === n
  const ops = [
    ['echo', () => s.call('bench.echo', [])],
    ['echo ids(100)', () => s.call('bench.ids', [SESSIONS]), isList(SESSIONS)],
    ["echo get's answer", () => s.call('bench.give', ['get']), v => v && v.session === id],
    ["echo registration.get's answer", () => s.call('bench.give', ['registration.get']), v => v && v.id === reg],
    ['count', () => s.call('wamp.session.count'), v => v === SESSIONS],
    ['list', () => s.call('wamp.session.list'), isList(SESSIONS)],
    ['get', () => s.call('wamp.session.get', [id]), v => v && v.session === id],
    ['subscription.match', () => s.call('wamp.subscription.match', ['bench.sub.topic']), isList(3)],
    ['subscription.list_subscribers', () => s.call('wamp.subscription.list_subscribers', [topic.id]),
      v => isList(2)(v) && v.includes(id)],
    ['subscription.lookup', () => s.call('wamp.subscription.lookup', ['bench.sub.topic']), v => v === topic.id],
    ['registration.get', () => s.call('wamp.registration.get', [reg]), v => v && v.id === reg && v.uri === 'bench.echo']
  ]
  return { ops, times: Object.fromEntries(ops.map(([name]) => [name, []])) }
}

kit.main('bench: calls against an echo, plain and over TLS', 900000, async () => {
  const stoppers = []
  const files = certs.make()
  stoppers.push(() => files.remove())
  try {
    const bins = [['new', metadctl.BIN]]
    if (BASE) bins.push(['base', BASE])
    const sides = []
    for (const [name, bin] of bins) {
      for (const tls of [false, true]) sides.push({ name: `${name} ${tls ? 'tls' : 'plain'}`, ...await side(bin, tls, files, stoppers) })
    }
    // Warm up, and check every answer once.
    for (const sd of sides) {
      for (const [name, fn, check] of sd.ops) {
        for (let i = 0; i < 20; i++) await fn()
        const v = await fn()
        if (check && !check(v)) throw new kit.Failure(`${sd.name} ${name}: unexpected answer ${JSON.stringify(v).slice(0, 200)}`)
      }
    }
    const all = sides.flatMap(sd => sd.ops.map(([name, fn]) => ({ times: sd.times[name], fn })))
    const shuffle = seeded(20261206)
    for (let i = 0; i < ITERATIONS; i++) {
      for (const { times, fn } of shuffle(all)) {
        const t0 = now()
        await fn()
        times.push(Number(now() - t0) / 1000)
      }
    }
    const out = { iterations: ITERATIONS, sessions: SESSIONS, sides: {} }
    for (const sd of sides) {
      const rows = {}
      for (const [name] of sd.ops) rows[name] = { p50: quantile(sd.times[name], 0.5), p99: quantile(sd.times[name], 0.99) }
      out.sides[sd.name] = rows
    }
    // Each call beside the echo of the same answer where the answer is not small (the router and the client
    // pay for its size, whoever answers).
    const LIKE = { list: 'echo ids(100)', get: "echo get's answer", 'registration.get': "echo registration.get's answer" }
    const pad = (v, n) => String(v).padEnd(n)
    const f = v => v.toFixed(0)
    const x = v => (isFinite(v) ? `${v.toFixed(2)}x` : '-')
    for (const [bin] of bins) {
      const plain = out.sides[`${bin} plain`]
      const tls = out.sides[`${bin} tls`]
      out[bin] = {}
      for (const name of Object.keys(plain)) {
        const p = plain[name]
        const t = tls[name]
        const like = plain[LIKE[name] || 'echo']
        out[bin][name] = {
          vs_echo: { p50: p.p50 / plain.echo.p50, p99: p.p99 / plain.echo.p99 },
          vs_same_answer: LIKE[name] ? { p50: p.p50 / like.p50, p99: p.p99 / like.p99 } : undefined,
          tls_added_p50: t.p50 - p.p50,
          tls_added_p99: t.p99 - p.p99
        }
      }
    }
    console.log(`calls, ${ITERATIONS} iterations, every call of every router once per iteration in a shuffled order, ` +
      `${SESSIONS} sessions per realm; µs; "/echo": against the empty echo, "/same": against the echo of as large an answer`)
    for (const [bin] of bins) {
      const plain = out.sides[`${bin} plain`]
      const tls = out.sides[`${bin} tls`]
      console.log(`${bin}:`)
      console.log(`  ${pad('call', 31)} ${pad('p50', 5)} ${pad('p99', 5)} ${pad('/echo p50', 9)} ${pad('/echo p99', 9)} ` +
        `${pad('/same p50', 9)} ${pad('/same p99', 9)} ${pad('tls p50', 7)} ${pad('tls p99', 7)} tls added p50`)
      for (const name of Object.keys(plain)) {
        const p = plain[name]
        const t = tls[name]
        const r = out[bin][name]
        console.log(`  ${pad(name, 31)} ${pad(f(p.p50), 5)} ${pad(f(p.p99), 5)} ${pad(x(r.vs_echo.p50), 9)} ${pad(x(r.vs_echo.p99), 9)} ` +
          `${pad(r.vs_same_answer ? x(r.vs_same_answer.p50) : '', 9)} ${pad(r.vs_same_answer ? x(r.vs_same_answer.p99) : '', 9)} ` +
          `${pad(f(t.p50), 7)} ${pad(f(t.p99), 7)} ${f(r.tls_added_p50)}`)
      }
    }
    if (BASE) {
      out.new_over_base = {}
      console.log('new / base at p50 (plain, tls):')
      for (const name of Object.keys(out.sides['new plain'])) {
        const r = out.sides['new plain'][name].p50 / out.sides['base plain'][name].p50
        const t = out.sides['new tls'][name].p50 / out.sides['base tls'][name].p50
        out.new_over_base[name] = { plain: r, tls: t }
        console.log(`  ${pad(name, 31)} ${x(r)}  ${x(t)}`)
      }
    }
    if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(out, null, 2) + '\n')
  } finally {
    for (const stop of stoppers.reverse()) await Promise.resolve().then(stop).catch(() => {})
  }
})
