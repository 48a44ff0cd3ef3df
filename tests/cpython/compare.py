#!/usr/bin/python3
"""Runs a few of CPython's own test modules bare and under cordon's default
policy, and fails when any test's verdict differs: a policy change that
breaks ordinary programs (sessions, ptys, subprocesses, files, sockets,
signals) shows up here.

Each module runs in-process (`python3 -m test MODULE`, not -j) with a JUnit
report; both runs are made as the same user (nobody when run as root,
since cordon run then runs its task as nobody), so that only the policy
differs.  Debian's libpython3.11-testsuite provides the modules.

    tests/cpython/compare.py --cordon build/cordon [MODULE ...]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

PYTHON = "/usr/bin/python3"

# (module, -m patterns: class or test names): quick modules, and quick subsets of the slow ones,
# that exercise what the shipped policies decide about.
MODULES = [
    ("test_pty", []),
    ("test_tempfile", []),
    ("test_tarfile", []),
    ("test_shutil", []),
    ("test_posix", []),
    ("test_select", []),
    ("test_os", []),
    ("test_subprocess", ["*session*", "*pgid*", "*pgroup*", "test_call*", "*devnull*",
                         "test_communicate*"]),
    ("test_socket", ["GeneralModuleTests", "BasicUDPTest", "BasicTCPTest"]),
    ("test_signal", ["PosixTests", "WakeupFDTests", "test_itimer_real"]),
]

NOBODY = 65534

# Verdicts that differ by cordon's design, each with the verdict expected
# under cordon and why; any other difference, or this one turned into
# another, still fails.
EXPECTED = {
    "test.test_os.MakedirTests.test_exist_ok_s_isgid_directory": (
        "skipped", "every task's filter refuses a set-gid mode, on a directory too (a filter "
        "cannot tell it from a file): README, Threat model, set-uid or set-gid programs"),
}


def verdicts(report):
    """{test id: verdict} from a JUnit report."""
    out = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "?")
        if case.get("classname"):
            name = "%s.%s" % (case.get("classname"), name)
        verdict = "ok"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                verdict = child.tag
        out[name] = verdict
    return out


def run(prefix, module, patterns, workdir, label):
    report = os.path.join(workdir, "%s-%s.xml" % (module, label))
    argv = prefix + [PYTHON, "-m", "test", module, "--junit-xml", report]
    for p in patterns:
        argv += ["-m", p]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    took = time.monotonic() - start
    if not os.path.exists(report):
        return None, took, proc.stdout.decode(errors="replace")
    return verdicts(report), took, proc.stdout.decode(errors="replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cordon", default="build/cordon")
    parser.add_argument("--policy", default="default")
    parser.add_argument("modules", nargs="*")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(os.path.dirname(os.__file__), "test", "test_pty.py")):
        print("test-cpython: CPython's test modules are missing "
              "(Debian's libpython3.11-testsuite)", file=sys.stderr)
        return 2
    cordon = os.path.abspath(args.cordon)
    as_root = os.geteuid() == 0
    bare = (["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
            if as_root else [])
    confined = [cordon, "run", "--quiet", "--policy", args.policy, "--"]
    chosen = [m for m in MODULES if not args.modules or m[0] in args.modules]
    workdir = tempfile.mkdtemp(prefix="cordon-cpython-")
    os.chmod(workdir, 0o777)
    differences = 0
    try:
        for module, patterns in chosen:
            base, t_bare, out_bare = run(bare, module, patterns, workdir, "bare")
            mine, t_cordon, out_cordon = run(confined, module, patterns, workdir, "cordon")
            if base is None or mine is None:
                print("%-16s no report (%s)" % (module, "bare" if base is None else "cordon"))
                print((out_bare if base is None else out_cordon)[-3000:])
                differences += 1
                continue
            diff = sorted(k for k in set(base) | set(mine) if base.get(k) != mine.get(k))
            expected = [k for k in diff if k in EXPECTED and mine.get(k) == EXPECTED[k][0]]
            diff = [k for k in diff if k not in expected]
            print("%-16s %4d tests, bare %5.1fs, under cordon %5.1fs: %s" % (
                module, len(base), t_bare, t_cordon,
                "same verdicts" if not diff else "%d differ" % len(diff)))
            for k in expected:
                print("    %s: bare %s, under cordon %s, as designed: %s" % (
                    k, base.get(k, "absent"), mine[k], EXPECTED[k][1]))
            for k in diff:
                print("    %s: bare %s, under cordon %s" % (k, base.get(k, "absent"),
                                                          mine.get(k, "absent")))
            differences += len(diff)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("test-cpython: %s" % ("every verdict the same" if not differences
                                else "%d verdicts differ" % differences))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
