"""make bench, Python part: FunctionTask.run() against the ways Python
programs run a function in another process, on the same function.

Every figure is per task, the median over interleaved rounds (the runners
take turns inside each round, the order rotating), and each ratio is taken
round by round against FunctionTask.run().

    CORDON_BENCH_PY_TASKS   tasks per runner per round  (default 200)
    CORDON_BENCH_ROUNDS     rounds                      (default 5)
"""
import concurrent.futures
import multiprocessing
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import cordon  # noqa: E402
from cordon.tasks import FunctionTask  # noqa: E402

TASKS = int(os.environ.get("CORDON_BENCH_PY_TASKS", "200"))
ROUNDS = int(os.environ.get("CORDON_BENCH_ROUNDS", "5"))


def work(n):
    """The function every runner runs: a little computation, a small result."""
    return sum(i * i for i in range(n))


N = 1000


def process_target(conn, n):
    conn.send(work(n))
    conn.close()


def cordon_default():
    return FunctionTask(work, N).run()


def cordon_no_policy():
    return FunctionTask(work, N).configure(policy=None).run()


def process_per_task():
    parent, child = multiprocessing.Pipe(duplex=False)
    p = multiprocessing.Process(target=process_target, args=(child, N))
    p.start()
    child.close()
    value = parent.recv()
    p.join()
    parent.close()
    return value


def main():
    ctx_method = multiprocessing.get_start_method()
    pool = multiprocessing.Pool(1)
    executor = concurrent.futures.ProcessPoolExecutor(1)
    cordon_executor = cordon.Executor(1)
    runners = {
        "FunctionTask.run(), default policy": cordon_default,
        "FunctionTask.run(), policy=None": cordon_no_policy,
        "cordon.Executor(1), submit().result()":
            lambda: cordon_executor.submit(work, N).result(),
        f"multiprocessing.Process per task ({ctx_method})": process_per_task,
        "multiprocessing.Pool(1), reused": lambda: pool.apply(work, (N,)),
        "ProcessPoolExecutor(1), reused": lambda: executor.submit(work, N).result(),
        "a plain call, in-process (the floor)": lambda: work(N),
    }
    isolation = {
        "FunctionTask.run(), default policy":
            "fresh child per task; seccomp, rlimits/cgroup, no capabilities, Landlock "
            "scope, own session; deadline; crash -> exception; caller state untouched",
        "FunctionTask.run(), policy=None": "as above without the seccomp filter",
        "cordon.Executor(1), submit().result()":
            "a FunctionTask per call, as the first; a crash fails only its future",
        f"multiprocessing.Process per task ({ctx_method})":
            "fresh process per task; same privileges, no limits, no deadline",
        "multiprocessing.Pool(1), reused":
            "one worker for all tasks: state leaks between tasks; a crash kills the "
            "worker and apply() hangs; no limits",
        "ProcessPoolExecutor(1), reused":
            "one worker for all tasks: state leaks between tasks; a crash breaks the "
            "pool (BrokenProcessPool); no limits",
        "a plain call, in-process (the floor)": "none",
    }
    expected = work(N)
    for run in runners.values():  # warm up: imports, the policy, the workers
        assert run() == expected
    times = {name: [] for name in runners}
    names = list(runners)
    for r in range(ROUNDS):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            run = runners[name]
            start = time.perf_counter()
            for _ in range(TASKS):
                run()
            times[name].append((time.perf_counter() - start) / TASKS)
    pool.close()
    executor.shutdown()
    cordon_executor.shutdown()
    base = times[names[0]]
    print(f"Python: one call of a small function ({TASKS} tasks x {ROUNDS} rounds, "
          f"Python {sys.version.split()[0]})")
    print(f"  {'runner':<48} {'per task':>10} {'cordon / it':>12}")
    for name in names:
        per_task = statistics.median(times[name])
        ratio = statistics.median(b / t for b, t in zip(base, times[name]))
        print(f"  {name:<48} {per_task * 1e6:8.0f} us {ratio:11.2f}x")
    print("  isolation:")
    for name in names:
        print(f"    {name}: {isolation[name]}")


if __name__ == "__main__":
    main()
