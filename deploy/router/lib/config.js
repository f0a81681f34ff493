'use strict'
// Command line and principals file parsing. Pure functions: a problem is thrown as a ConfigError whose message
// is meant for stderr (router.js prints it and exits with code 2): one line, or for the permissions section one
// line per problem, every problem at once.

const fs = require('fs')
const { parseArgs } = require('util')
const { URI_RE, isPlainObject } = require('./wamp')
const { parsePermissions } = require('./permissions')

class ConfigError extends Error {}

const USAGE = `usage: node router.js [--crossbar-config FILE] [--ws HOST:PORT [--web DIR]] [--rawsocket HOST:PORT]
                      [--wss HOST:PORT] [--rawsocket-tls HOST:PORT] [--tls-cert FILE --tls-key FILE
                      [--tls-client-ca FILE]] --realms R1,R2
                      --principals FILE [--internal-realm NAME] [--meta-role ROLE] [--native-meta]
                      [--snapshot-page N] [--left-retention SECONDS] [--hook-history N]
                      [--test-switches]
                      [--log-level error|warn|info|debug] [--help]

Reference WAMP router for wamp-metad (fox-wamp with msgpack, RawSocket, static auth and hook protocol v2).

  --crossbar-config FILE  a Crossbar node configuration (config.json, version 2): its router worker's realms,
                          roles, permissions and transports (web, websocket, rawsocket; tcp and unix endpoints;
                          TLS; static anonymous, ticket and wampcra authentication) are served as they are, what
                          cannot be is refused (exit 2) or, if it only adds a way in, skipped with a warning; the
                          listeners below are then optional and extra (with --principals, e.g. for the meta role),
                          --realms and --web are not taken
  --ws HOST:PORT          WebSocket listener (subprotocols wamp.2.msgpack, wamp.2.json; any URL path)
  --web DIR               also serve DIR's files over plain HTTP on the --ws listener (a directory serves its
                          index.html), and the Autobahn|JS browser build at /autobahn/autobahn.min.js;
                          WebSocket connections are WAMP on every path as before (a page connects to /ws)
  --rawsocket HOST:PORT   WAMP RawSocket listener over TCP (msgpack and JSON)
  --wss HOST:PORT         WebSocket listener over TLS (as --ws; --web's files are served there too)
  --rawsocket-tls HOST:PORT
                          WAMP RawSocket listener over TLS (wamp-metad's rss:// URLs)
                          at least one listener is required; port 0 picks a free port
  --tls-cert FILE         PEM certificate (chain) of the TLS listeners (needed with --wss, --rawsocket-tls)
  --tls-key FILE          PEM private key of that certificate
  --tls-client-ca FILE    PEM CA certificates: TLS clients must present a certificate signed by one of them
                          (mutual TLS); without it, TLS clients are not asked for a certificate
  --realms LIST           comma-separated realms served to clients
  --principals FILE       JSON: {"principals": [{"authid", "authrole", "ticket" | "wampcra"}],
                          "anonymous_realms": [...], "permissions": {REALM: {ROLE: [{"uri",
                          "match": "exact"|"prefix"|"wildcard", "allow": {"call", "register", "publish",
                          "subscribe"}}]}}}; without "permissions" every role may do everything
  --internal-realm NAME   realm carrying the session hooks (default router.internal); only the meta role
                          may join it
  --meta-role ROLE        authrole allowed on the internal realm and to register/publish wamp.* URIs
                          (default metad)
  --native-meta           keep fox-wamp's own (partial) wamp.session.* API in every realm
  --snapshot-page N       items per router.session.snapshot page (default 1000, at least 2): a session is one
                          item, a registration or subscription one plus one per member
  --left-retention S      how long a session that left stays in the snapshot's "left" list (default 300;
                          0 keeps none; at most the last 10000)
  --hook-history N        how many of the last hooks are kept for router.meta.catch_up (default 100000;
                          0 keeps none: once a hook was published, catch-ups fail with history_lost)
  --test-switches         register router.test.* procedures on the internal realm (tests only)
  --log-level LEVEL       error, warn, info (default) or debug; logs go to stderr

When listening, one line goes to stdout: ready ws=HOST:PORT rawsocket=HOST:PORT wss=HOST:PORT
rawsocket_tls=HOST:PORT epoch=EPOCH (the listeners given)
SIGTERM/SIGINT close the router and exit 0. Bad options exit 2.`

// Every flag as util.parseArgs knows it; the defaults are applied in parseCommandLine.
const OPTIONS = {
  'crossbar-config': { type: 'string' },
  ws: { type: 'string' },
  web: { type: 'string' },
  rawsocket: { type: 'string' },
  wss: { type: 'string' },
  'rawsocket-tls': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-client-ca': { type: 'string' },
  realms: { type: 'string' },
  principals: { type: 'string' },
  'internal-realm': { type: 'string' },
  'meta-role': { type: 'string' },
  'native-meta': { type: 'boolean' },
  'snapshot-page': { type: 'string' },
  'left-retention': { type: 'string' },
  'hook-history': { type: 'string' },
  'test-switches': { type: 'boolean' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
}
const LOG_LEVELS = ['error', 'warn', 'info', 'debug']

function parseHostPort (flag, text) {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text || '')
  if (!m) throw new ConfigError(`${flag}: expected HOST:PORT, got '${text}'`)
  const port = Number(m[2])
  if (port > 65535) throw new ConfigError(`${flag}: port ${port} is out of range`)
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1]
  return { host, port }
}

function parseCount (flag, text, min, max, what) {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError(`${flag}: expected ${what} ${min}..${max}, got '${text}'`)
  }
  return Number(text)
}

// util.parseArgs splits the words; it runs lenient (strict: false) and its tokens are checked here, so that
// every error is one short line that names the argument, and so that a flag given twice is an error rather
// than last-wins.
function checkTokens (argv, tokens) {
  const seen = new Set()
  for (const token of tokens) {
    if (token.kind !== 'option' || !Object.hasOwn(OPTIONS, token.name)) {
      throw new ConfigError(`unknown argument '${argv[token.index]}' (see --help)`)
    }
    const flag = `--${token.name}`
    const takesValue = OPTIONS[token.name].type === 'string'
    if (takesValue && token.value === undefined) throw new ConfigError(`${flag} needs a value`)
    if (!takesValue && token.value !== undefined) throw new ConfigError(`${flag} takes no value`)
    if (seen.has(token.name)) throw new ConfigError(`${flag} given twice`)
    seen.add(token.name)
  }
}

function parseCommandLine (argv) {
  const { values: v, tokens } = parseArgs({ args: argv, options: OPTIONS, strict: false, allowPositionals: true,
    tokens: true })
  checkTokens(argv, tokens)
  const logLevel = v['log-level'] ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`--log-level: expected error, warn, info or debug, got '${logLevel}'`)
  }
  const opts = {
    crossbarConfig: v['crossbar-config'] ?? null,
    ws: v.ws === undefined ? null : parseHostPort('--ws', v.ws),
    web: v.web ?? null,
    rawsocket: v.rawsocket === undefined ? null : parseHostPort('--rawsocket', v.rawsocket),
    wss: v.wss === undefined ? null : parseHostPort('--wss', v.wss),
    rawsocketTls: v['rawsocket-tls'] === undefined ? null : parseHostPort('--rawsocket-tls', v['rawsocket-tls']),
    tls: null,
    realms: v.realms === undefined ? null : v.realms.split(',').map(s => s.trim()),
    principals: v.principals ?? null,
    internalRealm: v['internal-realm'] ?? 'router.internal',
    metaRole: v['meta-role'] ?? 'metad',
    nativeMeta: v['native-meta'] === true,
    snapshotPage: v['snapshot-page'] === undefined ? 1000
      : parseCount('--snapshot-page', v['snapshot-page'], 2, 100000, 'an integer'),
    leftRetention: v['left-retention'] === undefined ? 300
      : parseCount('--left-retention', v['left-retention'], 0, 86400, 'seconds'),
    hookHistory: v['hook-history'] === undefined ? 100000
      : parseCount('--hook-history', v['hook-history'], 0, 10000000, 'an integer'),
    testSwitches: v['test-switches'] === true,
    logLevel,
    help: v.help === true
  }
  if (opts.help) return opts
  if (opts.crossbarConfig !== null) {
    for (const f of ['realms', 'web']) {
      if (v[f] !== undefined) throw new ConfigError(`--${f} is not taken with --crossbar-config (its file says it)`)
    }
    if (opts.ws || opts.rawsocket || opts.wss || opts.rawsocketTls) {
      if (!opts.principals) throw new ConfigError('extra listeners with --crossbar-config need --principals')
    }
    opts.realms = []
  } else if (!opts.ws && !opts.rawsocket && !opts.wss && !opts.rawsocketTls) {
    throw new ConfigError('at least one of --ws, --rawsocket, --wss and --rawsocket-tls is required')
  }
  opts.tls = loadTlsFiles(v, opts.wss || opts.rawsocketTls)
  if (opts.web !== null) checkWebDir(opts.web, opts.ws || opts.wss)
  if (!opts.realms) throw new ConfigError('--realms is required')
  if (!opts.principals && opts.crossbarConfig === null) throw new ConfigError('--principals is required')
  for (const r of opts.realms) {
    if (!URI_RE.test(r)) throw new ConfigError(`--realms: invalid realm name '${r}'`)
  }
  if (new Set(opts.realms).size !== opts.realms.length) throw new ConfigError('--realms: a realm is listed twice')
  if (!URI_RE.test(opts.internalRealm)) {
    throw new ConfigError(`--internal-realm: invalid realm name '${opts.internalRealm}'`)
  }
  if (opts.realms.includes(opts.internalRealm)) {
    throw new ConfigError(`--realms: '${opts.internalRealm}' is the internal realm`)
  }
  if (!/^\S+$/.test(opts.metaRole)) throw new ConfigError(`--meta-role: invalid role '${opts.metaRole}'`)
  return opts
}

// The TLS listeners' files, read now (a missing or unreadable file, or PEM that node's TLS cannot use, fails
// at start): {cert, key, clientCa} as Buffers, or null without a TLS listener.
function loadTlsFiles (v, tlsListener) {
  const flags = ['tls-cert', 'tls-key', 'tls-client-ca']
  if (!tlsListener) {
    const given = flags.find(f => v[f] !== undefined)
    if (given) throw new ConfigError(`--${given} needs a TLS listener (--wss or --rawsocket-tls)`)
    return null
  }
  for (const f of ['tls-cert', 'tls-key']) {
    if (v[f] === undefined) throw new ConfigError(`--wss and --rawsocket-tls need --tls-cert and --tls-key (no --${f})`)
  }
  const read = f => {
    try {
      return fs.readFileSync(v[f])
    } catch (e) {
      throw new ConfigError(`--${f}: cannot read ${v[f]}: ${e.code || e.message}`)
    }
  }
  const files = { cert: read('tls-cert'), key: read('tls-key'), clientCa: v['tls-client-ca'] === undefined ? null : read('tls-client-ca') }
  // node takes a CA file without a certificate in it silently (and then trusts nobody): look at it first.
  if (files.clientCa) {
    const blocks = files.clientCa.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)
    try {
      if (!blocks) throw new Error('no PEM certificate in it')
      for (const b of blocks) new (require('crypto').X509Certificate)(b) // eslint-disable-line no-new
    } catch (e) {
      throw new ConfigError(`--tls-client-ca: ${v['tls-client-ca']}: not usable: ${e.message}`)
    }
  }
  try {
    require('tls').createSecureContext({ cert: files.cert, key: files.key, ca: files.clientCa || undefined })
  } catch (e) {
    throw new ConfigError(`--tls-cert ${v['tls-cert']} / --tls-key ${v['tls-key']}` +
      `${files.clientCa ? ` / --tls-client-ca ${v['tls-client-ca']}` : ''}: not usable: ${e.message}`)
  }
  return files
}

// The directory --web serves must exist and be listable now, so that a typo fails at start, not at the
// first page load.
function checkWebDir (dir, ws) {
  if (!ws) throw new ConfigError('--web needs --ws or --wss: the files are served on the WebSocket listener')
  let stat
  try {
    stat = fs.statSync(dir)
    if (stat.isDirectory()) fs.readdirSync(dir)
  } catch (e) {
    throw new ConfigError(`--web: cannot read the directory ${dir}: ${e.code || e.message}`)
  }
  if (!stat.isDirectory()) throw new ConfigError(`--web: ${dir} is not a directory`)
}

// Where valid JSON text gives a key twice in one object: [{path, key}], path as 'permissions.realm1.user[0]'.
// JSON.parse keeps the last of the two silently; in the permissions section that would drop a realm's or a
// role's first list without a word, so the text is read again for them.
function duplicateKeys (text) {
  const found = []
  const stack = [] // the open containers: {path, keys (a Set; null for a list), key (the last read), index}
  const childPath = c => !c ? '' : c.keys ? (c.path ? `${c.path}.${c.key}` : c.key) : `${c.path}[${c.index}]`
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    const top = stack[stack.length - 1]
    if (ch === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1))
        if (top.keys.has(key)) found.push({ path: top.path, key })
        top.keys.add(key)
        top.key = key
        expectKey = false
      }
      i = j
    } else if (ch === '{' || ch === '[') {
      stack.push({ path: childPath(top), keys: ch === '{' ? new Set() : null, key: null, index: 0 })
      expectKey = ch === '{'
    } else if (ch === '}' || ch === ']') {
      stack.pop()
    } else if (ch === ',') {
      if (top.keys) expectKey = true
      else top.index++
    }
  }
  return found
}

// Returns {principals: Map authid -> {authid, authrole, ticket?, wampcra?}, anonymousRealms: Set,
// unknownAnonymousRealms, permissions (lib/permissions.js), warnings}; opts as parseCommandLine returns them.
function loadPrincipals (file, { realms, internalRealm, metaRole }) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw new ConfigError(`--principals: cannot read ${file}: ${e.code || e.message}`)
  }
  let doc
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new ConfigError(`--principals: ${file} is not valid JSON: ${e.message}`)
  }
  if (!isPlainObject(doc)) throw new ConfigError(`--principals: ${file}: the top level must be an object`)
  const list = doc.principals === undefined ? [] : doc.principals
  if (!Array.isArray(list)) throw new ConfigError(`--principals: ${file}: "principals" must be a list`)
  const principals = new Map()
  list.forEach((p, i) => {
    const where = `--principals: ${file}: principals[${i}]`
    if (!isPlainObject(p)) throw new ConfigError(`${where} must be an object`)
    for (const k of ['authid', 'authrole']) {
      if (typeof p[k] !== 'string' || p[k] === '') throw new ConfigError(`${where}.${k} must be a non-empty string`)
    }
    for (const k of ['ticket', 'wampcra']) {
      if (p[k] !== undefined && (typeof p[k] !== 'string' || p[k] === '')) {
        throw new ConfigError(`${where}.${k} must be a non-empty string`)
      }
    }
    if (p.ticket === undefined && p.wampcra === undefined) {
      throw new ConfigError(`${where} (${p.authid}) has neither "ticket" nor "wampcra"`)
    }
    if (principals.has(p.authid)) throw new ConfigError(`${where}: duplicate authid '${p.authid}'`)
    principals.set(p.authid, { authid: p.authid, authrole: p.authrole, ticket: p.ticket, wampcra: p.wampcra })
  })
  const anon = doc.anonymous_realms === undefined ? [] : doc.anonymous_realms
  if (!Array.isArray(anon) || anon.some(r => typeof r !== 'string')) {
    throw new ConfigError(`--principals: ${file}: "anonymous_realms" must be a list of strings`)
  }
  if (anon.includes(internalRealm)) {
    throw new ConfigError(`--principals: ${file}: the internal realm '${internalRealm}' cannot be anonymous`)
  }
  const unknown = anon.filter(r => !realms.includes(r))
  const roles = new Set([...principals.values()].map(p => p.authrole))
  const { permissions, problems, warnings } = parsePermissions(doc.permissions,
    { realms, internalRealm, metaRole, roles })
  for (const { path, key } of duplicateKeys(text)) {
    if (path === '' ? key === 'permissions' : /^permissions([.[]|$)/.test(path)) {
      problems.push(`${path || 'the top level'}: ${JSON.stringify(key)} is given twice (only the last would count)`)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.map(p => `--principals: ${file}: ${p}`).join('\n'))
  return { principals, anonymousRealms: new Set(anon), unknownAnonymousRealms: unknown, permissions,
    warnings: warnings.map(w => `${file}: ${w}`) }
}

module.exports = { parseCommandLine, loadPrincipals, ConfigError, USAGE }
