'use strict'
// Shared by the examples: Autobahn|JS (from this project's tests/js, or an `npm install autobahn` of your own)
// and the connection options from the command line.
//   node EXAMPLE.js [URL] [REALM]      defaults: ws://127.0.0.1:8080/ws realm1 (anonymous)
//   WAMP_AUTHID / WAMP_TICKET          join with a ticket instead
//   WAMP_AUTHID / WAMP_WAMPCRA         or with a wampcra secret (the demo's admin: bob / bob-demo-secret)

function loadAutobahn () {
  try {
    return require('autobahn')
  } catch (e) {
    return require('../../tests/js/node_modules/autobahn')
  }
}

const autobahn = loadAutobahn()
autobahn.log.warn = () => {}

function connect (onopen) {
  const url = process.argv[2] || 'ws://127.0.0.1:8080/ws'
  const realm = process.argv[3] || 'realm1'
  const options = { url, realm, max_retries: 0 }
  if (process.env.WAMP_AUTHID) {
    const cra = process.env.WAMP_WAMPCRA
    options.authid = process.env.WAMP_AUTHID
    options.authmethods = [cra ? 'wampcra' : 'ticket']
    options.onchallenge = (session, method, extra) =>
      cra ? autobahn.auth_cra.sign(cra, extra.challenge) : process.env.WAMP_TICKET
  }
  const connection = new autobahn.Connection(options)
  connection.onopen = session => {
    Promise.resolve(onopen(session, connection)).catch(e => {
      console.error('error:', e.error || e.message || e, ...(e.args || []))
      process.exitCode = 1
      connection.close()
    })
  }
  connection.onclose = (reason, details) => {
    if (reason !== 'closed') {
      console.error(`connection ${reason}: ${details.reason || details.message || ''}`)
      process.exitCode = 1
    }
    return true
  }
  connection.open()
}

module.exports = { autobahn, connect }
