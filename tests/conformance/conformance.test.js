'use strict'
// wamp-metad-conformance against the reference router: every clause passes (text and --json, exit 0); each
// deliberate breakage of deploy/router/lib/breakages.js (router.test.break) fails the clause named for it and no
// other (exit 1); the router's binding without the hook layer gets the one "no hooks" line; a router stopped with
// SIGSTOP mid-run gets a verdict (exit 1) before a bound well past --timeout; bad usage, a wrong secret and an
// unreachable router exit 2 with one line.

const fs = require('fs')
const path = require('path')
const routerctl = require('../lib/routerctl')
const kit = require('../lib/jskit')
const { NAMES } = require('../../deploy/router/lib/breakages')

const BIN = process.env.WAMP_METAD_CONFORMANCE_BIN
if (!BIN || !fs.existsSync(BIN)) {
  process.stderr.write(`FAIL: WAMP_METAD_CONFORMANCE_BIN does not name the built checker (${BIN})\n`)
  process.exit(1)
}
const ROUTER_ARGS = ['--test-switches', '--snapshot-page', '3']

// Runs the checker to its exit (killed by pid after `ms`): {code, out, err}.
function check (args, ms = 90000) {
  return new Promise((resolve, reject) => {
    const child = routerctl.spawnTracked(BIN, args)
    let out = ''
    let err = ''
    child.stdout.on('data', d => { out += d })
    child.stderr.on('data', d => { err += d })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`wamp-metad-conformance ${args.join(' ')} did not end within ${ms} ms:\n${out}${err}`))
    }, ms)
    child.on('exit', code => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}

// The checker's arguments against router r: the internal realm over RawSocket, test clients over WebSocket and
// some over RawSocket.
function argsFor (r, extra = []) {
  const secret = path.join(r.dir, 'metad.secret')
  fs.writeFileSync(secret, routerctl.SECRETS.metad)
  const raw = `rs://127.0.0.1:${r.rawsocket.port}`
  return ['--router', raw, '--authid', 'metad', '--secret-file', secret, '--client-url', r.url, '--realm', 'realm1',
    '--rawsocket-url', raw, ...extra]
}

// The checks that did not pass or were not offered, by name.
function notPassed (report) {
  return report.checks.filter(c => c.verdict !== 'PASS').map(c => `${c.name} ${c.verdict}`)
}

kit.main('conformance: wamp-metad-conformance against the reference router and its breakages', 280000, async t => {
  await t.step('the reference router passes every clause, all levels', async () => {
    const r = await routerctl.start({ args: ROUTER_ARGS })
    try {
      const text = await check(argsFor(r))
      t.eq(text.code, 0, `exit code (stderr ${text.err})`)
      const lines = text.out.trim().split('\n')
      t.eq(lines.filter(l => /^\d+\.\d+ [a-z0-9-]+: PASS$/.test(l)).length, lines.length - 1,
        `one PASS line per clause:\n${text.out}`)
      t.eq(lines[lines.length - 1], 'levels: sessions=yes; registrations=yes; kill=yes; removal=yes; features=yes; ' +
        'exactly once=yes', 'every level reached')
      const doc = fs.readFileSync(path.join(routerctl.ROOT, 'docs', 'conformance.md'), 'utf8')
      const shown = /<!-- reference output: begin -->\n```\n([^]*)```\n<!-- reference output: end -->/.exec(doc)
      t.ok(shown, 'docs/conformance.md has the reference output between its markers')
      t.eq(shown[1], text.out, 'docs/conformance.md shows what the checker prints on the reference router')
      const json = await check(argsFor(r, ['--json']))
      t.eq(json.code, 0, 'exit code with --json')
      const report = JSON.parse(json.out)
      t.eq(notPassed(report), [], 'every check passes')
      t.eq(report.checks.length, lines.length - 1, 'the same checks as the text')
      t.eq(Object.values(report.levels), ['reached', 'reached', 'reached', 'reached', 'reached', 'reached'], 'levels')
      await r.stopChecked()
    } finally {
      await r.stop()
    }
  })

  const breakages = `${Object.keys(NAMES).length} breakages, each failing the clause named for it and no other`
  await t.step(breakages, async () => {
    const wrong = []
    for (const [name, description] of Object.entries(NAMES)) {
      const clause = /^[\d.]+ ([a-z0-9-]+):/.exec(description)[1]
      const r = await routerctl.start({ args: ROUTER_ARGS })
      try {
        const meta = await kit.join({ url: r.url, realm: 'router.internal', authid: 'metad',
          ticket: routerctl.SECRETS.metad })
        await meta.session.call('router.test.break', [name])
        meta.connection.close()
        const run = await check(argsFor(r, ['--json']))
        const report = run.code === 1 ? JSON.parse(run.out) : null
        const got = report ? notPassed(report) : [`exit code ${run.code}: ${run.err}`]
        if (JSON.stringify(got) !== JSON.stringify([`${clause} FAIL`])) {
          const why = report ? report.checks.filter(c => c.verdict !== 'PASS' && c.name !== clause)
            .map(c => `${c.name}: wanted ${c.wanted || c.why}, got ${c.got}`) : []
          wrong.push(`${name}: ${got.join(', ')} ${why.join('; ')}`)
        }
      } finally {
        await r.stop()
      }
    }
    t.eq(wrong, [], 'every breakage fails its clause only')
  })

  await t.step('a router without the hook layer: the "no hooks" line, exit 1', async () => {
    const script = path.join(__dirname, 'nohooks_router.js')
    const r = await routerctl.start({ spawn: argv => routerctl.spawnTracked(process.execPath, [script, ...argv]) })
    try {
      const run = await check(argsFor(r))
      t.eq(run.code, 1, `exit code (stderr ${run.err})`)
      const line = /^no hooks: the router at rs:\/\/127\.0\.0\.1:\d+ does not speak the hook protocol \(.+\); wamp-metad cannot mirror it\n$/
      t.ok(line.test(run.out), `one line: ${run.out}`)
    } finally {
      await r.stop()
    }
  })

  await t.step('a router stopped mid-run (SIGSTOP): a verdict within the bound, exit 1', async () => {
    const r = await routerctl.start({ args: ROUTER_ARGS })
    const meta = await kit.join({ url: r.url, realm: 'router.internal', authid: 'metad',
      ticket: routerctl.SECRETS.metad })
    let stopped = false
    try {
      // Stopped at the first session the checker makes: it has its meta session, and everything else to do.
      await meta.session.subscribe('router.session.joined', () => {
        if (stopped) return
        stopped = true
        process.kill(r.pid, 'SIGSTOP')
      })
      const run = await check(argsFor(r, ['--timeout', '10']), 30000)
      t.ok(stopped, 'the router was stopped')
      t.eq(run.code, 1, `exit code (stderr ${run.err})`)
      t.ok(/NOT RUN \(the router stopped answering/.test(run.out), `says why:\n${run.out}`)
      t.ok(/^levels: /m.test(run.out), 'and the levels')
    } finally {
      if (stopped) process.kill(r.pid, 'SIGCONT')
      meta.connection.close()
      await r.stop()
    }
  })

  await t.step('cannot run: usage, a wrong secret, an unreachable router: exit 2, one line', async () => {
    const usage = await check([])
    t.eq(usage.code, 2, 'no arguments')
    t.ok(/^wamp-metad-conformance: --router is required; see --help\n$/.test(usage.err), usage.err)
    const help = await check(['--help'])
    t.eq(help.code, 0, '--help')
    for (const flag of ['--router', '--client-url', '--realm', '--json', '--timeout']) {
      t.ok(help.out.includes(flag), flag)
    }
    const bad = await check(['--router', 'rs://127.0.0.1:1', '--timeout', 'soon'])
    t.eq(bad.code, 2, 'a bad --timeout')
    t.ok(bad.err.includes('--timeout must be an integer'), bad.err)
    const r = await routerctl.start({ args: ROUTER_ARGS })
    try {
      const args = argsFor(r)
      fs.writeFileSync(args[args.indexOf('--secret-file') + 1], 'wrong-secret')
      const refused = await check(args)
      t.eq(refused.code, 2, `a wrong secret (${refused.err})`)
      t.ok(/^wamp-metad-conformance: the router refused the meta role's credentials: .+\n$/.test(refused.err),
        refused.err)
    } finally {
      await r.stop()
    }
    const unreachable = await check(['--router', 'rs://127.0.0.1:1', '--authid', 'metad', '--secret-file', __filename,
      '--client-url', 'ws://127.0.0.1:1/ws', '--realm', 'realm1'])
    t.eq(unreachable.code, 2, 'an unreachable router')
    t.ok(/^wamp-metad-conformance: cannot join router\.internal at rs:\/\/127\.0\.0\.1:1: .+\n$/.test(unreachable.err),
      unreachable.err)
  })
})
