'use strict'
// Deliberate breakages of the hook protocol (docs/hook-protocol.md), for the tests of wamp-metad-conformance:
// each one, turned on with the test switch router.test.break [name] (registered only with --test-switches), makes
// the router break the clause named beside it, and only that one. All are off by default and in production.

const NAMES = {
  seq_gap: '3.2 seq-gap-free: every tenth hook skips a seq',
  epoch_flip: '3.1 epoch-constant: every tenth joined hook carries another epoch',
  joined_late: '4.1 joined-before-welcome: the joined hook leaves 100 ms after the WELCOME',
  left_twice: '4.2 left-once: the left hook is published twice',
  snapshot_missing: '5.1 snapshot-state: a snapshot leaves out the last session',
  cursor_reread: '5.2 snapshot-paging: a cursor read again gives its sessions in reverse order',
  cursor_unknown_ok: '5.3 snapshot-cursor: an unknown cursor gives an empty last page',
  sync_ahead: '6.1 sync: sync answers one seq past the last hook published',
  kill_left_late: '7.1 kill: the left hook of a kill leaves after its RESULT',
  kill_reason_dropped: '7.1 kill: the GOODBYE of a kill says wamp.close.killed and no message',
  kill_unknown_ok: '7.2 kill-errors: a kill of an unknown session answers [true]',
  created_seconds: '8.1 v2-fields: created without milliseconds',
  one_id: '8.2 one-id: each further member of a registration or subscription gets an id of its own',
  match_exact: '8.3 pattern-fields: prefix and wildcard reported as exact',
  left_before_removals: '8.4 removals-before-left: a leaving member\'s removal hooks come after its left hook',
  remove_subscriber_late: '9.1 remove-subscriber: the unsubscribed hook leaves after the RESULT',
  remove_callee_unknown_ok: '9.2 remove-callee: an unknown registration answers []',
  features_ignored: '10.1 features-welcome: announcements never reach a WELCOME',
  features_kept: '10.2 features-dropped: an announcement outlives its session',
  features_lax: '10.3 features-errors: any announcement is accepted',
  told_lower: '11.1 told-duplicate: a told position below the realm\'s is routed',
  told_any_epoch: '11.2 told-epoch: a told position of another epoch is routed',
  told_race: '11.3 told-race: the same position from another publisher is routed',
  catch_up_skip: '11.4 catch-up: the skip is one short',
  wamp_uris_open: '12.1 wamp-uris: anyone registers wamp.* procedures',
  wamp_publish_open: '12.1 wamp-uris: anyone publishes wamp.* topics'
}

const active = new Set()

function on (name) {
  return active.size > 0 && active.has(name)
}

function set (name, value) {
  if (value) active.add(name)
  else active.delete(name)
}

module.exports = { NAMES, on, set }
