#!/usr/bin/python3
"""The Session Meta API served by wamp-metad (linked to the router over WebSocket, as a wampcra principal),
seen by python3-autobahn 22.7 over the four transport and serializer pairs (WebSocket and RawSocket, JSON and msgpack) with several authroles: get for self right after
join, list and count with filters, on_join / on_leave payloads, documented errors for bad arguments.

Run with Debian's /usr/bin/python3. Exits 0 on success, 1 with a message on failure.
"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import routerctl  # noqa: E402
from pywamp import check, eq, error_of, join, pairs_with_metad, run, until  # noqa: E402

SPEC_KEYS = sorted(["session", "authid", "authrole", "authmethod", "authprovider", "realm", "transport"])


async def pair_checks(router, kind, ser):
    watcher, _ = await join(router, kind, ser)
    events = []
    await watcher.subscribe(lambda *a, **kw: events.append(("join", a, kw)), "wamp.session.on_join")
    await watcher.subscribe(lambda *a, **kw: events.append(("leave", a, kw)), "wamp.session.on_leave")

    alice, da = await join(router, kind, ser, authid="alice", ticket=routerctl.SECRETS["alice"],
                           authextra={"client": "py"})
    me = await alice.call("wamp.session.get", da.session)  # right after WELCOME
    eq(sorted(me.keys()), sorted(SPEC_KEYS + ["authextra"]), "details keys")
    eq((me["session"], me["authid"], me["authrole"], me["authmethod"], me["authprovider"], me["realm"]),
       (da.session, "alice", "user", "ticket", "static", "realm1"), "details values")
    eq(me["authextra"], {"client": "py"}, "authextra")
    eq(sorted(me["transport"].keys()), ["peer", "serializer", "type"], "transport keys")
    eq((me["transport"]["type"], me["transport"]["serializer"]), (kind, ser), "transport")

    bob, db = await join(router, kind, ser, authid="bob", wampcra=routerctl.SECRETS["bob"])
    ids = sorted(await bob.call("wamp.session.list"))
    eq(ids, sorted([watcher._session_id, da.session, db.session]), "list")
    eq(await bob.call("wamp.session.count", ["admin"]), 1, "count admin")
    eq(await bob.call("wamp.session.count", filter_authroles=["user", "admin"]), 2, "count keyword filter")
    eq(await bob.call("wamp.session.list", []), [], "empty filter")
    eq(await bob.call("wamp.session.count", None), 3, "null filter")

    e = await error_of(bob.call("wamp.session.count", "user"))
    eq(e.error, "wamp.error.invalid_argument", "bad filter URI")
    check("got string" in e.args[0], "bad filter message: %r" % (e.args,))
    e = await error_of(bob.call("wamp.session.get", "x"))
    eq(e.error, "wamp.error.invalid_argument", "bad id URI")
    e = await error_of(bob.call("wamp.session.get", 2 ** 53 + 10))
    eq(e.error, "wamp.error.invalid_argument", "id out of range")
    e = await error_of(bob.call("wamp.session.get", 99))
    eq(e.error, "wamp.error.no_such_session", "unknown id")

    bob.leave()
    await asyncio.wait_for(bob.left, 5)
    await until(lambda: any(ev[0] == "leave" and ev[1][0] == db.session for ev in events), 5, "on_leave of bob")
    mine = [ev for ev in events if (ev[1][0]["session"] if ev[0] == "join" else ev[1][0]) == db.session]
    eq([ev[0] for ev in mine], ["join", "leave"], "bob's events")
    eq(len(mine[0][1]), 1, "on_join has one positional argument")
    eq(sorted(mine[0][1][0].keys()), SPEC_KEYS, "on_join details keys")
    eq(mine[0][2], {}, "on_join has no keyword arguments")
    eq(list(mine[1][1]), [db.session, "bob", "admin"], "on_leave arguments")
    for s in (alice, watcher):
        s.leave()
        await asyncio.wait_for(s.left, 5)


async def main():
    # wamp-metad over WebSocket (the JavaScript test uses RawSocket), as a wampcra principal.
    await pairs_with_metad(pair_checks, dict(realms=["realm1"]), lambda r: dict(
        realms=["realm1"], authid="metacra", authmethod="wampcra", secret=routerctl.SECRETS["metacra"], url=r.url,
        args=["--log-level", "debug"]))


if __name__ == "__main__":
    run("integration: meta API with python3-autobahn", main)
