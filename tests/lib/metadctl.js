'use strict'
// metadctl.js: start and stop wamp-metad next to a router started by routerctl.js.
//
//   const metadctl = require('<repo>/tests/lib/metadctl')
//   const m = await metadctl.start(router, {
//     realms: ['realm1'],            // --realm for each (or allRealms: true)
//     authid: 'metad', secret: routerctl.SECRETS.metad, authmethod: 'ticket',
//     url: 'rs://HOST:PORT',         // default: the router's RawSocket listener
//     args: ['--log-level', 'debug'],
//     readyTimeoutMs: 15000,
//     waitReady: true,               // false: resolve once started (for a wamp-metad that cannot get ready)
//     env: {NAME: 'value'},          // added to this process's environment
//     bin: PATH                      // another wamp-metad binary than BIN (benchmarks side by side)
//   })
//   m.pid, m.stderr(), m.waitLog(regex, ms)   (resolves with the match once the log shows it)
//   await m.stop()  SIGTERM, SIGKILL after 5 s; resolves {code, signal, stderr, ms}; idempotent
//   metadctl.BIN     the binary: $WAMP_METAD_BIN (set by ctest), else build/test/src/daemon/wamp-metad
//
// start() resolves when wamp-metad logs "ready:" (mirror synced, every realm registered). Processes are
// killed BY PID when the test exits, however it exits.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { ROOT, SECRETS, spawnTracked, stopChild } = require('./routerctl')

const BIN = process.env.WAMP_METAD_BIN || path.join(ROOT, 'build', 'test', 'src', 'daemon', 'wamp-metad')

function start (router, options = {}) {
  const bin = options.bin || BIN
  if (!fs.existsSync(bin)) throw new Error(`wamp-metad binary not found at ${bin} (build it, or set WAMP_METAD_BIN)`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metadctl-'))
  const secretFile = path.join(dir, 'secret')
  fs.writeFileSync(secretFile, (options.secret || SECRETS.metad) + '\n', { mode: 0o600 })
  const url = options.url || `rs://${router.rawsocket.host}:${router.rawsocket.port}`
  const argv = ['--router', url, '--authid', options.authid || 'metad', '--authmethod', options.authmethod || 'ticket',
    '--secret-file', secretFile]
  if (options.allRealms) argv.push('--all-realms')
  for (const r of options.realms || (options.allRealms ? [] : ['realm1'])) argv.push('--realm', r)
  argv.push(...(options.args || []))
  const child = spawnTracked(bin, argv, options.env ? { env: { ...process.env, ...options.env } } : {})
  let stderr = ''
  const watchers = []
  child.stderr.on('data', d => {
    stderr += d
    for (const w of watchers.slice()) w()
  })
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))

  function waitLog (re, ms = 10000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(stderr)
        if (!m) return false
        watchers.splice(watchers.indexOf(check), 1)
        clearTimeout(timer)
        resolve(m)
        return true
      }
      const timer = setTimeout(() => {
        watchers.splice(watchers.indexOf(check), 1)
        reject(new Error(`wamp-metad did not log ${re} within ${ms} ms; its log:\n${stderr}`))
      }, ms)
      watchers.push(check)
      check()
    })
  }

  const handle = {
    pid: child.pid,
    argv,
    stderr: () => stderr,
    waitLog,
    exited,
    stop: async (timeoutMs = 5000) => {
      if (!handle._stopped) {
        handle._stopped = (async () => {
          const t0 = Date.now()
          const res = await stopChild(child, exited, timeoutMs)
          fs.rmSync(dir, { recursive: true, force: true })
          return { code: res.code, signal: res.signal, stderr, ms: Date.now() - t0 }
        })()
      }
      return handle._stopped
    }
  }
  if (options.waitReady === false) return Promise.resolve(handle)
  const ready = waitLog(/ ready: /, options.readyTimeoutMs || 15000)
  const died = exited.then(res => {
    throw new Error(`wamp-metad exited (${res.code ?? res.signal}) before it was ready; its log:\n${stderr}`)
  })
  return Promise.race([ready, died]).then(() => handle, async e => {
    await handle.stop()
    throw e
  })
}

module.exports = { start, BIN }
