"""Crashes, deadlines, limits and violations: cordon's exception classes,
with what the task printed before its end."""
import os
import signal
import tempfile

import pytest

import cordon
from cordon.tasks import FunctionTask

import helpers


def test_os_abort_is_sigabrt_with_the_output_before_it():
    t = FunctionTask(helpers.abort_after_print)
    with pytest.raises(cordon.SIGABRT) as info:
        t.run()
    assert isinstance(info.value, cordon.Crashed) and isinstance(info.value, cordon.TaskError)
    assert info.value.signal == signal.SIGABRT
    assert t.std_out == "before the abort\n"
    assert t.std_err == "and on stderr\n"
    assert t.exc_out.startswith("SIGABRT")
    assert t.signal == signal.SIGABRT and t.exit_code == 128 + signal.SIGABRT


def test_a_segfault_through_ctypes_is_sigsegv_with_a_report():
    t = FunctionTask(helpers.segfault)
    with pytest.raises(cordon.SIGSEGV, match="Segmentation fault"):
        t.run()
    assert t.std_out == "before the segfault\n"
    assert "SEGV_MAPERR" in t.exc_out and "backtrace" in t.exc_out


def test_an_endless_loop_ends_at_the_timeout():
    t = FunctionTask(helpers.spin).configure(timeout=0.3)
    with pytest.raises(cordon.Timeout, match="deadline of 300 ms"):
        t.run()
    assert isinstance(t.usage.wall, float) and 0.25 < t.usage.wall < 5


def test_a_timeout_is_also_a_timeouterror():
    with pytest.raises(TimeoutError):
        FunctionTask(helpers.sleep, 10).configure(timeout="200ms").run()


def test_a_cpu_limit_ends_a_spinning_task():
    with pytest.raises(cordon.CpuLimit):
        FunctionTask(helpers.spin).configure(cpu=0.2, timeout=10).run()


def test_a_memory_hog_meets_its_memory_limit():
    t = FunctionTask(helpers.hog_memory).configure(memory="128M", timeout=20)
    with pytest.raises(MemoryError) as info:
        t.run()
    if t.usage.tree_peak_kb:
        # A memory cgroup counted the task: its OOM kill is cordon's evidence.
        assert type(info.value) is cordon.MemoryLimit and t.result["exception"] == "MemoryLimit"
    else:
        # RLIMIT_AS refused an allocation: the task's own MemoryError.
        assert type(info.value) is MemoryError and t.result["exception"] is None
        assert t.exception == "builtins.MemoryError"


def test_an_output_flood_is_capped_and_counted():
    t = FunctionTask(helpers.flood, 40).configure(output="1M", timeout=30)
    assert t.run() == 40
    assert len(t.std_out) == 1 << 20
    assert t.dropped["std_out"] == 39 << 20


def test_a_forbidden_call_is_a_named_policy_violation():
    t = FunctionTask(helpers.socket_call).configure(policy="nonet-kill")
    with pytest.raises(cordon.PolicyViolation, match="forbids socket\\(AF_INET"):
        t.run()


def test_without_a_policy_the_call_goes_through():
    FunctionTask(helpers.socket_call).configure(policy=None).run()


def test_a_confinement_failure_means_the_task_never_ran():
    # A working directory the caller has (a missing one is refused before
    # the run) that the child's private /tmp hides.
    hidden = tempfile.mkdtemp(dir="/tmp")
    try:
        t = FunctionTask(helpers.chatty, 1).configure(cwd=hidden, isolate="judge")
        try:
            t.run()
        except OSError as e:                    # no Landlock: never run either
            pytest.skip(f"no isolation preset here: {e}")
        except cordon.ConfinementError as e:
            if "working directory" not in str(e):
                pytest.skip(f"no isolation preset here: {e}")
        else:
            pytest.fail("the task ran in a directory its mount namespace hides")
        assert t.std_out == ""
    finally:
        os.rmdir(hidden)


def test_a_raise_ends_the_process_with_status_1():
    t = FunctionTask(helpers.raise_value_error)
    with pytest.raises(ValueError, match="the task's own"):
        t.run()
    assert t.exit_code == 1 and t.result["exception"] is None


def test_a_process_limit_that_refused_a_fork_is_named_when_the_task_then_raises():
    """As in C (cordon_raise is a failure): a function that raised after a
    fork its process limit refused ends in ProcessLimit, where a pids
    cgroup counted it; with status 0 the limit was hidden behind the
    task's own BlockingIOError."""
    t = FunctionTask(helpers.fork_until_refused, 10).configure(processes=4, timeout=20)
    with pytest.raises(Exception) as info:
        t.run()
    if t.result["exception"] == "ProcessLimit":
        assert type(info.value) is cordon.ProcessLimit and t.exit_code == 1
    elif os.geteuid() == 0:
        # Root's processes are held by a pids cgroup or not run at all.
        assert type(info.value) is cordon.ConfinementError
    else:
        # RLIMIT_NPROC, without a pids cgroup: the task's own refusal.
        assert type(info.value) is BlockingIOError and t.result["exception"] is None
