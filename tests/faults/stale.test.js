'use strict'
// While the router is out of reach, the realms answer from the last mirror; after --stale-after-ms they answer
// wamp.error.unavailable, and once the mirror is synced again they answer normally.

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const tcpproxy = require('../lib/tcpproxy')
const kit = require('../lib/jskit')

kit.main('faults: staleness bound', 60000, async t => {
  const router = await routerctl.start({ realms: ['realm1'] })
  const proxy = await tcpproxy.start(router.rawsocket)
  let metad
  try {
    metad = await metadctl.start(router, {
      realms: ['realm1'],
      args: ['--internal-router', `rs://127.0.0.1:${proxy.port}`, '--stale-after-ms', '800']
    })
    const c = await kit.join({ url: router.url, realm: 'realm1' })
    t.eq(await c.session.call('wamp.session.count'), 1, 'in touch: answers')

    proxy.block()
    proxy.cut()
    await metad.waitLog(/internal link lost/, 5000)
    t.eq(await c.session.call('wamp.session.count'), 1, 'just out of touch: answers from the last mirror')
    await kit.sleep(1000)
    const e = await kit.callError(c.session.call('wamp.session.list'))
    t.eq(e.error, 'wamp.error.unavailable', 'past the bound: unavailable')
    t.ok(/out of touch with the router for \d+ s/.test(e.args[0]), `with a message: ${e.args[0]}`)
    t.eq((await kit.callError(c.session.call('wamp.session.get', [c.session.id]))).error, 'wamp.error.unavailable',
      'get too')

    proxy.unblock()
    await kit.until(async () => {
      try { return (await c.session.call('wamp.session.count')) === 1 } catch (err) { return false }
    }, 5000, 'answers again once resynced')
    c.connection.close()
    const res = await metad.stop()
    t.eq(res.code, 0, 'exit code')
  } finally {
    if (metad) await metad.stop()
    await proxy.close()
    await router.stop()
  }
})
