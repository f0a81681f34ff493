'use strict'
// router.meta.features (docs/hook-protocol.md), apart from any router: the meta role tells the router which meta
// API features it really serves on a client realm, so that WELCOME announces those and no others. Each
// announcement belongs to the session that made it and dies with it: a sidecar that crashes withdraws what it
// announced without saying so. Announcements of several sessions for one realm are merged (true wins).
//
// What it needs from the router's binding (lib/fox is the one for fox-wamp), besides binding.register (see
// lib/hookproto.js):
//   binding.onInternalLeft(fn)              call fn(sessionId) whenever a session leaves the internal realm
//   binding.setWelcomeFeatures(realm, f)    from now on, merge f = {broker: {name: true}, dealer: {...}} into
//                                           WELCOME.Details.roles of the sessions that join realm (null: none)

const { isPlainObject, invalidArgument, requireRole } = require('./wamp')
const breakages = require('./breakages')

const ROLES = ['broker', 'dealer']
const FEATURE_RE = /^[a-z][a-z0-9_]{0,63}$/ // the shape of every feature name the WAMP spec defines
const MAX_FEATURES = 64 // per role and announcement: a bound on what one caller can make every WELCOME carry

class MetaFeatures {
  constructor ({ binding, realms, metaRole }) {
    this.binding = binding
    this.realms = new Set(realms)
    this.metaRole = metaRole
    this.announced = new Map() // realm -> Map(caller session id -> {broker: Set, dealer: Set})
  }

  start () {
    this.binding.register('router.meta.features', (args, kwargs, caller) => this.announce(args, caller))
    this.binding.onInternalLeft(id => this.dropCaller(id))
  }

  announce (args, caller) {
    requireRole(caller, this.metaRole, 'announce features')
    if (breakages.on('features_lax') && (args.length !== 2 || !isPlainObject(args[1]))) return []
    if (args.length !== 2) throw invalidArgument('expected [realm, features] or [realm, null]')
    const [realm, features] = args
    if (typeof realm !== 'string') throw invalidArgument('realm must be a string')
    if (!this.realms.has(realm)) throw invalidArgument(`'${realm}' is not a configured client realm`)
    const parsed = features === null ? null : parseFeatures(features, breakages.on('features_lax'))
    let byCaller = this.announced.get(realm)
    if (parsed) {
      if (!byCaller) this.announced.set(realm, byCaller = new Map())
      byCaller.set(caller.caller, parsed)
    } else if (byCaller) {
      byCaller.delete(caller.caller)
    }
    this.publish(realm)
    return []
  }

  dropCaller (id) {
    if (breakages.on('features_kept')) return
    for (const [realm, byCaller] of this.announced) {
      if (byCaller.delete(id)) this.publish(realm)
    }
  }

  // Hands the merge of every live announcement for realm to the binding.
  publish (realm) {
    const byCaller = this.announced.get(realm)
    const merged = { broker: {}, dealer: {} }
    let any = false
    for (const roles of byCaller ? byCaller.values() : []) {
      for (const role of ROLES) {
        for (const name of roles[role]) {
          merged[role][name] = true
          any = true
        }
      }
    }
    if (!any) this.announced.delete(realm)
    this.binding.setWelcomeFeatures(realm, any && !breakages.on('features_ignored') ? merged : null)
  }
}

// {broker: {name: bool}, dealer: {name: bool}} (either role may be absent) -> {broker: Set, dealer: Set} of the
// names announced true; anything else is an invalid_argument saying what is wrong.
function parseFeatures (features, lax = false) {
  if (!isPlainObject(features)) throw invalidArgument('features must be a dict or null')
  const parsed = {}
  for (const key of Object.keys(features)) {
    if (!ROLES.includes(key) && !lax) {
      throw invalidArgument(`features: unknown role '${key}' (expected broker or dealer)`)
    }
  }
  for (const role of ROLES) {
    parsed[role] = new Set()
    const dict = features[role]
    if (dict === undefined) continue
    if (!isPlainObject(dict)) throw invalidArgument(`features.${role} must be a dict`)
    const names = Object.keys(dict)
    if (names.length > MAX_FEATURES) throw invalidArgument(`features.${role}: more than ${MAX_FEATURES} features`)
    for (const name of names) {
      if (!FEATURE_RE.test(name)) throw invalidArgument(`features.${role}: '${name}' is not a feature name`)
      if (typeof dict[name] !== 'boolean') throw invalidArgument(`features.${role}.${name} must be true or false`)
      if (dict[name]) parsed[role].add(name)
    }
  }
  return parsed
}

module.exports = { MetaFeatures }
