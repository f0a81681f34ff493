'use strict'
// Load generator for bench/run: opens and closes Autobahn|JS sessions (WebSocket, msgpack) and reports each
// one on stdout, so that the benchmark can match them with the meta events its subscribers receive.
//
//   node joiner.js JSON   with {url, realm, mode, ...}
//     mode "rate":  {count, rate, holdMs, maxInFlight}: starts session i at i/rate seconds, closes it holdMs
//                   after its WELCOME; never more than maxInFlight sessions open or opening
//     mode "churn": {workers, durationMs}: each worker joins, closes, waits for the close, and again, until
//                   durationMs have passed
//     mode "subscribe": {topics, count, rate, holdMs}: one session subscribes to topics[i % topics.length] at
//                   i/rate seconds and unsubscribes holdMs after its SUBSCRIBED (a topic again only once its
//                   previous unsubscribe is answered)
//     maxMs: hard bound on the whole run (default 60000)
//   stdout lines: "J ID T" at WELCOME (T = process.hrtime.bigint(), CLOCK_MONOTONIC, ns, comparable across
//   processes), "L ID" once the session is closed, "F MESSAGE" for a failed join or subscribe, finally "END";
//   in mode "subscribe" also "S SUBSCRIPTION_ID T" at each SUBSCRIBED.
const kit = require('../../tests/lib/jskit')

const cfg = JSON.parse(process.argv[2])
const maxMs = cfg.maxMs || 60000
const deadline = Date.now() + maxMs
let out = ''
const flush = () => {
  if (out) {
    process.stdout.write(out)
    out = ''
  }
}
const flusher = setInterval(flush, 20)

async function one () {
  let j
  try {
    j = await kit.join({ url: cfg.url, realm: cfg.realm, serializer: 'msgpack' })
  } catch (e) {
    out += `F ${String(e.message).replace(/\s+/g, ' ')}\n`
    return
  }
  const id = j.session.id // Autobahn|JS forgets it once the session is closed
  out += `J ${id} ${process.hrtime.bigint()}\n`
  if (cfg.holdMs) await kit.sleep(cfg.holdMs)
  j.connection.close()
  await Promise.race([j.closed, kit.sleep(5000)])
  out += `L ${id}\n`
}

// Starts start(i) at i/rate seconds for i < count, never more than maxInFlight (or all) under way at once.
async function paced (start, maxInFlight = Infinity) {
  const t0 = Date.now()
  const running = new Set()
  for (let i = 0; i < cfg.count && Date.now() < deadline; i++) {
    const due = t0 + (i * 1000) / cfg.rate
    while (Date.now() < due || running.size >= maxInFlight) {
      if (Date.now() > deadline) return
      await kit.sleep(Math.max(0, Math.min(due - Date.now(), 5)))
    }
    const p = start(i).finally(() => running.delete(p))
    running.add(p)
  }
  await Promise.race([Promise.all(running), kit.sleep(Math.max(0, deadline - Date.now()))])
}

const rate = () => paced(one, cfg.maxInFlight)

async function subscribe () {
  const j = await kit.join({ url: cfg.url, realm: cfg.realm, serializer: 'msgpack' })
  const id = j.session.id
  out += `J ${id} ${process.hrtime.bigint()}\n`
  const previous = new Map() // topic -> the promise of its last unsubscribe
  await paced(async i => {
    const topic = cfg.topics[i % cfg.topics.length]
    await Promise.race([previous.get(topic), kit.sleep(1000)])
    let done
    previous.set(topic, new Promise(resolve => { done = resolve }))
    try {
      const sub = await j.session.subscribe(topic, () => {})
      out += `S ${sub.id} ${process.hrtime.bigint()}\n`
      await kit.sleep(cfg.holdMs)
      await j.session.unsubscribe(sub)
    } catch (e) {
      out += `F ${String(e.error || e.message).replace(/\s+/g, ' ')}\n`
    } finally {
      done()
    }
  })
  j.connection.close()
  await Promise.race([j.closed, kit.sleep(5000)])
  out += `L ${id}\n`
}

async function churn () {
  const stop = Math.min(Date.now() + cfg.durationMs, deadline)
  const worker = async () => {
    while (Date.now() < stop) await one()
  }
  await Promise.all(Array.from({ length: cfg.workers }, worker))
}

const modes = { rate, churn, subscribe }
;(modes[cfg.mode] || rate)().then(() => {
  clearInterval(flusher)
  flush()
  process.stdout.write('END\n', () => process.exit(0))
}, e => {
  process.stderr.write(`joiner: ${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
