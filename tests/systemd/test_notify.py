#!/usr/bin/python3
"""wamp-metad speaks systemd's notify protocol as Type=notify with WatchdogSec= expects it, seen from a
datagram socket standing in for systemd ($NOTIFY_SOCKET, $WATCHDOG_USEC=600000, no $WATCHDOG_PID):

- READY=1 arrives once the meta API answers: wamp.session.count failed before wamp-metad started, and a call
  made the moment READY=1 arrives (and every call made after it) answers;
- WATCHDOG=1 comes every 200 ms (a third of the watchdog period): several within 2 s, before and after READY;
- STATUS= lines say how many realms and sessions are served, at READY and every few seconds;
- SIGTERM sends STOPPING=1, and the process then exits 0.

Run with Debian's /usr/bin/python3 (python3-autobahn). Exits 0 on success, 1 with a message on failure.
"""

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import metadctl  # noqa: E402
import routerctl  # noqa: E402
from pywamp import check, join  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402

WATCHDOG_USEC = 600000
STATUS_RE = re.compile(r"^(mirror not synced; )?serving (\d+ of )?\d+ realm\(s\), \d+ session\(s\) mirrored, \d+ resync\(s\)$")


class NotifySocket:
    """A unix datagram socket like systemd's: every datagram kept with its arrival time (monotonic)."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.messages = []  # (t, {key: value})

    def drain(self, on_message=None):
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return
            fields = dict(line.split("=", 1) for line in data.decode("utf-8").split("\n") if "=" in line)
            self.messages.append((time.monotonic(), fields))
            if on_message:
                on_message(fields)

    def with_key(self, key, value=None):
        return [(t, m) for t, m in self.messages if key in m and (value is None or m[key] == value)]


async def count_call(session):
    """(ok, detail) of one wamp.session.count."""
    try:
        r = await asyncio.wait_for(session.call("wamp.session.count"), 5)
        return True, r
    except ApplicationError as e:
        return False, e.error
    except asyncio.TimeoutError:
        return False, "timeout"


async def scenario(router, ns, tmp):
    loop = asyncio.get_running_loop()
    client, _ = await join(router, "rawsocket", "msgpack")
    ok, detail = await count_call(client)
    check(not ok, "wamp.session.count answered before wamp-metad ran: %r" % (detail,))
    print("before wamp-metad: wamp.session.count -> %s" % detail)

    secret = os.path.join(tmp, "secret")
    with open(secret, "w") as f:
        f.write(routerctl.SECRETS["metad"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(NOTIFY_SOCKET=ns.path, WATCHDOG_USEC=str(WATCHDOG_USEC))
    host, port = router.rawsocket
    argv = [metadctl.BIN, "--router", "rs://%s:%d" % (host, port), "--authid", "metad", "--secret-file", secret,
            "--realm", "realm1"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    routerctl.track(proc)
    err = []
    threading.Thread(target=lambda: [err.append(l.decode("utf-8", "replace")) for l in proc.stderr],
                     daemon=True).start()
    started = time.monotonic()

    # Calls go out back to back while wamp-metad starts; the moment READY=1 arrives, one more goes out.
    ready_call = loop.create_future()

    def on_message(m):
        if m.get("READY") == "1" and not ready_call.done():
            ready_call.set_result((time.monotonic(), asyncio.ensure_future(count_call(client))))

    loop.add_reader(ns.sock.fileno(), ns.drain, on_message)
    polls = []  # (t_sent, ok, detail)
    try:
        while not ready_call.done():
            if proc.poll() is not None:
                raise AssertionError("wamp-metad exited (%s) before READY=1; its log:\n%s" % (proc.returncode,
                                                                                           "".join(err)))
            if time.monotonic() - started > 15:
                raise AssertionError("no READY=1 within 15 s; got %r; log:\n%s" % (ns.messages, "".join(err)))
            t = time.monotonic()
            ok, detail = await count_call(client)
            polls.append((t, ok, detail))
            await asyncio.sleep(0.005)
        t_ready, call = ready_call.result()
        ok, detail = await call
        check(ok, "wamp.session.count made when READY=1 arrived failed: %r" % (detail,))
        print("READY=1 after %.0f ms; a call made then answered %r" % ((t_ready - started) * 1000, detail))
        failed_before = [p for p in polls if not p[1]]
        print("%d call(s) while starting, %d failed (%s)" % (len(polls), len(failed_before),
                                                          sorted(set(str(p[2]) for p in failed_before))))
        for i in range(20):
            ok, detail = await count_call(client)
            check(ok, "wamp.session.count after READY=1 failed: %r" % (detail,))
        check(" ready: " in "".join(err), "READY=1 came but wamp-metad never logged 'ready:'")

        # The watchdog: every WATCHDOG_USEC/3 from start, so several in any 2 s.
        await asyncio.sleep(2.0)
        t_end = time.monotonic()
        pets = [t for t, _ in ns.with_key("WATCHDOG", "1")]
        recent = [t for t in pets if t > t_end - 2.0]
        print("WATCHDOG=1: %d in all, %d in the last 2 s" % (len(pets), len(recent)))
        check(len(recent) >= 5, "only %d WATCHDOG=1 in 2 s (expected about 10)" % len(recent))
        check(any(t < t_ready for t in pets), "no WATCHDOG=1 before READY=1 (the watchdog starts with the process)")

        # STATUS=: with READY=1, then every 5 s.
        deadline = time.monotonic() + 8
        while not [m for t, m in ns.with_key("STATUS") if t > t_ready and "READY" not in m]:
            check(time.monotonic() < deadline, "no periodic STATUS= after READY=1 within 8 s: %r" % ns.messages)
            await asyncio.sleep(0.1)
        statuses = [m["STATUS"] for _, m in ns.with_key("STATUS")]
        for s in statuses:
            check(STATUS_RE.match(s), "STATUS= line not as documented: %r" % s)
        ready_status = [m["STATUS"] for _, m in ns.with_key("READY", "1")]
        check(ready_status and ready_status[0].startswith("serving 1 realm(s)"),
              "READY=1 came without a 'serving 1 realm(s)' STATUS: %r" % ready_status)
        print("STATUS= lines: %s" % " | ".join(dict.fromkeys(statuses)))
    finally:
        loop.remove_reader(ns.sock.fileno())

    # SIGTERM: STOPPING=1, then exit 0.
    os.kill(proc.pid, signal.SIGTERM)
    t_term = time.monotonic()
    while proc.poll() is None:
        check(time.monotonic() - t_term < 7, "wamp-metad still running 7 s after SIGTERM")
        await asyncio.sleep(0.02)
    routerctl.forget(proc)
    ns.drain()  # everything it sent is in the socket by now
    check(proc.returncode == 0, "wamp-metad exited %s after SIGTERM; log:\n%s" % (proc.returncode, "".join(err)))
    check(ns.with_key("STOPPING", "1"), "no STOPPING=1 after SIGTERM: %r" % ns.messages[-5:])
    print("SIGTERM: STOPPING=1, exit 0 after %.0f ms" % ((time.monotonic() - t_term) * 1000))
    client.leave()


def main():
    routerctl.arm_timeout(90)
    if not os.path.exists(metadctl.BIN):
        print("FAIL: wamp-metad binary not found at %s" % metadctl.BIN)
        return 1
    tmp = tempfile.mkdtemp(prefix="sdnotify-")
    ns = NotifySocket(tmp)
    router = routerctl.start(realms=["realm1"])
    try:
        asyncio.run(scenario(router, ns, tmp))
    except AssertionError as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        router.stop()
        ns.sock.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
