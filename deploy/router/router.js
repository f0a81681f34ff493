#!/usr/bin/env node
'use strict'
// Reference WAMP router for wamp-metad. See `node router.js --help` and docs/hook-protocol.md.
// stdout carries exactly one line, "ready ws=HOST:PORT rawsocket=HOST:PORT wss=HOST:PORT
// rawsocket_tls=HOST:PORT epoch=EPOCH" (the listeners there are), once listening;
// everything else goes to stderr. Configuration errors exit 2; SIGTERM/SIGINT exit 0.

const { parseCommandLine, loadPrincipals, ConfigError, USAGE } = require('./lib/config')
const { readCrossbarConfig, CrossbarConfigError } = require('./lib/crossbar')
const { parsePermissions } = require('./lib/permissions')
const log = require('./lib/log')

// A message of several lines (every problem of the permissions section) gets the prefix on each.
function fail (message) {
  process.stderr.write(message.split('\n').map(line => `router: error: ${line}\n`).join(''))
  process.exit(2)
}

// With --crossbar-config and no --principals: nobody on the extra listeners (there are none).
function noPrincipals () {
  return { principals: new Map(), anonymousRealms: new Set(), unknownAnonymousRealms: [], warnings: [],
    permissions: parsePermissions(undefined, {}).permissions }
}

function hostPort (addr) {
  return addr.family === 'IPv6' || addr.family === 6 ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`
}

async function main () {
  let opts, principals
  try {
    opts = parseCommandLine(process.argv.slice(2))
    if (opts.help) {
      process.stdout.write(USAGE + '\n')
      return
    }
    if (opts.crossbarConfig !== null) {
      opts.crossbar = readCrossbarConfig(opts.crossbarConfig, opts)
      opts.realms = opts.crossbar.realms
    }
    principals = opts.principals ? loadPrincipals(opts.principals, opts) : noPrincipals()
    if (opts.crossbar) {
      if (principals.permissions.declared) {
        throw new ConfigError(`--principals: ${opts.principals}: "permissions" is not taken with --crossbar-config ` +
          '(the roles of its realms say it)')
      }
      principals.permissions = opts.crossbar.permissions
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof CrossbarConfigError) fail(e.message)
    throw e
  }
  log.setLevel(opts.logLevel)
  for (const w of opts.crossbar ? opts.crossbar.warnings : []) log.warn(w)

  // Process-level guard: a bug must not take every session down, but it must stay visible.
  process.on('uncaughtException', e => log.error('BUG: uncaught exception:', e))
  process.on('unhandledRejection', e => log.error('BUG: unhandled rejection:', e))

  const { startRouter } = require('./lib/server')
  let server
  try {
    server = await startRouter(opts, principals)
  } catch (e) {
    if (e && e.startFailed) fail(e.message)
    throw e
  }
  // Signal handlers go in before the ready line: a test may signal the moment it reads that line.
  let stopping = false
  const stop = signal => {
    if (stopping) return
    stopping = true
    log.info(`${signal}: shutting down`)
    server.close()
    // Give GOODBYEs and close frames a moment to leave, then exit regardless of lingering handles.
    setTimeout(() => process.exit(0), 200)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  const parts = ['ready']
  if (server.addresses.ws) parts.push(`ws=${hostPort(server.addresses.ws)}`)
  if (server.addresses.rawsocket) parts.push(`rawsocket=${hostPort(server.addresses.rawsocket)}`)
  if (server.addresses.wss) parts.push(`wss=${hostPort(server.addresses.wss)}`)
  if (server.addresses.rawsocketTls) parts.push(`rawsocket_tls=${hostPort(server.addresses.rawsocketTls)}`)
  parts.push(`epoch=${server.epoch}`)
  process.stdout.write(parts.join(' ') + '\n')
  log.info(`${parts.join(' ')} realms=${opts.realms.join(',')} internal=${opts.internalRealm} ` +
    `meta-role=${opts.metaRole}${opts.tls && opts.tls.clientCa ? ' tls-client-ca (client certificates required)' : ''}` +
    `${opts.web ? ` web=${opts.web}` : ''}${opts.nativeMeta ? ' native-meta' : ''}` +
    `${opts.testSwitches ? ' test-switches' : ''}`)

  for (const r of principals.unknownAnonymousRealms) {
    log.warn(`anonymous_realms lists '${r}', which is not served (--realms)`)
  }
  for (const w of principals.warnings) log.warn(w)
  for (const line of principals.permissions.summary(opts.realms, opts.crossbarConfig || opts.principals)) log.info(line)
}

main().catch(e => {
  process.stderr.write(`router: error: ${e && e.stack ? e.stack : e}\n`)
  process.exit(2)
})
