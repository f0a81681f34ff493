'use strict'
// deploy/run-local --crossbar-config: a Crossbar project's .crossbar/config.json, written here in Crossbar's
// shape, run as it is with wamp-metad serving its realm: the pages of its static path (a folder beside
// .crossbar), WAMP on its websocket path and its RawSocket port, its roles (the meta API for anonymous, kill only
// for the admin, without --enable-kill since a role may call wamp.session.kill), driven by Autobahn|JS and by a
// page in headless Chromium that lists the sessions and kills one; and a refused configuration ends run-local
// with exit 2 and the router's lines.

const fs = require('fs')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')

const ROOT = routerctl.ROOT
const CHROMIUM = '/usr/bin/chromium'
let puppeteer
try {
  puppeteer = require(path.join(ROOT, 'tests', 'js', 'node_modules', 'puppeteer-core'))
} catch (e) {
  process.stderr.write(`FAIL: puppeteer-core is not installed in tests/js/node_modules (run deploy/setup): ${e.message}\n`)
  process.exit(1)
}
if (!fs.existsSync(CHROMIUM)) {
  process.stderr.write(`FAIL: no browser at ${CHROMIUM}: install Debian's chromium (deploy/setup does)\n`)
  process.exit(1)
}

const ADMIN = { authid: 'bob', secret: 'bob-cra-secret' }
// The page a Crossbar project would have: Autobahn|JS from the router, WAMP on the websocket path "ws".
const PAGE = `<!doctype html>
<meta charset="utf-8"><title>project page</title>
<script src="/autobahn/autobahn.min.js"></script>
<script>
  window.ready = new Promise(resolve => {
    const c = new autobahn.Connection({ url: 'ws://' + location.host + '/ws', realm: 'realm1', max_retries: 0,
      authid: '${ADMIN.authid}', authmethods: ['wampcra'],
      onchallenge: (s, method, extra) => autobahn.auth_cra.sign('${ADMIN.secret}', extra.challenge) })
    c.onopen = session => { window.session = session; resolve(session.id) }
    c.open()
  })
</script>
`

// Starts deploy/run-local in its own process group (so that what it started stops with it).
function runLocal (args) {
  const child = routerctl.spawnTracked('bash', [path.join(ROOT, 'deploy', 'run-local'), ...args, '--no-setup'],
    { detached: true })
  const h = { child, out: '', err: '' }
  child.stdout.on('data', d => { h.out += d })
  child.stderr.on('data', d => { h.err += d })
  h.exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))
  h.killGroup = sig => { try { process.kill(-child.pid, sig) } catch (e) { /* gone */ } }
  process.on('exit', () => h.killGroup('SIGKILL'))
  return h
}

kit.main('integration: deploy/run-local --crossbar-config', 150000, async t => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crossbar-project-'))
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'crossbar-chromium-'))
  const cbdir = path.join(work, '.crossbar')
  fs.mkdirSync(cbdir)
  fs.mkdirSync(path.join(work, 'web'))
  fs.writeFileSync(path.join(work, 'web', 'index.html'), PAGE)
  const [webPort, rsPort] = [await routerctl.freePort(), await routerctl.freePort()]
  const config = {
    version: 2,
    controller: {},
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [
        { name: 'anonymous', permissions: [
          { uri: 'wamp.session.*', allow: { call: true }, disclose: { caller: false, publisher: false }, cache: true },
          { uri: 'wamp.session.kill', match: 'exact', allow: { call: false } },
          { uri: 'com.example.', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] },
        { name: 'admin', permissions: [{ uri: '', match: 'prefix', allow: { call: true, subscribe: true },
          disclose: { caller: true }, cache: true }] }] }],
      transports: [
        { type: 'web', endpoint: { type: 'tcp', port: webPort, interface: '127.0.0.1' },
          paths: { '/': { type: 'static', directory: '../web' }, info: { type: 'nodeinfo' },
            ws: { type: 'websocket', auth: { anonymous: { type: 'static', role: 'anonymous' },
              wampcra: { type: 'static', users: { [ADMIN.authid]: { secret: ADMIN.secret, role: 'admin' } } } } } } },
        { type: 'rawsocket', endpoint: { type: 'tcp', port: rsPort, interface: '127.0.0.1' } }]
    }]
  }
  const file = path.join(cbdir, 'config.json')
  fs.writeFileSync(file, JSON.stringify(config, null, 2))
  const url = `ws://127.0.0.1:${webPort}/ws`
  const rl = runLocal(['--crossbar-config', file])
  let browser = null
  const { join, closeAll } = kit.joiner({ url, realm: 'realm1' })
  try {
    await t.step('starts from the file and prints its addresses', async () => {
      await kit.until(() => /live: /.test(rl.out) || rl.child.exitCode !== null, 60000, 'run-local to be up')
      t.ok(rl.out.includes(`connect:    ${url} (WebSocket)`), `the websocket path:\n${rl.out}\n${rl.err}`)
      t.ok(rl.out.includes(`http://127.0.0.1:${webPort}/ (pages: ${path.join(work, 'web')})`), 'the pages')
      t.ok(rl.out.includes(`rs://127.0.0.1:${rsPort} (RawSocket)`), 'the RawSocket port')
      t.ok(rl.out.includes('registered on: realm1'), 'kill registered where a role may call it')
      t.ok(/paths\.info: web path type 'nodeinfo' is not served here; skipped/.test(rl.err), 'the skipped path said')
    })

    await t.step('Autobahn|JS: the meta API for anonymous, kill for the admin only', async () => {
      const anon = await join({ serializer: 'msgpack' })
      const raw = await join({ url: undefined, rawsocket: { host: '127.0.0.1', port: rsPort } })
      const ids = await anon.session.call('wamp.session.list')
      t.ok(ids.includes(anon.session.id) && ids.includes(raw.session.id), `both listed: ${ids}`)
      const d = await anon.session.call('wamp.session.get', [raw.session.id])
      t.eq([d.authrole, d.transport.type], ['anonymous', 'rawsocket'], 'the RawSocket session')
      const e = await kit.callError(anon.session.call('wamp.session.kill', [raw.session.id]))
      t.eq(e.error, 'wamp.error.not_authorized', 'anonymous may not kill')
      const admin = await join({ authid: ADMIN.authid, wampcra: ADMIN.secret })
      t.eq(admin.welcome.authrole, 'admin', 'the admin')
      const gone = raw.closed
      await admin.session.call('wamp.session.kill', [raw.session.id], { reason: 'wamp.close.killed', message: 'bye' })
      t.eq((await gone).details.reason, 'wamp.close.killed', 'the victim is told why')
    })

    await t.step('the project\'s page in Chromium lists the sessions and kills one', async () => {
      const victim = await join({})
      browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, pipe: true,
        args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`] })
      const chromiumPid = browser.process().pid
      process.on('exit', () => { try { process.kill(chromiumPid, 'SIGKILL') } catch (e) { /* gone */ } })
      const page = await browser.newPage()
      const res = await page.goto(`http://127.0.0.1:${webPort}/`, { waitUntil: 'load', timeout: 15000 })
      t.eq(res.status(), 200, 'the page from the static path')
      const own = await Promise.race([page.evaluate(() => window.ready), kit.sleep(10000).then(() => null)])
      t.ok(own !== null, 'the page joined as the admin')
      const ids = await page.evaluate(() => window.session.call('wamp.session.list'))
      t.ok(ids.includes(own) && ids.includes(victim.session.id), `the page sees both: ${ids}`)
      const gone = victim.closed
      await page.evaluate(id => window.session.call('wamp.session.kill', [id]), victim.session.id)
      t.eq((await gone).details.reason, 'wamp.close.killed', 'the page killed it')
    })

    await t.step('a refused configuration: exit 2 with its lines', async () => {
      const bad = JSON.parse(JSON.stringify(config))
      bad.workers[0].transports[0].paths['/'].directory = '../missing'
      bad.workers[0].realms[0].roles[1].authorizer = 'com.example.authorize'
      const badFile = path.join(cbdir, 'bad.json')
      fs.writeFileSync(badFile, JSON.stringify(bad))
      const b = runLocal(['--crossbar-config', badFile])
      const res = await Promise.race([b.exited, kit.sleep(20000).then(() => null)])
      t.ok(res !== null, 'run-local ended')
      t.eq(res.code, 2, `exit code; stderr:\n${b.err}`)
      t.ok(b.err.includes('workers[0].transports[0].paths["/"].directory: cannot read the directory'), b.err)
      t.ok(b.err.includes('workers[0].realms[0].roles[1].authorizer: a dynamic authorizer is not called here'), b.err)
    })

    await t.step('SIGINT stops them all', async () => {
      rl.killGroup('SIGINT')
      const res = await Promise.race([rl.exited, kit.sleep(10000).then(() => null)])
      t.ok(res !== null, 'run-local exited within 10 s')
      t.ok(/run-local: stopped/.test(rl.err), 'says it stopped')
    })
  } catch (e) {
    e.message += `\nrun-local stdout:\n${rl.out}\nstderr:\n${rl.err}`
    throw e
  } finally {
    await closeAll()
    if (browser) await browser.close().catch(() => {})
    rl.killGroup('SIGKILL')
    fs.rmSync(work, { recursive: true, force: true })
    fs.rmSync(profile, { recursive: true, force: true })
  }
})
