"""Module-level task functions and classes, importable by name (a pickled
exception or value names its class by module and name)."""
import collections
import ctypes
import enum
import logging
import os
import pickle
import subprocess
import sys
import time
import types

import cordon


class ServerError(Exception):
    pass


class FlakyServerError(ServerError):
    pass


class ParseError(ValueError):
    def __init__(self, path, line):
        super().__init__(path, line)
        self.path, self.line = path, line


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def run_python(program, timeout):
    """Runs `program` in a fresh interpreter that imports this package:
    its CompletedProcess (text)."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                          text=True, timeout=timeout)


def add(a, b=0):
    return a + b


def chatty(n):
    print("out", n)
    print("err", n, file=sys.stderr)
    logging.info("record %d", n)
    logging.getLogger("cordon.test").warning("two\nlines")
    return n * 2


def raise_server_error(message):
    print("about to fail")
    raise ServerError(message)


def raise_parse_error():
    raise ParseError("data.json", 7)


def raise_local_class():
    class Local(Exception):
        pass
    raise Local("not importable")


def abort_after_print():
    print("before the abort")
    sys.stderr.write("and on stderr\n")
    os.abort()


def segfault():
    print("before the segfault")
    ctypes.string_at(0)


def spin():
    while True:
        pass


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def hog_memory():
    blocks = []
    while True:
        blocks.append(bytearray(16 << 20))


def flood(megabytes):
    chunk = "x" * (1 << 20)
    for _ in range(megabytes):
        sys.stdout.write(chunk)
    return megabytes


def big_return(size):
    return b"\0" * size


def unpicklable():
    return lambda: None


def point():
    return Point(1, 2)


def exit_with(code):
    sys.exit(code)


def exit_with_any_digits(code):
    sys.set_int_max_str_digits(0)
    sys.exit(code)


def hard_exit(code):
    os._exit(code)


def fail_until(path, good_attempt, error=FlakyServerError):
    """Fails until the file records `good_attempt` tries (the parent's
    memory is never changed by a task, so counting needs a file)."""
    with open(path, "a") as f:
        f.write("x")
    with open(path) as f:
        tries = len(f.read())
    if tries < good_attempt:
        raise error(f"try {tries}")
    return tries


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def socket_call():
    import socket
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)


class Stop(BaseException):
    """A BaseException that is no Exception, like KeyboardInterrupt."""


class FakeTimeout(cordon.Timeout):
    """A task's own class passing for cordon's deadline."""


def raise_instance(exc):
    raise exc


def send_envelope(envelope):
    """A hostile task: the envelope the parent reads is hand-made (the task
    swaps cordon's sender in its own copy of the package)."""
    from cordon import _child, _cordon
    _child._send = lambda _envelope, _spec: _cordon.child_return(
        pickle.dumps(envelope, protocol=5))


# A tuple subclass of the function's own module (trusted): a task may
# build it with the OBJ opcode, which the tuple depth limit must see too.
Pair = collections.namedtuple("Pair", "a")


def send_bytes(data):
    """A hostile task: the return region holds these bytes as they are."""
    from cordon import _child, _cordon
    _child._send = lambda _envelope, _spec: _cordon.child_return(data)


class Outer:
    class Inner(Exception):
        """Pickled by its qualname, Outer.Inner."""


class Slotted:
    """Slot state, one of them private (mangled _Slotted__secret)."""
    __slots__ = ("name", "__secret")

    def __init__(self, name, secret):
        self.name, self.__secret = name, secret

    def secret(self):
        return self.__secret


class Buffer(bytearray):
    """Classes of the function's own module built on Python's expanding
    containers: each comes back, from what it holds."""


class Rows(list):
    pass


class Row(tuple):
    pass


class Bag(set):
    pass


class Text(str):
    pass


class Coded(Exception):
    """Picklable the documented way: its constructor's arguments, which
    its __init__ formats."""

    def __init__(self, code, detail):
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail

    def __reduce__(self):
        return (Coded, (self.code, self.detail))


def send_envelope_as_of(module):
    """send_envelope, as a function of `module` says it is (a task of
    subprocess.run or exec: the parent trusts no class for its module)."""
    sender = types.FunctionType(send_envelope.__code__, send_envelope.__globals__,
                                "send_envelope")
    sender.__module__ = module
    return sender


class Marker:
    """A class of the function's own module (trusted) whose objects, when
    called, leave a file: a task's pickle must never call one it built."""
    def __init__(self, path):
        self.path = path

    def __call__(self, *args):
        open(self.path, "w").close()
        return "called in the parent"


# ---- processes a test can find from outside ----------------------------
#
# A task may run in its own pid namespace, where the pids it sees are not
# the caller's: it names itself (PR_SET_NAME, inherited by what it forks)
# and the test finds its processes by that name in /proc.

PR_SET_NAME = 15


def name_self(marker):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NAME, marker.encode(), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")


def linger(marker, children=0):
    """Names itself, forks `children` processes, and all sleep forever."""
    name_self(marker)
    for _ in range(children):
        if os.fork() == 0:
            break
    while True:
        time.sleep(60)


def fork_bomb(marker):
    """Every process forks until it no longer can, then sleeps forever."""
    name_self(marker)
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(60)


def named(marker):
    """The pids (the caller's view) of the processes named `marker`,
    zombies included."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().rstrip("\n") == marker:
                    pids.append(int(entry))
        except OSError:  # it ended meanwhile
            pass
    return pids


def wait_until(predicate, what, limit=30.0):
    """Polls `predicate` until it is true; a generous bound, for a loaded
    machine, after which the test fails naming `what`."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {limit} s")
        time.sleep(0.02)


_markers = iter(range(1 << 30))


def marker():
    """A process name no other process has (at most 15 bytes)."""
    return f"cdt{os.getpid() % 100000}-{next(_markers)}"


def assert_none_left(name):
    """Nothing named `name` remains: the reaping of a killed tree may lag
    its join by a moment (orphans reaped by init), never for long."""
    wait_until(lambda: not named(name), f"gone: processes named {name}")


def flood_forever(marker):
    """Writes to stdout without end; names itself once 2 MiB are out."""
    chunk = "y" * (1 << 16)
    for _ in range(32):
        sys.stdout.write(chunk)
    sys.stdout.flush()
    name_self(marker)
    while True:
        sys.stdout.write(chunk)


def fork_until_refused(count):
    """Forks `count` children that sleep a little; a refused fork raises
    the task's own BlockingIOError, after reaping what it made."""
    children = []
    try:
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                time.sleep(0.5)
                os._exit(0)
            children.append(pid)
    finally:
        for pid in children:
            os.waitpid(pid, 0)
    return len(children)


def raise_value_error():
    raise ValueError("the task's own")


class Shade(enum.Enum):
    """An Enum of the function's own module: its members pickle as
    getattr(Shade, name)."""
    RED = 1
    BLUE = 2

    @property
    def marked(self):
        """A property: getattr of it by name would run it in the parent."""
        open(os.environ["CORDON_TEST_MARK"], "w").close()
        return True


class Access(enum.Flag):
    READ = 1
    WRITE = 2


def shades():
    return [Shade.RED, Shade.BLUE, Access.READ | Access.WRITE, Access.READ]
