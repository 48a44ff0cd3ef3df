"""The options both kinds of task take, checked and turned into libcordon
calls before anything runs.

    timeout=2.5            seconds of wall clock (a number, a timedelta, a
                           Fraction or a Decimal), or text as the
                           CLI's --timeout takes it: "300ms", "1.5s", "2m"
    memory="256M"          bytes (an int), or text as the CLI's --mem takes
                           it: "1.5G", "64K", "2MiB"; cpu=2 or "250ms",
    processes=N, file_size="10M", open_files=N,
                           None (or leaving one out) is no limit; 0 and a
                           negative value are refused (ValueError)
    output="64M"           bytes kept per stream (the rest is counted),
    returns="1M"           bytes of a function's pickled return value,
    policy="nonet"         a shipped name, a .policy path, a Policy, or None
                           for no filter (default: cordon's built-in default)
    user="nobody"          a name or uid (cordon must run as root, or it is its own);
                           without it the caller's user (root's tasks: root,
                           without capabilities; `cordon run` gives nobody);
                           a command run as another user gets its HOME, USER
                           and LOGNAME, as with --user (env= still sets them)
    core_dumps=bytes       allow cores up to that size ("unlimited": any; default: none)
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
                           directories, which come along (paths={}: those
                           alone)
    network="none"         a network namespace with only its own loopback
    tmpfs="/tmp"           an empty tmpfs of the task's own over that
                           directory (or a list of them, at most 8)
    bind=[(src, dst)]      src bound over dst (absolute, existing, the same
                           kind) in the task's mount namespace; ro_bind=
                           the same read-only (at most 8 in all)
    dev="minimal"          a /dev of its own (null, zero, full, random,
                           urandom, tty, its own ptys); "host" gives back
                           a preset's
    hostname="box"         a UTS namespace with that host name
    cgroup_namespace=True  the task's cgroup is the root it sees
"""
import collections.abc
import datetime
import decimal
import errno
import fractions
import math
import logging
import os
import stat
import pwd
import threading

from . import _cordon, _units

Policy = _cordon.Policy

_LIMITS = {
    "memory": _cordon.LIMIT_MEMORY, "processes": _cordon.LIMIT_PROCESSES,
    "file_size": _cordon.LIMIT_FILE_SIZE, "open_files": _cordon.LIMIT_OPEN_FILES,
    "output": _cordon.LIMIT_OUTPUT, "returns": _cordon.LIMIT_RETURN,
}
KNOWN = frozenset(_LIMITS) | {"timeout", "cpu", "policy", "user", "core_dumps", "cwd",
                              "env", "clear_env", "stdin", "tree_memory", "isolate", "paths",
                              "network", "tmpfs", "bind", "ro_bind", "dev", "hostname",
                              "cgroup_namespace"}
DEFAULT_RETURN_LIMIT = 1 << 20
# Options that are on or off: True or False (or None), nothing else.  A
# truth test had taken check="false" or clear_env="no" as on.
_SWITCHES = ("cgroup_namespace", "tree_memory", "clear_env", "check")

_policies = {}
_policies_lock = threading.RLock()


def _fresh_policies_lock():
    """In a child of os.fork: a thread compiling a policy at the fork did
    not come along, and would hold the lock for good."""
    global _policies_lock
    _policies_lock = threading.RLock()


os.register_at_fork(after_in_child=_fresh_policies_lock)


# Every limit, size and time option's value goes through limit() below,
# from configure() (a mistake shows there) and again from apply().  None
# (or leaving the option out) is no limit; 0 is refused, as the CLI refuses
# it: in the library 0 reads as no limit, so timeout=0 or memory=0 ran
# with none at all, which is never what one who wrote it meant.  Text is
# read by _units, the CLI's own parsers ported, so that "1.5M" or "250ms"
# means here what it means to `cordon run`.
_NO_LIMIT = "pass None (or leave the option out) for no limit"
# A deadline is not a date: the CLI's bound on a time limit.
_TIME_LIMIT_MAX_MS = 10**12
_ONE_G = 1 << 30
# Counts, not sizes: "2M" processes is no number of processes.  The least
# is what cordon needs (fds 0-3, the listener and its socket), the most
# what the library and the CLI take: what any kernel holds.
_COUNTS = {"processes": 1, "open_files": 6}
_MOST_COUNT = {"processes": _cordon.MAX_PROCESSES, "open_files": _cordon.MAX_OPEN_FILES}
# What None gives where it is not "no limit".
_DEFAULTS = {"output": "for the default, 64M", "returns": "for the default, 1M",
             "open_files": "for the default (half the caller's own limit)"}


def _refused(name, value, what, instead=_NO_LIMIT):
    return ValueError(f"{name}={value!r}: {what}; {instead}")


def _a(noun):
    """'a str', 'an int': the article a type's name takes."""
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _bytes(name, value):
    """An int as it is (any sign, any size), or text read as the CLI's
    sizes are, SIZE_MAX + 1 standing for text past the largest."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return _units.parse_size(value)
        except _units.TooLarge:
            return _units.SIZE_MAX + 1
        except _units.NotAUnit:
            pass
    raise ValueError(f"{name}={value!r}: not a size (e.g. 512K, 256M, 1.5G, or an int "
                     f"of bytes)")


def seconds_of(value):
    """A timedelta, Fraction or Decimal as the float of seconds it is
    (they had been "not a time"); anything else as it is."""
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (fractions.Fraction, decimal.Decimal)):
        try:
            return float(value)
        except (ValueError, OverflowError):  # Decimal('sNaN'): "not a time" below
            return math.nan
    return value


def _ms(name, value):
    """Milliseconds of a number of seconds or of text read as the CLI's
    times are (a fraction of a ms rounded up, a time under 1 ms refused);
    None past any bound."""
    given, value = value, seconds_of(value)
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return value * 1000
        if isinstance(value, float) and value == value:  # not NaN
            return -1 if value < 0 else _units.ms_of(value, 1000.0, value)
        if isinstance(value, str):
            return _units.parse_time_ms(value)
    except _units.TooLarge:
        return None
    except _units.TooSmall:
        raise ValueError(f"{name}={given!r}: is below cordon's 1 ms resolution") from None
    except _units.NotAUnit:
        pass
    raise ValueError(f"{name}={given!r}: not a time (e.g. 500ms, 1.5s, 2m, or a number of "
                     f"seconds)")


def _time_limit(name, value):
    ms = _ms(name, value)
    if ms is not None and ms < 0:
        raise _refused(name, value, "a negative limit is refused")
    if ms == 0:
        raise _refused(name, value, "a limit of zero is refused")
    if ms is None or ms > _TIME_LIMIT_MAX_MS:
        raise _refused(name, value, "longer than 31 years")
    return ms


def _too_large(name, value, instead):
    return _refused(name, value, f"larger than {_units.SIZE_MAX_TEXT}, the largest size "
                                 f"cordon takes", instead)


def _size_limit(name, value):
    size = _bytes(name, value)
    if size < 0:
        raise _refused(name, value, "a negative limit is refused")
    if size == 0:
        raise _refused(name, value, "a limit of zero is refused")
    if size > _units.SIZE_MAX:
        raise _too_large(name, value, _NO_LIMIT)
    # A forgotten unit (memory=64) would end in a baffling failure of the
    # task's set-up: the library's floor, said as the CLI's --mem says it.
    if name == "memory" and size < _cordon.MEMORY_MIN:
        what = f"{size} byte{'' if size == 1 else 's'} is too small to start any task"
        bare = isinstance(value, int) or value[-1] in "0123456789"
        raise ValueError(f"{name}={value!r}: {what}; "
                         + (f"did you mean '{value}M'?" if bare else "it takes at least 1M"))
    return size


def _kept_bytes(name, value):
    """output and returns: from 1 byte to 1G, as the CLI's --out-cap."""
    size = _bytes(name, value)
    if not 1 <= size <= _ONE_G:
        raise _refused(name, value, "out of range (1 byte to 1G)",
                       f"pass None (or leave the option out) {_DEFAULTS[name]}")
    return size


_CORES_OF_ANY_SIZE = (1 << 64) - 1  # cordon_set_core_dumps' UINT64_MAX


def _core_bytes(name, value):
    """Cores allowed up to this size: 0 is none, as None is; "unlimited"
    any size, as the CLI's --core takes it (it was "not a size")."""
    if value == "unlimited":
        return _CORES_OF_ANY_SIZE
    size = _bytes(name, value)
    if size < 0:
        raise _refused(name, value, "a negative size is refused",
                       "pass 0 or None for no core dumps")
    if size > _units.SIZE_MAX:
        raise _too_large(name, value, "pass 0 or None for no core dumps")
    return size


def _count(name, value):
    """A whole number of processes or fds."""
    low, most = _COUNTS[name], _MOST_COUNT[name]
    if (isinstance(value, bool) or not isinstance(value, int)
            or not low <= value <= most):
        raise _refused(name, value, f"expected a whole number from {low} to {most}, "
                                    f"e.g. 64",
                       f"pass None (or leave the option out) {_DEFAULTS.get(name, 'for no limit')}")
    return value


_KINDS = {"timeout": _time_limit, "cpu": _time_limit,
          "memory": _size_limit, "file_size": _size_limit,
          "output": _kept_bytes, "returns": _kept_bytes,
          "core_dumps": _core_bytes,
          "processes": _count, "open_files": _count}


def limit(name, value):
    """The value of a limit, size or time option as libcordon takes it
    (milliseconds, bytes, a count), or a ValueError naming the option and
    what it takes."""
    return _KINDS[name](name, value)


def check_values(options):
    """Every limit option's value not None, checked (configure's check)."""
    for name, value in options.items():
        if name in _KINDS and value is not None:
            limit(name, value)


def _set_limit(task, name, what, raw, value):
    """A value libcordon refuses is the caller's mistake: a ValueError that
    names the option, never the setter's OSError (limit() said every one it
    knows already)."""
    try:
        task.set_limit(what, value)
    except OSError as e:
        if e.errno != errno.EINVAL:
            raise
        raise ValueError(f"{name}={raw!r}: {value} is refused by cordon") from None


def policy(value):
    """A Policy, compiled once per name or path for the whole process."""
    if value is None or isinstance(value, Policy):
        return value
    # policy=123 was looked for as a policy named '123' (a ValueError)
    named = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(named, str):
        raise TypeError(f"policy={value!r}: expected a policy name, a .policy path, "
                        f"a Policy or None")
    value = named
    with _policies_lock:
        if value not in _policies:
            try:
                _policies[value] = Policy(str(value))
            except ValueError as e:
                raise ValueError(f"policy={value!r}: {e}") from None
        return _policies[value]


def user_ids(value):
    """(uid, gid) of a user name or uid, as `cordon run --user` takes it: a
    name first, else a uid (an int, or its digits) from 0 to 2**32 - 2,
    with its passwd entry's group or, without an entry, the group of the
    same number.  A ValueError names the option for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"user={value!r}: expected a user name or a uid")
    if isinstance(value, str):
        try:
            entry = pwd.getpwnam(value)
            return entry.pw_uid, entry.pw_gid
        except (KeyError, ValueError):
            pass
    uid = value if isinstance(value, int) else _digits(value)
    if uid is None or not 0 <= uid <= 2**32 - 2:
        raise ValueError(f"user={value!r}: no such user, and not a uid from 0 to "
                         f"{2**32 - 2}") from None
    try:
        return uid, pwd.getpwuid(uid).pw_gid
    except KeyError:
        return uid, uid  # a uid without an entry: its own group, as --user gives


def _digits(text):
    """The number `text` spells in ASCII digits alone, else None (int()
    would take '+5', ' 5', '5_0' and other scripts' digits)."""
    if text and text.isascii() and text.isdigit():
        return int(text)
    return None


def task_user(value):
    """The (uid, gid) the task is to run as, or None for the caller's own
    user, which nothing need change (as `cordon run --user`).  A caller
    that is not root cannot switch: refused here, naming the option, rather
    than as a bare EPERM from run()."""
    uid, gid = user_ids(value)
    if os.geteuid() == 0:
        return uid, gid
    own = uid == os.getuid() == os.geteuid() and gid == os.getgid() == os.getegid()
    others = sorted(set(os.getgroups()) - {gid})
    if own and not others:
        return None
    if own:
        raise PermissionError(errno.EPERM, f"user={value!r} is this process's own user, but it "
                              f"holds other groups besides {gid} ({', '.join(map(str, others))}), "
                              f"which a task it cannot change the ids of would keep; leave the "
                              f"option out, or run without those groups")
    raise PermissionError(errno.EPERM, f"user={value!r}: cordon runs a task as another user "
                          f"only when it runs as root (this process is uid {os.geteuid()}); "
                          f"leave the option out to run it as this process's user")


def log_level(value):
    """The numeric level of a logging level (20, "INFO"), checked in the
    caller: a bad one would only fail in the child, after the fork.  A
    bool is no level, though an int to Python (True was level 1)."""
    if isinstance(value, bool):
        raise ValueError(f"log_level={value!r}: expected a logging level, e.g. "
                         f"logging.DEBUG or 'WARNING'")
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
    entries = []
    for key, text in value.items():
        # as subprocess: text (or bytes, the file system's encoding), never
        # another object made text (None became "None")
        if isinstance(key, bytes):
            key = os.fsdecode(key)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if type(key) is not str:
            raise TypeError(f"env: the name {key!r} is {_a(type(key).__name__)}, not a str")
        if not key or "=" in key or "\0" in key:
            raise ValueError(f"env: {key!r} is not a variable name (one without '=' "
                             f"or NUL, not empty)")
        if not isinstance(text, str):
            raise TypeError(f"env: the value of {key!r} is {_a(type(text).__name__)}, not a str")
        if "\0" in text:
            raise ValueError(f"env: the value of {key!r} holds a NUL byte, which would end it")
        for part, what in ((key, "name"), (text, f"value of {key!r}")):
            try:
                part.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"env: the {what} is not UTF-8 text (cordon passes the "
                                 "environment as UTF-8)") from None
        entries.append((key, text))
    return entries


_PRESETS = ("judge", "isolated")
# paths=' letters and their bits, in the order a rule's access is written
# ("rwx"), for reading paths= and for a result's file rules.
ACCESS_BITS = {"r": _cordon.READ, "w": _cordon.WRITE, "x": _cordon.EXEC}
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
    if not isinstance(letters, str) or not letters or set(letters) - set(ACCESS_BITS):
        raise ValueError(f"paths[{path!r}]={letters!r}: expected letters of 'rwx', e.g. 'rw'")
    bits = 0
    for letter in letters:
        bits |= ACCESS_BITS[letter]
    return bits


def allow_paths(task, value, preset):
    """One Landlock rule per path; the system's directories come along
    (a preset gives them itself)."""
    if not isinstance(value, collections.abc.Mapping):
        raise TypeError(f"paths={value!r}: expected a mapping of paths to access, "
                        f"e.g. {{'/var/tmp/job': 'rw'}}")
    rules = [(_path_text("paths", path), _access(path, letters))
             for path, letters in value.items()]
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
    # An empty mapping (say, built from a list of scratch directories that
    # came out empty) is file rules with nothing granted, not none: it had
    # left every file of the user's reachable.
    if not preset:
        task.allow_system_paths()


def _checked_directory(value):
    try:
        path = os.fspath(value)
    except TypeError:
        raise TypeError(f"cwd={value!r}: expected a path (str, bytes or os.PathLike)") from None
    if "\0" in os.fsdecode(path):
        raise ValueError(f"cwd={value!r}: a path holds no NUL byte")
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        raise ValueError(f"cwd={value!r}: holds a character no file name can have "
                         f"(a lone surrogate)") from None
    # stat's own errno: isdir() and exists() took every failure for "No
    # such file or directory", a directory nobody may search (EACCES) and
    # a path too long (ENAMETOOLONG) among them.
    try:
        is_directory = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as error:
        code = error.errno or errno.ENOENT
        raise OSError(code, f"cwd={value!r}: {os.strerror(code)}") from None
    if not is_directory:
        raise OSError(errno.ENOTDIR, f"cwd={value!r}: {os.strerror(errno.ENOTDIR)}")
    return path


def directory(task, value):
    """The working directory, checked now as the CLI's --cwd is: a missing
    one is the caller's mistake, not the child's ConfinementError (and by
    configure() too, as paths= is: it showed only at run())."""
    task.set_cwd(os.fsdecode(_checked_directory(value)))


def network(task, value):
    if value not in _NETWORKS:
        raise ValueError(f"network={value!r}: expected 'none' or 'host'")
    task.set_network(_NETWORKS[value])


_DEVS = ("minimal", "host")
_MOUNT_OPTIONS = ("isolate", "tmpfs", "bind", "ro_bind", "dev")
_MOUNT_ERRORS = {
    errno.ENOTDIR: "one is a directory and the other is not",
    errno.EISDIR: "one is a directory and the other is not",
    errno.E2BIG: "at most 8 of them",
    errno.EXDEV: "is, lies beneath or holds another tmpfs, bind or paths= entry of the "
                 "task's; mounts may not hide each other",
}


def _tmpfs_list(value):
    if isinstance(value, (str, bytes, os.PathLike)):
        value = [value]
    # A sequence, not any iterable: configure() reads it once to check it
    # and run() again (a generator's mounts were gone by then, unsaid).
    if not isinstance(value, collections.abc.Sequence):
        raise TypeError(f"tmpfs={value!r}: expected a directory or a list of them")
    return [_path_text("tmpfs", p) for p in value]


def _path_text(option, path):
    try:
        text = os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{option}: {path!r} is not a path") from None
    if "\0" in text or not text:
        raise ValueError(f"{option}: {path!r} is not a path")
    # A name that is not UTF-8 stays the file system's bytes (os.fsdecode's
    # surrogates), as cwd= and a command's arguments do: it had been
    # refused, "cordon passes paths as UTF-8", which it does not.
    return text


def _bind_pairs(option, value):
    """(source, target) pairs: a list of them, or one."""
    if (isinstance(value, tuple) and len(value) == 2 and
            all(isinstance(v, (str, bytes, os.PathLike)) for v in value)):
        value = [value]
    if not isinstance(value, collections.abc.Sequence) or isinstance(value, (str, bytes)):
        raise TypeError(f"{option}={value!r}: expected (source, target) pairs, e.g. "
                        f"[('/srv/data', '/data')]")
    pairs = []
    for pair in value:
        if (isinstance(pair, (str, bytes)) or not isinstance(pair, collections.abc.Sequence)
                or len(pair) != 2):
            raise TypeError(f"{option}={value!r}: expected (source, target) pairs, e.g. "
                            f"[('/srv/data', '/data')]")
        pairs.append((_path_text(option, pair[0]), _path_text(option, pair[1])))
    return pairs


def _mount_error(what, e):
    """A mistake in the options is a ValueError; the machine's refusal (a
    path not found, no permission) the OSError of its errno."""
    if e.errno == errno.EINVAL:
        return ValueError(f"{what}: " + ("the target is not an absolute path, or is /"
                                        if " over " in what else "not an absolute path"))
    # a tmpfs has no source: not a directory is all there is to say
    if e.errno == errno.ENOTDIR and " over " not in what:
        return ValueError(f"{what}: not a directory")
    if e.errno in _MOUNT_ERRORS:
        return ValueError(f"{what}: {_MOUNT_ERRORS[e.errno]}")
    return OSError(e.errno, f"{what}: {e.strerror}")


def mounts_and_names(task, options):
    """tmpfs=, bind=, ro_bind=, dev=, hostname=, cgroup_namespace=: the
    library's calls, in the CLI's order (after the preset and the paths),
    each error naming the option and its value."""
    for path in _tmpfs_list(options.get("tmpfs") or []):
        try:
            task.add_tmpfs(path)
        except OSError as e:
            raise _mount_error(f"tmpfs {path!r}", e) from None
    for option in ("bind", "ro_bind"):
        for source, target in _bind_pairs(option, options.get(option) or []):
            try:
                task.add_bind(source, target, option == "ro_bind")
            except OSError as e:
                raise _mount_error(f"{option} {source!r} over {target!r}", e) from None
    if options.get("dev") is not None:
        task.set_minimal_dev(options["dev"] == "minimal")
    if options.get("hostname") is not None:
        try:
            task.set_hostname(options["hostname"])
        except OSError:
            raise ValueError(f"hostname={options['hostname']!r}: not a host name (letters, "
                             f"digits, '-' and '.', at most 64)") from None
    if options.get("cgroup_namespace") is not None:
        task.set_cgroup_namespace(bool(options["cgroup_namespace"]))


def _check_mount_shapes(options):
    if options.get("tmpfs") is not None:
        _tmpfs_list(options["tmpfs"])
    for option in ("bind", "ro_bind"):
        if options.get(option) is not None:
            for source, target in _bind_pairs(option, options[option]):
                for path in (source, target):
                    try:
                        os.stat(path)
                    except OSError as e:
                        raise OSError(e.errno, f"{option}: {path!r}: {e.strerror}") from None
    if options.get("dev") is not None and options["dev"] not in _DEVS:
        raise ValueError(f"dev={options['dev']!r}: expected 'minimal' or 'host'")
    name = options.get("hostname")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"hostname={name!r}: expected a str")
    if name is not None and (not name.isascii() or "\0" in name):
        raise ValueError(f"hostname={name!r}: not a host name (letters, digits, '-' and '.', "
                         f"at most 64)")


def check_shapes(options):
    """What configure() can tell of the other options without a task: a
    preset, a network, file rules (a path that is not there among them), a
    log level, a user, an environment or a stdin the run would refuse is
    refused now, naming the option (a typo in isolate= showed only at
    run())."""
    if options.get("isolate") is not None and options["isolate"] not in _PRESETS:
        raise ValueError(f"isolate={options['isolate']!r}: expected one of {', '.join(_PRESETS)}")
    if options.get("network") is not None and options["network"] not in _NETWORKS:
        raise ValueError(f"network={options['network']!r}: expected 'none' or 'host'")
    for name in _SWITCHES:
        flag = options.get(name)
        if flag is not None and not isinstance(flag, bool):
            raise TypeError(f"{name}={flag!r}: expected True or False")
    _check_mount_shapes(options)
    if options.get("paths") is not None:
        value = options["paths"]
        if not isinstance(value, collections.abc.Mapping):
            raise TypeError(f"paths={value!r}: expected a mapping of paths to access, "
                            f"e.g. {{'/var/tmp/job': 'rw'}}")
        for path, letters in value.items():
            _access(path, letters)
            text = _path_text("paths", path)
            try:  # as the library's rule opens it at run()
                os.stat(text)
            except OSError as e:
                raise OSError(e.errno, f"paths: {path!r}: {e.strerror}") from None
    if "log_level" in options:
        log_level(options["log_level"])
    if options.get("user") is not None:
        task_user(options["user"])
    if options.get("cwd") is not None:
        _checked_directory(options["cwd"])
    if options.get("env") is not None:
        environment(options["env"])
    data = options.get("stdin")
    if data is not None and not isinstance(data, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"stdin={data!r}: expected bytes or str")
    if isinstance(data, str):
        _stdin_bytes(data)


def _stdin_bytes(text):
    """A str stdin as the UTF-8 the task reads; one that is no text
    (a lone surrogate) is refused naming stdin= (a bare UnicodeEncodeError
    came from run())."""
    try:
        return text.encode()
    except UnicodeEncodeError as e:
        raise ValueError(f"stdin: {text[max(e.start - 10, 0):e.end + 10]!r} is not UTF-8 text "
                         f"(give bytes for bytes that are not text)") from None


def check(options, allowed=KNOWN):
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(sorted(allowed))}")


def identity_environment(uid, given):
    """HOME, USER and LOGNAME of the user a command runs as, as `cordon run
    --user` and su give them: the caller's (root's HOME=/root) had been
    left to a task run as nobody."""
    try:
        entry = pwd.getpwuid(uid)
        home, name = (entry.pw_dir if entry.pw_dir.startswith("/") else "/"), entry.pw_name
    except KeyError:
        home, name = "/", str(given)
    return [f"HOME={home}", f"USER={name}", f"LOGNAME={name}"]


def apply(task, options, return_headroom=0, command=False):
    """Sets every option on a _cordon.Task.  Returns the caller's return
    limit (bytes), for a function task's child to hold its value to."""
    check(options)
    if options.get("timeout") is not None:
        task.set_timeout_ms(limit("timeout", options["timeout"]))
    if options.get("cpu") is not None:
        task.set_limit(_cordon.LIMIT_CPU_MS, limit("cpu", options["cpu"]))
    return_limit = DEFAULT_RETURN_LIMIT
    for name, what in _LIMITS.items():
        if options.get(name) is None:
            continue
        value = limit(name, options[name])
        if name == "returns":
            return_limit = value
            continue
        _set_limit(task, name, what, options[name], value)
    # The region holds the value (held to the limit by the child) and the
    # envelope around it.
    task.set_limit(_cordon.LIMIT_RETURN, min(return_limit + return_headroom, 1 << 30))
    if "policy" in options:
        task.set_policy(policy(options["policy"]))
    ids = task_user(options["user"]) if options.get("user") is not None else None
    if ids is not None:
        task.set_user(*ids)
        # env= below still sets them; clear_env leaves none
        if command and not options.get("clear_env") and ids[0] != os.getuid():
            for entry in identity_environment(ids[0], options["user"]):
                task.set_env(entry)
    if options.get("core_dumps") is not None:
        task.set_core_dumps(limit("core_dumps", options["core_dumps"]))
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
    mounts_and_names(task, options)
    if any(options.get(name) is not None for name in _MOUNT_OPTIONS):
        task.check()  # a bind in the task's own /dev, a mount the task's view covers
    if options.get("stdin") is not None:
        data = options["stdin"]
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"stdin={data!r}: expected bytes or str")
        task.set_stdin(_stdin_bytes(data) if isinstance(data, str) else data)
    return return_limit
