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
def _extension_missing_why():
    """Why the extension did not load: one built for another Python (its
    file names the version) is not this one's, and 'make python' alone
    builds it for /usr/bin/python3, not for this interpreter."""
    import glob
    import os
    import sys
    import sysconfig
    here = os.path.dirname(os.path.abspath(__file__))
    built = sorted(os.path.basename(f) for f in glob.glob(os.path.join(here, "_cordon*.so")))
    wanted = "_cordon" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
    if built and wanted not in built:
        return ("cordon's C extension is built for another Python (%s), not this one (%s, "
                "which loads %s): build it for this one with 'make python PYTHON=%s' in "
                "cordon's source tree" % (", ".join(built), sys.version.split()[0], wanted,
                                          sys.executable))
    return ("cordon's C extension (cordon/_cordon*.so) is not built or cannot be loaded: build "
            "it with 'make python' in cordon's source tree, or install cordon with "
            "'make install'")


try:
    from . import _cordon  # noqa: F401 (the C extension, over libcordon)
except ImportError as e:
    # Python's own words for a missing extension blame a circular import
    raise ImportError(_extension_missing_why()) from e
from . import errors
from .errors import *  # noqa: F401,F403 (the exception classes)
from .executor import Executor, Future, usable_cpus
from .options import Policy
from .tasks import Attempt, FunctionTask, ShellCommand, TaskThread, Usage

__version__ = "0.1.0"
__all__ = ["Attempt", "FunctionTask", "ShellCommand", "TaskThread", "Usage", "Policy",
           "Executor", "Future", "usable_cpus"] + errors.__all__
