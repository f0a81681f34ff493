"""metadctl.py: start and stop wamp-metad next to a router started by routerctl.py (Debian's /usr/bin/python3).

    m = metadctl.start(router, realms=["realm1"], authid="metad", secret=routerctl.SECRETS["metad"],
                       authmethod="ticket", url=None, args=(), ready_timeout=15.0)
    m.pid, m.stderr(), m.stop() -> (returncode, stderr)

start() returns once wamp-metad logs "ready:". The binary is $WAMP_METAD_BIN (set by ctest), else
build/test/src/daemon/wamp-metad. Processes are stopped BY PID (routerctl's exit hooks cover them too).
"""

import os
import shutil
import subprocess
import tempfile
import threading
import time

import routerctl

BIN = os.environ.get("WAMP_METAD_BIN") or os.path.join(routerctl.ROOT, "build", "test", "src", "daemon", "wamp-metad")


class Metad:
    def __init__(self, proc, tmp):
        self.proc = proc
        self.pid = proc.pid
        self._tmp = tmp
        self._err = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self._err.append(line.decode("utf-8", "replace"))

    def stderr(self):
        return "".join(self._err)

    def stop(self, timeout=5.0):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(2)
        shutil.rmtree(self._tmp, ignore_errors=True)
        routerctl.forget(self.proc)
        return self.proc.returncode, self.stderr()


def start(router, realms=("realm1",), authid="metad", secret=None, authmethod="ticket", url=None, args=(),
          ready_timeout=15.0):
    if not os.path.exists(BIN):
        raise RuntimeError("wamp-metad binary not found at %s (build it, or set WAMP_METAD_BIN)" % BIN)
    tmp = tempfile.mkdtemp(prefix="metadctl-")
    secret_file = os.path.join(tmp, "secret")
    with open(secret_file, "w") as f:
        f.write((secret or routerctl.SECRETS["metad"]) + "\n")
    host, port = router.rawsocket
    argv = [BIN, "--router", url or "rs://%s:%d" % (host, port), "--authid", authid, "--authmethod", authmethod,
            "--secret-file", secret_file]
    for r in realms:
        argv += ["--realm", r]
    argv += list(args)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    routerctl.track(proc)
    m = Metad(proc, tmp)
    deadline = time.monotonic() + ready_timeout
    while " ready: " not in m.stderr():
        if proc.poll() is not None or time.monotonic() > deadline:
            code, err = m.stop()
            raise RuntimeError("wamp-metad not ready (exit %s); its log:\n%s" % (code, err))
        time.sleep(0.02)
    return m
