'use strict'
// Byte-level transports: WebSocket (ws) and WAMP RawSocket over TCP, each plain or over TLS (the same
// handlers on a node https / tls server: TLS 1.2 or later, client certificates required and verified when a
// client CA is given). Each accepted connection becomes a
// "channel" ({type, serializer, peer, send(msg), close(code, reason)}) handed to gate.openConnection(channel);
// the channel delivers decoded WAMP messages to conn.onMessage(msg), reports malformed input with
// conn.onProtocolError(reason) and the end of the connection with conn.onTransportClosed(). Nothing a peer
// sends may throw out of here: every failure closes that one connection with a logged reason.

const net = require('net')
const tls = require('tls')
const { WebSocketServer } = require('ws')
const { codecs } = require('./codec')
const log = require('./log')

const MAX_MESSAGE = 16 * 1024 * 1024 // 16 MiB, inbound limit for both transports
const RAWSOCKET_MAX_EXP = 15 // announced to RawSocket peers: 2^(9+15) = 16 MiB
const HANDSHAKE_TIMEOUT_MS = 10000

function peerString (socket) {
  if (socket.remoteAddress === undefined && socket.localAddress === undefined) return 'unix'
  let addr = socket.remoteAddress || 'unknown'
  const port = socket.remotePort
  if (addr.startsWith('::ffff:') && net.isIPv4(addr.slice(7))) addr = addr.slice(7)
  if (net.isIPv4(addr)) return `tcp4:${addr}:${port}`
  if (net.isIPv6(addr)) return `tcp6:[${addr}]:${port}`
  return `unknown:${addr}:${port}`
}

// Listens on {host, port} or on a Unix socket {path} (a socket file left there by an earlier run is removed
// first, anything else there is an error).
function listen (server, { host, port, path }) {
  if (path !== undefined) {
    try {
      if (require('fs').lstatSync(path).isSocket()) require('fs').unlinkSync(path)
    } catch (e) { /* nothing there */ }
  }
  return new Promise((resolve, reject) => {
    const onError = e => reject(e)
    server.once('error', onError)
    server.listen(...(path !== undefined ? [path] : [port, host]), () => {
      server.removeListener('error', onError)
      resolve(server.address())
    })
  })
}

// The options of a node TLS server for `tlsFiles` ({cert, key, clientCa}: PEM contents): with a client CA,
// every client must present a certificate it signed.
function tlsServerOptions (tlsFiles) {
  const o = { cert: tlsFiles.cert, key: tlsFiles.key, minVersion: 'TLSv1.2' }
  if (tlsFiles.ciphers) o.ciphers = tlsFiles.ciphers
  if (tlsFiles.dhparam) o.dhparam = tlsFiles.dhparam
  if (tlsFiles.clientCa) Object.assign(o, { ca: tlsFiles.clientCa, requestCert: true, rejectUnauthorized: true })
  return o
}

// A failed TLS handshake is the client's problem (a wrong CA, no certificate): said once, at info.
function logTlsErrors (server, what) {
  server.on('tlsClientError', (err, socket) => {
    log.info(`${what} ${peerString(socket)}: TLS handshake failed: ${err.code || err.message}`)
  })
}

// ---------------------------------------------------------------------------------------------- WebSocket

// Plain HTTP requests (no upgrade) go to onHttp when given (the static files of --web), else get a 426.
// With `tlsFiles`, the listener is HTTPS and WSS. routeOf(req) says what a WebSocket request on that URL path
// gets: {auth (an Authenticator; default the router's), serializers (a Set; default both)}, or null for a path
// without WebSocket (404); by default every path is WAMP.
async function startWebSocket (gate, where, onHttp, tlsFiles, routeOf = () => ({})) {
  const handler = onHttp || ((req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain' })
    res.end('WAMP over WebSocket only\n')
  })
  const httpServer = tlsFiles ? require('https').createServer(tlsServerOptions(tlsFiles), handler)
    : require('http').createServer(handler)
  if (tlsFiles) logTlsErrors(httpServer, 'wss')
  httpServer.on('clientError', (err, socket) => {
    log.debug('websocket: bad HTTP request:', err.code || err.message)
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')
    else socket.destroy()
  })
  const wss = new WebSocketServer({
    server: httpServer,
    maxPayload: MAX_MESSAGE,
    perMessageDeflate: false,
    verifyClient (info, done) {
      if (routeOf(info.req) === null) done(false, 404, 'Not Found')
      else done(true)
    },
    handleProtocols (protocols, req) {
      const allowed = routeOf(req).serializers
      for (const p of protocols) {
        if ((p === 'wamp.2.msgpack' || p === 'wamp.2.json') && (!allowed || allowed.has(p.slice(7)))) return p
      }
      return false
    }
  })
  wss.on('wsClientError', (err, socket) => {
    log.debug('websocket: handshake rejected:', err.message)
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')
    else socket.destroy()
  })
  wss.on('error', e => log.debug('websocket server error:', e.message)) // the http server reports it too
  wss.on('connection', (ws, req) => {
    const peer = peerString(req.socket)
    ws.on('error', e => log.info(`websocket ${peer}: ${e.message}`))
    if (ws.protocol !== 'wamp.2.msgpack' && ws.protocol !== 'wamp.2.json') {
      log.info(`websocket ${peer}: no supported WAMP subprotocol offered; closing`)
      ws.close(1002, 'no supported WAMP subprotocol')
      return
    }
    const codec = ws.protocol === 'wamp.2.msgpack' ? codecs.msgpack : codecs.json
    let closed = false
    const channel = {
      type: 'websocket',
      serializer: codec.name,
      peer,
      auth: routeOf(req).auth,
      send (msg) {
        if (closed || ws.readyState !== ws.OPEN) return
        if (codec.binary) ws.send(codec.encode(msg), { binary: true })
        else ws.send(codec.encodeText(msg), { binary: false })
      },
      close (code, reason) {
        if (closed) return
        closed = true
        try {
          ws.close(code || 1000, reason || '')
        } catch (e) {
          ws.terminate()
        }
        setTimeout(() => ws.terminate(), 2000).unref()
      }
    }
    const conn = gate.openConnection(channel)
    ws.on('message', data => {
      if (closed) return
      let msg
      try {
        msg = codec.decode(data)
      } catch (e) {
        conn.onProtocolError(`undecodable ${codec.name} message: ${e.message}`)
        return
      }
      conn.onMessage(msg)
    })
    ws.on('close', () => {
      closed = true
      conn.onTransportClosed()
    })
  })
  const addr = await listen(httpServer, where)
  return {
    address: addr,
    close () {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      httpServer.close()
    }
  }
}

// ---------------------------------------------------------------------------------------------- RawSocket

// A FIFO of received chunks that concatenates only what a frame needs (no quadratic re-copying).
class ByteQueue {
  constructor () {
    this.chunks = []
    this.length = 0
  }

  push (chunk) {
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  peek (n) { // first n bytes (n <= length) without consuming
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n)
    const buf = Buffer.concat(this.chunks)
    this.chunks = [buf]
    return buf.subarray(0, n)
  }

  take (n) {
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0]
      const want = n - filled
      if (c.length <= want) {
        c.copy(out, filled)
        filled += c.length
        this.chunks.shift()
      } else {
        c.copy(out, filled, 0, want)
        this.chunks[0] = c.subarray(want)
        filled += want
      }
    }
    this.length -= n
    return out
  }
}

function startRawSocketConnection (gate, socket, { auth, serializers }) {
  const peer = peerString(socket)
  const queue = new ByteQueue()
  let state = 'handshake' // -> 'open' -> 'closed'
  let codec = null
  let peerMax = 0
  let conn = null
  socket.setNoDelay(true)
  const handshakeTimer = setTimeout(() => {
    log.info(`rawsocket ${peer}: no handshake within ${HANDSHAKE_TIMEOUT_MS} ms; closing`)
    socket.destroy()
  }, HANDSHAKE_TIMEOUT_MS)
  handshakeTimer.unref()

  function fail (reason) {
    if (state === 'closed') return
    log.info(`rawsocket ${peer}: ${reason}; closing`)
    state = 'closed'
    socket.destroy()
  }

  function writeFrame (type, payload) {
    const header = Buffer.allocUnsafe(4)
    header.writeUInt8(type, 0)
    header.writeUIntBE(payload.length, 1, 3)
    socket.write(Buffer.concat([header, payload]))
  }

  const channel = {
    type: 'rawsocket',
    serializer: null,
    peer,
    auth,
    send (msg) {
      if (state !== 'open' || socket.destroyed) return
      const payload = codec.encode(msg)
      if (payload.length > peerMax || payload.length > 0xffffff) {
        log.warn(`rawsocket ${peer}: outgoing message of ${payload.length} bytes exceeds the peer's limit of ` +
          `${peerMax}; closing`)
        state = 'closed'
        socket.destroy()
        return
      }
      writeFrame(0, payload)
    },
    close () {
      if (state === 'closed') return
      state = 'closed'
      socket.end()
      setTimeout(() => socket.destroy(), 2000).unref()
    }
  }

  function onHandshake () {
    const hs = queue.take(4)
    clearTimeout(handshakeTimer)
    if (hs[0] !== 0x7f) {
      fail(`bad handshake magic byte 0x${hs[0].toString(16)}`)
      return
    }
    const serializerId = hs[1] & 0x0f
    const lenExp = hs[1] >> 4
    const reply = (err) => socket.write(Buffer.from([0x7f, err << 4, 0, 0]))
    if (hs[2] !== 0 || hs[3] !== 0) {
      reply(3) // use of reserved bits
      fail('handshake uses reserved bits')
      return
    }
    if ((serializerId !== 1 && serializerId !== 2) ||
        (serializers && !serializers.has(serializerId === 2 ? 'msgpack' : 'json'))) {
      reply(1) // serializer unsupported
      fail(`unsupported serializer id ${serializerId}`)
      return
    }
    codec = serializerId === 2 ? codecs.msgpack : codecs.json
    peerMax = 2 ** (9 + lenExp)
    channel.serializer = codec.name
    socket.write(Buffer.from([0x7f, (RAWSOCKET_MAX_EXP << 4) | serializerId, 0, 0]))
    state = 'open'
    conn = gate.openConnection(channel)
  }

  function onFrames () {
    while (state === 'open' && queue.length >= 4) {
      const header = queue.peek(4)
      const type = header[0]
      const length = header.readUIntBE(1, 3)
      if ((type & 0xf8) !== 0 || (type & 0x07) > 2) {
        fail(`frame with reserved bits or unknown type 0x${type.toString(16)}`)
        return
      }
      if (length > MAX_MESSAGE) {
        fail(`frame of ${length} bytes exceeds the limit`)
        return
      }
      if (queue.length < 4 + length) return
      queue.take(4)
      const payload = queue.take(length)
      if (type === 1) { // PING -> PONG with the same payload
        writeFrame(2, payload)
        continue
      }
      if (type === 2) continue // PONG
      let msg
      try {
        msg = codec.decode(payload)
      } catch (e) {
        conn.onProtocolError(`undecodable ${codec.name} message: ${e.message}`)
        return
      }
      conn.onMessage(msg)
    }
  }

  socket.on('data', chunk => {
    if (state === 'closed') return
    queue.push(chunk)
    if (state === 'handshake' && queue.length >= 4) onHandshake()
    if (state === 'open') onFrames()
  })
  socket.on('error', e => log.debug(`rawsocket ${peer}: ${e.message}`))
  socket.on('close', () => {
    clearTimeout(handshakeTimer)
    state = 'closed'
    if (conn) conn.onTransportClosed()
  })
}

// With `tlsFiles`, RawSocket over TLS: the same protocol inside the TLS connection. `route`: {auth (default the
// router's), serializers (a Set; default both)}.
async function startRawSocket (gate, where, tlsFiles, route = {}) {
  const sockets = new Set()
  const onConnection = socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    startRawSocketConnection(gate, socket, route)
  }
  // Over TLS the connection is handed over once the handshake is done ('secureConnection').
  const server = tlsFiles ? tls.createServer(tlsServerOptions(tlsFiles), onConnection) : net.createServer(onConnection)
  if (tlsFiles) logTlsErrors(server, 'rawsocket-tls')
  const addr = await listen(server, where)
  server.on('error', e => log.error('rawsocket server error:', e))
  return {
    address: addr,
    close () {
      for (const s of sockets) s.destroy()
      server.close()
    }
  }
}

module.exports = { startWebSocket, startRawSocket }
