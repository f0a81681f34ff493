'use strict'
// wamp-metad on another host than the router's, the way two hosts would run them: the router runs in a
// network namespace made by the test (tests/lib/netns.js: its address exists only on a veth pair of this
// machine) with TLS listeners that require client certificates, and a plain RawSocket listener. From this
// side: wamp-metad refuses to send its secret in clear text to that address (exit 2, naming
// --allow-plaintext-secret, before any connection), sends it when allowed; and two instances share the router's
// realms over TLS, one over wss://, one over rss://, each serving its own realm to Autobahn|JS clients that
// join over wss:// too. Without network namespaces (not root), the same runs on 127.0.0.1 and the refusal is
// checked against the namespace's address without a router there.

const fs = require('fs')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const certs = require('../lib/certs')
const netns = require('../lib/netns')
const kit = require('../lib/jskit')

kit.main('integration: wamp-metad on another host, over TLS', 150000, async t => {
  const host = netns.make()
  if (!host) process.stdout.write('  note: no network namespace (needs root and iproute2): the router runs on 127.0.0.1\n')
  const routerIp = host ? host.peerIp : '127.0.0.1'
  const c = certs.make({ ips: host ? [host.peerIp] : [] })
  const read = f => fs.readFileSync(f)
  const tls = { ca: read(c.ca), cert: read(c.client), key: read(c.clientKey) }
  const clientCert = ['--tls-ca', c.ca, '--tls-cert', c.client, '--tls-key', c.clientKey]
  const router = await routerctl.start({
    realms: ['realm1', 'realm2'],
    ws: false,
    rawsocket: false,
    wss: routerIp,
    rawsocketTls: routerIp,
    tls: { cert: c.server, key: c.serverKey, clientCa: c.ca },
    args: ['--rawsocket', `${routerIp}:0`],
    spawn: host ? argv => host.spawn(process.execPath, [routerctl.ROUTER_JS, ...argv]) : undefined
  })
  const instances = []
  const { join, closeAll } = kit.joiner({ url: router.wssUrl, tls, serializer: 'msgpack' })
  try {
    t.eq(router.wss.host, routerIp, `the router listens on ${routerIp}`)
    const plainUrl = `rs://${host ? routerIp : '10.213.0.1'}:${router.rawsocket.port}`

    await t.step('the secret is not sent in clear text to another host', async () => {
      for (const extra of [['--check-config'], []]) {
        const m = await metadctl.start(router, { url: plainUrl, waitReady: false, args: extra })
        const res = await m.exited
        const log = m.stderr()
        t.eq(res.code, 2, `exit code 2 (${extra.join(' ') || 'a run'}): ${log}`)
        t.ok(log.includes(`--router ${plainUrl}: the ticket secret would cross the network in clear text (`) &&
          log.includes('give --allow-plaintext-secret'), `the problem names the option: ${log}`)
        t.ok(!/starting/.test(log), 'nothing started: no connection was made')
        await m.stop()
      }
    })

    if (host) {
      await t.step('--allow-plaintext-secret sends it', async () => {
        const m = await metadctl.start(router, { url: plainUrl, args: ['--allow-plaintext-secret'] })
        t.ok(m.stderr().includes(`joined internal realm 'router.internal' at ${plainUrl}`), 'joined in clear text')
        t.eq((await m.stop()).code, 0, 'exit code')
      })
    }

    await t.step('two instances share the realms over TLS, one over wss://, one over rss://', async () => {
      instances.push(await metadctl.start(router, { url: router.wssUrl, realms: ['realm1'], args: clientCert }))
      const rss = `rss://${routerIp}:${router.rawsocketTls.port}`
      instances.push(await metadctl.start(router, { url: rss, realms: ['realm2'], args: clientCert }))
      t.ok(instances[1].stderr().includes(`joined internal realm 'router.internal' at ${rss}`), 'the second over rss://')

      const watchers = {}
      const joins = { realm1: [], realm2: [] }
      for (const realm of ['realm1', 'realm2']) {
        watchers[realm] = await join({ realm, authid: 'alice', ticket: routerctl.SECRETS.alice, serializer: 'json' })
        await watchers[realm].session.subscribe('wamp.session.on_join', ([d]) => joins[realm].push(d.session))
      }
      const alice = { authid: 'alice', ticket: routerctl.SECRETS.alice }
      const realms = ['realm1', 'realm1', 'realm2']
      const ones = await Promise.all(realms.map(realm => join({ realm, ...alice })))
      await kit.until(() => ones.every((o, i) => joins[realms[i]].includes(o.session.id)), 5000,
        'on_join of each on its own realm')
      t.ok(!ones.some((o, i) => joins[realms[i] === 'realm1' ? 'realm2' : 'realm1'].includes(o.session.id)),
        'and not on the other')
      for (const realm of ['realm1', 'realm2']) {
        const mine = [watchers[realm], ...ones.filter((o, i) => realms[i] === realm)].map(o => o.session.id).sort()
        t.eq(await watchers[realm].session.call('wamp.session.count'), mine.length, `count on ${realm}`)
        t.eq((await watchers[realm].session.call('wamp.session.list')).sort(), mine, `list on ${realm}`)
        const d = await watchers[realm].session.call('wamp.session.get', [mine[0]])
        t.eq(d.realm, realm, `get on ${realm}`)
        if (host) t.ok(d.transport.peer.startsWith(`tcp4:${host.hostIp}:`), `the client came from the other host: ${d.transport.peer}`)
      }
      for (const m of instances) {
        t.ok(!/ (warning|error|critical) /.test(m.stderr()), `no warning in wamp-metad's log:\n${m.stderr()}`)
        t.eq((await m.stop()).code, 0, 'exit code')
      }
    })
  } finally {
    closeAll()
    for (const m of instances) await m.stop()
    await router.stopChecked()
    c.remove()
    if (host) host.remove()
  }
})
