'use strict'
// The live sessions page (deploy/examples/web) in a real browser: headless Chromium (Debian's package) driven by
// puppeteer-core, the page served by the reference router's --web, wamp-metad serving realm1 with the kill
// procedures. The page must list what wamp.session.list lists, follow joins and leaves, show a session's details,
// kill with its button, show the registrations and subscriptions with their callees and subscribers and follow
// them, show what a session registered and subscribed to, remove a subscriber with its button, offer
// window.session to the console, and say visibly when something is wrong.
// A screenshot of the whole page goes to $WAMP_METAD_ARTIFACTS/web-page.png.

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
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)

// The two tables of the page's registrations and subscriptions section, and the meta API behind each.
const KINDS = {
  registrations: { prefix: 'wamp.registration', members: 'list_callees' },
  subscriptions: { prefix: 'wamp.subscription', members: 'list_subscribers' }
}

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
      return same(ids, sorted(await want())) && ids
    }, 10000, what)
    // A table as the page shows it and as the meta API has it: [id, uri, match, [member ids]] by id.
    const pageTable = (page, kind) => page.$$eval(`#${kind} tbody tr`, rows => rows.map(r => [Number(r.dataset.id),
      r.querySelector('td.uri').textContent, r.querySelector('td.match').textContent,
      Array.from(r.querySelectorAll('.member'), m => Number(m.dataset.session))]).sort((a, b) => a[0] - b[0]))
    const apiTable = async kind => {
      const { prefix, members } = KINDS[kind]
      const call = (name, args) => observer.session.call(`${prefix}.${name}`, args)
      const lists = await call('list')
      const rows = []
      for (const id of sorted([...lists.exact, ...lists.prefix, ...lists.wildcard])) {
        const d = await call('get', [id])
        rows.push([id, d.uri, d.match, sorted(await call(members, [id]))])
      }
      return rows
    }
    // Until the page shows what the meta API has (asked again each time: it may change under the question).
    const untilTable = (page, kind, what) => kit.until(async () => {
      const want = await apiTable(kind).catch(() => null)
      const got = await pageTable(page, kind)
      return want && same(got, want) && got
    }, 10000, what)
    const row = (page, kind, id) => pageTable(page, kind).then(rows => rows.find(r => r[0] === id) || null)
    const untilRow = (page, kind, id, want, what) => kit.until(async () => same(await row(page, kind, id), want),
      10000, what)

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

    // Alice serves two procedures (one exact, one prefix) and, with the RawSocket session, listens to one topic;
    // bob listens to a prefix, the observer to a wildcard.
    let reg = null
    let sub = null
    await t.step('registrations and subscriptions are shown with their callees and subscribers', async () => {
      for (const kind of Object.keys(KINDS)) {
        await kit.until(async () => (await page.$eval(`#${kind}`, e => e.dataset.state)) === 'listed', 10000,
          `the ${kind} to be listed`)
        t.eq(await pageTable(page, kind), [], `no ${kind} yet (wamp.* ones are not shown)`)
      }
      reg = {
        add: await alice.session.register('com.example.add', args => args[0] + args[1]),
        math: await alice.session.register('com.example.math.', () => 0, { match: 'prefix' })
      }
      sub = {
        alice: await alice.session.subscribe('com.example.news', () => {}),
        anon: await anon.session.subscribe('com.example.news', () => {}),
        bob: await bob.session.subscribe('com.example.', () => {}, { match: 'prefix' }),
        observer: await observer.session.subscribe('com..status', () => {}, { match: 'wildcard' })
      }
      t.eq(sub.alice.id, sub.anon.id, 'one subscription id for the topic')
      const regs = await untilTable(page, 'registrations', 'the page to show the registrations')
      t.eq(regs, sorted([reg.add.id, reg.math.id]).map(id => id === reg.add.id
        ? [id, 'com.example.add', 'exact', [alice.session.id]]
        : [id, 'com.example.math.', 'prefix', [alice.session.id]]), 'two registrations, alice the callee of both')
      t.eq(await text(page, `#registrations tr[data-id="${reg.add.id}"] td.invoke`), 'single', 'invoke')
      const subs = await untilTable(page, 'subscriptions', 'the page to show the subscriptions')
      t.eq(subs.find(r => r[0] === sub.alice.id), [sub.alice.id, 'com.example.news', 'exact',
        sorted([alice.session.id, anon.session.id])], 'one subscription, two subscribers')
      t.eq(subs.find(r => r[0] === sub.bob.id), [sub.bob.id, 'com.example.', 'prefix', [bob.session.id]],
        'the prefix subscription')
      t.eq(subs.find(r => r[0] === sub.observer.id), [sub.observer.id, 'com..status', 'wildcard',
        [observer.session.id]], 'the wildcard subscription')
      t.eq(await text(page, '#subscriptions .count'), '3', 'the count')
      // The filter narrows both tables to what matches.
      await page.type('#filter', 'math')
      await kit.until(async () => (await pageTable(page, 'registrations')).length === 1 &&
        (await pageTable(page, 'subscriptions')).length === 0, 5000, 'the filter to apply')
      t.eq(await text(page, '#registrations .count'), '1 of 2', 'the filtered count')
      await page.$eval('#filter', e => { e.value = ''; e.dispatchEvent(new Event('input')) })
      await untilTable(page, 'subscriptions', 'the filter to be cleared')
    })

    await t.step('a member\'s session id selects its session', async () => {
      await page.click(`#subscriptions tr[data-id="${sub.anon.id}"] .member[data-session="${anon.session.id}"] a`)
      await kit.until(() => page.$(`tr[data-session="${anon.session.id}"].selected`), 5000, 'its row to be selected')
      const subscribed = `#membership section[data-kind="subscription"]`
      await kit.until(async () => (await text(page, `${subscribed} li`)) === 'com.example.news', 10000,
        'its subscription in the details')
      t.eq(await text(page, `${subscribed} h3`), 'Subscribed to (1)', 'what it subscribed to')
      t.eq(await text(page, '#membership section[data-kind="registration"] h3'), 'Registered (0)', 'no registration')
      t.ok(await page.$eval(`#subscriptions .member[data-session="${anon.session.id}"]`,
        e => e.classList.contains('selected')), 'its membership is marked in the table')
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
      const held = kind => page.$$eval(`#membership section[data-kind="${kind}"] li`, lis => lis.map(li => li.textContent))
      await kit.until(async () => (await held('registration')).length === 2, 10000, 'alice\'s registrations')
      t.eq((await held('registration')).sort(), ['com.example.add', 'com.example.math. prefix'], 'what alice registered')
      t.eq(await held('subscription'), ['com.example.news'], 'what alice subscribed to')
      fs.mkdirSync(ARTIFACTS, { recursive: true })
      const shot = path.join(ARTIFACTS, 'web-page.png')
      await page.screenshot({ path: shot, fullPage: true })
      t.ok(fs.statSync(shot).size > 10000, `a screenshot at ${shot}`)
      process.stdout.write(`  screenshot: ${shot}\n`)
    })

    await t.step('an unsubscribe, a registering client that leaves: the page follows', async () => {
      await anon.session.unsubscribe(sub.anon)
      await untilRow(page, 'subscriptions', sub.alice.id, [sub.alice.id, 'com.example.news', 'exact',
        [alice.session.id]], 'the subscriber that unsubscribed to go')
      const dave = await join({ authid: 'alice', ticket: routerctl.SECRETS.alice })
      const daves = await dave.session.register('com.example.dave.echo', args => args)
      await dave.session.subscribe('com.example.news', () => {})
      await untilRow(page, 'registrations', daves.id, [daves.id, 'com.example.dave.echo', 'exact',
        [dave.session.id]], 'the new registration')
      await untilRow(page, 'subscriptions', sub.alice.id, [sub.alice.id, 'com.example.news', 'exact',
        sorted([alice.session.id, dave.session.id])], 'the new subscriber')
      dave.connection.close()
      await untilRow(page, 'registrations', daves.id, null, 'the registration of the session that left to go')
      await untilRow(page, 'subscriptions', sub.alice.id, [sub.alice.id, 'com.example.news', 'exact',
        [alice.session.id]], 'the subscriber that left to go')
      await untilTable(page, 'registrations', 'the page to show what the meta API has')
      // Alice is still selected: her panel follows what she subscribes to.
      const alerts = await alice.session.subscribe('com.example.alerts', () => {})
      await kit.until(async () => (await text(page, '#membership section[data-kind="subscription"] h3')) ===
        'Subscribed to (2)', 10000, 'the selected session\'s panel to follow')
      await alice.session.unsubscribe(alerts)
    })

    await t.step('the remove button has the router unsubscribe the subscriber', async () => {
      const button = `#subscriptions tr[data-id="${sub.alice.id}"] .member[data-session="${alice.session.id}"] button.remove`
      await kit.until(() => page.$(button), 10000, 'a remove button (the realm serves remove_subscriber)')
      t.eq(await page.$eval('#registrations', e => e.dataset.remove), 'served', 'remove_callee is served too')
      await page.click(button)
      const reason = await Promise.race([sub.alice.on_unsubscribe.then(r => [r]), kit.sleep(10000).then(() => null)])
      t.ok(reason, 'alice\'s subscription ended (Autobahn|JS was told UNSUBSCRIBED)')
      t.ok(!sub.alice.active, 'her subscription is no longer active')
      await untilRow(page, 'subscriptions', sub.alice.id, null, 'the subscription without subscribers to go')
      t.eq((await kit.callError(observer.session.call('wamp.subscription.list_subscribers', [sub.alice.id]))).error,
        'wamp.error.no_such_subscription', 'the meta API agrees')
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
      const other = await join({ realm: 'realm2' })
      const theirs = await other.session.subscribe('com.example.news', () => {})
      await untilRow(page2, 'subscriptions', theirs.id, [theirs.id, 'com.example.news', 'exact', [other.session.id]],
        'realm2\'s subscription')
      t.eq(await page2.$('button.remove'), null, 'no remove button')
      await page2.close()
    })

    await t.step('problems are shown: no meta API on the realm, no such realm', async () => {
      const page3 = await openPage('realm3')
      await kit.until(async () => /wamp\.session\.list on realm3 failed \(wamp\.error\.no_such_procedure/
        .test(await text(page3, '#error')), 10000, 'the error about the meta API')
      t.ok(!(await page3.$eval('#error', e => e.hidden)), 'the error is visible')
      for (const [kind, { prefix }] of Object.entries(KINDS)) {
        await kit.until(async () => (await page3.$eval(`#${kind}`, e => e.dataset.state)) === 'not-served', 10000,
          `the ${kind} section to say it is not served`)
        t.ok((await text(page3, `#${kind} .note`)).includes(`does not serve ${prefix}.*`), `${kind}: says so`)
      }
      // Once something serves the meta API there, the page asks again and lists the realm.
      metad3 = await metadctl.start(router, { realms: ['realm3'] })
      const own = await page3.evaluate(() => window.session.id)
      await kit.until(async () => JSON.stringify(await pageIds(page3)) === JSON.stringify([own]), 10000,
        'the page to list realm3 once wamp-metad serves it')
      t.ok(await page3.$eval('#error', e => e.hidden), 'the error is gone')
      await kit.until(async () => (await page3.$eval('#subscriptions', e => e.dataset.state)) === 'listed', 10000,
        'the subscriptions to be listed')
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
