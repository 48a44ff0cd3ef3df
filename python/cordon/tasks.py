"""The task API: FunctionTask and ShellCommand, each run in a confined,
watched child by libcordon.

    task = FunctionTask(parse, "data.json").configure(timeout=2, memory="256M")
    records = task.run()        # the return value, or the child's exception
    task.std_out, task.std_err, task.log_out, task.exc_out, task.returns

    ls = ShellCommand("ls -lG", timeout=5).run()   # returns the task
    ls.std_out, ls.exit_code, ls.usage.max_rss_kb

Each run is a fresh child forked from this process as it is then; nothing
the task does (crash, leak, endless loop, scribbled global) reaches the
caller.  A task is run by one thread at a time; many tasks may run at once
from many threads.  task.cancel(), from any thread, kills a run going on
(its whole process tree): the waiting call raises cordon.Cancelled.
"""
import collections.abc
import dataclasses
import functools
import _imp
import os
import pickle
import re
import sys
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, TextIO, Tuple, Type, TypeVar, Union

from . import _child, _cordon, _profile, _units, _wire, errors, options as _options

__all__ = ["FunctionTask", "ShellCommand", "Usage", "Attempt", "TaskThread"]

# Room in cordon's return region for the envelope around the value.
_ENVELOPE_HEADROOM = 256 << 10
_PROFILE_HEADROOM = 32 << 20
# How much of a failed command's stderr CommandFailed's report carries.
_FAILED_STDERR_TAIL = 4096
# sys.exit's int past 64 bits, as its digits (within int()'s own limit of
# 4,300 digits).
_DIGITS = re.compile(r"-?[0-9]{1,4300}")
# The main thread waits for a run in slices, so that a signal's handler
# (KeyboardInterrupt) runs; other threads wait in one go.
_MAIN_JOIN_SLICE_MS = 100
# A command's profile runs on a thread of its own, joined in slices that
# also send a cancel the library's run had not begun to take.
_PROFILE_CANCEL_SLICE_S = 0.05

# Every task with a run going on, for the interpreter's exit to kill.
_running = weakref.WeakSet()
_running_lock = threading.RLock()


def _forget_the_parents_runs():
    """In a child of os.fork: the runs going on are the parent's (each
    task's copy shares its cancel pipe: the child's exit would cancel
    them), and a thread that held the lock at the fork (starting or ending
    a run) did not come along: the child's first run would wait for it
    forever."""
    global _running, _running_lock
    _running = weakref.WeakSet()
    _running_lock = threading.RLock()


os.register_at_fork(after_in_child=_forget_the_parents_runs)


@dataclasses.dataclass(frozen=True)
class Usage:
    """What the task's process tree used (wait4's rusage, and wall time).
    max_rss_kb is its largest process's peak (what it inherited included);
    tree_peak_kb the whole tree's peak, counted by its memory cgroup (0 when
    none counted it: see the tree_memory option)."""
    wall_us: int = 0
    user_us: int = 0
    sys_us: int = 0
    max_rss_kb: int = 0
    minflt: int = 0
    majflt: int = 0
    nvcsw: int = 0
    nivcsw: int = 0
    inblock: int = 0
    oublock: int = 0
    tree_peak_kb: int = 0

    @property
    def wall(self) -> float:
        """Seconds of wall clock."""
        return self.wall_us / 1e6

    @property
    def cpu(self) -> float:
        """Seconds of CPU, user and system."""
        return (self.user_us + self.sys_us) / 1e6


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One run of a task: the exception it ended with (the one run()
    raises; None when it returned), exit code, signal and usage.  A task's `history` holds one per run of
    its last run(), run_async() or run_and_retry(), the last one being the
    task's own figures: the CPU all the attempts used is
    sum(a.usage.cpu for a in task.history)."""
    exception: object = None
    exit_code: int = 0
    signal: int = 0
    usage: Usage = Usage()


class TaskThread(threading.Thread):
    """run_async's handle: a thread that runs the task.  The thread holds
    the GIL only to start the child and to read its result."""

    def __init__(self, task: "_Task") -> None:
        super().__init__(name=f"cordon-{type(task).__name__}", daemon=False)
        self.task = task
        self.outcome = None
        # Set once the outcome is in.  Waited on rather than the thread's
        # end: a Thread.join that a KeyboardInterrupt stopped marks the
        # thread ended while it runs (Python 3.11), and the next join read
        # an outcome not there yet (a TypeError from deep inside).
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.outcome = self.task._attempt()
        except BaseException as error:  # cordon could not run it
            self.outcome = (False, error)
        finally:
            self.task._end()
            self.done.set()

    def join(self, timeout: Optional[float] = None) -> None:
        if not self._started.is_set():
            super().join(timeout)  # RuntimeError: never started
        elif self.done.wait(timeout):
            super().join()

    def is_alive(self) -> bool:
        return (self._started.is_set() and not self.done.is_set()) or super().is_alive()


class _StreamText:
    """A stream's text, decoded from the result's bytes at its first read:
    a task's 64 MiB of undecodable bytes is 128 MiB as text (each byte a
    U+FFFD of two), held until then only as the bytes the result keeps."""

    def __set_name__(self, owner, name):
        self._slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self._slot]
        if isinstance(value, bytes):
            value = obj.__dict__[self._slot] = value.decode("utf-8", "replace")
        return value

    def __set__(self, obj, value):
        obj.__dict__[self._slot] = value


def _join_seconds(timeout):
    """join()'s timeout as the float of seconds threading waits, or None;
    join(timeout='x') had failed comparing a str with an int, nan waited
    not at all and said "after nan s"."""
    if timeout is None:
        return None
    given, timeout = timeout, _options.seconds_of(timeout)
    if isinstance(timeout, str):
        try:
            timeout = _units.parse_time_ms(timeout) / 1000.0
        except _units.TooLarge:
            return None
        except (_units.NotAUnit, _units.TooSmall):
            raise ValueError(f"join(timeout={given!r}): not a time (e.g. 500ms, 1.5s, or a "
                             f"number of seconds)") from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"join(timeout={given!r}): a number of seconds, a timedelta or text "
                        f"such as '500ms' (or None), not a {type(given).__name__}")
    if timeout != timeout or timeout < 0:
        raise ValueError(f"join(timeout={given!r}): a timeout is 0 or more seconds; None "
                         f"waits for as long as it takes")
    return None if timeout > threading.TIMEOUT_MAX else float(timeout)


_T = TypeVar("_T", bound="_Task")
_ExceptionClasses = Union[Type[BaseException], Tuple[Type[BaseException], ...]]


# The longest pause between attempts: what a thread's wait takes.
_LONGEST_PAUSE = threading.TIMEOUT_MAX


# The mechanisms that held a task, by the names the CLI's --json gives
# them (lib/cordon.h's CORDON_CONFINED_* bits, in their order).
_CONFINEMENT_NAMES = ("seccomp", "landlock", "pid_namespace", "own_proc", "user_namespace",
                      "cgroup", "network_namespace", "file_rules", "private_tmpfs",
                      "ipc_namespace", "uts_namespace", "cgroup_namespace", "bind_mounts",
                      "minimal_dev")
_LIMIT_KEYS = ("cpu_ms", "memory", "file_size", "open_files", "processes")


def _confinement_names(bits):
    return [name for i, name in enumerate(_CONFINEMENT_NAMES) if bits & (1 << i)]


def _confinement_details(raw):
    """The library's record of how the task was confined, shaped as the
    CLI's --json "confinement_details" (None where the task never ran)."""
    if raw is None:
        return None
    cgroup = None
    if raw["cgroup_version"]:
        controllers = {name: raw[f"cgroup_{name}_version"] for name in ("memory", "pids")
                       if raw[f"cgroup_{name}_version"]}
        cgroup = {"version": raw["cgroup_version"], "controllers": controllers}
    return {
        "filter": raw["filter"],
        "landlock_abi": raw["landlock_abi"],
        "file_rules": [{"path": path, "access": "".join(letter for letter, bit in
                                                        _options.ACCESS_BITS.items()
                                                        if access & bit)}
                       for path, access in raw["file_rules"]],
        "binds": [{"source": source, "target": target, "read_only": read_only}
                  for source, target, read_only in raw["binds"]],
        "hostname": raw["hostname"],
        "cgroup": cgroup,
        "max_processes": raw["max_processes"] or None,
        "clamped_limits": {key: raw["held_limits"][i] for i, key in enumerate(_LIMIT_KEYS)
                           if raw["clamped_limits"] & (1 << i)},
        "uid": raw["uid"],
        "gid": raw["gid"],
    }


def _check_retry(max_retry, exception, backoff, backoff_factor, max_backoff):
    """run_and_retry's arguments, each named when wrong (a negative count
    reached an 'unreachable' assertion; a class that is none, isinstance's
    TypeError only when the task failed); the pauses in seconds."""
    if isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0:
        raise ValueError(f"max_retry={max_retry!r}: expected a whole number from 0")
    classes = exception if isinstance(exception, tuple) else (exception,)
    if not classes or not all(isinstance(c, type) and issubclass(c, BaseException)
                              for c in classes):
        raise TypeError(f"exception={exception!r}: expected an exception class or a tuple "
                        f"of them")
    if (isinstance(backoff_factor, bool) or not isinstance(backoff_factor, (int, float))
            or not 1 <= backoff_factor <= _FACTOR_MAX):
        # the C library's and the CLI's bounds: 5000 ran here and failed there
        raise ValueError(f"backoff_factor={backoff_factor!r}: expected a factor from 1 to "
                         f"{_FACTOR_MAX}")
    return _pause_seconds("backoff", backoff), _pause_seconds("max_backoff", max_backoff)


# cordon_set_backoff's and --backoff's largest factor.
_FACTOR_MAX = 1000


def _pause_seconds(name, value):
    """A pause of run_and_retry in seconds: a number of seconds, or text
    read as the CLI's --backoff reads it ("100ms", "1.5s"), as timeout=
    is; from 0 to what a wait takes."""
    given, value = value, _options.seconds_of(value)
    if isinstance(value, str):
        try:
            value = _units.parse_time_ms(value) / 1000.0
        except _units.NotAUnit:
            raise ValueError(f"{name}={given!r}: not a time (e.g. 100ms, 1.5s, or a number "
                             f"of seconds)") from None
        except _units.TooSmall:
            raise ValueError(f"{name}={given!r}: is below cordon's 1 ms resolution") from None
        except _units.TooLarge:
            value = float("inf")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name}={given!r}: expected seconds from 0")
    # As the text "0.5ms" is, and as the C library's and the CLI's whole
    # milliseconds have it: 0.0005 had been taken while "0.5ms" was not.
    if 0 < value < 0.001:
        raise ValueError(f"{name}={given!r}: is below cordon's 1 ms resolution")
    # Every pause is at most max_backoff; one longer than a wait takes
    # (infinity too) raised OverflowError only after the first attempt
    # had failed.
    if name == "max_backoff" and value > _LONGEST_PAUSE:
        raise ValueError(f"{name}={given!r}: expected seconds from 0 to "
                         f"{_LONGEST_PAUSE:.0f}")
    # The first pause, longer than any wait: max_backoff cuts each pause
    # anyway, and an int past a float's range (10**400) raised
    # OverflowError when it was multiplied, after a pause of max_backoff.
    return float(min(value, _LONGEST_PAUSE))


def _check_trust(trust):
    """trust= is True, or classes and module names: a bare string would be
    read letter by letter as module names, and an int failed only when the
    task's value came back (ReturnError).  The classes and names are
    returned as a tuple: a generator given was used up by this check, and
    the run then trusted nothing."""
    if trust is None or isinstance(trust, bool):
        return trust
    if isinstance(trust, (str, bytes)) or not isinstance(trust, collections.abc.Iterable):
        raise TypeError(f"trust={trust!r}: expected True or a list of classes and module "
                        f"names, e.g. [Point, 'mypackage.models']")
    items = tuple(trust)
    for item in items:
        if not isinstance(item, (type, str)):
            raise TypeError(f"trust={trust!r}: {item!r} is neither a class nor a module name")
    return items


class _Task:
    _allowed = _options.KNOWN
    # What a run leaves on the task (set by each run; see cordon.tasks).
    std_out: str = _StreamText()  # type: ignore[assignment]
    std_err: str = _StreamText()  # type: ignore[assignment]
    log_out: str = _StreamText()  # type: ignore[assignment]
    exc_out: str = _StreamText()  # type: ignore[assignment]
    exit_code: int
    signal: int
    exception: Optional[str]
    returns: Any
    usage: Usage
    attempts: int
    dropped: Dict[str, int]
    # How the last run was confined: the mechanisms in force by the names
    # of the CLI's --json "confinement" ("seccomp", "pid_namespace", ...),
    # and its "confinement_details" (filter, Landlock ABI, file rules,
    # binds, hostname, cgroup, uid, ...), None where the task never ran.
    confinement: List[str]
    confinement_details: Optional[Dict[str, Any]]
    result: Dict[str, Any]
    history: List[Attempt]

    def __init__(self, **options):
        self._options = {}
        self._thread = None
        # A run going on (run, run_async, run_and_retry, run_profiler) and
        # the libcordon task of its attempt, for cancel() from any thread.
        # Reentrant: a signal handler that cancels runs on the thread that
        # may hold it (cancel() from a SIGTERM handler waited for ever).
        self._run_lock = threading.RLock()
        self._active = False
        self._run_pid = None  # the process whose run it is
        self._current = None
        self._interrupted = None  # the attempt a KeyboardInterrupt ended
        self._cancelled = threading.Event()
        self._profile = None
        self._profiling = False
        self.configure(**options)
        self._clear()

    def configure(self: _T, **options: Any) -> _T:
        """Sets options (see cordon.options); returns the task.
        RuntimeError while the task runs (run_async): the run has its
        options already, as the library's setters say (-EBUSY)."""
        with self._run_lock:
            if self._active_here():
                raise RuntimeError(self._busy("before configuring it"))
        _options.check(options, self._allowed)
        _options.check_values(options)  # timeout=0 is refused now, not at run
        _options.check_shapes(options)
        if "trust" in options:
            # a bare module name shows now, not at run
            options["trust"] = _check_trust(options["trust"])
        if "policy" in options:
            _options.policy(options["policy"])  # a mistake shows now, not at run
        # The library's own checks of mounts and names, on a task made for
        # them: a relative tmpfs or a bad host name showed only at run().
        _options.mounts_and_names(_cordon.shell_task("true"), options)
        self._options.update(options)
        return self

    def _clear(self, new_run=True):
        if new_run:
            self.history = []
        self.std_out = self.std_err = self.log_out = self.exc_out = ""
        self.exit_code = 0
        self.signal = 0
        self.exception = None
        self.returns = None
        self.usage = Usage()
        self.attempts = 0
        self.dropped = {}
        self.confinement = []
        self.confinement_details = None
        self.result = {}

    def _repr(self, what):
        """<Class what: state>, the state being "not run", "running", or
        the last run's ending: its exit code and exception."""
        if self._active:
            state = "running"
        elif not self.attempts:
            state = "not run"
        else:
            state = f"exit_code={self.exit_code}"
            if self.exception:
                state += f" exception={_wire.printable(self.exception)!r}"
            if self.attempts > 1:
                state += f" attempts={self.attempts}"
        return f"<{type(self).__name__} {what}: {state}>"

    # ---- running --------------------------------------------------------

    def _attempt(self):
        """One run: (True, value) or (False, exception).  Raises only when
        cordon itself could not run the task."""
        task, return_limit = self._make()
        if not self._execute_recorded(task, lambda: self._outcome(return_limit)):
            return self._never_started()
        self._take(task.result())
        return self._recorded(self._outcome(return_limit))

    def _recorded(self, outcome):
        """The outcome of an attempt that ran, kept in the history: what it
        raised (None when it returned), its exit code, signal and usage."""
        self.history.append(Attempt(None if outcome[0] else outcome[1], self.exit_code,
                                    self.signal, self.usage))
        return outcome

    def _execute(self, task):
        """Starts a _cordon.Task and waits for its end, as the attempt that
        cancel() kills.  False when a cancel came first: nothing forked."""
        slice_ms = (_MAIN_JOIN_SLICE_MS if threading.current_thread() is threading.main_thread()
                    else -1)
        try:
            if not self._start_unless_cancelled(task, task.start):
                return False
            # A cancel() of a signal handler run on this thread while it held
            # the lock, before the start, found no run to kill yet.
            if self._cancelled.is_set():
                task.cancel()
            while task.join(slice_ms) is None:
                pass
        except BaseException:
            # KeyboardInterrupt at any point after the start: the task's
            # tree goes with it (cancel is True from the start to the join).
            if task.cancel():
                task.join(-1)
                self._interrupted = task
            raise
        finally:
            with self._run_lock:
                self._current = None
        return True

    def _start_unless_cancelled(self, task, start):
        """start() of the run of `task`, which cancel() then kills, unless a
        cancel came first: False, nothing started."""
        with self._run_lock:
            if self._cancelled.is_set():
                return False
            self._current = task
            start()
            return True

    def _execute_recorded(self, task, outcome):
        """_execute, and when an interrupt (a KeyboardInterrupt) ended the
        attempt, its record kept as cancel()'s is: it said "not run"."""
        try:
            return self._execute(task)
        except BaseException:
            if task is self._interrupted:
                self._interrupted = None
                try:
                    self._take(task.result())
                    self._recorded(outcome())
                    self.attempts = self.attempts or 1
                except Exception:  # the interrupt is what the caller gets
                    pass
            raise

    def _never_started(self):
        self.exception = "Cancelled"
        self.exc_out = "Cancelled: the task was cancelled before its child was started\n"
        return False, errors.Cancelled(self.exc_out.split(": ", 1)[1].strip(),
                                       exception="Cancelled", exc_out=self.exc_out, task=self)

    def _busy(self, when):
        """What to do about a run going on: join() one of run_async's; a
        run() of another thread's has nothing to join (join() then says the
        task was not started with run_async)."""
        if self._thread is not None and self._thread.is_alive():
            return f"the task is running (run_async); join() it {when}"
        return f"the task is running (run() in another thread); wait for that run to end {when}"

    def _active_here(self):
        """A run of this process's is going on.  A child of os.fork holds a
        copy of its parent's runs, which are not its to cancel or join:
        its cancel() had killed the parent's run (the parent read "the
        caller cancelled the task"), and its join() waited for ever for a
        thread that did not come along."""
        return self._active and self._run_pid == os.getpid()

    def _refuse_here(self):
        """Raises where this thread may not start a run (FunctionTask's)."""

    def _begin(self, marked=None):
        """Marks a run going on (cancel() acts on it); RuntimeError when one is.
        `marked` (a list) gets an item once the run is marked, before it is:
        the caller's `finally` ends the run then, and only then, wherever a
        KeyboardInterrupt lands (one that came between the mark and the
        caller's `try` left the task "running" for good).  The cancel
        request is cleared before the mark: cleared after it, a cancel()
        from a signal handler that came in between returned True and was
        forgotten."""
        try:
            with self._run_lock:
                if self._active_here():
                    raise RuntimeError(self._busy("first"))
                self._cancelled.clear()
                self._run_pid = os.getpid()
                if marked is not None:
                    marked.append(True)
                self._active = True
            with _running_lock:
                _running.add(self)
        except RuntimeError:
            raise
        except BaseException:
            if marked is None:
                self._end()
            raise

    def _end(self):
        with self._run_lock:
            self._active = False
        with _running_lock:
            _running.discard(self)

    def cancel(self) -> bool:
        """Kills the run going on (run, run_async, run_and_retry, from any
        thread): its whole process tree at once, or before its child starts.
        The waiting call (run, join, run_and_retry) then raises
        cordon.Cancelled, unless the task had ended by itself first; no
        retry follows.  True when a run was going on, False when none was."""
        if self._run_pid != os.getpid():  # none, or the parent's (_active_here)
            return False
        with self._run_lock:
            if not self._active:
                return False
            self._cancelled.set()
            if self._current is not None:
                self._current.cancel()
            return True

    def _take(self, result):
        self.result = result
        self.std_out = result["std_out"]
        self.std_err = result["std_err"]
        self.log_out = result["log_out"]
        self.exc_out = result["exc_out"]
        self.exit_code = result["exit_code"]
        self.signal = result["signal"]
        self.exception = result["exception"]
        self.usage = Usage(**result["usage"])
        self.dropped = result["dropped"]
        self.confinement = _confinement_names(result["confinement"])
        self.confinement_details = _confinement_details(result["confinement_details"])

    def _deliver(self, outcome):
        ok, value = outcome
        if ok:
            return value
        raise value

    def run(self) -> Any:
        """Runs the task in a confined child and waits for it."""
        self._refuse_here()
        marked = []
        try:
            self._begin(marked)
            self._clear()
            outcome = self._attempt()
            self.attempts = 1
        finally:
            if marked:
                self._end()
        return self._deliver(outcome)

    def run_async(self) -> TaskThread:
        """Starts the task and returns at once: a TaskThread (a
        threading.Thread) whose join() waits; task.join() also gives the
        outcome."""
        self._refuse_here()
        marked = []
        try:
            self._begin(marked)
            self._clear()
            self.attempts = 1
            self._thread = None
            thread = TaskThread(self)
            self._thread = thread
            thread.start()
        except BaseException:
            # A thread that started runs the task and ends the run itself:
            # ended here too (a KeyboardInterrupt in start()'s wait), its
            # run went on unseen by cancel() and the exit's kill, and the
            # interpreter's exit waited for it for ever.
            if marked and (self._thread is None or self._thread.ident is None):
                self._end()
            raise
        return self._thread

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: Optional[float] = None) -> Any:
        """Waits for run_async's run; returns what run() would return, or
        raises what it would raise.  TimeoutError if still running after
        `timeout`: seconds (an int, a float, a timedelta) or text as
        timeout= takes ("500ms"); None, or more than threading's longest
        wait, for as long as it takes.  A negative or NaN timeout is a
        ValueError (C's cordon_join_timeout takes -1 for "no end": here
        that is None), anything else a TypeError."""
        timeout = _join_seconds(timeout)
        if self._thread is None:
            raise RuntimeError("the task was not started with run_async")
        if self._run_pid != os.getpid():
            raise RuntimeError("the task's run_async is another process's (this one was forked "
                               "from it): join it there")
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the task is still running after {timeout} s")
        return self._deliver(self._thread.outcome)

    def run_and_retry(self, max_retry: int = 5, exception: _ExceptionClasses = Exception,
                      backoff: Union[float, str] = 0.0, backoff_factor: float = 2.0,
                      max_backoff: Union[float, str] = 60.0) -> Any:
        """Runs, then again in a fresh child while the task's exception is
        an instance of `exception` (a class or a tuple of them; subclasses
        count) and fewer than max_retry retries were made.  Sleeps `backoff`
        before the first retry, times backoff_factor (1 to 1000) before each
        next one, at most max_backoff (0: no pause at all; the C library's
        0 is no cap).  The pauses are seconds or text as timeout= takes
        ("100ms", "1.5s").  `attempts` says how many ran;
        `usage` and the rest are the last one's, and `history` has each
        one's (its exception, exit code, signal and usage).  cancel()
        during a pause makes no further attempt: the last one's ending
        stands, as in the C library."""
        backoff, max_backoff = _check_retry(max_retry, exception, backoff, backoff_factor,
                                            max_backoff)
        self._refuse_here()
        marked = []
        try:
            self._begin(marked)
            outcome = self._retry(max_retry, exception, backoff, backoff_factor, max_backoff)
        finally:
            if marked:
                self._end()
        return self._deliver(outcome)

    def _retry(self, max_retry, exception, delay, backoff_factor, max_backoff):
        for attempt in range(max_retry + 1):
            self._clear(new_run=attempt == 0)
            ok, value = outcome = self._attempt()
            self.attempts = attempt + 1
            if (ok or not isinstance(value, exception) or attempt == max_retry
                    or self._cancelled.is_set()):
                return outcome
            # Each pause, the first too, at most max_backoff, as the C
            # library's min(initial * factor^(n-1), max).
            pause = min(delay, max_backoff)
            if pause > 0:
                # A cancel during the pause ends it: the next attempt then
                # never starts, and the last one's ending stands, as the C
                # library's (a Cancelled "before its child was started"
                # had counted an attempt that never ran, exit code 0).
                if self._cancelled.wait(pause):
                    return outcome
                delay = min(delay * backoff_factor, max_backoff)
        raise AssertionError("unreachable")

    def run_profiler(self, out: Optional[TextIO] = None, sort: str = "cumulative",
                     limit: int = 25) -> Any:
        """Runs the task and prints where its time went to `out` (default
        sys.stdout), then returns or raises as run() does.  `sort` is a
        pstats sort key ("cumulative", "tottime", "calls", ...; a
        ValueError names the others); `limit` the rows printed: a count
        (an int from 0), a fraction of them (a float from 0.0 to below
        1.0), a regular expression their names match, or None for all.
        A function task's profile comes back with its return or exception:
        one that cordon ended (Timeout, CpuLimit, MemoryLimit, a crash)
        sends none, and `out` says so, naming the ending."""
        _profile.check_sort(sort)  # the caller's mistakes, before the task runs
        _profile.check_limit(limit)
        self._refuse_here()
        marked = []
        try:
            self._begin(marked)
            self._clear()
            self._profiling = True
            outcome = self._attempt()
        finally:
            self._profiling = False
            if marked:
                self._end()
        self.attempts = 1
        self._print_profile(out if out is not None else sys.stdout, sort, limit,
                            None if outcome[0] else outcome[1])
        return self._deliver(outcome)


def _own_module(func):
    """The module whose classes a function's return may hold: a
    functools.partial's function's (the partial itself is functools')."""
    for _ in range(100):  # a partial of a partial ...
        if not isinstance(func, functools.partial):
            break
        func = func.func
    return getattr(func, "__module__", None)


def _unescape_record(line):
    """A log_out line as its record was: `\\n` a newline, `\\0` a NUL,
    `\\\\` a backslash (a lone one, which a task writing its log fd itself
    may leave, kept)."""
    if "\\" not in line:
        return line
    parts, i = [], 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] in "n0\\":
            parts.append({"n": "\n", "0": "\0"}.get(line[i + 1], "\\"))
            i += 2
            continue
        parts.append(c)
        i += 1
    return "".join(parts)


_NO_FUNC = object()


def _import_lock_is_this_threads():
    """Whether this thread holds the import lock: lock_held() says whether
    any thread does (one importing a module holds it a moment, and every
    run of another thread's had been refused then); only its holder may
    release it, and takes it back at once."""
    if not _imp.lock_held():
        return False
    try:
        _imp.release_lock()
    except RuntimeError:  # another thread's
        return False
    _imp.acquire_lock()
    return True


class FunctionTask(_Task):
    """FunctionTask(func, *args, **kwargs): func(*args, **kwargs) in a
    forked, confined child.  Options: configure(...), and trust= (classes
    or module names whose instances a return value may hold, besides the
    standard value types, exceptions and func's own module; True to
    unpickle anything, for tasks you trust) and log_level= (the root
    logger's level in the child; default INFO)."""

    _allowed = (_options.KNOWN - {"env", "clear_env"}) | {"trust", "log_level"}

    # func positional: a keyword argument named func (or self) is func's,
    # as ThreadPoolExecutor.submit's; FunctionTask(func=f) alone is f still.
    def __init__(self, func: Callable[..., Any] = _NO_FUNC, /, *args: Any,
                 **kwargs: Any) -> None:
        if func is _NO_FUNC and not args and "func" in kwargs:
            func = kwargs.pop("func")
        if not callable(func):
            raise TypeError("FunctionTask needs a callable")
        self.func, self.args, self.kwargs = func, args, kwargs
        super().__init__()

    def __repr__(self):
        return self._repr(repr(getattr(self.func, '__qualname__', self.func)))

    @property
    def log_records(self) -> List[str]:
        """log_out's records, one per item, each as it was formatted: a
        record's newlines (and backslashes, which log_out doubles so that
        its lines read back) as they were."""
        lines = self.log_out.split("\n")
        if lines[-1] == "":  # the last record's newline (a cut one has none)
            lines.pop()
        return [_unescape_record(line) for line in lines]

    def _refuse_here(self):
        # The child is forked with the import lock taken first: held by the
        # thread that starts the run and then waits for it (a task run from
        # an import's hook, or inside _imp.acquire_lock()), the run waited
        # for ever.  Asked on that thread, by every way to start a run
        # (run_async's and an Executor's fork on another thread, which
        # waited, had not asked), and only there: an Executor made under
        # the lock starts nothing.
        if _import_lock_is_this_threads():
            raise RuntimeError("a FunctionTask cannot run while this thread holds the import "
                               "lock (the child's fork takes it): run it after the import")

    def _make(self):
        _check_trust(self._options.get("trust"))
        # What the caller printed and has not flushed would be the child's
        # to write (through any object still holding the old stream), into
        # the task's std_out; multiprocessing flushes them too.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        opts = {k: v for k, v in self._options.items() if k not in ("trust", "log_level")}
        headroom = _ENVELOPE_HEADROOM + (_PROFILE_HEADROOM if self._profiling else 0)
        spec = {
            "func": self.func, "args": self.args, "kwargs": self.kwargs,
            "log_level": _options.log_level(self._options.get("log_level", 20)),
            "profile": self._profiling,
        }
        # The child runs main(spec) in its copy of this process's memory.
        task = _cordon.function_task(lambda: _child.main(spec))
        spec["return_limit"] = _options.apply(task, opts, headroom)
        spec["capacity"] = min(spec["return_limit"] + headroom, 1 << 30)
        return task, spec["return_limit"]

    def _outcome(self, return_limit):
        self._profile = None
        if self.exception:
            return False, errors.from_cordon(self.exception, self.exc_out, self.signal, self)
        ok, value = self._returned(return_limit)
        # A return that failed here (ReturnError, ReturnTooLarge,
        # UntrustedReturn) is the task's exception too: it read None, and
        # repr said exit_code=0, while run() raised.
        if not ok and self.exception is None and isinstance(value, errors.TaskError):
            self.exception = value.exception
        return ok, value

    def _returned(self, return_limit):
        data = self.result["returns"]
        if not data:
            return self._exited(f"the function ended its process with status {self.exit_code} "
                                "instead of returning", self.exit_code)
        try:
            envelope = _wire.load_envelope(data)
        except Exception as error:
            return False, errors.ReturnError(
                f"the task's return region is corrupt: {_wire.printable(str(error))}",
                exception="ReturnError", task=self)
        self._profile = envelope.get("profile")
        # load_envelope let through only the kinds there is a method for.
        return getattr(self, "_kind_" + envelope["kind"])(envelope, return_limit)

    def _load(self, data, exception=False):
        return _wire.load_value(data, self._options.get("trust"), _own_module(self.func),
                                exception)

    def _kind_ok(self, envelope, return_limit):
        try:
            self.returns = self._load(envelope["value"])
        except pickle.UnpicklingError as error:
            # The names the pickle gave are the task's words.
            return False, errors.UntrustedReturn(_wire.printable(str(error)), task=self)
        except Exception as error:
            return False, errors.ReturnError(
                f"the return value could not be rebuilt here: {_wire.printable(repr(error))}",
                task=self)
        return True, self.returns

    def _kind_unpicklable(self, envelope, return_limit):
        # The class's name and the pickler's error are the task's words (a
        # __reduce__ raising ESC sequences drove the caller's terminal).
        return False, errors.ReturnError(
            f"the function returned a {_wire.printable(envelope['type'])}, which cannot be "
            f"pickled: {_wire.printable(envelope['error'])}", exception="ReturnError", task=self)

    def _kind_toolarge(self, envelope, return_limit):
        # The size is the child's word; the limit is the parent's own.
        return False, errors.ReturnTooLarge(
            f"the pickled return value is {envelope['size']} bytes, over the return limit "
            f"of {return_limit} bytes (returns=, CORDON_LIMIT_RETURN)", task=self)

    def _kind_exit(self, envelope, return_limit):
        self.exc_out = _wire.printable(envelope["traceback"])
        # exit_code is the child's status, which the child took from
        # sys.exit's argument as python3 does: the same as after os._exit.
        code = envelope["code"]
        if envelope.get("code_is_int") is True and type(code) is str and _DIGITS.fullmatch(code):
            try:
                code = int(code)
            except ValueError:  # past this interpreter's own digit limit: the digits as they are
                pass
        return self._exited(f"the function called sys.exit({code!r})", code)

    def _exited(self, message, code):
        """Exited, however the function ended its process: the task's
        exception is "Exited" and its exit_code the process's status."""
        self.exception = "Exited"
        return False, errors.Exited(message, code=code, exception="Exited",
                                    exc_out=self.exc_out, task=self)

    def _kind_raise(self, envelope, return_limit):
        # The task's text inside cordon's own words, as the C library's
        # (a class name or message with ESC drove the caller's terminal).
        self.exc_out = _wire.printable(envelope["traceback"])
        qualname = _wire.printable(envelope["qualname"])
        message = _wire.printable(envelope["message"])
        self.exception = f"{_wire.printable(envelope['module'])}.{qualname}"
        exc = self._rebuilt_exception(envelope["exc"], envelope["links"])
        if exc is None:
            return False, errors.RemoteError(
                f"{qualname}: {message}", class_name=self.exception,
                exception=self.exception, exc_out=self.exc_out, task=self)
        cls = type(exc)
        self.exception = f"{cls.__module__}.{cls.__qualname__}"
        try:
            exc.add_note("raised in a cordon task's child; its traceback:\n"
                         + self.exc_out.rstrip())
        except Exception:
            pass
        return False, exc

    def _rebuilt_exception(self, data, links=None):
        """The task's exception as itself, or None when it cannot be rebuilt
        or is none the parent raises for a task (_wire.rebuildable_exception:
        under trust=True too), nor one whose words would still show a
        control character (_wire.escaped_exception, under trust=True too).
        A MemoryError stays the task's own: only the
        C library's evidence (result["exception"]) makes a MemoryLimit."""
        if data is None:
            return None
        try:
            exc = self._load(data, exception=True)
        except Exception:
            return None
        if not _wire.rebuildable_exception_tree(exc):
            return None
        if links is not None:
            chained = self._rebuilt_links(exc, links)
            if chained is not None:
                return chained
            exc.__cause__ = exc.__context__ = None
            exc.__suppress_context__ = False
        return _wire.escaped_exception(exc)

    def _rebuilt_links(self, exc, data):
        """exc with its chain (__cause__, __context__), held to the rules
        of the exception itself; None when the chain is not one the
        parent rebuilds, and exc is then raised without it."""
        try:
            links = self._load(data, exception=True)
        except Exception:
            return None
        for link in links[:2] if type(links) is tuple else ():
            if isinstance(link, BaseException) and not _wire.rebuildable_exception_tree(link):
                return None
        exc = _wire.chain_from_links(exc, links)
        return _wire.escaped_exception(exc) if exc.__cause__ or exc.__context__ else None

    def _print_profile(self, out, sort, limit, raised):
        if self._profile is None and raised is not None:
            print(f"cordon: no profile came back from the task: it ended with "
                  f"{type(raised).__name__}, and a profile is sent only with the task's own "
                  "return or exception", file=out)
            return
        _profile.print_report(self._profile, out, sort, limit)


def _command_argument(command, arg):
    if isinstance(arg, os.PathLike):
        arg = os.fspath(arg)
    if not isinstance(arg, (str, bytes)):
        raise TypeError(f"command={command!r}: {arg!r} is not a str, bytes or os.PathLike")
    # Refused here, as the CLI refuses it, not at run() (a C string ends
    # at the NUL: the argument would be cut).
    if ("\0" if isinstance(arg, str) else b"\0") in arg:
        raise ValueError(f"command={command!r}: {arg!r} holds a NUL byte, where the C string "
                         f"cordon passes on would end")
    return arg


class ShellCommand(_Task):
    """ShellCommand("ls -lG", **options): /bin/sh -c line, or a list of
    arguments run without a shell (PATH lookup).  run() returns the task;
    a non-zero exit is no exception unless check=True (CommandFailed);
    signals, limits and violations raise cordon's exceptions."""

    _allowed = _options.KNOWN | {"check"}

    def __init__(self, command: Union[str, List[str], Tuple[str, ...]], **options: Any) -> None:
        if isinstance(command, str):
            # as the CLI's --shell '': /bin/sh -c '' ran nothing and "succeeded"
            if not command:
                raise ValueError("command='': the command line is empty")
            # refused now, as an argument holding one is (it was, only at run())
            if "\0" in command:
                raise ValueError(f"command={command!r}: the command line holds a NUL, which no "
                                 f"shell line can")
            self.command = command
        elif isinstance(command, (list, tuple)) and command:
            # as subprocess: str, bytes (a name that is not UTF-8) or a
            # path; str() had run `ls "b'/tmp'"` for b"/tmp" and echoed None
            self.command = [_command_argument(command, arg) for arg in command]
            # as the CLI's `cordon run -- ''`, rather than the setter's bare EINVAL
            if not self.command[0]:
                raise ValueError(f"command={command!r}: the command name is empty")
        else:
            raise TypeError(f"command={command!r}: expected a shell line (str) or a non-empty "
                            f"list of arguments")
        self._command_profile = None
        super().__init__(**options)

    def __repr__(self):
        return self._repr(repr(self.command))

    @property
    def returncode(self) -> int:
        """subprocess's name for exit_code."""
        return self.exit_code

    def _make(self):
        if isinstance(self.command, str):
            task = _cordon.shell_task(self.command)
        else:
            task = _cordon.command_task(self.command)
        opts = {k: v for k, v in self._options.items() if k != "check"}
        return task, _options.apply(task, opts, command=True)

    def _profile_command(self, task):
        """cordon's profiler of commands, which only blocks, on a thread of
        its own: this one still takes Ctrl-C, and cancel() reaches the run
        (a command's profile had held the caller to its end).  False when
        a cancel came first: nothing forked."""
        done = {}
        # Its own end, not is_alive(): a Thread.join that a KeyboardInterrupt
        # stopped marks the thread ended while it runs (Python 3.11).
        ended = threading.Event()

        def profile():
            try:
                # A cancel (a Ctrl-C) before this thread began: nothing runs.
                if self._cancelled.is_set():
                    done["never_started"] = True
                else:
                    done["report"] = task.run_profiler()
            except BaseException as error:  # raised again on the caller's thread
                done["error"] = error
            finally:
                ended.set()

        worker = threading.Thread(target=profile, name="cordon-profiler", daemon=True)
        try:
            if not self._start_unless_cancelled(task, worker.start):
                return False
            # A cancel sent before the library's run began finds none
            # (False): it is sent again until the run ends.
            while not ended.wait(_PROFILE_CANCEL_SLICE_S):
                if self._cancelled.is_set():
                    task.cancel()
        except BaseException:  # KeyboardInterrupt: the run ends with it
            self._cancelled.set()
            # A thread not begun yet finds the cancel and runs nothing.
            while worker.ident is not None and not ended.is_set():
                task.cancel()
                ended.wait(_PROFILE_CANCEL_SLICE_S)
            try:  # the attempt kept as cancel()'s is
                self._take(task.result())
                self._recorded(self._outcome())
                self.attempts = self.attempts or 1
            except Exception:  # the interrupt is what the caller gets
                pass
            raise
        finally:
            with self._run_lock:
                self._current = None
        if "error" in done:
            raise done["error"]
        if "never_started" in done:
            return False
        _, self._command_profile = done["report"]
        return True

    def _attempt(self):
        task, _ = self._make()
        if self._profiling:
            if not self._profile_command(task):
                return self._never_started()
        elif not self._execute_recorded(task, self._outcome):
            return self._never_started()
        self._take(task.result())
        return self._recorded(self._outcome())

    def _outcome(self):
        if self.exception:
            return False, errors.from_cordon(self.exception, self.exc_out, self.signal, self)
        if self._options.get("check") and self.exit_code != 0:
            return self._failed()
        self.returns = self
        return True, self

    def _failed(self):
        """CommandFailed, whose report (the task's exc_out too) says what
        failed and ends with what the command wrote to stderr, its last
        _FAILED_STDERR_TAIL characters, control characters escaped (the
        command's words)."""
        message = f"{self.command!r} exited with status {self.exit_code}"
        report = f"CommandFailed: {message}\n"
        if self.std_err:
            tail = self.std_err[-_FAILED_STDERR_TAIL:]
            cut = len(self.std_err) - len(tail)
            report += (f"its stderr{f' (its last {len(tail)} characters)' if cut else ''}:\n"
                       f"{_wire.printable(tail)}")
            if not report.endswith("\n"):
                report += "\n"
        self.exception, self.exc_out = "CommandFailed", report
        return False, errors.CommandFailed(message, exception="CommandFailed", exc_out=report,
                                           task=self)

    def _print_profile(self, out, sort, limit, raised):
        out.write(self._command_profile or "")


def _kill_at_exit():
    """Before the interpreter joins its threads: a run still going on (a
    run_async never joined, a run on another thread, the interpreter
    leaving on KeyboardInterrupt or sys.exit) is killed, so that exit
    neither waits for a task that may never end nor leaves one behind.
    Join a task whose end you need before the program ends."""
    with _running_lock:
        tasks = list(_running)
    for task in tasks:
        try:
            task.cancel()
        except RuntimeError:  # a command's run_profiler: it runs to its end
            pass


# Registered after concurrent.futures' own hook, which joins the workers
# of every ThreadPoolExecutor (asyncio's default executor's too): the
# hooks run last registered first, so the runs on those workers are
# killed before that join waits for them.  That module, imported after
# cordon, registered its hook later, and the exit waited for ever.
import concurrent.futures.thread  # noqa: E402,F401  pylint: disable=wrong-import-position

threading._register_atexit(_kill_at_exit)
