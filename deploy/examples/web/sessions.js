'use strict'
// The live sessions page: who is on a realm, kept current from the WAMP Session Meta API, and which procedures
// and topics they registered and subscribed to, from the Registration and Subscription Meta API.
//
// It joins the realm named by ?realm= (default realm1) anonymously on ws(s)://<this host>/ws, subscribes to
// wamp.session.on_join and on_leave, then calls wamp.session.list and applies on top of the list the events that
// arrived while the call was under way; details come from wamp.session.get. Registrations and subscriptions are
// kept the same way: their four events each, then wamp.registration.list / wamp.subscription.list, then get and
// list_callees / list_subscribers per id. The session is window.session, so that the console can call the meta
// API too.
/* global autobahn */

;(function () {
  const KILL_OPTIONS = { reason: 'wamp.close.killed', message: 'killed from the sessions page' }
  const RETRY_MS = 2000 // a realm whose meta API is not (yet) served is asked again this often
  // The lists are taken again this often, because not every end is announced (wamp.session.kill_all publishes
  // no on_leave) and the kill and remove procedures come and go with the sidecar's configuration.
  const RESYNC_MS = 30000
  const GET_PARALLEL = 8 // get calls in flight at once while details are fetched
  // Events and answers in a burst make one redraw after this long, or longer when redraws are slow (a few
  // hundred rows while their details come in), so that the page keeps taking answers between redraws.
  const RENDER_DELAY_MS = 30
  const MEMBERSHIP_DELAY_MS = 100 // a burst of events about the selected session makes one refresh of its panel

  // The registration and subscription meta APIs have the same shape: what differs is named here.
  const KINDS = [
    { name: 'registration', prefix: 'wamp.registration', element: 'registrations', add: 'on_register',
      remove: 'on_unregister', members: 'list_callees', removeMember: 'remove_callee', member: 'callee',
      noSuch: 'wamp.error.no_such_registration', held: 'Registered' },
    { name: 'subscription', prefix: 'wamp.subscription', element: 'subscriptions', add: 'on_subscribe',
      remove: 'on_unsubscribe', members: 'list_subscribers', removeMember: 'remove_subscriber', member: 'subscriber',
      noSuch: 'wamp.error.no_such_subscription', held: 'Subscribed to' }
  ]
  const MATCH_ORDER = { exact: 0, prefix: 1, wildcard: 2 }
  const URI_ORDER = new Intl.Collator('en', { numeric: true }) // com.example.proc2 before com.example.proc10

  const params = new URLSearchParams(window.location.search)
  const realm = params.get('realm') || 'realm1'
  const url = (window.location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + window.location.host + '/ws'

  const $ = id => document.getElementById(id)
  const tbody = document.querySelector('#sessions tbody')

  let session = null
  let generation = 0 // one per connection: answers and events of an older one are dropped
  let sessions = new Map() // session id -> details, or null until wamp.session.get answered
  let listed = false // sessions holds the realm's list (with the events since applied)
  let pending = null // on_join / on_leave that arrived while wamp.session.list was under way
  let killServed = false
  let selected = null
  let membership = null // the selected session's ids per kind, as wamp.*.list([session]) returned them
  let membershipTimer = null
  let retryTimer = null
  let renderQueued = false
  let renderMs = 0 // how long the last redraw took

  // ------------------------------------------------------------------------------------------------ display

  function setState (name, text) {
    $('state').dataset.state = name
    $('state').textContent = text
  }

  function showError (text) {
    $('error').textContent = text
    $('error').hidden = false
  }

  function clearError () {
    $('error').hidden = true
    $('error').textContent = ''
  }

  function errorText (e) {
    if (e && e.error) return e.error + (e.args && e.args.length ? ': ' + e.args[0] : '')
    return String(e && e.message ? e.message : e)
  }

  function element (tag, className, text) {
    const e = document.createElement(tag)
    if (className) e.className = className
    if (text !== undefined) e.textContent = text
    return e
  }

  function cell (row, text, className) {
    const td = row.insertCell()
    td.textContent = text
    if (className) td.className = className
    return td
  }

  // "websocket/json", and the peer's address on a line of its own.
  function transportCell (row, d) {
    const t = (d && d.transport) || {}
    const td = cell(row, d ? [t.type, t.serializer].filter(Boolean).join('/') : '…', 'transport')
    if (t.peer) td.append(element('span', 'peer', t.peer))
  }

  function byRoleThenId (a, b) {
    const da = a[1] || {}
    const db = b[1] || {}
    return (da.authrole || '~').localeCompare(db.authrole || '~') ||
      (da.authid || '').localeCompare(db.authid || '') || a[0] - b[0]
  }

  function sessionRow (id) {
    return tbody.querySelector(`tr[data-session="${id}"]`)
  }

  function render () {
    const t0 = window.performance.now()
    renderQueued = false
    const rows = Array.from(sessions).sort(byRoleThenId)
    tbody.textContent = ''
    for (const [id, d] of rows) {
      const row = tbody.insertRow()
      row.dataset.session = String(id)
      if (id === selected) row.className = 'selected'
      const idCell = cell(row, String(id), 'id')
      if (session && id === session.id) idCell.append(' ', element('span', 'tag', 'this page'))
      cell(row, d ? d.authid : '…', 'authid')
      cell(row, d ? d.authrole : '…', 'authrole')
      cell(row, d ? d.authmethod : '…', 'authmethod')
      transportCell(row, d)
      const actions = cell(row, '', 'actions')
      if (killServed && !(session && id === session.id)) {
        const button = element('button', 'kill', 'Kill')
        button.type = 'button'
        button.title = `wamp.session.kill(${id})`
        button.addEventListener('click', event => {
          event.stopPropagation()
          kill(id)
        })
        actions.append(button)
      }
      row.addEventListener('click', () => select(id))
    }
    $('empty').hidden = !listed || rows.length > 0
    renderCounts()
    for (const kind of KINDS) renderKind(kind)
    renderMembership()
    void document.body.offsetHeight // the layout, done now, is counted too
    renderMs = window.performance.now() - t0
  }

  function renderCounts () {
    const counts = new Map()
    let loading = 0
    for (const d of sessions.values()) {
      if (d) counts.set(d.authrole, (counts.get(d.authrole) || 0) + 1)
      else loading++
    }
    $('total').textContent = listed ? `${sessions.size} session${sessions.size === 1 ? '' : 's'}` : 'no list yet'
    const list = $('roles')
    list.textContent = ''
    for (const [role, n] of Array.from(counts).sort((a, b) => a[0].localeCompare(b[0]))) {
      const li = element('li', '', `${role} ${n}`)
      li.dataset.authrole = role
      list.append(li)
    }
    if (loading > 0) list.append(element('li', 'loading', `loading ${loading}`))
  }

  function scheduleRender () {
    if (renderQueued) return
    renderQueued = true
    setTimeout(render, Math.max(RENDER_DELAY_MS, 4 * renderMs))
  }

  function showDetails (title, fields, raw) {
    const panel = $('details')
    panel.textContent = ''
    panel.append(element('h2', '', title))
    if (fields) {
      const dl = document.createElement('dl')
      for (const [k, v] of fields) {
        const dd = element('dd', '', v)
        dd.dataset.field = k
        dl.append(element('dt', '', k), dd)
      }
      const held = element('div', 'membership')
      held.id = 'membership'
      panel.append(dl, held)
    }
    if (typeof raw === 'string') {
      panel.append(element('p', 'hint', raw))
    } else if (raw !== undefined) {
      const more = document.createElement('details')
      more.append(element('summary', '', 'as wamp.session.get returned it'),
        element('pre', '', JSON.stringify(raw, null, 2)))
      panel.append(more)
    }
    renderMembership()
  }

  function detailFields (d) {
    const t = d.transport || {}
    const fields = [['session', String(d.session)], ['authid', d.authid], ['authrole', d.authrole],
      ['authmethod', d.authmethod], ['authprovider', d.authprovider], ['realm', d.realm],
      ['transport', t.type], ['serializer', t.serializer], ['peer', t.peer]]
    return fields.filter(f => f[1] !== undefined && f[1] !== null)
  }

  function showFeatures (welcome) {
    const roles = (welcome && welcome.roles) || {}
    const names = []
    for (const role of ['broker', 'dealer']) {
      const features = (roles[role] && roles[role].features) || {}
      for (const name of Object.keys(features)) {
        if (features[name] === true && /_meta_api$/.test(name)) names.push(`${role}.${name}`)
      }
    }
    $('features').textContent = names.length ? 'announced: ' + names.join(', ') : ''
  }

  // -------------------------------------------------------------- display: registrations and subscriptions

  function uriOrder (a, b) {
    const da = a[1].details
    const db = b[1].details
    if (!da || !db) return (da ? 0 : 1) - (db ? 0 : 1) || a[0] - b[0]
    return URI_ORDER.compare(da.uri, db.uri) || MATCH_ORDER[da.match] - MATCH_ORDER[db.match] || a[0] - b[0]
  }

  // The filter keeps the entries whose URI contains the text, or whose id or one of whose members is the number.
  function filterTest () {
    const text = $('filter').value.trim().toLowerCase()
    if (!text) return null
    const number = /^\d+$/.test(text) ? Number(text) : null
    return (id, entry) => (entry.details && entry.details.uri.toLowerCase().includes(text)) ||
      (number !== null && (id === number || (entry.members !== null && entry.members.has(number))))
  }

  function sessionTitle (id) {
    const d = sessions.get(id)
    if (d) return `session ${id}: ${d.authid} (${d.authrole})`
    return sessions.has(id) ? `session ${id}` : `session ${id}, not in the session list`
  }

  // A member: its session id, which selects the session (and marks its row while pointed at), and, where the
  // realm serves the removal procedure, a button that has the router remove it. The table's listeners act on
  // them (listenToMembers), so that a redraw of a few hundred rows adds no listener.
  function memberChip (kind, id, member) {
    const chip = element('span', 'member')
    chip.dataset.session = String(member)
    if (member === selected) chip.classList.add('selected')
    if (!sessions.has(member)) chip.classList.add('unknown')
    const link = element('a', '', String(member))
    link.href = '#'
    link.title = sessionTitle(member)
    chip.append(link)
    if (kind.removeServed) {
      const remove = element('button', 'remove', '×')
      remove.type = 'button'
      remove.title = `${kind.prefix}.${kind.removeMember}(${id}, ${member})`
      remove.setAttribute('aria-label', `remove ${kind.member} ${member}`)
      chip.append(remove)
    }
    return chip
  }

  function listenToMembers (kind) {
    const body = $(kind.element).querySelector('tbody')
    const target = event => {
      const chip = event.target.closest('.member')
      return chip && { member: Number(chip.dataset.session), id: Number(chip.closest('tr').dataset.id) }
    }
    body.addEventListener('click', event => {
      const t = target(event)
      if (!t) return
      if (event.target.closest('button.remove')) {
        removeMember(kind, t.id, t.member)
      } else if (event.target.closest('a')) {
        event.preventDefault()
        select(t.member)
        const row = sessionRow(t.member)
        if (row) row.scrollIntoView({ block: 'nearest' })
      }
    })
    const point = on => event => {
      const t = event.target.closest('.member a') && target(event)
      const row = t && sessionRow(t.member)
      if (row) row.classList.toggle('pointed', on)
    }
    body.addEventListener('mouseover', point(true))
    body.addEventListener('mouseout', point(false))
  }

  function renderKind (kind) {
    const box = $(kind.element)
    box.dataset.state = kind.state
    box.dataset.remove = kind.removeServed ? 'served' : 'not-served'
    const note = box.querySelector('.note')
    note.textContent = kind.note
    note.hidden = !kind.note
    const test = filterTest()
    const all = Array.from(kind.entries).sort(uriOrder)
    const shown = test ? all.filter(([id, entry]) => test(id, entry)) : all
    box.querySelector('.count').textContent = kind.state !== 'listed' ? ''
      : test ? `${shown.length} of ${all.length}` : String(all.length)
    box.querySelector('table').hidden = shown.length === 0
    // A row is drawn again only when what it shows changed, and the rows are put in order moving as few as
    // possible: with a few hundred rows, a redraw for one event then costs the browser little layout.
    const body = box.querySelector('tbody')
    const drawn = new Map()
    shown.forEach(([id, entry], i) => {
      const members = entry.members === null ? null : Array.from(entry.members).sort((a, b) => a - b)
      const look = JSON.stringify([entry.details, members, kind.removeServed,
        members && members.map(m => [m === selected, sessionTitle(m)])])
      const old = kind.rows.get(id)
      const row = old && old.look === look ? old.row : kindRow(kind, id, entry.details, members)
      drawn.set(id, { look, row })
      if (body.rows[i] !== row) body.insertBefore(row, body.rows[i] || null)
    })
    while (body.rows.length > shown.length) body.deleteRow(-1)
    kind.rows = drawn
    if (kind.state === 'listed' && shown.length === 0) {
      note.textContent = all.length ? `No ${kind.name} matches the filter.` : `No ${kind.name} on ${realm}.`
      note.hidden = false
    }
  }

  function kindRow (kind, id, d, members) {
    const row = document.createElement('tr')
    row.dataset.id = String(id)
    cell(row, String(id), 'id')
    cell(row, d ? d.uri : '…', 'uri')
    cell(row, d ? d.match : '', 'match').dataset.match = d ? d.match : ''
    if (kind.name === 'registration') cell(row, d ? d.invoke : '', 'invoke')
    const td = cell(row, members === null ? '…' : '', 'members')
    if (members !== null) for (const member of members) td.append(memberChip(kind, id, member))
    return row
  }

  // The selected session's registrations and subscriptions in its details panel.
  function renderMembership () {
    const box = $('membership')
    if (!box) return
    box.textContent = ''
    if (!membership || membership.session !== selected) return
    for (const kind of KINDS) {
      const ids = membership[kind.name]
      if (ids === undefined) continue
      const part = element('section')
      part.dataset.kind = kind.name
      part.append(element('h3', '', typeof ids === 'string' ? kind.held : `${kind.held} (${ids.length})`))
      if (typeof ids === 'string') {
        part.append(element('p', 'hint', ids))
      } else if (ids.length === 0) {
        part.append(element('p', 'hint', 'nothing'))
      } else {
        const ul = element('ul')
        const known = id => kind.entries.get(id) || { details: null }
        for (const [id, entry] of ids.map(id => [id, known(id)]).sort(uriOrder)) {
          const d = entry.details
          const li = element('li', '', d ? d.uri : '…')
          li.dataset.id = String(id)
          if (d && d.match !== 'exact') li.append(' ', element('span', 'match', d.match))
          li.title = `${kind.name} ${id}`
          ul.append(li)
        }
        part.append(ul)
      }
      box.append(part)
    }
  }

  // ------------------------------------------------------------------------------------------- the model

  function apply (event) {
    if (event.kind === 'join') {
      sessions.set(event.id, event.details)
    } else {
      sessions.delete(event.id)
      if (event.id === selected) {
        membership = null
        showDetails(`Session ${event.id}`, null, 'This session has left.')
      }
    }
  }

  // on_join: [details]; on_leave: [session, authid, authrole] or just [session] (both shapes are in use).
  function onEvent (gen, kind, args) {
    if (gen !== generation || !Array.isArray(args) || args.length === 0) return
    let event
    if (kind === 'join') {
      const d = args[0]
      if (!d || typeof d !== 'object' || !Number.isInteger(d.session)) return
      event = { kind, id: d.session, details: d }
    } else {
      if (!Number.isInteger(args[0])) return
      event = { kind, id: args[0] }
    }
    if (pending !== null) {
      pending.push(event)
    } else {
      apply(event)
      scheduleRender()
    }
  }

  // Calls fn for each item, at most GET_PARALLEL at a time.
  async function inParallel (items, fn) {
    const todo = items.slice()
    const worker = async () => {
      while (todo.length > 0) await fn(todo.shift())
    }
    await Promise.all(Array.from({ length: Math.min(GET_PARALLEL, todo.length) }, worker))
  }

  async function loadList (gen) {
    if (gen !== generation) return
    retryTimer = null
    pending = []
    let ids
    try {
      ids = await session.call('wamp.session.list')
    } catch (e) {
      if (gen !== generation) return
      showError(`wamp.session.list on ${realm} failed (${errorText(e)}); asking again in ${RETRY_MS / 1000} s`)
      for (const kind of KINDS) loadKind(gen, kind)
      retryTimer = setTimeout(() => loadList(gen), RETRY_MS)
      return
    }
    if (gen !== generation) return
    const next = new Map()
    for (const id of ids) next.set(id, sessions.get(id) || null)
    sessions = next
    for (const event of pending) apply(event)
    pending = null
    listed = true
    clearError()
    render()
    probeKill(gen)
    fetchDetails(gen)
    for (const kind of KINDS) loadKind(gen, kind)
    retryTimer = setTimeout(() => loadList(gen), RESYNC_MS)
  }

  // Details for the listed sessions, a few calls at a time; a session gone meanwhile is dropped.
  function fetchDetails (gen) {
    const todo = Array.from(sessions).filter(e => e[1] === null).map(e => e[0])
    return inParallel(todo, async id => {
      if (gen !== generation || !sessions.has(id) || sessions.get(id) !== null) return
      try {
        const d = await session.call('wamp.session.get', [id])
        if (gen === generation && sessions.has(id) && sessions.get(id) === null) sessions.set(id, d)
      } catch (e) {
        if (gen !== generation) return
        if (e.error === 'wamp.error.no_such_session') sessions.delete(id)
        else showError(`wamp.session.get(${id}) failed: ${errorText(e)}`)
      }
      scheduleRender()
    })
  }

  // Whether the realm serves a procedure that takes arguments: a call without any is refused either as a
  // procedure nobody registered or as bad arguments, and never acts. Null when the answer says neither.
  async function probe (procedure) {
    try {
      await session.call(procedure)
      return true
    } catch (e) {
      if (e.error === 'wamp.error.no_such_procedure') return false
      if (e.error === 'wamp.error.invalid_argument') return true
      return null
    }
  }

  async function probeKill (gen) {
    const served = await probe('wamp.session.kill')
    if (gen !== generation || served === null) return
    killServed = served
    document.body.dataset.kill = served ? 'served' : 'not-served'
    render()
  }

  async function select (id) {
    selected = id
    membership = null
    render()
    showDetails(`Session ${id}`, null, 'loading…')
    loadMembership(generation, id)
    try {
      const d = await session.call('wamp.session.get', [id])
      if (selected === id) showDetails(`Session ${id}`, detailFields(d), d)
    } catch (e) {
      if (selected === id) showDetails(`Session ${id}`, null, errorText(e))
    }
  }

  // Kill and remove act once asked: the router ends a session or a registration or subscription of it.
  async function act (question, procedure, args, kwargs) {
    if (!window.confirm(question)) return
    try {
      await session.call(procedure, args, kwargs)
    } catch (e) {
      showError(`${procedure}(${args.join(', ')}) failed: ${errorText(e)}`)
    }
  }

  function kill (id) {
    return act(`Kill session ${id}?`, 'wamp.session.kill', [id], KILL_OPTIONS)
  }

  // ------------------------------------------------------------ the model: registrations and subscriptions
  //
  // Per kind, entries maps an id to {details, members, buffer}: details as get returned them (or on_create
  // told them), null until known; members a Set of session ids, null until list_callees / list_subscribers
  // answered; buffer the member events that came while that call was under way, to apply on top of its answer.

  function resetKind (kind) {
    kind.entries = new Map()
    kind.pending = null // events that came while the list call was under way
    kind.loading = false
    kind.state = 'loading'
    kind.note = 'no list yet'
    kind.removeServed = false
    kind.subscribed = null
    kind.rows = new Map() // id -> {look, row}: the rows drawn, and what each showed
  }

  // list answers {exact, prefix, wildcard}: the ids of each match policy.
  function listedIds (lists) {
    return [].concat(lists.exact || [], lists.prefix || [], lists.wildcard || [])
  }

  function applyMember (entry, event) {
    if (event.type === 'add') entry.members.add(event.session)
    else entry.members.delete(event.session)
  }

  // Returns the id of an entry that must be fetched, if the event named one not yet known.
  function applyObservation (kind, event) {
    const entry = kind.entries.get(event.id)
    if (event.type === 'create') {
      // on_create comes before the first member's event: a new entry starts with no member.
      if (!entry) kind.entries.set(event.id, { details: event.details, members: new Set(), buffer: null })
      else if (!entry.details) entry.details = event.details
    } else if (event.type === 'delete') {
      kind.entries.delete(event.id)
    } else if (!entry) {
      kind.entries.set(event.id, { details: null, members: null, buffer: null })
      return event.id
    } else {
      // Not yet asked: the answer will include this event. Being asked: applied again on top of the answer.
      if (entry.members !== null) applyMember(entry, event)
      if (entry.buffer !== null) entry.buffer.push(event)
    }
    return null
  }

  // on_create: [session, details]; the others: [session, id].
  function onObservation (gen, kind, type, args) {
    if (gen !== generation || !Array.isArray(args) || !Number.isInteger(args[0])) return
    const d = args[1]
    const id = type === 'create' ? d && d.id : d
    if (!Number.isInteger(id) || (type === 'create' && typeof d.uri !== 'string')) return
    const event = { type, session: args[0], id, details: type === 'create' ? d : null }
    if (event.session === selected) scheduleMembership(gen)
    if (kind.pending !== null) {
      kind.pending.push(event)
      return
    }
    if (kind.state !== 'listed') return
    const unknown = applyObservation(kind, event)
    if (unknown !== null) fetchEntry(gen, kind, unknown)
    scheduleRender()
  }

  function subscribeKind (gen, kind) {
    const on = (topic, type) => session.subscribe(`${kind.prefix}.${topic}`, args => onObservation(gen, kind, type, args))
    kind.subscribed = Promise.all([on('on_create', 'create'), on(kind.add, 'add'), on(kind.remove, 'remove'),
      on('on_delete', 'delete')]).then(() => null, e => e)
  }

  function kindFailed (kind, state, note) {
    kind.entries = new Map()
    kind.state = state
    kind.note = note
    kind.removeServed = false
    render()
  }

  // Subscribed first, then the list, then the events that came meanwhile on top; then details and members.
  async function loadKind (gen, kind) {
    if (kind.loading) return
    kind.loading = true
    try {
      const refused = await kind.subscribed
      if (gen !== generation) return
      if (refused) {
        kindFailed(kind, 'error', `cannot subscribe to the ${kind.prefix}.* events: ${errorText(refused)}`)
        return
      }
      kind.pending = []
      let lists
      try {
        lists = await session.call(`${kind.prefix}.list`)
      } catch (e) {
        if (gen !== generation) return
        kind.pending = null
        if (e.error === 'wamp.error.no_such_procedure') {
          kindFailed(kind, 'not-served', `${realm} does not serve ${kind.prefix}.*: it needs wamp-metad next to a ` +
            'router that speaks hook protocol v2.')
        } else if (e.error === 'wamp.error.not_authorized') {
          kindFailed(kind, 'refused', `This page's role may not call ${kind.prefix}.list on ${realm}.`)
        } else {
          kindFailed(kind, 'error', `${kind.prefix}.list failed: ${errorText(e)}`)
        }
        return
      }
      if (gen !== generation) return
      const ids = listedIds(lists)
      const next = new Map()
      // Known entries stay shown while their members are asked again.
      for (const id of ids) next.set(id, kind.entries.get(id) || { details: null, members: null, buffer: null })
      kind.entries = next
      for (const event of kind.pending) applyObservation(kind, event)
      kind.pending = null
      kind.state = 'listed'
      kind.note = ''
      render()
      probe(`${kind.prefix}.${kind.removeMember}`).then(served => {
        if (gen !== generation || served === null) return
        kind.removeServed = served
        scheduleRender()
      })
      if (selected !== null) scheduleMembership(gen)
      await inParallel(Array.from(kind.entries.keys()), id => fetchEntry(gen, kind, id))
    } finally {
      if (gen === generation) kind.loading = false
    }
  }

  // get (unless known) and the members of one entry.
  async function fetchEntry (gen, kind, id) {
    const entry = kind.entries.get(id)
    if (gen !== generation || !entry || entry.buffer !== null) return
    entry.buffer = []
    let details, members
    try {
      [details, members] = await Promise.all([entry.details || session.call(`${kind.prefix}.get`, [id]),
        session.call(`${kind.prefix}.${kind.members}`, [id])])
    } catch (e) {
      if (gen !== generation || kind.entries.get(id) !== entry) return
      entry.buffer = null
      if (e.error === kind.noSuch) kind.entries.delete(id)
      else showError(`${kind.prefix}.get / ${kind.members}(${id}) failed: ${errorText(e)}`)
      scheduleRender()
      return
    }
    if (gen !== generation || kind.entries.get(id) !== entry) return
    entry.details = details
    entry.members = new Set(members)
    for (const event of entry.buffer) applyMember(entry, event)
    entry.buffer = null
    scheduleRender()
  }

  // What the selected session registered and subscribed to, in Crossbar's per-session form of list.
  async function loadMembership (gen, id) {
    const next = { session: id }
    await Promise.all(KINDS.filter(kind => kind.state === 'listed').map(async kind => {
      try {
        const lists = await session.call(`${kind.prefix}.list`, [id])
        next[kind.name] = listedIds(lists)
      } catch (e) {
        next[kind.name] = errorText(e)
      }
    }))
    if (gen !== generation || selected !== id) return
    membership = next
    renderMembership()
  }

  function scheduleMembership (gen) {
    clearTimeout(membershipTimer)
    membershipTimer = setTimeout(() => {
      if (gen === generation && selected !== null) loadMembership(gen, selected)
    }, MEMBERSHIP_DELAY_MS)
  }

  // Without a reason (it is optional): the page knows none to give, and the client is told of the removal anyway
  // (a router-initiated UNREGISTERED / UNSUBSCRIBED).
  function removeMember (kind, id, member) {
    const entry = kind.entries.get(id)
    const what = `${kind.name} ${id}` + (entry && entry.details ? ` (${entry.details.uri})` : '')
    return act(`Remove ${kind.member} ${member} from ${what}?`, `${kind.prefix}.${kind.removeMember}`, [id, member])
  }

  // ------------------------------------------------------------------------------------------ connection

  function onOpen (s, welcome) {
    generation++
    const gen = generation
    session = s
    // Autobahn|JS's session.log prints with the session's header; bound, so that .then(session.log) works.
    const log = s.log
    s.log = (...args) => log.apply(s, args)
    window.session = s
    sessions = new Map()
    listed = false
    selected = null
    membership = null
    killServed = false
    setState('connected', `connected · session ${s.id}`)
    showFeatures(welcome)
    for (const kind of KINDS) {
      resetKind(kind)
      subscribeKind(gen, kind)
    }
    render()
    Promise.all([
      s.subscribe('wamp.session.on_join', args => onEvent(gen, 'join', args)),
      s.subscribe('wamp.session.on_leave', args => onEvent(gen, 'leave', args))
    ]).then(() => loadList(gen), e => showError(`cannot subscribe to the meta events: ${errorText(e)}`))
  }

  function onClose (reason, details) {
    generation++
    clearTimeout(retryTimer)
    clearTimeout(membershipTimer)
    session = null
    window.session = null
    const why = [details && details.reason, details && details.message].filter(Boolean).join(': ') || reason
    if (details && details.will_retry) {
      setState('closed', `disconnected · retrying in ${Math.round(details.retry_delay)} s`)
    } else {
      setState('closed', 'disconnected')
    }
    if (reason !== 'closed' || (details && details.reason)) showError(`connection to ${url} (${realm}): ${why}`)
    sessions = new Map()
    listed = false
    pending = null
    for (const kind of KINDS) resetKind(kind)
    render()
  }

  function start () {
    $('realm').textContent = realm
    document.title = `Sessions on ${realm}`
    for (const kind of KINDS) resetKind(kind)
    $('filter').addEventListener('input', () => {
      for (const kind of KINDS) renderKind(kind)
    })
    for (const kind of KINDS) listenToMembers(kind)
    if (typeof autobahn === 'undefined') {
      setState('closed', 'not connected')
      showError('Autobahn|JS did not load from /autobahn/autobahn.min.js')
      return
    }
    const connection = new autobahn.Connection({ url, realm, max_retries: -1, initial_retry_delay: 1,
      max_retry_delay: 10 })
    connection.onopen = onOpen
    connection.onclose = onClose
    setState('connecting', `connecting to ${url}…`)
    connection.open()
  }

  start()
})()
