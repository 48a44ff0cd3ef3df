"""Module-level task functions and classes, importable by name (a pickled
exception or value names its class by module and name)."""
import ctypes
import logging
import os
import pickle
import sys
import time

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


class Outer:
    class Inner(Exception):
        """Pickled by its qualname, Outer.Inner."""
