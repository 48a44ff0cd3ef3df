"""cordon: run Python functions and commands in confined, watched children.

    import cordon
    from cordon.tasks import FunctionTask, ShellCommand
    with cordon.Executor(max_workers=4, timeout=10) as ex:   # concurrent.futures
        print(list(ex.map(len, ["a", "bb"])))

Every task runs in a forked child under a seccomp policy, resource limits,
no capabilities and its own Landlock domain; its output, log, return value
and any crash come back to the caller, which nothing the task does can
harm.  The exceptions are in cordon.errors and here.
"""
from . import errors
from .errors import *  # noqa: F401,F403 (the exception classes)
from .executor import Executor, Future, usable_cpus
from .options import Policy
from .tasks import Attempt, FunctionTask, ShellCommand, TaskThread, Usage

__version__ = "0.1.0"
__all__ = ["Attempt", "FunctionTask", "ShellCommand", "TaskThread", "Usage", "Policy",
           "Executor", "Future", "usable_cpus"] + errors.__all__
