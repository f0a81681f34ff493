'use strict'
// jskit.js: a tiny test runner and Autobahn|JS helpers for the node tests.
//
//   const kit = require('<repo>/tests/lib/jskit')
//   kit.main('name', 90000, async t => { t.ok(cond, 'msg'); t.eq(a, b, 'msg'); await t.step('sub', fn) })
//       runs the body under a global timeout; exits 0 on success, 1 with the failure on stderr otherwise
//   kit.autobahn                          Autobahn|JS from tests/js/node_modules (fails loudly if missing)
//   await kit.join({url | rawsocket: {host, port} | {path}, realm, serializer: 'json'|'msgpack', authid, ticket,
//                   wampcra, authmethods, authextra, tls})  -> {session, connection, welcome, closed: Promise}
//       tls: for wss://, {ca, cert, key} (PEM strings or Buffers): the CA the router's certificate is checked
//       against, and a client certificate for a router that requires one
//       rejects with Error whose .reason is the ABORT/close reason URI when the router refuses the session
//   await kit.expectAbort(opts)            -> the reason URI of a refused join
//   await kit.callError(promise)           -> the autobahn.Error a call rejected with (fails if it resolved)
//   kit.sleep(ms), kit.until(fn, ms, what)  bounded waiting
//   const { join, closeAll } = kit.joiner({realm, url, ...})   join with these defaults, remembering each session;
//                                          closeAll() closes those still open (for a finally)
//   await kit.httpGet(url, ms)             -> {status, headers, body (utf-8 string)}; rejects after ms (5000)

const http = require('http')
const https = require('https')
const path = require('path')
const { ROOT, withTimeout } = require('./routerctl')

let autobahn
try {
  autobahn = require(path.join(ROOT, 'tests', 'js', 'node_modules', 'autobahn'))
} catch (e) {
  process.stderr.write('FAIL: Autobahn|JS is not installed in tests/js/node_modules (run deploy/setup): ' +
    e.message + '\n')
  process.exit(1)
}
// Autobahn|JS warns on every closed connection; keep test output readable.
autobahn.log.warn = () => {}

class Failure extends Error {}

function fmt (v) {
  try { return JSON.stringify(v) } catch (e) { return String(v) }
}

const t = {
  ok (cond, msg) {
    if (!cond) throw new Failure(msg)
  },
  eq (a, b, msg) {
    if (fmt(a) !== fmt(b)) throw new Failure(`${msg}: expected ${fmt(b)}, got ${fmt(a)}`)
  },
  async step (name, fn) {
    const t0 = Date.now()
    try {
      await fn()
    } catch (e) {
      e.message = `[${name}] ${e.message}`
      throw e
    }
    process.stdout.write(`  ok ${name} (${Date.now() - t0} ms)\n`)
  }
}

function main (name, timeoutMs, body) {
  withTimeout(timeoutMs, name)
  const t0 = Date.now()
  process.stdout.write(`${name}\n`)
  body(t).then(() => {
    process.stdout.write(`PASS ${name} (${Date.now() - t0} ms)\n`)
    process.exit(0)
  }, e => {
    process.stderr.write(`FAIL ${name}: ${e && e.stack ? e.stack : e}\n`)
    process.exit(1)
  })
}

function sleep (ms) {
  return new Promise(resolve => setTimeout(resolve, ms))
}

async function until (fn, ms, what) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Failure(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(10)
  }
}

function join (o) {
  const serializer = o.serializer === 'msgpack' ? new autobahn.serializer.MsgpackSerializer()
    : new autobahn.serializer.JSONSerializer()
  const opts = {
    realm: o.realm || 'realm1',
    max_retries: 0,
    retry_if_unreachable: false,
    initial_retry_delay: 0.01
  }
  if (o.rawsocket) {
    if (o.serializer === 'msgpack') throw new Error('Autobahn|JS RawSocket supports JSON only')
    opts.transports = [o.rawsocket.path ? { type: 'rawsocket', path: o.rawsocket.path }
      : { type: 'rawsocket', host: o.rawsocket.host, port: o.rawsocket.port }]
  } else {
    opts.transports = [{ type: 'websocket', url: o.url, serializers: [serializer] }]
    // Autobahn|JS hands `agent` to ws, whose TLS connection then uses these (and checks the router's name).
    if (o.tls) opts.transports[0].agent = new https.Agent(o.tls)
  }
  if (o.authid) opts.authid = o.authid
  if (o.authextra) opts.authextra = o.authextra
  if (o.authmethods) opts.authmethods = o.authmethods
  else if (o.ticket !== undefined) opts.authmethods = ['ticket']
  else if (o.wampcra !== undefined) opts.authmethods = ['wampcra']
  opts.onchallenge = (session, method, extra) => {
    if (method === 'ticket') return o.ticket
    if (method === 'wampcra') return autobahn.auth_cra.sign(o.wampcra, extra.challenge)
    throw new Error(`unexpected challenge ${method}`)
  }
  return new Promise((resolve, reject) => {
    const connection = new autobahn.Connection(opts)
    let opened = false
    let closedResolve
    const closed = new Promise(resolve => { closedResolve = resolve })
    connection.onopen = (session, welcome) => {
      opened = true
      resolve({ session, connection, welcome, closed })
    }
    connection.onclose = (reason, details) => {
      if (!opened) {
        const e = new Error(`join refused: ${reason} ${details && details.reason}`)
        e.reason = details && details.reason
        e.details = details
        reject(e)
      } else {
        closedResolve({ reason, details })
      }
      return true // never retry
    }
    connection.open()
  })
}

async function expectAbort (o) {
  let j
  try {
    j = await join(o)
  } catch (e) {
    return e.reason
  }
  j.connection.close()
  throw new Failure(`join to ${o.realm} as ${o.authid || 'anonymous'} unexpectedly succeeded`)
}

async function callError (promise) {
  let r
  try {
    r = await promise
  } catch (e) {
    return e
  }
  throw new Failure(`expected an error, got result ${fmt(r)}`)
}

function joiner (defaults = {}) {
  const open = []
  return {
    async join (o) {
      const j = await join({ ...defaults, ...o })
      open.push(j)
      return j
    },
    closeAll () {
      for (const j of open) if (j.connection.isOpen) j.connection.close()
    }
  }
}

function httpGet (url, ms = 5000) {
  return new Promise((resolve, reject) => {
    // A connection of its own (node's global agent keeps connections alive, and a server that closed an idle
    // one would make the next request fail with "socket hang up").
    const req = http.get(url, { agent: false }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', d => { body += d })
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }))
    })
    req.setTimeout(ms, () => req.destroy(new Error(`GET ${url}: no answer within ${ms} ms`)))
    req.on('error', reject)
  })
}

module.exports = { main, t, autobahn, join, joiner, expectAbort, callError, sleep, until, httpGet, Failure }
