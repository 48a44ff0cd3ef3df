import io
import re
import time

import pytest

import cordon
from cordon.tasks import FunctionTask, ShellCommand

import helpers


def test_retry_while_the_class_matches_subclasses_included(tmp_path):
    counter = tmp_path / "tries"
    t = FunctionTask(helpers.fail_until, str(counter), 3)
    assert t.run_and_retry(max_retry=5, exception=helpers.ServerError) == 3
    assert t.attempts == 3


def test_retry_gives_up_after_max_retry(tmp_path):
    t = FunctionTask(helpers.fail_until, str(tmp_path / "tries"), 10)
    with pytest.raises(helpers.FlakyServerError, match="try 3"):
        t.run_and_retry(max_retry=2, exception=helpers.ServerError)
    assert t.attempts == 3


def test_retry_stops_on_another_class(tmp_path):
    t = FunctionTask(helpers.fail_until, str(tmp_path / "tries"), 10, ValueError)
    with pytest.raises(ValueError):
        t.run_and_retry(max_retry=5, exception=helpers.ServerError)
    assert t.attempts == 1


def test_retry_on_cordons_own_classes_with_backoff():
    t = FunctionTask(helpers.spin).configure(timeout=0.05)
    with pytest.raises(cordon.Timeout):
        t.run_and_retry(max_retry=2, exception=cordon.Timeout, backoff=0.05, backoff_factor=2)
    assert t.attempts == 3


def test_retry_keeps_every_attempt_s_ending_and_usage(tmp_path):
    """The usage of a retried task is its last attempt's; the CPU of the
    attempts before it was nowhere in Python (C has cordon_task_history,
    the CLI its records' history)."""
    t = FunctionTask(helpers.spin).configure(timeout=0.2)
    with pytest.raises(cordon.Timeout):
        t.run_and_retry(max_retry=2, exception=cordon.Timeout)
    assert len(t.history) == t.attempts == 3
    assert all(isinstance(a.exception, cordon.Timeout) for a in t.history)
    assert all(a.signal == 9 and a.usage.wall_us >= 200000 for a in t.history)
    assert t.history[-1].usage == t.usage
    assert sum(a.usage.cpu for a in t.history) > t.usage.cpu
    counter = tmp_path / "tries"
    t = FunctionTask(helpers.fail_until, str(counter), 2)
    assert t.run_and_retry(max_retry=3, exception=helpers.ServerError) == 2
    assert [type(a.exception) for a in t.history] == [helpers.FlakyServerError, type(None)]
    t.run()  # a new run starts a new history
    assert len(t.history) == 1 and t.history[0].exception is None


def test_retry_of_a_command_keeps_every_attempt_s_ending_and_usage():
    """A command's attempts are in its history as a function's are (its
    history was empty, so that the sum over it of a command retried three
    times was 0 s of CPU)."""
    t = ShellCommand("i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; kill -TERM $$")
    with pytest.raises(cordon.Crashed):
        t.run_and_retry(max_retry=2, exception=cordon.Crashed)
    assert len(t.history) == t.attempts == 3
    assert all(isinstance(a.exception, cordon.Crashed) and a.signal == 15 and
               a.exit_code == 143 for a in t.history)
    assert t.history[-1].usage == t.usage
    assert sum(a.usage.cpu for a in t.history) > t.usage.cpu
    t = ShellCommand("exit 3", check=True)
    with pytest.raises(cordon.CommandFailed):
        t.run()
    assert len(t.history) == 1
    assert isinstance(t.history[0].exception, cordon.CommandFailed)
    assert t.history[0].exit_code == 3
    t = ShellCommand("exit 0")
    t.run()
    assert len(t.history) == 1 and t.history[0].exception is None


def test_run_profiler_prints_per_python_function():
    out = io.StringIO()
    t = FunctionTask(helpers.fib, 20)
    assert t.run_profiler(out=out) == 6765
    report = out.getvalue()
    assert "fib" in report and "function calls" in report
    assert "ncalls" in report


def test_run_profiler_of_a_failing_task_still_reports():
    out = io.StringIO()
    with pytest.raises(helpers.ServerError):
        FunctionTask(helpers.raise_server_error, "x").run_profiler(out=out)
    assert "raise_server_error" in out.getvalue()


def test_run_profiler_of_a_task_cordon_ended_says_why_there_is_no_profile():
    # A timed-out task sends no profile: the report said only that none
    # came back, not why.
    out = io.StringIO()
    with pytest.raises(cordon.Timeout):
        FunctionTask(helpers.sleep, 30).configure(timeout=0.2).run_profiler(out=out)
    assert out.getvalue() == ("cordon: no profile came back from the task: it ended with Timeout, "
                              "and a profile is sent only with the task's own return or "
                              "exception\n")


def test_the_first_delay_is_held_to_max_backoff_and_delays_past_a_wait_refused(tmp_path):
    # The first pause was `backoff` itself, whatever max_backoff said
    # (backoff=2, max_backoff=0.1 slept 2 s), and a delay past what a wait
    # takes (backoff=1e30, or inf) raised "OverflowError: timestamp too
    # large" after the first attempt, naming nothing.
    # An int past a float's range (10**400) raised OverflowError when it
    # was multiplied, after the first pause.
    for i, backoff in enumerate((1e30, float("inf"), 10**400)):
        t = FunctionTask(helpers.fail_until, str(tmp_path / f"tries{i}"), 10)
        with pytest.raises(helpers.FlakyServerError, match="try 3"):
            t.run_and_retry(max_retry=2, exception=helpers.ServerError, backoff=backoff,
                            max_backoff=0.01)
        assert t.attempts == 3
    for value in (float("inf"), 1e30):
        t = FunctionTask(helpers.fail_until, str(tmp_path / "refused"), 10)
        with pytest.raises(ValueError, match=rf"^max_backoff={re.escape(repr(value))}: expected seconds "
                                             rf"from 0 to "):
            t.run_and_retry(max_retry=1, exception=helpers.ServerError, max_backoff=value)
        assert not (tmp_path / "refused").exists()  # nothing ran

def test_pauses_are_taken_as_text_as_timeout_is(tmp_path):
    # backoff="100ms" had been "expected seconds from 0", where timeout=
    # and the CLI's --backoff take it.
    t = FunctionTask(helpers.fail_until, str(tmp_path / "tries"), 3)
    started = time.monotonic()
    assert t.run_and_retry(max_retry=3, exception=helpers.ServerError, backoff="50ms",
                           backoff_factor=2, max_backoff="0.08s") == 3
    assert t.attempts == 3
    assert time.monotonic() - started >= 0.05 + 0.08
