"""The Python side of a function task's child: runs after cordon has
confined the child and PyOS_AfterFork_Child has given this thread the
interpreter.  Sends the outcome back through cordon's return region
(see _wire)."""
import cProfile
import io
import logging
import sys
import traceback

from . import _cordon, _wire

# The parent's stream objects, held for as long as the child lives: were
# they freed, their buffers (the parent's unwritten output, and locks that
# another thread of the parent may have held at the fork) would be flushed
# into the task's output.
_abandoned = []


def _fresh_stream(fd, old, line_buffering, write_through):
    encoding = getattr(old, "encoding", None) or "utf-8"
    errors = getattr(old, "errors", None) or "backslashreplace"
    raw = io.FileIO(fd, "w", closefd=False)
    # Unbuffered is the raw file itself, as python3 -u makes it.
    buffered = raw if write_through else io.BufferedWriter(raw)
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors,
                            line_buffering=line_buffering, write_through=write_through)


_own_streams = []


def _replace_streams():
    """New sys.stdout/sys.stderr on cordon's pipes (fds 1 and 2): whatever
    the parent had buffered stays the parent's, and no lock of theirs is
    inherited.  stdout is line-buffered and stderr unbuffered, so that what
    was printed survives a crash."""
    _abandoned.extend([sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__, sys.stdin])
    sys.stdout = sys.__stdout__ = _fresh_stream(1, sys.__stdout__, True, False)
    sys.stderr = sys.__stderr__ = _fresh_stream(2, sys.__stderr__, False, True)
    _own_streams[:] = [sys.stdout, sys.stderr]
    # An explicit buffer size: open() would ask isatty (ioctl TCGETS) for
    # it, which an allow-list such as compute refuses before the function
    # runs.
    sys.stdin = sys.__stdin__ = open(0, "r", buffering=io.DEFAULT_BUFFER_SIZE,
                                     encoding="utf-8", closefd=False)


def flush():
    """The task's streams, and cordon's own on fds 1 and 2 even where the
    function put others in their place (what it printed first is there)."""
    for stream in (sys.stdout, sys.stderr, *_own_streams):
        try:
            stream.flush()
        except BaseException:
            pass


class LogHandler(logging.Handler):
    """Each record as one line of log_out (newlines and NULs in it escaped;
    a lone surrogate, what os.fsdecode makes of a file name's undecodable
    byte, as Python writes it, \\udcff: log_out is UTF-8, and such a
    record was lost, a NUL cut it short)."""

    def emit(self, record):
        try:
            line = (self.format(record).replace("\\", "\\\\").replace("\n", "\\n")
                    .replace("\0", "\\0"))
            if not line.isascii():
                line = line.encode("utf-8", "backslashreplace").decode("utf-8")
            _cordon.child_log(line)
        except Exception:
            self.handleError(record)


# Made once in the parent, where it is never attached (so its lock is never
# taken there; logging's at-fork hook resets it in the child anyway): the
# child only swaps it in, which costs it fewer copied pages.
_handler = LogHandler()
_handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))


def _route_logging(level):
    """The root logger writes to log_out only: the parent's handlers hold
    the parent's streams and files."""
    root = logging.getLogger()
    _abandoned.extend(root.handlers)
    root.handlers = [_handler]
    if root.level != level:
        root.setLevel(level)


def _profile_stats(profiler):
    if profiler is None:
        return None
    profiler.create_stats()
    return profiler.stats


def _exception_envelope(exc, profiler):
    cls = type(exc)
    envelope = {
        "kind": "exit" if isinstance(exc, SystemExit) else "raise",
        "module": _attribute_text(cls, "__module__"),
        "qualname": _attribute_text(cls, "__qualname__"),
        "message": _safe_str(exc),
        "traceback": _traceback_text(cls, exc),
        "profile": _profile_stats(profiler),
        "exc": None,
        "links": None,
    }
    if isinstance(exc, SystemExit):
        # An int or str subclass (an IntEnum: pytest.main()'s ExitCode)
        # as the plain value: the envelope names no class.  A `code` that
        # raises (a property of a subclass) is said as its failure.
        try:
            code = exc.code
        except BaseException:
            code = f"<{_attribute_text(cls, '__qualname__')} whose code failed>"
        code = _plain_int(code) if isinstance(code, int) else code
        envelope["code"] = (code if code is None or _fits_a_status(code)
                            else _safe_str(code))
        # An int past 64 bits travels as its digits, said as an int again
        # (sys.exit(2**70) read as sys.exit('1180591620717411303424')).
        envelope["code_is_int"] = type(code) is int
        envelope["status"] = _exit_status(code)
        return envelope
    try:
        exc.__traceback__ = None
        envelope["exc"] = _wire.dumps(exc)
    except BaseException as error:  # a __reduce__ may raise SystemExit
        envelope["unpicklable"] = _safe_str(error)
        return envelope
    envelope["links"] = _wire.dumps_links(exc)
    return envelope


def _plain_int(value):
    """An int subclass's value as a plain int, none of its own operators
    run (one that raised SystemExit had the child's interpreter finalized,
    running the caller's atexit handlers in the task)."""
    try:
        return int.__index__(value)
    except BaseException:
        return 1


def _fits_a_status(code):
    """An int python3 takes as a status (a C long); a larger one it exits
    255 for, and the envelope carries it as text."""
    return type(code) is int and -(1 << 63) <= code < (1 << 63)


def _exit_status(code):
    """The status python3 itself exits with after sys.exit(code), so that
    a task's exit_code is the same after sys.exit(n) as after os._exit(n):
    None is 0, an int its low 8 bits (what the kernel keeps of any exit),
    255 for one past a C long, anything else 1, its text written to stderr
    first."""
    if code is None:
        return 0
    if type(code) is int:
        return code & 0xFF if _fits_a_status(code) else 255
    try:
        print(_safe_str(code), file=sys.stderr)
    except BaseException:
        pass
    return 1


def _own_frames(exc):
    """The traceback from the task's function down: cordon's frames and
    cProfile's above it are not the task's."""
    tb = exc.__traceback__
    skipped = (__file__, cProfile.__file__)
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename in skipped:
        tb = tb.tb_next
    return tb


def _traceback_text(cls, exc):
    try:
        return "".join(traceback.format_exception(cls, exc, _own_frames(exc)))
    except BaseException:
        return f"<the traceback of a {cls.__qualname__} could not be formatted>\n"


def _attribute_text(obj, name):
    """_safe_str of obj's attribute, whatever reading it raises (a
    metaclass's __module__ property raising SystemExit)."""
    try:
        return _safe_str(getattr(obj, name))
    except BaseException:
        return f"<{name} failed>"


def _safe_str(obj):
    """str(obj), whatever it raises (SystemExit, KeyboardInterrupt
    included: escaping main, they finalized the interpreter in the child,
    running the caller's atexit handlers there)."""
    try:
        # str.__str__ makes a str subclass's text a plain str: the
        # envelope names no class (numpy.str_, markupsafe's Markup).
        return str.__str__(str(obj))
    except BaseException:
        return f"<{type(obj).__name__} whose str() failed>"


def _cut(text, keep=8192):
    return text if len(text) <= keep else text[:keep] + f"... ({len(text) - keep} more characters)"


def _cut_middle(text, keep=4096):
    """Its frames (first) and its last words: a traceback whose message
    alone filled what is kept had lost every frame."""
    if len(text) <= 2 * keep:
        return text
    return f"{text[:keep]}... ({len(text) - 2 * keep} characters cut) ...{text[-keep:]}"


def _send(envelope, spec):
    """The value's pickle is held to the caller's return limit; the
    envelope around it (traceback, profile) has the headroom the parent
    added to cordon's region, and is cut to fit it."""
    limit, capacity = spec["return_limit"], spec["capacity"]
    payload = envelope.get("value") or envelope.get("exc") or b""
    if envelope.get("links") and len(payload) + len(envelope["links"]) > limit:
        envelope["links"] = None  # the exception without its chain, rather than none
    if len(payload) > limit and envelope["kind"] == "raise":
        # Not rebuilt, but its class, words and traceback still say what
        # was raised (a RemoteError): a raise of a large exception had
        # become a ReturnTooLarge of a function that returned nothing.
        envelope["exc"] = None
        envelope["message"] = _cut(envelope["message"])
    elif len(payload) > limit:
        envelope = {"kind": "toolarge", "size": len(payload), "limit": limit}
    data = _wire.dumps(envelope)
    if len(data) > capacity:
        envelope["profile"] = None
        if "links" in envelope:
            envelope["links"] = None
        envelope["traceback"] = _cut_middle(envelope.get("traceback", ""))
        if "message" in envelope:
            envelope["message"] = _cut(envelope["message"])
        data = _wire.dumps(envelope)
    if len(data) > capacity:
        data = _wire.dumps({"kind": "toolarge", "size": len(data), "limit": limit})
    _cordon.child_return(data)


def main(spec):
    """Called (through the C trampoline) in the child with the task's spec:
    func, args, kwargs, log_level, profile, return_limit.  Returns the
    status the child exits with (the task's exit_code): sys.exit's, 1 for
    a raise, else 0."""
    _replace_streams()
    _route_logging(spec["log_level"])
    profiler = cProfile.Profile() if spec["profile"] else None
    try:
        if profiler is not None:
            value = profiler.runcall(spec["func"], *spec["args"], **spec["kwargs"])
        else:
            value = spec["func"](*spec["args"], **spec["kwargs"])
    except BaseException as exc:
        envelope = _exception_envelope(exc, profiler)
        flush()
        _send(envelope, spec)
        # A raise ends the process as python3's own uncaught exception
        # does, and as cordon_raise does in C: status 1.  A function that
        # failed so is then held to the same rule as a C task's: a memory
        # or process limit that refused it is named (with status 0 the
        # limit was hidden behind the function's own BlockingIOError).
        return envelope.get("status", 1)
    envelope = {"kind": "ok", "profile": _profile_stats(profiler)}
    try:
        envelope["value"] = _wire.dumps(value)
    except BaseException as error:  # a __reduce__ may raise SystemExit
        envelope = {"kind": "unpicklable", "type": type(value).__qualname__,
                    "error": _safe_str(error), "profile": envelope["profile"]}
    flush()
    _send(envelope, spec)
    return 0
