'use strict'
// Watch sessions join and leave: wamp.session.on_join and wamp.session.on_leave. Ctrl-C to stop.
//   node deploy/examples/watch-sessions.js [URL] [REALM]
const { connect } = require('./wamp')

connect(async (session, connection) => {
  await session.subscribe('wamp.session.on_join', ([details]) => {
    console.log(`joined: ${details.session} authid=${details.authid} authrole=${details.authrole}`)
  })
  await session.subscribe('wamp.session.on_leave', ([id, authid, authrole]) => {
    console.log(`left:   ${id} authid=${authid} authrole=${authrole}`)
  })
  console.log(`watching ${session.realm}; Ctrl-C to stop`)
  process.on('SIGINT', () => connection.close())
  process.on('SIGTERM', () => connection.close())
})
