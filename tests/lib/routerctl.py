"""routerctl.py: start and stop the reference router (deploy/router/router.js) from a Python test.

Run with Debian's /usr/bin/python3 (python3-autobahn 22.7, python3-msgpack); standard library only here.

    import routerctl                      # tests/lib on sys.path
    r = routerctl.start(realms=["realm1"], principals=None, ws=True, rawsocket=True,
                        args=["--test-switches"], ready_timeout=15.0)
    r.url        "ws://127.0.0.1:PORT/ws" (None without ws)
    r.ws         (host, port) or None;  r.rawsocket (host, port) or None
    r.epoch, r.pid, r.dir (temp dir, removed by stop), r.principals_file
    r.stderr()   router stderr so far
    r.stop()     SIGTERM, SIGKILL after 5 s; returns (returncode, stderr); idempotent
    routerctl.DEFAULT_PRINCIPALS / routerctl.SECRETS   default users (same as tests/lib/routerctl.js)
    routerctl.arm_timeout(seconds)   global test timeout: prints FAIL and exits 1

    with routerctl.started(...) as r: ...   stops the router however the block ends

The node executable is $WAMP_METAD_NODE, else `node` on PATH. Every router started here is killed BY PID at
interpreter exit (atexit) and on SIGTERM/SIGINT of the test; nothing is ever killed by name.
"""

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROUTER_JS = os.path.join(ROOT, "deploy", "router", "router.js")

SECRETS = {
    "alice": "alice-ticket-0123",
    "bob": "bob-cra-secret-4567",
    "metad": "metad-ticket-89ab",
    "metacra": "metacra-secret-cdef",
}

DEFAULT_PRINCIPALS = {
    "principals": [
        {"authid": "alice", "authrole": "user", "ticket": SECRETS["alice"]},
        {"authid": "bob", "authrole": "admin", "wampcra": SECRETS["bob"]},
        {"authid": "metad", "authrole": "metad", "ticket": SECRETS["metad"]},
        {"authid": "metacra", "authrole": "metad", "wampcra": SECRETS["metacra"]},
    ],
    "anonymous_realms": ["realm1"],
}

_live = set()


def _kill_all():
    for proc in list(_live):
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        _live.discard(proc)


atexit.register(_kill_all)


def track(proc):
    """Have any child process killed by pid when the test exits, like the routers."""
    _live.add(proc)


def forget(proc):
    _live.discard(proc)


def _on_signal(signum, frame):
    _kill_all()
    sys.exit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(_sig, _on_signal)


def node_executable():
    node = os.environ.get("WAMP_METAD_NODE") or shutil.which("node")
    if not node:
        raise RuntimeError("node not found: set WAMP_METAD_NODE or put node on PATH")
    return node


def arm_timeout(seconds):
    def fire():
        sys.stderr.write("FAIL %s: global timeout of %s s exceeded\n" % (os.path.basename(sys.argv[0]), seconds))
        sys.stderr.flush()
        _kill_all()
        os._exit(1)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


class Router:
    def __init__(self, proc, tmpdir, principals_file):
        self.proc = proc
        self.pid = proc.pid
        self.dir = tmpdir
        self.principals_file = principals_file
        self.url = None
        self.ws = None
        self.rawsocket = None
        self.epoch = None
        self._stderr = []
        self._stopped = None
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self):
        for line in iter(self.proc.stderr.readline, b""):
            self._stderr.append(line.decode("utf-8", "replace"))

    def stderr(self):
        return "".join(self._stderr)

    def stop(self, timeout=5.0):
        if self._stopped is None:
            if self.proc.poll() is None:
                try:
                    os.kill(self.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.kill(self.pid, signal.SIGKILL)
                    self.proc.wait()
            _live.discard(self.proc)
            self._reader.join(2)
            shutil.rmtree(self.dir, ignore_errors=True)
            self._stopped = (self.proc.returncode, self.stderr())
        return self._stopped


def start(realms=("realm1",), principals=None, ws=True, rawsocket=True, args=(), ready_timeout=15.0):
    tmpdir = tempfile.mkdtemp(prefix="routerctl-")
    principals_file = os.path.join(tmpdir, "principals.json")
    with open(principals_file, "w") as f:
        json.dump(principals if principals is not None else DEFAULT_PRINCIPALS, f)
    argv = [node_executable(), ROUTER_JS, "--realms", ",".join(realms), "--principals", principals_file]
    if ws:
        argv += ["--ws", "127.0.0.1:0"]
    if rawsocket:
        argv += ["--rawsocket", "127.0.0.1:0"]
    argv += list(args)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    track(proc)
    r = Router(proc, tmpdir, principals_file)

    line_box = []
    reader = threading.Thread(target=lambda: line_box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(ready_timeout)
    line = line_box[0].decode("utf-8", "replace").rstrip("\n") if line_box else None
    m = re.match(r"^ready((?: \w+=\S+)+)$", line or "")
    if not m:
        r.stop()
        raise RuntimeError("router did not become ready (first line %r); stderr:\n%s" % (line, r.stderr()))
    kv = dict(part.split("=", 1) for part in m.group(1).split())

    def hp(s):
        host, port = s.rsplit(":", 1)
        return (host.strip("[]"), int(port))

    if "ws" in kv:
        r.ws = hp(kv["ws"])
        r.url = "ws://%s/ws" % kv["ws"]
    if "rawsocket" in kv:
        r.rawsocket = hp(kv["rawsocket"])
    r.epoch = kv["epoch"]
    return r


@contextlib.contextmanager
def started(**kwargs):
    r = start(**kwargs)
    try:
        yield r
    finally:
        r.stop()
