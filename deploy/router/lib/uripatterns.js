'use strict'
// WAMP's URI patterns apart from any router: which patterns are well-formed, what an exact, prefix or wildcard
// pattern matches, and which of several matching patterns decides for a URI. Both the routing of calls to
// pattern-based registrations (lib/fox) and the role permissions (lib/permissions.js) go by these rules, so
// they live in one place.
//
//   exact     the URI itself
//   prefix    every URI that starts with the pattern, as strings: "com.ex" matches "com.ex", "com.example" and
//             "com.exit.x"; "com.example." only what lies under com.example; "" every URI
//   wildcard  every URI with as many components, each empty component of the pattern standing for any one
//             component: "com..state" matches "com.door.state", not "com.state" nor "com.a.b.state"
//
// The one that decides (the WAMP spec's rule for pattern-based registrations): an exact pattern, else the
// longest matching prefix, else the wildcard with the longest run of fixed components before its first
// wildcard, then before its second, and so on. Two different patterns that match the same URI always differ
// there, so the choice never depends on the order they were added in.

const { URI_RE, PREFIX_URI_RE, WILDCARD_URI_RE } = require('./wamp')

const MATCHES = ['exact', 'prefix', 'wildcard']

// Why pattern is not a well-formed pattern of that match policy, or null when it is one.
function patternProblem (match, pattern) {
  if (!MATCHES.includes(match)) return `unknown match policy '${match}' (expected exact, prefix or wildcard)`
  const re = match === 'exact' ? URI_RE : match === 'prefix' ? PREFIX_URI_RE : WILDCARD_URI_RE
  return typeof pattern === 'string' && re.test(pattern) ? null : `invalid ${match} URI pattern '${pattern}'`
}

class Wildcard {
  constructor (pattern) {
    this.pattern = pattern
    this.parts = pattern.split('.')
    this.runs = [0] // fixed components before the first wildcard, between the first and the second, ...
    for (const p of this.parts) {
      if (p === '') this.runs.push(0)
      else this.runs[this.runs.length - 1]++
    }
  }

  matches (parts) {
    return parts.length === this.parts.length && this.parts.every((p, i) => p === '' || p === parts[i])
  }

  // Sorts the more specific first.
  static compare (a, b) {
    for (let i = 0; i < Math.min(a.runs.length, b.runs.length); i++) {
      if (a.runs[i] !== b.runs[i]) return b.runs[i] - a.runs[i]
    }
    return a.runs.length - b.runs.length || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0)
  }
}

// Patterns of every policy, each with a value, kept so that best(uri) finds the deciding one quickly: an exact
// lookup, then the prefixes longest first, then the wildcards most specific first.
class PatternIndex {
  constructor () {
    this.exact = new Map() // pattern -> value
    this.prefixes = [] // {pattern, value}, longest first
    this.wildcards = [] // {rule: Wildcard, value}, most specific first
  }

  get size () {
    return this.exact.size + this.prefixes.length + this.wildcards.length
  }

  // Adds a pattern (one that is not there yet) with its value.
  add (match, pattern, value) {
    if (match === 'exact') {
      this.exact.set(pattern, value)
    } else if (match === 'prefix') {
      insertSorted(this.prefixes, { pattern, value }, (a, b) => b.pattern.length - a.pattern.length)
    } else {
      insertSorted(this.wildcards, { rule: new Wildcard(pattern), value }, (a, b) => Wildcard.compare(a.rule, b.rule))
    }
  }

  remove (match, pattern) {
    if (match === 'exact') {
      this.exact.delete(pattern)
      return
    }
    const list = match === 'prefix' ? this.prefixes : this.wildcards
    const i = list.findIndex(e => (e.rule ? e.rule.pattern : e.pattern) === pattern)
    if (i >= 0) list.splice(i, 1)
  }

  // The value of the pattern that decides for uri, or undefined when none matches.
  best (uri) {
    const hit = this.exact.get(uri)
    if (hit !== undefined) return hit
    const prefix = this.prefixes.find(e => uri.startsWith(e.pattern))
    if (prefix) return prefix.value
    if (this.wildcards.length === 0) return undefined
    const parts = uri.split('.')
    const w = this.wildcards.find(e => e.rule.matches(parts))
    return w ? w.value : undefined
  }
}

// Inserts item into list, sorted by compare, after the items it ties with.
function insertSorted (list, item, compare) {
  let i = list.length
  while (i > 0 && compare(item, list[i - 1]) < 0) i--
  list.splice(i, 0, item)
}

module.exports = { MATCHES, patternProblem, PatternIndex }
