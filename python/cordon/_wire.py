"""What a function task's child sends back through cordon's return region,
and how the parent reads it.

The child sends one pickled envelope of builtins only (a dict of str, bytes,
ints, floats and tuples): the outcome's kind, the value or the exception as
a pickle of its own, the traceback text and, under run_profiler, cProfile's
numbers.  The parent reads the envelope with no class allowed at all, then
the value with the classes it trusts.

Why not plain pickle.loads: the region is written by the task, and a task
may be hostile.  pickle.loads of hostile bytes runs any callable the bytes
name (os.system among them) in the parent.  The parent therefore only
rebuilds classes that are types, never functions: the builtin and standard
value types below, exception classes, the classes of the function's own
module, and those the caller lists (trust=); trust=True restores plain
pickle for tasks the caller trusts.
"""
import builtins
import collections
import datetime
import decimal
import fractions
import io
import pathlib
import pickle
import uuid

PROTOCOL = pickle.HIGHEST_PROTOCOL

# Types whose constructors do nothing but build a value.
_SAFE_TYPES = frozenset({
    builtins.set, builtins.frozenset, builtins.bytearray, builtins.complex,
    builtins.slice, builtins.range, builtins.object,
    collections.OrderedDict, collections.deque, collections.Counter,
    collections.defaultdict,
    datetime.date, datetime.time, datetime.datetime, datetime.timedelta,
    datetime.timezone, decimal.Decimal, fractions.Fraction, uuid.UUID,
    pathlib.PurePosixPath, pathlib.PosixPath,
})
# Helpers pickle itself names for ordinary objects (copyreg, codecs).
_SAFE_HELPERS = {
    ("copyreg", "_reconstructor"), ("copyreg", "__newobj__"),
    ("copyreg", "_reconstructor"), ("_codecs", "encode"),
    ("collections", "OrderedDict"),
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, data, trusted_modules=(), trusted_types=()):
        super().__init__(io.BytesIO(data))
        self._modules = frozenset(trusted_modules)
        self._types = frozenset(trusted_types)

    def find_class(self, module, name):
        if (module, name) in _SAFE_HELPERS:
            return super().find_class(module, name)
        found = super().find_class(module, name)
        if isinstance(found, type) and not issubclass(found, type) and (
                found in _SAFE_TYPES or found in self._types
                or issubclass(found, BaseException)
                or found.__module__ in self._modules):
            return found
        raise pickle.UnpicklingError(
            f"the task's return names {module}.{name}, which is not a class "
            "the parent rebuilds from a task's bytes")


def dumps(obj):
    return pickle.dumps(obj, protocol=PROTOCOL)


def load_envelope(data):
    """The envelope: builtins only, no class at all."""
    unpickler = _Unpickler(data)
    unpickler.find_class = _refuse_any_class
    envelope = unpickler.load()
    if not isinstance(envelope, dict) or not isinstance(envelope.get("kind"), str):
        raise pickle.UnpicklingError("the task's return is not cordon's envelope")
    return envelope


def _refuse_any_class(module, name):
    raise pickle.UnpicklingError(f"the envelope names {module}.{name}")


def load_value(data, trust, own_module):
    """A value or an exception from the child.  `trust`: True (plain
    pickle), or an iterable of extra classes and module names."""
    if trust is True:
        return pickle.loads(data)
    modules = {own_module} if own_module else set()
    types = set()
    for item in trust or ():
        (modules if isinstance(item, str) else types).add(item)
    return _Unpickler(data, modules, types).load()
