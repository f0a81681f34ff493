'use strict'
// Command line: --help, configuration errors (one stderr line, exit 2), the ready line, listeners,
// signals, --internal-realm / --meta-role, --native-meta, and router.test.* only with --test-switches.

const fs = require('fs')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const certs = require('../lib/certs')
const kit = require('../lib/jskit')
const { join, expectAbort, callError, until } = kit

kit.main('router: command line', 90000, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-cli-'))
  const file = (name, content) => {
    const p = path.join(dir, name)
    fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
    return p
  }
  const good = file('good.json', routerctl.DEFAULT_PRINCIPALS)
  const c = certs.make()
  const tls = ['--tls-cert', c.server, '--tls-key', c.serverKey]
  const started = []
  try {
    await t.step('--help', async () => {
      const res = await routerctl.runRouter(['--help'])
      t.eq(res.code, 0, 'exit 0')
      t.ok(/usage: node router.js/.test(res.stdout) && /--rawsocket/.test(res.stdout), 'usage on stdout')
    })

    await t.step('configuration errors: one line on stderr, exit 2', async () => {
      const busy = await routerctl.start({ rawsocket: false })
      started.push(busy)
      const base = ['--realms', 'realm1', '--principals', good]
      const cases = [
        [['--bogus', ...base, '--ws', '127.0.0.1:0'], /unknown argument/],
        [[...base], /at least one of --ws, --rawsocket, --wss and --rawsocket-tls is required/],
        [['--ws', '127.0.0.1:0', '--principals', good], /--realms is required/],
        [['--ws', '127.0.0.1:0', '--realms', 'realm1'], /--principals is required/],
        [[...base, '--ws'], /--ws needs a value/],
        [[...base, '--ws', 'localhost'], /expected HOST:PORT/],
        [[...base, '--ws', '127.0.0.1:70000'], /out of range/],
        [[...base, '--rawsocket', '127.0.0.1:0', '--snapshot-page', '0'], /--snapshot-page/],
        [[...base, '--rawsocket', '127.0.0.1:0', '--hook-history', '-1'], /--hook-history: expected an integer 0\.\.10000000/],
        [[...base, '--rawsocket', '127.0.0.1:0', '--hook-history', 'many'], /--hook-history/],
        [[...base, '--ws', '127.0.0.1:0', '--log-level', 'loud'], /--log-level/],
        [['--realms', 'realm1,realm1', '--principals', good, '--ws', '127.0.0.1:0'], /listed twice/],
        [['--realms', 'bad realm', '--principals', good, '--ws', '127.0.0.1:0'], /invalid realm name/],
        [['--realms', 'router.internal', '--principals', good, '--ws', '127.0.0.1:0'], /internal realm/],
        [[...base, '--ws', '8.8.8.8:0'], /cannot listen: EADDRNOTAVAIL/],
        [[...base, '--ws', `127.0.0.1:${busy.ws.port}`], /cannot listen: EADDRINUSE/],
        [['--realms', 'realm1', '--principals', path.join(dir, 'missing.json'), '--ws', '127.0.0.1:0'], /cannot read/],
        [['--realms', 'realm1', '--principals', file('bad.json', '{"principals": ['), '--ws', '127.0.0.1:0'], /not valid JSON/],
        [['--realms', 'realm1', '--principals', file('list.json', []), '--ws', '127.0.0.1:0'], /must be an object/],
        [['--realms', 'realm1', '--principals', file('notlist.json', { principals: {} }), '--ws', '127.0.0.1:0'], /must be a list/],
        [['--realms', 'realm1', '--principals', file('dup.json', { principals: [
          { authid: 'a', authrole: 'r', ticket: 'x' }, { authid: 'a', authrole: 'r', ticket: 'y' }] }),
        '--ws', '127.0.0.1:0'], /duplicate authid 'a'/],
        [['--realms', 'realm1', '--principals', file('nosecret.json', { principals: [{ authid: 'a', authrole: 'r' }] }),
          '--ws', '127.0.0.1:0'], /neither "ticket" nor "wampcra"/],
        [['--realms', 'realm1', '--principals', file('norole.json', { principals: [{ authid: 'a', ticket: 'x' }] }),
          '--ws', '127.0.0.1:0'], /authrole must be a non-empty string/],
        [['--realms', 'realm1', '--principals', file('anon.json', { anonymous_realms: 'realm1' }),
          '--ws', '127.0.0.1:0'], /anonymous_realms/],
        [[...base, '--ws', '127.0.0.1:0', '--web', path.join(dir, 'no-such-dir')],
          /--web: cannot read the directory .*no-such-dir: ENOENT/],
        [[...base, '--ws', '127.0.0.1:0', '--web', good], /--web: .*good\.json is not a directory/],
        [[...base, '--rawsocket', '127.0.0.1:0', '--web', dir], /--web needs --ws/],
        [[...base, '--ws', '127.0.0.1:0', '--web'], /--web needs a value/],
        [[...base, '--wss', '127.0.0.1:0'], /--wss and --rawsocket-tls need --tls-cert and --tls-key \(no --tls-cert\)/],
        [[...base, '--rawsocket-tls', '127.0.0.1:0', '--tls-cert', c.server], /need --tls-cert and --tls-key \(no --tls-key\)/],
        [[...base, '--ws', '127.0.0.1:0', ...tls], /--tls-cert needs a TLS listener \(--wss or --rawsocket-tls\)/],
        [[...base, '--ws', '127.0.0.1:0', '--tls-client-ca', c.ca], /--tls-client-ca needs a TLS listener/],
        [[...base, '--wss', '127.0.0.1:0', '--tls-cert', path.join(dir, 'none.pem'), '--tls-key', c.serverKey],
          /--tls-cert: cannot read .*none\.pem: ENOENT/],
        [[...base, '--wss', '127.0.0.1:0', '--tls-cert', c.server, '--tls-key', c.clientKey], /not usable: .*key values mismatch/],
        [[...base, '--rawsocket-tls', '127.0.0.1:0', ...tls, '--tls-client-ca', good], /not usable/],
        [[...base, '--rawsocket-tls', '127.0.0.1:0', ...tls, '--web', dir], /--web needs --ws or --wss/]
      ]
      for (const [argv, re] of cases) {
        const res = await routerctl.runRouter(argv)
        const lines = res.stderr.split('\n').filter(Boolean)
        t.eq(res.code, 2, `exit code for ${argv.join(' ')} (stderr ${res.stderr})`)
        t.eq(lines.length, 1, `one stderr line for ${argv.join(' ')}: ${res.stderr}`)
        t.ok(re.test(lines[0]), `message for ${argv.join(' ')}: ${lines[0]}`)
        t.eq(res.stdout, '', 'nothing on stdout')
      }
    })

    await t.step('ready line and listeners; extra principal keys tolerated', async () => {
      const p = file('extra.json', { comment: 'x', principals: [{ authid: 'a', authrole: 'metad', ticket: 't', note: 1 }] })
      const child = routerctl.spawnRouter(['--rawsocket', '127.0.0.1:0', '--realms', 'r1', '--principals', p])
      const line = await new Promise((resolve, reject) => {
        let out = ''
        child.stdout.on('data', d => {
          out += d
          if (out.includes('\n')) resolve(out.split('\n')[0])
        })
        child.on('exit', () => reject(new Error('exited')))
      })
      t.ok(/^ready rawsocket=127\.0\.0\.1:\d+ epoch=[0-9a-f]{16}$/.test(line), `rawsocket-only ready line: ${line}`)
      const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))
      process.kill(child.pid, 'SIGINT')
      t.eq(await exited, { code: 0, signal: null }, 'SIGINT exits 0')
      const r = await routerctl.start({ rawsocket: false })
      started.push(r)
      t.ok(/^ready ws=127\.0\.0\.1:\d+ epoch=[0-9a-f]{16}\n$/.test(r.stdout()), `ws-only ready line: ${r.stdout()}`)
      const both = await routerctl.start({})
      started.push(both)
      t.ok(/^ready ws=127\.0\.0\.1:\d+ rawsocket=127\.0\.0\.1:\d+ epoch=[0-9a-f]{16}\n$/.test(both.stdout()), 'both')
      t.ok(both.epoch !== r.epoch, 'a new epoch per start')
      const secure = await routerctl.start({ ws: false, rawsocket: false, wss: true, rawsocketTls: true,
        tls: { cert: c.server, key: c.serverKey, clientCa: c.ca } })
      started.push(secure)
      t.ok(/^ready wss=127\.0\.0\.1:\d+ rawsocket_tls=127\.0\.0\.1:\d+ epoch=[0-9a-f]{16}\n$/.test(secure.stdout()),
        `TLS-only ready line: ${secure.stdout()}`)
      await until(() => /tls-client-ca \(client certificates required\)/.test(secure.stderr()), 5000,
        'the log line that says client certificates are required')
      const res = await both.stop()
      t.eq([res.code, res.signal], [0, null], 'SIGTERM exits 0')
    })

    await t.step('--internal-realm, --meta-role, test switches off by default', async () => {
      const principals = { principals: [{ authid: 'side', authrole: 'sidecar', ticket: 's' },
        { authid: 'metad', authrole: 'metad', ticket: 'm' }], anonymous_realms: ['app'] }
      const r = await routerctl.start({ realms: ['app'], principals,
        args: ['--internal-realm', 'ops.hooks', '--meta-role', 'sidecar', '--log-level', 'warn'] })
      started.push(r)
      const base = { url: r.url, serializer: 'json' }
      t.eq(await expectAbort({ ...base, realm: 'router.internal', authid: 'side', ticket: 's' }),
        'wamp.error.no_such_realm', 'default internal realm not served')
      t.eq(await expectAbort({ ...base, realm: 'ops.hooks', authid: 'metad', ticket: 'm' }),
        'wamp.error.not_authorized', 'authrole metad is not the meta role here')
      const side = await join({ ...base, realm: 'ops.hooks', authid: 'side', ticket: 's' })
      const [epoch, seq] = (await side.session.call('router.session.sync')).args
      t.eq([epoch, seq], [r.epoch, 0], 'sync on the custom internal realm')
      const e = await callError(side.session.call('router.test.skip_seq', [1]))
      t.eq(e.error, 'wamp.error.no_such_procedure', 'no test switches without --test-switches')
      const app = await join({ ...base, realm: 'app', authid: 'side', ticket: 's' })
      await app.session.register('wamp.session.count', () => 1)
      const anon = await join({ ...base, realm: 'app' })
      const e2 = await callError(anon.session.call('wamp.session.list'))
      t.eq(e2.error, 'wamp.error.no_such_procedure', 'no native meta API by default')
      for (const s of [side, app, anon]) s.connection.close()
    })

    await t.step('--native-meta', async () => {
      const r = await routerctl.start({ args: ['--native-meta'] })
      started.push(r)
      const anon = await join({ url: r.url, serializer: 'msgpack', realm: 'realm1' })
      const n = await anon.session.call('wamp.session.count')
      t.ok(Number.isInteger(n), `fox's wamp.session.count answers: ${n}`)
      const meta = await join({ url: r.url, serializer: 'msgpack', realm: 'realm1', authid: 'metad',
        ticket: routerctl.SECRETS.metad })
      const e = await callError(meta.session.register('wamp.session.count', () => 0))
      t.eq(e.error, 'wamp.error.procedure_already_exists', 'names taken by the native API')
      anon.connection.close()
      meta.connection.close()
    })

    await t.step('--native-meta with --test-switches: fabricated sessions fox-wamp counts too', async () => {
      const r = await routerctl.start({ args: ['--native-meta', '--test-switches'] })
      started.push(r)
      const anon = await join({ url: r.url, serializer: 'msgpack', realm: 'realm1' })
      const internal = await join({ url: r.url, serializer: 'msgpack', realm: 'router.internal', authid: 'metad',
        ticket: routerctl.SECRETS.metad })
      const joined = []
      await internal.session.subscribe('router.session.joined', ([h]) => joined.push(h.session))
      const count = () => anon.session.call('wamp.session.count')
      const before = await count()
      const plain = (await internal.session.call('router.test.fabricate', ['realm1', 10]))
      t.eq(await count(), before, 'plain fabricated sessions are not fox-wamp sessions')
      const ids = await internal.session.call('router.test.fabricate', ['realm1', 3000], { native: true })
      t.eq(ids.length, 3000, 'native fabricate returns the ids')
      t.eq(await count(), before + 3000, "fox-wamp's wamp.session.count counts them")
      const listed = new Set(await anon.session.call('wamp.session.list'))
      t.ok(ids.every(id => listed.has(id)), "fox-wamp's wamp.session.list lists them")
      t.eq(await anon.session.call('wamp.session.get', [ids[0]]), { session: ids[0] }, 'and its get answers for one')
      await until(() => joined.length === 3010, 10000, 'a joined hook for each fabricated session')
      t.ok(ids.every(id => joined.includes(id)) && plain.every(id => joined.includes(id)), 'hooks name them')
      t.eq(await internal.session.call('router.session.kill', [ids[0], null, null]), true, 'kill one')
      t.eq(await count(), before + 2999, 'a killed one leaves fox-wamp too')
      t.eq(await internal.session.call('router.test.unfabricate', ['realm1']), 3009, 'unfabricate removes the rest')
      t.eq(await count(), before, 'and fox-wamp no longer counts them')
      const bad = await callError(internal.session.call('router.test.fabricate', ['realm1', 1], { native: 'yes' }))
      t.eq(bad.error, 'wamp.error.invalid_argument', 'native must be a boolean')
      anon.connection.close()
      internal.connection.close()
    })
  } finally {
    for (const r of started) {
      const res = await r.stop()
      if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
    }
    fs.rmSync(dir, { recursive: true, force: true })
    c.remove()
  }
})
