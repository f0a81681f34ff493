#!/usr/bin/python3
"""Clients written for Crossbar, run unmodified against wamp-metad (python3-autobahn 22.7, over the four
transport and serializer pairs):
- Crossbar's example subscriber of the session meta events, whose on_leave handler takes one argument, on a
  realm served with --on-leave-session-only; the spec's three arguments on the other realm;
- the kill family called in Crossbar's shapes, reason and message positionally after the target (keywords
  winning over them);
- wamp-metad's own check of who may kill (--kill-authrole), beside the router's authorization.

Run with Debian's /usr/bin/python3. Exits 0 on success, 1 with a message on failure.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pywamp import ALICE, BOB, check, eq, error_of, join, left, pairs_with_metad, run, until  # noqa: E402

async def pair_checks(router, kind, ser):
    # Crossbar's example handlers, as its documentation writes them: on_leave takes the session id alone.
    joined, gone, spec_gone = [], [], []

    def on_session_join(details):
        joined.append(details["session"])

    def on_session_leave(session_id):
        gone.append(session_id)

    watcher, _ = await join(router, kind, ser, realm="realm2", **BOB)
    await watcher.subscribe(on_session_join, "wamp.session.on_join")
    await watcher.subscribe(on_session_leave, "wamp.session.on_leave")
    spec_watcher, _ = await join(router, kind, ser, realm="realm1")
    await spec_watcher.subscribe(lambda *a: spec_gone.append(a), "wamp.session.on_leave")

    visitor, dv = await join(router, kind, ser, realm="realm2", **ALICE)
    await until(lambda: dv.session in joined, 5, "the visitor's on_join")
    visitor.leave()
    await until(lambda: dv.session in gone, 5, "the visitor's on_leave, [session] alone")
    other, do = await join(router, kind, ser, realm="realm1", **ALICE)
    other.leave()
    await until(lambda: (do.session, "alice", "user") in spec_gone, 5, "realm1 keeps the spec's on_leave")

    # Kill in Crossbar's shapes: [target, reason, message].
    admin, da = await join(router, kind, ser, **BOB)
    victim, dvi = await join(router, kind, ser, **ALICE)
    eq(await admin.call("wamp.session.kill", dvi.session, "com.example.banned", "by position"), None, "kill")
    bye = await left(victim)
    eq((bye.reason, bye.message), ("com.example.banned", "by position"), "reason and message from positions")

    victim, dvi = await join(router, kind, ser, **ALICE)
    ids = await admin.call("wamp.session.kill_by_authid", "alice", "com.example.out", "by authid")
    eq(ids, [dvi.session], "kill_by_authid with positional reason and message")
    bye = await left(victim)
    eq((bye.reason, bye.message), ("com.example.out", "by authid"), "its GOODBYE")

    victim, dvi = await join(router, kind, ser, **ALICE)
    n = await admin.call("wamp.session.kill_by_authrole", "user", "com.example.positional", "m",
                         reason="com.example.keyword")
    eq(n, 1, "kill_by_authrole")
    bye = await left(victim)
    eq((bye.reason, bye.message), ("com.example.keyword", "m"), "the keyword reason wins over the positional one")

    e = await error_of(admin.call("wamp.session.kill", dvi.session, "r", "m", "one too many"))
    eq(e.error, "wamp.error.invalid_argument", "four positional arguments")
    check(e.args and "reason and message" in e.args[0], "says what it takes: %r" % (e.args,))

    # --kill-authrole admin: alice's role is let through by the router, not by wamp-metad.
    user, _ = await join(router, kind, ser, **ALICE)
    e = await error_of(user.call("wamp.session.kill", da.session))
    eq(e.error, "wamp.error.not_authorized", "a user may not kill")
    check(e.args and "authrole 'user' may not kill" in e.args[0], "wamp-metad says why: %r" % (e.args,))
    e = await error_of(user.call("wamp.session.kill_all"))
    eq(e.error, "wamp.error.not_authorized", "nor kill everyone")
    for s in (user, admin, watcher, spec_watcher):
        s.leave()


async def main():
    await pairs_with_metad(pair_checks, dict(realms=["realm1", "realm2"]), lambda router: dict(
        realms=["realm1", "realm2"],
        args=["--enable-kill", "realm1", "--kill-authrole", "admin", "--on-leave-session-only", "realm2"]))


if __name__ == "__main__":
    run("integration: clients written for Crossbar, with python3-autobahn", main)
