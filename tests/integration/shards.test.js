'use strict'
// Scaling out per realm: two wamp-metad instances with disjoint realm sets on one router serve their realms
// side by side; a third one configured for a realm another instance already serves fails that realm with a
// clear log line (the router refuses the second registration) instead of double-publishing, and never says
// it is ready.

const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

const REALMS = ['realm1', 'realm2', 'realm3']

kit.main('integration: realms sharded over several wamp-metad instances', 90000, async t => {
  const router = await routerctl.start({ realms: REALMS,
    principals: { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: REALMS } })
  const started = []
  try {
    const a = await metadctl.start(router, { realms: ['realm1'] })
    started.push(a)
    const b = await metadctl.start(router, { realms: ['realm2'], authid: 'metacra', authmethod: 'wampcra',
      secret: routerctl.SECRETS.metacra })
    started.push(b)

    await t.step('two instances, disjoint realms: each realm served once, events once', async () => {
      for (const realm of ['realm1', 'realm2']) {
        const w = await kit.join({ url: router.url, realm })
        const seen = []
        await w.session.subscribe('wamp.session.on_join', ([d]) => seen.push(d.session))
        const c = await kit.join({ url: router.url, realm })
        await kit.until(() => seen.includes(c.session.id), 3000, `on_join in ${realm}`)
        await kit.sleep(200)
        t.eq(seen.filter(id => id === c.session.id).length, 1, `${realm}: one on_join, not two`)
        t.eq((await w.session.call('wamp.session.list')).sort(), [w.session.id, c.session.id].sort(), `${realm}: list`)
        c.connection.close()
        w.connection.close()
      }
      const three = await kit.join({ url: router.url, realm: 'realm3' })
      t.eq((await kit.callError(three.session.call('wamp.session.count'))).error, 'wamp.error.no_such_procedure',
        'realm3 is served by nobody')
      three.connection.close()
    })

    await t.step('an instance configured for an already served realm fails that realm, loudly', async () => {
      // Not ready (one of its realms cannot be served): started without waiting for "ready".
      const c = metadctl.start(router, { realms: ['realm1', 'realm3'], readyTimeoutMs: 8000 })
      const outcome = await c.then(m => ({ m }), e => ({ e }))
      t.ok(outcome.e && /procedure_already_exists/.test(outcome.e.message), 'never ready; says why')
      t.ok(/realm 'realm1': cannot register wamp\.session\.count: wamp\.error\.procedure_already_exists[^\n]* \(another wamp-metad instance already serves this realm\?\)/.test(outcome.e.message),
        'the log line names the realm, the procedure and the likely cause')
      // realm1 still has exactly one server, answering as before.
      const w = await kit.join({ url: router.url, realm: 'realm1' })
      t.eq(await w.session.call('wamp.session.list'), [w.session.id], 'realm1 still answered by the first instance')
      w.connection.close()
    })
  } finally {
    for (const m of started) await m.stop()
    await router.stop()
  }
})
