'use strict'
// Byte-level protocol checks: exact message shapes (no null Arguments, trailing empties omitted, msgpack
// integers), GOODBYE reason, RawSocket handshake/PING, and a list of malformed inputs none of which may
// crash the router (after each one, a fresh session must still get a WELCOME).

const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')
const raw = require('../lib/rawwamp')
const net = require('net')

kit.main('router: wire format and malformed input', 90000, async t => {
  const r = await routerctl.start({ realms: ['realm1'] })
  const healthy = async what => {
    const c = await raw.connect({ url: r.url, serializer: 'json' })
    try {
      await raw.hello(c, 'realm1')
    } catch (e) {
      throw new Error(`router unhealthy after ${what}: ${e.message}`)
    } finally {
      c.close()
    }
  }
  const expectClosed = async (c, what) => {
    t.ok(await c.closedWithin(3000), `${what}: router closed the connection`)
  }
  const expectAbortThenClose = async (c, what) => {
    const m = await c.recv().catch(() => null)
    if (m) t.eq([m[0], m[2]], [3, 'wamp.error.protocol_violation'], `${what}: ABORT protocol_violation`)
    await expectClosed(c, what)
  }
  try {
    for (const [kind, ser] of [['websocket', 'json'], ['websocket', 'msgpack'], ['rawsocket', 'json'], ['rawsocket', 'msgpack']]) {
      await t.step(`${kind}/${ser}: exact message shapes`, async () => {
        const target = kind === 'websocket' ? { url: r.url } : { rawsocket: r.rawsocket }
        const callee = await raw.connect({ ...target, serializer: ser })
        const caller = await raw.connect({ ...target, serializer: ser })
        const w = await raw.hello(callee, 'realm1')
        await raw.hello(caller, 'realm1')
        t.ok(Number.isInteger(w[1]) && w[1] > 0, 'WELCOME session id')
        if (ser === 'msgpack') {
          const b = callee.rawFrames[0]
          t.eq([b[0], b[1]], [0x93, 0x02], 'WELCOME framing')
          t.ok(b[2] !== 0xcb && b[2] !== 0xca, `session id is a msgpack integer, not a float (type byte 0x${b[2].toString(16)})`)
        }
        callee.send([64, 1, {}, 'com.shape'])
        const reg = await callee.recv()
        t.eq([reg[0], reg[1]], [65, 1], 'REGISTERED')
        const cases = [
          { call: [48, 10, {}, 'com.shape'], inv: [], yld: [70, 0, {}], res: [50, 10, {}] },
          { call: [48, 11, {}, 'com.shape', []], inv: [], yld: [70, 0, {}, []], res: [50, 11, {}] },
          { call: [48, 12, {}, 'com.shape', [[1, 2]]], inv: [[[1, 2]]], yld: [70, 0, {}, [[1, 2]]], res: [50, 12, {}, [[1, 2]]] },
          { call: [48, 13, {}, 'com.shape', [], { a: 1 }], inv: [[], { a: 1 }], yld: [70, 0, {}, [], { a: 1 }], res: [50, 13, {}, [], { a: 1 }] },
          { call: [48, 14, {}, 'com.shape', [1], {}], inv: [[1]], yld: [70, 0, {}, [2], {}], res: [50, 14, {}, [2]] }
        ]
        for (const c of cases) {
          caller.send(c.call)
          const inv = await callee.recv()
          t.eq(inv[0], 68, 'INVOCATION')
          t.eq(inv.slice(3), [{}, ...c.inv], `INVOCATION for ${JSON.stringify(c.call)}`)
          c.yld[1] = inv[1]
          callee.send(c.yld)
          const res = await caller.recv()
          t.eq(res, c.res, 'RESULT shape')
        }
        // callee ERROR passes through with URI, args, kwargs
        caller.send([48, 20, {}, 'com.shape', [1]])
        const inv = await callee.recv()
        callee.send([8, 68, inv[1], {}, 'com.app.failed', ['why'], { code: 7 }])
        t.eq(await caller.recv(), [8, 48, 20, {}, 'com.app.failed', ['why'], { code: 7 }], 'ERROR pass-through')
        caller.send([48, 21, {}, 'com.shape'])
        const inv2 = await callee.recv()
        callee.send([8, 68, inv2[1], {}, 'com.app.bare'])
        t.eq(await caller.recv(), [8, 48, 21, {}, 'com.app.bare'], 'ERROR without args')
        // publish/subscribe shapes
        callee.send([32, 2, {}, 'com.topic'])
        const sub = await callee.recv()
        t.eq([sub[0], sub[1]], [33, 2], 'SUBSCRIBED')
        caller.send([16, 30, { acknowledge: true }, 'com.topic'])
        t.eq((await caller.recv()).slice(0, 2), [17, 30], 'PUBLISHED')
        const ev = await callee.recv()
        t.eq(ev.length, 4, `EVENT without payload has 4 elements: ${JSON.stringify(ev)}`)
        t.eq([ev[0], ev[1]], [36, sub[2]], 'EVENT subscription id')
        caller.send([16, 31, {}, 'com.topic', [[1, 2]], { k: null }])
        const ev2 = await callee.recv()
        t.eq(ev2.slice(4), [[[1, 2]], { k: null }], 'EVENT payload')
        // GOODBYE
        caller.send([6, {}, 'wamp.close.close_realm'])
        t.eq(await caller.recv(), [6, {}, 'wamp.close.goodbye_and_out'], 'GOODBYE reply')
        await expectClosed(caller, 'after GOODBYE')
        callee.close()
      })
    }

    await t.step('rawsocket handshake and PING', async () => {
      const c = await raw.connect({ rawsocket: r.rawsocket, serializer: 'msgpack' })
      t.eq(c.handshakeReply.toString('hex'), '7ff20000', 'handshake reply: max length 2^24, msgpack')
      c.sendFrame(1, Buffer.from('ping!'))
      const deadline = Date.now() + 3000
      while (!c.frames.some(f => f.type === 2) && Date.now() < deadline) await kit.sleep(10)
      const pong = c.frames.find(f => f.type === 2)
      t.ok(pong && pong.payload.toString() === 'ping!', 'PONG echoes the PING payload')
      // Autobahn|Cpp sends an empty authmethods list: that means anonymous
      const w = await raw.hello(c, 'realm1', { roles: { caller: {} }, authmethods: [] })
      t.eq(w[2].authmethod, 'anonymous', 'authmethods [] is anonymous')
      c.close()
      const j = await raw.connect({ rawsocket: r.rawsocket, serializer: 'json' })
      t.eq(j.handshakeReply.toString('hex'), '7ff10000', 'handshake reply for JSON')
      await raw.hello(j, 'realm1')
      j.close()
    })

    const malformed = [
      ['rawsocket: bad magic byte', async () => {
        const c = await raw.connect({ rawsocket: r.rawsocket, handshake: false })
        c.sendBytes(Buffer.from([0x00, 0xf2, 0, 0]))
        await expectClosed(c, 'bad magic')
      }],
      ['rawsocket: unsupported serializer', async () => {
        const c = await raw.connect({ rawsocket: r.rawsocket, handshake: false })
        c.sendBytes(Buffer.from([0x7f, 0xf3, 0, 0]))
        await expectClosed(c, 'serializer 3')
        t.eq(c.handshakeReply && c.handshakeReply.toString('hex'), '7f100000', 'error 1: serializer unsupported')
      }],
      ['rawsocket: reserved handshake bytes', async () => {
        const c = await raw.connect({ rawsocket: r.rawsocket, handshake: false })
        c.sendBytes(Buffer.from([0x7f, 0xf2, 1, 0]))
        await expectClosed(c, 'reserved bytes')
        t.eq(c.handshakeReply && c.handshakeReply.toString('hex'), '7f300000', 'error 3: reserved bits')
      }],
      ['rawsocket: frame with an unknown type', async () => {
        const c = await raw.connect({ rawsocket: r.rawsocket, serializer: 'msgpack' })
        c.sendFrame(5, Buffer.from('x'))
        await expectClosed(c, 'frame type 5')
      }],
      ['rawsocket: huge length prefix, then hang up', async () => {
        const c = await raw.connect({ rawsocket: r.rawsocket, serializer: 'msgpack' })
        c.sendBytes(Buffer.from([0x00, 0xff, 0xff, 0xff, 1, 2, 3]))
        await kit.sleep(50)
        c.close()
      }],
      ['rawsocket: garbage instead of msgpack', async () => {
        const c = await raw.connect({ rawsocket: r.rawsocket, serializer: 'msgpack' })
        c.sendFrame(0, Buffer.from([0xc1, 0xc1, 0xc1]))
        await expectClosed(c, 'invalid msgpack')
      }],
      ['rawsocket: truncated handshake then hang up', async () => {
        const c = await raw.connect({ rawsocket: r.rawsocket, handshake: false })
        c.sendBytes(Buffer.from([0x7f]))
        await kit.sleep(30)
        c.close()
      }],
      ['websocket: invalid JSON', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        c.sendText('[1, "realm1", {')
        await expectClosed(c, 'invalid JSON')
      }],
      ['websocket: invalid msgpack', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'msgpack' })
        c.sendBytes(Buffer.from([0x93, 0xc1]))
        await expectClosed(c, 'invalid msgpack')
      }],
      ['websocket: non-array message', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        c.sendText('{"hello": 1}')
        await expectAbortThenClose(c, 'non-array')
      }],
      ['websocket: empty array and a bare number', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        c.sendText('[]')
        await expectAbortThenClose(c, 'empty array')
        const d = await raw.connect({ url: r.url, serializer: 'msgpack' })
        d.sendBytes(Buffer.from([0x2a]))
        await expectAbortThenClose(d, 'bare number')
      }],
      ['websocket: unknown message type', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        await raw.hello(c, 'realm1')
        c.send([999, 1, {}])
        await expectAbortThenClose(c, 'type 999')
      }],
      ['websocket: HELLO twice', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        await raw.hello(c, 'realm1')
        c.send([1, 'realm1', {}])
        await expectAbortThenClose(c, 'second HELLO')
      }],
      ['websocket: CALL before HELLO', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        c.send([48, 1, {}, 'com.x', []])
        await expectAbortThenClose(c, 'CALL before HELLO')
      }],
      ['websocket: HELLO with a non-string realm / non-dict details', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        c.send([1, 42, {}])
        await expectAbortThenClose(c, 'realm 42')
        const d = await raw.connect({ url: r.url, serializer: 'msgpack' })
        d.send([1, 'realm1', 'details'])
        await expectAbortThenClose(d, 'details string')
      }],
      ['websocket: unknown realm (router stays up)', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        c.send([1, 'no.such.realm', {}])
        const m = await c.recv()
        t.eq([m[0], m[2]], [3, 'wamp.error.no_such_realm'], 'ABORT no_such_realm')
        await expectClosed(c, 'after ABORT')
        const d = await raw.connect({ url: r.url, serializer: 'json' })
        d.send([1, 'UPPER case!', {}])
        t.eq((await d.recv())[2], 'wamp.error.no_such_realm', 'malformed realm name')
      }],
      ['websocket: AUTHENTICATE without CHALLENGE', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        c.send([5, 'secret', {}])
        await expectAbortThenClose(c, 'AUTHENTICATE')
      }],
      ['websocket: bad field types in CALL', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        await raw.hello(c, 'realm1')
        c.send([48, 'one', {}, 'com.x'])
        await expectAbortThenClose(c, 'string request id')
        const d = await raw.connect({ url: r.url, serializer: 'msgpack' })
        await raw.hello(d, 'realm1')
        d.send([48, 1, {}, 'com.x', 'not-a-list'])
        await expectAbortThenClose(d, 'args not a list')
        const e = await raw.connect({ url: r.url, serializer: 'json' })
        await raw.hello(e, 'realm1')
        e.send([48, 1, null, 'com.x'])
        await expectAbortThenClose(e, 'options null')
      }],
      ['websocket: invalid URIs are answered, not fatal', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        await raw.hello(c, 'realm1')
        c.send([64, 1, {}, 'bad uri with spaces'])
        t.eq((await c.recv()).slice(0, 5), [8, 64, 1, {}, 'wamp.error.invalid_uri'], 'REGISTER invalid_uri')
        c.send([16, 2, {}, 'a..b', ['dropped']]) // no acknowledge: silently dropped
        c.send([16, 3, { acknowledge: true }, '.x'])
        t.eq((await c.recv()).slice(0, 5), [8, 16, 3, {}, 'wamp.error.invalid_uri'], 'PUBLISH invalid_uri (ack)')
        c.send([70, 123456, {}, [1]]) // YIELD for an unknown invocation: ignored
        c.send([8, 68, 123457, {}, 'com.err']) // ERROR for an unknown invocation: ignored
        c.send([66, 4, 99999]) // UNREGISTER of an unknown registration
        t.eq((await c.recv()).slice(0, 5), [8, 66, 4, {}, 'wamp.error.no_such_registration'], 'no_such_registration')
        c.send([34, 5, 99999])
        t.eq((await c.recv()).slice(0, 5), [8, 34, 5, {}, 'wamp.error.no_such_subscription'], 'no_such_subscription')
        c.send([32, 6, { match: 'fuzzy' }, 'com.x'])
        t.eq((await c.recv()).slice(0, 5), [8, 32, 6, {}, 'wamp.error.invalid_argument'], 'unknown match policy')
        c.close()
      }],
      ['websocket: no WAMP subprotocol', async () => {
        let c
        try {
          c = await raw.connect({ url: r.url, protocols: ['mqtt'] })
        } catch (e) {
          return // refused at the handshake: fine
        }
        await expectClosed(c, 'no subprotocol')
      }],
      ['plain HTTP and garbage on the WebSocket port', async () => {
        for (const text of ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', '\x00\x01\x02garbage\r\n\r\n']) {
          const s = net.connect(r.ws.port, '127.0.0.1')
          s.on('error', () => {})
          await new Promise(resolve => s.on('connect', resolve))
          s.write(text)
          const got = await new Promise(resolve => {
            let d = ''
            s.on('data', x => { d += x })
            s.on('close', () => resolve(d))
            setTimeout(() => { s.destroy(); resolve(d) }, 2000)
          })
          t.ok(/^HTTP\/1\.1 4\d\d/.test(got), `HTTP error response: ${JSON.stringify(got.slice(0, 40))}`)
        }
      }],
      ['deeply nested JSON and msgpack with non-string map keys', async () => {
        const c = await raw.connect({ url: r.url, serializer: 'json' })
        await raw.hello(c, 'realm1')
        const sub = await raw.connect({ url: r.url, serializer: 'msgpack' })
        await raw.hello(sub, 'realm1')
        sub.send([32, 1, {}, 'com.deep'])
        t.eq((await sub.recv())[0], 33, 'subscribed')
        c.sendText('[16, 1, {"acknowledge": true}, "com.deep", [' + '['.repeat(200000) + ']'.repeat(200000) + ']]')
        await expectAbortThenClose(c, 'deep JSON')
        const m = await raw.connect({ url: r.url, serializer: 'msgpack' })
        await raw.hello(m, 'realm1')
        m.sendBytes(Buffer.concat([Buffer.from([0x95, 0x10, 0x01, 0x80, 0xa8]), Buffer.from('com.deep'),
          Buffer.alloc(5000, 0x91), Buffer.from([0xc0])]))
        await expectAbortThenClose(m, 'deep msgpack')
        t.ok(!sub.isClosed, 'the subscriber is unaffected')
        sub.close()
        const d = await raw.connect({ url: r.url, serializer: 'msgpack' })
        // [1, "realm1", {1: 2}]: integer map keys are tolerated
        d.sendBytes(Buffer.from([0x93, 0x01, 0xa6, ...Buffer.from('realm1'), 0x81, 0x01, 0x02]))
        const w = await d.recv().catch(() => null)
        t.ok(w === null || w[0] === 2, 'WELCOME or closed')
        d.close()
      }],
      ['many half-open connections closed abruptly', async () => {
        const socks = []
        for (let i = 0; i < 50; i++) {
          const s = net.connect(i % 2 ? r.ws.port : r.rawsocket.port, '127.0.0.1')
          s.on('error', () => {})
          socks.push(s)
        }
        await kit.sleep(50)
        for (const s of socks) s.destroy()
      }]
    ]
    for (const [name, fn] of malformed) {
      await t.step(`malformed: ${name}`, async () => {
        await fn()
        await healthy(name)
      })
    }
    t.ok(malformed.length >= 10, 'at least 10 malformed inputs')
    await t.step('still routes after all of it (Autobahn|JS)', async () => {
      const a = await kit.join({ url: r.url, serializer: 'msgpack', realm: 'realm1' })
      await a.session.register('com.after', (args) => args[0] + 1)
      t.eq(await a.session.call('com.after', [41]), 42, 'call works')
      a.connection.close()
    })
  } finally {
    const res = await r.stop()
    if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
    if (res.code !== 0) throw new Error(`router exit code ${res.code} signal ${res.signal}`)
  }
})
