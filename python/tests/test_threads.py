"""run_async, join, and tasks started from many Python threads at once:
the fork happens holding the GIL, and the child never inherits a lock that
another thread held."""
import logging
import os
import signal
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


def test_async_runs_leave_threading_no_threads_that_are_gone():
    """Each run_async's collector (a C thread) became a dummy thread of
    threading's to fork, which CPython keeps for ever: active_count() grew
    with every run while /proc/self/task held one thread."""
    before = threading.active_count()
    for _ in range(3):
        tasks = [FunctionTask(helpers.add, n) for n in range(8)]
        for t in tasks:
            t.run_async()
        assert [t.join() for t in tasks] == list(range(8))
    assert threading.active_count() == before, threading.enumerate()
    assert not [t for t in threading.enumerate() if isinstance(t, threading._DummyThread)]


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


@pytest.mark.parametrize("timeout, error, words", [
    ("x", ValueError, "join\\(timeout='x'\\): not a time"),
    (float("nan"), ValueError, "0 or more seconds"),
    (-1, ValueError, "0 or more seconds; None waits"),
    (True, TypeError, "not a bool"),
    ([1], TypeError, "not a list"),
])
def test_join_s_timeout_is_checked(timeout, error, words):
    # 'x' failed comparing a str with an int, nan waited not at all and
    # said "after nan s", -1 (C's "no end") returned at once.
    t = FunctionTask(helpers.sleep, 0.3)
    t.run_async()
    with pytest.raises(error, match=words):
        t.join(timeout=timeout)
    assert t.join(timeout="5s") == 0.3


def test_join_takes_text_a_timedelta_and_no_end():
    import datetime
    t = FunctionTask(helpers.sleep, 0.3)
    t.run_async()
    with pytest.raises(TimeoutError, match="after 0.05 s"):
        t.join(timeout="50ms")
    with pytest.raises(TimeoutError):
        t.join(timeout=datetime.timedelta(milliseconds=20))
    assert t.join(timeout=float("inf")) == 0.3


def test_a_task_running_in_another_thread_s_run_says_so():
    # It said "(run_async); join() it first", and join() then said the task
    # was not started with run_async.
    task = FunctionTask(helpers.sleep, 0.6)
    runner = threading.Thread(target=task.run)
    runner.start()
    time.sleep(0.3)
    for call in (task.run, lambda: task.configure(timeout=1)):
        with pytest.raises(RuntimeError, match="run\\(\\) in another thread"):
            call()
    runner.join()
    task.run_async()
    with pytest.raises(RuntimeError, match="run_async.*join"):
        task.run()
    task.join()


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


def _fork_and_start_one(hung):
    """os.fork from this thread; the child runs one function task and ends
    with 0 when it gave 5.  A child still there after 8 s is counted in
    `hung` and killed."""
    pid = os.fork()
    if pid == 0:
        try:
            code = 0 if FunctionTask(helpers.add, 2, 3).configure(timeout=5).run() == 5 else 3
        except BaseException:
            code = 4
        os._exit(code)
    deadline = time.monotonic() + 8
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            hung.append(pid)
            return None
        time.sleep(0.01)


def test_a_child_of_os_fork_starts_a_task_while_other_threads_start_theirs():
    """A child of os.fork inherits every lock another thread held at the
    fork: cordon's fork gate (a collector holds it while it waits for the
    GIL, which the forking thread holds) and the lock of the runs going on
    (a starting thread's).  Its first task then waited forever: about one
    child in three here, under three starters and a spinner."""
    stop = threading.Event()

    def starter():
        while not stop.is_set():
            t = FunctionTask(helpers.add, 1, 2).configure(timeout=5)
            t.run_async()
            t.join()

    def spinner():
        n = 0
        while not stop.is_set():
            n += 1

    threads = [threading.Thread(target=starter) for _ in range(3)]
    threads.append(threading.Thread(target=spinner))
    for th in threads:
        th.start()
    hung, codes = [], []
    try:
        for _ in range(20):
            codes.append(_fork_and_start_one(hung))
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert not hung
    assert codes == [0] * 20


def test_a_child_of_os_fork_that_ends_leaves_the_parents_task_running():
    """threading's exit hooks run in a child of os.fork that ends as the
    interpreter does, and cordon's cancelled every run it had copied from
    the parent, through the parent's own cancel pipe: the parent's task
    ended Cancelled."""
    t = FunctionTask(helpers.sleep, 1).configure(timeout=10)
    t.run_async()
    time.sleep(0.2)
    pid = os.fork()
    if pid == 0:
        try:
            threading._shutdown()  # the first thing the interpreter's exit does
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert t.join() == 1
    with cordon.Executor(max_workers=1) as ex:
        future = ex.submit(helpers.sleep, 1)
        time.sleep(0.2)
        pid = os.fork()
        if pid == 0:
            try:
                threading._shutdown()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert future.result() == 1


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
