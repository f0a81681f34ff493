'use strict'
// Who is in the realm: wamp.session.count and wamp.session.list, then wamp.session.get for each.
//   node deploy/examples/list-sessions.js [URL] [REALM]
const { connect } = require('./wamp')

connect(async (session, connection) => {
  const count = await session.call('wamp.session.count')
  const ids = await session.call('wamp.session.list')
  console.log(`${count} session(s) in ${session.realm} (I am ${session.id}):`)
  for (const id of ids) {
    const d = await session.call('wamp.session.get', [id])
    console.log(`  ${d.session}  authid=${d.authid} authrole=${d.authrole} via ${d.transport.type}/${d.transport.serializer}`)
  }
  connection.close()
})
