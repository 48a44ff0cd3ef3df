"""The options both kinds of task take, checked and turned into libcordon
calls before anything runs.

    timeout=2.5            seconds of wall clock (or "300ms", "2s", "1m")
    memory="256M"          bytes (K, M, G suffixes), cpu="2s" or seconds,
    processes=N, file_size="10M", open_files=N,
    output="64M"           bytes kept per stream (the rest is counted),
    returns="1M"           bytes of a function's pickled return value,
    policy="nonet"         a shipped name, a .policy path, a Policy, or None
                           for no filter (default: cordon's built-in default)
    user="nobody"          a name or uid (cordon must run as root)
    core_dumps=bytes       allow cores up to that size (default: none)
    tree_memory=True       a memory cgroup even without a memory limit, so
                           that usage.tree_peak_kb counts the whole tree
    cwd=, env={}, clear_env=False, stdin=b""   (commands; stdin for both)
    isolate="judge"        a preset: "judge" (system directories read-only, a
                           private /tmp, no network, nothing else readable)
                           or "isolated" (all readable, only a private /tmp
                           writable, no network); needs Landlock and pid and
                           mount namespaces (the task fails closed without)
    paths={"/var/tmp/job": "rwx"}   file rules (Landlock): r read, w write
                           (create, remove, rename), x execute beneath each
                           path; nothing else is reachable but the system's
                           directories, which come along
    network="none"         a network namespace with only its own loopback
"""
import collections.abc
import errno
import logging
import os
import pwd
import re
import threading

from . import _cordon

Policy = _cordon.Policy

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_TIME = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000}
_LIMITS = {
    "memory": _cordon.LIMIT_MEMORY, "processes": _cordon.LIMIT_PROCESSES,
    "file_size": _cordon.LIMIT_FILE_SIZE, "open_files": _cordon.LIMIT_OPEN_FILES,
    "output": _cordon.LIMIT_OUTPUT, "returns": _cordon.LIMIT_RETURN,
}
KNOWN = frozenset(_LIMITS) | {"timeout", "cpu", "policy", "user", "core_dumps", "cwd",
                              "env", "clear_env", "stdin", "tree_memory", "isolate", "paths",
                              "network"}
DEFAULT_RETURN_LIMIT = 1 << 20

# The largest size or time any option takes, the CLI's bound: a century of
# milliseconds, an exbibyte of memory.  Past 2**64 the extension's setters
# would wrap the value (memory=2**64 was no limit at all).
_MOST = 4 * 10**18

_policies = {}
_policies_lock = threading.Lock()


def _fresh_policies_lock():
    """In a child of os.fork: a thread compiling a policy at the fork did
    not come along, and would hold the lock for good."""
    global _policies_lock
    _policies_lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_policies_lock)


def _at_most(name, value, result, what):
    if result > _MOST:
        raise ValueError(f"{name}={value!r}: more {what} than cordon takes (at most 4e18)")
    return result


def size(name, value):
    """Bytes from 1048576, "1M", "64k", "2G"."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return _at_most(name, value, value, "bytes")
    match = re.fullmatch(r"\s*(\d+)\s*([kKmMgGtT]?)i?[bB]?\s*", str(value))
    if not match:
        raise ValueError(f"{name}={value!r}: expected bytes, e.g. 268435456 or '256M'")
    return _at_most(name, value, int(match.group(1)) * _UNITS[match.group(2).lower()], "bytes")


def _set_limit(task, name, what, raw, value):
    """A value libcordon refuses is the caller's mistake: a ValueError that
    names the option and what it takes, never the setter's OSError."""
    try:
        task.set_limit(what, value)
    except OSError as e:
        if e.errno != errno.EINVAL:
            raise
        if what == _cordon.LIMIT_MEMORY and value < _cordon.MEMORY_MIN:
            unitless = re.fullmatch(r"\s*\d+\s*", str(raw)) is not None
            hint = f"; did you mean '{str(raw).strip()}M'?" if unitless else ""
            raise ValueError(f"{name}={raw!r}: {value} byte{'' if value == 1 else 's'} is too "
                             f"small to start any task (at least 1M){hint}") from None
        if what in (_cordon.LIMIT_OUTPUT, _cordon.LIMIT_RETURN):
            raise ValueError(f"{name}={raw!r}: {value} bytes is out of range (1 to 1G)") from None
        raise ValueError(f"{name}={raw!r}: {value} is refused by cordon") from None


# Counts, not sizes: "2M" processes is no number of processes.  The least
# is what cordon needs (fds 0-3, the listener and its socket), the most
# what the CLI takes (the kernel's own fd ceiling is 2**20).
_COUNTS = {"processes": 1, "open_files": 6}
_MOST_COUNT = 1000000


def count(name, value):
    """A whole number of processes or fds, checked here."""
    low = _COUNTS[name]
    if (isinstance(value, bool) or not isinstance(value, int)
            or not low <= value <= _MOST_COUNT):
        raise ValueError(f"{name}={value!r}: expected a whole number from {low} to "
                         f"{_MOST_COUNT}, e.g. 64")
    return value


def milliseconds(name, value):
    """Milliseconds from seconds (2.5) or "300ms", "2s", "1m"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        if value > _MOST / 1000:    # infinity too: round() would raise OverflowError
            raise ValueError(f"{name}={value!r}: more seconds than cordon takes "
                             f"(at most 4e15)")
        return max(1, round(value * 1000)) if value else 0
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*(ms|s|m|h)?\s*", str(value))
    if not match:
        raise ValueError(f"{name}={value!r}: expected seconds, e.g. 2.5 or '300ms'")
    ms = float(match.group(1)) * _TIME[match.group(2) or "s"]
    if ms > _MOST:
        raise ValueError(f"{name}={value!r}: more seconds than cordon takes (at most 4e15)")
    # "0" or "0s" means what 0 means, no limit: it was a limit of 1 ms, and
    # every run under it ended at once.
    return max(1, round(ms)) if ms else 0


def policy(value):
    """A Policy, compiled once per name or path for the whole process."""
    if value is None or isinstance(value, Policy):
        return value
    with _policies_lock:
        if value not in _policies:
            try:
                _policies[value] = Policy(str(value))
            except ValueError as e:
                raise ValueError(f"policy={value!r}: {e}") from None
        return _policies[value]


def user_ids(value):
    """(uid, gid) of a user name or uid; a ValueError naming the option for
    one the system does not know (pwd's own KeyError says neither)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"user={value!r}: expected a user name or a uid")
    try:
        entry = pwd.getpwuid(value) if isinstance(value, int) else pwd.getpwnam(value)
    except (KeyError, OverflowError, ValueError):
        raise ValueError(f"user={value!r}: no such user") from None
    return entry.pw_uid, entry.pw_gid


def log_level(value):
    """The numeric level of a logging level (20, "INFO"), checked in the
    caller: a bad one would only fail in the child, after the fork."""
    try:
        return logging._checkLevel(value)
    except (ValueError, TypeError):
        raise ValueError(f"log_level={value!r}: expected a logging level, e.g. "
                         f"logging.DEBUG or 'WARNING'") from None


def environment(value):
    """The env option's entries, a mapping of names to values.  A name holding
    '=' (or none at all) would make another variable: {"A=B": "c"} sets A
    to "B=c"."""
    if not isinstance(value, collections.abc.Mapping):
        raise TypeError(f"env={value!r}: expected a mapping of names to values, "
                        f"e.g. {{'LANG': 'C'}}")
    for key in value:
        name = str(key)
        if not name or "=" in name or "\0" in name:
            raise ValueError(f"env: {key!r} is not a variable name (one without '=' "
                             f"or NUL, not empty)")
    return value.items()


_PRESETS = ("judge", "isolated")
_ACCESS = {"r": _cordon.READ, "w": _cordon.WRITE, "x": _cordon.EXEC}
_NETWORKS = {"none": _cordon.NETWORK_NONE, "host": _cordon.NETWORK_HOST}


def _unsupported(name, value, e):
    """A machine without Landlock cannot honour a file rule: an OSError that
    names the option, for the caller to decide (never a task run without)."""
    return OSError(e.errno, f"{name}={value!r}: {e.strerror} (this machine or user "
                   f"lacks Landlock: the option cannot be honoured)")


def isolate(task, value):
    """cordon_set_isolation: a preset by name, checked here."""
    if value not in _PRESETS:
        raise ValueError(f"isolate={value!r}: expected one of {', '.join(_PRESETS)}")
    try:
        task.set_isolation(value)
    except OSError as e:
        if e.errno == errno.EOPNOTSUPP:
            raise _unsupported("isolate", value, e) from None
        raise


def _access(path, letters):
    if not isinstance(letters, str) or not letters or set(letters) - set(_ACCESS):
        raise ValueError(f"paths[{path!r}]={letters!r}: expected letters of 'rwx', e.g. 'rw'")
    bits = 0
    for letter in letters:
        bits |= _ACCESS[letter]
    return bits


def allow_paths(task, value, preset):
    """One Landlock rule per path; the system's directories come along
    (a preset gives them itself)."""
    if not isinstance(value, collections.abc.Mapping):
        raise TypeError(f"paths={value!r}: expected a mapping of paths to access, "
                        f"e.g. {{'/var/tmp/job': 'rw'}}")
    rules = [(str(path), _access(path, letters)) for path, letters in value.items()]
    for path, bits in rules:
        try:
            task.allow_path(path, bits)
        except OSError as e:
            if e.errno == errno.EOPNOTSUPP:
                raise _unsupported("paths", value, e) from None
            if e.errno == errno.EXDEV:
                raise ValueError(f"paths: {path!r} lies beneath the task's private /tmp, "
                                 f"which hides it; give a directory outside /tmp, "
                                 f"e.g. in /var/tmp") from None
            raise OSError(e.errno, f"paths: {path!r}: {e.strerror}") from None
    if rules and not preset:
        task.allow_system_paths()


def directory(task, value):
    """The working directory, checked now as the CLI's --cwd is: a missing
    one is the caller's mistake, not the child's ConfinementError."""
    path = os.fspath(value)
    if not os.path.isdir(path):
        code = errno.ENOTDIR if os.path.exists(path) else errno.ENOENT
        raise OSError(code, f"cwd={value!r}: {os.strerror(code)}")
    task.set_cwd(str(path))


def network(task, value):
    if value not in _NETWORKS:
        raise ValueError(f"network={value!r}: expected 'none' or 'host'")
    task.set_network(_NETWORKS[value])


def check(options, allowed=KNOWN):
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(sorted(allowed))}")


def apply(task, options, return_headroom=0):
    """Sets every option on a _cordon.Task.  Returns the caller's return
    limit (bytes), for a function task's child to hold its value to."""
    check(options)
    if options.get("timeout") is not None:
        task.set_timeout_ms(milliseconds("timeout", options["timeout"]))
    if options.get("cpu") is not None:
        task.set_limit(_cordon.LIMIT_CPU_MS, milliseconds("cpu", options["cpu"]))
    return_limit = DEFAULT_RETURN_LIMIT
    for name, what in _LIMITS.items():
        if options.get(name) is None:
            continue
        value = count(name, options[name]) if name in _COUNTS else size(name, options[name])
        if name == "returns":
            if not 0 < value <= 1 << 30:
                raise ValueError(f"returns={options[name]!r}: {value} bytes is out of range "
                                 f"(1 to 1G)")
            return_limit = value
            continue
        _set_limit(task, name, what, options[name], value)
    # The region holds the value (held to the limit by the child) and the
    # envelope around it.
    task.set_limit(_cordon.LIMIT_RETURN, min(return_limit + return_headroom, 1 << 30))
    if "policy" in options:
        task.set_policy(policy(options["policy"]))
    if options.get("user") is not None:
        task.set_user(*user_ids(options["user"]))
    if options.get("core_dumps") is not None:
        task.set_core_dumps(size("core_dumps", options["core_dumps"]))
    if options.get("tree_memory") is not None:
        task.set_tree_accounting(bool(options["tree_memory"]))
    if options.get("cwd") is not None:
        directory(task, options["cwd"])
    if options.get("clear_env"):
        task.clear_env()
    for key, value in environment(options.get("env") or {}):
        task.set_env(f"{key}={value}")
    if options.get("isolate") is not None:
        isolate(task, options["isolate"])
    if options.get("paths") is not None:
        allow_paths(task, options["paths"], options.get("isolate"))
    if options.get("network") is not None:
        network(task, options["network"])
    if options.get("stdin") is not None:
        data = options["stdin"]
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"stdin={data!r}: expected bytes or str")
        task.set_stdin(data.encode() if isinstance(data, str) else data)
    return return_limit
