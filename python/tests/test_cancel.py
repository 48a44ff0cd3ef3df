"""task.cancel(): a run going on, from any thread, dies with its whole
process tree; the waiting call raises cordon.Cancelled; nothing is left."""
import concurrent.futures
import io
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

import pytest

import cordon
from cordon.tasks import FunctionTask, ShellCommand

import helpers


def start_lingering(children=0, **options):
    name = helpers.marker()
    t = FunctionTask(helpers.linger, name, children).configure(**options)
    t.run_async()
    helpers.wait_until(lambda: len(helpers.named(name)) == children + 1,
                       f"running: {children + 1} processes named {name}")
    return t, name


def test_cancel_kills_the_whole_tree_and_join_raises_cancelled():
    t, name = start_lingering(children=3)
    assert t.cancel() is True
    with pytest.raises(cordon.Cancelled) as caught:
        t.join()
    assert isinstance(caught.value, concurrent.futures.CancelledError)
    assert isinstance(caught.value, cordon.TaskError)
    assert caught.value.exception == "Cancelled" and caught.value.task is t
    assert t.exception == "Cancelled" and t.signal == signal.SIGKILL
    assert t.exc_out.startswith("Cancelled: ")
    helpers.assert_none_left(name)


def test_cancel_from_another_thread_ends_a_blocking_run():
    name = helpers.marker()
    t = FunctionTask(helpers.linger, name, 1)
    outcome = []

    def runner():
        try:
            t.run()
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=runner)
    thread.start()
    helpers.wait_until(lambda: len(helpers.named(name)) == 2, f"running: {name}")
    assert t.cancel() is True
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], cordon.Cancelled)
    helpers.assert_none_left(name)


def test_cancel_of_a_shell_command_kills_its_children():
    name = helpers.marker()
    # The sleeps are found as the children of the shell whose line holds
    # the marker.
    t = ShellCommand(f"sleep 1000 & sleep 1000 & echo {name}; wait")
    t.run_async()

    def sleeps():
        found = []
        for pid in helpers.named("sleep"):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{ppid}/cmdline", "rb") as f:
                    if name.encode() in f.read():
                        found.append(pid)
            except (OSError, ValueError, IndexError):
                pass
        return found

    helpers.wait_until(lambda: len(sleeps()) == 2, "running: the command's two sleeps")
    pids = sleeps()
    assert t.cancel() is True
    with pytest.raises(cordon.Cancelled):
        t.join()
    helpers.wait_until(lambda: not any(os.path.exists(f"/proc/{p}") for p in pids),
                       "gone: the command's sleeps")


def test_cancel_with_nothing_running_is_false_and_changes_nothing():
    t = FunctionTask(helpers.add, 2, 3)
    assert t.cancel() is False
    assert t.run() == 5
    assert t.cancel() is False
    assert t.run() == 5


def test_cancel_right_after_run_async_never_lets_the_task_run_on():
    # The cancel may come before the child is forked (then none is) or
    # after: either way the join raises Cancelled and nothing is left.
    for _ in range(5):
        name = helpers.marker()
        t = FunctionTask(helpers.linger, name)
        t.run_async()
        assert t.cancel() is True
        with pytest.raises(cordon.Cancelled):
            t.join()
        helpers.assert_none_left(name)


def test_a_task_that_ended_first_keeps_its_own_ending():
    t = FunctionTask(helpers.add, 1, 2)
    t.run_async()
    helpers.wait_until(lambda: not t.is_alive(), "ended")
    assert t.cancel() is False
    assert t.join() == 3


def test_cancel_stops_run_and_retry_during_its_backoff():
    t = FunctionTask(helpers.raise_server_error, "again")
    outcome = []

    def runner():
        try:
            t.run_and_retry(max_retry=5, exception=helpers.ServerError, backoff=600)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=runner)
    thread.start()
    # The first attempt fails; the retry then waits out a 600 s backoff.
    helpers.wait_until(lambda: t.attempts == 1 and t.exception, "failed once")
    assert t.cancel() is True
    thread.join()
    # The second never started: the first's ending stands, as in the C
    # library (a Cancelled had counted two attempts, one in the history,
    # with exit code 0).
    assert len(outcome) == 1 and isinstance(outcome[0], helpers.ServerError)
    assert t.attempts == 1 and len(t.history) == 1
    assert t.exception == "helpers.ServerError"


def test_cancel_of_a_function_s_run_profiler():
    name = helpers.marker()
    t = FunctionTask(helpers.linger, name, 1)
    out = io.StringIO()
    thread = threading.Thread(target=lambda: (
        helpers.wait_until(lambda: len(helpers.named(name)) == 2, f"running: {name}"),
        t.cancel()))
    thread.start()
    try:
        with pytest.raises(cordon.Cancelled):
            t.run_profiler(out=out)
    finally:
        thread.join()
    assert "no profile came back" in out.getvalue()
    helpers.assert_none_left(name)


def named_sleeper(name):
    """A command whose process is named `name` while it sleeps 60 s."""
    code = ("import ctypes, time; "
            f"ctypes.CDLL(None).prctl(15, b'{name}', 0, 0, 0); time.sleep(60)")
    return ShellCommand(f"exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}",
                        timeout=30)


def test_cancel_ends_a_command_s_run_profiler():
    # A command's profile ran to its end whatever cancel() was sent
    # (RuntimeError: "cannot be cancelled").
    name = helpers.marker()
    t = named_sleeper(name)
    outcome = []
    out = io.StringIO()

    def runner():
        try:
            t.run_profiler(out=out)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=runner)
    thread.start()
    try:
        helpers.wait_until(lambda: len(helpers.named(name)) == 1, f"running: {name}")
        assert t.cancel() is True
    finally:
        thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], cordon.Cancelled), outcome
    assert t.exception == "Cancelled" and t.signal == signal.SIGKILL
    helpers.assert_none_left(name)


def test_a_cancel_sent_as_a_command_s_profile_starts_is_not_lost():
    # Sent before the library's run begins, cancel() is held for it.
    for _ in range(5):
        t = named_sleeper(helpers.marker())
        outcome = []
        thread = threading.Thread(target=lambda: outcome.append(
            pytest.raises(cordon.Cancelled, t.run_profiler, out=io.StringIO())))
        thread.start()
        helpers.wait_until(lambda: t._active, "begun")
        t.cancel()
        thread.join()
        assert len(outcome) == 1


def test_keyboard_interrupt_ends_a_command_s_run_profiler():
    # Ctrl-C had waited for the command's end (here its 30 s timeout).
    name = helpers.marker()
    t = named_sleeper(name)

    def interrupt():
        helpers.wait_until(lambda: len(helpers.named(name)) == 1, f"running: {name}")
        os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Thread(target=interrupt)
    timer.start()
    began = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            t.run_profiler(out=io.StringIO())
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - began < 20
    helpers.assert_none_left(name)
    assert t.exception == "Cancelled" and t.attempts == 1 and len(t.history) == 1


def test_a_task_cannot_pass_for_cancelled():
    t = FunctionTask(helpers.raise_instance, cordon.Cancelled("forged"))
    with pytest.raises(cordon.RemoteError) as caught:
        t.run()
    assert caught.value.class_name == "cordon.errors.Cancelled"


def test_keyboard_interrupt_while_waiting_kills_the_task():
    name = helpers.marker()
    t = FunctionTask(helpers.linger, name, 2)

    def interrupt():
        helpers.wait_until(lambda: len(helpers.named(name)) == 3, f"running: {name}")
        os.kill(os.getpid(), signal.SIGINT)
        # Should the interrupt be lost, the test fails rather than hangs.
        try:
            helpers.wait_until(lambda: not t._active, "interrupted")
        finally:
            t.cancel()

    # A shell's background job starts with SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Thread(target=interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            t.run()
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    helpers.assert_none_left(name)
    # the attempt is kept as cancel()'s is (it said "not run", 0 attempts)
    assert t.exception == "Cancelled" and t.exit_code == 137, repr(t)
    assert t.attempts == 1 and len(t.history) == 1
    assert t.run_async() is not None  # the task is free to run again
    t.cancel()
    with pytest.raises(cordon.Cancelled):
        t.join()


def test_join_interrupted_by_a_keyboard_interrupt_can_be_joined_again():
    # A Thread.join stopped by a KeyboardInterrupt marks the thread ended
    # while it runs (Python 3.11): the next join() read an outcome not
    # there yet and raised TypeError ("cannot unpack non-iterable
    # NoneType") from inside cordon, with the task still running.
    t = FunctionTask(time.sleep, 1.0)
    thread = t.run_async()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            t.join()
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert t.is_alive() and thread.is_alive()
    assert t.join() is None  # time.sleep's value, once it has come
    assert not t.is_alive() and not thread.is_alive()
    assert t.exception is None


EXIT_PROGRAM = """
import os, signal, sys, threading
sys.path.insert(0, {tests!r})
import helpers
from cordon.tasks import FunctionTask, ShellCommand
signal.signal(signal.SIGINT, signal.default_int_handler)
FunctionTask(helpers.linger, {name!r}, 1).run_async()          # never joined
threading.Thread(target=FunctionTask(helpers.linger, {name!r}).run).start()
import concurrent.futures                                      # its workers' hook after cordon's
concurrent.futures.ThreadPoolExecutor(1).submit(FunctionTask(helpers.linger, {name!r}).run)
helpers.wait_until(lambda: len(helpers.named({name!r})) == 4, "running")
print("leaving", flush=True)
{ending}
"""


@pytest.mark.parametrize("ending", ["sys.exit(3)", "os.kill(os.getpid(), signal.SIGINT)",
                                    "pass"])
def test_the_interpreter_s_exit_kills_the_runs_going_on(ending):
    # A run_async never joined, or a run on another thread, held the
    # exit (sys.exit, a KeyboardInterrupt, the script's end) for as long
    # as the task ran: for ever for these.  So did a run on a worker of
    # concurrent.futures' ThreadPoolExecutor, whose own exit hook, which
    # joins its workers, was registered after cordon's and so ran first.
    name = helpers.marker()
    program = EXIT_PROGRAM.format(tests=os.path.dirname(os.path.abspath(__file__)), name=name,
                                  ending=ending)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        out = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                             text=True, timeout=60)
    finally:
        for pid in helpers.named(name):            # a hung exit's tasks, after the timeout
            os.kill(pid, signal.SIGKILL)
        helpers.assert_none_left(name)
    assert out.stdout == "leaving\n"
    # Python ends an uncaught KeyboardInterrupt by dying of SIGINT
    assert out.returncode == {"sys.exit(3)": 3, "pass": 0}.get(ending, -signal.SIGINT), out.stderr
    assert ("KeyboardInterrupt" in out.stderr) == ending.startswith("os.kill")


SIGNAL_CANCEL_PROGRAM = """
import os, random, signal, sys, threading, time
from cordon.tasks import FunctionTask
current = [None]
signal.signal(signal.SIGUSR1, lambda signo, frame: current[0] and current[0].cancel())
for i in range(40):
    task = FunctionTask(time.sleep, 0.02)
    current[0] = task
    threading.Timer(random.uniform(0, 0.03), os.kill, (os.getpid(), signal.SIGUSR1)).start()
    try:
        task.run()
    except Exception:
        pass
print("all", i + 1, flush=True)
"""


def test_cancel_from_a_signal_handler_of_the_running_thread():
    # A SIGTERM handler that cancels the task being run is cancel()'s
    # natural use: run while the run held its lock (its child's start),
    # the handler's cancel() waited for that lock for ever.
    out = helpers.run_python(SIGNAL_CANCEL_PROGRAM, timeout=120)
    assert out.stdout == "all 40\n", out.stderr
    assert out.returncode == 0, out.stderr


SIGNAL_RUN_PROGRAM = """
import signal, sys
from cordon.tasks import FunctionTask
busy = [False]
handled = [0]
def on_alarm(signo, frame):
    if busy[0]:
        return
    busy[0] = True
    try:
        FunctionTask(abs, -1).configure(policy="default").run()
        handled[0] += 1
    finally:
        busy[0] = False
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.002, 0.002)
outer = 0
while handled[0] < 300 and outer < 400:
    FunctionTask(abs, -2).configure(policy="default").run()
    outer += 1
signal.setitimer(signal.ITIMER_REAL, 0, 0)
print("ended", handled[0] > 0, flush=True)
"""


def test_a_run_from_a_signal_handler_of_the_running_thread():
    # A handler that runs a task (an alarm's, a SIGHUP's reload) came in
    # while the thread it interrupted held the lock of the runs going on
    # (starting or ending its own run), or of the compiled policies, and
    # waited for that lock for ever: within 0-300 runs here.  The loop
    # runs until the handler has run 300 tasks (400 runs of its own at
    # most): where a run is dear, an alarm lands in each several times.
    out = helpers.run_python(SIGNAL_RUN_PROGRAM, timeout=240)
    assert out.stdout == "ended True\n", out.stderr
    assert out.returncode == 0, out.stderr


class _InterruptOnce:
    """A lock whose first entry raises KeyboardInterrupt (or calls `then`),
    as a signal that lands while a run is being marked."""

    def __init__(self, lock, then=None):
        self.lock, self.then, self.fired = lock, then, False

    def __enter__(self):
        if not self.fired:
            self.fired = True
            if self.then is None:
                raise KeyboardInterrupt
            self.then()
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


def test_a_ctrl_c_while_a_run_is_marked_leaves_the_task_runnable(monkeypatch):
    # A KeyboardInterrupt between the run's mark and the caller's `try`
    # left the task "running" for good: each later run() and configure()
    # raised RuntimeError (702 interrupted runs of run_profiler made one).
    import cordon.tasks as tasks
    starts = {"run": lambda t: t.run(), "run_and_retry": lambda t: t.run_and_retry(),
              "run_profiler": lambda t: t.run_profiler(out=io.StringIO())}
    for name, start in starts.items():
        t = FunctionTask(abs, -1)
        monkeypatch.setattr(tasks, "_running_lock", _InterruptOnce(tasks._running_lock))
        with pytest.raises(KeyboardInterrupt):
            start(t)
        monkeypatch.undo()
        assert "running" not in repr(t), name
        assert t.cancel() is False, name
        assert start(t) == 1, name


def test_a_ctrl_c_in_run_async_s_start_leaves_its_run_seen(monkeypatch):
    # A KeyboardInterrupt in Thread.start()'s wait, once the thread ran:
    # the run was marked ended while the thread ran it, cancel() said
    # False, and the interpreter's exit waited for that thread for ever.
    from cordon.tasks import TaskThread
    started = TaskThread.start

    def start_then_interrupt(thread):
        started(thread)
        raise KeyboardInterrupt

    t, name = None, helpers.marker()
    monkeypatch.setattr(TaskThread, "start", start_then_interrupt)
    t = FunctionTask(helpers.linger, name, 0)
    with pytest.raises(KeyboardInterrupt):
        t.run_async()
    monkeypatch.undo()
    helpers.wait_until(lambda: len(helpers.named(name)) == 1, f"running: a process named {name}")
    assert t.is_alive() and "running" in repr(t)
    assert t.cancel() is True
    with pytest.raises(cordon.Cancelled):
        t.join(timeout=60)
    helpers.assert_none_left(name)


def test_a_cancel_that_says_true_is_never_forgotten():
    # A cancel() from a signal handler that came while the run was being
    # marked said True, and the run's own start then cleared the request:
    # the task ran to its end.  At every line of the marking, in turn.
    import cordon.tasks as tasks
    lines = sorted({line for _, _, line in tasks._Task._begin.__code__.co_lines()
                    if line is not None})
    for at in lines:
        t = FunctionTask(time.sleep, 0.5)
        said = []

        def tracer(frame, event, arg):
            if frame.f_code is tasks._Task._begin.__code__:
                def local(frame, event, arg):
                    if event == "line" and frame.f_lineno == at and not said:
                        said.append(t.cancel())
                    return local
                return local
            return None

        sys.settrace(tracer)
        try:
            try:
                t.run()
                ended = "ran"
            except cordon.Cancelled:
                ended = "cancelled"
        finally:
            sys.settrace(None)
        if said == [True]:
            assert ended == "cancelled", f"line {at}: cancel() said True, and the task {ended}"
