#!/usr/bin/python3
"""Installing and packaging from the build tree that tests/run built:

- `cmake --install --prefix DIR` puts bin/wamp-metad, the units (lib/systemd/system), the docs and example
  configs (share/doc/wamp-metad) and the reference router (share/wamp-metad/router), which starts from there;
- `cpack` makes wamp-metad_*.deb (Depends from dpkg-shlibdeps: spdlog, Boost, libsystemd) and
  wamp-metad-router_*.deb (Depends: nodejs); extracted into a throwaway root (`dpkg-deb -x`), the binary runs
  and the packaged units name /usr/bin/wamp-metad and pass `systemd-analyze verify --root`.

Runs in its own temp dir; the router it starts listens on 127.0.0.1 port 0 and is stopped by pid.
"""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading

from sdcommon import Failure, check, exposure, install, main, run, tool, verify, build_dir

NODE = os.environ.get("WAMP_METAD_NODE", "")


def start_router(router_dir, tmp):
    """The installed reference router on 127.0.0.1:0; returns the first stdout line, stops it by pid."""
    check(NODE and os.access(NODE, os.X_OK), "WAMP_METAD_NODE (%r) is not node" % NODE)
    principals = os.path.join(tmp, "principals.json")
    with open(principals, "w") as f:
        json.dump({"principals": [{"authid": "metad", "authrole": "metad", "ticket": "t"}]}, f)
    proc = subprocess.Popen([NODE, os.path.join(router_dir, "router.js"), "--rawsocket", "127.0.0.1:0", "--realms",
                             "realm1", "--principals", principals], cwd=tmp, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    box = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(20)
    try:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        proc.wait(5)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    line = box[0].decode().strip() if box else ""
    check(line.startswith("ready "), "the installed router did not start (first line %r); stderr:\n%s"
          % (line, proc.stderr.read().decode("utf-8", "replace")))
    return line


def check_install(tmp):
    prefix = os.path.join(tmp, "inst")
    install(prefix)
    for rel in ("bin/wamp-metad", "lib/systemd/system/wamp-metad@.service", "lib/systemd/system/wamp-router.service",
                "lib/systemd/system/wamp-metad@.service.d/local-router.conf",
                "share/doc/wamp-metad/README.md", "share/doc/wamp-metad/operations.md",
                "share/doc/wamp-metad/examples/wamp-metad.conf", "share/doc/wamp-metad/examples/wamp-router.env",
                "share/doc/wamp-metad/examples/principals.json", "share/wamp-metad/router/router.js",
                "share/wamp-metad/router/node_modules/fox-wamp/package.json"):
        check(os.path.exists(os.path.join(prefix, rel)), "cmake --install did not install %s" % rel)
    _, out, _ = run([os.path.join(prefix, "bin", "wamp-metad"), "--version"])
    print("cmake --install --prefix DIR: %s; units, docs, examples and the router in place" % out.strip())
    line = start_router(os.path.join(prefix, "share", "wamp-metad", "router"), tmp)
    print("the installed router starts: %s" % line)


def control(deb):
    _, out, _ = run([tool("WAMP_METAD_DPKG_DEB"), "-I", deb])
    fields = dict(re.findall(r"^ ([A-Z][A-Za-z-]+): (.*)$", out, re.M))
    return fields


def check_debs(tmp):
    out_dir = os.path.join(tmp, "pkg")
    os.mkdir(out_dir)
    # CPACK_CMAKE_GENERATOR=Ninja: with it, cpack installs straight from the build tree instead of first
    # running the Makefile generator's `preinstall` target, which would rebuild everything out of date; the
    # tree is already built (tests/run builds before ctest), and a test must not build.
    run([tool("WAMP_METAD_CPACK"), "--config", os.path.join(build_dir(), "CPackConfig.cmake"), "-B", out_dir,
         "-D", "CPACK_CMAKE_GENERATOR=Ninja"], timeout=300)
    debs = sorted(glob.glob(os.path.join(out_dir, "*.deb")))
    names = [os.path.basename(d) for d in debs]
    daemon = [d for d in debs if os.path.basename(d).startswith("wamp-metad_")]
    router = [d for d in debs if os.path.basename(d).startswith("wamp-metad-router_")]
    check(len(daemon) == 1 and len(router) == 1, "cpack made %r, expected wamp-metad_*.deb and "
          "wamp-metad-router_*.deb" % names)
    daemon, router = daemon[0], router[0]

    c = control(daemon)
    depends = c.get("Depends", "")
    print("%s: %d bytes\n  Depends: %s" % (os.path.basename(daemon), os.path.getsize(daemon), depends))
    for lib in ("libspdlog", "libboost-program-options", "libsystemd0", "libprometheus-cpp-pull"):
        check(lib in depends, "%s: Depends lacks %s: %r" % (os.path.basename(daemon), lib, depends))
    rc = control(router)
    print("%s: %d bytes\n  Depends: %s" % (os.path.basename(router), os.path.getsize(router), rc.get("Depends")))
    check("nodejs" in rc.get("Depends", ""), "the router package does not depend on nodejs: %r" % rc)

    root = os.path.join(tmp, "root")
    run([tool("WAMP_METAD_DPKG_DEB"), "-x", daemon, root])
    run([tool("WAMP_METAD_DPKG_DEB"), "-x", router, root])
    _, out, _ = run([os.path.join(root, "usr", "bin", "wamp-metad"), "--version"])
    check(out.startswith("wamp-metad "), "root/usr/bin/wamp-metad --version printed %r" % out)
    print("dpkg-deb -x; root/usr/bin/wamp-metad --version: %s" % out.strip())
    unit = open(os.path.join(root, "usr", "lib", "systemd", "system", "wamp-metad@.service")).read()
    check("\nExecStart=/usr/bin/wamp-metad --config /etc/wamp-metad/%i.conf" in unit,
          "the packaged unit does not run /usr/bin/wamp-metad")
    check("/usr/share/wamp-metad/router/router.js" in
          open(os.path.join(root, "usr", "lib", "systemd", "system", "wamp-router.service")).read(),
          "the packaged router unit does not run /usr/share/wamp-metad/router/router.js")
    check(os.path.isfile(os.path.join(root, "usr", "lib", "systemd", "system", "wamp-metad@.service.d",
                                      "local-router.conf")), "the router package lacks the wamp-metad@ drop-in")
    check(os.path.isfile(os.path.join(root, "usr", "share", "wamp-metad", "router", "node_modules", "fox-wamp",
                                      "package.json")), "the router package lacks its node modules")

    analyze = tool("WAMP_METAD_SYSTEMD_ANALYZE")
    # Inside the extracted root the packaged paths (/usr/bin/wamp-metad) resolve. The root gets the host's
    # .target units (sysinit.target and the like, from the systemd package) for the default dependencies.
    unitdir = os.path.join(root, "usr", "lib", "systemd", "system")
    targets = glob.glob("/usr/lib/systemd/system/*.target") or glob.glob("/lib/systemd/system/*.target")
    check(targets, "no systemd targets on this host (Debian package systemd)")
    for t in targets:
        if not os.path.exists(os.path.join(unitdir, os.path.basename(t))):
            shutil.copy(t, unitdir)
    # ExecReload runs /bin/kill, which the package depends on (procps): the root gets the host's.
    check("procps" in depends, "the daemon package does not depend on procps (/bin/kill): %r" % depends)
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    if not os.path.exists(os.path.join(root, "bin", "kill")):
        shutil.copy("/bin/kill", os.path.join(root, "bin", "kill"))
    verify(analyze, ["wamp-metad@shard1.service"], root=root)
    score, word, _ = exposure(analyze, "wamp-metad@shard1.service", root=root)
    print("packaged wamp-metad@.service: systemd-analyze verify --root: clean; exposure %.1f %s" % (score, word))


def body():
    tmp = tempfile.mkdtemp(prefix="sdpackage-")
    try:
        check_install(tmp)
        check_debs(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(body)
