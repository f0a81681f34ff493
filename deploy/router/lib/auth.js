'use strict'
// Static authentication (ticket, wampcra, anonymous) and the internal-realm admission rule.
// Decisions are plain values so the gate stays a thin protocol layer:
//   {abort: URI, message}            -> ABORT
//   {challenge: method, extra, state} -> CHALLENGE, then authenticate(state, signature)
//   {identity: {authid, authrole, authmethod, authprovider, authextra?}} -> WELCOME

const crypto = require('crypto')

function sameSecret (a, b) {
  // Hash both sides so that timingSafeEqual sees equal lengths and the secret's length does not leak.
  const ha = crypto.createHash('sha256').update(String(a)).digest()
  const hb = crypto.createHash('sha256').update(String(b)).digest()
  return crypto.timingSafeEqual(ha, hb)
}

function randomAuthid () {
  return crypto.randomBytes(12).toString('base64').replace(/[+/=]/g, '').slice(0, 16)
}

class Authenticator {
  // anonymousRole: the authrole of anonymous sessions; hasRole (realm, role): whether the realm has that role,
  // when a session of a role the realm does not have is refused (a transport of --crossbar-config, as Crossbar
  // does), else undefined.
  constructor ({ principals, anonymousRealms, internalRealm, metaRole, anonymousRole = 'anonymous', hasRole }) {
    this.principals = principals
    this.anonymousRealms = anonymousRealms
    this.internalRealm = internalRealm
    this.metaRole = metaRole
    this.anonymousRole = anonymousRole
    this.hasRole = hasRole
  }

  admit (realm, identity) {
    if (realm === this.internalRealm && identity.authrole !== this.metaRole) {
      return { abort: 'wamp.error.not_authorized',
        message: `only authrole '${this.metaRole}' may join the internal realm '${realm}'` }
    }
    if (this.hasRole && identity.authrole !== this.metaRole && !this.hasRole(realm, identity.authrole)) {
      return { abort: 'wamp.error.no_such_role', message: `realm '${realm}' has no role '${identity.authrole}'` }
    }
    return { identity }
  }

  hello (realm, details, sessionId) {
    const authid = typeof details.authid === 'string' && details.authid !== '' ? details.authid : null
    let methods = details.authmethods
    if (methods === undefined || methods === null) methods = ['anonymous']
    if (!Array.isArray(methods)) return { abort: 'wamp.error.protocol_violation', message: 'authmethods must be a list' }
    if (methods.length === 0) methods = ['anonymous'] // Autobahn|Cpp sends [] when it has no credentials
    const extra = (details.authextra && typeof details.authextra === 'object' && !Array.isArray(details.authextra))
      ? details.authextra : undefined
    const principal = authid !== null ? this.principals.get(authid) : undefined
    let askedSecret = false
    for (const m of methods) {
      if (m === 'ticket' || m === 'wampcra') {
        askedSecret = true
        if (!principal || principal[m] === undefined) continue
        const base = { authid: principal.authid, authrole: principal.authrole, authmethod: m, authprovider: 'static' }
        if (extra) base.authextra = extra
        if (m === 'ticket') return { challenge: 'ticket', extra: {}, state: { realm, principal, identity: base } }
        const challenge = JSON.stringify({
          authid: principal.authid,
          authrole: principal.authrole,
          authmethod: 'wampcra',
          authprovider: 'static',
          nonce: crypto.randomBytes(16).toString('base64'),
          timestamp: new Date().toISOString(),
          session: sessionId
        })
        // A salted secret (the key the client derives with PBKDF2) comes with what the client derives it from.
        const cra = { challenge }
        if (principal.salt !== undefined) {
          Object.assign(cra, { salt: principal.salt, iterations: principal.iterations, keylen: principal.keylen })
        }
        return { challenge: 'wampcra', extra: cra, state: { realm, principal, identity: base, challenge } }
      }
      if (m === 'anonymous' && this.anonymousRealms.has(realm) && realm !== this.internalRealm) {
        const identity = { authid: authid || randomAuthid(), authrole: this.anonymousRole, authmethod: 'anonymous',
          authprovider: 'static' }
        if (extra) identity.authextra = extra
        return this.admit(realm, identity)
      }
    }
    if (askedSecret && authid !== null) {
      return { abort: 'wamp.error.authentication_failed', message: `cannot authenticate '${authid}'` }
    }
    if (realm === this.internalRealm) {
      return { abort: 'wamp.error.not_authorized', message: `only authrole '${this.metaRole}' may join '${realm}'` }
    }
    return { abort: 'wamp.error.no_auth_method',
      message: `none of the offered authmethods ${JSON.stringify(methods)} is accepted on realm '${realm}'` }
  }

  authenticate (state, signature) {
    if (typeof signature !== 'string') {
      return { abort: 'wamp.error.authentication_failed', message: 'signature must be a string' }
    }
    let ok
    if (state.identity.authmethod === 'ticket') {
      ok = sameSecret(signature, state.principal.ticket)
    } else {
      const expected = crypto.createHmac('sha256', state.principal.wampcra).update(state.challenge).digest('base64')
      ok = sameSecret(signature, expected)
    }
    if (!ok) return { abort: 'wamp.error.authentication_failed', message: 'wrong secret' }
    return this.admit(state.realm, state.identity)
  }
}

module.exports = { Authenticator }
