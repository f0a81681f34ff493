#!/usr/bin/python3
"""The systemd units as `cmake --install` writes them: `systemd-analyze verify` finds nothing to say about
wamp-metad@.service (as an instance) and wamp-router.service, and `systemd-analyze security --offline=yes`
rates each at an exposure of 2.0 or lower ("OK"). Neither needs a running systemd: this runs where systemd
is not PID 1 (containers, build machines) as well.
"""

import os
import shutil
import tempfile

from sdcommon import Failure, check, exposure, install, main, tool, verify, run

MAX_EXPOSURE = 2.0


def body():
    analyze = tool("WAMP_METAD_SYSTEMD_ANALYZE")
    tmp = tempfile.mkdtemp(prefix="sdunits-")
    try:
        prefix = os.path.join(tmp, "inst")
        install(prefix)
        unitdir = os.path.join(prefix, "lib", "systemd", "system")
        metad = open(os.path.join(unitdir, "wamp-metad@.service")).read()
        router = open(os.path.join(unitdir, "wamp-router.service")).read()
        binary = os.path.join(prefix, "bin", "wamp-metad")
        for line in ("Type=notify", "NotifyAccess=main", "WatchdogSec=", "Restart=on-failure",
                     "LoadCredential=wamp-metad.secret:/etc/wamp-metad/%i.secret", "MemoryDenyWriteExecute=yes",
                     "ExecStartPre=%s --config /etc/wamp-metad/%%i.conf --check-config" % binary,
                     "ExecStart=%s --config /etc/wamp-metad/%%i.conf" % binary, "DynamicUser=yes",
                     "IPAddressDeny=any", "IPAddressAllow=localhost"):
            check(("\n" + line) in metad, "wamp-metad@.service lacks the line %r" % line)
        check("\nMemoryDenyWriteExecute=no" in router, "wamp-router.service must leave MemoryDenyWriteExecute off")
        check(os.path.join(prefix, "share", "wamp-metad", "router", "router.js") in router,
              "wamp-router.service does not run the installed router.js")

        # verify: the instance through its template, and the router (the units' directory is searched too).
        verify(analyze, ["./wamp-metad@shard1.service", "./wamp-router.service"], cwd=unitdir)
        print("systemd-analyze verify: wamp-metad@shard1.service, wamp-router.service: nothing to report")

        # The check the unit runs before start passes on the example config with the secret as a credential.
        creds = os.path.join(tmp, "creds")
        os.mkdir(creds)
        with open(os.path.join(creds, "wamp-metad.secret"), "w") as f:
            f.write("example-ticket\n")
        example = os.path.join(prefix, "share", "doc", "wamp-metad", "examples", "wamp-metad.conf")
        _, out, _ = run([binary, "--config", example, "--check-config"],
                        env=dict(os.environ, CREDENTIALS_DIRECTORY=creds))
        print("ExecStartPre on the example config: %s" % out.strip())

        for unit in ("wamp-metad@shard1.service", "wamp-router.service"):
            score, word, out = exposure(analyze, "./" + unit, cwd=unitdir)
            print("systemd-analyze security --offline=yes %s: %.1f %s" % (unit, score, word))
            if score > MAX_EXPOSURE:
                print(out)
                raise Failure("%s: exposure %.1f is above %.1f" % (unit, score, MAX_EXPOSURE))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(body)
