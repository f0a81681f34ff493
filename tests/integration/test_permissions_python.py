#!/usr/bin/python3
"""The demo's permissions (deploy/examples/principals.json) with wamp-metad serving the kill family, seen by
python3-autobahn 22.7 over the four transport and serializer pairs: anonymous and user may list, and are
refused wamp.session.kill by the router with wamp.error.not_authorized and a message naming the action, the
procedure, the role and the realm; the admin kills (the victim's GOODBYE carries wamp.close.killed).

Run with Debian's /usr/bin/python3. Exits 0 on success, 1 with a message on failure.
"""

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import routerctl  # noqa: E402
from pywamp import check, eq, error_of, join, pairs_with_metad, run  # noqa: E402

with open(os.path.join(routerctl.ROOT, "deploy", "examples", "principals.json")) as f:
    DEMO = json.load(f)
SECRET = {p["authid"]: p.get("ticket") or p.get("wampcra") for p in DEMO["principals"]}
ALICE = dict(authid="alice", ticket=SECRET["alice"])
BOB = dict(authid="bob", wampcra=SECRET["bob"])


async def pair_checks(router, kind, ser):
    victim, dv = await join(router, kind, ser, **ALICE)
    for who, role in ((ALICE, "user"), ({}, "anonymous")):
        s, d = await join(router, kind, ser, **who)
        check(dv.session in await s.call("wamp.session.list"), "%s may list" % role)
        e = await error_of(s.call("wamp.session.kill", dv.session, message="no"))
        eq((e.error, list(e.args)), ("wamp.error.not_authorized",
                                     ["role '%s' may not call 'wamp.session.kill' on realm 'realm1'" % role]),
           "%s refused kill" % role)
        e = await error_of(s.call("wamp.session.kill_all"))
        eq(e.error, "wamp.error.not_authorized", "%s refused kill_all" % role)
        s.leave()
        await asyncio.wait_for(s.left, 5)
    admin, _ = await join(router, kind, ser, **BOB)
    eq(await admin.call("wamp.session.kill", dv.session, message="py admin"), None, "the admin kills")
    gone = await asyncio.wait_for(victim.left, 5)
    eq((gone.reason, gone.message), ("wamp.close.killed", "py admin"), "the victim's GOODBYE")
    admin.leave()
    await asyncio.wait_for(admin.left, 5)


async def main():
    await pairs_with_metad(pair_checks, dict(realms=["realm1", "realm2"], principals=DEMO),
                           lambda r: dict(realms=["realm1"], secret=SECRET["metad"], args=["--enable-kill", "*"]))


if __name__ == "__main__":
    run("integration: the demo's permissions with python3-autobahn", main)
