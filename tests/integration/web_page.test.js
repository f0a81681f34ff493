'use strict'
// The live sessions page (deploy/examples/web) in a real browser: headless Chromium (Debian's package) driven by
// puppeteer-core, the page served by the reference router's --web, wamp-metad serving realm1 with the kill
// procedures. The page must list what wamp.session.list lists, follow joins and leaves, show a session's details,
// kill with its button, offer window.session to the console, and say visibly when something is wrong.
// A screenshot of it goes to $WAMP_METAD_ARTIFACTS/web-page.png.

const fs = require('fs')
const os = require('os')
const path = require('path')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

const ROOT = routerctl.ROOT
const CHROMIUM = '/usr/bin/chromium'
const WEB_DIR = path.join(ROOT, 'deploy', 'examples', 'web')
const ARTIFACTS = process.env.WAMP_METAD_ARTIFACTS || path.join(ROOT, 'build', 'artifacts')
const KILL_MESSAGE = 'killed from the sessions page'

function fail (message) {
  process.stderr.write(`FAIL integration: sessions page: ${message}\n`)
  process.exit(1)
}

let puppeteer
try {
  puppeteer = require(path.join(ROOT, 'tests', 'js', 'node_modules', 'puppeteer-core'))
} catch (e) {
  fail(`puppeteer-core is not installed in tests/js/node_modules (run deploy/setup): ${e.message}`)
}
if (!fs.existsSync(CHROMIUM)) fail(`no browser at ${CHROMIUM}: install Debian's chromium (deploy/setup does)`)

const sorted = ids => [...ids].sort((a, b) => a - b)

kit.main('integration: sessions page in a browser', 150000, async t => {
  const principals = { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: ['realm1', 'realm2', 'realm3'] }
  const router = await routerctl.start({ realms: ['realm1', 'realm2', 'realm3'], principals,
    args: ['--web', WEB_DIR] })
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'web-page-chromium-'))
  const { join, closeAll } = kit.joiner({ url: router.url, realm: 'realm1' })
  let metad = null
  let metad3 = null
  let browser = null
  let killBrowser = null
  const pageErrors = []
  try {
    // realm3 is routed but not served by wamp-metad until late in the test: the page must say so meanwhile.
    metad = await metadctl.start(router, { realms: ['realm1', 'realm2'], args: ['--enable-kill', 'realm1'] })
    const base = `http://127.0.0.1:${router.ws.port}`
    const alice = await join({ authid: 'alice', ticket: routerctl.SECRETS.alice })
    const bob = await join({ authid: 'bob', wampcra: routerctl.SECRETS.bob, serializer: 'msgpack' })
    const anon = await join({ rawsocket: router.rawsocket })
    const observer = await join({ serializer: 'msgpack' })
    const list = async () => sorted(await observer.session.call('wamp.session.list'))
    // What the meta role says it serves on realm1 (router.meta.features), so that the page can show it.
    const internal = await join({ realm: 'router.internal', authid: 'metad', ticket: routerctl.SECRETS.metad })
    await internal.session.call('router.meta.features', ['realm1',
      { broker: { session_meta_api: true }, dealer: { session_meta_api: true } }])

    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      pipe: true, // DevTools over a pipe: no debugging port
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
        `--user-data-dir=${profile}`]
    })
    const chromiumPid = browser.process().pid
    killBrowser = () => {
      try { process.kill(chromiumPid, 'SIGKILL') } catch (e) { /* gone */ }
    }
    process.on('exit', killBrowser)

    const openPage = async realm => {
      const page = await browser.newPage()
      await page.setViewport({ width: 1200, height: 700 })
      page.on('pageerror', e => pageErrors.push(`${realm}: ${e.message}`))
      page.on('dialog', d => d.accept()) // the kill button asks first
      const res = await page.goto(`${base}/?realm=${realm}`, { waitUntil: 'load', timeout: 15000 })
      t.eq(res.status(), 200, `the page for ${realm} loads`)
      return page
    }
    const text = (page, selector) => page.$eval(selector, e => e.textContent).catch(() => null)
    const pageIds = page => page.$$eval('#sessions tbody tr', rows => rows.map(r => Number(r.dataset.session)))
    const untilIds = (page, want, what) => kit.until(async () => {
      const ids = sorted(await pageIds(page))
      return JSON.stringify(ids) === JSON.stringify(sorted(await want())) && ids
    }, 10000, what)

    let page
    await t.step('the page and Autobahn|JS come over the web transport', async () => {
      const index = await kit.httpGet(`${base}/?realm=realm1`)
      t.eq([index.status, index.headers['content-type']], [200, 'text/html; charset=utf-8'], 'index.html')
      const ab = await kit.httpGet(`${base}/autobahn/autobahn.min.js`)
      t.eq(ab.status, 200, 'autobahn.min.js')
      t.ok(/^(text|application)\/javascript\b/.test(ab.headers['content-type']),
        `a JavaScript content type: ${ab.headers['content-type']}`)
      t.eq(ab.headers['x-content-type-options'], 'nosniff', 'nosniff')
      page = await openPage('realm1')
      t.eq(await page.evaluate(() => typeof autobahn.Connection), 'function', 'Autobahn|JS loaded in the page')
      await kit.until(async () => (await page.$eval('#state', e => e.dataset.state)) === 'connected', 10000,
        'the page to connect')
      t.ok(/connected/.test(await text(page, '#state')), 'the connection state is shown')
    })

    let pageSession
    await t.step('it lists the sessions that are there, with their details and a count by authrole', async () => {
      pageSession = await page.evaluate(() => window.session.id)
      const ids = await untilIds(page, list, 'the page to list what wamp.session.list lists')
      t.ok(ids.includes(pageSession) && ids.includes(alice.session.id) && ids.length === 5,
        `the page, alice, bob, the RawSocket one and the observer: ${ids}`)
      const row = id => `tr[data-session="${id}"]`
      await kit.until(async () => (await text(page, `${row(bob.session.id)} td.authid`)) === 'bob', 10000,
        'details from wamp.session.get')
      t.eq(await text(page, `${row(alice.session.id)} td.authrole`), 'user', 'alice\'s authrole')
      t.eq(await text(page, `${row(alice.session.id)} td.authmethod`), 'ticket', 'alice\'s authmethod')
      t.ok((await text(page, `${row(bob.session.id)} td.transport`)).startsWith('websocket/msgpack'),
        'bob\'s transport')
      t.ok((await text(page, `${row(anon.session.id)} td.transport`)).startsWith('rawsocket/json'),
        'the RawSocket session\'s transport')
      t.ok(/this page/.test(await text(page, row(pageSession))), 'its own session is marked')
      const roles = () => page.$$eval('#roles li', lis => lis.map(li => li.textContent).join(', '))
      await kit.until(async () => (await roles()) === 'admin 1, anonymous 3, user 1', 10000, 'the count by authrole')
      t.eq(await text(page, '#total'), '5 sessions', 'total')
      t.ok(/broker\.session_meta_api/.test(await text(page, '#features')), 'the announced meta API features')
      t.ok(await page.$eval('#error', e => e.hidden), 'no error shown')
    })

    await t.step('a session that joins appears, one that leaves disappears', async () => {
      const carol = await join({ serializer: 'msgpack' })
      await untilIds(page, list, 'the joined session to appear')
      t.ok((await pageIds(page)).includes(carol.session.id), 'carol is listed')
      carol.connection.close()
      await kit.until(async () => !(await pageIds(page)).includes(carol.session.id), 10000,
        'the session that left to disappear')
      await untilIds(page, list, 'the page to list what wamp.session.list lists again')
    })

    await t.step('clicking a session shows its details', async () => {
      await page.click(`tr[data-session="${alice.session.id}"]`)
      const field = name => text(page, `#details dd[data-field="${name}"]`)
      await kit.until(async () => (await field('authid')) === 'alice', 10000, 'alice\'s details')
      const got = await observer.session.call('wamp.session.get', [alice.session.id])
      for (const k of ['authid', 'authrole', 'authmethod', 'authprovider', 'realm']) {
        t.eq(await field(k), got[k], `details: ${k}`)
      }
      t.eq(await field('session'), String(alice.session.id), 'details: session')
      t.eq(await field('peer'), got.transport.peer, 'details: peer')
      t.ok(await page.$eval(`tr[data-session="${alice.session.id}"]`, r => r.classList.contains('selected')),
        'the row is marked selected')
      fs.mkdirSync(ARTIFACTS, { recursive: true })
      const shot = path.join(ARTIFACTS, 'web-page.png')
      await page.screenshot({ path: shot })
      t.ok(fs.statSync(shot).size > 10000, `a screenshot at ${shot}`)
      process.stdout.write(`  screenshot: ${shot}\n`)
    })

    await t.step('the kill button kills the session', async () => {
      const victim = await join({ authid: 'victim' })
      await untilIds(page, list, 'the victim to appear')
      const button = `tr[data-session="${victim.session.id}"] button.kill`
      await kit.until(() => page.$(button), 10000, 'a kill button (the realm serves wamp.session.kill)')
      t.eq(await page.$(`tr[data-session="${pageSession}"] button.kill`), null, 'none on the page\'s own row')
      await page.click(button)
      const closed = await Promise.race([victim.closed, kit.sleep(10000).then(() => null)])
      t.ok(closed, 'the killed client\'s connection closed')
      t.eq([closed.details.reason, closed.details.message], ['wamp.close.killed', KILL_MESSAGE], 'its GOODBYE')
      await kit.until(async () => !(await pageIds(page)).includes(victim.session.id), 10000,
        'the killed session to disappear')
    })

    await t.step('the console snippets work on window.session', async () => {
      const logged = []
      page.on('console', m => logged.push(m.text()))
      const ids = await page.evaluate(() => session.call('wamp.session.list'))
      t.eq(sorted(ids), await list(), 'session.call("wamp.session.list") from the page')
      await page.evaluate(() => session.call('wamp.session.list').then(session.log, session.log))
      await kit.until(() => logged.some(l => l.includes(`WAMP session ${pageSession} on 'realm1'`)), 5000,
        'session.log to print')
      const d = await page.evaluate(id => session.call('wamp.session.get', [id]), bob.session.id)
      t.eq([d.authid, d.authrole], ['bob', 'admin'], 'session.call("wamp.session.get", [id])')
    })

    await t.step('a realm without wamp.session.kill shows no kill button', async () => {
      const page2 = await openPage('realm2')
      await kit.until(async () => (await page2.$eval('body', b => b.dataset.kill)) === 'not-served', 10000,
        'the kill probe')
      t.eq(await page2.$('button.kill'), null, 'no kill button')
      t.ok((await pageIds(page2)).length >= 1, 'it lists realm2 (at least the page itself)')
      await page2.close()
    })

    await t.step('problems are shown: no meta API on the realm, no such realm', async () => {
      const page3 = await openPage('realm3')
      await kit.until(async () => /wamp\.session\.list on realm3 failed \(wamp\.error\.no_such_procedure/
        .test(await text(page3, '#error')), 10000, 'the error about the meta API')
      t.ok(!(await page3.$eval('#error', e => e.hidden)), 'the error is visible')
      // Once something serves the meta API there, the page asks again and lists the realm.
      metad3 = await metadctl.start(router, { realms: ['realm3'] })
      const own = await page3.evaluate(() => window.session.id)
      await kit.until(async () => JSON.stringify(await pageIds(page3)) === JSON.stringify([own]), 10000,
        'the page to list realm3 once wamp-metad serves it')
      t.ok(await page3.$eval('#error', e => e.hidden), 'the error is gone')
      await page3.close()
      const page4 = await openPage('nosuch')
      await kit.until(async () => /wamp\.error\.no_such_realm/.test(await text(page4, '#error')), 10000,
        'the error about the realm')
      t.eq(await page4.$eval('#state', e => e.dataset.state), 'closed', 'the state says it is not connected')
      await page4.close()
    })

    t.eq(pageErrors, [], 'no uncaught error in the pages')
  } finally {
    if (browser) await browser.close().catch(() => killBrowser())
    closeAll()
    if (metad3) await metad3.stop()
    if (metad) await metad.stop()
    fs.rmSync(profile, { recursive: true, force: true })
    await router.stopChecked()
  }
})
