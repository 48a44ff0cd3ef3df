"""The exceptions a task ends with, as Python classes.

Everything cordon raises about a task derives from TaskError; each carries
the class name cordon gave the ending (``exception``), the report
(``exc_out``) and the task itself (``task``), whose std_out, std_err and
usage stay readable.  An exception the task's own function raised comes back
as itself (a ServerError stays a ServerError) when it can be rebuilt here
from the modules already loaded, else as RemoteError.  The classes of this
module come only from what the C library saw (a signal, a cgroup's OOM
kill, a deadline), never from the task's word: a task that raises one of
them, a BaseException that is no Exception (KeyboardInterrupt,
GeneratorExit), or one that steers the caller (StopIteration,
StopAsyncIteration, concurrent.futures.CancelledError), ends with
RemoteError too.
"""
import concurrent.futures as _futures
import signal as _signal
from typing import Any, Optional

__all__ = [
    "TaskError", "Timeout", "CpuLimit", "MemoryLimit", "FileSizeLimit", "ProcessLimit",
    "PolicyViolation", "ExecError", "ConfinementError", "ReturnTooLarge", "ReturnError",
    "UntrustedReturn", "RemoteError", "Exited", "CommandFailed", "Crashed", "Cancelled",
]


class TaskError(Exception):
    """A task ended with an exception: a signal, a limit, a violation, …"""

    def __init__(self, message: str, *, exception: Optional[str] = None, exc_out: str = "",
                 task: Any = None) -> None:
        super().__init__(message)
        self.exception = exception or type(self).__name__
        self.exc_out = exc_out
        self.task = task


class Timeout(TaskError, TimeoutError):
    """The wall-clock deadline passed; the task's processes were killed (in a
    pid namespace its whole tree, else its process group and any cgroup)."""


class Cancelled(TaskError, _futures.CancelledError):
    """cancel() ended the run: its whole process tree was killed (or its
    child never started).  Also a concurrent.futures.CancelledError."""


class CpuLimit(TaskError):
    """The task used up its CPU time."""


class MemoryLimit(TaskError, MemoryError):
    """The task reached its memory limit: the kernel's OOM killer acted in
    its memory cgroup.  Under RLIMIT_AS (no cgroup) a failed allocation is
    the task's to handle: a function task's MemoryError comes back as that
    MemoryError, raised in the child."""


class FileSizeLimit(TaskError):
    """The task wrote a file past its size limit."""


class ProcessLimit(TaskError):
    """The task started more processes than its limit (each thread counts as
    one, as the kernel's pids.max and RLIMIT_NPROC count them)."""


class PolicyViolation(TaskError):
    """The seccomp policy killed the task; the message names the call."""


class ExecError(TaskError):
    """A command could not be started (not found, not executable)."""


class ConfinementError(TaskError):
    """A confinement step failed in the child: the task never ran."""


class ReturnError(TaskError):
    """The function's return value could not be brought back."""


class ReturnTooLarge(ReturnError):
    """The pickled return value exceeds the return limit (limits returns=,
    CORDON_LIMIT_RETURN)."""


class UntrustedReturn(ReturnError):
    """The returned pickle names a class the parent does not rebuild from a
    task's bytes (see FunctionTask's trust= option)."""


class RemoteError(TaskError):
    """The task raised an exception that cannot be rebuilt here (its class
    not loaded in the parent, or not picklable), or one the parent never
    raises for a task: a BaseException that is no Exception
    (KeyboardInterrupt, GeneratorExit), StopIteration, StopAsyncIteration,
    concurrent.futures.CancelledError or one of cordon's own classes.
    ``class_name`` names it and ``exc_out`` holds the child's traceback."""

    def __init__(self, message, *, class_name="", **kwargs):
        super().__init__(message, **kwargs)
        self.class_name = class_name


class Exited(TaskError):
    """The function ended its process (os._exit, sys.exit) instead of
    returning.  Either way the task's exit_code is the status python3
    would have exited with (sys.exit(4) and os._exit(4): 4; None: 0; a
    text: 1); ``code`` is what sys.exit was given, or os._exit's status."""

    def __init__(self, message, *, code=None, **kwargs):
        super().__init__(message, **kwargs)
        self.code = code


class CommandFailed(TaskError):
    """A command run with check=True exited with a status other than 0;
    ``exc_out`` ends with the last 4096 characters of its stderr."""


class Crashed(TaskError):
    """The task died of a signal; the subclass is named after it (SIGSEGV, …)."""

    signal = 0


def _crash_classes():
    """One subclass of Crashed per signal, named as `kill -l` names it."""
    classes = {}
    for sig in _signal.Signals:
        name = sig.name
        if name.startswith("SIG") and not name.startswith("SIG_") and name not in classes:
            classes[name] = type(name, (Crashed,), {
                "signal": int(sig), "__module__": __name__,
                "__doc__": f"The task died of {name}."})
    return classes


_CRASHES = _crash_classes()
globals().update(_CRASHES)
__all__ += sorted(_CRASHES)

# cordon's class names for the endings it reports itself.
_BY_NAME = {
    "Timeout": Timeout, "CpuLimit": CpuLimit, "MemoryLimit": MemoryLimit,
    "FileSizeLimit": FileSizeLimit, "ProcessLimit": ProcessLimit,
    "PolicyViolation": PolicyViolation, "ExecError": ExecError,
    "ConfinementError": ConfinementError, "ReturnTooLarge": ReturnTooLarge,
    "Cancelled": Cancelled,
}


def crash_class(signo):
    """The Crashed subclass for a signal number (Crashed itself if unnamed)."""
    try:
        return _CRASHES.get(_signal.Signals(signo).name, Crashed)
    except ValueError:
        return Crashed


def from_cordon(name, exc_out, signo, task):
    """The exception for an ending cordon classified itself."""
    first = exc_out.splitlines()[0] if exc_out else name
    # The report starts with the class, which the exception's type says.
    if first.startswith(name + ": "):
        first = first[len(name) + 2:]
    if name in _BY_NAME:
        cls = _BY_NAME[name]
    elif name.startswith("SIG") or name == "Signal":
        cls = _CRASHES.get(name) or crash_class(signo)
    else:
        cls = RemoteError
        return cls(first, class_name=name, exception=name, exc_out=exc_out, task=task)
    return cls(first, exception=name, exc_out=exc_out, task=task)
