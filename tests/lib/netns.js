'use strict'
// netns.js: "another host" on this machine: a network namespace joined to this one by a veth pair, with
// addresses in 10.213.N.0/30 that exist only on the two ends of that pair (traffic to them goes nowhere else).
//
//   const netns = require('<repo>/tests/lib/netns')
//   const h = netns.make()      // null when network namespaces cannot be made here (needs root and iproute2)
//   h.name, h.hostIp (this side), h.peerIp (inside the namespace)
//   h.spawn(command, argv)      runs a command inside the namespace (tracked: killed by pid at exit)
//   h.remove()                  deletes the namespace and the pair (also done when the process exits)

const { execFileSync } = require('child_process')
const { spawnTracked } = require('./routerctl')

function ip (args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

const made = new Set()
process.on('exit', () => {
  for (const name of made) {
    try { ip(['netns', 'del', name]) } catch (e) { /* gone */ }
  }
})

function make () {
  const n = process.pid % 250
  const name = `wmtls${process.pid}`
  const [hostIf, peerIf] = [`wmh${process.pid}`.slice(0, 15), `wmp${process.pid}`.slice(0, 15)]
  const [hostIp, peerIp] = [`10.213.${n}.2`, `10.213.${n}.1`]
  try {
    ip(['netns', 'add', name])
  } catch (e) {
    return null
  }
  made.add(name)
  const remove = () => {
    made.delete(name)
    try { ip(['netns', 'del', name]) } catch (e) { /* gone */ }
  }
  try {
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf])
    ip(['link', 'set', peerIf, 'netns', name])
    ip(['addr', 'add', `${hostIp}/30`, 'dev', hostIf])
    ip(['link', 'set', hostIf, 'up'])
    ip(['-n', name, 'addr', 'add', `${peerIp}/30`, 'dev', peerIf])
    ip(['-n', name, 'link', 'set', peerIf, 'up'])
    ip(['-n', name, 'link', 'set', 'lo', 'up'])
  } catch (e) {
    remove()
    throw new Error(`cannot set up the network namespace ${name}: ${e.stderr || e.message}`)
  }
  return {
    name,
    hostIp,
    peerIp,
    spawn: (command, argv, options = {}) => spawnTracked('ip', ['netns', 'exec', name, command, ...argv], options),
    remove
  }
}

module.exports = { make }
