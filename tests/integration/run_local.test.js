'use strict'
// deploy/run-local, the main job, as a user runs it: it starts the router and wamp-metad on the ports given,
// prints a live wamp.session.list, who may kill and the address of the sessions page (served there), the
// examples work against it under the demo's permissions (anonymous lists and watches, only the admin kills),
// with --standby-pair the second instance takes over when the first is killed, and Ctrl-C (SIGINT) stops them
// all.

const net = require('net')
const path = require('path')
const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')

const ROOT = routerctl.ROOT

const freePort = routerctl.freePort

function listening (port) {
  return new Promise(resolve => {
    const sock = net.connect(port, '127.0.0.1')
    sock.once('connect', () => { sock.destroy(); resolve(true) })
    sock.once('error', () => resolve(false))
  })
}

function runNode (script, args, env) {
  return new Promise((resolve, reject) => {
    const child = routerctl.spawnTracked(process.execPath, [path.join(ROOT, script), ...args],
      env ? { env: { ...process.env, ...env } } : {})
    let out = ''
    let err = ''
    child.stdout.on('data', d => { out += d })
    child.stderr.on('data', d => { err += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000)
    child.on('exit', code => {
      clearTimeout(timer)
      code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`))
    })
  })
}

kit.main('integration: deploy/run-local', 120000, async t => {
  const wsPort = await freePort()
  const rsPort = await freePort()
  // Its own process group, so that the router and wamp-metad it started can be stopped with it.
  const child = routerctl.spawnTracked('bash', [path.join(ROOT, 'deploy', 'run-local'), '--ws-port', String(wsPort),
    '--rs-port', String(rsPort), '--enable-kill', '--standby-pair', '--no-setup'], { detached: true })
  let out = ''
  let err = ''
  child.stdout.on('data', d => { out += d })
  child.stderr.on('data', d => { err += d })
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))
  const killGroup = sig => { try { process.kill(-child.pid, sig) } catch (e) { /* gone */ } }
  process.on('exit', () => killGroup('SIGKILL'))
  const url = `ws://127.0.0.1:${wsPort}/ws`
  try {
    await t.step('starts both and prints a live wamp.session.list', async () => {
      // The live check prints the count first, then one line per session as their details come in.
      await kit.until(() => /\n {2}\d+ {2}authid=/.test(out) || /live check failed/.test(err) || child.exitCode !== null,
        60000, 'the live list')
      t.ok(/session\(s\) in realm1/.test(out), `live list printed; stdout:\n${out}\nstderr:\n${err}`)
      t.ok(out.includes(url), 'prints how to connect')
      t.ok(out.includes(`  page:       http://127.0.0.1:${wsPort}/?realm=realm1 `), 'prints the page\'s address')
      t.ok(/\n {2}\d+ {2}authid=/.test(out), 'lists at least the checking session itself')
      t.ok(/who may call wamp\.session\.kill:\n {16}realm1: role admin \(bob\)\n {16}realm2: role admin \(bob\)\n/.test(out),
        'says who may kill, from the demo\'s permissions')
    })

    await t.step('the page is served at the address it printed', async () => {
      const page = await kit.httpGet(`http://127.0.0.1:${wsPort}/?realm=realm1`)
      t.eq([page.status, page.headers['content-type']], [200, 'text/html; charset=utf-8'], 'the page')
      t.ok(page.body.includes('/autobahn/autobahn.min.js'), 'it loads Autobahn|JS from the router')
      const ab = await kit.httpGet(`http://127.0.0.1:${wsPort}/autobahn/autobahn.min.js`)
      t.eq([ab.status, ab.headers['content-type']], [200, 'text/javascript; charset=utf-8'], 'Autobahn|JS')
    })

    await t.step('the examples work against it', async () => {
      const list = await runNode('deploy/examples/list-sessions.js', [url, 'realm2'])
      t.ok(/1 session\(s\) in realm2/.test(list), `list-sessions: ${list}`)
      const got = JSON.parse(await runNode('deploy/examples/get-session.js', [url, 'realm1']))
      t.eq(got.realm, 'realm1', 'get-session details')
      const watcher = routerctl.spawnTracked(process.execPath, [path.join(ROOT, 'deploy/examples/watch-sessions.js'), url, 'realm1'])
      let seen = ''
      watcher.stdout.on('data', d => { seen += d })
      await kit.until(() => seen.includes('watching'), 5000, 'the watcher')
      const j = await kit.join({ url, realm: 'realm1', authid: 'alice', ticket: 'alice-demo-ticket' })
      const id = j.session.id
      j.connection.close()
      await kit.until(() => seen.includes(`left:   ${id}`), 5000, 'the watcher to see the leave')
      t.ok(seen.includes(`joined: ${id} authid=alice authrole=user`), `watcher output: ${seen}`)
      watcher.kill('SIGTERM')

      // --enable-kill: the kill example, as the demo's admin, ends a session, which sees the reason and message;
      // anonymous may not kill.
      const victim = await kit.join({ url, realm: 'realm2' })
      const killArgs = [url, 'realm2', String(victim.session.id), 'demo']
      const refused = await runNode('deploy/examples/kill-session.js', killArgs).then(() => null, e => e.message)
      t.ok(refused.includes("wamp.error.not_authorized role 'anonymous' may not call 'wamp.session.kill' on realm 'realm2'"),
        `anonymous kill refused: ${refused}`)
      const said = await runNode('deploy/examples/kill-session.js', killArgs,
        { WAMP_AUTHID: 'bob', WAMP_WAMPCRA: 'bob-demo-secret' })
      t.ok(/killed/.test(said), `kill-session: ${said}`)
      const closed = await victim.closed
      t.eq([closed.details.reason, closed.details.message], ['wamp.close.killed', 'demo'], 'the victim\'s GOODBYE')
    })

    await t.step('--standby-pair: kill -9 the pid it names, and the other instance serves', async () => {
      const m = /kill -9 (\d+), and b takes over/.exec(out)
      t.ok(m, `names the serving instance's pid; stdout:\n${out}`)
      const watcher = routerctl.spawnTracked(process.execPath, [path.join(ROOT, 'deploy/examples/watch-sessions.js'), url, 'realm1'])
      let seen = ''
      watcher.stdout.on('data', d => { seen += d })
      await kit.until(() => seen.includes('watching'), 5000, 'the watcher')
      process.kill(Number(m[1]), 'SIGKILL')
      await kit.until(() => /\[wamp-metad b\] .*realm 'realm1': took over/.test(err), 5000, 'b to take over realm1')
      const list = await runNode('deploy/examples/list-sessions.js', [url, 'realm1'])
      t.ok(/session\(s\) in realm1/.test(list), `list-sessions after the takeover: ${list}`)
      // Events go on, told by b, to a watcher that stayed connected.
      const j = await kit.join({ url, realm: 'realm1', authid: 'alice', ticket: 'alice-demo-ticket' })
      const id = j.session.id
      await kit.until(() => seen.includes(`joined: ${id} `), 5000, 'the watcher to see a join after the takeover')
      j.connection.close()
      watcher.kill('SIGTERM')
    })

    await t.step('SIGINT stops the router and wamp-metad', async () => {
      killGroup('SIGINT')
      const res = await Promise.race([exited, kit.sleep(10000).then(() => null)])
      t.ok(res !== null, 'run-local exited within 10 s')
      await kit.until(async () => !(await listening(wsPort)) && !(await listening(rsPort)), 5000, 'ports to close')
      t.ok(/run-local: stopped/.test(err), 'says it stopped')
    })
  } catch (e) {
    e.message += `\nrun-local stdout:\n${out}\nstderr:\n${err}`
    throw e
  } finally {
    killGroup('SIGKILL')
  }
})
