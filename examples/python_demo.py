"""make demo, third part: cordon.tasks from Python."""
import ctypes
import logging
import os
import threading
import time

import cordon
from cordon.tasks import FunctionTask, ShellCommand


class ServerError(Exception):
    pass


def parse(path):
    print("parsing", path)
    logging.info("opened %s", path)
    if not path.endswith(".json"):
        raise ServerError(f"{path} is not JSON")
    return {"path": path, "records": 42}


def crash():
    print("about to dereference NULL")
    ctypes.string_at(0)


def spin():
    while True:
        pass


def hog():
    blocks = []
    while True:
        blocks.append(bytearray(16 << 20))


def step(title):
    print(f"\n== {title}")


step("a function in a confined child: its value, output and log come back")
task = FunctionTask(parse, "data.json").configure(timeout=2, memory="256M")
print("   returns:", task.run())
print("   std_out:", task.std_out.strip(), "| log_out:", task.log_out.strip())
print(f"   usage: wall {task.usage.wall * 1000:.1f} ms, peak rss {task.usage.max_rss_kb} KiB")

step("its exception is raised again in the caller, as its own class")
try:
    FunctionTask(parse, "data.txt").run()
except ServerError as e:
    print("   ServerError:", e)

step("a crash is an exception with a report; the caller lives on")
try:
    FunctionTask(crash).run()
except cordon.SIGSEGV as e:
    # The report's head and the innermost frame of its backtrace.
    print("  ", "\n   ".join(e.exc_out.splitlines()[:5] + ["  ..."]))

for title, fn, options, cls in [
        ("an endless loop under a deadline", spin, {"timeout": 0.3}, cordon.Timeout),
        # MemoryLimit with a memory cgroup; under RLIMIT_AS the task's own MemoryError.
        ("a memory hog under a memory limit", hog, {"memory": "128M"}, MemoryError),
        ("a socket under the nonet-kill policy", lambda: __import__("socket").socket(),
         {"policy": "nonet-kill"}, cordon.PolicyViolation)]:
    step(title)
    try:
        FunctionTask(fn).configure(**options).run()
    except cls as e:
        # The task's own MemoryError carries no message of its own.
        print(f"   {type(e).__name__}: {str(e) or 'raised in the task: its allocation failed under the limit'}")

step("8 tasks at once with run_async; the GIL stays free while they run")
tasks = [FunctionTask(pow, 2, n) for n in range(8)]
for t in tasks:
    t.run_async()
results = [t.join() for t in tasks]
threads = threading.active_count()
print("   ", results, f"({threads} thread{'' if threads == 1 else 's'} of this process left)")

step("concurrent.futures: cordon.Executor; a running call's cancel() kills it")
with cordon.Executor(max_workers=2, timeout=10) as ex:
    print("   ", list(ex.map(pow, [2] * 6, range(6))))
    stuck = ex.submit(spin)
    time.sleep(0.3)
    print("    cancel() of a call in an endless loop:", stuck.cancel(),
          "| cancelled:", stuck.cancelled())

step("a shell command")
ls = ShellCommand("ls -lG / | head -4", timeout=5).run()
print("  ", "\n   ".join(ls.std_out.splitlines()), f"\n   exit status {ls.exit_code}")
print(f"\n(pid {os.getpid()} ran all of this and is still here)")
