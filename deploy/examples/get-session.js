'use strict'
// One session's details: wamp.session.get (your own session unless an id is given).
//   node deploy/examples/get-session.js [URL] [REALM] [SESSION_ID]
const { connect } = require('./wamp')

connect(async (session, connection) => {
  const id = process.argv[4] ? Number(process.argv[4]) : session.id
  const details = await session.call('wamp.session.get', [id])
  console.log(JSON.stringify(details, null, 2))
  connection.close()
})
