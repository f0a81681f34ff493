'use strict'
// The reference callee for bench/run: a plain client of the router that registers
//   bench.echo      returns its positional arguments as they came
//   bench.ids [n]   returns [[n ids]]: a list of n WAMP ids, the same shape as wamp.session.list's result
// Usage: node echo.js URL REALM   prints "ready SESSION_ID" once both are registered; runs until killed.
const kit = require('../../tests/lib/jskit')

async function main () {
  const [url, realm] = process.argv.slice(2)
  const { session, closed } = await kit.join({ url, realm, serializer: 'msgpack' })
  const ids = []
  for (let i = 0; i < 1000000; i++) ids.push(1 + Math.floor(Math.random() * 2 ** 53))
  await session.register('bench.echo', args => new kit.autobahn.Result(args || []))
  await session.register('bench.ids', args => {
    const n = Math.max(0, Math.min(ids.length, Number(args && args[0]) || 0))
    return new kit.autobahn.Result([n === ids.length ? ids : ids.slice(0, n)])
  })
  process.stdout.write(`ready ${session.id}\n`)
  await closed
  process.stderr.write('echo: the router closed the session\n')
  process.exit(1)
}

main().catch(e => {
  process.stderr.write(`echo: ${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
