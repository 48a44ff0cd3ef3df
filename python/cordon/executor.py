"""cordon.Executor: concurrent.futures over confined children.

    with cordon.Executor(max_workers=4, timeout=10, memory="256M") as ex:
        futures = [ex.submit(parse, path) for path in paths]
        for future in concurrent.futures.as_completed(futures):
            print(future.result())          # or the task's exception, raised
        print(list(ex.map(len, ["a", "bb"], timeout=30)))

Each call is a FunctionTask (a fresh, confined child forked from this
process), with the executor's options.  Futures are
concurrent.futures.Future objects, so wait() and as_completed() take them;
a running one's cancel() kills its process tree.  Each running task's
output is drained by libcordon's own collector thread: a worker waits only
for its task's end.  At interpreter exit, what is pending is cancelled and
what runs is killed, so that exit neither hangs nor leaves a process.
"""
import concurrent.futures
import os
import queue
import threading
import time
import weakref
from concurrent.futures import _base
from typing import Any, Callable, Optional

from . import errors
from . import tasks
from .tasks import FunctionTask

__all__ = ["Executor", "Future", "usable_cpus"]

_exiting = False
_live_pools = weakref.WeakSet()


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Future(concurrent.futures.Future):
    """The future of one call; ``task`` is its FunctionTask, whose std_out,
    std_err, log_out, exc_out and usage are readable once it is done."""

    task: FunctionTask

    def __init__(self, task: FunctionTask) -> None:
        super().__init__()
        self.task = task
        # Reentrant: a signal handler's cancel on the thread holding it
        # (a storm of SIGTERM handlers calling shutdown) waited for itself.
        self._kill_lock = threading.RLock()
        self._kill_requested = False
        self._settled = threading.Event()
        # A child of os.fork holds a copy: the call is its parent's, and
        # so is the worker that settles it (_Pool.owner).
        self._owner = os.getpid()

    def cancel(self) -> bool:
        """A pending call never runs: True.  A running one is killed (its
        whole process tree) and waited for until it is reaped: True when
        the kill ended it (the future is then cancelled), False when it had
        finished first.  A done future: False (True if cancelled)."""
        if super().cancel():
            return True
        if not self._request_kill():
            return self.cancelled()
        self._settled.wait()
        return self.cancelled()

    def _request_kill(self):
        """Kills the running call without waiting; False when it is not
        running.  The worker checks the request under the same lock before
        it starts the child, so a request is never lost."""
        if self._owner != os.getpid():
            return False
        with self._kill_lock:
            if not self.running():
                return False
            self._kill_requested = True
            self.task.cancel()
            return True

    def _stop(self):
        """Ends the call whatever it is doing: cancelled if it has not
        started (a worker took it from the queue but has not marked it
        running: close() passed it by, and it then ran to its end while
        the interrupted wait waited for it), killed if it runs."""
        while not self.done() and self._owner == os.getpid():
            if self._request_kill() or self.cancel():
                return

    def _cancelled_while_running(self):
        # concurrent.futures goes from RUNNING only to FINISHED; this does
        # what cancel() and set_running_or_notify_cancel() do for a pending
        # future, so that result(), wait() and as_completed() see it
        # cancelled.
        with self._condition:
            self._state = _base.CANCELLED_AND_NOTIFIED
            for waiter in self._waiters:
                waiter.add_cancelled(self)
            self._condition.notify_all()
        self._invoke_callbacks()


def _run(future):
    """Runs one future's task on a worker thread and settles the future."""
    try:
        if not future.set_running_or_notify_cancel():
            return
        task = future.task
        with future._kill_lock:
            task._begin()
            if future._kill_requested:
                task.cancel()
        try:
            ok, value = task._attempt()
            task.attempts = 1
        except BaseException as error:  # cordon could not run it
            ok, value = False, error
        finally:
            task._end()
        if ok:
            future.set_result(value)
        elif isinstance(value, errors.Cancelled) and future._kill_requested:
            future._cancelled_while_running()
        else:
            future.set_exception(value)
    finally:
        future._settled.set()


def _drop(future):
    """Cancels a call that never started."""
    future.cancel()
    # Notifies wait() and as_completed() of it, as a worker would.
    future.set_running_or_notify_cancel()


class _Pool:
    """The queue and worker threads of one executor.  Workers hold this,
    not the executor, so that an executor dropped without shutdown() is
    collected (and shut down)."""

    def __init__(self, max_workers, name):
        self.max_workers = max_workers
        self.name = name
        self.queue = queue.SimpleQueue()
        # Reentrant: a signal handler that shuts the executor down runs on
        # the thread that may hold it (in put), and waited for itself.
        self.lock = threading.RLock()
        self.threads = set()
        self.running = set()
        self.queued = 0  # futures in the queue, for the executor's repr
        # Released by a worker each time it is free again, as
        # ThreadPoolExecutor counts its idle workers.
        self.idle = threading.Semaphore(0)
        self.closed = False
        self.killing = False
        # The process whose workers these are: a child of os.fork has none
        # of them, and its copy's calls are its parent's (a child leaving
        # the executor's with-block on an exception killed the parent's
        # running call; a shutdown waited for ever for the copy's).
        self.owner = os.getpid()
        _live_pools.add(self)

    def _inherited(self):
        """This process is a forked copy of the one whose workers these are."""
        return self.owner != os.getpid()

    def put(self, future):
        if self._inherited():
            raise RuntimeError("the executor's workers are another process's (this one was "
                               "forked from it): make an executor here")
        with self.lock:
            if self.closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if _exiting:
                raise RuntimeError("cannot schedule new futures after interpreter shutdown")
            self.queue.put(future)
            self.queued += 1
            if self.idle.acquire(timeout=0) or len(self.threads) >= self.max_workers:
                return
            thread = threading.Thread(target=self._work, name=f"{self.name}_{len(self.threads)}")
            thread.start()
            self.threads.add(thread)

    def _work(self):
        while True:
            future = self.queue.get()
            if future is None:
                self.queue.put(None)  # wakes the next worker
                return
            with self.lock:
                self.queued -= 1
                # close() kills what is in `running`: one taken from the
                # queue after it must not start.
                killing = self.killing
                if not killing:
                    self.running.add(future)
            if killing:
                _drop(future)  # outside the lock: its callbacks may submit
                continue
            try:
                _run(future)
            finally:
                with self.lock:
                    self.running.discard(future)
            del future
            self.idle.release()

    def close(self, cancel_futures, cancel_running):
        """No more submissions; optionally drops the queued calls and kills
        the running ones (without waiting for them)."""
        if self._inherited():
            self.closed = True
            return
        with self.lock:
            self.closed = True
            self.killing = self.killing or cancel_running
            running = list(self.running) if cancel_running else []
        if cancel_futures:
            self._drop_queued()
        for future in running:
            future._stop()
        self.queue.put(None)

    def _drop_queued(self):
        while True:
            try:
                future = self.queue.get_nowait()
            except queue.Empty:
                return
            if future is not None:
                with self.lock:
                    self.queued -= 1
                _drop(future)

    def join(self):
        if self._inherited():
            return
        for thread in list(self.threads):
            if thread is not threading.current_thread():
                thread.join()

    def wait_for_running(self):
        """Until each running call has settled: after a join() that an
        exception interrupted, which Python 3.11's Thread.join may leave
        saying at once, and for good, that the thread has ended."""
        if self._inherited():
            return
        with self.lock:
            running = list(self.running)
        for future in running:
            future._settled.wait()


class Executor(concurrent.futures.Executor):
    """Executor(max_workers=None, **options): runs each submitted call as a
    cordon FunctionTask, at most max_workers at once (default: the usable
    CPUs), each with `options` (timeout, memory, processes, policy, trust,
    …: those of FunctionTask.configure; checked here)."""

    def __init__(self, max_workers: Optional[int] = None, **options: Any) -> None:
        if max_workers is None:
            max_workers = usable_cpus()
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers <= 0:
            raise ValueError(f"max_workers={max_workers!r}: must be an int greater than 0")
        # A mistake in an option shows now, not in every future.
        if "trust" in options:  # a generator, used once, for every call
            options["trust"] = tasks._check_trust(options["trust"])
        FunctionTask(usable_cpus).configure(**options)._make()
        self._options = dict(options)
        self._max_workers = max_workers
        self._pool = _Pool(max_workers, f"cordon.Executor-{id(self):x}")
        weakref.finalize(self, _Pool.close, self._pool, False, False)

    def __repr__(self):
        pool = self._pool
        with pool.lock:
            state = (f"max_workers={self._max_workers} running={len(pool.running)} "
                     f"queued={pool.queued}{' shut down' if pool.closed else ''}")
        return f"<cordon.Executor {state}>"

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future":
        """Schedules fn(*args, **kwargs) in a confined child: a Future."""
        task = FunctionTask(fn, *args, **kwargs).configure(**self._options)
        task._refuse_here()  # on the thread that will wait for it
        future = Future(task)
        self._pool.put(future)
        return future

    def map(self, fn: Callable[..., Any], *iterables: Any, timeout: Optional[float] = None,
            chunksize: int = 1):
        """As concurrent.futures' map: the results in order.  Its timeout
        kills the calls still running (as KeyboardInterrupt does); any other
        early end of the iteration (a call's exception, a break, the
        iterator dropped) only drops the calls not yet started, as the
        standard executors do: the running ones finish."""
        del chunksize  # each call is a child of its own
        end_time = None if timeout is None else timeout + time.monotonic()
        futures = [self.submit(fn, *args) for args in zip(*iterables)]

        def results():
            kill = False
            try:
                futures.reverse()
                while futures:
                    future = futures.pop()
                    try:
                        left = None if end_time is None else end_time - time.monotonic()
                        result = future.result(left)
                    except (concurrent.futures.TimeoutError, KeyboardInterrupt):
                        kill = True
                        future.cancel()
                        raise
                    yield result
            finally:
                for future in futures:
                    if kill:
                        future.cancel()
                    else:
                        concurrent.futures.Future.cancel(future)
        return results()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False,
                 cancel_running: bool = False) -> None:
        """No more submissions.  cancel_futures drops the calls not yet
        started (their futures are cancelled); cancel_running kills the
        running ones (cancelled too, unless they finished first).  With
        wait, returns once every worker is done; an exception while it
        waits (a KeyboardInterrupt) cancels the pending calls and kills the
        running ones before it goes on: the wait at the end of a `with`
        block is where a Ctrl-C most often lands, and it left the running
        call's tree alive and started the queued calls after it."""
        self._pool.close(cancel_futures, cancel_running)
        if wait:
            try:
                self._pool.join()
            except BaseException:
                self._pool.close(True, True)
                self._pool.wait_for_running()
                raise

    def __exit__(self, exc_type, exc_value, traceback):
        # An exception leaving the block (KeyboardInterrupt, a failed
        # check) must not wait for tasks that may never end.
        failing = exc_type is not None
        self.shutdown(wait=True, cancel_futures=failing, cancel_running=failing)
        return False


def _at_exit():
    """Before the interpreter joins its threads: the workers' tasks are
    killed so that they end, rather than the exit waiting for them."""
    global _exiting
    _exiting = True
    pools = list(_live_pools)
    for pool in pools:
        pool.close(cancel_futures=True, cancel_running=True)
    for pool in pools:
        pool.join()


threading._register_atexit(_at_exit)


def _forget_the_parents_pools():
    """In a child of os.fork: the pools are the parent's, their workers
    did not come along, and their tasks' cancel pipes are the parent's:
    the child's exit must not cancel them."""
    global _live_pools
    _live_pools = weakref.WeakSet()


os.register_at_fork(after_in_child=_forget_the_parents_pools)
