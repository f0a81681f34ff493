'use strict'
// A Crossbar node configuration (config.json, version 2) read as this router's own configuration
// (--crossbar-config FILE): the router worker's realms, their roles and permissions, and its transports with
// their endpoints, TLS files, serializers, web paths and static authentication. Pure apart from reading the files
// the configuration names: the result is plain data that lib/server.js starts.
//
// Every key is either read, skipped or refused. Skipped (one warning line each) is a key whose only effect would
// be another way in (a web path of another type, another transport type) or an option without effect here;
// refused (every one at once, each with its path in the file, and the router exits 2) is a key that restricts,
// authenticates or authorizes and is not implemented here, and any key nobody knows: ignoring those would open
// the router wider than the configuration says.
//
// Result: {file, dir, realms: [name], roles: Map realm -> Set of roles, permissions (lib/permissions.js,
// disclosure by permission only), transports: [{where, type: 'web' | 'websocket' | 'rawsocket', listen: {host,
// port} | {path}, tls: {cert, key, clientCa, ciphers, dhparam} | null, auth, serializers (a Set of json,
// msgpack), statics: [{name, dir}] (web; name '' for "/"), websockets: Map name -> {auth, serializers} (web)}],
// warnings: [line]}; auth is {principals: Map authid -> {authid, authrole, ticket?, wampcra?, salt?, iterations?,
// keylen?}, anonymousRole: a role or null}.

const fs = require('fs')
const path = require('path')
const { URI_RE, isPlainObject } = require('./wamp')
const { parseEntry, Permissions } = require('./permissions')

class CrossbarConfigError extends Error {}

const SERIALIZERS = ['json', 'msgpack'] // what this router speaks
const OTHER_SERIALIZERS = ['cbor', 'ubjson', 'flatbuffers']
const OTHER_WORKERS = ['container', 'guest', 'proxy', 'websocket-testee', 'xbrmm', 'marketmaker', 'hostmonitor']
// Transport and web path types that only add a way in: not served here, skipped with a warning.
const OTHER_TRANSPORTS = ['universal', 'mqtt', 'flashpolicy', 'websocket.testee', 'stream.testee']
const OTHER_PATHS = ['longpoll', 'nodeinfo', 'redirect', 'reverseproxy', 'json', 'cgi', 'resource', 'upload',
  'caller', 'publisher', 'webhook', 'schemadoc', 'wap', 'archive', 'path', 'fileupload']
const OTHER_AUTH = ['cryptosign', 'cryptosign-proxy', 'scram', 'tls', 'cookie', 'anonymous-proxy', 'ticket-proxy']
// WebSocket options: these only tune the protocol (skipped); allowed_origins and allow_null_origin restrict who
// may connect and are refused.
const WS_TUNING = ['max_frame_size', 'max_message_size', 'auto_fragment_size', 'fail_by_drop',
  'echo_close_codereason', 'open_handshake_timeout', 'close_handshake_timeout', 'tcp_nodelay',
  'auto_ping_interval', 'auto_ping_timeout', 'auto_ping_size', 'auto_ping_restart_on_any_traffic', 'compression',
  'require_websocket_subprotocol', 'enable_webstatus', 'show_server_version', 'server', 'trust_x_forwarded_for',
  'enable_flash_policy', 'flash_policy']

// The path of key inside where, as a reader looks for it: workers[0].transports[1].paths["/"].
function child (where, key) {
  if (typeof key === 'number') return `${where}[${key}]`
  const name = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key)
  if (where === '') return name
  return name === key ? `${where}.${key}` : `${where}[${name}]`
}

function typeName (v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (isPlainObject(v)) return 'an object'
  return `${typeof v} ${JSON.stringify(v)}`
}

class Reader {
  constructor (file, { internalRealm, metaRole }) {
    this.file = file
    this.dir = path.dirname(path.resolve(file))
    this.internalRealm = internalRealm
    this.metaRole = metaRole
    this.problems = []
    this.warnings = []
  }

  refuse (where, why) {
    this.problems.push(`${where || 'the top level'}: ${why}`)
  }

  skip (where, why) {
    this.warnings.push(`${where}: ${why}; skipped`)
  }

  // Checks obj's keys: known (read by the caller), skipped {key: why}, refused {key: why}; any other key is
  // refused as unknown. Returns false when obj is not an object.
  keys (obj, where, what, { known = [], skipped = {}, refused = {} }) {
    if (!isPlainObject(obj)) {
      this.refuse(where, `${what} must be an object, got ${typeName(obj)}`)
      return false
    }
    for (const k of Object.keys(obj)) {
      if (known.includes(k)) continue
      if (Object.hasOwn(skipped, k)) this.skip(child(where, k), skipped[k])
      else if (Object.hasOwn(refused, k)) this.refuse(child(where, k), refused[k])
      else this.refuse(child(where, k), `unknown key '${k}' in ${what} (expected ${[...known, ...Object.keys(skipped)].join(', ')})`)
    }
    return true
  }

  string (v, where, { optional = false } = {}) {
    if (v === undefined && optional) return undefined
    if (typeof v !== 'string' || v === '') {
      this.refuse(where, v === undefined ? 'is missing (a non-empty string)' : `must be a non-empty string, got ${typeName(v)}`)
      return null
    }
    return v
  }

  list (v, where, what) {
    if (!Array.isArray(v)) {
      this.refuse(where, v === undefined ? `is missing (a list of ${what})` : `must be a list of ${what}, got ${typeName(v)}`)
      return []
    }
    return v
  }

  // A file or folder the configuration names, as Crossbar resolves it: relative to the folder the configuration
  // file is in.
  resolve (p) {
    return path.resolve(this.dir, p)
  }

  readFile (v, where) {
    const p = this.string(v, where)
    if (p === null) return null
    try {
      return fs.readFileSync(this.resolve(p))
    } catch (e) {
      this.refuse(where, `cannot read ${this.resolve(p)}: ${e.code || e.message}`)
      return null
    }
  }
}

// -------------------------------------------------------------------------------------------- realms and roles

// A permission without "match" takes it from the URI, as Crossbar does: "com.example.*" is the prefix
// "com.example.", "com.*.get" the wildcard "com..get", "*" everything; a URI without a star is exact.
function starred (p) {
  if (!isPlainObject(p) || p.match !== undefined || typeof p.uri !== 'string' || !p.uri.includes('*')) return p
  const stars = p.uri.split('*').length - 1
  if (stars === 1 && p.uri.endsWith('*')) return { ...p, uri: p.uri.slice(0, -1), match: 'prefix' }
  return { ...p, uri: p.uri.replace(/\*/g, ''), match: 'wildcard' }
}

function readRole (r, role, where, roles) {
  if (!r.keys(role, where, 'a role', {
    known: ['name', 'permissions', 'id'],
    refused: { authorizer: 'a dynamic authorizer is not called here: give the role its permissions instead' }
  })) return
  const name = r.string(role.name, child(where, 'name'))
  if (name === null) return
  if (name === r.metaRole) {
    r.refuse(child(where, 'name'), `'${name}' is the meta role (--meta-role), which is never restricted`)
    return
  }
  if (roles.has(name)) {
    r.refuse(child(where, 'name'), `role '${name}' is given twice in this realm`)
    return
  }
  const entries = []
  const seen = new Map()
  const list = role.permissions === undefined ? [] : r.list(role.permissions, child(where, 'permissions'), 'permissions')
  list.forEach((p, i) => {
    const at = child(child(where, 'permissions'), i)
    let perm = starred(p)
    if (isPlainObject(perm) && perm.validate !== undefined) {
      r.refuse(child(at, 'validate'), 'payload validation is not implemented here (ignoring it would let through ' +
        'what it refuses)')
      perm = { ...perm }
      delete perm.validate
    }
    const e = parseEntry(perm, at, r.problems)
    if (!e) return
    const key = `${e.match} ${e.uri}`
    if (seen.has(key)) {
      r.refuse(at, `the same uri '${e.uri}' and match ${e.match} as ${seen.get(key)}`)
      return
    }
    seen.set(key, at)
    entries.push(e)
  })
  roles.set(name, entries)
}

function readRealms (r, worker, where) {
  const realms = []
  const byRealm = new Map()
  r.list(worker.realms, child(where, 'realms'), 'realms').forEach((realm, i) => {
    const at = child(child(where, 'realms'), i)
    if (!r.keys(realm, at, 'a realm', {
      known: ['name', 'roles', 'id', 'options'],
      skipped: { store: 'the event store (event history) is not kept here' },
      refused: { rlinks: 'router-to-router links are not made here' }
    })) return
    const name = r.string(realm.name, child(at, 'name'))
    if (name === null) return
    if (!URI_RE.test(name)) return r.refuse(child(at, 'name'), `'${name}' is not a realm name`)
    if (name === r.internalRealm) return r.refuse(child(at, 'name'), `'${name}' is the internal realm (--internal-realm)`)
    if (byRealm.has(name)) return r.refuse(child(at, 'name'), `realm '${name}' is given twice`)
    if (realm.options !== undefined) {
      const o = realm.options
      r.keys(o, child(at, 'options'), 'realm options', {
        known: ['enable_meta_api'],
        skipped: { bridge_meta_api: 'no meta API bridge here', event_dispatching_chunk_size: 'no effect here',
          uri_check: 'URIs are always checked strictly here' }
      })
      if (isPlainObject(o) && o.enable_meta_api !== undefined && o.enable_meta_api !== true) {
        r.refuse(child(child(at, 'options'), 'enable_meta_api'), 'the meta API is what wamp-metad serves on every realm')
      }
    }
    const roles = new Map()
    const list = realm.roles === undefined ? [] : r.list(realm.roles, child(at, 'roles'), 'roles')
    list.forEach((role, j) => readRole(r, role, child(child(at, 'roles'), j), roles))
    realms.push(name)
    byRealm.set(name, roles)
  })
  return { realms, byRealm }
}

// ---------------------------------------------------------------------------------------------- authentication

function readPrincipals (r, map, where, secretKey, extraKeys, method, principals) {
  if (!isPlainObject(map)) return r.refuse(where, `must be an object {AUTHID: {${secretKey}, role}}, got ${typeName(map)}`)
  for (const [authid, p] of Object.entries(map)) {
    const at = child(where, authid)
    if (!r.keys(p, at, `a ${method} principal`, { known: [secretKey, 'role', ...extraKeys] })) continue
    const secret = r.string(p[secretKey], child(at, secretKey))
    const role = r.string(p.role, child(at, 'role'))
    if (secret === null || role === null) continue
    if (role === r.metaRole) {
      r.refuse(child(at, 'role'), `'${role}' is the meta role (--meta-role): run-local adds its principal itself`)
      continue
    }
    const prev = principals.get(authid)
    if (prev && prev.authrole !== role) {
      r.refuse(child(at, 'role'), `authid '${authid}' has role '${prev.authrole}' for the other method: one role per ` +
        'authid here')
      continue
    }
    const entry = prev || { authid, authrole: role }
    entry[method] = secret
    if (method === 'wampcra' && p.salt !== undefined) {
      entry.salt = r.string(p.salt, child(at, 'salt'))
      for (const [k, dflt] of [['iterations', 1000], ['keylen', 32]]) {
        const v = p[k] === undefined ? dflt : p[k]
        if (!Number.isInteger(v) || v < 1) r.refuse(child(at, k), `must be a positive integer, got ${typeName(v)}`)
        entry[k] = v
      }
    } else {
      for (const k of ['iterations', 'keylen']) {
        if (p[k] !== undefined) r.refuse(child(at, k), 'is given without "salt"')
      }
    }
    principals.set(authid, entry)
  }
}

function staticType (r, m, where, method) {
  const type = m.type === undefined ? 'static' : m.type
  if (type === 'dynamic') {
    r.refuse(child(where, 'type'), `dynamic ${method} authentication (an authenticator procedure) is not called here`)
    return false
  }
  if (type !== 'static') {
    r.refuse(child(where, 'type'), `must be "static" or "dynamic", got ${typeName(type)}`)
    return false
  }
  return true
}

// A transport's (or web path's) "auth"; without one, Crossbar lets anonymous sessions in as role "anonymous".
function readAuth (r, auth, where) {
  const out = { principals: new Map(), anonymousRole: null }
  if (auth === undefined) {
    out.anonymousRole = 'anonymous'
    return out
  }
  const refused = {}
  for (const m of OTHER_AUTH) refused[m] = `authentication method '${m}' is not implemented here`
  if (!r.keys(auth, where, 'an auth section', { known: ['anonymous', 'ticket', 'wampcra'], refused })) return out
  if (auth.anonymous !== undefined) {
    const at = child(where, 'anonymous')
    if (r.keys(auth.anonymous, at, 'anonymous authentication', { known: ['type', 'role'] }) &&
        staticType(r, auth.anonymous, at, 'anonymous')) {
      const role = auth.anonymous.role === undefined ? 'anonymous' : r.string(auth.anonymous.role, child(at, 'role'))
      if (role === r.metaRole) r.refuse(child(at, 'role'), `'${role}' is the meta role (--meta-role)`)
      else out.anonymousRole = role
    }
  }
  for (const [method, listKey, secretKey, extra] of [['ticket', 'principals', 'ticket', []],
    ['wampcra', 'users', 'secret', ['salt', 'iterations', 'keylen']]]) {
    if (auth[method] === undefined) continue
    const at = child(where, method)
    if (!r.keys(auth[method], at, `${method} authentication`, { known: ['type', listKey],
      refused: { authenticator: `dynamic ${method} authentication (an authenticator procedure) is not called here` } }) ||
        !staticType(r, auth[method], at, method)) continue
    readPrincipals(r, auth[method][listKey], child(at, listKey), secretKey, extra, method, out.principals)
  }
  return out
}

// ------------------------------------------------------------------------------------------------- transports

function readSerializers (r, v, where) {
  if (v === undefined) return new Set(SERIALIZERS)
  const out = new Set()
  r.list(v, where, 'serializer names').forEach((s, i) => {
    if (SERIALIZERS.includes(s)) out.add(s)
    else if (OTHER_SERIALIZERS.includes(s)) r.skip(child(where, i), `serializer '${s}' is not offered here`)
    else r.refuse(child(where, i), `unknown serializer ${typeName(s)} (expected json, msgpack, cbor, ubjson)`)
  })
  if (Array.isArray(v) && out.size === 0 && v.length > 0) r.refuse(where, 'none of these serializers is offered here (json, msgpack)')
  return out
}

function readTls (r, tls, where) {
  if (!r.keys(tls, where, 'TLS settings', { known: ['key', 'certificate', 'ca', 'dhparam', 'ciphers', 'chain_certificates'] })) return null
  const files = {
    key: r.readFile(tls.key, child(where, 'key')),
    cert: r.readFile(tls.certificate, child(where, 'certificate')),
    clientCa: tls.ca === undefined ? null : r.readFile(tls.ca, child(where, 'ca')),
    dhparam: tls.dhparam === undefined ? undefined : r.readFile(tls.dhparam, child(where, 'dhparam')),
    ciphers: r.string(tls.ciphers, child(where, 'ciphers'), { optional: true })
  }
  if (tls.chain_certificates !== undefined && files.cert) {
    const chain = r.list(tls.chain_certificates, child(where, 'chain_certificates'), 'certificate files')
      .map((f, i) => r.readFile(f, child(child(where, 'chain_certificates'), i)))
    if (chain.every(Boolean)) files.cert = Buffer.concat([files.cert, Buffer.from('\n'), ...chain])
  }
  if (!files.key || !files.cert || (tls.ca !== undefined && !files.clientCa) || files.dhparam === null ||
      files.ciphers === null) return null
  try {
    require('tls').createSecureContext({ cert: files.cert, key: files.key, ca: files.clientCa || undefined,
      dhparam: files.dhparam, ciphers: files.ciphers })
  } catch (e) {
    r.refuse(where, `not usable: ${e.message}`)
    return null
  }
  return files
}

function readEndpoint (r, ep, where) {
  if (!isPlainObject(ep)) {
    r.refuse(where, ep === undefined ? 'is missing (an endpoint {"type": "tcp", "port"})' : `must be an object, got ${typeName(ep)}`)
    return null
  }
  if (ep.type === 'unix') {
    if (!r.keys(ep, where, 'a unix endpoint', { known: ['type', 'path'], skipped: { backlog: 'no effect here' } })) return null
    const p = r.string(ep.path, child(where, 'path'))
    return p === null ? null : { listen: { path: r.resolve(p) }, tls: null }
  }
  if (ep.type !== 'tcp') {
    r.refuse(child(where, 'type'), `endpoint type ${typeName(ep.type)} is not served here (tcp or unix)`)
    return null
  }
  if (!r.keys(ep, where, 'a tcp endpoint', { known: ['type', 'port', 'interface', 'version', 'tls'],
    skipped: { backlog: 'no effect here', shared: 'no effect here (one process listens)' } })) return null
  if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) {
    r.refuse(child(where, 'port'), `must be an integer 1..65535, got ${typeName(ep.port)}`)
  }
  const version = ep.version === undefined ? 4 : ep.version
  if (version !== 4 && version !== 6) r.refuse(child(where, 'version'), `must be 4 or 6, got ${typeName(version)}`)
  const host = ep.interface === undefined ? (version === 6 ? '::' : '0.0.0.0') : r.string(ep.interface, child(where, 'interface'))
  const tls = ep.tls === undefined ? null : readTls(r, ep.tls, child(where, 'tls'))
  return { listen: { host, port: ep.port }, tls }
}

// The keys a WebSocket transport and a web transport's websocket path share.
function readWebSocketKeys (r, t, where) {
  if (t.options !== undefined && r.keys(t.options, child(where, 'options'), 'WebSocket options', {
    known: WS_TUNING,
    refused: { allowed_origins: 'checking the Origin header is not implemented here',
      allow_null_origin: 'checking the Origin header is not implemented here' }
  })) {
    for (const k of Object.keys(t.options)) {
      if (WS_TUNING.includes(k)) r.skip(child(child(where, 'options'), k), 'WebSocket option without effect here')
    }
  }
  return { auth: readAuth(r, t.auth, child(where, 'auth')), serializers: readSerializers(r, t.serializers, child(where, 'serializers')) }
}

const WS_KEYS = { known: ['type', 'id', 'serializers', 'auth', 'options'],
  skipped: { url: 'the URL is only announced by Crossbar', debug: 'no effect here' },
  refused: { cookie: 'cookie tracking and cookie authentication are not implemented here' } }

function readWeb (r, t, where, spec) {
  spec.statics = []
  spec.websockets = new Map()
  if (t.options !== undefined && isPlainObject(t.options)) {
    for (const k of Object.keys(t.options)) r.skip(child(child(where, 'options'), k), 'web option without effect here')
  } else if (t.options !== undefined) {
    r.refuse(child(where, 'options'), `must be an object, got ${typeName(t.options)}`)
  }
  const pathsAt = child(where, 'paths')
  if (!isPlainObject(t.paths)) return r.refuse(pathsAt, t.paths === undefined ? 'is missing (an object {PATH: {type}})' : `must be an object, got ${typeName(t.paths)}`)
  for (const [name, p] of Object.entries(t.paths)) {
    const at = child(pathsAt, name)
    if (name !== '/' && !/^[A-Za-z0-9_.-]+$/.test(name)) {
      r.refuse(at, `'${name}' is not a web path name ("/" or one path segment)`)
      continue
    }
    if (!isPlainObject(p)) {
      r.refuse(at, `must be an object {"type", ...}, got ${typeName(p)}`)
      continue
    }
    const mount = name === '/' ? '' : name
    if (p.type === 'static') {
      if (!r.keys(p, at, 'a static web path', { known: ['type', 'directory'],
        skipped: { options: 'static options (listing, MIME types, cache timeout) have no effect here: never a listing' },
        refused: { package: 'serving a Python package\'s resource is not possible here: give "directory"',
          resource: 'serving a Python package\'s resource is not possible here: give "directory"' } })) continue
      const d = r.string(p.directory, child(at, 'directory'))
      if (d === null) continue
      const dir = r.resolve(d)
      let stat = null
      try {
        stat = fs.statSync(dir)
        if (stat.isDirectory()) fs.readdirSync(dir)
      } catch (e) {
        r.refuse(child(at, 'directory'), `cannot read the directory ${dir}: ${e.code || e.message}`)
        continue
      }
      if (!stat.isDirectory()) r.refuse(child(at, 'directory'), `${dir} is not a directory`)
      else spec.statics.push({ name: mount, dir })
    } else if (p.type === 'websocket') {
      if (r.keys(p, at, 'a websocket web path', WS_KEYS)) spec.websockets.set(mount, readWebSocketKeys(r, p, at))
    } else if (OTHER_PATHS.includes(p.type)) {
      r.skip(at, `web path type '${p.type}' is not served here`)
    } else {
      r.refuse(child(at, 'type'), `unknown web path type ${typeName(p.type)} (static and websocket are served)`)
    }
  }
}

function readTransports (r, worker, where) {
  const out = []
  if (worker.transports === undefined) return out
  r.list(worker.transports, child(where, 'transports'), 'transports').forEach((t, i) => {
    const at = child(child(where, 'transports'), i)
    if (!isPlainObject(t)) return r.refuse(at, `must be an object {"type", "endpoint", ...}, got ${typeName(t)}`)
    if (OTHER_TRANSPORTS.includes(t.type)) return r.skip(at, `transport type '${t.type}' is not served here`)
    const spec = { where: at, type: t.type }
    if (t.type === 'web') {
      if (!r.keys(t, at, 'a web transport', { known: ['type', 'id', 'endpoint', 'paths', 'options'] })) return
      readWeb(r, t, at, spec)
    } else if (t.type === 'websocket') {
      if (!r.keys(t, at, 'a websocket transport', { ...WS_KEYS, known: [...WS_KEYS.known, 'endpoint'] })) return
      Object.assign(spec, readWebSocketKeys(r, t, at))
    } else if (t.type === 'rawsocket') {
      if (!r.keys(t, at, 'a rawsocket transport', { known: ['type', 'id', 'endpoint', 'serializers', 'auth'],
        skipped: { max_message_size: 'the limit here is 16 MiB', debug: 'no effect here', options: 'no effect here' } })) return
      spec.auth = readAuth(r, t.auth, child(at, 'auth'))
      spec.serializers = readSerializers(r, t.serializers, child(at, 'serializers'))
    } else {
      return r.refuse(child(at, 'type'), `unknown transport type ${typeName(t.type)} (web, websocket and rawsocket are served)`)
    }
    const ep = readEndpoint(r, t.endpoint, child(at, 'endpoint'))
    if (ep) out.push(Object.assign(spec, ep))
  })
  return out
}

// ---------------------------------------------------------------------------------------------------- the file

function readCrossbarConfig (file, { internalRealm, metaRole }) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw new CrossbarConfigError(`--crossbar-config: cannot read ${file}: ${e.code || e.message}`)
  }
  let doc
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new CrossbarConfigError(`--crossbar-config: ${file} is not valid JSON: ${e.message}`)
  }
  const r = new Reader(file, { internalRealm, metaRole })
  let result = null
  if (r.keys(doc, '', 'the configuration', { known: ['version', 'workers'],
    skipped: { controller: 'the node controller (process title, manhole, ...) has no meaning here',
      $schema: 'no effect here' } })) {
    if (doc.version !== 2) r.refuse('version', `must be 2 (Crossbar's configuration format version 2), got ${typeName(doc.version)}`)
    let router = null
    r.list(doc.workers, 'workers', 'workers').forEach((w, i) => {
      const at = child('workers', i)
      if (!isPlainObject(w)) return r.refuse(at, `must be an object {"type", ...}, got ${typeName(w)}`)
      if (w.type !== 'router') {
        const known = OTHER_WORKERS.includes(w.type) ? `worker type '${w.type}' is not run here` : `unknown worker type ${typeName(w.type)}`
        return r.refuse(child(at, 'type'), `${known} (only a router worker is read)`)
      }
      if (router) return r.refuse(at, `a second router worker (the first is ${router.at}): one router is run here`)
      if (!r.keys(w, at, 'a router worker', { known: ['type', 'id', 'realms', 'transports', 'components', 'connections'],
        skipped: { options: 'worker process options have no effect here', manhole: 'no manhole here' } })) return
      for (const k of ['components', 'connections']) {
        if (w[k] !== undefined && !(Array.isArray(w[k]) && w[k].length === 0)) {
          r.refuse(child(at, k), `${k} are not run here: start them as clients of the router`)
        }
      }
      router = { at, ...readRealms(r, w, at), transports: readTransports(r, w, at) }
    })
    if (Array.isArray(doc.workers) && !router && r.problems.length === 0) r.refuse('workers', 'no router worker')
    result = router
  }
  if (result && result.realms.length === 0 && r.problems.length === 0) r.refuse(`${result.at}.realms`, 'no realm')
  if (r.problems.length > 0) throw new CrossbarConfigError(r.problems.map(p => `--crossbar-config: ${file}: ${p}`).join('\n'))
  return {
    file,
    dir: r.dir,
    realms: result.realms,
    roles: new Map([...result.byRealm].map(([realm, roles]) => [realm, new Set(roles.keys())])),
    permissions: new Permissions(result.byRealm, true, { byPermission: true }),
    transports: result.transports,
    warnings: r.warnings.map(w => `${file}: ${w}`)
  }
}

module.exports = { readCrossbarConfig, CrossbarConfigError }
