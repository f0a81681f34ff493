'use strict'
// The live sessions page: who is on a realm, kept current from the WAMP Session Meta API.
//
// It joins the realm named by ?realm= (default realm1) anonymously on ws(s)://<this host>/ws, subscribes to
// wamp.session.on_join and on_leave, then calls wamp.session.list and applies on top of the list the events that
// arrived while the call was under way; details come from wamp.session.get. The session is window.session, so
// that the console can call the meta API too.
/* global autobahn */

;(function () {
  const KILL_OPTIONS = { reason: 'wamp.close.killed', message: 'killed from the sessions page' }
  const RETRY_MS = 2000 // a realm whose meta API is not (yet) served is asked again this often
  // The list is taken again this often, because not every end is announced (wamp.session.kill_all publishes no
  // on_leave) and the kill procedures come and go with the sidecar's configuration.
  const RESYNC_MS = 30000
  const GET_PARALLEL = 8 // wamp.session.get calls in flight at once while details are fetched

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
  let retryTimer = null
  let renderQueued = false

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
    if (t.peer) {
      const peer = document.createElement('span')
      peer.className = 'peer'
      peer.textContent = t.peer
      td.append(peer)
    }
  }

  function byRoleThenId (a, b) {
    const da = a[1] || {}
    const db = b[1] || {}
    return (da.authrole || '~').localeCompare(db.authrole || '~') ||
      (da.authid || '').localeCompare(db.authid || '') || a[0] - b[0]
  }

  function render () {
    renderQueued = false
    const rows = Array.from(sessions).sort(byRoleThenId)
    tbody.textContent = ''
    for (const [id, d] of rows) {
      const row = tbody.insertRow()
      row.dataset.session = String(id)
      if (id === selected) row.className = 'selected'
      const idCell = cell(row, String(id), 'id')
      if (session && id === session.id) {
        const me = document.createElement('span')
        me.className = 'tag'
        me.textContent = 'this page'
        idCell.append(' ', me)
      }
      cell(row, d ? d.authid : '…', 'authid')
      cell(row, d ? d.authrole : '…', 'authrole')
      cell(row, d ? d.authmethod : '…', 'authmethod')
      transportCell(row, d)
      const actions = cell(row, '', 'actions')
      if (killServed && !(session && id === session.id)) {
        const button = document.createElement('button')
        button.className = 'kill'
        button.type = 'button'
        button.textContent = 'Kill'
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
      const li = document.createElement('li')
      li.dataset.authrole = role
      li.textContent = `${role} ${n}`
      list.append(li)
    }
    if (loading > 0) {
      const li = document.createElement('li')
      li.className = 'loading'
      li.textContent = `loading ${loading}`
      list.append(li)
    }
  }

  // Many events in a burst make one redraw.
  function scheduleRender () {
    if (renderQueued) return
    renderQueued = true
    setTimeout(render, 30)
  }

  function showDetails (title, fields, raw) {
    const panel = $('details')
    panel.textContent = ''
    const h = document.createElement('h2')
    h.textContent = title
    panel.append(h)
    if (fields) {
      const dl = document.createElement('dl')
      for (const [k, v] of fields) {
        const dt = document.createElement('dt')
        dt.textContent = k
        const dd = document.createElement('dd')
        dd.textContent = v
        dd.dataset.field = k
        dl.append(dt, dd)
      }
      panel.append(dl)
    }
    if (typeof raw === 'string') {
      const p = document.createElement('p')
      p.className = 'hint'
      p.textContent = raw
      panel.append(p)
    } else if (raw !== undefined) {
      const more = document.createElement('details')
      const summary = document.createElement('summary')
      summary.textContent = 'as wamp.session.get returned it'
      const pre = document.createElement('pre')
      pre.textContent = JSON.stringify(raw, null, 2)
      more.append(summary, pre)
      panel.append(more)
    }
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

  // ------------------------------------------------------------------------------------------- the model

  function apply (event) {
    if (event.kind === 'join') {
      sessions.set(event.id, event.details)
    } else {
      sessions.delete(event.id)
      if (event.id === selected) showDetails(`Session ${event.id}`, null, 'This session has left.')
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
    retryTimer = setTimeout(() => loadList(gen), RESYNC_MS)
  }

  // Details for the listed sessions, a few calls at a time; a session gone meanwhile is dropped.
  async function fetchDetails (gen) {
    const todo = Array.from(sessions).filter(e => e[1] === null).map(e => e[0])
    const worker = async () => {
      while (todo.length > 0 && gen === generation) {
        const id = todo.shift()
        if (!sessions.has(id) || sessions.get(id) !== null) continue
        try {
          const d = await session.call('wamp.session.get', [id])
          if (gen === generation && sessions.has(id) && sessions.get(id) === null) sessions.set(id, d)
        } catch (e) {
          if (gen !== generation) return
          if (e.error === 'wamp.error.no_such_session') sessions.delete(id)
          else showError(`wamp.session.get(${id}) failed: ${errorText(e)}`)
        }
        scheduleRender()
      }
    }
    await Promise.all(Array.from({ length: GET_PARALLEL }, worker))
  }

  // Whether the realm serves wamp.session.kill: a call without arguments is refused either as a procedure
  // nobody registered or as bad arguments, and never kills anything.
  async function probeKill (gen) {
    let served
    try {
      await session.call('wamp.session.kill')
      served = true
    } catch (e) {
      if (e.error === 'wamp.error.no_such_procedure') served = false
      else if (e.error === 'wamp.error.invalid_argument') served = true
      else return
    }
    if (gen !== generation) return
    killServed = served
    document.body.dataset.kill = served ? 'served' : 'not-served'
    render()
  }

  async function select (id) {
    selected = id
    render()
    showDetails(`Session ${id}`, null, 'loading…')
    try {
      const d = await session.call('wamp.session.get', [id])
      if (selected === id) showDetails(`Session ${id}`, detailFields(d), d)
    } catch (e) {
      if (selected === id) showDetails(`Session ${id}`, null, errorText(e))
    }
  }

  async function kill (id) {
    if (!window.confirm(`Kill session ${id}?`)) return
    try {
      await session.call('wamp.session.kill', [id], KILL_OPTIONS)
    } catch (e) {
      showError(`wamp.session.kill(${id}) failed: ${errorText(e)}`)
    }
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
    killServed = false
    setState('connected', `connected · session ${s.id}`)
    showFeatures(welcome)
    render()
    Promise.all([
      s.subscribe('wamp.session.on_join', args => onEvent(gen, 'join', args)),
      s.subscribe('wamp.session.on_leave', args => onEvent(gen, 'leave', args))
    ]).then(() => loadList(gen), e => showError(`cannot subscribe to the meta events: ${errorText(e)}`))
  }

  function onClose (reason, details) {
    generation++
    clearTimeout(retryTimer)
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
    render()
  }

  function start () {
    $('realm').textContent = realm
    document.title = `Sessions on ${realm}`
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
