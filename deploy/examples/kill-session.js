'use strict'
// Ends another session: wamp.session.kill (wamp-metad started with --enable-kill for the realm), as a role the
// router's permissions let call it (the demo: the admin role, bob).
//   WAMP_AUTHID=bob WAMP_WAMPCRA=bob-demo-secret node deploy/examples/kill-session.js [URL] [REALM] SESSION_ID [MESSAGE]
const { connect } = require('./wamp')

connect(async (session, connection) => {
  const id = Number(process.argv[4])
  if (!Number.isInteger(id)) throw new Error('give the id of the session to kill')
  const kwargs = process.argv[5] ? { message: process.argv[5] } : {}
  await session.call('wamp.session.kill', [id], kwargs)
  console.log(`session ${id} killed`)
  connection.close()
})
