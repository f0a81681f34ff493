"""pywamp.py: python3-autobahn 22.7 helpers shared by the Python tests (run with Debian's /usr/bin/python3).

    from pywamp import join, refused, until, check, eq, Refused, PAIRS
    session, details = await join(router, "rawsocket" | "websocket", "json" | "msgpack", realm="realm1",
                                  authid=None, ticket=None, wampcra=None, authextra=None)
        `router` is anything with .url (ws URL), .ws and .rawsocket ((host, port)), such as routerctl.start()'s.
        session.left is a future holding the CloseDetails when the session ends.
    await refused(router, kind, ser, **same)  -> the ABORT reason URI (fails if the join succeeds)
    await error_of(session.call(...))         -> the ApplicationError it failed with (fails if it succeeded)
    await each_pair(checks, router, metad)    checks(router, kind, ser) for every pair (see below)
    await pairs_with_metad(checks, router_options, metad_options)   the same with a router and wamp-metad of
                                              their own, started and stopped around it
    await until(fn, seconds, what)            bounded polling
    await left(session)                       its CloseDetails once it has ended (5 s at most)
    ALICE, BOB                                join() credentials of the test principals (user, ticket; admin,
                                              wampcra) of routerctl's default principals file
"""

import asyncio
import sys
import time

import routerctl  # beside this file

try:
    from autobahn.asyncio.rawsocket import WampRawSocketClientFactory, WampRawSocketClientProtocol
    from autobahn.asyncio.wamp import ApplicationSession
    from autobahn.asyncio.websocket import WampWebSocketClientFactory
    from autobahn.wamp import auth
    from autobahn.wamp.exception import ApplicationError
    from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer
    from autobahn.wamp.types import ComponentConfig
    import msgpack  # noqa: F401  (the msgpack serializer needs it)
except ImportError as e:  # a missing dependency fails loudly, never skips
    sys.stderr.write("FAIL: python3-autobahn / python3-msgpack missing (run deploy/setup with /usr/bin/python3): %s\n" % e)
    sys.exit(1)

# python3-autobahn 22.7's asyncio RawSocket client lacks the transport_details property that its WAMP
# session reads on join (the Twisted and WebSocket protocols have it): add it, reading the attribute the
# protocol already fills in connection_made.
if not hasattr(WampRawSocketClientProtocol, "transport_details"):
    WampRawSocketClientProtocol.transport_details = property(lambda self: getattr(self, "_transport_details", None))

ALICE = dict(authid="alice", ticket=routerctl.SECRETS["alice"])
BOB = dict(authid="bob", wampcra=routerctl.SECRETS["bob"])

PAIRS = [("websocket", "json"), ("websocket", "msgpack"), ("rawsocket", "json"), ("rawsocket", "msgpack")]


class Refused(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(a, b, msg):
    if a != b:
        raise AssertionError("%s: expected %r, got %r" % (msg, b, a))


async def join(router, kind, ser, realm="realm1", authid=None, ticket=None, wampcra=None, authextra=None):
    loop = asyncio.get_running_loop()
    joined = loop.create_future()
    left = loop.create_future()

    class Session(ApplicationSession):
        def onConnect(self):
            methods = ["ticket"] if ticket else ["wampcra"] if wampcra else ["anonymous"]
            self.join(realm, authmethods=methods, authid=authid, authextra=authextra)

        def onChallenge(self, challenge):
            if challenge.method == "ticket":
                return ticket
            sig = auth.compute_wcs(wampcra, challenge.extra["challenge"])
            return sig.decode("ascii") if isinstance(sig, bytes) else sig

        def onJoin(self, details):
            if not joined.done():
                joined.set_result(details)

        def onLeave(self, details):
            if not joined.done():
                joined.set_exception(Refused(details.reason))
            elif not left.done():
                left.set_result(details)
            self.disconnect()

        def onDisconnect(self):
            if not joined.done():
                joined.set_exception(Refused("disconnected"))
            if not left.done():
                left.set_result(None)

    session = Session(ComponentConfig(realm))
    serializer = MsgPackSerializer() if ser == "msgpack" else JsonSerializer()
    if kind == "websocket":
        factory = WampWebSocketClientFactory(lambda: session, url=router.url, serializers=[serializer])
        host, port = router.ws
    else:
        factory = WampRawSocketClientFactory(lambda: session, serializer=serializer)
        host, port = router.rawsocket
    await loop.create_connection(factory, host, port)
    details = await asyncio.wait_for(joined, 5)
    session.left = left
    return session, details


async def refused(router, kind, ser, **kw):
    try:
        s, _ = await join(router, kind, ser, **kw)
    except Refused as e:
        return e.reason
    s.leave()
    raise AssertionError("join unexpectedly succeeded: %r" % kw)


async def error_of(coro):
    try:
        r = await coro
    except ApplicationError as e:
        return e
    raise AssertionError("expected an error, got %r" % (r,))


async def left(session):
    return await asyncio.wait_for(session.left, 5)


async def until(fn, seconds, what):
    deadline = time.monotonic() + seconds
    while not fn():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        await asyncio.sleep(0.01)




async def each_pair(checks, router, metad):
    """Runs `await checks(router, kind, ser)` for every transport/serializer pair; a failure names the pair and
    carries the end of wamp-metad's and the router's logs. Then stops wamp-metad and requires exit code 0."""
    for kind, ser in PAIRS:
        t0 = time.monotonic()
        try:
            await checks(router, kind, ser)
        except Exception as e:
            raise AssertionError("%s/%s: %r\nwamp-metad log:\n%s\nrouter log:\n%s"
                                 % (kind, ser, e, metad.stderr()[-20000:], router.stderr()[-5000:]))
        print("  ok %s/%s (%d ms)" % (kind, ser, (time.monotonic() - t0) * 1000))
    code, err = metad.stop()
    if code != 0:
        raise AssertionError("wamp-metad exited %s; the end of its log:\n%s" % (code, err[-3000:]))


async def pairs_with_metad(checks, router_options, metad_options=lambda router: {}):
    """Starts a router (routerctl.start(**router_options)) and wamp-metad next to it
    (metadctl.start(router, **metad_options(router))), runs each_pair, and stops both however it ends; a router
    that logged a bug fails the test."""
    import metadctl  # beside this file
    r = routerctl.start(**router_options)
    m = None
    try:
        m = metadctl.start(r, **metad_options(r))
        await each_pair(checks, r, m)
    finally:
        if m:
            m.stop()
        code, err = r.stop()
        if "BUG:" in err:
            raise AssertionError("router logged a bug:\n" + err)


def run(name, main, seconds=90):
    """The test `name`: runs the coroutine function `main` under a global timeout, prints PASS, or FAIL with
    the traceback and exits 1."""
    routerctl.arm_timeout(seconds)
    t0 = time.monotonic()
    print(name)
    try:
        asyncio.run(main())
    except Exception as e:
        import traceback
        traceback.print_exc()
        sys.stderr.write("FAIL %s: %s\n" % (name, e))
        sys.exit(1)
    print("PASS %s (%d ms)" % (name, (time.monotonic() - t0) * 1000))
