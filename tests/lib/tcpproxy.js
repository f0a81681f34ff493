'use strict'
// tcpproxy.js: a TCP proxy on 127.0.0.1 for fault injection between wamp-metad (or any client) and the
// router. It understands just enough WAMP RawSocket (msgpack) to learn each connection's realm from its
// HELLO, so that one realm's connections can be cut alone.
//
//   const proxy = await tcpproxy.start({ host: '127.0.0.1', port: TARGET_PORT })
//   proxy.port                          where to connect instead of the target
//   proxy.retarget({ host, port })      later connections go there (a restarted router)
//   proxy.cut({ realm })                closes the matching connections now (all without a filter)
//   proxy.block({ realm }) / unblock()  while blocked, new connections (of that realm, once its HELLO shows
//                                       it; all without a filter) are closed at once
//   proxy.silence({ realm })            matching connections stay open but nothing flows (a hung peer)
//   proxy.connections()                 [{realm, silenced}] of the live ones
//   await proxy.close()

const net = require('net')
const path = require('path')

let decode
try {
  ({ decode } = require(path.join(__dirname, '..', '..', 'deploy', 'router', 'node_modules', '@msgpack', 'msgpack')))
} catch (e) {
  process.stderr.write('FAIL: @msgpack/msgpack is not installed in deploy/router (run deploy/setup): ' + e.message + '\n')
  process.exit(1)
}

// Reads the realm from the first RawSocket msgpack frame (HELLO = [1, realm, details]) of a client stream.
function realmSniffer () {
  let buf = Buffer.alloc(0)
  let done = false
  return chunk => {
    if (done) return undefined
    buf = Buffer.concat([buf, chunk])
    if (buf.length < 8) return undefined
    if (buf[0] !== 0x7f) { done = true; return null }  // not RawSocket
    const len = buf.readUInt32BE(4) & 0xffffff
    if (buf.length < 8 + len) return undefined
    done = true
    try {
      const msg = decode(buf.subarray(8, 8 + len))
      return Array.isArray(msg) && msg[0] === 1 && typeof msg[1] === 'string' ? msg[1] : null
    } catch (e) {
      return null
    }
  }
}

function start (target) {
  let to = { ...target }
  let blocked = null // null: open; {}: every connection; {realm}: that realm's
  const live = new Set()
  const server = net.createServer(client => {
    if (blocked && blocked.realm === undefined) return client.destroy()
    const conn = { client, upstream: net.connect(to.port, to.host), realm: undefined, silenced: false }
    live.add(conn)
    const sniff = realmSniffer()
    const end = () => {
      live.delete(conn)
      client.destroy()
      conn.upstream.destroy()
    }
    client.on('data', d => {
      if (conn.realm === undefined) {
        const r = sniff(d)
        if (r !== undefined) conn.realm = r
        if (blocked && blocked.realm !== undefined && conn.realm === blocked.realm) return end()
      }
      if (!conn.silenced) conn.upstream.write(d)
    })
    conn.upstream.on('data', d => { if (!conn.silenced) client.write(d) })
    client.on('error', end)
    conn.upstream.on('error', end)
    client.on('close', end)
    conn.upstream.on('close', end)
  })
  const matches = (c, filter) => !filter || filter.realm === undefined || c.realm === filter.realm
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        retarget (t) { to = { ...t } },
        cut (filter) {
          let n = 0
          for (const c of [...live]) {
            if (!matches(c, filter)) continue
            c.client.destroy()
            c.upstream.destroy()
            live.delete(c)
            n++
          }
          return n
        },
        block (filter) { blocked = filter && filter.realm !== undefined ? { realm: filter.realm } : {} },
        unblock () { blocked = null },
        silence (filter) {
          let n = 0
          for (const c of live) if (matches(c, filter)) { c.silenced = true; n++ }
          return n
        },
        connections () { return [...live].map(c => ({ realm: c.realm, silenced: c.silenced })) },
        close () {
          for (const c of live) { c.client.destroy(); c.upstream.destroy() }
          live.clear()
          return new Promise(resolve => server.close(() => resolve()))
        }
      })
    })
  })
}

module.exports = { start }
