'use strict'
// wamp-metad's command line and configuration: --help, --procedures (as docs/procedures.md lists them), --version, --check-config listing every problem with
// exit code 2, a config file with flags winning over it, the secret from $CREDENTIALS_DIRECTORY, and
// --all-realms serving realms as they show up.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')
const routerctl = require('../lib/routerctl')
const metadctl = require('../lib/metadctl')
const kit = require('../lib/jskit')

function run (args, env = {}) {
  const r = spawnSync(metadctl.BIN, args, { encoding: 'utf8', timeout: 10000, env: { ...process.env, ...env } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

kit.main('integration: wamp-metad command line and configuration', 90000, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metad-cli-'))
  let router
  try {
    await t.step('--help and --version', async () => {
      const help = run(['--help'])
      t.eq(help.code, 0, '--help exit code')
      for (const flag of ['--router', '--realm', '--all-realms', '--secret-file', '--config', '--check-config',
        '--stale-after-ms', '--internal-router', '--log-level']) t.ok(help.out.includes(flag), `--help names ${flag}`)
      const procedures = run(['--procedures'])
      t.eq(procedures.code, 0, '--procedures exit code')
      const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'procedures.md'), 'utf8')
      const listed = /<!-- procedures: begin -->\n([^]*)<!-- procedures: end -->/.exec(doc)
      t.ok(listed, 'docs/procedures.md has the table between its markers')
      t.eq(listed[1], procedures.out, 'docs/procedures.md lists the procedure table as --procedures prints it')
      for (const line of procedures.out.split('\n').slice(2).filter(Boolean)) {
        const uri = /^\| `([a-z_.]+)` \|/.exec(line)[1]
        t.ok(help.out.includes(uri), `--help names ${uri}`)
      }
      const version = run(['--version'])
      t.eq(version.code, 0, '--version exit code')
      t.ok(/^wamp-metad \d+\.\d+\.\d+\n$/.test(version.out), `--version prints the version: ${version.out}`)
    })

    await t.step('bad configuration: every problem listed at once, exit code 2', async () => {
      const r = run(['--router', 'http://x', '--authmethod', 'kerberos', '--realm', 'bad realm', '--all-realms',
        '--heartbeat-ms', '7', '--log-level', 'loud', '--check-config'])
      t.eq(r.code, 2, 'exit code')
      for (const p of ["scheme 'http' is not supported", '--authmethod must be ticket or wampcra',
        'give either --realm or --all-realms', "--realm 'bad realm' is not a realm name", '--heartbeat-ms must be from',
        '--log-level must be one of', 'no secret']) t.ok(r.err.includes(p), `names the problem "${p}": ${r.err}`)
      t.ok(/7 problem\(s\)/.test(r.err), 'counts them')
      const kill = run(['--router', 'rs://127.0.0.1:1', '--realm', 'r', '--enable-kill', 'q', '--enable-kill', 'a b',
        '--testament-max-count', '-1', '--testament-max-bytes', '0', '--metrics', 'nonsense', '--check-config'])
      t.eq(kill.code, 2, 'bad kill and testament settings: exit code 2')
      for (const p of ["--enable-kill 'q' names a realm that is not served", "--enable-kill 'a b' is not a realm name",
        '--testament-max-count must be from 0', '--testament-max-bytes must be from 1',
        "--metrics 'nonsense' must be HOST:PORT"]) {
        t.ok(kill.err.includes(p), `names the problem "${p}": ${kill.err}`)
      }
      const unknown = run(['--bogus'])
      t.eq(unknown.code, 2, 'an unknown flag: exit code 2')
      t.ok(unknown.err.includes('bogus'), 'names the unknown flag')
      const missing = run(['--router', 'rs://127.0.0.1:1', '--realm', 'r', '--secret-file', path.join(dir, 'nope')])
      t.eq(missing.code, 2, 'an unreadable secret file: exit code 2')
      t.ok(missing.err.includes('cannot read the secret file'), missing.err)
    })

    await t.step('a config file, flags winning over it; the secret from $CREDENTIALS_DIRECTORY', async () => {
      const conf = path.join(dir, 'metad.conf')
      fs.writeFileSync(conf, 'router = rs://127.0.0.1:1\nrealm = realm1\nlog-level = debug\nheartbeat-ms = 5\n')
      fs.writeFileSync(path.join(dir, 'wamp-metad.secret'), 'x\n')
      const bad = run(['--config', conf, '--check-config'], { CREDENTIALS_DIRECTORY: dir })
      t.eq(bad.code, 2, 'the file\'s own value is checked')
      t.ok(bad.err.includes('--heartbeat-ms must be from'), bad.err)
      const good = run(['--config', conf, '--heartbeat-ms', '500', '--check-config'], { CREDENTIALS_DIRECTORY: dir })
      t.eq(good.code, 0, `a flag wins over the file: ${good.err}`)
      t.ok(good.out.includes('configuration OK'), good.out)
      const kill = run(['--config', conf, '--heartbeat-ms', '500', '--enable-kill', 'realm1', '--check-config'],
        { CREDENTIALS_DIRECTORY: dir })
      t.eq(kill.code, 0, `kill without --kill-authrole is usable: ${kill.err}`)
      t.ok(/warning: kill is enabled and no --kill-authrole is given: every caller the router lets call/.test(kill.err),
        `and --check-config warns: ${kill.err}`)
      const guarded = run(['--config', conf, '--heartbeat-ms', '500', '--enable-kill', 'realm1', '--kill-authrole',
        'admin', '--check-config'], { CREDENTIALS_DIRECTORY: dir })
      t.eq([guarded.code, guarded.err], [0, ''], 'no warning with --kill-authrole')
      const typo = path.join(dir, 'typo.conf')
      fs.writeFileSync(typo, 'routr = rs://127.0.0.1:1\n')
      const r = run(['--config', typo, '--check-config'])
      t.eq(r.code, 2, 'an unknown key in the file: exit code 2')
      t.ok(r.err.includes('routr'), r.err)
    })

    await t.step('--all-realms serves realms as they show up, never the internal one', async () => {
      router = await routerctl.start({ realms: ['realm1', 'realm2'],
        principals: { ...routerctl.DEFAULT_PRINCIPALS, anonymous_realms: ['realm1', 'realm2'] } })
      const early = await kit.join({ url: router.url, realm: 'realm1' })  // realm1 has a session before the start
      const m = await metadctl.start(router, { allRealms: true })
      try {
        t.ok((await early.session.call('wamp.session.list')).includes(early.session.id), 'realm1 served')
        await m.waitLog(/serving the session meta API on realm 'realm1'/)
        const later = await kit.join({ url: router.url, realm: 'realm2' })
        await m.waitLog(/serving the session meta API on realm 'realm2'/, 10000)
        const list = await kit.until(async () => {
          try { return await later.session.call('wamp.session.list') } catch (e) { return null }
        }, 10000, 'realm2 to be served')
        t.eq(list, [later.session.id], 'realm2 lists its session')
        t.ok(!/realm 'router.internal'/.test(m.stderr().replace(/internal realm 'router.internal'/g, '')),
          'the internal realm is never served')
        t.ok(!/metrics at/.test(m.stderr()), 'no metrics without --metrics')
        later.connection.close()
        early.connection.close()
      } finally {
        const res = await m.stop()
        t.eq(res.code, 0, 'exit code')
      }
    })
  } finally {
    if (router) await router.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
