'use strict'
// The router's --crossbar-config: configurations written here in Crossbar's shape (config.json, version 2), one
// per family of keys, served as they are to Autobahn|JS (a web transport with a static path outside the
// configuration's folder and a websocket path, RawSocket, roles with disclose and cache, ticket and wampcra
// principals, TLS), and every refusal: exit 2 with one line per key, naming its path in the file.

const fs = require('fs')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const certs = require('../lib/certs')
const kit = require('../lib/jskit')

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crossbar-config-'))
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }))
const cbdir = path.join(work, 'project', '.crossbar')
const site = path.join(work, 'project', 'web') // beside .crossbar, as Crossbar projects have it: "../web"
fs.mkdirSync(cbdir, { recursive: true })
fs.mkdirSync(site)
fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>crossbar site</title>\n')

const ALL = { call: true, register: true, publish: true, subscribe: true }
const SECRET = { joe: 'joe-ticket-1234', svc: 'svc-cra-secret-5678', ghost: 'ghost-ticket-0000' }

let n = 0
function writeConfig (doc) {
  const file = path.join(cbdir, `config${n++}.json`)
  fs.writeFileSync(file, JSON.stringify(doc, null, 2))
  return file
}

function router (realms, transports) {
  return { version: 2, controller: {}, workers: [{ type: 'router', realms, transports }] }
}

// Starts the router on a configuration; the meta role's principal on an extra RawSocket listener, as run-local
// adds it.
function start (doc) {
  return routerctl.start({ crossbarConfig: writeConfig(doc), rawsocket: true,
    principals: { principals: [{ authid: 'metad', authrole: 'metad', ticket: routerctl.SECRETS.metad }] } })
}

async function refused (t, doc, lines) {
  const res = await routerctl.runRouter(['--crossbar-config', writeConfig(doc)])
  t.eq(res.code, 2, `exit code for ${lines[0]}; stderr: ${res.stderr}`)
  for (const line of lines) t.ok(res.stderr.includes(line), `stderr names ${JSON.stringify(line)}:\n${res.stderr}`)
  t.eq(res.stdout, '', 'no ready line')
}

kit.main('router: --crossbar-config', 110000, async t => {
  const [webPort, rsPort, tlsPort] = [await routerctl.freePort(), await routerctl.freePort(), await routerctl.freePort()]
  const c = certs.make()
  const auth = {
    anonymous: { type: 'static', role: 'anonymous' },
    ticket: { type: 'static', principals: { joe: { ticket: SECRET.joe, role: 'frontend' },
      ghost: { ticket: SECRET.ghost, role: 'nobody-here' } } },
    wampcra: { type: 'static', users: { svc: { secret: SECRET.svc, role: 'backend' } } }
  }
  const main = router([{ name: 'realm1', roles: [
    { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: ALL,
      disclose: { caller: false, publisher: false }, cache: true }] },
    { name: 'frontend', permissions: [{ uri: 'com.example.*', allow: ALL, disclose: { caller: true, publisher: true },
      cache: false }] },
    { name: 'backend', permissions: [{ uri: 'com.example.', match: 'prefix', allow: { register: true, subscribe: true } }] }
  ] }], [
    { type: 'web', endpoint: { type: 'tcp', port: webPort, interface: '127.0.0.1' },
      paths: { '/': { type: 'static', directory: '../web' }, ws: { type: 'websocket', auth },
        lp: { type: 'longpoll' } } },
    { type: 'rawsocket', endpoint: { type: 'tcp', port: rsPort, interface: '127.0.0.1' },
      serializers: ['json', 'cbor'], auth: { ticket: auth.ticket } },
    { type: 'websocket', endpoint: { type: 'tcp', port: tlsPort, interface: '127.0.0.1',
      tls: { key: c.serverKey, certificate: c.server } }, auth: { wampcra: auth.wampcra } },
    { type: 'rawsocket', endpoint: { type: 'unix', path: 'router.sock' } }
  ])
  const r = await start(main)
  const url = `ws://127.0.0.1:${webPort}/ws`
  const { join, closeAll } = kit.joiner({ realm: 'realm1', url })
  try {
    await t.step('skipped keys are named in one warning line each', async () => {
      t.ok(/warn: .*workers\[0\]\.transports\[0\]\.paths\.lp: web path type 'longpoll' is not served here; skipped/
        .test(r.stderr()), r.stderr())
      t.ok(/warn: .*workers\[0\]\.transports\[1\]\.serializers\[1\]: serializer 'cbor'/.test(r.stderr()), r.stderr())
      t.ok(/warn: .*: controller: /.test(r.stderr()), r.stderr())
    })

    await t.step('web transport: the static folder outside .crossbar on "/", WAMP only on the websocket path', async () => {
      const page = await kit.httpGet(`http://127.0.0.1:${webPort}/`)
      t.eq(page.status, 200, 'GET /')
      t.ok(page.body.includes('crossbar site'), 'the page from ../web')
      t.eq((await kit.httpGet(`http://127.0.0.1:${webPort}/nothing.html`)).status, 404, 'a missing file')
      for (const serializer of ['json', 'msgpack']) {
        const a = await join({ serializer })
        t.eq(a.welcome.authrole, 'anonymous', `anonymous over ${serializer}`)
      }
      let failed = false
      try {
        await kit.join({ url: `ws://127.0.0.1:${webPort}/elsewhere`, realm: 'realm1' })
      } catch (e) {
        failed = true
      }
      t.ok(failed, 'no WebSocket on a path the configuration does not name')
    })

    await t.step('ticket over RawSocket, wampcra over TLS, a unix endpoint, roles the realm lacks', async () => {
      const joe = await join({ url: undefined, rawsocket: { host: '127.0.0.1', port: rsPort }, serializer: 'json',
        authid: 'joe', ticket: SECRET.joe })
      t.eq([joe.welcome.authid, joe.welcome.authrole], ['joe', 'frontend'], 'joe')
      t.eq(await kit.expectAbort({ rawsocket: { host: '127.0.0.1', port: rsPort }, realm: 'realm1',
        serializer: 'json', authid: 'joe', ticket: 'wrong' }), 'wamp.error.authentication_failed', 'wrong ticket')
      t.eq(await kit.expectAbort({ url, realm: 'realm1', authid: 'ghost', ticket: SECRET.ghost }),
        'wamp.error.no_such_role', 'a role realm1 does not have')
      const svc = await join({ url: `wss://127.0.0.1:${tlsPort}/`, authid: 'svc', wampcra: SECRET.svc,
        tls: { ca: fs.readFileSync(c.ca) } })
      t.eq(svc.welcome.authrole, 'backend', 'svc over TLS')
      const local = await join({ url: undefined, rawsocket: { path: path.join(cbdir, 'router.sock') } })
      t.eq(local.welcome.authrole, 'anonymous', 'RawSocket on a unix endpoint, its path relative to the file\'s folder')
      t.eq(await kit.expectAbort({ url: `wss://127.0.0.1:${tlsPort}/`, realm: 'realm1', tls: { ca: fs.readFileSync(c.ca) } }),
        'wamp.error.no_auth_method', 'no anonymous where the transport lists only wampcra')
    })

    await t.step('disclose: the caller and the publisher where their permission says so, not elsewhere', async () => {
      const svc = await join({ authid: 'svc', wampcra: SECRET.svc })
      const joe = await join({ authid: 'joe', ticket: SECRET.joe })
      const anon = await join({})
      const seen = []
      await svc.session.register('com.example.who', (args, kwargs, details) =>
        [details.caller || null, details.caller_authid || null, details.caller_authrole || null])
      await svc.session.subscribe('com.example.news', (args, kwargs, details) =>
        seen.push([args[0], details.publisher || null, details.publisher_authid || null]))
      t.eq(await joe.session.call('com.example.who'), [joe.session.id, 'joe', 'frontend'], 'joe is disclosed')
      t.eq(await anon.session.call('com.example.who'), [null, null, null], 'anonymous is not')
      await joe.session.publish('com.example.news', ['joe'], {}, { acknowledge: true })
      await anon.session.publish('com.example.news', ['anon'], {}, { acknowledge: true })
      await kit.until(() => seen.length === 2, 5000, 'both events')
      t.eq(seen, [['joe', joe.session.id, 'joe'], ['anon', null, null]], 'the publisher is disclosed for joe only')
      const e = await kit.callError(svc.session.call('com.example.who'))
      t.eq(e.error, 'wamp.error.not_authorized', 'backend may not call')
    })
    await closeAll()
    await r.stopChecked()

    await t.step('refusals: exit 2, each key with its path in the file', async () => {
      const realm = [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [] }] }]
      const web = p => [{ type: 'web', endpoint: { type: 'tcp', port: webPort }, paths: p }]
      await refused(t, { ...router(realm, []), surprise: 1 }, ["surprise: unknown key 'surprise' in the configuration"])
      await refused(t, { ...router(realm, []), version: 1 }, ['version: must be 2'])
      await refused(t, router(realm, [{ type: 'rawsocket', endpoint: { type: 'tcp', port: '8080' } },
        { type: 'rawsocket', endpoint: { type: 'tcp', port: 8081, interface: 7 } }]),
      ['workers[0].transports[0].endpoint.port: must be an integer 1..65535, got string "8080"',
        'workers[0].transports[1].endpoint.interface: must be a non-empty string, got number 7'])
      await refused(t, router(realm, web({ '/': { type: 'static', directory: '../no-such-folder' } })),
        ['workers[0].transports[0].paths["/"].directory: cannot read the directory', 'ENOENT'])
      await refused(t, router([{ name: 'realm1', roles: [{ name: 'user', authorizer: 'com.example.authorize' }] }], []),
        ['workers[0].realms[0].roles[0].authorizer: a dynamic authorizer is not called here'])
      await refused(t, router([{ name: 'realm1', roles: [{ name: 'user', permissions: [{ uri: 'com.x', allow: { call: 'yes' },
        disclose: { caller: 1 }, cache: 'no', validate: { call: 'int' } }] }] }], []),
      ['workers[0].realms[0].roles[0].permissions[0].validate: payload validation is not implemented here',
        'workers[0].realms[0].roles[0].permissions[0].allow.call must be true or false, got "yes"',
        'workers[0].realms[0].roles[0].permissions[0].disclose.caller must be true or false, got 1',
        'workers[0].realms[0].roles[0].permissions[0].cache must be true or false, got "no"'])
      await refused(t, router(realm, [{ type: 'websocket', endpoint: { type: 'tcp', port: webPort },
        auth: { cryptosign: { type: 'static' }, ticket: { type: 'dynamic', authenticator: 'com.example.auth' } },
        options: { allowed_origins: ['https://example.com'] } }]),
      ["workers[0].transports[0].auth.cryptosign: authentication method 'cryptosign' is not implemented here",
        'workers[0].transports[0].auth.ticket.authenticator: dynamic ticket authentication',
        'workers[0].transports[0].options.allowed_origins: checking the Origin header is not implemented here'])
      await refused(t, { version: 2, workers: [{ type: 'container', components: [] },
        { type: 'router', realms: realm, components: [{ type: 'class', classname: 'x.Y' }] }] },
      ["workers[0].type: worker type 'container' is not run here",
        'workers[1].components: components are not run here'])
      await refused(t, router(realm, web({ '/': { type: 'static', directory: '../web' }, x: { type: 'teleport' } })),
        ['workers[0].transports[0].paths.x.type: unknown web path type string "teleport"'])
      await refused(t, router(realm, [{ type: 'websocket', endpoint: { type: 'tcp', port: tlsPort,
        tls: { key: 'missing.key', certificate: c.server } } }]),
      [`workers[0].transports[0].endpoint.tls.key: cannot read ${path.join(cbdir, 'missing.key')}`])
      const res = await routerctl.runRouter(['--crossbar-config', path.join(work, 'none.json')])
      t.eq(res.code, 2, 'a missing file')
      t.ok(res.stderr.includes('--crossbar-config: cannot read'), res.stderr)
      const both = await routerctl.runRouter(['--crossbar-config', writeConfig(router(realm, [])), '--realms', 'realm1'])
      t.eq(both.code, 2, '--realms with --crossbar-config')
      t.ok(both.stderr.includes('--realms is not taken with --crossbar-config'), both.stderr)
    })
  } finally {
    await closeAll()
    await r.stop()
    c.remove()
  }
})
