'use strict'
// --web DIR: static files over HTTP on the WebSocket listener. Content types, HEAD, 405, directories, the
// Autobahn|JS browser build, and every way out of DIR a request could try (dot segments raw and encoded, encoded
// slashes, backslashes, NUL bytes, symlinks): none may ever return a byte from outside. WAMP keeps every
// WebSocket path; without --web a plain GET gets the 426 it always got. Requests are written byte for byte on a
// socket, so that no client library normalizes the path first.

const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const raw = require('../lib/rawwamp')
const kit = require('../lib/jskit')

const SECRET = 'outside-secret-7f3a9c'
const AUTOBAHN_FILE = path.join(routerctl.ROOT, 'deploy', 'router', 'node_modules', 'autobahn-browser',
  'autobahn.min.js')

// One HTTP/1.1 exchange on a fresh connection: the request line and headers as given (bytes), the response
// parsed into {status, headers (lower-case names), body (Buffer)}.
function request (port, head, ms = 5000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1')
    const chunks = []
    const timer = setTimeout(() => {
      sock.destroy()
      reject(new Error(`no complete answer to ${JSON.stringify(head)} within ${ms} ms`))
    }, ms)
    sock.on('connect', () => sock.write(Buffer.from(head, 'latin1')))
    sock.on('data', d => chunks.push(d))
    sock.on('error', () => {})
    sock.on('close', () => {
      clearTimeout(timer)
      const all = Buffer.concat(chunks)
      const split = all.indexOf('\r\n\r\n')
      if (split < 0) {
        reject(new Error(`no HTTP answer to ${JSON.stringify(head)}: ${JSON.stringify(all.toString('latin1'))}`))
        return
      }
      const lines = all.subarray(0, split).toString('latin1').split('\r\n')
      const headers = {}
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':')
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
      }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body: all.subarray(split + 4) })
    })
  })
}

const get = (port, target, method = 'GET') =>
  request(port, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)

kit.main('router: static files (--web)', 90000, async t => {
  // tmp/outside/secret.txt and the served tmp/site, with links pointing out of it and one pointing within.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'router-web-'))
  const site = path.join(tmp, 'site')
  const put = (rel, content) => {
    fs.mkdirSync(path.dirname(path.join(site, rel)), { recursive: true })
    fs.writeFileSync(path.join(site, rel), content)
  }
  fs.mkdirSync(path.join(tmp, 'outside'))
  fs.writeFileSync(path.join(tmp, 'outside', 'secret.txt'), SECRET)
  fs.writeFileSync(path.join(tmp, 'secret.txt'), SECRET)
  put('index.html', '<!doctype html><title>root</title>')
  const types = {
    'a.html': 'text/html; charset=utf-8',
    'a.js': 'text/javascript; charset=utf-8',
    'a.mjs': 'text/javascript; charset=utf-8',
    'a.css': 'text/css; charset=utf-8',
    'a.json': 'application/json; charset=utf-8',
    'a.svg': 'image/svg+xml; charset=utf-8',
    'a.png': 'image/png',
    'a.ico': 'image/x-icon',
    'a.txt': 'text/plain; charset=utf-8',
    'UPPER.HTML': 'text/html; charset=utf-8',
    noext: 'application/octet-stream'
  }
  for (const name of Object.keys(types)) put(name, `content of ${name}`)
  put('sub/index.html', 'sub index')
  put('sub/page.txt', 'sub page')
  put('.hidden', 'hidden')
  fs.mkdirSync(path.join(site, 'bare')) // a directory without index.html
  fs.symlinkSync(path.join(tmp, 'outside', 'secret.txt'), path.join(site, 'link-out.txt'))
  fs.symlinkSync(path.join(tmp, 'outside'), path.join(site, 'dir-out'))
  fs.symlinkSync('/etc', path.join(site, 'etc'))
  fs.symlinkSync('a.txt', path.join(site, 'link-in.txt'))

  const started = []
  try {
    const r = await routerctl.start({ rawsocket: false, args: ['--web', site] })
    started.push(r)
    const port = r.ws.port

    await t.step('files with their content types, nosniff', async () => {
      for (const [name, type] of Object.entries(types)) {
        const res = await get(port, `/${name}`)
        t.eq(res.status, 200, `GET /${name}`)
        t.eq(res.headers['content-type'], type, `Content-Type of ${name}`)
        t.eq(res.headers['x-content-type-options'], 'nosniff', `nosniff on ${name}`)
        t.eq(res.body.toString(), `content of ${name}`, `body of ${name}`)
        t.eq(Number(res.headers['content-length']), res.body.length, `Content-Length of ${name}`)
      }
      const q = await get(port, '/a.txt?x=1#frag')
      t.eq([q.status, q.body.toString()], [200, 'content of a.txt'], 'the query is not part of the path')
      const enc = await get(port, '/%61.txt')
      t.eq([enc.status, enc.body.toString()], [200, 'content of a.txt'], 'percent-encoded letters are decoded')
    })

    await t.step('directories: index.html or 404, never a listing', async () => {
      const root = await get(port, '/')
      t.eq([root.status, root.headers['content-type']], [200, 'text/html; charset=utf-8'], 'GET /')
      t.ok(root.body.toString().includes('<title>root</title>'), 'the root serves its index.html')
      const sub = await get(port, '/sub/')
      t.eq([sub.status, sub.body.toString()], [200, 'sub index'], 'GET /sub/')
      const redirect = await get(port, '/sub')
      t.eq([redirect.status, redirect.headers.location], [301, '/sub/'], 'GET /sub redirects to /sub/')
      t.eq((await get(port, '//sub')).headers.location, '/sub/', 'a redirect never leaves the host')
      t.eq((await get(port, '/sub/page.txt')).body.toString(), 'sub page', 'a file in a directory')
      t.eq((await get(port, '/bare/')).status, 404, 'a directory without index.html')
      t.eq((await get(port, '/bare')).status, 404, 'the same without the slash')
      t.eq((await get(port, '/missing.html')).status, 404, 'a missing file')
      t.eq((await get(port, '/sub/missing/')).status, 404, 'a missing directory')
      t.eq((await get(port, '/a.txt/')).status, 404, 'a file is not a directory')
      t.eq((await get(port, '/.hidden')).status, 404, 'hidden files')
      t.eq((await get(port, '/link-in.txt')).body.toString(), 'content of a.txt', 'a symlink within DIR')
    })

    await t.step('HEAD; other methods get 405 with Allow', async () => {
      const head = await get(port, '/a.css', 'HEAD')
      t.eq([head.status, head.headers['content-type'], head.headers['content-length']],
        [200, 'text/css; charset=utf-8', String('content of a.css'.length)], 'HEAD headers')
      t.eq(head.body.length, 0, 'HEAD has no body')
      t.eq((await get(port, '/missing', 'HEAD')).status, 404, 'HEAD of a missing file')
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const res = await request(port, `${method} /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n` +
          'Connection: close\r\n\r\n')
        t.eq([res.status, res.headers.allow], [405, 'GET, HEAD'], method)
      }
    })

    await t.step('no path escapes DIR', async () => {
      const attempts = [
        '/../secret.txt', '/../outside/secret.txt', '/sub/../../secret.txt', '/./../secret.txt',
        '/%2e%2e/secret.txt', '/%2E%2E/outside/secret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/.%2e/secret.txt',
        '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/sub%2f..%2f..%2fsecret.txt', '/%2fetc%2fpasswd',
        '/..\\secret.txt', '/sub\\..\\..\\secret.txt', '/%5c..%5csecret.txt', '/..%5c..%5csecret.txt',
        '/a.txt%00.html', '/%00', '/..%00/secret.txt', '/%c0%ae%c0%ae/secret.txt', '/%2', '/%zz',
        '/link-out.txt', '/dir-out/secret.txt', '/dir-out/', '/etc/passwd', '/etc/hostname',
        '//etc/passwd', '/' + path.join(tmp, 'secret.txt'),
        'http://127.0.0.1/../secret.txt', '../secret.txt', '*'
      ]
      for (const target of attempts) {
        const res = await get(port, target)
        t.ok(res.status === 404 || res.status === 400, `${JSON.stringify(target)}: 404 or 400, got ${res.status}`)
        t.ok(!res.body.toString().includes(SECRET) && !/root:/.test(res.body.toString()),
          `${JSON.stringify(target)}: nothing from outside`)
      }
      // A raw NUL in the request line: the HTTP parser refuses the request before it reaches the files.
      const nul = await request(port, 'GET /a.txt\0/../../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
      t.eq(nul.status, 400, 'a raw NUL byte')
      t.ok(!nul.body.toString().includes(SECRET), 'nothing from outside after a raw NUL')
    })

    await t.step('the Autobahn|JS browser build from the router\'s node_modules', async () => {
      const res = await get(port, '/autobahn/autobahn.min.js')
      t.eq([res.status, res.headers['content-type']], [200, 'text/javascript; charset=utf-8'], 'served as JavaScript')
      t.ok(res.body.equals(fs.readFileSync(AUTOBAHN_FILE)), 'the file of the npm package autobahn-browser')
      t.eq((await get(port, '/autobahn/autobahn.min.js', 'HEAD')).status, 200, 'HEAD')
      t.eq((await get(port, '/autobahn/package.json')).status, 404, 'nothing else of the package')
      t.eq((await get(port, '/autobahn/')).status, 404, 'no listing of it')
    })

    await t.step('WAMP on /ws and on every other WebSocket path, as before', async () => {
      for (const p of ['/ws', '/', '/anything/else', '/a.txt']) {
        const c = await raw.connect({ url: `ws://127.0.0.1:${port}${p}`, serializer: 'json' })
        const w = await raw.hello(c, 'realm1')
        t.ok(Number.isInteger(w[1]), `WELCOME over WebSocket at ${p}`)
        c.close()
      }
    })

    await t.step('without --web a plain GET gets the 426 it always got', async () => {
      const plain = await routerctl.start({ rawsocket: false })
      started.push(plain)
      for (const target of ['/', '/index.html', '/autobahn/autobahn.min.js']) {
        const res = await get(plain.ws.port, target)
        t.eq(res.status, 426, `GET ${target}`)
        t.ok(res.body.toString().includes('WAMP over WebSocket only\n'), `the same text for GET ${target}`)
      }
    })
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
    for (const r of started) await r.stopChecked()
  }
})
