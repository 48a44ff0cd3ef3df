"""run_async, join, and tasks started from many Python threads at once:
the fork happens holding the GIL, and the child never inherits a lock that
another thread held."""
import logging
import sys
import threading
import time

import pytest

import cordon
from cordon.tasks import FunctionTask, TaskThread

import helpers


def test_run_async_returns_a_thread_and_join_gives_the_value():
    t = FunctionTask(helpers.chatty, 4)
    handle = t.run_async()
    assert isinstance(handle, TaskThread) and isinstance(handle, threading.Thread)
    assert t.join() == 8
    assert t.std_out == "out 4\n"
    assert not t.is_alive()


def test_join_raises_the_tasks_exception():
    t = FunctionTask(helpers.raise_server_error, "late")
    t.run_async()
    with pytest.raises(helpers.ServerError, match="late"):
        t.join()


def test_join_with_a_timeout_while_it_runs():
    t = FunctionTask(helpers.sleep, 0.5)
    t.run_async()
    with pytest.raises(TimeoutError, match="still running"):
        t.join(timeout=0.05)
    with pytest.raises(RuntimeError, match="running"):
        t.run()
    assert t.join() == 0.5


def test_the_gil_is_free_while_a_task_runs():
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        t = FunctionTask(helpers.spin).configure(timeout=0.4)
        t.run_async()
        with pytest.raises(cordon.Timeout):
            t.join()
        # run() releases it too
        with pytest.raises(cordon.Timeout):
            FunctionTask(helpers.spin).configure(timeout=0.3).run()
    finally:
        stop.set()
        counter.join()
    assert len(ticks) > 100


def test_eight_threads_start_tasks_at_once():
    barrier = threading.Barrier(8)
    results, failures = {}, []

    def worker(i):
        try:
            barrier.wait()
            for round_ in range(5):
                t = FunctionTask(helpers.chatty, i * 100 + round_).configure(timeout=20)
                results[(i, round_)] = (t.run(), t.std_out)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not failures
    assert len(results) == 40
    for (i, round_), (value, out) in results.items():
        assert value == 2 * (i * 100 + round_)
        assert out == f"out {i * 100 + round_}\n"


def test_many_starts_from_eight_threads_never_hang_a_child():
    """Each start forks from a collector thread that makes itself a Python
    thread state while the others fork: a child forked while a state was
    being made once waited forever for the interpreter's list lock (about
    one task in 2,000).  Each task here would end as a Timeout."""
    barrier = threading.Barrier(8)
    values, failures = [], []

    def worker(i):
        try:
            barrier.wait()
            for n in range(40):
                t = FunctionTask(helpers.add, i * 1000 + n, i * 1000 + n).configure(timeout=5)
                t.run_async()
                values.append(t.join())
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not failures
    assert sorted(values) == sorted(2 * (i * 1000 + n) for i in range(8) for n in range(40))


def test_eight_async_tasks_at_once_from_eight_threads():
    tasks = [FunctionTask(helpers.fib, 18).configure(timeout=20) for _ in range(8)]
    barrier = threading.Barrier(8)

    def start(t):
        barrier.wait()
        t.run_async()

    starters = [threading.Thread(target=start, args=(t,)) for t in tasks]
    for s in starters:
        s.start()
    for s in starters:
        s.join()
    assert [t.join() for t in tasks] == [2584] * 8


def test_no_deadlock_on_locks_other_threads_hold_at_the_fork():
    """Other threads print and log without pause while tasks fork: the
    stdout buffer's lock, the logging lock and the import lock may be held
    at any fork, and the child must still print, log and import."""
    stop = threading.Event()
    logger = logging.getLogger("cordon.busy")

    def noisy():
        while not stop.is_set():
            sys.stdout.write("")
            print("", end="", file=sys.stderr)
            logger.debug("busy")

    def task():
        import json  # the import lock
        print("child prints")
        logging.info("child logs")
        return json.dumps([1])

    threads = [threading.Thread(target=noisy) for _ in range(3)]
    for th in threads:
        th.start()
    try:
        for _ in range(30):
            t = FunctionTask(task).configure(timeout=10)
            assert t.run() == "[1]"
            assert t.std_out == "child prints\n"
            assert t.log_out == "INFO:root:child logs\n"
    finally:
        stop.set()
        for th in threads:
            th.join()
