'use strict'
// Role permissions of the principals file ("permissions"), with Autobahn|JS clients and a raw client: each
// action (call, register, publish, subscribe) allowed and denied through exact, prefix and wildcard
// permissions; the most specific permission wins (exact over prefix, the longer prefix over the shorter, any
// prefix over a wildcard, the wildcard with the longer fixed runs over another); roles the section does not
// list and realms it does not name; the meta role unrestricted; wamp.* reserved whatever the file says;
// PUBLISH refused silently without acknowledge; pattern subscriptions filtered per topic; testaments' topics;
// a malformed section (exit 2, every problem listed, keys given twice included); a file without the section (the start-up line, once);
// the production example of docs/operations.md decides as the text around it says.

const fs = require('fs')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const raw = require('../lib/rawwamp')
const kit = require('../lib/jskit')
const { join, callError, until } = kit
const { parsePermissions } = require(path.join(routerctl.ROOT, 'deploy', 'router', 'lib', 'permissions'))

const ALL = { call: true, register: true, publish: true, subscribe: true }
const prefix = (uri, allow) => ({ uri, match: 'prefix', allow })
const wildcard = (uri, allow) => ({ uri, match: 'wildcard', allow })
const exact = (uri, allow) => ({ uri, allow }) // match defaults to exact

const PRINCIPALS = {
  ...routerctl.DEFAULT_PRINCIPALS,
  anonymous_realms: ['realm1', 'realm3'],
  permissions: {
    realm1: {
      user: [
        prefix('com.app.', ALL),
        prefix('com.app.secret.', {}), // a longer prefix denies inside the shorter one's allow
        exact('com.app.secret.open', ALL), // an exact allow inside that deny
        exact('com.app.closed', { call: false }), // an exact deny inside the allowed prefix
        prefix('com.app.feed.private', {}),
        prefix('com.ro.', { call: true, subscribe: true }), // some actions only
        wildcard('com.wild..get', ALL),
        prefix('com.wild.x.', {}), // any prefix beats any wildcard
        wildcard('com.tie...c', { call: true }), // runs 2, 0, 1
        wildcard('com.tie.b..', {}), // runs 3, 0, 0: wins over the one above where both match
        wildcard('com.tie..x.c', { call: true, register: true }), // runs 2, 2: wins over com.tie...c
        prefix('wamp.', ALL) // cannot lift the reservation of wamp.* for register and publish
      ],
      anonymous: [prefix('com.app.public.', { call: true, subscribe: true })]
    },
    realm2: {} // restricted: every role but the meta role may do nothing
    // realm3: not named, so not restricted
  }
}

// A principals file in the test's directory.
function writeFile (dir, name, content) {
  const p = path.join(dir, name)
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
  return p
}

kit.main('router: role permissions', 90000, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-perm-'))
  const r = await routerctl.start({ realms: ['realm1', 'realm2', 'realm3'], principals: PRINCIPALS })
  const open = []
  const j = async o => {
    const s = await join({ url: r.url, serializer: 'json', realm: 'realm1', ...o })
    open.push(s)
    return s
  }
  const alice = { authid: 'alice', ticket: routerctl.SECRETS.alice }
  const bob = { authid: 'bob', wampcra: routerctl.SECRETS.bob }
  const meta = { authid: 'metad', ticket: routerctl.SECRETS.metad }
  // The error of a refused request: not_authorized, with the message naming action, URI, role and realm.
  const refused = async (promise, message, what) => {
    const e = await callError(promise)
    t.eq([e.error, e.args], ['wamp.error.not_authorized', [message]], what)
  }
  const deny = (role, verb, uri, realm = 'realm1') => `role '${role}' may not ${verb} '${uri}' on realm '${realm}'`
  try {
    await t.step('start-up log: one line per realm, warnings for what may be a typo', async () => {
      const log = await until(() => r.stderr().includes("realm 'realm3'") && r.stderr(), 5000, 'the start-up log')
      t.ok(log.includes("realm 'realm1': permissions for role(s) anonymous, user; any other role may do nothing"),
        `realm1 summary in:\n${log}`)
      t.ok(log.includes("realm 'realm2': permissions for no role"), 'realm2 summary')
      t.ok(/realm 'realm3' is not in the "permissions" of \S+: every role may call, register, publish and subscribe/
        .test(log), 'realm3 summary')
      t.ok(/permissions\.realm1\.user\[11\]: register and publish of wamp\.\* stay reserved/.test(log),
        'wamp.* warning')
    })

    const m = await j(meta)
    const calls = []
    const procs = ['com.app.p', 'com.app.secret.p', 'com.app.secret.open', 'com.app.closed', 'com.ro.p',
      'com.wild.a.get', 'com.wild.x.get', 'com.wild.a.put', 'com.tie.b.x.c', 'com.tie.q.x.c', 'com.tie.q.y.c',
      'com.app.public.p', 'com.other']
    for (const uri of procs) await m.session.register(uri, () => { calls.push(uri); return uri })

    await t.step('call: exact, prefix and wildcard permissions; the most specific wins', async () => {
      const a = await j(alice)
      for (const uri of ['com.app.p', 'com.app.secret.open', 'com.ro.p', 'com.wild.a.get', 'com.tie.q.x.c',
        'com.tie.q.y.c']) {
        t.eq(await a.session.call(uri), uri, `user may call ${uri}`)
      }
      const denied = {
        'com.app.secret.p': 'a longer prefix deny over a shorter prefix allow',
        'com.app.closed': 'an exact deny over a prefix allow',
        'com.wild.x.get': 'a prefix deny over a wildcard allow',
        'com.wild.a.put': 'no permission matches',
        'com.tie.b.x.c': 'the wildcard with the longer first run',
        'com.other': 'nothing matches'
      }
      for (const [uri, why] of Object.entries(denied)) {
        await refused(a.session.call(uri), deny('user', 'call', uri), `user may not call ${uri}: ${why}`)
      }
      t.ok(!calls.some(c => Object.hasOwn(denied, c)), `a refused call reaches no callee: ${calls}`)
      // An unknown procedure the role may not call is refused as such, not reported missing.
      await refused(a.session.call('com.app.secret.none'), deny('user', 'call', 'com.app.secret.none'), 'missing')
      t.eq((await callError(a.session.call('com.app.none'))).error, 'wamp.error.no_such_procedure', 'allowed, missing')
    })

    await t.step('register: prefix and wildcard allowed and denied, before the duplicate check', async () => {
      const a = await j(alice)
      await a.session.register('com.app.mine', () => 'mine')
      t.eq(await m.session.call('com.app.mine'), 'mine', 'registered through the prefix')
      await a.session.register('com.wild.b.get', () => 'wild')
      t.eq(await m.session.call('com.wild.b.get'), 'wild', 'registered through the wildcard')
      await a.session.register('com.tie.z.x.c', () => 'tie')
      await refused(a.session.register('com.tie.z.y.c', () => 0), deny('user', 'register', 'com.tie.z.y.c'),
        'the wildcard that decides allows only call')
      await refused(a.session.register('com.app.secret.r', () => 0), deny('user', 'register', 'com.app.secret.r'),
        'prefix deny')
      await refused(a.session.register('com.ro.r', () => 0), deny('user', 'register', 'com.ro.r'), 'action not allowed')
      await refused(a.session.register('com.wild.x.get', () => 0), deny('user', 'register', 'com.wild.x.get'),
        'refused as not authorized although it exists')
      const dup = await callError(a.session.register('com.app.p', () => 0))
      t.eq(dup.error, 'wamp.error.procedure_already_exists', 'an allowed duplicate is still a duplicate')
    })

    await t.step('publish and subscribe: prefix and wildcard allowed and denied', async () => {
      const a = await j(alice)
      const b = await j(alice)
      const got = []
      const sub = async (s, uri, options) => s.session.subscribe(uri, (args, kw, details) =>
        got.push(details.topic || uri), options)
      await sub(b, 'com.app.t')
      await sub(b, 'com.wild.t.get')
      await sub(m, 'com.app.secret.t')
      await refused(sub(b, 'com.app.secret.t'), deny('user', 'subscribe to', 'com.app.secret.t'), 'subscribe denied')
      await refused(sub(b, 'com.wild.x.get'), deny('user', 'subscribe to', 'com.wild.x.get'), 'prefix over wildcard')
      await a.session.publish('com.app.t', [1], {}, { acknowledge: true })
      await a.session.publish('com.wild.t.get', [2], {}, { acknowledge: true })
      await refused(a.session.publish('com.app.secret.t', [3], {}, { acknowledge: true }),
        deny('user', 'publish to', 'com.app.secret.t'), 'publish with acknowledge: ERROR')
      await refused(a.session.publish('com.ro.t', [], {}, { acknowledge: true }),
        deny('user', 'publish to', 'com.ro.t'), 'publish not allowed where subscribe is')
      await a.session.publish('com.app.secret.t', [4]) // no acknowledge: nothing comes back, nothing delivered
      await m.session.publish('com.app.t', [5], {}, { acknowledge: true })
      await until(() => got.length >= 3, 5000, 'three events')
      await kit.sleep(100)
      t.eq(got, ['com.app.t', 'com.wild.t.get', 'com.app.t'], 'only the allowed publications arrive')
    })

    await t.step('pattern subscriptions: checked on the pattern, then on each topic they reach', async () => {
      const b = await j(alice)
      const got = []
      const sub = (uri, match) => b.session.subscribe(uri, (args, kw, details) => got.push(details.topic), { match })
      await refused(sub('com.app', 'prefix'), deny('user', 'subscribe to', 'com.app'), 'a pattern wider than allowed')
      await sub('com.app.feed', 'prefix')
      await sub('com.wild..get', 'wildcard')
      for (const topic of ['com.app.feed.news', 'com.app.feed.private.x', 'com.wild.y.get', 'com.wild.x.get']) {
        await m.session.publish(topic, [], {}, { acknowledge: true })
      }
      await until(() => got.length >= 2, 5000, 'two events')
      await kit.sleep(100)
      t.eq(got, ['com.app.feed.news', 'com.wild.y.get'], 'topics denied inside an allowed pattern are not delivered')
    })

    await t.step('anonymous, unlisted roles, unnamed and empty realms, the meta role', async () => {
      const anon = await j({})
      t.eq(await anon.session.call('com.app.public.p'), 'com.app.public.p', 'anonymous has its own permissions')
      await refused(anon.session.call('com.app.p'), deny('anonymous', 'call', 'com.app.p'), 'anonymous denied')
      const admin = await j(bob)
      await refused(admin.session.call('com.app.p'), deny('admin', 'call', 'com.app.p'), 'a role not listed: nothing')
      await refused(admin.session.subscribe('com.app.t', () => {}), deny('admin', 'subscribe to', 'com.app.t'),
        'a role not listed may not subscribe')
      const a2 = await j({ ...alice, realm: 'realm2' })
      await refused(a2.session.call('com.x'), deny('user', 'call', 'com.x', 'realm2'), 'realm2 lists no role')
      const m2 = await j({ ...meta, realm: 'realm2' })
      await m2.session.register('com.x', () => 'x')
      await m2.session.subscribe('com.x', () => {})
      await m2.session.publish('com.x', [], {}, { acknowledge: true })
      t.eq(await m2.session.call('com.x'), 'x', 'the meta role is not restricted')
      for (const who of [alice, bob, {}]) {
        const s = await j({ ...who, realm: 'realm3' })
        const uri = `com.free.${s.session.id}`
        await s.session.register(uri, () => 'free')
        await s.session.subscribe(uri, () => {})
        await s.session.publish(uri, [], {}, { acknowledge: true })
        t.eq(await s.session.call(uri), 'free', `realm3 is not restricted (${who.authid || 'anonymous'})`)
      }
    })

    await t.step('wamp.* stays reserved to the meta role whatever the file allows', async () => {
      const a = await j(alice)
      const e1 = await callError(a.session.register('wamp.session.count', () => 0))
      t.eq(e1.error, 'wamp.error.not_authorized', 'register wamp.* refused although allowed')
      const e2 = await callError(a.session.publish('wamp.session.on_join', [{}], {}, { acknowledge: true }))
      t.eq(e2.error, 'wamp.error.not_authorized', 'publish wamp.* refused although allowed')
      await m.session.register('wamp.session.count', () => 1)
      t.eq(await a.session.call('wamp.session.count'), 1, 'call wamp.* as allowed')
      const e3 = await callError((await j({ authid: 'metacra', wampcra: routerctl.SECRETS.metacra }))
        .session.register('wamp.session.count', () => 0))
      t.eq(e3.error, 'wamp.error.procedure_already_exists', 'a second meta registration is still refused')
    })

    await t.step('a testament is a publication: its topic needs the right to publish', async () => {
      const added = []
      await m.session.register('wamp.session.add_testament', args => { added.push(args[0]); return null })
      const a = await j(alice)
      await a.session.call('wamp.session.add_testament', ['com.app.will', [], {}])
      await refused(a.session.call('wamp.session.add_testament', ['com.ro.will', [], {}]),
        `${deny('user', 'publish to', 'com.ro.will')} (the topic of a testament)`, 'testament topic denied')
      t.eq(added, ['com.app.will'], 'only the allowed testament reaches the callee')
    })

    await t.step('raw: a refused PUBLISH without acknowledge gets no answer, with acknowledge an ERROR', async () => {
      const c = await raw.connect({ url: r.url, serializer: 'json' })
      try {
        await raw.hello(c, 'realm1')
        c.send([16, 1, {}, 'com.app.public.t', ['x']])
        c.send([32, 2, {}, 'com.app.public.t'])
        const next = await c.recv(3000)
        t.eq([next[0], next[1]], [33, 2], 'the next message answers the SUBSCRIBE')
        c.send([16, 3, { acknowledge: true }, 'com.app.public.t', ['x']])
        t.eq(await c.recv(3000), [8, 16, 3, {}, 'wamp.error.not_authorized',
          [deny('anonymous', 'publish to', 'com.app.public.t')]], 'ERROR for the acknowledged one')
      } finally {
        c.close()
      }
    })

    await t.step('a malformed section: exit 2, every problem on its own line', async () => {
      const bad = {
        ...routerctl.DEFAULT_PRINCIPALS,
        permissions: {
          'router.internal': {},
          'bad realm': {},
          realm1: {
            metad: [],
            '': [],
            user: [
              { uri: 'com.a', match: 'regex', allow: {} },
              { uri: 'com..a', allow: {} },
              { uri: 'com..a', match: 'prefix', allow: {} },
              { uri: 'com.a', match: 'wildcard', allow: {} },
              { uri: 'com.a', allow: { kill: true, call: 'yes' } },
              { uri: 'com.b', allow: {}, cache: 'yes', disclose: { caller: true }, validate: {} },
              { uri: 'com.c' },
              { uri: 'com.d', allow: {} },
              { uri: 'com.d', match: 'exact', allow: { call: true } },
              'com.e'
            ],
            admin: { uri: 'com.f' }
          },
          realm2: []
        }
      }
      const res = await routerctl.runRouter(['--ws', '127.0.0.1:0', '--realms', 'realm1,realm2', '--principals',
        writeFile(dir, 'bad.json', bad)])
      t.eq(res.code, 2, `exit code (stderr ${res.stderr})`)
      t.eq(res.stdout, '', 'nothing on stdout')
      const expected = [
        /permissions\.router\.internal: the internal realm is not restricted/,
        /permissions\.bad realm: 'bad realm' is not a realm name/,
        /permissions\.realm1\.metad: the meta role 'metad' is never restricted/,
        /permissions\.realm1: '' is not a role name/,
        /permissions\.realm1\.user\[0\]\.match: unknown match "regex"/,
        /permissions\.realm1\.user\[1\]\.uri 'com\.\.a' is not a URI .* for match exact/,
        /permissions\.realm1\.user\[2\]\.uri 'com\.\.a' is not a prefix/,
        /permissions\.realm1\.user\[3\]\.uri 'com\.a' is not a wildcard pattern/,
        /permissions\.realm1\.user\[4\]\.allow: unknown action 'kill'/,
        /permissions\.realm1\.user\[4\]\.allow\.call must be true or false, got "yes"/,
        /permissions\.realm1\.user\[5\]: unknown key 'validate'/,
        /permissions\.realm1\.user\[5\]\.cache must be true or false, got "yes"/,
        /permissions\.realm1\.user\[6\]\.allow must be an object/,
        /permissions\.realm1\.user\[8\]: duplicate of permissions\.realm1\.user\[7\]/,
        /permissions\.realm1\.user\[9\] must be an object/,
        /permissions\.realm1\.admin must be a list of permissions/,
        /permissions\.realm2 must be an object/
      ]
      const lines = res.stderr.split('\n').filter(Boolean)
      t.eq(lines.length, expected.length, `one line per problem:\n${res.stderr}`)
      for (const re of expected) {
        t.ok(lines.some(l => re.test(l) && l.startsWith(`router: error: --principals: ${dir}`)),
          `${re} in:\n${res.stderr}`)
      }
      // JSON.parse would keep the last of two equal keys: the router refuses them in the section.
      const twice = await routerctl.runRouter(['--ws', '127.0.0.1:0', '--realms', 'realm1', '--principals',
        writeFile(dir, 'twice.json', '{"principals": [], "permissions": {"realm1": {"user": [{"uri": "a.b", ' +
          '"allow": {"call": true, "call": false}}], "user": []}, "realm1": {}}}')])
      t.eq(twice.code, 2, `keys given twice: exit 2 (${twice.stderr})`)
      t.eq(twice.stderr.split('\n').filter(Boolean).map(l => l.replace(/^.*\.json: /, '')), [
        'permissions.realm1.user[0].allow: "call" is given twice (only the last would count)',
        'permissions.realm1: "user" is given twice (only the last would count)',
        'permissions: "realm1" is given twice (only the last would count)'
      ], 'each key given twice')
      const notObject = await routerctl.runRouter(['--ws', '127.0.0.1:0', '--realms', 'realm1', '--principals',
        writeFile(dir, 'list.json', { ...routerctl.DEFAULT_PRINCIPALS, permissions: [] })])
      t.eq(notObject.code, 2, 'permissions must be an object')
      t.ok(/"permissions" must be an object/.test(notObject.stderr), notObject.stderr)
    })

    await t.step('docs/operations.md: the production example decides as its text says', async () => {
      const doc = fs.readFileSync(path.join(routerctl.ROOT, 'docs', 'operations.md'), 'utf8')
      const block = /### Permissions[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)
      t.ok(block, 'the example is there')
      const { permissions, problems, warnings } = parsePermissions(JSON.parse(`{${block[1]}}`).permissions, {
        realms: ['app'], internalRealm: 'router.internal', metaRole: 'metad',
        roles: new Set(['operator', 'service', 'browser'])
      })
      t.eq([problems, warnings], [[], []], 'no problem, no warning')
      const may = (role, action, uri) => permissions.rulesFor('app', role).allows(action, uri)
      t.eq(permissions.rolesAllowed('app', 'call', 'wamp.session.kill'), ['operator'], 'only operators kill')
      t.eq(permissions.rolesAllowed('app', 'call', 'wamp.session.kill_all'), ['operator'], 'only operators kill_all')
      t.eq(permissions.rolesAllowed('app', 'call', 'wamp.session.list'), ['operator'], 'only operators list')
      t.ok(may('operator', 'call', 'com.acme.orders.get') && !may('operator', 'publish', 'com.acme.x'),
        'operator reads')
      t.ok(may('service', 'register', 'com.acme.orders.get') && may('service', 'publish', 'com.acme.gone') &&
        may('service', 'call', 'wamp.session.get') && may('service', 'subscribe', 'wamp.session.on_leave') &&
        !may('service', 'subscribe', 'wamp.session.on_join'), 'service')
      t.ok(may('browser', 'call', 'com.acme.api.orders.get') && !may('browser', 'call', 'com.acme.api.admin.reset') &&
        may('browser', 'subscribe', 'com.acme.feed.room1.public') &&
        !may('browser', 'subscribe', 'com.acme.feed.room1.staff') &&
        !may('browser', 'call', 'wamp.session.count'), 'browser')
      t.ok(!may('anonymous', 'call', 'com.acme.api.orders.get'), 'other roles: nothing')
    })

    await t.step('a file without the section: everything allowed, said once at start', async () => {
      const plain = await routerctl.start({ realms: ['realm1', 'realm2'] })
      try {
        await until(() => plain.stderr().includes('"permissions"'), 5000, 'the start-up log')
        const lines = plain.stderr().split('\n').filter(l => l.includes('"permissions"'))
        t.eq(lines.length, 1, `one line about permissions:\n${plain.stderr()}`)
        t.ok(/router info: no "permissions" in \S+: every role may call, register, publish and subscribe every URI/
          .test(lines[0]), lines[0])
        const a = await join({ url: plain.url, realm: 'realm2', ...alice })
        const b = await join({ url: plain.url, realm: 'realm2', ...bob })
        await a.session.register('com.any.thing', () => 'ok')
        const got = []
        await b.session.subscribe('com.any.topic', args => got.push(args))
        await a.session.publish('com.any.topic', [1], {}, { acknowledge: true })
        t.eq(await b.session.call('com.any.thing'), 'ok', 'call')
        await until(() => got.length === 1, 5000, 'the event')
        a.connection.close()
        b.connection.close()
      } finally {
        const res = await plain.stop()
        if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
      }
    })
  } finally {
    for (const s of open) {
      try { s.connection.close() } catch (e) { /* already closed */ }
    }
    const res = await r.stop()
    fs.rmSync(dir, { recursive: true, force: true })
    if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
    if (res.code !== 0) throw new Error(`router exit code ${res.code} signal ${res.signal}`)
  }
})
