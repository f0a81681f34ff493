"""Helpers shared by the tests in tests/systemd (standard library only; Debian's /usr/bin/python3).

The build tree and the tools come from ctest's environment (tests/systemd/CMakeLists.txt):
WAMP_METAD_BUILD_DIR, WAMP_METAD_CMAKE, WAMP_METAD_CPACK, WAMP_METAD_SYSTEMD_ANALYZE, WAMP_METAD_DPKG_DEB.
A missing tool fails the test with the Debian package that has it; nothing is skipped.
"""

import os
import re
import subprocess
import sys

TOOLS = {
    "WAMP_METAD_CMAKE": "cmake",
    "WAMP_METAD_CPACK": "cmake",
    "WAMP_METAD_SYSTEMD_ANALYZE": "systemd",
    "WAMP_METAD_DPKG_DEB": "dpkg",
}


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def tool(var):
    path = os.environ.get(var, "")
    if not path or path.endswith("-NOTFOUND") or not os.access(path, os.X_OK):
        raise Failure("%s is not set or not executable (%r): install the Debian package '%s' (deploy/setup) and "
                      "re-run cmake" % (var, path, TOOLS.get(var, "?")))
    return path


def build_dir():
    d = os.environ.get("WAMP_METAD_BUILD_DIR", "")
    check(d and os.path.isfile(os.path.join(d, "cmake_install.cmake")),
          "WAMP_METAD_BUILD_DIR (%r) is not a configured build tree" % d)
    return d


def run(argv, ok_codes=(0,), env=None, timeout=120):
    """Runs argv; returns (code, stdout, stderr); fails on an unexpected exit code, showing both outputs."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode not in ok_codes:
        raise Failure("%s exited %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


def install(prefix, component=None):
    argv = [tool("WAMP_METAD_CMAKE"), "--install", build_dir(), "--prefix", prefix]
    if component:
        argv += ["--component", component]
    run(argv)


def exposure(analyze, unit, cwd=None, root=None):
    """`systemd-analyze security --offline=yes` of a unit file: (score, full output)."""
    argv = [analyze, "security", "--offline=yes", "--no-pager"]
    if root:
        argv.append("--root=" + root)
    argv.append(unit)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=cwd, timeout=60)
    out = p.stdout + p.stderr
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\S+)", out)
    if p.returncode != 0 or not m:
        raise Failure("systemd-analyze security %s exited %d without a score:\n%s" % (unit, p.returncode, out))
    return float(m.group(1)), m.group(2), out


def verify(analyze, units, cwd=None, root=None):
    """`systemd-analyze verify`: must exit 0 and print nothing (warnings about unknown keys count)."""
    argv = [analyze, "verify", "--no-pager"]
    if root:
        argv.append("--root=" + root)
    argv += units
    env = dict(os.environ, SYSTEMD_LOG_COLOR="0")
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=cwd, env=env, timeout=60)
    out = (p.stdout + p.stderr).strip()
    if p.returncode != 0 or out:
        raise Failure("systemd-analyze verify %s exited %d:\n%s" % (" ".join(units), p.returncode, out))


def main(body):
    try:
        body()
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    print("PASS")
    sys.exit(0)
