'use strict'
// Calls that must see what the router did just before them, side by side: a get of a session that has just
// joined (asked by another session at once), and kill_by_authid of a session that has just joined, against
// two wamp-metad binaries on two routers of their own, in turns (one of each per iteration), plus count as a
// control. Medians and p99 in microseconds, and each ratio new / base.
//
//   node bench/e2e/ryw.js [--quick] [--base BIN]   (BIN: the binary to compare with; default: none, new only)
//   WAMP_METAD_BIN: the binary measured (default build/test/src/daemon/wamp-metad)

const routerctl = require('../../tests/lib/routerctl')
const metadctl = require('../../tests/lib/metadctl')
const kit = require('../../tests/lib/jskit')

const QUICK = process.argv.includes('--quick')
const at = process.argv.indexOf('--base')
const BASE = at > 0 ? process.argv[at + 1] : null
const N = QUICK ? 20 : 300

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}
const us = t0 => Number(process.hrtime.bigint() - t0) / 1000

async function side (bin) {
  const router = await routerctl.start({ realms: ['realm1'] })
  const m = await metadctl.start(router, { realms: ['realm1'], args: ['--enable-kill', 'realm1'], bin })
  const asker = await kit.join({ url: router.url, realm: 'realm1', authid: 'bob', wampcra: routerctl.SECRETS.bob,
    serializer: 'msgpack' })
  return { router, m, asker, times: { get: [], kill: [], count: [] }, misses: 0 }
}

async function once (s) {
  // get of a session that has just joined
  const j = await kit.join({ url: s.router.url, realm: 'realm1', serializer: 'msgpack' })
  let t0 = process.hrtime.bigint()
  const d = await s.asker.session.call('wamp.session.get', [j.session.id]).catch(() => null)
  s.times.get.push(us(t0))
  if (!d || d.session !== j.session.id) s.misses++
  // kill_by_authid of a session that has just joined (its authid is its own: anonymous)
  const k = await kit.join({ url: s.router.url, realm: 'realm1', serializer: 'msgpack' })
  t0 = process.hrtime.bigint()
  const killed = await s.asker.session.call('wamp.session.kill_by_authid', [k.welcome.authid]).catch(() => [])
  s.times.kill.push(us(t0))
  if (!Array.isArray(killed) || killed.length !== 1) s.misses++
  t0 = process.hrtime.bigint()
  await s.asker.session.call('wamp.session.count')
  s.times.count.push(us(t0))
  j.connection.close()
}

kit.main('bench: read your writes (get of a just-joined session, kill_by_authid)', 600000, async () => {
  const sides = [['new', await side(metadctl.BIN)]]
  if (BASE) sides.push(['base', await side(BASE)])
  try {
    for (let i = 0; i < N; i++) for (const [, s] of sides) await once(s)
    const row = (name, s, op) => `${name.padEnd(5)} ${op.padEnd(6)} p50 ${pct(s.times[op], 0.5).toFixed(0).padStart(6)} us` +
      `  p99 ${pct(s.times[op], 0.99).toFixed(0).padStart(6)} us`
    console.log(`read your writes, ${N} iterations, sides in turns:`)
    for (const op of ['get', 'kill', 'count']) {
      for (const [name, s] of sides) console.log('  ' + row(name, s, op))
      if (BASE) {
        const r = pct(sides[0][1].times[op], 0.5) / pct(sides[1][1].times[op], 0.5)
        console.log(`  ${op}: new / base at p50 = ${r.toFixed(2)}x`)
      }
    }
    for (const [name, s] of sides) console.log(`  ${name}: misses ${s.misses}`)
    if (sides.some(([, s]) => s.misses > 0 && s === sides[0][1])) throw new kit.Failure('the new binary missed a write')
  } finally {
    for (const [, s] of sides) {
      s.asker.connection.close()
      await s.m.stop()
      await s.router.stop()
    }
  }
})
