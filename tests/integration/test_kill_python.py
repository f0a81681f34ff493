#!/usr/bin/python3
"""The kill family and testaments served by wamp-metad, seen by python3-autobahn 22.7 over the four transport
and serializer pairs: kill with a message (the victim's GOODBYE carries wamp.close.killed and it), the
caller's own id refused, kill_by_authid -> list of ids, kill_by_authrole -> n, kill_all with no on_leave,
testaments of a client whose socket is cut (detached bucket, then destroyed, then on_leave), bad arguments.

Run with Debian's /usr/bin/python3. Exits 0 on success, 1 with a message on failure.
"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pywamp import ALICE, BOB, check, eq, error_of, join, left, pairs_with_metad, run, until  # noqa: E402

async def pair_checks(router, kind, ser):
    caller, dc = await join(router, kind, ser, **BOB)
    events = []
    await caller.subscribe(lambda *a, **kw: events.append(("leave", a, kw)), "wamp.session.on_leave")
    await caller.subscribe(lambda *a, **kw: events.append(("will", a, kw)), "com.example.will")

    # kill: the victim's GOODBYE has the reason and the message; a watcher gets on_leave.
    victim, dv = await join(router, kind, ser, **ALICE)
    eq(await caller.call("wamp.session.kill", dv.session, message="py bye"), None, "kill returns nothing")
    gone = await left(victim)
    eq((gone.reason, gone.message), ("wamp.close.killed", "py bye"), "the victim's GOODBYE")
    await until(lambda: ("leave", (dv.session, "alice", "user"), {}) in events, 5, "the victim's on_leave")

    e = await error_of(caller.call("wamp.session.kill", dc.session))
    eq(e.error, "wamp.error.no_such_session", "own id")
    e = await error_of(caller.call("wamp.session.kill", 1, reason="not a uri"))
    eq(e.error, "wamp.error.invalid_uri", "bad reason")
    check(e.args and isinstance(e.args[0], str), "the error has a message")

    # kill_by_authid: [[ids]]; kill_by_authrole: [n]; the caller is spared by both.
    alices = [await join(router, kind, ser, **ALICE) for _ in range(2)]
    ids = await caller.call("wamp.session.kill_by_authid", "alice", reason="com.example.out")
    eq(sorted(ids), sorted(d.session for _, d in alices), "kill_by_authid")
    for s, _ in alices:
        eq((await left(s)).reason, "com.example.out", "custom reason")
    other_admin, _ = await join(router, kind, ser, **BOB)
    eq(await caller.call("wamp.session.kill_by_authrole", "admin"), 1, "kill_by_authrole spares the caller")
    await left(other_admin)

    # Testaments of a client whose socket is cut without GOODBYE.
    will, dw = await join(router, kind, ser, **ALICE)
    await will.call("wamp.session.add_testament", "com.example.will", ["destroyed"], {"k": 1})
    await will.call("wamp.session.add_testament", "com.example.will", ["detached"], {}, scope="detached")
    e = await error_of(will.call("wamp.session.add_testament", "com.example.will", [], {}, scope="forever"))
    eq(e.error, "wamp.error.invalid_argument", "bad scope")
    del events[:]
    will._transport.transport.abort()
    await until(lambda: len(events) == 3, 5, "two testaments and the on_leave")
    eq(events, [("will", ("detached",), {}), ("will", ("destroyed",), {"k": 1}),
                ("leave", (dw.session, "alice", "user"), {})], "testaments in order, then on_leave")

    # kill_all: [n], no on_leave, no testaments.
    crowd = [await join(router, kind, ser) for _ in range(5)]
    await crowd[0][0].call("wamp.session.add_testament", "com.example.will", ["never"], {})
    del events[:]
    eq(await caller.call("wamp.session.kill_all"), 5, "kill_all")
    for s, _ in crowd:
        await left(s)
    late, dl = await join(router, kind, ser)
    late.leave()
    await until(lambda: len(events) > 0, 5, "the late session's on_leave")
    await asyncio.sleep(0.2)
    eq([(ev[0], ev[1][0]) for ev in events], [("leave", dl.session)], "nothing for the killed")
    caller.leave()
    await left(caller)


async def main():
    await pairs_with_metad(pair_checks, dict(realms=["realm1"]),
                           lambda r: dict(realms=["realm1"], args=["--enable-kill", "*", "--log-level", "debug"]))


if __name__ == "__main__":
    run("integration: kill family and testaments with python3-autobahn", main)
