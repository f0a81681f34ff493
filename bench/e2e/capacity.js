'use strict'
// Phase 8 of bench/run, and `bench/run --capacity` on its own: wamp-metad's capacity apart from any real
// router, driven by the stand-in router (bench/storm/standin.cpp, bench_standin): rising hook rates, then a
// reconnect storm. With a second binary ($WAMP_METAD_BASE_BIN, e.g. the previous release) both run in turn,
// the same phases, and the table puts their medians side by side.
//
//   node bench/e2e/capacity.js [--quick] [--rounds N]
//       env: WAMP_METAD_BIN, WAMP_METAD_STANDIN_BIN, WAMP_METAD_BASE_BIN (optional)

const fs = require('fs')
const path = require('path')
const readline = require('readline')
const routerctl = require('../../tests/lib/routerctl')
const metadctl = require('../../tests/lib/metadctl')

const STANDIN_BIN = process.env.WAMP_METAD_STANDIN_BIN ||
  path.join(path.dirname(metadctl.BIN), '..', '..', 'bench', 'bench_standin')

// The phases: hook rates (0: as fast as wamp-metad takes them, 20,000 hooks at most without their event),
// seconds each, the churn's pool of live sessions, and the storm.
const PLAN = {
  quick: ['--quick'],
  full: ['--rates', '25000,50000,100000,0', '--seconds', '4', '--pool', '10000', '--storm', '1000000',
    '--storm-seconds', '20'],
  // Phase 8 of the whole bench/run: about 40 s.
  short: ['--rates', '50000,100000,0', '--seconds', '3', '--pool', '10000', '--storm', '1000000',
    '--storm-seconds', '20']
}

const median = xs => {
  const s = xs.slice().sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null
}

// One run of the stand-in with wamp-metad `bin`: its phases, as it reported them.
function standin (bin, args, maxMs) {
  return new Promise((resolve, reject) => {
    const child = routerctl.spawnTracked(STANDIN_BIN, ['--metad', bin, ...args])
    const phases = []
    let stderr = ''
    child.stderr.on('data', d => { stderr += d })
    const rl = readline.createInterface({ input: child.stdout })
    rl.on('line', line => {
      if (line.startsWith('standin-result ')) phases.push(JSON.parse(line.slice('standin-result '.length)))
    })
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL') } catch (e) {} }, maxMs)
    const read = new Promise(resolve => rl.on('close', resolve))
    child.on('exit', async (code, signal) => {
      clearTimeout(timer)
      await read
      if (code !== 0) return reject(new Error(`bench_standin with ${bin} exited with ${code ?? signal}:\n${stderr}`))
      resolve({ phases, log: stderr })
    })
  })
}

// Runs the plan with each binary in turn, `rounds` times; the medians of each phase's figures per binary.
async function run ({ quick = false, short = false, rounds = 1, log = () => {} } = {}) {
  if (!fs.existsSync(STANDIN_BIN)) {
    throw new Error(`no stand-in router at ${STANDIN_BIN}: cmake --build build/test --target bench_standin ` +
      '(or set WAMP_METAD_STANDIN_BIN)')
  }
  const bins = [['current', metadctl.BIN]]
  if (process.env.WAMP_METAD_BASE_BIN) bins.unshift(['base', process.env.WAMP_METAD_BASE_BIN])
  const args = quick ? PLAN.quick : short ? PLAN.short : PLAN.full
  const runs = Object.fromEntries(bins.map(([name]) => [name, []]))
  for (let r = 0; r < rounds; r++) {
    for (const [name, bin] of bins) {
      log(`capacity: round ${r + 1}/${rounds}, ${name} (${bin})`)
      runs[name].push((await standin(bin, args, quick ? 120000 : 300000)).phases)
    }
  }
  const keys = ['hooks', 'events', 'events_per_s', 'hooks_per_s', 'lag_p50_ms', 'lag_p99_ms', 'lag_max_ms',
    'metad_cpu_share', 'metad_cpu_ms_per_1000', 'standin_cpu_share', 'metad_rss_mib', 'max_backlog']
  const out = { stand_in: STANDIN_BIN, args: args.join(' '), rounds, binaries: Object.fromEntries(bins), phases: [] }
  runs[bins[0][0]][0].forEach((p, i) => {
    const row = { phase: p.phase, rate: p.rate }
    for (const [name] of bins) {
      const all = runs[name].map(x => x[i])
      row[name] = Object.fromEntries(keys.map(k => [k, median(all.map(x => x[k]))]))
      row[name].rounds = all // every round's figures, for their spread
      row[name].throttled = all.some(x => x.throttled)
      row[name].violations = Math.max(...all.map(x => x.violations))
    }
    out.phases.push(row)
  })
  return out
}

const fmt = (v, digits = 0) => v === null || v === undefined ? '-' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits })

function report (r, w) {
  const names = Object.keys(r.binaries)
  w(`\n8. capacity (stand-in router, bench_standin ${r.args}; ${r.rounds} round(s); wamp-metad pinned to one core)`)
  const W = [26, 12, 22, 10, 18, 10]
  const row = cells => cells.map((c, i) => String(c).padEnd(W[i])).join('  ')
  w(row(['phase', 'binary', 'events/s', 'CPU', 'lag p50/p99/max ms', 'ms/1,000']))
  for (const p of r.phases) {
    const label = p.phase === 'storm' ? `storm (${fmt(p[names[0]].hooks)} joins)` : `rate ${p.rate ? fmt(p.rate) + '/s' : 'max'}`
    for (const name of names) {
      const v = p[name]
      w(row([label, name, `${fmt(v.events_per_s)}${v.throttled ? ' (backlog cap)' : ''}`, `${fmt(100 * v.metad_cpu_share)}%`,
        `${fmt(v.lag_p50_ms, 1)}/${fmt(v.lag_p99_ms, 1)}/${fmt(v.lag_max_ms, 1)}`, fmt(v.metad_cpu_ms_per_1000, 2)]))
    }
    if (names.length === 2) {
      const [a, b] = names.map(n => p[n])
      w(row(['', `${names[1]}/${names[0]}`, `${(b.events_per_s / a.events_per_s).toFixed(2)}x`, '',
        `${(b.lag_p50_ms / a.lag_p50_ms).toFixed(2)}x/${(b.lag_p99_ms / a.lag_p99_ms).toFixed(2)}x/-`,
        `${(b.metad_cpu_ms_per_1000 / a.metad_cpu_ms_per_1000).toFixed(2)}x`]))
    }
  }
}

module.exports = { run, report, STANDIN_BIN }

if (require.main === module) {
  const quick = process.argv.includes('--quick')
  const i = process.argv.indexOf('--rounds')
  const rounds = i > 0 ? Number(process.argv[i + 1]) : (quick ? 1 : 3)
  if (!(rounds >= 1 && rounds <= 10)) {
    process.stderr.write('capacity.js: --rounds must be 1 to 10\n')
    process.exit(2)
  }
  routerctl.withTimeout((quick ? 120000 : 600000) * rounds, 'bench/run --capacity')
  const log = m => process.stderr.write(`[capacity] ${m}\n`)
  run({ quick, rounds, log }).then(r => {
    report(r, s => process.stdout.write(s + '\n'))
    const dir = path.join(routerctl.ROOT, 'bench', 'results')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'capacity.json'), JSON.stringify(r, null, 2) + '\n')
    process.exit(0)
  }, e => {
    process.stderr.write(`bench/run --capacity: FAIL: ${e.stack || e}\n`)
    process.exit(1)
  })
}
