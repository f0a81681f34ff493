#!/usr/bin/python3
"""deploy/run-local --crossbar-config with python3-autobahn 22.7 over the four transport and serializer pairs: a
Crossbar configuration written here (a web transport with its websocket path, a RawSocket transport, roles with
disclose and cache, ticket and wampcra principals) run as it is, wamp-metad serving its realm: the meta API as
the roles allow it, the caller disclosed to a callee where its permission says so and not elsewhere, and kill
not registered since no role may call it.

Run with Debian's /usr/bin/python3. Exits 0 on success, 1 with a message on failure.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import routerctl  # noqa: E402
from pywamp import PAIRS, check, eq, error_of, join, run, until  # noqa: E402
from autobahn.wamp.types import RegisterOptions  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
JOE = dict(authid="joe", ticket="joe-ticket-2468")
SVC = dict(authid="svc", wampcra="svc-cra-secret-1357")
ALL = {"call": True, "register": True, "publish": True, "subscribe": True}


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(web_port, rs_port):
    auth = {
        "anonymous": {"type": "static", "role": "anonymous"},
        "ticket": {"type": "static", "principals": {"joe": {"ticket": JOE["ticket"], "role": "frontend"}}},
        "wampcra": {"type": "static", "users": {"svc": {"secret": SVC["wampcra"], "role": "backend"}}},
    }
    return {
        "version": 2,
        "controller": {},
        "workers": [{
            "type": "router",
            "realms": [{"name": "realm1", "roles": [
                {"name": "anonymous", "permissions": [
                    {"uri": "wamp.session.", "match": "prefix", "allow": {"call": True}, "cache": True},
                    {"uri": "wamp.session.kill*", "allow": {}},
                    {"uri": "com.example.", "match": "prefix", "allow": ALL,
                     "disclose": {"caller": False, "publisher": False}}]},
                {"name": "frontend", "permissions": [
                    {"uri": "com.example.*", "allow": ALL, "disclose": {"caller": True}, "cache": True},
                    {"uri": "wamp.session.get", "allow": {"call": True}}]},
                {"name": "backend", "permissions": [
                    {"uri": "com.example.", "match": "prefix", "allow": {"register": True}}]}]}],
            "transports": [
                {"type": "web", "endpoint": {"type": "tcp", "port": web_port, "interface": "127.0.0.1"},
                 "paths": {"ws": {"type": "websocket", "auth": auth}, "lp": {"type": "longpoll"}}},
                {"type": "rawsocket", "endpoint": {"type": "tcp", "port": rs_port, "interface": "127.0.0.1"},
                 "auth": auth}],
        }],
    }


class Endpoints:
    """What pywamp.join needs of a router: its WebSocket URL and its ports."""

    def __init__(self, web_port, rs_port):
        self.url = "ws://127.0.0.1:%d/ws" % web_port
        self.ws = ("127.0.0.1", web_port)
        self.rawsocket = ("127.0.0.1", rs_port)


async def main():
    work = tempfile.mkdtemp(prefix="crossbar-python-")
    os.mkdir(os.path.join(work, ".crossbar"))
    web_port, rs_port = free_port(), free_port()
    path = os.path.join(work, ".crossbar", "config.json")
    with open(path, "w") as f:
        json.dump(config(web_port, rs_port), f)
    # Its own process group, so that the router and wamp-metad it started stop with it.
    proc = subprocess.Popen(["bash", os.path.join(ROOT, "deploy", "run-local"), "--crossbar-config", path,
                             "--no-setup"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=ROOT)
    routerctl.track(proc)
    out, err = [], []
    for stream, sink in ((proc.stdout, out), (proc.stderr, err)):
        threading.Thread(target=lambda s=stream, k=sink: [k.append(line) for line in s], daemon=True).start()
    try:
        await until(lambda: any(line.startswith("live:") for line in out) or proc.poll() is not None, 60,
                    "run-local to be up")
        text = "".join(out)
        check("registered on: no realm" in text, "kill registered nowhere:\n%s\n%s" % (text, "".join(err)))
        check(any("paths.lp: web path type 'longpoll' is not served here; skipped" in line for line in err),
              "the skipped path said")
        r = Endpoints(web_port, rs_port)
        svc, _ = await join(r, "websocket", "json", **SVC)

        def who(details=None):
            return [details.caller, details.caller_authid, details.caller_authrole]

        await svc.register(who, "com.example.who", options=RegisterOptions(details_arg="details"))
        for kind, ser in PAIRS:
            at = "%s/%s" % (kind, ser)
            anon, da = await join(r, kind, ser)
            eq(da.authrole, "anonymous", at)
            check(da.session in await anon.call("wamp.session.list"), "%s: listed" % at)
            eq(await anon.call("com.example.who"), [None, None, None], "%s: anonymous is not disclosed" % at)
            e = await error_of(anon.call("wamp.session.kill", da.session))
            eq(e.error, "wamp.error.not_authorized", "%s: nobody may kill" % at)
            joe, dj = await join(r, kind, ser, **JOE)
            eq(dj.authrole, "frontend", at)
            eq(await joe.call("com.example.who"), [dj.session, "joe", "frontend"], "%s: joe is disclosed" % at)
            eq((await joe.call("wamp.session.get", dj.session))["authid"], "joe", "%s: wamp.session.get" % at)
            e = await error_of(joe.call("wamp.session.list"))
            eq(e.error, "wamp.error.not_authorized", "%s: only what frontend may" % at)
            for s in (anon, joe):
                s.leave()
            print("  ok %s" % at)
        svc.leave()
    except Exception as e:
        raise AssertionError("%s\nrun-local stdout:\n%s\nstderr:\n%s" % (e, "".join(out), "".join(err)))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        routerctl.forget(proc)
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run("integration: deploy/run-local --crossbar-config (python3-autobahn)", main, 150)
