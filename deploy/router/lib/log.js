'use strict'
// Minimal leveled logger writing one line per record to stderr (stdout carries only the ready line).

const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 }
let threshold = LEVELS.info

function setLevel (name) {
  threshold = LEVELS[name]
}

function write (level, parts) {
  if (LEVELS[level] > threshold) return
  const text = parts.map(p => (p instanceof Error ? (p.stack || p.message) : typeof p === 'string' ? p : safeJson(p)))
    .join(' ')
  process.stderr.write(`${new Date().toISOString()} router ${level}: ${text}\n`)
}

function safeJson (v) {
  try {
    const s = JSON.stringify(v)
    return s === undefined ? String(v) : (s.length > 500 ? s.slice(0, 500) + '...' : s)
  } catch (e) {
    return String(v)
  }
}

module.exports = {
  setLevel,
  error: (...a) => write('error', a),
  warn: (...a) => write('warn', a),
  info: (...a) => write('info', a),
  debug: (...a) => write('debug', a)
}
