'use strict'
// SIGHUP re-reads the configuration and joins / leaves realms to match the new realm set, without a restart
// and without disturbing the realms that stay; a configuration with problems changes nothing.

const fs = require('fs')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

const REALMS = ['realm1', 'realm2']

kit.main('integration: SIGHUP reloads the realm set', 90000, async t => {
  const router = await routerctl.start({ realms: REALMS,
    principals: { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: REALMS } })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metad-reload-'))
  const conf = path.join(dir, 'metad.conf')
  fs.writeFileSync(conf, 'realm = realm1\n')
  let m
  try {
    m = await metadctl.start(router, { realms: [], args: ['--config', conf] })
    const one = await kit.join({ url: router.url, realm: 'realm1' })
    const two = await kit.join({ url: router.url, realm: 'realm2' })
    const joins = []
    await one.session.subscribe('wamp.session.on_join', ([d]) => joins.push(d.session))
    t.eq(await one.session.call('wamp.session.count'), 1, 'realm1 served')
    t.eq((await kit.callError(two.session.call('wamp.session.count'))).error, 'wamp.error.no_such_procedure',
      'realm2 not served yet')

    await t.step('adding a realm leaves the other one alone', async () => {
      fs.writeFileSync(conf, 'realm = realm1\nrealm = realm2\n')
      const before = m.stderr().length
      process.kill(m.pid, 'SIGHUP')
      await kit.until(async () => {
        try { return (await two.session.call('wamp.session.count')) === 1 } catch (e) { return false }
      }, 10000, 'realm2 to be served')
      t.ok(!/realm 'realm1': /.test(m.stderr().slice(before)), 'no reconnect or loss on realm1 in the log')
      const extra = await kit.join({ url: router.url, realm: 'realm1' })
      await kit.until(() => joins.includes(extra.session.id), 3000, 'on_join on realm1 still flows')
      extra.connection.close()
    })

    await t.step('a configuration with problems changes nothing', async () => {
      fs.writeFileSync(conf, 'realm = realm1\nheartbeat-ms = 1\n')
      process.kill(m.pid, 'SIGHUP')
      await m.waitLog(/reload: .*heartbeat-ms must be from/, 5000)
      t.eq(await two.session.call('wamp.session.count'), 1, 'realm2 still served')
    })

    await t.step('removing a realm leaves it', async () => {
      fs.writeFileSync(conf, 'realm = realm2\n')
      process.kill(m.pid, 'SIGHUP')
      await m.waitLog(/realm 'realm1' no longer served/, 5000)
      await kit.until(async () => {
        try { await one.session.call('wamp.session.count'); return false } catch (e) { return e.error === 'wamp.error.no_such_procedure' }
      }, 5000, 'realm1 to be left')
      t.eq(await two.session.call('wamp.session.count'), 1, 'realm2 still served')
    })
    one.connection.close()
    two.connection.close()
    const res = await m.stop()
    t.eq(res.code, 0, 'exit code')
  } finally {
    if (m) await m.stop()
    await router.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
