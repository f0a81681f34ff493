'use strict'
// routerctl.js: start and stop the reference router (deploy/router/router.js) for a test.
//
//   const routerctl = require('<repo>/tests/lib/routerctl')
//   const r = await routerctl.start({
//     realms: ['realm1', 'realm2'],          // default ['realm1']
//     principals: {...},                     // principals file content; default routerctl.DEFAULT_PRINCIPALS
//     ws: true, rawsocket: true,             // listeners (127.0.0.1, port 0); default both
//     wss: false, rawsocketTls: false,       // TLS listeners (HOST, port 0; true = 127.0.0.1); default none
//     tls: {cert, key, clientCa},            // their PEM files (tests/lib/certs.js makes them)
//     args: ['--test-switches'],             // extra router flags
//     crossbarConfig: FILE,                  // --crossbar-config FILE (no --realms; ws and rawsocket default
//                                            // off, the principals file is then for the extra listeners)
//     readyTimeoutMs: 15000,
//     spawn: argv => child,                  // how to run router.js with argv (default spawnRouter; a test
//                                            // runs it in a network namespace this way)
//   })
//   r.url          'ws://127.0.0.1:PORT/ws'  (null without ws)
//   r.ws           {host, port} | null;  r.rawsocket {host, port} | null
//   r.wss, r.rawsocketTls  {host, port} | null;  r.wssUrl 'wss://127.0.0.1:PORT/ws' (null without wss)
//   r.epoch, r.pid, r.dir (temp dir, removed by stop), r.principalsFile
//   r.stderr()     router stderr so far (string)
//   await r.stop() SIGTERM, then SIGKILL after 5 s; resolves {code, signal, stderr}; idempotent
//   await r.stopChecked()  the same, and throws if the router logged a BUG on the way
//   routerctl.DEFAULT_PRINCIPALS / routerctl.SECRETS   the default users and their secrets
//   routerctl.withTimeout(ms, name)  arms a global test timeout (exit 1 with a message)
//   routerctl.spawnRouter(argv)      runs router.js with raw argv (for CLI tests); returns the child
//   await routerctl.runRouter(argv, ms)  the same to its exit: {code, signal, stdout, stderr} (fails after ms)
//   routerctl.spawnTracked(cmd, argv, opts)  spawns any child that is killed by pid when the test exits
//   await routerctl.freePort()       a port free on 127.0.0.1 now
//
// Every router started here is killed BY PID when the test process exits, however it exits
// (normal exit, uncaught error, SIGINT/SIGTERM). Nothing is ever killed by name.

const { spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const ROOT = path.resolve(__dirname, '..', '..')
const ROUTER_JS = path.join(ROOT, 'deploy', 'router', 'router.js')

const SECRETS = {
  alice: 'alice-ticket-0123', // ticket, authrole user
  bob: 'bob-cra-secret-4567', // wampcra, authrole admin
  metad: 'metad-ticket-89ab', // ticket, authrole metad (the meta role)
  metacra: 'metacra-secret-cdef' // wampcra, authrole metad
}

const DEFAULT_PRINCIPALS = {
  principals: [
    { authid: 'alice', authrole: 'user', ticket: SECRETS.alice },
    { authid: 'bob', authrole: 'admin', wampcra: SECRETS.bob },
    { authid: 'metad', authrole: 'metad', ticket: SECRETS.metad },
    { authid: 'metacra', authrole: 'metad', wampcra: SECRETS.metacra }
  ],
  anonymous_realms: ['realm1']
}

const live = new Set() // child processes not yet reaped

function killAllSync () {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL')
    } catch (e) { /* already gone */ }
  }
}
process.on('exit', killAllSync)
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAllSync()
    process.exit(130)
  })
}

// SIGTERM to a child started here, SIGKILL if it is still there after timeoutMs; resolves {code, signal}.
async function stopChild (child, exited, timeoutMs = 5000) {
  if (child.exitCode === null && child.signalCode === null) {
    try { process.kill(child.pid, 'SIGTERM') } catch (e) { /* gone */ }
    const timer = setTimeout(() => {
      try { process.kill(child.pid, 'SIGKILL') } catch (e) { /* gone */ }
    }, timeoutMs)
    await exited
    clearTimeout(timer)
  }
  return exited
}

// Spawns any process that must not outlive the test (killed by pid at exit, like the routers).
function spawnTracked (command, argv, options = {}) {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  live.add(child)
  child.on('exit', () => live.delete(child))
  return child
}

function spawnRouter (argv) {
  return spawnTracked(process.execPath, [ROUTER_JS, ...argv])
}

function runRouter (argv, ms = 10000) {
  return new Promise((resolve, reject) => {
    const child = spawnRouter(argv)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    const timer = setTimeout(() => {
      process.kill(child.pid, 'SIGKILL')
      reject(new Error(`router ${argv.join(' ')} did not exit within ${ms} ms`))
    }, ms)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

function start (options = {}) {
  const spawn = options.spawn || spawnRouter
  const realms = options.realms || ['realm1']
  const principals = options.principals || DEFAULT_PRINCIPALS
  const cb = options.crossbarConfig
  const useWs = cb ? options.ws === true : options.ws !== false
  const useRaw = cb ? options.rawsocket === true : options.rawsocket !== false
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'routerctl-'))
  const principalsFile = path.join(dir, 'principals.json')
  fs.writeFileSync(principalsFile, JSON.stringify(principals, null, 2))
  const argv = cb ? ['--crossbar-config', cb, '--principals', principalsFile]
    : ['--realms', realms.join(','), '--principals', principalsFile]
  if (useWs) argv.push('--ws', '127.0.0.1:0')
  if (useRaw) argv.push('--rawsocket', '127.0.0.1:0')
  const tlsHost = v => `${v === true ? '127.0.0.1' : v}:0`
  if (options.wss) argv.push('--wss', tlsHost(options.wss))
  if (options.rawsocketTls) argv.push('--rawsocket-tls', tlsHost(options.rawsocketTls))
  if (options.tls) {
    argv.push('--tls-cert', options.tls.cert, '--tls-key', options.tls.key)
    if (options.tls.clientCa) argv.push('--tls-client-ca', options.tls.clientCa)
  }
  argv.push(...(options.args || []))
  const child = spawn(argv)
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', d => { stderr += d })
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))

  const handle = {
    pid: child.pid,
    dir,
    principalsFile,
    url: null,
    ws: null,
    rawsocket: null,
    wss: null,
    wssUrl: null,
    rawsocketTls: null,
    epoch: null,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async (timeoutMs = 5000) => {
      if (!handle._stopped) {
        handle._stopped = (async () => {
          const res = await stopChild(child, exited, timeoutMs)
          fs.rmSync(dir, { recursive: true, force: true })
          return { code: res.code, signal: res.signal, stderr }
        })()
      }
      return handle._stopped
    },
    stopChecked: async () => {
      const res = await handle.stop()
      if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
      return res
    }
  }

  return new Promise((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs || 15000
    const timer = setTimeout(() => {
      handle.stop()
      reject(new Error(`router did not print its ready line within ${timeoutMs} ms; stderr:\n${stderr}`))
    }, timeoutMs)
    child.stdout.on('data', d => {
      stdout += d
      const nl = stdout.indexOf('\n')
      if (nl < 0 || handle.epoch) return
      const line = stdout.slice(0, nl)
      const m = /^ready((?: \w+=\S+)+)$/.exec(line)
      clearTimeout(timer)
      if (!m) {
        handle.stop()
        reject(new Error(`unexpected first stdout line from the router: ${JSON.stringify(line)}`))
        return
      }
      const kv = {}
      for (const part of m[1].trim().split(' ')) {
        const i = part.indexOf('=')
        kv[part.slice(0, i)] = part.slice(i + 1)
      }
      const hp = s => {
        const j = s.lastIndexOf(':')
        return { host: s.slice(0, j).replace(/^\[|\]$/g, ''), port: Number(s.slice(j + 1)) }
      }
      if (kv.ws) {
        handle.ws = hp(kv.ws)
        handle.url = `ws://${kv.ws}/ws`
      }
      if (kv.rawsocket) handle.rawsocket = hp(kv.rawsocket)
      if (kv.wss) {
        handle.wss = hp(kv.wss)
        handle.wssUrl = `wss://${kv.wss}/ws`
      }
      if (kv.rawsocket_tls) handle.rawsocketTls = hp(kv.rawsocket_tls)
      handle.epoch = kv.epoch
      resolve(handle)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (!handle.epoch) {
        fs.rmSync(dir, { recursive: true, force: true })
        reject(new Error(`router exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`))
      }
    })
  })
}

// A TCP port free on 127.0.0.1 now (for configurations that name their ports, as Crossbar's do).
function freePort () {
  return new Promise((resolve, reject) => {
    const srv = require('net').createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function withTimeout (ms, name) {
  const t = setTimeout(() => {
    process.stderr.write(`FAIL ${name || path.basename(process.argv[1])}: global timeout of ${ms} ms exceeded\n`)
    process.exit(1)
  }, ms)
  t.unref()
  return t
}

module.exports = { start, freePort, spawnRouter, runRouter, spawnTracked, stopChild, withTimeout, DEFAULT_PRINCIPALS, SECRETS, ROUTER_JS, ROOT }
