'use strict'
// Role permissions: the "permissions" section of the principals file, shaped like Crossbar's realm roles, and
// the decision "may this role do this action on this URI in this realm". Pure: no router, no sockets, no clock,
// so that the gate, the start-up log and deploy/run-local all ask the same code.
//
//   "permissions": {REALM: {ROLE: [{"uri": URI, "match": "exact" | "prefix" | "wildcard",
//                                   "allow": {"call", "register", "publish", "subscribe": true | false},
//                                   "disclose": {"caller", "publisher": true | false}, "cache": true | false}]}}
//
// A realm the section names is restricted: a role it lists may do what the most specific matching permission
// allows (exact, then the longest prefix, then the best wildcard: lib/uripatterns.js), nothing where none
// matches; a role it does not list may do nothing. A realm it does not name, and a file without the section,
// keep the router's behaviour without permissions: every role may do everything. The meta role and the
// internal realm are never restricted (wamp-metad must always be able to serve the meta API), and the gate's
// reservation of wamp.* for the meta role holds whatever the section says. "disclose" says whether a callee gets
// the caller's session, authid and authrole in INVOCATION (caller) and a subscriber the publisher's in EVENT
// (publisher) when this role calls or publishes there (lib/fox/gate.js); "cache" is taken and has no effect (the
// decisions are static and remembered anyway).

const { URI_RE, PREFIX_URI_RE, WILDCARD_URI_RE, isPlainObject } = require('./wamp')
const { MATCHES, PatternIndex } = require('./uripatterns')

const ACTIONS = ['call', 'register', 'publish', 'subscribe']
const KEYS = ['uri', 'match', 'allow', 'disclose', 'cache']
const DISCLOSE = ['caller', 'publisher']
// How a denial names the action: "role 'user' may not publish to 'com.x' on realm 'realm1'".
const VERBS = { call: 'call', register: 'register', publish: 'publish to', subscribe: 'subscribe to' }
const ADD_TESTAMENT = 'wamp.session.add_testament'
// Decisions remembered per realm and role; URIs are open-ended (an id in a topic), so the memory is bounded.
const CACHE_MAX = 4096

// One role's permissions on one restricted realm (an empty list for a role the section does not list).
class RoleRules {
  constructor (realm, role, entries) {
    this.realm = realm
    this.role = role
    this.index = new PatternIndex()
    for (const e of entries) this.index.add(e.match, e.uri, e)
    this.cache = new Map() // uri -> the entry that decides it, or null
  }

  // The permission that decides for uri, or null when none matches.
  decisive (uri) {
    let hit = this.cache.get(uri)
    if (hit !== undefined) return hit
    hit = this.index.best(uri) || null
    if (this.cache.size >= CACHE_MAX) this.cache.clear()
    this.cache.set(uri, hit)
    return hit
  }

  allows (action, uri) {
    const e = this.decisive(uri)
    return e !== null && e.allow[action] === true
  }

  // Whether the permission deciding for uri discloses this role's sessions as kind ('caller' or 'publisher').
  discloses (kind, uri) {
    const e = this.decisive(uri)
    return e !== null && e.disclose[kind] === true
  }

  denial (action, uri) {
    return `role '${this.role}' may not ${VERBS[action]} '${uri}' on realm '${this.realm}'`
  }

  // Why this role may not do action on uri (with these call arguments), or null when it may. A testament is a
  // publication made later on the caller's behalf (wamp-metad publishes it, with the meta role's rights, when
  // the session leaves), so adding one also takes the right to publish to its topic.
  refusal (action, uri, args) {
    if (!this.allows(action, uri)) return this.denial(action, uri)
    if (action === 'call' && uri === ADD_TESTAMENT && Array.isArray(args) && typeof args[0] === 'string' &&
        !this.allows('publish', args[0])) {
      return `${this.denial('publish', args[0])} (the topic of a testament)`
    }
    return null
  }
}

class Permissions {
  // realms: Map realm -> Map role -> entries, for the restricted realms; declared: the file has the section.
  // byPermission: disclosure is decided by the permissions alone, as Crossbar does (--crossbar-config): a
  // callee's disclose_caller and a caller's disclose_me are then not asked.
  constructor (realms, declared, { byPermission = false } = {}) {
    this.declared = declared
    this.discloseByPermission = byPermission
    this.rules = new Map()
    for (const [realm, roles] of realms) {
      const byRole = new Map()
      for (const [role, entries] of roles) byRole.set(role, new RoleRules(realm, role, entries))
      this.rules.set(realm, { listed: new Set(roles.keys()), byRole })
    }
  }

  // The rules a session of this role on this realm goes by, or null when it is not restricted. The caller
  // exempts the meta role and the internal realm, which the section cannot name.
  rulesFor (realm, role) {
    const r = this.rules.get(realm)
    if (!r) return null
    let rules = r.byRole.get(role)
    if (!rules) {
      rules = new RoleRules(realm, role, [])
      r.byRole.set(role, rules)
    }
    return rules
  }

  // The roles the section lets do action on uri in realm (sorted), or null when the realm is not restricted.
  rolesAllowed (realm, action, uri) {
    const r = this.rules.get(realm)
    if (!r) return null
    return [...r.listed].filter(role => r.byRole.get(role).allows(action, uri)).sort()
  }

  // What the router logs at start, one line per realm (or one line for a file without the section).
  summary (realms, file) {
    const everything = 'every role may call, register, publish and subscribe every URI (wamp.* stays reserved ' +
      'to the meta role for register and publish)'
    if (!this.declared) return [`no "permissions" in ${file}: ${everything}`]
    return realms.map(realm => {
      const r = this.rules.get(realm)
      if (!r) return `realm '${realm}' is not in the "permissions" of ${file}: ${everything}`
      const roles = [...r.listed].sort()
      return `realm '${realm}': permissions for ${roles.length ? 'role(s) ' + roles.join(', ') : 'no role'}; ` +
        'any other role may do nothing (the meta role is not restricted)'
    })
  }
}

// Reads one permission; pushes what is wrong with it to problems. Returns the entry, or null if it is unusable.
function parseEntry (p, where, problems) {
  if (!isPlainObject(p)) {
    problems.push(`${where} must be an object {"uri", "match", "allow", "disclose", "cache"}`)
    return null
  }
  const before = problems.length
  for (const k of Object.keys(p)) {
    if (!KEYS.includes(k)) problems.push(`${where}: unknown key '${k}' (expected uri, match, allow, disclose, cache)`)
  }
  const match = p.match === undefined ? 'exact' : p.match
  if (!MATCHES.includes(match)) {
    problems.push(`${where}.match: unknown match ${JSON.stringify(match)} (expected exact, prefix or wildcard)`)
  }
  if (typeof p.uri !== 'string') {
    problems.push(`${where}.uri must be a string`)
  } else if (match === 'exact' && !URI_RE.test(p.uri)) {
    problems.push(`${where}.uri '${p.uri}' is not a URI (dot-separated non-empty components) for match exact`)
  } else if (match === 'prefix' && !PREFIX_URI_RE.test(p.uri)) {
    problems.push(`${where}.uri '${p.uri}' is not a prefix (non-empty components, the last one may be empty: ` +
      '"com.example." or "" for everything) for match prefix')
  } else if (match === 'wildcard' && !(WILDCARD_URI_RE.test(p.uri) && p.uri.split('.').some(c => c === '') &&
      p.uri.split('.').some(c => c !== ''))) {
    problems.push(`${where}.uri '${p.uri}' is not a wildcard pattern (empty components for the wildcards, at ` +
      'least one empty and one not, as in "com.example..get") for match wildcard')
  }
  if (!isPlainObject(p.allow)) {
    problems.push(`${where}.allow must be an object of call, register, publish, subscribe (true or false)`)
  } else {
    for (const [k, v] of Object.entries(p.allow)) {
      if (!ACTIONS.includes(k)) {
        problems.push(`${where}.allow: unknown action '${k}' (expected call, register, publish, subscribe)`)
      } else if (typeof v !== 'boolean') {
        problems.push(`${where}.allow.${k} must be true or false, got ${JSON.stringify(v)}`)
      }
    }
  }
  const disclose = p.disclose === undefined ? {} : p.disclose
  if (!isPlainObject(disclose)) {
    problems.push(`${where}.disclose must be an object of caller, publisher (true or false)`)
  } else {
    for (const [k, v] of Object.entries(disclose)) {
      if (!DISCLOSE.includes(k)) {
        problems.push(`${where}.disclose: unknown key '${k}' (expected caller, publisher)`)
      } else if (typeof v !== 'boolean') {
        problems.push(`${where}.disclose.${k} must be true or false, got ${JSON.stringify(v)}`)
      }
    }
  }
  if (p.cache !== undefined && typeof p.cache !== 'boolean') {
    problems.push(`${where}.cache must be true or false, got ${JSON.stringify(p.cache)}`)
  }
  return problems.length === before ? { uri: p.uri, match, allow: { ...p.allow }, disclose: { ...disclose } } : null
}

// Reads the "permissions" section (undefined when the file has none). Returns {permissions, problems,
// warnings}: every problem of the section at once, each a line naming where it is; permissions is null if there
// is any. Context: realms (served), internalRealm, metaRole, roles (the authroles of the principals).
function parsePermissions (section, { realms, internalRealm, metaRole, roles }) {
  const problems = []
  const warnings = []
  if (section === undefined) return { permissions: new Permissions(new Map(), false), problems, warnings }
  if (!isPlainObject(section)) {
    return { permissions: null, problems: ['"permissions" must be an object {REALM: {ROLE: [permission, ...]}}'],
      warnings }
  }
  const parsed = new Map()
  for (const [realm, byRole] of Object.entries(section)) {
    const at = `permissions.${realm}`
    if (realm === internalRealm) {
      problems.push(`${at}: the internal realm is not restricted by permissions (only the meta role joins it)`)
      continue
    }
    if (!URI_RE.test(realm)) {
      problems.push(`${at}: '${realm}' is not a realm name`)
      continue
    }
    if (!realms.includes(realm)) warnings.push(`${at}: realm '${realm}' is not served (--realms)`)
    if (!isPlainObject(byRole)) {
      problems.push(`${at} must be an object {ROLE: [permission, ...]}`)
      continue
    }
    const roleMap = new Map()
    for (const [role, list] of Object.entries(byRole)) {
      const where = `${at}.${role}`
      if (role === '') {
        problems.push(`${at}: '' is not a role name`)
        continue
      }
      if (role === metaRole) {
        problems.push(`${where}: the meta role '${metaRole}' is never restricted by permissions`)
        continue
      }
      if (role !== 'anonymous' && !roles.has(role)) warnings.push(`${where}: no principal has authrole '${role}'`)
      if (!Array.isArray(list)) {
        problems.push(`${where} must be a list of permissions [{"uri", "match", "allow"}, ...]`)
        continue
      }
      const entries = []
      const seen = new Map() // "match uri" -> index
      list.forEach((p, i) => {
        const e = parseEntry(p, `${where}[${i}]`, problems)
        if (!e) return
        const key = `${e.match} ${e.uri}`
        if (seen.has(key)) {
          problems.push(`${where}[${i}]: duplicate of ${where}[${seen.get(key)}] (uri '${e.uri}', match ${e.match})`)
          return
        }
        seen.set(key, i)
        if (e.uri.startsWith('wamp.') && (e.allow.register || e.allow.publish)) {
          warnings.push(`${where}[${i}]: register and publish of wamp.* stay reserved to the meta role`)
        }
        entries.push(e)
      })
      roleMap.set(role, entries)
    }
    parsed.set(realm, roleMap)
  }
  if (problems.length > 0) return { permissions: null, problems, warnings }
  return { permissions: new Permissions(parsed, true), problems, warnings }
}

module.exports = { parsePermissions, parseEntry, Permissions }
