'use strict'
// rawwamp.js: a byte-exact WAMP client for protocol tests (no client library between the test and the wire).
//
//   const raw = require('<repo>/tests/lib/rawwamp')
//   const c = await raw.connect({url, serializer: 'json'|'msgpack', protocols})   // WebSocket
//   const c = await raw.connect({rawsocket: {host, port}, serializer, handshake})  // RawSocket; handshake:
//        false = do not send the 4-byte handshake (send your own bytes with c.sendBytes)
//   c.send(msg)         encode and send one WAMP message
//   c.sendBytes(buf)    send raw bytes (RawSocket: no framing added; WebSocket: one binary/text message)
//   await c.recv(ms)    next decoded message (rejects on timeout or close)
//   c.rawFrames         list of raw payload Buffers received (for byte-level checks)
//   await c.closedWithin(ms) -> true if the router closed the connection within ms
//   c.close()
//   await raw.hello(c, realm, details) -> WELCOME message (fails on anything else)
// ws and @msgpack/msgpack come from deploy/router/node_modules (installed with the router).

const net = require('net')
const path = require('path')
const { ROOT } = require('./routerctl')

const routerModules = path.join(ROOT, 'deploy', 'router', 'node_modules')
const WebSocket = require(path.join(routerModules, 'ws'))
const msgpack = require(path.join(routerModules, '@msgpack', 'msgpack'))

function encode (serializer, msg) {
  return serializer === 'msgpack' ? Buffer.from(msgpack.encode(msg)) : Buffer.from(JSON.stringify(msg))
}

function decode (serializer, buf) {
  return serializer === 'msgpack' ? msgpack.decode(buf) : JSON.parse(buf.toString('utf8'))
}

class Client {
  constructor (serializer) {
    this.serializer = serializer
    this.queue = []
    this.waiters = []
    this.rawFrames = []
    this.isClosed = false
    this.closeWaiters = []
    this.handshakeReply = null
  }

  _push (payload) {
    this.rawFrames.push(payload)
    let msg
    try {
      msg = decode(this.serializer, payload)
    } catch (e) {
      msg = { undecodable: payload }
    }
    const w = this.waiters.shift()
    if (w) w.resolve(msg)
    else this.queue.push(msg)
  }

  _closed () {
    this.isClosed = true
    for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed'))
    for (const f of this.closeWaiters.splice(0)) f()
  }

  recv (ms = 3000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift())
    if (this.isClosed) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => {
      const w = { resolve, reject }
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        reject(new Error(`no message within ${ms} ms`))
      }, ms)
      w.resolve = v => { clearTimeout(timer); resolve(v) }
      w.reject = e => { clearTimeout(timer); reject(e) }
      this.waiters.push(w)
    })
  }

  closedWithin (ms) {
    if (this.isClosed) return Promise.resolve(true)
    return new Promise(resolve => {
      const timer = setTimeout(() => resolve(false), ms)
      this.closeWaiters.push(() => { clearTimeout(timer); resolve(true) })
    })
  }

  send (msg) {
    this.sendBytes(encode(this.serializer, msg))
  }
}

function connectWs (o) {
  const c = new Client(o.serializer || 'json')
  const protocols = o.protocols !== undefined ? o.protocols : [`wamp.2.${c.serializer}`]
  const ws = new WebSocket(o.url, protocols)
  c.ws = ws
  c.sendBytes = buf => ws.send(buf, { binary: c.serializer === 'msgpack' || Buffer.isBuffer(buf) && o.binary })
  c.sendText = text => ws.send(text, { binary: false })
  c.close = () => ws.terminate()
  ws.on('message', data => c._push(Buffer.from(data)))
  ws.on('close', (code, reason) => {
    c.closeCode = code
    c._closed()
  })
  ws.on('error', () => {})
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve(c))
    ws.on('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.on('close', () => reject(new Error('closed before open')))
  })
}

function connectRaw (o) {
  const c = new Client(o.serializer || 'msgpack')
  const socket = net.connect(o.rawsocket.port, o.rawsocket.host)
  c.socket = socket
  socket.setNoDelay(true)
  let buf = Buffer.alloc(0)
  let handshaken = false
  c.sendBytes = b => socket.write(b)
  c.send = msg => {
    const payload = encode(c.serializer, msg)
    const h = Buffer.alloc(4)
    h.writeUIntBE(payload.length, 1, 3)
    socket.write(Buffer.concat([h, payload]))
  }
  c.sendFrame = (type, payload) => {
    const h = Buffer.alloc(4)
    h[0] = type
    h.writeUIntBE(payload.length, 1, 3)
    socket.write(Buffer.concat([h, payload]))
  }
  c.frames = []
  c.close = () => socket.destroy()
  socket.on('data', d => {
    buf = Buffer.concat([buf, d])
    if (!handshaken) {
      if (buf.length < 4) return
      c.handshakeReply = buf.subarray(0, 4)
      buf = buf.subarray(4)
      handshaken = true
      if (c.onHandshake) c.onHandshake()
    }
    while (buf.length >= 4) {
      const len = buf.readUIntBE(1, 3)
      if (buf.length < 4 + len) break
      const type = buf[0]
      const payload = buf.subarray(4, 4 + len)
      buf = buf.subarray(4 + len)
      c.frames.push({ type, payload })
      if (type === 0) c._push(payload)
    }
  })
  socket.on('close', () => c._closed())
  socket.on('error', () => {})
  return new Promise((resolve, reject) => {
    socket.on('connect', () => {
      if (o.handshake === false) {
        resolve(c)
        return
      }
      socket.write(Buffer.from([0x7f, 0xf0 | (c.serializer === 'msgpack' ? 2 : 1), 0, 0]))
      c.onHandshake = () => {
        if (c.handshakeReply[1] & 0x0f) resolve(c)
        else reject(new Error(`handshake refused: ${c.handshakeReply.toString('hex')}`))
      }
    })
    socket.on('close', () => reject(new Error('closed before handshake')))
  })
}

function connect (o) {
  return o.rawsocket ? connectRaw(o) : connectWs(o)
}

async function hello (c, realm, details) {
  c.send([1, realm, details || { roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} } }])
  const m = await c.recv()
  if (!Array.isArray(m) || m[0] !== 2) throw new Error(`expected WELCOME, got ${JSON.stringify(m)}`)
  return m
}

module.exports = { connect, hello, encode, decode }
