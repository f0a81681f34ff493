'use strict'
// The meta API end to end over TLS only: the router listens with TLS alone (wss and RawSocket over TLS,
// client certificates required), wamp-metad mirrors over rss:// (its internal link, by name: localhost) and
// serves the realms over wss:// (by address: 127.0.0.1) with its client certificate, and Autobahn|JS clients
// join over wss:// checking the router's certificate against the test CA: on_join, count, list, get,
// on_leave, a testament and kill go through, and a client without a certificate is turned away.

const fs = require('fs')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const certs = require('../lib/certs')
const kit = require('../lib/jskit')

kit.main('integration: the meta API over TLS', 120000, async t => {
  const c = certs.make()
  const read = f => fs.readFileSync(f)
  const router = await routerctl.start({
    realms: ['realm1'],
    ws: false,
    rawsocket: false,
    wss: true,
    rawsocketTls: true,
    tls: { cert: c.server, key: c.serverKey, clientCa: c.ca }
  })
  const tls = { ca: read(c.ca), cert: read(c.client), key: read(c.clientKey) }
  const { join, closeAll } = kit.joiner({ url: router.wssUrl, realm: 'realm1', tls })
  let m
  try {
    m = await metadctl.start(router, {
      url: router.wssUrl,
      args: ['--internal-router', `rss://localhost:${router.rawsocketTls.port}`, '--tls-ca', c.ca, '--tls-cert',
        c.client, '--tls-key', c.clientKey, '--enable-kill', 'realm1', '--kill-authrole', 'anonymous']
    })
    t.ok(/joined internal realm 'router.internal' at rss:\/\/localhost:\d+/.test(m.stderr()), 'internal link over rss://')

    const watcher = await join({ serializer: 'msgpack' })
    const joins = []
    const leaves = []
    await watcher.session.subscribe('wamp.session.on_join', ([d]) => joins.push(d))
    await watcher.session.subscribe('wamp.session.on_leave', args => leaves.push(args))
    await watcher.session.subscribe('com.example.gone', args => leaves.push(['testament', ...args]))

    await t.step('on_join, count, list and get', async () => {
      const alice = await join({ authid: 'alice', ticket: routerctl.SECRETS.alice })
      await kit.until(() => joins.some(d => d.session === alice.session.id), 5000, 'alice\'s on_join')
      const d = joins.find(x => x.session === alice.session.id)
      t.eq([d.authid, d.authrole, d.authmethod, d.transport.type], ['alice', 'user', 'ticket', 'websocket'], 'details')
      t.eq(await watcher.session.call('wamp.session.count'), 2, 'count')
      t.eq((await watcher.session.call('wamp.session.list')).sort(), [watcher.session.id, alice.session.id].sort(),
        'list')
      const got = await alice.session.call('wamp.session.get', [alice.session.id])
      t.eq([got.session, got.authid, got.realm], [alice.session.id, 'alice', 'realm1'], 'get of oneself')
    })

    await t.step('a testament, then on_leave', async () => {
      const bob = await join({ authid: 'bob', wampcra: routerctl.SECRETS.bob })
      const id = bob.session.id
      await bob.session.call('wamp.session.add_testament', ['com.example.gone', [id], {}])
      bob.connection.close()
      await kit.until(() => leaves.some(l => l[0] === id), 5000, 'bob\'s on_leave')
      const at = leaves.findIndex(l => l[0] === 'testament' && l[1] === id)
      t.ok(at >= 0 && at < leaves.findIndex(l => l[0] === id), 'the testament before the on_leave')
      t.eq(leaves.find(l => l[0] === id), [id, 'bob', 'admin'], 'on_leave arguments')
    })

    await t.step('kill', async () => {
      const victim = await join({})
      const gone = victim.closed
      t.eq(await watcher.session.call('wamp.session.kill', [victim.session.id], { message: 'bye' }), null, 'result')
      const { details } = await gone
      t.eq(details.reason, 'wamp.close.killed', 'the victim is told why')
    })

    await t.step('a client without a certificate is turned away by the router', async () => {
      let refused = false
      try {
        const j = await kit.join({ url: router.wssUrl, realm: 'realm1', tls: { ca: tls.ca } })
        j.connection.close()
      } catch (e) {
        refused = true
      }
      t.ok(refused, 'no session without a client certificate')
    })

    t.ok(!/ (warning|error|critical) /.test(m.stderr()), `no warning in wamp-metad's log:\n${m.stderr()}`)
    const res = await m.stop()
    t.eq(res.code, 0, 'exit code')
  } finally {
    closeAll()
    if (m) await m.stop()
    await router.stopChecked()
    c.remove()
  }
})
