'use strict'
// The demo's permissions (deploy/examples/principals.json) with wamp-metad serving the meta API and the kill
// family, seen by Autobahn|JS clients: anonymous and user may list, get, count, watch, leave testaments on
// their application prefix and list registrations and subscriptions, and are refused every kill and removal by
// the router (wamp.error.not_authorized naming the action, the procedure, the role and the realm) before
// wamp-metad sees the call; the admin kills and removes.

const fs = require('fs')
const path = require('path')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

const DEMO = JSON.parse(fs.readFileSync(path.join(routerctl.ROOT, 'deploy', 'examples', 'principals.json'), 'utf8'))
const secret = authid => DEMO.principals.find(p => p.authid === authid)
const KILLS = [
  ['wamp.session.kill', [1]],
  ['wamp.session.kill_by_authid', ['alice']],
  ['wamp.session.kill_by_authrole', ['user']],
  ['wamp.session.kill_all', []],
  ['wamp.registration.remove_callee', [1, 1]],
  ['wamp.subscription.remove_subscriber', [1, 1]]
]

kit.main('integration: the demo\'s permissions with Autobahn|JS', 90000, async t => {
  const router = await routerctl.start({ realms: ['realm1', 'realm2'], principals: DEMO })
  let metad
  const open = []
  const join = async o => {
    const j = await kit.join({ url: router.url, realm: 'realm1', ...o })
    j.id = j.session.id
    open.push(j)
    return j
  }
  const alice = { authid: 'alice', ticket: secret('alice').ticket }
  const bob = { authid: 'bob', wampcra: secret('bob').wampcra }
  try {
    metad = await metadctl.start(router, { realms: ['realm1', 'realm2'], secret: secret('metad').ticket,
      args: ['--enable-kill', '*'] })

    for (const [name, who, role] of [['anonymous', {}, 'anonymous'], ['user (alice)', alice, 'user']]) {
      await t.step(`${name}: the meta procedures and events, no kill`, async () => {
        const watcher = await join({ ...who, realm: 'realm2' })
        const joined = []
        await watcher.session.subscribe('wamp.session.on_join', ([d]) => joined.push(d.session))
        const me = await join({ ...who, realm: 'realm2' })
        const s = me.session
        await kit.until(() => joined.includes(me.id), 5000, 'on_join reaches the watcher')
        t.ok((await s.call('wamp.session.list')).includes(me.id), 'list')
        t.eq((await s.call('wamp.session.get', [me.id])).authrole, role, 'get')
        t.eq(await s.call('wamp.session.count', [[role]]), 2, 'count')
        await s.call('wamp.session.add_testament', ['com.example.gone', [me.id], {}])
        await s.call('wamp.session.flush_testaments')
        for (const kind of ['registration', 'subscription']) {
          t.eq(Object.keys(await s.call(`wamp.${kind}.list`)).sort(), ['exact', 'prefix', 'wildcard'], `${kind} list`)
        }
        const will = await kit.callError(s.call('wamp.session.add_testament', ['com.other.gone', [], {}]))
        t.eq([will.error, will.args[0]], ['wamp.error.not_authorized',
          `role '${role}' may not publish to 'com.other.gone' on realm 'realm2' (the topic of a testament)`],
        'a testament outside the application prefix')
        for (const [uri, args] of KILLS) {
          const e = await kit.callError(s.call(uri, args))
          t.eq([e.error, e.args], ['wamp.error.not_authorized',
            [`role '${role}' may not call '${uri}' on realm 'realm2'`]], `${uri} refused`)
        }
        t.ok(!/session\(s\) to kill/.test(metad.stderr()), 'wamp-metad saw no kill')
        t.eq(await s.call('wamp.session.count'), 2, 'nobody was killed')
        me.connection.close()
        watcher.connection.close()
      })
    }

    await t.step('admin (bob): kills and removes', async () => {
      const admin = await join(bob)
      for (const [uri, error] of [['wamp.registration.remove_callee', 'wamp.error.no_such_registration'],
        ['wamp.subscription.remove_subscriber', 'wamp.error.no_such_subscription']]) {
        t.eq((await kit.callError(admin.session.call(uri, [1, admin.id]))).error, error, `${uri} reaches wamp-metad`)
      }
      const victim = await join(alice)
      await admin.session.call('wamp.session.kill', [victim.id], { message: 'by the admin' })
      const closed = await victim.closed
      t.eq([closed.details.reason, closed.details.message], ['wamp.close.killed', 'by the admin'],
        'the victim\'s GOODBYE')
      const others = [await join(alice), await join({})]
      t.eq(await admin.session.call('wamp.session.kill_by_authid', ['alice']), [others[0].id], 'kill_by_authid')
      t.eq(await admin.session.call('wamp.session.kill_all'), 1, 'kill_all')
      for (const j of others) await j.closed
      admin.connection.close()
    })

    await t.step('the application prefix: anonymous registers, calls, publishes and subscribes under com.example.',
      async () => {
        const a = await join({})
        const b = await join({})
        await a.session.register('com.example.echo', args => args[0])
        t.eq(await b.session.call('com.example.echo', ['hi']), 'hi', 'call')
        const got = []
        await a.session.subscribe('com.example.news', args => got.push(args[0]))
        await b.session.publish('com.example.news', ['n'], {}, { acknowledge: true })
        await kit.until(() => got.length === 1, 5000, 'the event')
        const e = await kit.callError(a.session.register('org.elsewhere.echo', () => 0))
        t.eq([e.error, e.args[0]], ['wamp.error.not_authorized',
          "role 'anonymous' may not register 'org.elsewhere.echo' on realm 'realm1'"], 'outside the prefix')
        a.connection.close()
        b.connection.close()
      })

    const res = await metad.stop()
    t.eq(res.code, 0, 'wamp-metad exits 0')
  } finally {
    for (const j of open) {
      try { j.connection.close() } catch (e) { /* already closed */ }
    }
    if (metad) await metad.stop()
    const res = await router.stop()
    if (/BUG:/.test(res.stderr)) throw new Error(`router logged a bug:\n${res.stderr}`)
  }
})
