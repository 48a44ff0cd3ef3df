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
try:
    from . import _cordon  # noqa: F401 (the C extension, over libcordon)
except ImportError as e:
    # Python's own words for a missing extension blame a circular import
    raise ImportError("cordon's C extension (cordon/_cordon*.so) is not built or cannot be "
                      "loaded: build it with 'make python' in cordon's source tree, or "
                      "install cordon with 'make install'") from e
from . import errors
from .errors import *  # noqa: F401,F403 (the exception classes)
from .executor import Executor, Future, usable_cpus
from .options import Policy
from .tasks import Attempt, FunctionTask, ShellCommand, TaskThread, Usage

__version__ = "0.1.0"
__all__ = ["Attempt", "FunctionTask", "ShellCommand", "TaskThread", "Usage", "Policy",
           "Executor", "Future", "usable_cpus"] + errors.__all__
