'use strict'
// router.meta.features: the meta role announces the meta API features it serves on a realm, and the WELCOMEs of
// the sessions that join that realm afterwards carry them beside the router's own. Announcements of several
// sessions merge (true wins), each is withdrawn by [realm, null] or by its session leaving the internal realm
// (cleanly or not), only the meta role can make one, and bad arguments are refused with a message.

const routerctl = require('../lib/routerctl')
const raw = require('../lib/rawwamp')
const kit = require('../lib/jskit')
const { join, expectAbort, callError, until } = kit

// What the router announces of its own, whatever the meta role says.
const OWN = {
  broker: { publisher_exclusion: true, pattern_based_subscription: true },
  dealer: { caller_identification: true, progressive_call_results: true }
}
const META = {
  broker: { session_meta_api: true },
  dealer: { session_meta_api: true, testament_meta_api: true }
}

function withOwn (extra = {}) {
  return { broker: { ...OWN.broker, ...extra.broker }, dealer: { ...OWN.dealer, ...extra.dealer } }
}

kit.main('router: router.meta.features', 60000, async t => {
  const r = await routerctl.start({ realms: ['realm1', 'realm2'],
    principals: { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: ['realm1', 'realm2'] } })
  const { join: j, closeAll } = kit.joiner()
  // The features a session joining realm now is told, by Autobahn|JS and on the wire.
  const welcomeFeatures = async realm => {
    const c = await join({ url: r.url, serializer: 'json', realm })
    c.connection.close()
    const roles = c.welcome.roles
    return { broker: roles.broker.features, dealer: roles.dealer.features }
  }
  const rawWelcomeFeatures = async realm => {
    const c = await raw.connect({ url: r.url, serializer: 'msgpack' })
    const roles = (await raw.hello(c, realm))[2].roles
    c.close()
    return { broker: roles.broker.features, dealer: roles.dealer.features }
  }
  // A leave is seen once the router has read the closed socket: wait for its effect, bounded.
  const featuresBecome = (realm, expected, what) =>
    until(async () => JSON.stringify(await welcomeFeatures(realm)) === JSON.stringify(expected), 5000, what)
  const internal = (authid, secret) => j({ url: r.url, serializer: 'msgpack', realm: 'router.internal', authid,
    ...(authid === 'metad' ? { ticket: secret } : { wampcra: secret }) })
  try {
    const m1 = await internal('metad', routerctl.SECRETS.metad)
    const m2 = await internal('metacra', routerctl.SECRETS.metacra)
    const announce = (m, args) => m.session.call('router.meta.features', args)

    await t.step('before any announcement: only the router\'s own features', async () => {
      t.eq(await welcomeFeatures('realm1'), withOwn(), 'realm1 WELCOME')
      t.eq(await rawWelcomeFeatures('realm2'), withOwn(), 'realm2 WELCOME on the wire')
    })

    await t.step('announce: later WELCOMEs of that realm carry the features', async () => {
      const res = await announce(m1, ['realm1', META])
      t.ok(res === null || res === undefined, `result [] (Autobahn|JS: ${JSON.stringify(res)})`)
      t.eq(await welcomeFeatures('realm1'), withOwn(META), 'realm1 WELCOME')
      t.eq(await rawWelcomeFeatures('realm1'), withOwn(META), 'realm1 WELCOME on the wire (msgpack)')
      t.eq(await welcomeFeatures('realm2'), withOwn(), 'realm2 untouched')
    })

    await t.step('several announcers merge, true wins; each replaces only its own', async () => {
      await announce(m2, ['realm1', { broker: { session_meta_api: false, subscription_meta_api: true } }])
      t.eq(await welcomeFeatures('realm1'), withOwn({ broker: { session_meta_api: true, subscription_meta_api: true },
        dealer: META.dealer }), 'merged')
      await announce(m1, ['realm1', { dealer: { session_meta_api: true } }])
      t.eq(await welcomeFeatures('realm1'), withOwn({ broker: { subscription_meta_api: true },
        dealer: { session_meta_api: true } }), 'm1 replaced its announcement')
    })

    await t.step('withdraw with [realm, null]', async () => {
      await announce(m1, ['realm1', null])
      t.eq(await welcomeFeatures('realm1'), withOwn({ broker: { subscription_meta_api: true } }), 'm1 withdrew')
      await announce(m2, ['realm1', null])
      t.eq(await welcomeFeatures('realm1'), withOwn(), 'both withdrew')
      await announce(m2, ['realm1', null])
      await announce(m2, ['realm2', { broker: { session_meta_api: false } }])
      t.eq(await welcomeFeatures('realm2'), withOwn(), 'withdrawing twice, announcing only false: nothing')
    })

    await t.step('an announcer that leaves the internal realm withdraws', async () => {
      await announce(m2, ['realm1', META])
      await announce(m2, ['realm2', META])
      await announce(m1, ['realm2', { broker: { session_meta_api: true } }])
      t.eq(await welcomeFeatures('realm1'), withOwn(META), 'announced on realm1')
      m2.connection.close() // GOODBYE
      await featuresBecome('realm1', withOwn(), 'realm1 to lose what m2 announced')
      t.eq(await welcomeFeatures('realm2'), withOwn({ broker: { session_meta_api: true } }), 'm1\'s stays on realm2')

      // A sidecar that dies says nothing: its socket just closes.
      const c = await raw.connect({ url: r.url, serializer: 'msgpack' })
      c.send([1, 'router.internal', { authid: 'metad', authmethods: ['ticket'], roles: { caller: {} } }])
      t.eq((await c.recv())[0], 4, 'CHALLENGE')
      c.send([5, routerctl.SECRETS.metad, {}])
      t.eq((await c.recv())[0], 2, 'WELCOME')
      c.send([48, 1, {}, 'router.meta.features', ['realm1', { dealer: { testament_meta_api: true } }]])
      t.eq(await c.recv(), [50, 1, {}], 'RESULT with no arguments')
      t.eq(await welcomeFeatures('realm1'), withOwn({ dealer: { testament_meta_api: true } }), 'announced')
      c.close()
      await featuresBecome('realm1', withOwn(), 'realm1 to lose what the vanished session announced')
    })

    await t.step('only the meta role', async () => {
      const alice = await j({ url: r.url, serializer: 'json', realm: 'realm1', authid: 'alice',
        ticket: routerctl.SECRETS.alice })
      const e = await callError(alice.session.call('router.meta.features', ['realm1', META]))
      t.eq(e.error, 'wamp.error.no_such_procedure', 'not on a client realm')
      t.eq(await expectAbort({ url: r.url, realm: 'router.internal', authid: 'alice', ticket: routerctl.SECRETS.alice }),
        'wamp.error.not_authorized', 'and no way onto the internal realm')
      t.eq(await welcomeFeatures('realm1'), withOwn(), 'nothing announced')
    })

    await t.step('bad arguments: wamp.error.invalid_argument with a message, nothing changes', async () => {
      const many = {}
      for (let i = 0; i < 65; i++) many[`feature_${i}`] = true
      const cases = [
        [[], /expected \[realm, features\]/],
        [['realm1'], /expected \[realm, features\]/],
        [['realm1', META, 1], /expected \[realm, features\]/],
        [[42, META], /realm must be a string/],
        [['nosuch', META], /not a configured client realm/],
        [['router.internal', META], /not a configured client realm/],
        [['realm1', []], /features must be a dict or null/],
        [['realm1', 'session_meta_api'], /features must be a dict or null/],
        [['realm1', { subscriber: { session_meta_api: true } }], /unknown role 'subscriber'/],
        [['realm1', { broker: [] }], /features\.broker must be a dict/],
        [['realm1', { dealer: { session_meta_api: 1 } }], /must be true or false/],
        [['realm1', { dealer: { 'Not A Name': true } }], /is not a feature name/],
        [['realm1', { broker: many }], /more than 64 features/]
      ]
      for (const [args, re] of cases) {
        const e = await callError(announce(m1, args))
        t.eq(e.error, 'wamp.error.invalid_argument', `error for ${JSON.stringify(args).slice(0, 80)}`)
        t.ok(typeof e.args[0] === 'string' && re.test(e.args[0]), `message for ${JSON.stringify(args).slice(0, 80)}: ` +
          `${e.args[0]}`)
      }
      t.eq(await welcomeFeatures('realm1'), withOwn(), 'realm1 unchanged')
      t.eq(await welcomeFeatures('realm2'), withOwn({ broker: { session_meta_api: true } }), 'realm2 unchanged')
    })
  } finally {
    closeAll()
    await r.stopChecked()
  }
})
