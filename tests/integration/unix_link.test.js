'use strict'
// wamp-metad over a Unix socket (--router unix:///PATH): the meta API works through it, and a connection
// that the other end closes is noticed at once (not at the next heartbeat) and made again. The reference
// router listens on TCP only, so the test puts a Unix socket in front of its RawSocket port: each connection
// on the socket is piped to a TCP connection to the router, and the test can close them all.

const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

// A Unix socket at `file` whose connections are piped to host:port; cut() closes every piped pair.
function unixFront (file, host, port) {
  const pairs = new Set()
  const server = net.createServer(front => {
    const back = net.connect(port, host)
    const pair = [front, back]
    pairs.add(pair)
    const drop = () => {
      pairs.delete(pair)
      front.destroy()
      back.destroy()
    }
    front.on('error', drop).on('close', drop)
    back.on('error', drop).on('close', drop)
    front.pipe(back)
    back.pipe(front)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(file, () => resolve({
      connections: () => pairs.size,
      cut: () => { for (const [front, back] of [...pairs]) { front.destroy(); back.destroy() } },
      close: () => new Promise(done => { for (const [f, b] of pairs) { f.destroy(); b.destroy() } server.close(() => done()) })
    }))
  })
}

kit.main('integration: wamp-metad over a Unix socket', 90000, async t => {
  const router = await routerctl.start({ realms: ['realm1'] })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metad-unix-'))
  const file = path.join(dir, 'router.sock')
  let front
  let m
  try {
    front = await unixFront(file, router.rawsocket.host, router.rawsocket.port)
    m = await metadctl.start(router, { realms: ['realm1'], url: `unix://${file}` })
    t.eq(front.connections(), 2, 'both links (internal realm, realm1) go through the Unix socket')
    t.ok(/joined internal realm 'router.internal' at unix:\/\//.test(m.stderr()), 'the log names the unix:// router')

    const watcher = await kit.join({ url: router.url, realm: 'realm1', serializer: 'msgpack' })
    const joins = []
    await watcher.session.subscribe('wamp.session.on_join', ([d]) => joins.push(d.session))
    const one = await kit.join({ url: router.url, realm: 'realm1' })
    await kit.until(() => joins.includes(one.session.id), 5000, 'on_join of a new session')
    t.eq(await watcher.session.call('wamp.session.count'), 2, 'count')
    t.eq((await watcher.session.call('wamp.session.list')).sort(), [watcher.session.id, one.session.id].sort(), 'list')

    await t.step('a connection closed by the other end is noticed at once and made again', async () => {
      const from = m.stderr().length
      const t0 = Date.now()
      front.cut()
      await m.waitLog(/internal link lost: connection closed by the router/, 1500)
      const noticed = Date.now() - t0
      // The heartbeat (1 s interval, 2 s timeout) would take longer than the bound above; the log says which.
      t.ok(!/heartbeat/.test(m.stderr().slice(from).split('\n').find(l => /internal link lost/.test(l)) || ''),
        `noticed as a closed connection, not by a heartbeat (${noticed} ms)`)
      await kit.until(() => front.connections() === 2, 10000, 'both links through the socket again')
      // The mirror missed nothing it cannot fetch: the router's history, no snapshot.
      await m.waitLog(/caught up with the router's hooks: \d+ hook\(s\) replayed, no snapshot/, 10000)
      const two = await kit.join({ url: router.url, realm: 'realm1' })
      await kit.until(() => joins.includes(two.session.id), 5000, 'on_join after the reconnect')
      await kit.until(async () => (await watcher.session.call('wamp.session.count')) === 3, 5000, 'count after the reconnect')
      two.connection.close()
    })

    one.connection.close()
    watcher.connection.close()
    const res = await m.stop()
    t.eq(res.code, 0, 'exit code')
  } finally {
    if (m) await m.stop()
    if (front) await front.close()
    await router.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
