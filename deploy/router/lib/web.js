'use strict'
// Static files over HTTP on the WebSocket listener (--web DIR): what an operator's browser page needs, and
// the Autobahn|JS browser build from this router's own node_modules at AUTOBAHN_URL. WebSocket upgrades never
// reach this handler (lib/transports.js hands them to WAMP first), so WAMP keeps every path it had.
//
// The request path is checked one segment at a time before it touches the file system: a segment that decodes
// to something with a slash, a backslash or a NUL is refused (400), a segment starting with a dot ('.', '..',
// hidden files) is not found (404); the file found is then resolved through its symlinks and served only if it
// is still inside DIR. Anything else that does not lead to a regular file is a 404, never a listing.

const fs = require('fs')
const path = require('path')
const { pipeline } = require('stream')
const log = require('./log')

const AUTOBAHN_URL = '/autobahn/autobahn.min.js'

// Types a page made of plain files needs; anything else goes out as bytes the browser will not interpret.
const TEXT = '; charset=utf-8'
const TYPES = {
  '.html': 'text/html' + TEXT,
  '.js': 'text/javascript' + TEXT,
  '.mjs': 'text/javascript' + TEXT,
  '.css': 'text/css' + TEXT,
  '.json': 'application/json' + TEXT,
  '.svg': 'image/svg+xml' + TEXT,
  '.txt': 'text/plain' + TEXT,
  '.png': 'image/png',
  '.ico': 'image/x-icon'
}
const DEFAULT_TYPE = 'application/octet-stream'

class HttpError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

const STATUS_TEXT = { 301: 'moved permanently', 400: 'bad request', 404: 'not found', 405: 'method not allowed' }

function contentType (file) {
  return TYPES[path.extname(file).toLowerCase()] || DEFAULT_TYPE
}

// The request target's path as a list of decoded segments (empty ones dropped), or an HttpError.
function segmentsOf (target) {
  if (typeof target !== 'string' || !target.startsWith('/')) throw new HttpError(400, 'not an origin-form path')
  const rawPath = target.split(/[?#]/, 1)[0]
  const segments = []
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue
    let seg
    try {
      seg = decodeURIComponent(raw)
    } catch (e) {
      throw new HttpError(400, 'malformed percent-encoding')
    }
    if (/[/\\\0]/.test(seg)) throw new HttpError(400, 'a path segment holds a slash, a backslash or a NUL')
    if (seg.startsWith('.')) throw new HttpError(404, 'dot segments and hidden files are not served')
    segments.push(seg)
  }
  return { segments, trailingSlash: rawPath.endsWith('/') }
}

function inside (root, file) {
  return file === root || file.startsWith(root + path.sep)
}

// Opens a regular file whose real path lies within root; null when there is none.
async function openInside (root, candidate) {
  let real
  try {
    real = await fs.promises.realpath(candidate)
  } catch (e) {
    return null
  }
  if (!inside(root, real)) return null
  let handle
  try {
    handle = await fs.promises.open(real, 'r')
    const stat = await handle.stat()
    if (stat.isFile()) return { handle, stat, real }
    await handle.close()
    return stat.isDirectory() ? { directory: true, real } : null
  } catch (e) {
    if (handle) await handle.close().catch(() => {})
    return null
  }
}

// Returns the request handler for http.createServer; throws at once (an Error whose message names the problem)
// when the Autobahn|JS browser build is not installed. base: the URL path DIR is served under ('' for the root;
// the handler is then given request URLs with base taken off); ownFirst: DIR's own file at AUTOBAHN_URL, if there
// is one, is served rather than the router's build (a Crossbar project's pages keep theirs).
function createWebHandler (dir, { base = '', ownFirst = false } = {}) {
  const root = fs.realpathSync(dir)
  let autobahnFile, autobahnDir
  try {
    autobahnFile = fs.realpathSync(require.resolve('autobahn-browser/autobahn.min.js'))
    autobahnDir = path.dirname(autobahnFile)
  } catch (e) {
    throw new Error('--web: the Autobahn|JS browser build (npm package autobahn-browser) is not installed: ' +
      'run npm ci in deploy/router')
  }

  async function find (target) {
    const autobahn = target.split(/[?#]/, 1)[0] === AUTOBAHN_URL && base === ''
    if (autobahn && !ownFirst) return openInside(autobahnDir, autobahnFile)
    const { segments, trailingSlash } = segmentsOf(target)
    const found = await openInside(root, path.join(root, ...segments))
    if (!found) return autobahn ? openInside(autobahnDir, autobahnFile) : null
    if (!found.directory) {
      if (!trailingSlash) return found
      await found.handle.close() // "file/" names a directory that is not there
      return null
    }
    const index = await openInside(root, path.join(found.real, 'index.html'))
    if (!index || index.directory) return null
    // A directory's page is served under a path ending with '/', so that its relative links resolve in it.
    if (!trailingSlash && segments.length > 0) {
      await index.handle.close()
      return { redirect: base + '/' + segments.map(encodeURIComponent).join('/') + '/' }
    }
    return index
  }

  function plain (res, status, extra = {}) {
    const body = `${status} ${STATUS_TEXT[status] || ''}\n`
    res.writeHead(status, { 'Content-Type': TYPES['.txt'], 'Content-Length': Buffer.byteLength(body),
      'X-Content-Type-Options': 'nosniff', ...extra })
    res.end(res.req.method === 'HEAD' ? undefined : body)
  }

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, { Allow: 'GET, HEAD' })
      return
    }
    find(req.url).then(found => {
      if (!found) {
        plain(res, 404)
      } else if (found.redirect) {
        plain(res, 301, { Location: found.redirect })
      } else {
        res.writeHead(200, { 'Content-Type': contentType(found.real), 'Content-Length': found.stat.size,
          'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' })
        if (req.method === 'HEAD') {
          found.handle.close().catch(() => {})
          res.end()
          return
        }
        pipeline(found.handle.createReadStream(), res, e => {
          if (e && e.code !== 'ERR_STREAM_PREMATURE_CLOSE') log.info(`web: sending ${found.real} failed: ${e.message}`)
        })
      }
    }, e => {
      if (e instanceof HttpError) {
        log.debug(`web: ${e.status} for ${JSON.stringify(req.url)}: ${e.message}`)
        plain(res, e.status)
      } else {
        log.error('BUG: web request failed:', e)
        res.destroy()
      }
    })
  }
}

// The static paths of a Crossbar web transport: statics [{name, dir}], name '' for "/" and otherwise the first
// path segment the folder is served under; a request under no static path is a 404.
function createWebMounts (statics) {
  const handlers = new Map(statics.map(({ name, dir }) => [name, createWebHandler(dir,
    { base: name === '' ? '' : '/' + encodeURIComponent(name), ownFirst: true })]))
  return (req, res) => {
    const m = /^\/([^/?#]*)([^?#]*)(.*)$/.exec(req.url || '')
    let first = null
    try {
      first = m ? decodeURIComponent(m[1]) : null
    } catch (e) { /* served by the root as a bad request */ }
    if (first !== null && first !== '' && handlers.has(first)) {
      if (m[2] === '') { // "/docs" is the folder "/docs/", where its page's relative links resolve
        res.writeHead(301, { Location: `/${m[1]}/${m[3]}`, 'Content-Length': 0 })
        return res.end()
      }
      req.url = m[2] + m[3]
      return handlers.get(first)(req, res)
    }
    if (handlers.has('')) return handlers.get('')(req, res)
    const body = '404 not found\n'
    res.writeHead(404, { 'Content-Type': TYPES['.txt'], 'Content-Length': Buffer.byteLength(body) })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}

module.exports = { createWebHandler, createWebMounts, AUTOBAHN_URL }
