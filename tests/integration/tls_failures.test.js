'use strict'
// TLS links that cannot come up: for each way (an unknown CA, a certificate for another name or address, an
// expired one, a plain listener on a TLS URL, a TLS listener on a plain URL, no client certificate or one the
// router rejects, a listener that never answers the handshake), wamp-metad says why in its log, counts it in
// wamp_metad_link_failures_total{kind, reason}, keeps retrying with its backoff (no busy loop), and stops
// cleanly. Then the mutual TLS that works, over wss:// and rss://. Certificates from tests/lib/certs.js.

const fs = require('fs')
const net = require('net')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const metrics = require('../lib/metrics')
const certs = require('../lib/certs')
const kit = require('../lib/jskit')

kit.main('integration: TLS failures of the links', 170000, async t => {
  const c = certs.make()
  const routers = []
  const start = async o => {
    const r = await routerctl.start({ realms: ['realm1'], ...o })
    routers.push(r)
    return r
  }
  const tlsOnly = { ws: false, rawsocket: false, wss: true, rawsocketTls: true }
  let silent
  try {
    const good = await start({ wss: true, rawsocketTls: true, tls: { cert: c.server, key: c.serverKey } })
    const wrong = await start({ ...tlsOnly, tls: { cert: c.wrongName, key: c.wrongNameKey } })
    const expired = await start({ ...tlsOnly, tls: { cert: c.expired, key: c.expiredKey } })
    const mutual = await start({ ...tlsOnly, tls: { cert: c.server, key: c.serverKey, clientCa: c.ca } })
    const wss = r => `wss://127.0.0.1:${r.wss.port}/ws`
    const rss = (r, host = '127.0.0.1') => `rss://${host}:${r.rawsocketTls.port}`
    const ca = ['--tls-ca', c.ca]

    // wamp-metad on `url` fails with `kind` / `reason`, its log line saying `words`, again and again with
    // backoff; SIGTERM still stops it at once.
    async function expectFailure (name, router, url, args, { kind = 'tls', reason, words }) {
      await t.step(name, async () => {
        const m = await metadctl.start(router, {
          url,
          waitReady: false,
          args: ['--metrics', '127.0.0.1:0', '--reconnect-min-ms', '100', '--reconnect-max-ms', '400',
            '--heartbeat-timeout-ms', '500', ...args]
        })
        try {
          const port = await metrics.port(m)
          const t0 = Date.now()
          const line = (await m.waitLog(/internal link: ([^\n]*); retrying in \d+ ms/, 15000))[1]
          t.ok(words.test(line), `the log line says why: ${line}`)
          const labels = { link: 'internal', kind, ...(reason ? { reason } : {}) }
          await kit.until(async () => metrics.value(await metrics.scrape(port), 'wamp_metad_link_failures_total',
            labels) >= 3, 15000, `three failures counted as ${JSON.stringify(labels)}`)
          const samples = await metrics.scrape(port)
          const all = metrics.sum(samples, 'wamp_metad_link_failures_total', { link: 'internal' })
          t.eq(metrics.value(samples, 'wamp_metad_link_failures_total', labels), all, 'every failure for that reason')
          // The backoff (100..400 ms, jittered) bounds the attempts: far from a busy loop.
          const ms = Date.now() - t0
          t.ok(all <= ms / 50 + 2, `${all} attempts in ${ms} ms`)
          t.eq(metrics.value(samples, 'wamp_metad_link_up', { link: 'internal' }), 0, 'the link is down')
        } finally {
          const res = await m.stop()
          t.eq([res.code, res.signal], [0, null], `exit on SIGTERM (log:\n${res.stderr})`)
          t.ok(res.ms < 5000, `stopped within the 5 s shutdown deadline: ${res.ms} ms`)
        }
      })
    }

    await expectFailure('unknown CA: the system\'s CAs do not know the test CA (wss)', good, wss(good), [],
      { reason: 'unknown_ca', words: /^TLS with wss:\/\/127\.0\.0\.1:\d+\/ws: the router's certificate is not signed by a CA we trust \(--tls-ca\) \(unable to get local issuer certificate\)$/ })
    await expectFailure('unknown CA: --tls-ca names another CA (rss)', good, rss(good), ['--tls-ca', c.otherCa],
      { reason: 'unknown_ca', words: /not signed by a CA we trust/ })
    await expectFailure('name mismatch: an IP address the certificate does not carry (wss)', wrong, wss(wrong), ca,
      { reason: 'name_mismatch', words: /the router's certificate is not for '127\.0\.0\.1' \(IP address mismatch\)$/ })
    await expectFailure('name mismatch: a name the certificate does not carry (rss)', wrong, rss(wrong, 'localhost'), ca,
      { reason: 'name_mismatch', words: /the router's certificate is not for 'localhost' \(hostname mismatch\)$/ })
    await expectFailure('an expired certificate (wss)', expired, wss(expired), ca,
      { reason: 'expired', words: /the router's certificate has expired \(certificate has expired\)$/ })
    await expectFailure('a plain listener on an rss:// URL', good, `rss://127.0.0.1:${good.rawsocket.port}`, ca,
      { reason: 'plaintext_server', words: /closed the connection without answering the TLS handshake: a plain listener\? \(then use rs:\/\/ or ws:\/\/\)$/ })
    await expectFailure('a plain listener on a wss:// URL', good, `wss://127.0.0.1:${good.ws.port}/ws`, ca,
      { reason: 'plaintext_server', words: /the router answered in plain text \('HTTP\/'\), not TLS/ })
    await expectFailure('a TLS listener on an rs:// URL', good, `rs://127.0.0.1:${good.rawsocketTls.port}`, [],
      { reason: 'tls_server', words: /^the router at rs:\/\/127\.0\.0\.1:\d+ answers like a TLS listener \(it took a TLS handshake\): use rss:\/\/ or wss:\/\/ for it$/ })
    await expectFailure('a TLS listener on a ws:// URL', good, `ws://127.0.0.1:${good.wss.port}/ws`, [],
      { reason: 'tls_server', words: /answers like a TLS listener/ })
    await expectFailure('no client certificate where the router requires one (wss)', mutual, wss(mutual), ca,
      { reason: 'client_certificate_rejected', words: /the router requires a client certificate \(give --tls-cert and --tls-key\)/ })
    await expectFailure('a client certificate the router rejects (rss)', mutual, rss(mutual),
      [...ca, '--tls-cert', c.rogueClient, '--tls-key', c.rogueClientKey],
      // node's TLS server checks it after the handshake, and closes without an alert.
      { reason: 'client_certificate_rejected', words: /closed the connection after the handshake: it does not accept ours \(--tls-cert\)$/ })

    // A listener that takes the connection and never answers: the join timeout covers the TLS handshake.
    silent = net.createServer(() => {})
    await new Promise(resolve => silent.listen(0, '127.0.0.1', resolve))
    await expectFailure('a listener that never answers the TLS handshake', good,
      `rss://127.0.0.1:${silent.address().port}`, ca,
      { kind: 'timeout', words: /^no WELCOME from the router within 1000 ms \(the TLS handshake had not completed\)$/ })

    await t.step('mutual TLS with a certificate the router trusts, over wss:// and rss://', async () => {
      const auth = [...ca, '--tls-cert', c.client, '--tls-key', c.clientKey]
      const read = f => fs.readFileSync(f)
      const clientTls = { ca: read(c.ca), cert: read(c.client), key: read(c.clientKey) }
      for (const url of [wss(mutual), rss(mutual, 'localhost')]) {
        const m = await metadctl.start(mutual, { url, args: auth })
        try {
          const j = await kit.join({ url: mutual.wssUrl, realm: 'realm1', tls: clientTls })
          t.eq(await j.session.call('wamp.session.count'), 1, `count through ${url}`)
          j.connection.close()
        } finally {
          t.eq((await m.stop()).code, 0, 'exit code')
        }
      }
    })
  } finally {
    if (silent) silent.close()
    for (const r of routers) await r.stopChecked()
    c.remove()
  }
})
