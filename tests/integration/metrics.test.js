'use strict'
// Prometheus metrics (--metrics 127.0.0.1:0): the test makes sessions join and leave, calls the meta
// procedures (some with bad arguments), makes the router skip a hook and publish malformed ones, then scrapes
// /metrics over HTTP and checks each number against what it did.

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')
const metrics = require('../lib/metrics')

const scrape = metrics.scrapeText
const { parse, value } = metrics

kit.main('integration: Prometheus metrics', 110000, async t => {
  const router = await routerctl.start({ realms: ['realm1', 'realm2'], args: ['--test-switches'] })
  let metad
  const open = []
  const join = async o => {
    const j = await kit.join({ url: router.url, realm: 'realm1', ...o })
    open.push(j)
    return j
  }
  try {
    metad = await metadctl.start(router, {
      realms: ['realm1', 'realm2'],
      args: ['--metrics', '127.0.0.1:0', '--enable-kill', 'realm1', '--heartbeat-ms', '200']
    })
    const port = await metrics.port(metad)

    await t.step('the exposition is served and well formed', async () => {
      const r = await scrape(port)
      t.eq(r.status, 200, 'HTTP status')
      t.ok(/^text\/plain/.test(r.headers['content-type']), `content type ${r.headers['content-type']}`)
      const samples = parse(r.body)
      t.eq(value(samples, 'wamp_metad_link_up', { link: 'internal' }), 1, 'internal link up')
      t.eq(value(samples, 'wamp_metad_link_up', { link: 'realm1' }), 1, 'realm1 link up')
      t.eq(value(samples, 'wamp_metad_resyncs_total'), 0, 'the first sync is no resync')
    })

    await t.step('sessions, calls and events are counted as they happened', async () => {
      const ones = await Promise.all(Array.from({ length: 5 }, () => join({})))
      const twos = await Promise.all(Array.from({ length: 2 }, () => join({ realm: 'realm2', authid: 'alice', ticket: routerctl.SECRETS.alice })))
      ones[4].connection.close()
      const s = ones[0].session
      await kit.until(async () => (await s.call('wamp.session.count')) === 4, 5000, 'four sessions on realm1')
      // Known calls from here on: 3 count, 2 list, 1 get, 1 bad count, 1 kill of nobody (the polling above
      // made some count calls too: measured as a difference).
      const before = parse((await scrape(port)).body)
      for (let i = 0; i < 3; i++) await s.call('wamp.session.count')
      for (let i = 0; i < 2; i++) await s.call('wamp.session.list')
      await s.call('wamp.session.get', [s.id])
      t.eq((await kit.callError(s.call('wamp.session.count', ['x']))).error, 'wamp.error.invalid_argument', 'bad count')
      t.eq((await kit.callError(s.call('wamp.session.kill', [4503599627370496]))).error, 'wamp.error.no_such_session',
        'kill of nobody')
      await twos[0].session.call('wamp.session.count')

      let after
      await kit.until(async () => {
        after = parse((await scrape(port)).body)
        return value(after, 'wamp_metad_sessions', { realm: 'realm1' }) === 4
      }, 5000, 'the sessions gauge to follow')
      const delta = (labels) => value(after, 'wamp_metad_calls_total', labels) - value(before, 'wamp_metad_calls_total', labels)
      t.eq(value(after, 'wamp_metad_sessions', { realm: 'realm2' }), 2, 'realm2 sessions')
      t.ok(value(after, 'wamp_metad_sessions_mirrored') >= 6, 'mirrored sessions (hidden ones included)')
      t.eq(delta({ realm: 'realm1', procedure: 'wamp.session.count', outcome: 'ok' }), 3, 'count ok')
      t.eq(delta({ realm: 'realm1', procedure: 'wamp.session.list', outcome: 'ok' }), 2, 'list ok')
      t.eq(delta({ realm: 'realm1', procedure: 'wamp.session.get', outcome: 'ok' }), 1, 'get ok')
      t.eq(delta({ realm: 'realm1', procedure: 'wamp.session.count', outcome: 'wamp.error.invalid_argument' }), 1,
        'count invalid_argument')
      t.eq(delta({ realm: 'realm1', procedure: 'wamp.session.kill', outcome: 'wamp.error.no_such_session' }), 1,
        'kill no_such_session')
      t.eq(delta({ realm: 'realm2', procedure: 'wamp.session.count', outcome: 'ok' }), 1, 'realm2 count ok')
      // Every call answered shows in the histogram, the daemon's own heartbeats (every 200 ms) in neither.
      const calls = after.filter(x => x.name === 'wamp_metad_calls_total').reduce((n, x) => n + x.value, 0)
      const timed = after.filter(x => x.name === 'wamp_metad_call_duration_seconds_count').reduce((n, x) => n + x.value, 0)
      t.eq(timed, calls, 'one duration per call')
      t.ok(calls < 40, `heartbeats are not counted as calls (${calls})`)
      t.ok(value(after, 'wamp_metad_call_duration_seconds_bucket', { procedure: 'wamp.session.get', le: '+Inf' }) >= 1,
        'get durations')
      t.ok(value(after, 'wamp_metad_events_published_total', { realm: 'realm1', kind: 'on_join' }) >= 5, 'on_join on realm1')
      t.ok(value(after, 'wamp_metad_events_published_total', { realm: 'realm1', kind: 'on_leave' }) >= 1, 'on_leave on realm1')
      t.eq(value(after, 'wamp_metad_events_published_total', { realm: 'realm2', kind: 'on_join' }), 2, 'on_join on realm2')
      t.ok(value(after, 'wamp_metad_hooks_total', { verdict: 'applied' }) >= 8, 'hooks applied')
    })

    await t.step('gaps, resyncs and malformed hooks', async () => {
      const m = await kit.join({ url: router.url, realm: 'router.internal', serializer: 'msgpack', authid: 'metacra',
        wampcra: routerctl.SECRETS.metacra })
      open.push(m)
      const before = parse((await scrape(port)).body)
      await m.session.call('router.test.skip_seq', [1])
      await join({})
      await m.session.call('router.test.publish_raw', ['router.session.left', ['garbage']])
      await m.session.call('router.test.publish_raw', ['router.session.joined', []])
      let after
      await kit.until(async () => {
        after = parse((await scrape(port)).body)
        return value(after, 'wamp_metad_resyncs_total') >= 1 && value(after, 'wamp_metad_malformed_total', { input: 'hook' }) >= 2
      }, 5000, 'the gap, the resync and the malformed hooks to show')
      t.eq(value(after, 'wamp_metad_hooks_total', { verdict: 'gap' }) - value(before, 'wamp_metad_hooks_total', { verdict: 'gap' }), 1, 'one gap')
      t.eq(value(after, 'wamp_metad_resyncs_total'), 1, 'one resync')
      t.eq(value(after, 'wamp_metad_malformed_total', { input: 'hook' }), 2, 'two malformed hooks')
      t.eq(value(after, 'wamp_metad_link_failures_total', { link: 'internal' }), 0, 'the internal link never failed')
    })

    await t.step('an address already in use: no start, a log line, exit code 1', async () => {
      let second
      try {
        second = await metadctl.start(router, { realms: ['realm1'], args: ['--metrics', `127.0.0.1:${port}`] })
      } catch (e) {
        t.ok(/exited \(1\) before it was ready/.test(e.message), `exit code 1: ${e.message.slice(0, 200)}`)
        t.ok(/cannot listen for metrics on 127\.0\.0\.1:\d+/.test(e.message), 'says why')
        return
      }
      await second.stop()
      throw new kit.Failure('a second wamp-metad started on a metrics port already in use')
    })
  } catch (e) {
    if (metad) e.message += `\nwamp-metad log (end):\n${metad.stderr().slice(-10000)}`
    throw e
  } finally {
    for (const j of open) {
      try { j.connection.close() } catch (e) {}
    }
    if (metad) await metad.stop()
    await router.stop()
  }
})
