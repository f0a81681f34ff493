'use strict'
// metrics.js: wamp-metad's Prometheus exposition, read the way the tests check it.
//
//   const metrics = require('<repo>/tests/lib/metrics')
//   const port = await metrics.port(m)            // the port of a wamp-metad started with --metrics 127.0.0.1:0
//   const samples = await metrics.scrape(port)    // [{name, labels, value}]
//   metrics.value(samples, name, {label: 'v'})    // the one sample with this name and (at least) these labels;
//                                                 // 0 when there is none; fails when several match
//   metrics.sum(samples, name, {label: 'v'})      // the sum of every sample that matches

const kit = require('./jskit')

// The exposition's samples as [{name, labels, value}].
function parse (text) {
  const samples = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new kit.Failure(`not an exposition line: ${line}`)
    const labels = {}
    for (const [, k, v] of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v
    samples.push({ name: m[1], labels, value: Number(m[3]) })
  }
  return samples
}

function matching (samples, name, labels) {
  return samples.filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

function value (samples, name, labels = {}) {
  const found = matching(samples, name, labels)
  if (found.length > 1) throw new kit.Failure(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`)
  return found.length ? found[0].value : 0
}

function sum (samples, name, labels = {}) {
  return matching(samples, name, labels).reduce((total, s) => total + s.value, 0)
}

async function scrapeText (port) {
  return kit.httpGet(`http://127.0.0.1:${port}/metrics`)
}

async function scrape (port) {
  return parse((await scrapeText(port)).body)
}

async function port (metad) {
  return Number((await metad.waitLog(/metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1])
}

module.exports = { parse, value, sum, scrape, scrapeText, port }
