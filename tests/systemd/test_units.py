#!/usr/bin/python3
"""The systemd units as `cmake --install` writes them: `systemd-analyze verify` finds nothing to say about
wamp-metad@.service (as an instance) and wamp-router.service, and `systemd-analyze security --offline=yes`
rates each at an exposure of 2.0 or lower ("OK"). Neither needs a running systemd: this runs where systemd
is not PID 1 (containers, build machines) as well.

An active/standby pair as docs/operations.md sets it up: two instances of the template (wamp-metad@a,
wamp-metad@b) pass `systemd-analyze verify` together, and each instance's ExecStartPre= (the unit's own line,
%i expanded, /etc/wamp-metad/ and the LoadCredential= secret moved to a temp dir) accepts its config file with
the same realms and `standby = true`, as it accepts the example config with its `# standby = true` line
uncommented; a file with `standby = maybe` fails that check with exit code 2 and a message naming the key.
"""

import os
import re
import shutil
import tempfile

from sdcommon import Failure, check, exposure, install, main, tool, verify, run

MAX_EXPOSURE = 2.0

PAIR_CONF = """# wamp-metad@%(name)s: one of an active/standby pair (docs/operations.md, "Active and standby")
router = rs://127.0.0.1:8081
realm = realm1
realm = realm2
standby = %(standby)s
metrics = 127.0.0.1:%(port)d
"""


def unit_line(unit, key):
    """The value of the one `key=` line of a unit file."""
    values = re.findall(r"^%s=(.*)$" % re.escape(key), unit, re.M)
    check(len(values) == 1, "the unit has %d %s= lines, expected one: %r" % (len(values), key, values))
    return values[0]


def check_start_pre(unit, instance, etc, text):
    """Writes /etc/wamp-metad/INSTANCE.conf (and its secret) under `etc` and runs the instance's ExecStartPre=
    as systemd would, the secret handed over as a credential. Returns (exit code, stdout + stderr)."""
    with open(os.path.join(etc, instance + ".conf"), "w") as f:
        f.write(text)
    with open(os.path.join(etc, instance + ".secret"), "w") as f:
        f.write("ticket-%s\n" % instance)

    def expand(value):
        return value.replace("%i", instance).replace("/etc/wamp-metad/", etc + "/")

    name, source = expand(unit_line(unit, "LoadCredential")).split(":", 1)
    creds = os.path.join(etc, "creds-" + instance)
    os.makedirs(creds, exist_ok=True)
    shutil.copy(source, os.path.join(creds, name))
    argv = expand(unit_line(unit, "ExecStartPre")).split()
    code, out, err = run(argv, ok_codes=(0, 2), env=dict(os.environ, CREDENTIALS_DIRECTORY=creds))
    return code, out + err


def check_pair(analyze, unitdir, metad, example, tmp):
    """An active/standby pair: wamp-metad@a and wamp-metad@b, the same realms, standby = true in both."""
    verify(analyze, ["./wamp-metad@a.service", "./wamp-metad@b.service"], cwd=unitdir)
    print("systemd-analyze verify: wamp-metad@a.service, wamp-metad@b.service: nothing to report")
    etc = os.path.join(tmp, "etc")
    os.mkdir(etc)
    for instance, port in (("a", 9464), ("b", 9465)):
        code, out = check_start_pre(metad, instance, etc, PAIR_CONF % dict(name=instance, standby="true", port=port))
        check(code == 0 and "configuration OK" in out,
              "ExecStartPre of wamp-metad@%s refused standby = true (exit %d):\n%s" % (instance, code, out))
        print("wamp-metad@%s ExecStartPre, realm1 + realm2, standby = true: exit 0, %s" % (instance, out.strip()))

    # The example config documents the key, commented out: uncommented, it is a valid file.
    text = open(example).read()
    check("\n# standby = true\n" in text, "the example config has no '# standby = true' line")
    code, out = check_start_pre(metad, "example", etc, text.replace("\n# standby = true\n", "\nstandby = true\n"))
    check(code == 0, "the example config with 'standby = true' uncommented fails the check (exit %d):\n%s"
          % (code, out))
    print("the example config with 'standby = true' uncommented: exit 0")

    code, out = check_start_pre(metad, "b", etc, PAIR_CONF % dict(name="b", standby="maybe", port=9465))
    check(code == 2, "ExecStartPre of wamp-metad@b exited %d on standby = maybe, expected 2:\n%s" % (code, out))
    check(re.search(r"'maybe'.*'standby'", out),
          "ExecStartPre of wamp-metad@b on standby = maybe does not say what is wrong:\n%s" % out)
    print("wamp-metad@b ExecStartPre, standby = maybe: exit 2, %s" % out.strip().splitlines()[0])


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

        check_pair(analyze, unitdir, metad, example, tmp)

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
