"""Calls wamp.session.list (and bench.ids) from python3-autobahn, whose msgpack decoder is C: the big-list
rows of bench/run with a client that is not the bottleneck. Run with Debian's /usr/bin/python3.

    /usr/bin/python3 pylist.py '{"ws": [HOST, PORT], "rawsocket": [HOST, PORT], "url": WS_URL,
                                 "calls": N, "size": IDS, "list_size": EXPECTED, "kind": "rawsocket"|"websocket"}'

Prints one JSON line: {"list": [ms, ...], "ids": [ms, ...]}; exits 1 when a result has the wrong length.
"""

import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
from pywamp import join  # noqa: E402


class Router:
    def __init__(self, cfg):
        self.url = cfg["url"]
        self.ws = tuple(cfg["ws"])
        self.rawsocket = tuple(cfg["rawsocket"])


async def main(cfg):
    session, _ = await join(Router(cfg), cfg.get("kind", "rawsocket"), "msgpack")
    out = {"list": [], "ids": []}
    for _ in range(cfg["calls"]):
        for key, call in (("list", lambda: session.call("wamp.session.list")),
                          ("ids", lambda: session.call("bench.ids", cfg["size"]))):
            t0 = time.perf_counter()
            result = await call()
            out[key].append((time.perf_counter() - t0) * 1000.0)
            want = cfg["list_size"] if key == "list" else cfg["size"]
            if not isinstance(result, list) or len(result) != want:
                sys.stderr.write("pylist: %s returned %s items, expected %d\n"
                                 % (key, len(result) if isinstance(result, list) else type(result), want))
                sys.exit(1)
    session.leave()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(json.loads(sys.argv[1])), timeout=120))
