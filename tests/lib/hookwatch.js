'use strict'
// hookwatch.js: what a consumer of the hook protocol sees, from an Autobahn|JS session on the internal realm.
//
//   const hookwatch = require('<repo>/tests/lib/hookwatch')
//   const hw = await hookwatch.watch(session, { v2: true })   subscribes to router.session.joined / left and, with
//                                        v2, to the registration and subscription hooks (hookwatch.V2_TOPICS)
//   hw.hooks            every hook in arrival order: {topic, info}
//   await hw.call(uri, args, kwargs)  -> the result's positional arguments (always a list)
//   await hw.sync()     -> {epoch, seq}
//   await hw.settle()   waits (bounded) until every hook up to the router's current seq has arrived; -> seq
//   hw.holes()          how many seq numbers the hooks skipped (0 for a gap-free stream)
//   await hw.snapshot() -> every page of a new snapshot, in order
//   hw.unwatch()        unsubscribes the v2 topics

const { autobahn, until } = require('./jskit')

const SESSION_TOPICS = ['router.session.joined', 'router.session.left']
const V2_TOPICS = ['router.registration.registered', 'router.registration.unregistered',
  'router.subscription.subscribed', 'router.subscription.unsubscribed']

async function watch (session, { v2 = true } = {}) {
  const hooks = []
  const subs = []
  for (const topic of v2 ? [...SESSION_TOPICS, ...V2_TOPICS] : SESSION_TOPICS) {
    subs.push(await session.subscribe(topic, (args, kwargs) => {
      if (!Array.isArray(args) || args.length !== 1 || (kwargs && Object.keys(kwargs).length > 0)) {
        throw new Error(`${topic}: expected [info] without kwargs, got ${JSON.stringify([args, kwargs])}`)
      }
      hooks.push({ topic, info: args[0] })
    }))
  }
  const call = async (uri, args = [], kwargs = {}) => {
    const res = await session.call(uri, args, kwargs)
    if (res instanceof autobahn.Result) return res.args
    return res === null || res === undefined ? [] : [res]
  }
  const sync = async () => {
    const [epoch, seq] = await call('router.session.sync')
    return { epoch, seq }
  }
  return {
    hooks,
    call,
    sync,
    async settle () {
      const { seq } = await sync()
      await until(() => seq === 0 || (hooks.length > 0 && hooks[hooks.length - 1].info.seq >= seq), 5000,
        `the hooks up to seq ${seq}`)
      return seq
    },
    holes () {
      let holes = 0
      for (let i = 1; i < hooks.length; i++) {
        const step = hooks[i].info.seq - hooks[i - 1].info.seq
        if (step < 1) throw new Error(`seq does not increase at hook ${i}: ${JSON.stringify(hooks.slice(i - 1, i + 1))}`)
        holes += step - 1
      }
      return holes
    },
    async snapshot () {
      const pages = [(await call('router.session.snapshot'))[0]]
      while (pages[pages.length - 1].next_cursor) {
        if (pages.length > 10000) throw new Error('more than 10000 snapshot pages')
        pages.push((await call('router.session.snapshot', [pages[pages.length - 1].next_cursor]))[0])
      }
      return pages
    },
    async unwatch () {
      for (const s of subs.splice(SESSION_TOPICS.length)) await session.unsubscribe(s)
    }
  }
}

module.exports = { watch, SESSION_TOPICS, V2_TOPICS }
