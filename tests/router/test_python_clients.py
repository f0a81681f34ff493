#!/usr/bin/python3
"""python3-autobahn 22.7 against the reference router over all four transport/serializer pairs
(WebSocket/JSON, WebSocket/msgpack, RawSocket/JSON, RawSocket/msgpack): join, call (arguments not
flattened, no null), callee errors passed through, publish/subscribe, authentication, hooks seen by a meta
session, kill (GOODBYE reason + message reach the victim), GOODBYE reason on leave, and what python3-autobahn
makes of the router-initiated UNREGISTERED and UNSUBSCRIBED (router.registration.remove_callee,
router.subscription.remove_subscriber).

Run with Debian's /usr/bin/python3. Exits 0 on success, 1 with a message on failure.
"""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import routerctl  # noqa: E402

from pywamp import PAIRS, check, eq, error_of, join, refused, run, until  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import CallResult, PublishOptions  # noqa: E402


async def pair_checks(router, meta, hooks, kind, ser):
    tag = "%s_%s" % (kind, ser)
    a, wa = await join(router, kind, ser)
    b, wb = await join(router, kind, ser, authid="alice", ticket=routerctl.SECRETS["alice"], authextra={"py": True})
    eq((wa.authmethod, wa.authrole), ("anonymous", "anonymous"), "anonymous identity")
    eq((wb.authid, wb.authrole, wb.authmethod, wb.authprovider), ("alice", "user", "ticket", "static"), "ticket identity")
    check(isinstance(wb.session, int) and 0 < wb.session <= 2 ** 53, "session id is an integer in range")

    # the meta session saw both joins, with the right transport
    await until(lambda: any(h["session"] == wb.session for t, h in hooks), 5, "joined hook")
    h = [h for t, h in hooks if t == "joined" and h["session"] == wb.session][0]
    eq(h["transport"]["type"], kind, "hook transport.type")
    eq(h["transport"]["serializer"], ser, "hook transport.serializer")
    eq((h["realm"], h["authid"], h["authrole"], h["authmethod"], h["authprovider"], h["authextra"], h["epoch"]),
       ("realm1", "alice", "user", "ticket", "static", {"py": True}, router.epoch), "hook identity fields")

    seen = {}

    def echo(*args, **kwargs):
        seen["args"] = args
        return CallResult(*args, echoed=True, **kwargs)

    await a.register(echo, "com.py.%s.echo" % tag)
    res = await b.call("com.py.%s.echo" % tag, [1, 2], k=[3])
    eq(list(res.results), [[1, 2]], "single list argument not flattened")
    eq(res.kwresults, {"echoed": True, "k": [3]}, "kwargs")
    eq(seen["args"], ([1, 2],), "callee args")
    big = 2 ** 53 - 1
    res = await b.call("com.py.%s.echo" % tag, big, 2 ** 40, "s", None)
    eq(list(res.results), [big, 2 ** 40, "s", None], "several args, large integers")

    await a.register(lambda: None, "com.py.%s.none" % tag)
    eq(await b.call("com.py.%s.none" % tag), None, "no-argument call and result")

    def fail(*args):
        raise ApplicationError("com.app.oops", 1, "x", why="because")

    await a.register(fail, "com.py.%s.fail" % tag)
    try:
        await b.call("com.py.%s.fail" % tag)
        raise AssertionError("callee error not raised")
    except ApplicationError as e:
        eq((e.error, list(e.args), e.kwargs), ("com.app.oops", [1, "x"], {"why": "because"}), "callee error passes through")
    try:
        await b.call("com.py.%s.missing" % tag)
        raise AssertionError("missing procedure not reported")
    except ApplicationError as e:
        eq(e.error, "wamp.error.no_such_procedure", "no_such_procedure")
    try:
        await b.register(lambda: 0, "com.py.%s.echo" % tag)
        raise AssertionError("duplicate registration accepted")
    except ApplicationError as e:
        eq(e.error, "wamp.error.procedure_already_exists", "duplicate registration")
    try:
        await b.register(lambda: 0, "wamp.session.get")
        raise AssertionError("wamp.* registration accepted")
    except ApplicationError as e:
        eq(e.error, "wamp.error.not_authorized", "wamp.* registration refused")

    events = []
    await a.subscribe(lambda *args, **kwargs: events.append((args, kwargs)), "com.py.%s.topic" % tag)
    await b.publish("com.py.%s.topic" % tag, [1, 2], k=1, options=PublishOptions(acknowledge=True))
    await b.publish("com.py.%s.topic" % tag, options=PublishOptions(acknowledge=True))
    await until(lambda: len(events) == 2, 5, "events")
    eq(events[0], (([1, 2],), {"k": 1}), "event payload")
    eq(events[1], ((), {}), "empty event")

    # kill b from the meta session: GOODBYE with reason and message reaches it, the left hook follows
    res = await meta.call("router.session.kill", wb.session, "com.example.kicked", "bye %s" % tag)
    eq(res, True, "kill result")
    check(any(t == "left" and h["session"] == wb.session for t, h in hooks), "left hook before the kill result")
    d = await asyncio.wait_for(b.left, 5)
    eq((d.reason, d.message), ("com.example.kicked", "bye %s" % tag), "victim's GOODBYE reason and message")

    # a normal leave gets wamp.close.goodbye_and_out
    a.leave()
    d = await asyncio.wait_for(a.left, 5)
    eq(d.reason, "wamp.close.goodbye_and_out", "GOODBYE reply reason")


async def revocations(router, meta, kind, ser):
    """Router-initiated UNREGISTERED [67, 0, {registration, reason}] and UNSUBSCRIBED [35, 0, {subscription}].
    python3-autobahn 22.7 accepts the first (it logs it and keeps the registration in its own table, still marked
    active) and takes the second for a protocol error: it fails its connection, and the session is lost. Pinned
    here, so that a python3-autobahn that handles it shows up as a failure to update."""
    tag = "%s_%s" % (kind, ser)
    c, wc = await join(router, kind, ser)
    other, _ = await join(router, kind, ser)
    reg = await c.register(lambda: "c", "com.py.%s.revoked" % tag)
    sub = await c.subscribe(lambda *a: None, "com.py.%s.revoked" % tag)
    eq(await other.call("com.py.%s.revoked" % tag), "c", "the call reaches c")
    eq(await meta.call("router.registration.remove_callee", "realm1", reg.id, wc.session, "com.example.gone"), None,
       "remove_callee result")
    e = await error_of(other.call("com.py.%s.revoked" % tag))
    eq(e.error, "wamp.error.no_such_procedure", "calls stop")
    check(c.is_attached() and reg.active, "UNREGISTERED accepted; python3-autobahn keeps the registration active")
    eq(await meta.call("router.subscription.remove_subscriber", "realm1", sub.id, wc.session), None,
       "remove_subscriber result")
    d = await asyncio.wait_for(c.left, 5)
    check(not c.is_attached(), "python3-autobahn 22.7 drops the session on UNSUBSCRIBED with request 0 (%r)" % (d,))
    other.leave()
    await asyncio.wait_for(other.left, 5)


async def main():
    r = routerctl.start(realms=["realm1", "realm2"])
    try:
        meta, _ = await join(r, "rawsocket", "msgpack", realm="router.internal", authid="metad",
                             ticket=routerctl.SECRETS["metad"])
        hooks = []
        await meta.subscribe(lambda info: hooks.append(("joined", info)), "router.session.joined")
        await meta.subscribe(lambda info: hooks.append(("left", info)), "router.session.left")
        for kind, ser in PAIRS:
            t0 = time.monotonic()
            await pair_checks(r, meta, hooks, kind, ser)
            print("  ok %s/%s (%d ms)" % (kind, ser, (time.monotonic() - t0) * 1000))

        for kind, ser in PAIRS:
            bob, wb = await join(r, kind, ser, realm="realm2", authid="bob", wampcra=routerctl.SECRETS["bob"])
            eq((wb.authid, wb.authrole, wb.authmethod), ("bob", "admin", "wampcra"), "wampcra")
            bob.leave()
            eq(await refused(r, kind, ser, authid="bob", wampcra="nope"), "wamp.error.authentication_failed", "bad cra")
            eq(await refused(r, kind, ser, authid="alice", ticket="nope"), "wamp.error.authentication_failed", "bad ticket")
            eq(await refused(r, kind, ser, realm="realm2"), "wamp.error.no_auth_method", "anonymous refused on realm2")
            eq(await refused(r, kind, ser, realm="nosuch"), "wamp.error.no_such_realm", "unknown realm")
            eq(await refused(r, kind, ser, realm="router.internal", authid="alice", ticket=routerctl.SECRETS["alice"]),
               "wamp.error.not_authorized", "internal realm refused")
        print("  ok authentication on all pairs")

        for kind, ser in PAIRS:
            await revocations(r, meta, kind, ser)
        print("  ok router-initiated UNREGISTERED / UNSUBSCRIBED on all pairs")

        # Every client is gone, on the router's side too (a dropped connection ends its session a moment after
        # the client saw it close), before the position is taken: no hook may come after it.
        for _ in range(100):
            if not (await meta.call("router.session.snapshot"))["sessions"]:
                break
            await asyncio.sleep(0.05)
        # hooks: seq gap-free, epoch constant
        epoch, seq = (await meta.call("router.session.sync")).results
        eq(epoch, r.epoch, "sync epoch")
        await until(lambda: hooks and hooks[-1][1]["seq"] == seq, 5, "all hooks")
        eq([h["seq"] for _, h in hooks], list(range(1, seq + 1)), "seq 1..n without holes")
        check(all(h["epoch"] == r.epoch for _, h in hooks), "one epoch")
        snap = await meta.call("router.session.snapshot")
        eq((snap["epoch"], snap["seq"], snap["sessions"]), (r.epoch, seq, []), "empty snapshot at the end")
        check("next_cursor" not in snap, "no next_cursor on the last page")
        print("  ok hooks seen from python (%d hooks)" % seq)
        meta.leave()
    finally:
        code, err = r.stop()
        if "BUG:" in err:
            raise AssertionError("router logged a bug:\n" + err)
        eq(code, 0, "router exit code")


if __name__ == "__main__":
    run("router: python3-autobahn clients", main)
