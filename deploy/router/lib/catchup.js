'use strict'
// Told positions and catch-up (docs/hook-protocol.md, "Told positions and catch-up"), apart from any router: how
// far the meta events the meta role published on each client realm got (the `_told: [epoch, seq, index]` option
// of its PUBLISHes), and the history of the last hooks with what it takes to undo each one, from which
// lib/hookproto.js answers router.meta.catch_up: a realm's state at an earlier seq and the realm's hooks since.

const { WampError, invalidArgument } = require('./wamp')
const log = require('./log')
const breakages = require('./breakages')

const LOG_EVERY_MS = 10000 // a kind of dropped or refused _told event is logged at most once per this

// One log line for the first of a kind of event and then at most one per LOG_EVERY_MS, with the count since.
class Throttled {
  constructor (what) {
    this.what = what
    this.count = 0 // since the last line
    this.last = -Infinity
  }

  note (detail) {
    this.count++
    const now = Date.now()
    if (now - this.last < LOG_EVERY_MS) return
    log.info(`${this.what}: ${detail}${this.count > 1 ? ` (${this.count} in all since the last such line)` : ''}`)
    this.count = 0
    this.last = now
  }
}

// The last `limit` hooks published, oldest first, each {seq, topic, realm, hook (the payload as published, epoch
// and seq included), object (the full registration or subscription of an unregistered / unsubscribed hook)}.
// evictedUpTo is the seq of the newest hook no longer kept (0 while none was dropped): every hook with a larger
// seq is here.
class HookHistory {
  constructor (limit) {
    this.limit = limit
    this.records = []
    this.head = 0 // records[head] is the oldest kept
    this.evictedUpTo = 0
  }

  get size () {
    return this.records.length - this.head
  }

  // The oldest seq kept, or null when none is.
  first () {
    return this.size > 0 ? this.records[this.head].seq : null
  }

  add (record) {
    if (this.limit === 0) {
      this.evictedUpTo = record.seq
      return
    }
    this.records.push(record)
    if (this.size > this.limit) {
      this.evictedUpTo = this.records[this.head].seq
      this.records[this.head++] = undefined
      // Drop the dead front now and then: amortized O(1) per hook, at most twice the limit in memory.
      if (this.head >= 1024 && this.head * 2 >= this.records.length) {
        this.records = this.records.slice(this.head)
        this.head = 0
      }
    }
  }

  // The kept records of every realm with seq > after, oldest first, at most `limit`.
  after (after, limit) {
    const out = []
    for (let i = this.indexAfter(after); i < this.records.length && out.length < limit; i++) out.push(this.records[i])
    return out
  }

  // The index of the first record with seq > after.
  indexAfter (after) {
    let lo = this.head
    let hi = this.records.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.records[mid].seq <= after) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  // The kept records of realm with seq > after, oldest first.
  since (after, realm) {
    const out = []
    for (let i = this.indexAfter(after); i < this.records.length; i++) if (this.records[i].realm === realm) out.push(this.records[i])
    return out
  }
}

// The told position of each client realm in this router run: the largest (seq, index), lexicographically, of the
// meta events the meta role published there with `_told`.
class ToldPositions {
  constructor ({ epoch, currentSeq }) {
    this.epoch = epoch
    this.currentSeq = currentSeq // () -> the seq of the last hook published
    this.positions = new Map() // realm -> {seq, index, duplicates}
    this.logs = {
      epoch: new Throttled('_told of another router run: event not routed'),
      malformed: new Throttled('malformed _told: event not routed'),
      duplicate: new Throttled('_told at or before the realm\'s told position: duplicate event not routed')
    }
  }

  // [P, i] of realm, or null when nothing was told there in this run.
  of (realm) {
    const p = this.positions.get(realm)
    return p ? [p.seq, p.index] : null
  }

  // A PUBLISH of the meta role on client realm `realm` with options._told = value: calls route() (which routes the
  // event) and records the position, or returns false for a duplicate (not routed), or throws a WampError
  // (invalid_argument: malformed, another run's epoch, a seq not yet published) without routing it.
  publish (realm, value, route, publisher) {
    const problem = malformed(value)
    if (problem) {
      this.logs.malformed.note(`${realm}: ${problem}`)
      throw invalidArgument(`_told: ${problem}`)
    }
    const [epoch, seq, index] = value
    const foreign = epoch !== this.epoch // routed, and not recorded, with the breakage told_any_epoch
    if (foreign && !breakages.on('told_any_epoch')) {
      this.logs.epoch.note(`${realm}: epoch '${epoch}', this run is '${this.epoch}'`)
      throw invalidArgument(`_told: epoch '${epoch}' is not this router run's ('${this.epoch}')`)
    }
    const now = this.currentSeq()
    if (seq > now) {
      this.logs.malformed.note(`${realm}: seq ${seq} is beyond the last hook (${now})`)
      throw invalidArgument(`_told: seq ${seq} is beyond the last hook published (${now})`)
    }
    const p = this.positions.get(realm)
    const lower = p && (seq < p.seq || (seq === p.seq && index < p.index))
    const equal = p && seq === p.seq && index === p.index
    const passes = (lower && breakages.on('told_lower')) ||
      (equal && breakages.on('told_race') && publisher !== p.publisher)
    if ((lower || equal) && !passes) {
      p.duplicates++
      this.logs.duplicate.note(`${realm}: [${seq}, ${index}] <= [${p.seq}, ${p.index}] ` +
        `(${p.duplicates} on ${realm} so far)`)
      return false
    }
    route()
    if (passes || foreign) return true
    if (p) {
      p.seq = seq
      p.index = index
      p.publisher = publisher
    } else {
      this.positions.set(realm, { seq, index, duplicates: 0, publisher })
    }
    return true
  }
}

// Why value is not [epoch (a string), seq (an integer >= 1), index (an integer >= 0)], or null.
function malformed (value) {
  if (!Array.isArray(value) || value.length !== 3) return 'expected [epoch, seq, index]'
  const [epoch, seq, index] = value
  if (typeof epoch !== 'string') return 'epoch must be a string'
  if (!Number.isSafeInteger(seq) || seq < 1) return 'seq must be an integer >= 1'
  if (!Number.isSafeInteger(index) || index < 0) return 'index must be an integer >= 0'
  return null
}

// A realm's state, {sessions: Map id -> info, registration: Map id -> entry, subscription: Map id -> entry} with
// entry {kind, realm, ...fields, members: Set}, taken back over records (that realm's hooks, oldest first): each
// one undone, newest first. The maps are the caller's copies, changed in place.
function rewind (state, records) {
  for (let i = records.length - 1; i >= 0; i--) {
    const { topic, hook, object } = records[i]
    const [, kind, what] = topic.split('.')
    if (kind === 'session') {
      if (what === 'joined') {
        state.sessions.delete(hook.session)
      } else {
        const { epoch, seq, quiet, ...info } = hook
        state.sessions.set(hook.session, info)
      }
      continue
    }
    const table = state[kind]
    if (what === 'registered' || what === 'subscribed') {
      const entry = table.get(hook[kind].id)
      if (entry && entry.members.delete(hook.session) && entry.members.size === 0) table.delete(entry.id)
    } else {
      let entry = table.get(object.id)
      if (!entry) table.set(object.id, entry = { kind, realm: hook.realm, ...object, members: new Set() })
      entry.members.add(hook.session)
    }
  }
  return state
}

// router.error.history_lost: the hooks a catch-up would replay are no longer all kept.
function historyLost (realm, told, history, seq) {
  const first = history.first()
  const where = told ? `${realm} was told up to seq ${told[0]} (event ${told[1]})`
    : `nothing was told on ${realm} in this router run, so the catch-up starts at seq 0`
  const kept = first !== null ? `the hook history starts at seq ${first}`
    : `the hook history holds no hook (it keeps the last ${history.limit}; ${seq} were published)`
  return new WampError('router.error.history_lost', [`${where}; ${kept}`], { first, told, seq })
}

// The sessions and the registrations / subscriptions that `records` touch: what a catch-up of the touched state
// only needs (lib/hookproto.js, catchUp with {state: 'touched'}).
function touched (records) {
  const out = { sessions: new Set(), registration: new Set(), subscription: new Set() }
  for (const { topic, hook, object } of records) {
    out.sessions.add(hook.session)
    const [, kind] = topic.split('.')
    if (kind === 'session') continue
    const o = hook[kind]
    out[kind].add(typeof o === 'object' && o !== null ? o.id : (object ? object.id : o))
  }
  return out
}

module.exports = { HookHistory, ToldPositions, rewind, touched, historyLost }
