'use strict'
// Names are resolved without blocking, and every address a name stands for is tried.
//
// Runs in network and mount namespaces of its own (see CMakeLists.txt: `unshare -n -m`), where it gives itself
// an /etc/hosts that lists ::1 before 127.0.0.1 for localhost (as an installed Debian does) and an
// /etc/resolv.conf whose name server is a stand-in on 127.0.0.1:53 that this test answers from, or leaves
// silent. Nothing leaves the namespace.
// - rs://localhost:PORT, with the router on 127.0.0.1 only: ::1 is refused, 127.0.0.1 connects.
// - While one served realm's name resolution hangs (the name server silent), the realms already served keep
//   answering calls and telling events; once it answers again, the new realm is served too.

const dgram = require('dgram')
const dns = require('dns')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

// A name server that answers every A question with 127.0.0.1 (and AAAA with no address), or nothing at all.
function nameServer () {
  const socket = dgram.createSocket('udp4')
  const state = { silent: false, asked: 0 }
  socket.on('message', (query, from) => {
    state.asked++
    if (state.silent || query.length < 17) return
    let end = 12
    while (end < query.length && query[end] !== 0) end += query[end] + 1
    const question = query.subarray(12, end + 5)
    const type = query.readUInt16BE(end + 1)
    const header = Buffer.alloc(12)
    query.copy(header, 0, 0, 2)
    header.writeUInt16BE(0x8180, 2) // a response, recursion available, no error
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(type === 1 ? 1 : 0, 6)
    const answer = type === 1
      ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 127, 0, 0, 1])
      : Buffer.alloc(0)
    socket.send(Buffer.concat([header, question, answer]), from.port, from.address)
  })
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(53, '127.0.0.1', () => resolve({ state, close: () => socket.close() }))
  })
}

function bindOver (file, text, dir) {
  const own = path.join(dir, path.basename(file))
  fs.writeFileSync(own, text)
  execFileSync('mount', ['--bind', own, file])
}

kit.main('integration: name resolution (::1 first, a silent name server)', 120000, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metad-resolve-'))
  try {
    execFileSync('ip', ['link', 'set', 'lo', 'up'])
    bindOver('/etc/hosts', '::1 localhost\n127.0.0.1 localhost\n', dir)
    bindOver('/etc/resolv.conf', 'nameserver 127.0.0.1\noptions timeout:8 attempts:1\n', dir)
  } catch (e) {
    throw new kit.Failure('this test needs its own network and mount namespaces (run by ctest under ' +
      `unshare -n -m, as root): ${e.message}`)
  }
  const found = await dns.promises.lookup('localhost', { all: true, verbatim: true })
  t.eq(found[0].address, '::1', 'localhost resolves to ::1 first here')

  const ns = await nameServer()
  const REALMS = ['realm1', 'realm2']
  const router = await routerctl.start({ realms: REALMS,
    principals: { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: REALMS } })
  const rs = router.rawsocket
  t.eq(rs.host, '127.0.0.1', 'the router listens on 127.0.0.1 alone')
  const clients = []
  try {
    await t.step('rs://localhost reaches a router on 127.0.0.1 (::1 refused first)', async () => {
      const m = await metadctl.start(router, { url: `rs://localhost:${rs.port}`, realms: ['realm1'] })
      const c = await kit.join({ url: router.url, realm: 'realm1' })
      clients.push(c)
      t.eq(await c.session.call('wamp.session.count'), 1, 'count answered')
      await m.stop()
    })

    await t.step('a hanging name resolution stalls no other realm', async () => {
      const conf = path.join(dir, 'metad.conf')
      fs.writeFileSync(conf, 'realm = realm1\n')
      const m = await metadctl.start(router, { url: `rs://router.test:${rs.port}`, realms: [],
        args: ['--config', conf] })
      t.ok(ns.state.asked > 0, 'router.test was asked of the name server')
      const c = await kit.join({ url: router.url, realm: 'realm1' })
      clients.push(c)
      const joins = []
      await c.session.subscribe('wamp.session.on_join', ([d]) => joins.push(d.session))

      ns.state.silent = true
      const asked = ns.state.asked
      fs.writeFileSync(conf, 'realm = realm1\nrealm = realm2\n')
      process.kill(m.pid, 'SIGHUP')
      await kit.until(() => ns.state.asked > asked, 5000, 'realm2\'s link to ask for router.test')
      // The resolution of realm2's router hangs for up to 8 s: realm1 answers meanwhile, every call.
      for (let i = 0; i < 20; i++) {
        const n = await Promise.race([c.session.call('wamp.session.count'), kit.sleep(2000).then(() => {
          throw new kit.Failure(`call ${i} of wamp.session.count got no answer in 2 s while a name resolution hangs`)
        })])
        t.ok(n >= 1, 'count answered')
        await kit.sleep(100)
      }
      const extra = await kit.join({ url: router.url, realm: 'realm1' })
      clients.push(extra)
      await kit.until(() => joins.includes(extra.session.id), 3000, 'on_join on realm1 while realm2 resolves')

      ns.state.silent = false
      const two = await kit.join({ url: router.url, realm: 'realm2' })
      clients.push(two)
      await kit.until(async () => {
        try { return (await two.session.call('wamp.session.count')) === 1 } catch (e) { return false }
      }, 30000, 'realm2 served once the name server answers')
      await m.stop()
    })
  } finally {
    for (const c of clients) c.connection.close()
    ns.close()
    await router.stop()
  }
})
