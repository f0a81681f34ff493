'use strict'
// Catch-up in proportion: with N sessions in realm1, wamp-metad's link to realm1 is cut (the router kills that
// session) and 1,000 sessions join while it reconnects; from wamp-metad's log, the time from the link being
// back (joined) to the realm's events flowing again (caught up), the hooks it caught up, and whether a
// snapshot or the realm's whole state was fetched for it.
//
//   node bench/e2e/blip.js [--sessions 100000,1000000] [--missed 1000] [--rounds 3]
//   WAMP_METAD_BIN: the binary measured (default build/test/src/daemon/wamp-metad)

const routerctl = require('../../tests/lib/routerctl')
const metadctl = require('../../tests/lib/metadctl')
const kit = require('../../tests/lib/jskit')

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const SIZES = arg('--sessions', '100000').split(',').map(Number)
const MISSED = Number(arg('--missed', '1000'))
const ROUNDS = Number(arg('--rounds', '3'))
if (SIZES.some(n => !Number.isInteger(n) || n < 0 || n > 1000000) || !Number.isInteger(MISSED) || MISSED < 1 ||
  MISSED > 100000 || !Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20) {
  process.stderr.write('usage: blip.js [--sessions N[,N...]] (0..1000000) [--missed N] (1..100000) [--rounds N] (1..20)\n')
  process.exit(2)
}

// The log's timestamp (ms of the day) of the first line matching `re` after offset `from`, with the match.
function stamp (log, from, re) {
  for (const line of log.slice(from).split('\n')) {
    const m = re.exec(line)
    if (!m) continue
    const [h, mi, s] = line.slice(11, 23).split(':')
    return { ms: (Number(h) * 3600 + Number(mi) * 60 + Number(s)) * 1000, m }
  }
  return null
}

kit.main('bench: catch-up in proportion after a cut link', 1800000, async () => {
  for (const n of SIZES) {
    const router = await routerctl.start({ realms: ['realm1'], args: ['--test-switches'] })
    let m
    try {
      const internal = await kit.join({ url: router.url, realm: 'router.internal', serializer: 'msgpack', authid: 'metad',
        ticket: routerctl.SECRETS.metad })
      for (let done = 0; done < n; done += 100000) {
        await internal.session.call('router.test.fabricate', ['realm1', Math.min(100000, n - done)])
      }
      // Quietly: the sessions already there are not re-announced (a client could not take a million on_join here).
      m = await metadctl.start(router, { realms: ['realm1'], args: ['--start-quietly'], readyTimeoutMs: 120000 })
      await m.waitLog(/realm 'realm1': (caught up exactly|cannot catch up exactly)/, 120000)
      // One join told live, so that the router records how far realm1's events got (a cold start over more
      // sessions than the router's hook history falls back to re-announcing them, which records nothing).
      // (Told means routed: the watcher sees it, after the re-announcement's events.)
      const watcher = await kit.join({ url: router.url, realm: 'realm1', serializer: 'msgpack' })
      const joins = new Set()
      await watcher.session.subscribe('wamp.session.on_join', ([d]) => joins.add(d.session))
      const [one] = await internal.session.call('router.test.fabricate', ['realm1', 1])
      await kit.until(() => joins.has(one), 120000, 'the on_join of one session, told live')
      watcher.connection.close()
      const rows = []
      for (let r = 0; r < ROUNDS; r++) {
        const from = m.stderr().length
        const link = [...m.stderr().matchAll(/realm 'realm1': joined as session (\d+)/g)].pop()
        await internal.session.call('router.session.kill', [Number(link[1])])
        await internal.session.call('router.test.fabricate', ['realm1', MISSED])
        await m.waitLog(new RegExp(`[^]{${from}}[^]*realm 'realm1': caught up exactly`), 60000)
        const log = m.stderr()
        const back = stamp(log, from, /realm 'realm1': joined as session/)
        const caught = stamp(log, from, /realm 'realm1': caught up exactly[^:]*: (\d+) hook\(s\) since, (\d+) event\(s\) told/)
        rows.push({ ms: Math.round(caught.ms - back.ms), hooks: Number(caught.m[1]), events: Number(caught.m[2]),
          snapshot: /mirror synced/.test(log.slice(from)) })
        await kit.sleep(500)
      }
      const sorted = rows.map(x => x.ms).sort((a, b) => a - b)
      console.log(`${n} sessions, ${MISSED} joins missed, ${ROUNDS} cuts: from the link back to events flowing: ` +
        `median ${sorted[Math.floor(sorted.length / 2)]} ms (each: ${rows.map(x => x.ms).join(', ')} ms); ` +
        `hooks caught up ${rows.map(x => x.hooks).join(', ')}; events told ${rows.map(x => x.events).join(', ')}; ` +
        `snapshot fetched: ${rows.some(x => x.snapshot) ? 'yes' : 'no'}`)
      internal.connection.close()
    } finally {
      if (m) await m.stop()
      await router.stop()
    }
  }
})
