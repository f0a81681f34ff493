'use strict'
// Hook protocol v2 (docs/hook-protocol.md), apart from any router: the epoch and the gap-free seq, the table of
// hooked sessions and of the registrations and subscriptions they are members of, the tombstones of those that
// left lately, the frozen views behind snapshot cursors, and the procedures router.session.snapshot / sync /
// kill, router.registration.remove_callee and router.subscription.remove_subscriber; and the optional told
// positions and catch-up (lib/catchup.js): the position up to which the meta role told each realm, the history of
// the last hooks, and router.meta.catch_up. Version 1 consumers keep working: the session hooks and the
// snapshot's v1 fields are unchanged.
//
// A session is a plain info dict ({realm, session, authid, authrole, authmethod, authprovider, transport,
// authextra?}) plus its owner, the one that can end it. What the protocol needs from the router it gets from a
// binding (lib/fox is the one for fox-wamp):
//   binding.attach(hooks)              from now on call hooks.joined(info, owner) when a session has joined a
//                                      realm of hooks.realms (before its WELCOME) and hooks.left(id) once it is
//                                      gone from it, and make no session id that hooks.has(id); between the two,
//                                      hooks.added(kind, id, object) when the session became a member (callee,
//                                      subscriber) of a registration or subscription (kind 'registration' or
//                                      'subscription', object {id, uri, match, created, invoke (registrations)})
//                                      and hooks.removed(kind, id, objectId) when it stopped being one; a session
//                                      that leaves needs no hooks.removed: hooks.left reports what it held;
//                                      and for a PUBLISH of a session with the meta role whose options carry
//                                      `_told`, hooks.publishTold(realm, told, route) instead of routing it:
//                                      route() routes the event (called at most once, synchronously); returns
//                                      false for a duplicate, which is not routed (the binding sends the
//                                      PUBLISHED if one was asked for), or throws the WampError to answer with.
//                                      `_told` never reaches a subscriber.
//   binding.register(uri, handler)     a procedure on the internal realm: handler(args, kwargs, caller) returns
//                                      the result's args (or a promise of them), or throws a WampError; caller
//                                      is {caller, caller_authid, caller_authrole}
//   binding.publish(topic, args, kwargs)  an event on the internal realm, written to every subscriber before it
//                                      returns
//   binding.publishOn(realm, topic, args, kwargs)  an event on a client realm from the router itself (the
//                                      testaments it keeps, lib/testaments.js)
//   binding.hasSubscriber(topic)       whether a session of the internal realm is subscribed to topic (by any
//                                      match policy)
//   binding.removeMember(kind, realm, objectId, sessionId, reason)  take the session out of that registration
//                                      or subscription, tell its client (reason: a URI or undefined) and call
//                                      hooks.removed before returning
// and an owner has killSession(info, reason, message): end that session (GOODBYE with reason and message) so
// that its hooks.left comes back before killSession returns.
//
// Everything runs on node's single event loop, and the binding writes a hook to every subscriber's socket
// synchronously, so the joined hook of a session leaves before its WELCOME and a snapshot's seq covers exactly
// the hooks already written before its RESULT.

const crypto = require('crypto')
const { URI_RE, WampError, invalidArgument, requireRole, isPlainObject } = require('./wamp')
const { HookHistory, ToldPositions, rewind, touched, historyLost } = require('./catchup')
const breakages = require('./breakages')

const CURSOR_TTL_MS = 60000
const MAX_VIEWS = 64
const MAX_LEFT = 10000 // tombstones kept at most, whatever the retention (keeps the first page small)
const PROTOCOL = 2 // on the first snapshot page; a router without it speaks version 1

// What differs between registrations and subscriptions, in the hooks and in the snapshot.
const KINDS = {
  registration: {
    added: 'router.registration.registered',
    removed: 'router.registration.unregistered',
    fields: ['id', 'uri', 'match', 'invoke', 'created'],
    members: 'callees',
    noSuch: 'wamp.error.no_such_registration'
  },
  subscription: {
    added: 'router.subscription.subscribed',
    removed: 'router.subscription.unsubscribed',
    fields: ['id', 'uri', 'match', 'created'],
    members: 'subscribers',
    noSuch: 'wamp.error.no_such_subscription'
  }
}
const KIND_NAMES = Object.keys(KINDS) // the order of the snapshot's lists after the sessions
const V2_TOPICS = KIND_NAMES.flatMap(k => [KINDS[k].added, KINDS[k].removed])
const LISTS = { registration: 'registrations', subscription: 'subscriptions' }
// The lists of a snapshot view and of a catch-up view, in page order: a list with members is a registration or
// subscription list whose entries are [fields, members] and may be split across pages.
const SNAPSHOT_SHAPE = [{ name: 'sessions' }, ...KIND_NAMES.map(k => ({ name: LISTS[k], members: KINDS[k].members }))]
const CATCH_UP_SHAPE = [...SNAPSHOT_SHAPE, { name: 'hooks' }]
const CURSOR_RE = /^([A-Za-z0-9_-]+):(\d+)\.(\d+)\.(\d+)$/

class HookProtocol {
  constructor ({ binding, realms, epoch, pageSize, metaRole, leftRetentionMs = 300000, historySize = 100000 }) {
    this.binding = binding
    this.metaRole = metaRole
    this.realms = new Set(realms) // the client realms whose sessions are hooked
    this.epoch = epoch
    this.pageSize = pageSize
    this.seq = 0
    this.pendingSkip = 0
    this.registry = new Map() // session id -> {info, owner, held: null or the Set of entries it is a member of}
    // kind -> Map id -> {kind, realm, id, uri, match, created, invoke?, members: Set of session ids}: what the
    // hooks published so far say, for the snapshot and the removal procedures
    this.tables = { registration: new Map(), subscription: new Map() }
    this.views = new Map() // view id -> {lists: [sessions, registrations, subscriptions], seq, expires}
    this.catchUpViews = new Map() // view id -> {lists: [...the snapshot's, hooks], realm, seq, expires}
    this.history = new HookHistory(historySize) // the last hooks published, with what undoes each
    this.told = new ToldPositions({ epoch, currentSeq: () => this.seq })
    this.leftRetentionMs = leftRetentionMs
    this.tombstones = [] // sessions that left, oldest first: {info, at}
    this.stopped = false
    this.aliases = new Map() // breakage one_id: `${kind}:${object id}:${session id}` -> the id the hooks use
    this.nextAlias = 2 ** 52
  }

  start () {
    this.sweeper = setInterval(() => this.sweepViews(), 10000)
    this.sweeper.unref()
    this.binding.attach(this)
    this.binding.register('router.session.snapshot', args => this.snapshot(args))
    this.binding.register('router.session.sync', () => [this.epoch, this.seq + (breakages.on('sync_ahead') ? 1 : 0)])
    this.binding.register('router.session.kill', (args, kwargs) => this.kill(args, kwargs))
    this.binding.register('router.registration.remove_callee',
      (args, kwargs, caller) => this.removeMember('registration', args, caller))
    this.binding.register('router.subscription.remove_subscriber',
      (args, kwargs, caller) => this.removeMember('subscription', args, caller))
    this.binding.register('router.meta.catch_up', (args, kwargs, caller) => this.catchUp(args, caller))
    this.binding.register('router.session.hooks_since', (args, kwargs, caller) => this.hooksSince(args, caller))
  }

  // From now on no hook goes out: the sessions the router closes while it shuts down leave silently.
  stop () {
    this.stopped = true
    clearInterval(this.sweeper)
  }

  has (id) {
    return this.registry.has(id) || Boolean(this.lateJoins && this.lateJoins.has(id))
  }

  // The infos of the sessions one owner made, oldest first (the test switches end theirs in bulk).
  * sessionsOf (owner) {
    for (const entry of this.registry.values()) if (entry.owner === owner) yield entry.info
  }

  // A session has joined a hooked realm (before its WELCOME).
  joined (info, owner) {
    if (!this.realms.has(info.realm)) return
    if (breakages.on('joined_late')) {
      this.lateJoins = this.lateJoins || new Map()
      this.lateJoins.set(info.session, { info, owner, timer: setTimeout(() => this.flushJoin(info.session), 100) })
      return
    }
    this.registry.set(info.session, { info, owner, held: null })
    this.publishHook('router.session.joined', info)
  }

  // Breakage joined_late: the session held back joins now (before anything else of it is told).
  flushJoin (id) {
    const late = this.lateJoins && this.lateJoins.get(id)
    if (!late) return
    clearTimeout(late.timer)
    this.lateJoins.delete(id)
    this.registry.set(id, { info: late.info, owner: late.owner, held: null })
    this.publishHook('router.session.joined', late.info)
  }

  // A session is gone from its realm; unknown ids (sessions that were never hooked) are ignored. What it was a
  // member of is reported removed first, so that every member a consumer knows is a live session.
  left (id) {
    this.flushJoin(id)
    const entry = this.registry.get(id)
    if (!entry) return
    const late = breakages.on('left_before_removals')
    if (late) this.publishHook('router.session.left', entry.info)
    if (entry.held) for (const held of Array.from(entry.held)) this.removed(held.kind, id, held.id)
    this.registry.delete(id)
    // Testaments kept for it (lib/testaments.js) go out before its left hook; a quiet leave (a kill asked to be
    // quiet: kill_all) has none published, and its left hook says `quiet`, so that no on_leave is told of it,
    // not even by a consumer that catches up later.
    if (this.beforeLeft) this.beforeLeft(entry.info, entry.quiet === true)
    const info = entry.quiet ? { ...entry.info, quiet: true } : entry.info
    if (!late) this.publishHook('router.session.left', info)
    if (breakages.on('left_twice')) this.publishHook('router.session.left', info)
  }

  // The info of a hooked session, or undefined.
  infoOf (id) {
    const entry = this.registry.get(id)
    return entry && entry.info
  }

  // A hooked session became a member of a registration or subscription; the first member brings it into the
  // table. A session the protocol does not hook, or one already a member, is ignored.
  added (kind, id, object) {
    this.flushJoin(id)
    const session = this.registry.get(id)
    if (!session) return
    object = this.broken(kind, id, object)
    const table = this.tables[kind]
    let entry = table.get(object.id)
    if (entry && entry.members.has(id)) return
    if (!entry) {
      entry = { kind, realm: session.info.realm, members: new Set() }
      for (const f of KINDS[kind].fields) entry[f] = object[f]
      table.set(object.id, entry)
    }
    entry.members.add(id)
    if (!session.held) session.held = new Set()
    session.held.add(entry)
    if (this.v2Heard()) {
      this.publishHook(KINDS[kind].added, { realm: entry.realm, session: id, [kind]: publicFields(entry) })
    }
  }

  // Breakages one_id, match_exact and created_seconds: the object as the hooks and the snapshot then show it.
  broken (kind, id, object) {
    if (breakages.on('match_exact') && object.match !== 'exact') object = { ...object, match: 'exact' }
    if (breakages.on('created_seconds')) object = { ...object, created: object.created.replace(/\.\d{3}Z$/, 'Z') }
    const existing = this.tables[kind].get(object.id)
    if (breakages.on('one_id') && existing && existing.members.size > 0) {
      const alias = this.nextAlias++
      this.aliases.set(`${kind}:${object.id}:${id}`, alias)
      object = { ...object, id: alias }
    }
    return object
  }

  // A hooked session stopped being a member; the table forgets an object with its last member.
  removed (kind, id, objectId) {
    const aliasKey = `${kind}:${objectId}:${id}`
    if (this.aliases.has(aliasKey)) {
      objectId = this.aliases.get(aliasKey)
      this.aliases.delete(aliasKey)
    }
    const session = this.registry.get(id)
    const entry = this.tables[kind].get(objectId)
    if (!session || !entry || !entry.members.delete(id)) return
    session.held.delete(entry)
    if (entry.members.size === 0) this.tables[kind].delete(objectId)
    if (this.v2Heard()) {
      this.publishHook(KINDS[kind].removed, { realm: entry.realm, session: id, [kind]: objectId }, publicFields(entry))
    }
  }

  // Registration and subscription hooks go out, and take a seq, only while some session of the internal realm
  // is subscribed to one of their topics. A version 1 consumer subscribes to the session hooks alone: it would
  // take each of them for a lost hook (a hole in seq) and resync. A version 2 consumer subscribes before it
  // takes its snapshot, so it misses none; the tables behind the snapshot are kept either way.
  // Once a version 2 consumer was here they go on for good (this router run): while it restarts, or while its
  // standby takes over, nobody subscribes, and a catch-up needs them in the hook history.
  v2Heard () {
    if (this.v2Ever) return true
    this.v2Ever = V2_TOPICS.some(topic => this.binding.hasSubscriber(topic))
    return this.v2Ever
  }

  // The next hook's seq jumps by n more than 1 (a simulated lost hook); returns the seq that hook will carry.
  skip (n) {
    this.pendingSkip += n
    return this.seq + this.pendingSkip + 1
  }

  // object: the full registration or subscription an unregistered / unsubscribed hook names by id, for the history
  // (a catch-up that undoes the hook restores it).
  publishHook (topic, payload, object) {
    if (this.stopped) return
    if (breakages.on('seq_gap') && this.seq % 10 === 5) this.pendingSkip++
    this.seq += 1 + this.pendingSkip
    this.pendingSkip = 0
    const hook = Object.assign({}, payload, { epoch: this.epoch, seq: this.seq })
    const flip = breakages.on('epoch_flip') && topic === 'router.session.joined' && this.seq % 10 === 7
    this.binding.publish(topic, [flip ? { ...hook, epoch: 'f1f1f1f1f1f1f1f1' } : hook])
    this.history.add({ seq: this.seq, topic, realm: payload.realm, hook, object })
    if (topic === 'router.session.left' && this.leftRetentionMs > 0) {
      this.tombstones.push({ info: payload, at: Date.now() })
      if (this.tombstones.length > MAX_LEFT) this.tombstones.splice(0, this.tombstones.length - MAX_LEFT)
    }
  }

  // The tombstones still within the retention window, oldest first.
  recentlyLeft (now) {
    let first = 0
    while (first < this.tombstones.length && now - this.tombstones[first].at > this.leftRetentionMs) first++
    if (first > 0) this.tombstones.splice(0, first)
    return this.tombstones.map(e => e.info)
  }

  // ------------------------------------------------------------------------------------------ procedures

  // The view is three lists (sessions, registrations, subscriptions), frozen at the first page; a position in it
  // is [list, index, member] (member: how many members of that entry earlier pages carried), and a cursor is the
  // view's id with the position where its page starts.
  snapshot (args) {
    const now = Date.now()
    let viewId, view, pos
    let firstPage = false
    if (args.length === 0 || args[0] === null || args[0] === undefined) {
      view = { lists: this.freeze(), seq: this.seq, expires: now + CURSOR_TTL_MS }
      viewId = addView(this.views, view)
      firstPage = true
      pos = [0, 0, 0]
    } else {
      try {
        ({ viewId, view, pos } = openView(this.views, args[0], SNAPSHOT_SHAPE, now, 'snapshot'))
      } catch (e) {
        if (!breakages.on('cursor_unknown_ok')) throw e
        return [{ epoch: this.epoch, seq: this.seq, sessions: [], registrations: [], subscriptions: [] }]
      }
    }
    const { page: lists, next } = this.page(view.lists, pos, SNAPSHOT_SHAPE)
    const page = { epoch: this.epoch, seq: view.seq, ...lists }
    if (breakages.on('cursor_reread')) {
      view.served = view.served || new Set()
      if (view.served.has(pos.join('.'))) page.sessions.reverse()
      view.served.add(pos.join('.'))
    }
    if (firstPage) {
      page.protocol = PROTOCOL
      page.left = this.recentlyLeft(now)
    }
    this.turnPage(this.views, viewId, view, page, next, now)
    return [page]
  }

  // The next page's cursor on the page, or the view gone after its last page.
  turnPage (views, viewId, view, page, next, now) {
    if (next) {
      page.next_cursor = `${viewId}:${next.join('.')}`
      view.expires = now + CURSOR_TTL_MS
    } else {
      views.delete(viewId)
    }
  }

  // The lists of a new view: the session infos, then per kind [{realm, ...public fields}, members].
  freeze () {
    const lists = [Array.from(this.registry.values(), e => e.info)]
    if (breakages.on('snapshot_missing') && lists[0].length >= 4) lists[0].pop()
    for (const kind of KIND_NAMES) {
      const entries = this.tables[kind].values()
      lists.push(Array.from(entries, e => [{ realm: e.realm, ...publicFields(e) }, Array.from(e.members)]))
    }
    return lists
  }

  // One page from pos: at most pageSize items, a session or a hook one item, a registration or subscription one
  // plus one per member. An entry whose members do not all fit takes what fits (at least one) and goes on on the
  // next page under the same id. Returns the page and the position of the next one (null after the last).
  page (lists, pos, shape) {
    let [list, index, member] = pos
    let room = this.pageSize
    const page = {}
    for (const { name } of shape) page[name] = []
    for (; list < lists.length; [list, index, member] = [list + 1, 0, 0]) {
      const { name, members: key } = shape[list]
      const entries = lists[list]
      if (!key) {
        page[name] = entries.slice(index, index + room)
        room -= page[name].length
        index += page[name].length
      } else {
        for (; index < entries.length && room >= 2; [index, member] = [index + 1, 0]) {
          const [fields, members] = entries[index]
          const take = Math.min(room - 1, members.length - member)
          page[name].push({ ...fields, [key]: members.slice(member, member + take) })
          room -= 1 + take
          member += take
          if (member < members.length) break
        }
      }
      if (index < entries.length) return { page, next: [list, index, member] }
    }
    return { page, next: null }
  }

  sweepViews () {
    const now = Date.now()
    for (const views of [this.views, this.catchUpViews]) {
      for (const [id, v] of views) if (v.expires < now) views.delete(id)
    }
    this.recentlyLeft(now)
  }

  // ------------------------------------------------------------------------------ told positions and catch-up

  // A PUBLISH of the meta role carrying `_told` (see the binding's part above). On the internal realm (or any realm
  // that is not hooked) `_told` means nothing: the event is routed as it is.
  publishTold (realm, told, route, publisher) {
    if (!this.realms.has(realm)) {
      route()
      return true
    }
    return this.told.publish(realm, told, route, publisher)
  }

  // router.meta.catch_up [realm] (or [realm, null]) for the first page, [realm, cursor] for the next ones. The view,
  // frozen at the first page, is realm's state at seq `at` (the current one with the realm's hooks after `at`
  // undone, newest first) and those hooks: R = P - 1 and skip = i + 1 for the told position [P, i], R = 0 and
  // skip 0 without one. Paged as the snapshot, with the hooks after the subscriptions.
  catchUp (args, caller) {
    requireRole(caller, this.metaRole, 'catch up')
    if (args.length < 1 || args.length > 3) throw invalidArgument('expected [realm], [realm, cursor] or [realm, null, options]')
    const [realm, cursor, options] = args
    if (options !== undefined && options !== null && (!isPlainObject(options) ||
      (options.state !== undefined && options.state !== 'full' && options.state !== 'touched'))) {
      throw invalidArgument("options must be a dict {state: 'full' | 'touched'}")
    }
    // 'touched': the state at R of what the hooks since touch only (and the members of the registrations and
    // subscriptions among it), for a consumer that has a mirror of the rest: in proportion to the hooks missed.
    const sparse = !!(options && options.state === 'touched')
    if (typeof realm !== 'string' || !this.realms.has(realm)) {
      throw invalidArgument(`realm must be a configured client realm, got ${JSON.stringify(realm)}`)
    }
    const now = Date.now()
    let viewId, view, pos
    let first = null
    if (cursor === undefined || cursor === null) {
      const seq = this.seq
      const told = this.told.of(realm)
      const at = told ? told[0] - 1 : 0
      if (this.history.evictedUpTo > at) throw historyLost(realm, told, this.history, seq)
      const records = this.history.since(at, realm)
      const state = rewind(this.realmState(realm, sparse ? touched(records) : null), records)
      if (sparse) {
        // A member that no hook since touches is as it is now.
        for (const kind of KIND_NAMES) {
          for (const e of state[kind].values()) {
            for (const id of e.members) {
              const entry = this.registry.get(id)
              if (!state.sessions.has(id) && entry) state.sessions.set(id, entry.info)
            }
          }
        }
      }
      const lists = [Array.from(state.sessions.values())]
      for (const kind of KIND_NAMES) {
        lists.push(Array.from(state[kind].values(), e => [{ realm, ...publicFields(e) }, Array.from(e.members)]))
      }
      lists.push(records.map(r => [r.topic, r.hook]))
      view = { lists, realm, seq, expires: now + CURSOR_TTL_MS }
      viewId = addView(this.catchUpViews, view)
      first = { at, skip: told ? told[1] + (breakages.on('catch_up_skip') ? 0 : 1) : 0, told }
      pos = [0, 0, 0]
    } else {
      ({ viewId, view, pos } = openView(this.catchUpViews, cursor, CATCH_UP_SHAPE, now, 'catch-up'))
      if (view.realm !== realm) {
        throw invalidArgument(`catch-up cursor '${cursor}' belongs to realm '${view.realm}', not '${realm}'`)
      }
    }
    const { page: lists, next } = this.page(view.lists, pos, CATCH_UP_SHAPE)
    const page = { epoch: this.epoch, seq: view.seq, ...first, ...lists }
    this.turnPage(this.catchUpViews, viewId, view, page, next, now)
    return [page]
  }

  // A copy of realm's current state for rewind() (lib/catchup.js): its sessions by id, its registrations and
  // subscriptions by id with their members.
  // router.session.hooks_since [seq] -> [{epoch, seq: S, hooks: [[topic, info], ...]}]: the hooks after seq, every
  // realm's, oldest first, at most a page of them (ask again after the last one until it reaches S); for a
  // consumer whose mirror stood at seq and missed what came after (a lost link, a lost hook): it catches up
  // without a snapshot, in proportion to what it missed.
  hooksSince (args, caller) {
    requireRole(caller, this.metaRole, 'read the hook history')
    if (args.length !== 1 || !Number.isInteger(args[0]) || args[0] < 0) {
      throw invalidArgument('expected [seq], a whole number')
    }
    const after = args[0]
    if (after > this.seq) throw invalidArgument(`seq ${after} is ahead of the router's ${this.seq}`)
    if (this.history.evictedUpTo > after) {
      const first = this.history.first()
      throw new WampError('router.error.history_lost', [`the hooks after seq ${after} are not all kept (the hook ` +
        `history starts at seq ${first === null ? this.seq + 1 : first})`], { first, seq: this.seq })
    }
    const hooks = this.history.after(after, this.pageSize).map(r => [r.topic, r.hook])
    return [{ epoch: this.epoch, seq: this.seq, hooks }]
  }

  // With `only` ({sessions, registration, subscription}: sets of ids), of those alone.
  realmState (realm, only = null) {
    const state = { sessions: new Map() }
    if (only) {
      for (const id of only.sessions) {
        const entry = this.registry.get(id)
        if (entry && entry.info.realm === realm) state.sessions.set(id, entry.info)
      }
    } else {
      for (const [id, { info }] of this.registry) if (info.realm === realm) state.sessions.set(id, info)
    }
    for (const kind of KIND_NAMES) {
      state[kind] = new Map()
      const entries = only ? Array.from(only[kind], id => this.tables[kind].get(id)).filter(e => e)
        : this.tables[kind].values()
      for (const e of entries) {
        if (e.realm === realm) state[kind].set(e.id, { ...e, members: new Set(e.members) })
      }
    }
    return state
  }

  kill (args, kwargs) {
    const session = args[0]
    const reason = args.length > 1 ? args[1] : kwargs.reason
    const message = args.length > 2 ? args[2] : kwargs.message
    if (!Number.isInteger(session)) throw invalidArgument('session must be an integer id')
    if (reason !== undefined && reason !== null) {
      if (typeof reason !== 'string') throw invalidArgument('reason must be a URI string')
      if (!URI_RE.test(reason)) throw new WampError('wamp.error.invalid_uri', [`invalid reason URI '${reason}'`])
    }
    if (message !== undefined && message !== null && typeof message !== 'string') {
      throw invalidArgument('message must be a string')
    }
    const options = args.length > 3 ? args[3] : kwargs.options
    if (options !== undefined && options !== null && (!isPlainObject(options) ||
      (options.quiet !== undefined && typeof options.quiet !== 'boolean'))) {
      throw invalidArgument('options must be a dict {quiet: bool}')
    }
    this.flushJoin(session)
    const entry = this.registry.get(session)
    if (!entry) {
      if (breakages.on('kill_unknown_ok')) return [true]
      throw new WampError('wamp.error.no_such_session', [`no session ${session}`])
    }
    if (options && options.quiet) entry.quiet = true
    const dropped = breakages.on('kill_reason_dropped')
    const kill = () => entry.owner.killSession(entry.info,
      dropped ? 'wamp.close.killed' : reason || 'wamp.close.killed', dropped ? undefined : message)
    if (breakages.on('kill_left_late')) setTimeout(kill, 100)
    else kill()
    return [true]
  }

  // router.registration.remove_callee [realm, registration, callee, reason?] and
  // router.subscription.remove_subscriber [realm, subscription, subscriber, reason?].
  removeMember (kind, args, caller) {
    requireRole(caller, this.metaRole, `remove a ${kind}'s members`)
    const what = KINDS[kind].members.replace(/s$/, '')
    if (args.length < 3 || args.length > 4) throw invalidArgument(`expected [realm, ${kind}, ${what}, reason?]`)
    const [realm, id, session, reason] = args
    if (typeof realm !== 'string' || !this.realms.has(realm)) {
      throw invalidArgument(`realm must be a configured client realm, got ${JSON.stringify(realm)}`)
    }
    if (!Number.isInteger(id)) throw invalidArgument(`${kind} must be an integer id`)
    if (!Number.isInteger(session)) throw invalidArgument(`${what} must be an integer session id`)
    if (reason !== undefined && reason !== null && (typeof reason !== 'string' || !URI_RE.test(reason))) {
      throw invalidArgument(`reason must be a URI, got ${JSON.stringify(reason)}`)
    }
    const entry = this.tables[kind].get(id)
    if (!entry || entry.realm !== realm) {
      if (kind === 'registration' && breakages.on('remove_callee_unknown_ok')) return []
      throw new WampError(KINDS[kind].noSuch, [`no ${kind} ${id} on realm '${realm}'`])
    }
    if (!entry.members.has(session)) {
      throw new WampError('wamp.error.no_such_session', [`session ${session} is not a ${what} of ${kind} ${id}`])
    }
    const remove = () => this.binding.removeMember(kind, realm, id, session, reason === null ? undefined : reason)
    if (kind === 'subscription' && breakages.on('remove_subscriber_late')) setTimeout(remove, 100)
    else remove()
    return []
  }
}

// An entry's fields as hooks and snapshots carry them.
function publicFields (entry) {
  const out = {}
  for (const f of KINDS[entry.kind].fields) out[f] = entry[f]
  return out
}

// Whether pos = [list, index, member] is a position inside the lists (where a page may start).
function inside (lists, [list, index, member], shape) {
  if (list >= lists.length || index >= lists[list].length) return false
  return shape[list].members ? member < lists[list][index][1].length : member === 0
}

// Keeps a new view under a new id (dropping the oldest when there are too many); returns the id.
function addView (views, view) {
  const viewId = crypto.randomBytes(9).toString('base64url')
  if (views.size >= MAX_VIEWS) views.delete(views.keys().next().value) // oldest
  views.set(viewId, view)
  return viewId
}

// The view and position a cursor names, or invalid_argument for a malformed, unknown or expired one.
function openView (views, cursor, shape, now, what) {
  const m = typeof cursor === 'string' ? CURSOR_RE.exec(cursor) : null
  if (!m) throw invalidArgument('cursor must be a string returned as next_cursor')
  const viewId = m[1]
  const pos = [Number(m[2]), Number(m[3]), Number(m[4])]
  const view = views.get(viewId)
  if (!view || view.expires < now || !inside(view.lists, pos, shape)) {
    if (view && view.expires < now) views.delete(viewId)
    throw invalidArgument(`unknown or expired ${what} cursor '${cursor}'`)
  }
  return { viewId, view, pos }
}

module.exports = { HookProtocol }
