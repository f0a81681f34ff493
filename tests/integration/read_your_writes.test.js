'use strict'
// Read your writes: a meta call sees everything the router did before it routed the call, as with a router
// whose meta API is built in. A client registers (or subscribes, or joins) and at once asks the meta API about
// it, many times over, also while the machine is busy: the answer never misses it.
//
//   node tests/integration/read_your_writes.test.js [--rounds N]   (default 1000)

const os = require('os')
const { spawn } = require('child_process')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

const at = process.argv.indexOf('--rounds')
const ROUNDS = at > 0 ? Number(process.argv[at + 1]) : 1000

// Keeps every core busy for at most `ms` (bounded: each burner ends itself), killed by pid when done.
function burnCpu (ms) {
  const code = `const end = Date.now() + ${ms}; while (Date.now() < end) {}`
  return Array.from({ length: os.cpus().length }, () => spawn(process.execPath, ['-e', code], { stdio: 'ignore' }))
}

kit.main('integration: read your writes (each meta call sees what the router did before it)', 170000, async t => {
  const router = await routerctl.start({ realms: ['realm1'] })
  const { join, closeAll } = kit.joiner({ url: router.url, realm: 'realm1' })
  const alice = { authid: 'alice', ticket: routerctl.SECRETS.alice }
  let burners = []
  let metad
  try {
    metad = await metadctl.start(router, { realms: ['realm1'] })
    await metad.waitLog(/the router speaks hook protocol v2/, 5000)
    const client = await join({ ...alice, serializer: 'msgpack' })
    const s = client.session

    for (const busy of [false, true]) {
      const rounds = busy ? Math.ceil(ROUNDS / 2) : ROUNDS
      if (busy) burners = burnCpu(60000)
      const label = busy ? ' (machine busy)' : ''

      await t.step(`register, then lookup / match / list_callees, ${rounds} times${label}`, async () => {
        let misses = 0
        for (let i = 0; i < rounds; i++) {
          const uri = `com.example.ryw.p${i}`
          const reg = await s.register(uri, () => i)
          const [id, matched, callees] = await Promise.all([s.call('wamp.registration.lookup', [uri]),
            s.call('wamp.registration.match', [uri]), s.call('wamp.registration.list_callees', [reg.id])])
          if (id !== reg.id || matched !== reg.id || callees.length !== 1 || callees[0] !== s.id) misses++
          await s.unregister(reg)
        }
        t.eq(misses, 0, `calls that missed a registration made just before them, of ${rounds}`)
      })

      await t.step(`subscribe, then lookup / match / list_subscribers, ${rounds} times${label}`, async () => {
        let misses = 0
        for (let i = 0; i < rounds; i++) {
          const uri = `com.example.ryw.t${i}`
          const sub = await s.subscribe(uri, () => {})
          const [id, matched, subscribers] = await Promise.all([s.call('wamp.subscription.lookup', [uri]),
            s.call('wamp.subscription.match', [uri]), s.call('wamp.subscription.list_subscribers', [sub.id])])
          if (id !== sub.id || !matched || matched.length !== 1 || matched[0] !== sub.id ||
            subscribers.length !== 1 || subscribers[0] !== s.id) misses++
          await s.unsubscribe(sub)
        }
        t.eq(misses, 0, `calls that missed a subscription made just before them, of ${rounds}`)
      })

      await t.step(`a session joins and another at once gets it, ${rounds} times${label}`, async () => {
        let misses = 0
        for (let i = 0; i < rounds; i++) {
          const j = await kit.join({ url: router.url, realm: 'realm1' })
          try {
            const d = await s.call('wamp.session.get', [j.session.id])
            if (d.session !== j.session.id) misses++
          } catch (e) {
            misses++
          }
          j.connection.close()
        }
        t.eq(misses, 0, `gets that missed a session told of by the session itself, of ${rounds}`)
      })
    }
  } finally {
    for (const b of burners) b.kill('SIGKILL')
    await closeAll()
    if (metad) await metad.stop()
    await router.stop()
  }
})
