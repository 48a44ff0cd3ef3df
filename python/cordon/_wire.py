"""What a function task's child sends back through cordon's return region,
and how the parent reads it.

The child sends one pickled envelope of builtins only (a dict of str, bytes,
ints, floats and tuples): the outcome's kind, the value or the exception as
a pickle of its own, the traceback text and, under run_profiler, cProfile's
numbers.  The parent reads the envelope with no class allowed at all, then
the value with the classes it trusts.

Why not plain pickle.loads: the region is written by the task, and a task
may be hostile.  pickle.loads of hostile bytes runs any callable the bytes
name (os.system among them) in the parent, and imports any module they
name, which runs that module's code in the parent.  The parent therefore
imports nothing for a task: a name is looked up in the modules already
loaded (sys.modules), in their dictionaries only (no module __getattr__,
no lazy module is loaded), and rebuilt only if it is a type, never a
function: the builtin and standard value types below, Exception classes,
the classes of the function's own module (unless that is one of Python's
own library: builtins for exec and eval, subprocess for subprocess.run),
and those the caller lists (trust=); a class of a trusted
module only under the module and name it was made with (types.FunctionType
calls itself builtins.function).  Nothing the pickle built is ever called:
each constructor the bytes call is one the parent looked up by name, and
BUILD sets the state only of objects the pickle built, through their
class's own __setstate__ or its declared slots.  And no container is built
with more than _SAME_HASH_MAX keys of one hash: ints, floats and tuples hash the same in every process, and a
task's 558 KB pickle of a dict whose 40,000 int keys all hash alike
(k * (2**61 - 1)) held the caller 16 s in the insertions (O(n**2); 14 MB,
hours), after the task's end, past any deadline of its own.  Never a BaseException that is no Exception (SystemExit,
KeyboardInterrupt, GeneratorExit: the caller would exit or stop), never
StopIteration, StopAsyncIteration, concurrent.futures.CancelledError or
TimeoutError (the caller's loop would end, its coroutine be cancelled, its
wait seem to have run out) and never
one of cordon's own classes (a task would pass for a limit, a deadline or
a crash, which only the C library's evidence names).  trust=True restores
plain pickle for tasks the caller trusts.
"""
import builtins
import collections
import concurrent.futures
import datetime
import decimal
import enum
import fractions
import io
import pathlib
import pickle
import re
import sys
import traceback
import types
import uuid

from . import errors

PROTOCOL = pickle.HIGHEST_PROTOCOL

# Types whose constructors do nothing but build a value.
_SAFE_TYPES = frozenset({
    builtins.set, builtins.frozenset, builtins.bytearray, builtins.complex,
    builtins.slice, builtins.range, builtins.object,
    # a defaultdict's factory: each built from what it is given whole
    # (_check_construction), texts charged as formatting walks them
    builtins.list, builtins.tuple, builtins.dict, builtins.int, builtins.float,
    builtins.str, builtins.bytes, builtins.bool,
    collections.OrderedDict, collections.deque, collections.Counter,
    collections.defaultdict,
    datetime.date, datetime.time, datetime.datetime, datetime.timedelta,
    datetime.timezone, decimal.Decimal, fractions.Fraction, uuid.UUID,
    pathlib.PurePosixPath, pathlib.PosixPath,
})


# Constructors that build as much as their arguments say, not as much as
# the bytes that named them: a task's 50-byte pickle of set(range(10**7))
# made the parent hold 578 MB (bytearray(n), deque, Counter likewise; a
# Fraction of two huge numbers costs their gcd).  These are rebuilt only
# from arguments the pickle holds whole (a list, a dict, bytes: their size
# is what the task's bytes paid for), never from a range or another lazy
# iterable, a count, or a codec's name.
_WHOLE = (list, tuple, dict, set, frozenset, bytes)
_FRACTION_DIGITS = 10000
_FRACTION_TEXT = re.compile(r"[-+]?[0-9]+(/[0-9]+)?")


# Keys of one dict or set (or elements of a frozenset) that may share one
# hash: Python's own values never come near it, and a probe of a key then
# walks at most that many others.
_SAME_HASH_MAX = 64


class _HashCounts:
    """How many keys of each hash one container got so far."""
    __slots__ = ("container", "kind", "counts")

    def __init__(self, container, kind):
        self.container, self.kind, self.counts = container, kind, {}

    def admit(self, keys):
        counts = self.counts
        for key in keys:
            try:
                h = hash(key)
            except TypeError:
                continue  # the container refuses it itself
            n = counts.get(h, 0) + 1
            if n > _SAME_HASH_MAX:
                raise pickle.UnpicklingError(
                    f"the task's return puts more than {_SAME_HASH_MAX} keys of one hash "
                    f"({type(key).__name__}) in one {self.kind}, which the parent would "
                    "take quadratic time to build")
            counts[h] = n


def _elements(items):
    return items


def _pair_keys(pairs):
    """The keys a dict built from a list of pairs takes."""
    return [p[0] for p in pairs if type(p) in (tuple, list) and len(p) == 2]


def _check_pairs(cls, args, place):
    """What a dict-like constructor takes its items from: a dict, or a list
    or tuple of pairs, each a tuple or a list (whose keys are counted);
    never a set of pairs, pairs of any other kind (a deque, a range), whose
    keys no count saw: 47,000 deques of keys of one hash held the caller
    12.7 s."""
    if len(args) <= place or type(args[place]) is dict:
        return
    items = args[place]
    if type(items) not in (list, tuple) or not all(
            type(p) in (tuple, list) and len(p) == 2 for p in items):
        raise pickle.UnpicklingError(
            f"the task's return builds a {cls.__name__} from a {type(items).__name__} "
            "that is not a list of pairs, which the parent would hash unchecked")


def _guard(cls, extra=(), keys=None):
    """`keys`: what of a list or tuple argument the constructor hashes."""
    def build(*args):
        _check_whole_arguments(cls, cls, (_WHOLE,) + extra, args)
        if keys is _pair_keys:
            _check_pairs(cls, args, 0)
        if keys and args and type(args[0]) in (list, tuple):
            _HashCounts(None, cls.__name__).admit(keys(args[0]))
        return cls(*args)
    build.rebuilds = cls
    build.hashes = keys
    return build


def _default_factory(*args):
    """defaultdict(factory): a class the parent rebuilds, or None."""
    factory = getattr(args[0], "rebuilds", args[0]) if len(args) == 1 else None
    if len(args) > 1 or (factory is not None and not _is_class(factory)):
        raise pickle.UnpicklingError("the task's return builds a defaultdict "
                                     "whose factory is not a class")
    return collections.defaultdict(factory)


def _fraction(*args):
    _check_fraction(args)
    return fractions.Fraction(*args)


def _check_fraction(args):
    """Fraction("n/d") as Fraction pickles itself, or of two ints; held to
    _FRACTION_DIGITS (no exponent: "1e99999999" is a number of 10**8
    digits)."""
    def small(a):
        if type(a) is str:
            return len(a) <= _FRACTION_DIGITS and _FRACTION_TEXT.fullmatch(a) is not None
        return type(a) is int and a.bit_length() <= _FRACTION_DIGITS * 4
    if not 1 <= len(args) <= 2 or not all(small(a) for a in args):
        raise pickle.UnpicklingError(
            "the task's return builds a Fraction of more than "
            f"{_FRACTION_DIGITS} digits, or not from its own n/d form")


_default_factory.rebuilds = collections.defaultdict
_fraction.rebuilds = fractions.Fraction
_FRACTION_NEW = fractions.Fraction.__dict__["__new__"]
_INT_NEW = int.__dict__["__new__"]
# int() of a text takes time as the square of its digits, held to 4300 by
# Python unless the caller lifted that (sys.set_int_max_str_digits(0)):
# held to it here whatever the caller's setting.
_INT_TEXT_DIGITS = 4300


# Constructors whose work on an int argument grows faster than its size
# (decimal conversion): Decimal(int) of 4 M bits held the caller 31 s,
# str() of 1 M bits 2.6 s where the caller lifted the digit limit.
_INT_CONVERTERS = (decimal.Decimal.__dict__["__new__"], str.__dict__["__new__"])
_INT_BITS = 14300  # 4300 digits


def _check_int_size(cls, args):
    for arg in args:
        if type(arg) is int and arg.bit_length() > _INT_BITS:
            raise pickle.UnpicklingError(
                f"the task's return builds a {cls.__name__} of an int of {arg.bit_length()} "
                f"bits, more than the {_INT_TEXT_DIGITS} digits the parent converts")


def _check_int_text(cls, args):
    """An int of an int, a float, a bool or a text of at most 4300
    characters, in a base: not of any other object, which converts itself
    (int(Decimal('1e1000000')) held the caller 17 s from 74 bytes)."""
    for place, arg in enumerate(args):
        kind = type(arg)
        if kind in (str, bytes, bytearray) and place == 0:
            if len(arg) > _INT_TEXT_DIGITS:
                raise pickle.UnpicklingError(
                    f"the task's return builds a {cls.__name__} from a text of {len(arg)} "
                    f"characters, more than the {_INT_TEXT_DIGITS} digits the parent converts")
        elif kind not in ((int, float, bool) if place == 0 else (int,)):
            raise pickle.UnpicklingError(
                f"the task's return builds a {cls.__name__} from a {kind.__name__}, which "
                "converts itself as it likes")
_GUARDED = {
    builtins.set: _guard(builtins.set, keys=_elements),
    builtins.frozenset: _guard(builtins.frozenset, keys=_elements),
    builtins.bytearray: _guard(builtins.bytearray),
    collections.deque: _guard(collections.deque, ((int, type(None)),)),
    collections.Counter: _guard(collections.Counter, keys=_elements),
    collections.OrderedDict: _guard(collections.OrderedDict, keys=_pair_keys),
    collections.defaultdict: _default_factory,
    fractions.Fraction: _fraction,
}


# The guards above hold the classes themselves; a class of the function's
# own module built on one of them (class Buf(bytearray): pass) reaches the
# same constructor of Python's, which built as much as the task's
# arguments said: Buf(10**9) of a 30-byte return made the caller touch
# 1 GB, Rows(range(3 * 10**7)) held it 6 s, and ExceptionGroup("m",
# range(N)) turned the range into a tuple before it looked at an item.
# So whatever class is called, the constructor that runs is looked up in
# its bases, and each built-in one that expands an argument gets that
# argument whole (what the task's bytes paid for) or not at all: the kinds
# each place may be, None for any.
# Never an encoding (bytes(text, name), str(data, name)): the codec's
# lookup imports the module of its name, which runs that module's code
# in the parent, and cordon imports nothing for a task.
_EXPANDING_CONSTRUCTORS = {
    (tuple, "__new__"): (_WHOLE,),
    (frozenset, "__new__"): (_WHOLE,),
    (bytes, "__new__"): (_WHOLE,),
    (str, "__new__"): (None,),
    (BaseExceptionGroup, "__new__"): (None, (list, tuple)),
    (list, "__init__"): (_WHOLE,),
    (set, "__init__"): (_WHOLE,),
    (dict, "__init__"): (_WHOLE,),
    (bytearray, "__init__"): (_WHOLE,),
    (collections.deque, "__init__"): (_WHOLE, (int, type(None))),
    (collections.OrderedDict, "__init__"): (_WHOLE,),
    (collections.Counter, "__init__"): (_WHOLE,),
    (collections.defaultdict, "__init__"): ((type, type(None)), _WHOLE),
}
# And those that hash what a list or tuple argument holds: the place of
# that argument and the keys it gives (_HashCounts' limit, as above).
_HASHING_CONSTRUCTORS = {
    (frozenset, "__new__"): (0, _elements),
    (set, "__init__"): (0, _elements),
    (collections.Counter, "__init__"): (0, _elements),
    (dict, "__init__"): (0, _pair_keys),
    (collections.OrderedDict, "__init__"): (0, _pair_keys),
    (collections.defaultdict, "__init__"): (1, _pair_keys),
}
_EXPANDING_BY_ID = {
    id(owner.__dict__[method]): (owner.__dict__[method], owner, places,
                                 _HASHING_CONSTRUCTORS.get((owner, method)))
    for (owner, method), places in _EXPANDING_CONSTRUCTORS.items()}
# Constructors written in C: any other runs Python code.
_C_METHODS = (types.BuiltinFunctionType, types.WrapperDescriptorType,
              types.MethodDescriptorType, types.ClassMethodDescriptorType)


def _constructors(owner, calls_init):
    """What building an instance through `owner` runs: its __new__ and,
    where the opcode calls the class, its __init__, as stored."""
    found = [_class_attribute(owner, "__new__")]
    if calls_init:
        found.append(_class_attribute(owner, "__init__"))
    return [c for c in found if c is not None]


def _check_whole_arguments(cls, owner, places, args):
    """Each argument of the kinds `places` gives for its place (None: any;
    the first, of the expanding constructors, a whole container), else
    refused: the guards' and the constructors' found through the bases."""
    for place, arg in enumerate(args):
        allowed = places[place] if place < len(places) else ()
        if allowed is not None and type(arg) not in allowed and not (
                type in allowed and _is_class(arg)):
            through = "" if cls is owner else f" (through {owner.__name__}'s constructor)"
            if list in allowed or tuple in allowed:  # a place a container fills
                raise pickle.UnpicklingError(
                    f"the task's return builds a {cls.__name__}{through} from a "
                    f"{type(arg).__name__}, which the parent would expand")
            codec = " (an encoding's name would import its codec's module)" if type(
                arg) is str else ""
            raise pickle.UnpicklingError(
                f"the task's return builds a {cls.__name__}{through} with a "
                f"{type(arg).__name__} as argument {place + 1}, which the parent takes from "
                f"no task there{codec}")


def _latin1(text, encoding):
    """What protocols 0-2 name to rebuild bytes (_codecs.encode), held to
    that use: _codecs.encode itself would look any codec up by the task's
    word, importing encodings.* modules in the parent."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("the task's return names _codecs.encode "
                                     f"with the codec {encoding!r}")
    return text.encode("latin-1")


def _enum_member(u):
    """What an Enum's member pickles as, getattr(its class, its name), held
    to that use: the member of that name in the class's own member map, the
    class one the parent looked up by name and rebuilds.  getattr itself
    would run any attribute lookup of the task's choosing in the parent (a
    property, a class's __getattr__)."""
    def member(cls, name, *rest):
        u._require_named(cls)
        members = (_class_attribute(cls, "_member_map_")
                   if _is_class(cls) and issubclass(cls, enum.Enum) else None)
        if rest or type(name) is not str or type(members) is not dict or name not in members:
            # A class that pickles as getattr(cls, name) (zoneinfo.ZoneInfo's
            # _unpickle): trust= naming it had been suggested, and was not
            # enough.
            raise pickle.UnpicklingError(
                "the task's return names builtins.getattr for other than a member of an "
                "Enum the parent rebuilds (an object that pickles as an attribute of its "
                "class, as zoneinfo.ZoneInfo does, comes back only with trust=True, for a "
                "task you trust)")
        return members[name]
    return member


def _flag_union(a, b):
    """What a Flag's combined members pickle as, operator.or_ of two,
    held to members of one Flag class (each came back as a member by
    _enum_member, or a union of them)."""
    cls = type(a)
    if type(b) is not cls or not issubclass(cls, enum.Flag):
        raise pickle.UnpicklingError(
            "the task's return names _operator.or_ for other than two members of one Flag")
    return a | b


# Helpers pickle itself names for ordinary objects (protocols 0-2), and
# for an Enum's member.
# Each is given the unpickler: copyreg's two call the class they are
# passed, which must be one the parent looked up by name too.
_SAFE_HELPERS = {
    ("copyreg", "_reconstructor"): lambda u: u._reconstructor,
    ("copyreg", "__newobj__"): lambda u: u._newobj,
    ("_codecs", "encode"): lambda u: _latin1,
    ("builtins", "getattr"): _enum_member,
    ("_operator", "or_"): lambda u: _flag_union,
    # values, not classes, that pickle names: nothing is built of them
    ("builtins", "Ellipsis"): lambda u: Ellipsis,
    ("builtins", "NotImplemented"): lambda u: NotImplemented,
}
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_UNNAMED = object()

# type's own descriptors: read through them, a class's __dict__ and __mro__
# are never asked of its metaclass (which may compute attributes).
_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_MRO = type.__dict__["__mro__"]
# What a class is called through when its metaclass adds nothing, and the
# __init__ that sets nothing.
_TYPE_CALL = type.__dict__["__call__"]
_OBJECT_INIT = object.__dict__["__init__"]


def _is_class(obj):
    # type(obj), unlike isinstance, never asks obj for its __class__.
    return issubclass(type(obj), type)


def _class_attribute(cls, name):
    """What the class or a base holds under name, as stored (no descriptor
    runs): a nested class of a pickled qualname."""
    for base in _TYPE_MRO.__get__(cls):
        namespace = _TYPE_DICT.__get__(base)
        if name in namespace:
            return namespace[name]
    return None


def _declared_slots(cls):
    """The slot names cls and its bases declare (__slots__), as stored:
    what copyreg's pickling of such an object names, mangled as Python
    mangles a private one."""
    names = set()
    for base in _TYPE_MRO.__get__(cls):
        declared = _TYPE_DICT.__get__(base).get("__slots__", ())
        for name in (declared,) if type(declared) is str else declared:
            if type(name) is not str:
                continue
            private = name.startswith("__") and not name.endswith("__")
            names.add(f"_{base.__name__.lstrip('_')}{name}" if private else name)
    return names


def _loaded(module, qualname):
    """module.qualname if it is already there, found without importing and
    without running anything of the module's (a module's __getattr__, a
    lazy module's loader, a descriptor): None if not."""
    mod = sys.modules.get(module)
    if mod is None or not issubclass(type(mod), types.ModuleType):
        return None
    parts = qualname.split(".")
    # object's __getattribute__: a lazy module's own one would load it.
    found = object.__getattribute__(mod, "__dict__").get(parts[0])
    for part in parts[1:]:
        if not _is_class(found):
            return None
        found = _class_attribute(found, part)
    return found


# Exceptions that steer the caller's own machinery rather than report an
# error.  Raised again in the caller, a task's StopIteration ended the
# caller's map(FunctionTask.run, tasks) early with no error (the results
# before it kept, the rest never run), as StopAsyncIteration would an
# async for; a concurrent.futures.CancelledError, which asyncio takes from
# a concurrent future as its own CancelledError (a BaseException), passed
# the caller's except Exception around await run_in_executor(None,
# task.run) and cancelled the caller's coroutine.  TimeoutError is
# concurrent.futures' and asyncio's own: a task's read to the caller's
# except TimeoutError around Future.result(timeout=) or map(timeout=) as
# its own wait running out.
_CONTROL_FLOW = (StopIteration, StopAsyncIteration, concurrent.futures.CancelledError,
                 TimeoutError)


def rebuildable_exception_tree(exc):
    """rebuildable_exception for the exception and every member of every
    group in it: an ExceptionGroup of an OSError(110), which its
    constructor makes a TimeoutError, reached the caller's
    except* TimeoutError."""
    members = _exceptions_below(exc, _group_members, most=_CHAIN_DEPTH_CAP * 50)
    return all(rebuildable_exception(type(e)) for e, _ in members)


# A test runner's own: unittest's SkipTest, raised again from run() in a
# test, had the test reported skipped, and its _ShouldStop had a test that
# then failed reported passed (pytest's are BaseExceptions, refused above).
_RUNNER_CONTROL = (("unittest.case", "SkipTest"), ("unittest.case", "_ShouldStop"))


def _steers_a_test_runner(cls):
    for module, name in _RUNNER_CONTROL:
        mod = sys.modules.get(module)
        found = object.__getattribute__(mod, "__dict__").get(name) if mod else None
        if _is_class(found) and issubclass(cls, found):
            return True
    return False


def rebuildable_exception(cls):
    """An exception class the parent raises again for a task: an Exception
    (not SystemExit, KeyboardInterrupt, GeneratorExit), none that steers
    the caller (_CONTROL_FLOW, a test runner's) and not cordon's own."""
    return (_is_class(cls) and issubclass(cls, Exception)
            and not issubclass(cls, _CONTROL_FLOW)
            and not _steers_a_test_runner(cls)
            and not issubclass(cls, errors.TaskError))


# Tuples within tuples: hash() of a tuple hashes its items in C with no
# recursion check, and a task's 300 KB pickle of a dict whose key was a
# tuple nested 300,000 deep (one TUPLE1 opcode a level) killed the caller's
# interpreter with SIGSEGV in the insertion, as would the caller's own
# hash() of such a returned value.  No tuple deeper than the parent's
# recursion limit is rebuilt (the child's pickler stops at its own), and
# never one deeper than _TUPLE_DEPTH_CAP, which a thread's stack holds.
_TUPLE_DEPTH_CAP = 10000

# Objects the interpreter frees by recursing in C without its guard for
# deep nesting (the "trashcan"): deque, defaultdict, slice and the
# exceptions of C types (OSError through its fields, any of them through
# __context__).  A task's 1.2 MB return of a deque nested 200,000 deep
# killed the caller with SIGSEGV when it freed the value, or when the
# load dropped it on the way.  A guarded object between two (a list, a
# tuple, a dict, a set, an instance of a class defined in Python) ends
# such a run, and the interpreter defers what lies past 50 of those.  So
# no run of unguarded objects within each other is built longer than
# _UNGUARDED_RUN_CAP, and none that another already holds grows deeper
# from inside, where the heights above it could no longer be kept.
_UNGUARDED_RUN_CAP = 200
_TYPE_FLAGS = type.__dict__["__flags__"]
_HEAP_TYPE = 1 << 9
_GUARDED_STATIC = frozenset({list, tuple, dict, set, frozenset, collections.OrderedDict, type})
_EXCEPTION_LINKS = (BaseException.__dict__["__context__"], BaseException.__dict__["__cause__"])
# The built-in exceptions with a deallocator of their own (and their
# built-in subclasses, which inherit it); the others free through
# BaseException's, which is guarded.
_UNGUARDED_EXCEPTIONS = (StopIteration, SystemExit, ImportError, OSError, SyntaxError,
                         UnicodeError, AttributeError, NameError, BaseExceptionGroup)


def _unguarded(obj):
    kind = type(obj)
    if kind in _PLAIN or _TYPE_FLAGS.__get__(kind) & _HEAP_TYPE:
        return False
    return not issubclass(kind, BaseException) or issubclass(kind, _UNGUARDED_EXCEPTIONS)


# Work the parent does for a return, held to what the task's bytes paid
# for.  A pickle's memo names a stored value again for 2-5 bytes, and the
# checks above looked at each constructor's arguments, not at how often
# the same ones came back: a 406 KB return that passed one stored 400 KB
# bytes to bytearray 1,000 times made the caller hold 403 MB (a 1 MB one,
# 40 GB), and one that rebuilt set() of one stored list of 60,000 ints
# 2,000 times held it 14.8 s after the task's end.  So every constructor
# call is charged the size of its arguments, every key hashed what hashing
# it walks (a tuple of tuples, its whole tree), and every class looked up
# its name's length, within _WORK_PER_BYTE units a byte of the return
# (and _WORK_FLOOR for a small one): an ordinary pickle costs about one
# unit a byte.  And the value itself is held to _EXPANDED_PER_BYTE items
# a byte when walked as a tree (each shared reference counted again, a
# cycle once): ten bytes a level, t = (t, t) nested 100 deep is a value
# whose repr(), hash() or == would walk 2**100 items, and the caller's
# print of what its task returned would never end.
_WORK_PER_BYTE = 8
_WORK_FLOOR = 1 << 20
_EXPANDED_PER_BYTE = 256
_EXPANDED_FLOOR = 1 << 28
# A value's floor lets a grid of shared rows ([[0] * 10000] * 10000) come
# back.  An exception the parent formats itself, before the caller sees
# it (escaped_exception): a 384-byte ValueError of one list shared 15
# times a level, 7 levels, held the caller 46 s and 1 GB there, though
# the task had ended in 44 ms.  An exception's floor still lets one
# carry a board of shared rows ([[0] * 1000] * 1000).
_EXCEPTION_EXPANDED_PER_BYTE = 16
_EXCEPTION_EXPANDED_FLOOR = 1 << 20
_ATOMS = frozenset({int, float, complex, str, bytes, bool, type(None)})
_SIZED_ATOMS = (str, bytes, int)
_PLAIN = _GUARDED_STATIC | _ATOMS  # never unguarded: the common case, found first


def _key_cost(key):
    """What hashing a key (or comparing it with an equal one) walks: an
    int's digits (its hash is made anew each time), a text's or a frozenset's
    length (compared whole with an equal key of another object)."""
    kind = type(key)
    if kind is int:
        return key.bit_length() // 64 + 1
    if kind is str or kind is bytes:
        return len(key) // 64 + 1
    if kind is frozenset:
        return len(key) + 1
    return 1


def _atom_cost(atom):
    """What copying or showing a text or bytes walks: its length; an int's,
    its digits (str() of one of 4300 digits writes 4300 characters, in
    time that grows faster than them)."""
    kind = type(atom)
    if kind in (str, bytes, bytearray):
        return len(atom) + 1
    return atom.bit_length() // 16 + 1 if kind is int else 1


def _slot_values(obj):
    """What obj holds in the __slots__ of its class and their bases (a
    slot-only class of the function's module), read through the slots'
    own member descriptors: nothing of the class's runs."""
    values = []
    for cls in _TYPE_MRO.__get__(type(obj)):
        namespace = _TYPE_DICT.__get__(cls)
        for name, member in namespace.items():
            if type(member) is types.MemberDescriptorType:
                try:
                    values.append(member.__get__(obj))
                except AttributeError:
                    pass  # a slot never set
    return values


def _walk_children(obj):
    """What walking obj as a tree (repr, ==, a deep copy) goes through."""
    if isinstance(obj, dict):
        return list(dict.keys(obj)) + list(dict.values(obj))
    if isinstance(obj, (list, tuple, set, frozenset, collections.deque)):
        return list(obj) if not isinstance(obj, tuple) else list(tuple.__iter__(obj))
    if type(obj) is slice:
        return [obj.start, obj.stop, obj.step]  # t = slice(t, t): as a tuple's items
    children = _slot_values(obj)
    if isinstance(obj, BaseException):
        children += list(BaseException.__getattribute__(obj, "args"))
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return children
    return children + list(attributes.values()) if type(attributes) is dict else children


def _members(obj):
    """What obj holds itself, as its deallocation drops it."""
    members = _walk_children(obj)
    if issubclass(type(obj), BaseException):
        members += [link.__get__(obj) for link in _EXCEPTION_LINKS]
    return members


def _state_parts(state):
    """What BUILD's state gives an object to hold: the values of its
    dicts, of any dict class (BaseException.__setstate__ sets each item of
    an OrderedDict or a Counter state as an attribute, __context__ too),
    read as a dict's without a method of the class running."""
    parts = [state]
    for part in state if type(state) is tuple else (state,):
        if isinstance(part, dict):
            parts += list(dict.values(part))
    return parts


def _expanded_size(root, limit):
    """Items in root walked as a tree (a cycle counted once), or more than
    limit: an iterative walk, each container's size computed once.  A text
    or bytes counts a unit for each 64 of its length: an ExceptionGroup
    of 30 members, each the group below, 3 deep, over one ValueError of
    30 KB bytes, was a million items from 30 KB, and the traceback the
    parent formats of it shows those bytes 27,000 times (6.8 s, 905 MB)."""
    sizes = {}  # id -> size; a container on the walk's path counts 1
    keep = []  # the ids stay valid while their objects are alive
    stack = [(root, None)]
    while stack:
        obj, inner = stack.pop()
        if inner is None:
            if type(obj) in _ATOMS or id(obj) in sizes:
                continue
            children = _walk_children(obj)
            inner = [c for c in children if type(c) not in _ATOMS]
            # a text a unit each 64 characters, an int each 64 bits
            texts = sum(len(c) // 64 if type(c) is not int else c.bit_length() // 64
                        for c in children if type(c) in _SIZED_ATOMS)
            sizes[id(obj)] = 1
            keep.append(obj)
            stack.append((obj, (len(children) + texts, inner)))
            stack.extend((c, None) for c in inner)
            continue
        count, inner = inner
        total = 1 + count + sum(sizes.get(id(c), 1) - 1 for c in inner)
        if total > limit:
            return total
        sizes[id(obj)] = total
    return sizes.get(id(root), 1)


class _Unpickler(pickle._Unpickler):
    """pickle's own unpickler in Python (the C one gives no hook where a
    dict or a set is filled), each container's keys counted by hash and
    each tuple's depth of tuples within it held to a limit."""
    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, data, trusted_modules=(), trusted_types=()):
        super().__init__(io.BytesIO(data))
        self._modules = frozenset(trusted_modules)
        self._types = frozenset(trusted_types)
        self._filled = {}  # id(container) -> _HashCounts (which keeps it alive)
        # id(tuple) -> (its depth, the items hashing it walks), where it
        # holds tuples or costly items: a tuple not in it is flat and cheap.
        self._shapes = {}
        self._measured_tuples = []
        self._depth_max = min(sys.getrecursionlimit(), _TUPLE_DEPTH_CAP)
        self._size = len(data)
        self._work_left = _WORK_FLOOR + _WORK_PER_BYTE * len(data)
        self._shares = False  # a container named twice (the memo, DUP)
        # id -> what find_class gave: the only things the bytes may call.
        self._named = {}
        # id -> what a call returned that the pickle did not make (see
        # _noted): never set or filled, as what find_class gave.
        self._not_built = {}
        # id(unguarded object) -> the length of the run it heads; the ids
        # of those another holds; and the objects, alive while their ids
        # are keys.
        self._heights = {}
        self._held_inside = set()
        self._exceptions_built = []
        self._unguarded_built = []

    def load(self, walk_limit=True, exception=False):
        value = super().load()
        self._check_exceptions_built()
        # A value no part of which is named twice is a tree, as large as
        # the bytes that built it: only shared parts can make it larger.
        if not walk_limit or not self._shares:
            return value
        limit = (_EXCEPTION_EXPANDED_FLOOR + _EXCEPTION_EXPANDED_PER_BYTE * self._size
                 if exception else _EXPANDED_FLOOR + _EXPANDED_PER_BYTE * self._size)
        if _expanded_size(value, limit) > limit:
            raise pickle.UnpicklingError(
                f"the task's return of {self._size} bytes is a value of more than {limit} "
                "items when walked (its shared parts counted each time, as repr(), hash() "
                "and == walk it)")
        return value

    def _charge(self, units):
        self._work_left -= units
        if self._work_left < 0:
            raise pickle.UnpicklingError(
                f"the task's return of {self._size} bytes makes the parent copy or hash "
                f"more than {_WORK_PER_BYTE} items a byte (it passes the same stored "
                "values to constructors, or hashes them, again and again)")

    def _hash_cost(self, key):
        """What hashing key walks: a tuple's whole tree, each item's cost."""
        if isinstance(key, tuple):
            shape = self._shapes.get(id(key))
            return (shape[1] if shape else tuple.__len__(key)) + 1
        return _key_cost(key)

    def _charge_hashing(self, keys):
        self._charge(sum(self._hash_cost(k) for k in keys))

    # What a constructor may copy or walk of one argument: all it holds,
    # not its length alone.  ExceptionGroup(message, a stored deque of
    # 100,000) copied the deque at each of 20,000 calls, PurePosixPath(p,
    # p, ... p) copied p's 100,000 parts for each time p was named, and
    # Decimal((0, digits, 0)) converted one stored tuple of 100,000 digits
    # at each call, each charged a unit or four: 200-820 KB returns held
    # the caller 8-20 s and up to 1.5 GB.  Each argument is walked whole
    # (each reference a unit, a part it names twice walked once, what
    # find_class gave not walked), and no further than the budget left.
    def _argument_cost(self, arg, most):
        cost, seen, pending = 0, set(), [arg]
        while pending and cost <= most:
            item = pending.pop()
            kind = type(item)
            if kind in _ATOMS or kind is bytearray:
                cost += _atom_cost(item)
                continue
            cost += 1  # each reference is copied, a shared part walked once
            if id(item) in seen:
                continue
            seen.add(id(item))
            if self._named.get(id(item), _UNNAMED) is not item and not _is_class(item):
                pending += _walk_children(item)
        return cost

    def _require_named(self, func):
        """A task's pickle may call only what the parent looked up for it by
        name: an object it built (a function made of a code object, a
        callable instance) would run in the parent."""
        if self._named.get(id(func), _UNNAMED) is not func:
            raise pickle.UnpicklingError(
                f"the task's return calls a {type(func).__name__} it built, not a class "
                "the parent looked up by name")
        if issubclass(type(func), enum.Enum):
            raise pickle.UnpicklingError(
                f"the task's return calls {type(func).__name__} member, a constant it may "
                "only name")

    def _reconstructor(self, cls, base, state):
        """copyreg._reconstructor: object.__new__(cls), or base.__new__(cls,
        state) and then base.__init__(obj, state), whose __init__ is never
        given an object that existed before (as _call)."""
        self._require_named(cls)
        self._require_named(base)
        if base is object:
            return object.__new__(cls)
        self._check_construction(base, (state,), calls_init=True)
        obj = base.__new__(cls, state)
        if base.__init__ != object.__init__:
            if sys.getrefcount(obj) > 2:  # obj's and the argument's
                raise pickle.UnpicklingError(
                    f"the task's return rebuilds a {cls.__name__} whose __new__ gave back "
                    "an object that existed before (a singleton's): its __init__ would set "
                    "the caller's own object from the task's state")
            base.__init__(obj, state)
        return obj

    def _newobj(self, cls, *args):
        self._require_named(cls)
        self._check_construction(cls, args, calls_init=False)
        return cls.__new__(cls, *args)

    def _instantiate(self, klass, args):
        """OBJ and INST: klass(*args), as pickle's own makes it."""
        self._check_construction(klass, tuple(args), calls_init=True)
        if args or not isinstance(klass, type) or hasattr(klass, "__getinitargs__"):
            value = self._call(klass, tuple(args))
        else:
            value = klass.__new__(klass)
            existed = sys.getrefcount(value) > 2  # value's and the argument's
            self._noted(value, existed)
        self.append(value)

    def _load_reduce(self):
        stack = self.stack
        args = stack.pop()
        stack[-1] = self._call(stack[-1], args)

    def _call(self, func, args):
        """func(*args) for REDUCE, OBJ and INST, what it gives back noted
        (_noted).  A class whose metaclass calls it as type does is called
        in type's two steps, so that an object its __new__ hands back that
        existed before (the one instance a singleton's __new__ keeps) is
        never given to its __init__: that set the caller's own Config
        anew from the task's arguments (its admins the task's)."""
        if _is_class(func) and _class_attribute(type(func), "__call__") is _TYPE_CALL:
            obj = func.__new__(func, *args)
            existed = sys.getrefcount(obj) > 2  # obj's and the argument's
            if func in _TYPE_MRO.__get__(type(obj)):  # type.__call__'s own test
                if existed and _class_attribute(type(obj), "__init__") is not _OBJECT_INIT:
                    raise pickle.UnpicklingError(
                        f"the task's return calls {func.__name__}, whose __new__ gave back "
                        "an object that existed before (a singleton's): its __init__ would "
                        "set the caller's own object from the task's arguments")
                type(obj).__init__(obj, *args)
            return self._noted(obj, existed)
        obj = func(*args)
        existed = sys.getrefcount(obj) > 2  # obj's and the argument's
        return self._noted(obj, existed)

    def _noted(self, obj, existed):
        """obj, noted as not built by the pickle where it existed before
        the call that gave it back: an Enum's member (Color(1), a Flag's
        union, getattr of its class), the instance a singleton's metaclass
        or __new__ hands out.  BUILD and the fill opcodes then changed the
        caller's own object: a task's return renamed the caller's
        Color.RED to GREEN (every dict keyed by it lost it) and set a
        Settings singleton's admin_users.  `existed`: the caller saw obj
        held elsewhere than by the call's result, right after the call
        (before any __init__, which may make a fresh object hold itself)."""
        if existed or isinstance(obj, enum.Enum):
            self._not_built[id(obj)] = obj
        return obj

    def _check_construction(self, owner, args, calls_init):
        """Building an instance through the class `owner` from `args`: a
        built-in constructor that expands an argument gets it whole; one
        written in Python, and those of exceptions and texts, are charged
        the arguments' size walked as a tree (each shared part counted
        each time it is named), which is what formatting them walks: the
        __init__ of re.error and of json.JSONDecodeError formats its
        message with %s, and a 200-byte return of a list [x, x] nested 26
        deep held the caller, GIL and all, 34 s there (40 deep, days)."""
        if not _is_class(owner):
            return  # cordon's own guards, which check what they build
        walks = issubclass(owner, (BaseException, str))
        for constructor in _constructors(owner, calls_init):
            expanding = _EXPANDING_BY_ID.get(id(constructor))
            if expanding is not None and expanding[0] is constructor:
                _, base, places, hashed = expanding
                _check_whole_arguments(owner, base, places, args)
                if hashed and hashed[1] is _pair_keys:
                    _check_pairs(owner, args, hashed[0])
                if hashed and len(args) > hashed[0] and type(args[hashed[0]]) in (list, tuple):
                    keys = hashed[1](args[hashed[0]])
                    self._charge_hashing(keys)
                    _HashCounts(None, owner.__name__).admit(keys)
            elif constructor is _FRACTION_NEW:
                _check_fraction(args)
            elif constructor is _INT_NEW:
                _check_int_text(owner, args)
            if constructor in _INT_CONVERTERS:
                _check_int_size(owner, args)
            if not isinstance(constructor, _C_METHODS):
                walks = True
        if walks:
            self._charge(_expanded_size(args, max(self._work_left, 0) + 1))

    def _charge_call(self, func, args, calls=True, constructs=None):
        """A constructor's arguments; and the keys it hashes, if it does.
        `calls`: the opcode calls `func` (not INST, which names its class
        itself, nor BUILD).  `constructs`: "call" where the opcode calls
        the class (REDUCE), "new" where only its __new__ (NEWOBJ); OBJ and
        INST are checked where they build (_instantiate)."""
        if calls:
            self._require_named(func)
            if func is _default_factory and args and args[0] is not None:  # called later
                self._require_named(args[0])
        if type(args) is not tuple:  # pickle calls func(*args) on any iterable
            raise pickle.UnpicklingError(
                f"the task's return calls a constructor with its arguments in a "
                f"{type(args).__name__}, which no pickler writes")
        total = 1
        for arg in args:  # walked no further than the budget left
            total += self._argument_cost(arg, self._work_left - total)
            if total > self._work_left:
                break
        self._charge(total)
        # Only cordon's own guards (plain functions) are asked: an object
        # of a trusted class may compute its attributes.
        keys = getattr(func, "hashes", None) if type(func) is types.FunctionType else None
        if keys and args and type(args[0]) in (list, tuple):
            self._charge_hashing(keys(args[0]))
        if constructs:
            self._check_construction(func, args, calls_init=constructs == "call")

    def _check_exceptions_built(self):
        """Every exception the load built, once it is whole: its chain
        (__context__, __cause__, a group's members) no longer than
        _CHAIN_DEPTH_CAP, which a check as each was built could not tell
        (links set from the top down each looked short), and a
        SyntaxError's offsets within its text.  A value holding an
        exception chained 70,000 deep killed the caller with SIGSEGV when
        it raised it; SyntaxError('m', ('f', 1, 1, 'x', 1, 4 * 10**8)) had
        the traceback draw 400 M carets (27 s, 781 MB)."""
        heights = {}  # id -> (exception, height); alive while in it
        for built in self._exceptions_built:
            if _chain_height(built, heights) > _CHAIN_DEPTH_CAP:
                raise pickle.UnpicklingError(
                    f"the task's return chains exceptions more than {_CHAIN_DEPTH_CAP} "
                    "deep (__context__, __cause__, groups), which the caller's traceback "
                    "would recurse through")
            if isinstance(built, SyntaxError):
                _check_syntax_error(built)
            elif isinstance(built, UnicodeError):
                _check_unicode_error(built)

    def _measure_tuple(self):
        """The depth of the tuple (or tuple subclass) just built on top of
        the stack: one more than its deepest item's; and any exception
        built is noted for _check_exceptions_built."""
        top = self.stack[-1] if self.stack else None
        if isinstance(top, BaseException):
            self._exceptions_built.append(top)
            return
        if not isinstance(top, tuple):
            return
        shapes = self._shapes
        depth = 1
        weight = 0
        for item in tuple.__iter__(top):
            kind = type(item)
            if kind is int:  # _key_cost's, inline: the common items first
                weight += item.bit_length() // 64 + 1
            elif kind is str or kind is bytes:
                weight += len(item) // 64 + 1
            elif isinstance(item, tuple):
                shape = shapes.get(id(item))
                if shape is None:
                    weight += tuple.__len__(item) + 1
                    if depth < 2:
                        depth = 2
                else:
                    weight += shape[1] + 1
                    if shape[0] >= depth:
                        depth = shape[0] + 1
            else:
                weight += _key_cost(item)
        if depth > self._depth_max:
            raise pickle.UnpicklingError(
                f"the task's return nests tuples {depth} deep, more than the parent's "
                f"{self._depth_max}: hashing them would overflow the parent's stack")
        if depth > 1 or weight > tuple.__len__(top):
            shapes[id(top)] = (depth, weight)
            self._measured_tuples.append(top)  # alive: its id names no other

    def _measured(load):
        def load_and_measure(self):
            load(self)
            self._measure_tuple()
        return load_and_measure

    # What each calling opcode finds on the stack: the callable and its
    # arguments (OBJ and INST: the class and the arguments since the mark).
    def _charged(load, where):
        def load_and_charge(self):
            self._charge_call(*where(self))
            load(self)
        return load_and_charge

    for _name, _where in (
            ("REDUCE", lambda u: (u.stack[-2], u.stack[-1], True, "call")),
            ("NEWOBJ", lambda u: (u.stack[-2], u.stack[-1], True, "new")),
            ("NEWOBJ_EX", lambda u: (u.stack[-3], u.stack[-2] + tuple(u.stack[-1].values())
                                     if type(u.stack[-2]) is tuple
                                     and type(u.stack[-1]) is dict else u.stack[-1],
                                     True, "new")),
            ("OBJ", lambda u: (u.stack[0] if u.stack else None, tuple(u.stack[1:]))),
            ("INST", lambda u: (None, tuple(u.stack), False)),
            ("BUILD", lambda u: (None, u.stack[-1] if type(u.stack[-1]) is tuple
                                 else (u.stack[-1],), False))):
        _code = getattr(pickle, _name)[0]
        dispatch[_code] = _charged(_load_reduce if _name == "REDUCE"
                                   else pickle._Unpickler.dispatch[_code], _where)
    del _name, _where, _code, _charged

    def _noting_not_built(load):
        """NEWOBJ's cls.__new__(cls, ...): no __init__ has run, so a fresh
        object is held by the stack alone (see _noted)."""
        def load_and_note(self):
            load(self)
            existed = sys.getrefcount(self.stack[-1]) > 2  # the stack's and the argument's
            self._noted(self.stack[-1], existed)
        return load_and_note

    # Innermost: before anything of cordon's (the tuples measured, the
    # exceptions noted) holds the result too.
    for _name in ("NEWOBJ", "NEWOBJ_EX"):
        _code = getattr(pickle, _name)[0]
        dispatch[_code] = _noting_not_built(dispatch[_code])
    del _name, _code, _noting_not_built

    def _not_the_pickles(self, obj):
        """obj is the parent's own: what find_class gave, or a call
        returned that the pickle did not build."""
        return (self._named.get(id(obj), _UNNAMED) is obj
                or self._not_built.get(id(obj), _UNNAMED) is obj)

    def _noting_shares(load):
        def load_and_note(self):
            load(self)
            if type(self.stack[-1]) not in _ATOMS:
                self._shares = True
        return load_and_note

    for _name in ("GET", "BINGET", "LONG_BINGET", "DUP"):
        _code = getattr(pickle, _name)[0]
        dispatch[_code] = _noting_shares(pickle._Unpickler.dispatch[_code])
    del _name, _code, _noting_shares

    # OBJ and INST too: a tuple subclass built by either (a namedtuple of
    # the function's module) was never measured, and 200,000 of them nested
    # hashed in C past the caller's stack (SIGSEGV).
    for _name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "REDUCE", "NEWOBJ", "NEWOBJ_EX",
                  "OBJ", "INST"):
        _code = getattr(pickle, _name)[0]
        dispatch[_code] = _measured(dispatch[_code])
    del _name, _code, _measured

    def _admit(self, container, keys):
        self._charge_hashing(keys)
        counts = self._filled.get(id(container))
        if counts is None or counts.container is not container:
            counts = _HashCounts(container, type(container).__name__)
            self._filled[id(container)] = counts
        counts.admit(keys)

    # pickle's own methods for the opcodes that fill a dict or a set, each
    # container's keys admitted first.
    def _load_setitem(self):
        stack = self.stack
        self._admit(stack[-3], (stack[-2],))
        pickle._Unpickler.load_setitem(self)

    def _load_setitems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        self._admit(target, items[0::2])
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def _load_additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        self._admit(target, items)
        if isinstance(target, set):
            target.update(items)
        else:
            for item in items:
                target.add(item)

    def _load_frozenset(self):
        items = self.pop_mark()
        self._charge_hashing(items)
        _HashCounts(None, "frozenset").admit(items)
        self.append(frozenset(items))

    def _load_dict(self):
        items = self.pop_mark()
        self._charge_hashing(items[0::2])
        _HashCounts(None, "dict").admit(items[0::2])
        self.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})

    dispatch[pickle.SETITEM[0]] = _load_setitem
    dispatch[pickle.SETITEMS[0]] = _load_setitems
    dispatch[pickle.ADDITEMS[0]] = _load_additems
    dispatch[pickle.FROZENSET[0]] = _load_frozenset
    dispatch[pickle.DICT[0]] = _load_dict

    def _load_build(self):
        """pickle's BUILD, held to an object the pickle built: never a class
        (a task's state for pathlib.PosixPath rewrote the class, and every
        Path the caller made after it named the task's file), nor what
        find_class gave.  __setstate__ is the class's own, never one the
        state put in the object's dict; slot state only fills the slots the
        classes declare (not a defaultdict's default_factory, not
        __class__)."""
        stack = self.stack
        self._charge_call(None, stack[-1] if type(stack[-1]) is tuple else (stack[-1],), False)
        state = stack.pop()
        inst = stack[-1]
        if _is_class(inst) or self._not_the_pickles(inst):
            raise pickle.UnpicklingError(
                f"the task's return sets the state of {type(inst).__name__} "
                f"{getattr(inst, '__name__', '')!s}, which it did not build (a class, "
                "a constant it named, or an object a call returned that existed before: "
                "an Enum's member, a singleton)")
        cls = type(inst)
        _check_state(inst, state)
        setstate = _class_attribute(cls, "__setstate__")
        if setstate is not None:
            if not isinstance(setstate, _C_METHODS):  # may format it, as an __init__
                self._charge(_expanded_size(state, max(self._work_left, 0) + 1))
            getattr(setstate, "__get__")(inst, cls)(state)
            return
        slotstate = None
        if type(state) is tuple and len(state) == 2:
            state, slotstate = state
        if state:
            inst_dict = inst.__dict__
            for key, value in state.items():
                inst_dict[sys.intern(key) if type(key) is str else key] = value
        if slotstate and _standard(_TYPE_MODULE.__get__(cls)):
            # Python's own classes keep caches and invariants in slots their
            # constructors fill: a PosixPath whose _str named /etc/shadow
            # while its parts said /tmp/out/report.txt, a Fraction over 0,
            # a path's _cached_cparts a range expanded at hash().  Their
            # pickles never set slots; a class of the task's module may.
            raise pickle.UnpicklingError(
                f"the task's return sets the slots of a {cls.__name__}, a class of Python's "
                "own library, which its pickles never do")
        if slotstate:
            slots = _declared_slots(cls)
            for key, value in slotstate.items():
                if key not in slots:
                    raise pickle.UnpicklingError(
                        f"the task's return sets {key!r} of a {cls.__name__}, which is no slot "
                        "its classes declare")
                setattr(inst, key, value)

    dispatch[pickle.BUILD[0]] = _load_build

    # Protocol 0's ints are texts, which int() reads in time that grows as
    # the square of their digits where the caller lifted Python's limit.
    def _text_int(self, line):
        if len(line) > _INT_TEXT_DIGITS + 3:
            raise pickle.UnpicklingError(
                f"the task's return holds an int written in {len(line)} characters, more "
                f"than the {_INT_TEXT_DIGITS} digits the parent converts")
        return line

    def _load_int(self):
        data = self._text_int(self.readline())
        self.append(False if data == b"00\n" else True if data == b"01\n" else int(data, 0))

    def _load_long(self):
        digits = self._text_int(self.readline())[:-1]
        self.append(int(digits[:-1] if digits.endswith(b"L") else digits, 0))

    dispatch[pickle.INT[0]] = _load_int
    dispatch[pickle.LONG[0]] = _load_long

    def _settle(self, obj, added):
        """obj, unguarded, was built or was given `added` to hold: the run
        of unguarded objects it heads, held to _UNGUARDED_RUN_CAP."""
        heights = self._heights
        below = 0
        for item in added:
            if item is not obj and _unguarded(item):
                below = max(below, heights.get(id(item), 1))
                self._held_inside.add(id(item))
        before = heights.get(id(obj), 0)
        height = max(before, below + 1)
        name = type(obj).__name__
        if height > _UNGUARDED_RUN_CAP:
            raise pickle.UnpicklingError(
                "the task's return nests objects the parent frees by recursing in C (deque, "
                f"defaultdict, slice, built-in exceptions; here {name}) more than "
                f"{_UNGUARDED_RUN_CAP} deep, which would overflow the parent's stack")
        if before and height > before and id(obj) in self._held_inside:
            raise pickle.UnpicklingError(
                f"the task's return makes an object ({name}) that another already holds nest "
                "deeper, from inside, so that how deep such objects nest cannot be kept "
                "(deques, defaultdicts and built-in exceptions that hold each other in a cycle "
                "are refused so too)")
        if not before:
            self._unguarded_built.append(obj)
        heights[id(obj)] = height

    # Built: what it holds.  Filled (APPEND, SETITEM, BUILD ...): what it
    # was given, as the opcode found it on the stack.
    def _building(load):
        def load_and_settle(self):
            load(self)
            top = self.stack[-1]
            if _unguarded(top):
                self._settle(top, _members(top))
        return load_and_settle

    def _filling(load, target_of, added_of):
        def load_and_settle(self):
            target = target_of(self)
            # What find_class gave is the parent's own (a class, a member
            # of a trusted Enum): a member of `class Opts(dict, Enum)` was
            # filled with the task's items, in the parent, for good.
            if self._not_the_pickles(target):
                raise pickle.UnpicklingError(
                    f"the task's return fills {type(target).__name__} "
                    f"{getattr(target, '__name__', '')!s}, which it did not build (a "
                    "constant it named, or an object a call returned that existed before)")
            if not _unguarded(target):
                return load(self)
            added = added_of(self)
            load(self)
            self._settle(target, added)
        return load_and_settle

    for _name in ("REDUCE", "NEWOBJ", "NEWOBJ_EX", "OBJ", "INST"):
        _code = getattr(pickle, _name)[0]
        dispatch[_code] = _building(dispatch[_code])

    def _marked_target(u):
        return u.metastack[-1][-1] if u.metastack and u.metastack[-1] else None

    for _name, _target, _added in (
            ("APPEND", lambda u: u.stack[-2], lambda u: (u.stack[-1],)),
            ("APPENDS", _marked_target, lambda u: list(u.stack)),
            ("SETITEM", lambda u: u.stack[-3], lambda u: (u.stack[-2], u.stack[-1])),
            ("SETITEMS", _marked_target, lambda u: list(u.stack)),
            ("ADDITEMS", _marked_target, lambda u: list(u.stack)),
            ("BUILD", lambda u: u.stack[-2], lambda u: _state_parts(u.stack[-1]))):
        _code = getattr(pickle, _name)[0]
        dispatch[_code] = _filling(dispatch[_code], _target, _added)
    del _name, _code, _target, _added, _building, _filling, _marked_target

    def find_class(self, module, name):
        sys.audit("pickle.find_class", module, name)
        self._charge(len(module) + len(name))
        helper = _SAFE_HELPERS.get((module, name))
        if helper is not None:
            return self._name(helper(self))
        found = _loaded(module, name)
        if self._rebuilds(found, module, name):
            return self._name(_GUARDED.get(found, found))
        if self._trusted_member(found):
            return self._name(found)
        if found is None:
            raise pickle.UnpicklingError(
                f"the task's return names {module}.{name}, which is not loaded in the "
                "parent: cordon imports nothing for a task's bytes")
        # What would rebuild it: a class, by trust=; anything else (a
        # function such as array's or re's reconstructor) only by
        # trust=True, which the message had not said.
        if _is_class(found) and not issubclass(found, type):
            how = (f"give trust=[{module}.{name}] (or its module) to rebuild it, or "
                   "trust=True for a task you trust")
        else:
            how = ("it is no class, which trust= could name: trust=True rebuilds any "
                   "pickle, for a task you trust")
        raise pickle.UnpicklingError(
            f"the task's return names {module}.{name}, which is not a class "
            f"the parent rebuilds from a task's bytes; {how}")

    def _trusted_member(self, found):
        """A member of a trusted Enum that pickles by its global name (such
        as signal.SIGTERM, which signal.Signals makes global): the parent's
        own constant, which the bytes may neither call nor change (see
        _require_named and _load_build)."""
        cls = type(found)
        return (issubclass(cls, enum.Enum)
                and self._rebuilds(cls, _TYPE_MODULE.__get__(cls), _TYPE_QUALNAME.__get__(cls)))

    def _name(self, found):
        self._named[id(found)] = found
        return found

    def _rebuilds(self, found, module, name):
        if not _is_class(found) or issubclass(found, type):
            return False
        if issubclass(found, BaseException):
            return rebuildable_exception(found)
        return (found in _SAFE_TYPES or found in self._types
                or (module in self._modules and _TYPE_MODULE.__get__(found) == module
                    and _TYPE_QUALNAME.__get__(found) == name))


def _check_state(inst, state):
    """BUILD's state for an exception (BaseException.__setstate__ sets each
    key as an attribute: args made a tuple of a range of 3 * 10**7 in the
    parent, 1.2 GB; __notes__ a range of 10**12 that the traceback
    iterated without end) and for a UUID (its int, hashed at each use)."""
    parts = state if type(state) is tuple else (state,)
    dicts = [p for p in parts if isinstance(p, dict)]
    if isinstance(inst, BaseException):
        for d in dicts:
            args = dict.get(d, "args", ())
            notes = dict.get(d, "__notes__", [])
            if type(args) is not tuple or type(notes) is not list or not all(
                    type(n) is str for n in notes):
                raise pickle.UnpicklingError(
                    f"the task's return sets the args of a {type(inst).__name__} to other than "
                    "a tuple, or its notes to other than a list of texts")
    if isinstance(inst, uuid.UUID):
        for d in dicts:
            value = dict.get(d, "int", 0)
            if type(value) is not int or not 0 <= value < 1 << 128:
                raise pickle.UnpicklingError(
                    "the task's return sets a UUID's int past 128 bits")


def _shows_control(text):
    return not text.isprintable() and any(
        not c.isprintable() and c not in "\n\t" for c in text)


# Exceptions chained within exceptions (__cause__, __context__, a group's
# members): the interpreter prints an uncaught one by recursing in C down
# the chain, and a task's crafted pickle of a chain 70,000 long killed the
# caller with SIGSEGV when it reached the top (shorter ones lost the
# traceback).  The child's pickler stops long before; beyond this the
# exception is not raised as itself.
_CHAIN_DEPTH_CAP = 200


def _exceptions_below(exc, edges, most):
    """Each exception reachable from `exc` through `edges` (an exception's
    neighbours), once (cycles too) and without recursion, with its depth
    (`exc` is 1); a walk past `most` exceptions yields a last None, which
    no check accepts."""
    seen, pending = set(), [(exc, 1)]
    while pending:
        current, depth = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if len(seen) > most:
            yield None, depth
            return
        yield current, depth
        pending += [(e, depth + 1) for e in edges(current) if isinstance(e, BaseException)]


def _chain_height(exc, heights):
    """The longest path of chained exceptions from `exc` down (1: none
    below), past _CHAIN_DEPTH_CAP counted as just past it; `heights`
    memoizes it by id (the exceptions kept alive in it), a cycle counting
    once.  Iterative: no recursion however deep."""
    cap = _CHAIN_DEPTH_CAP + 1
    pending, open_ = [(exc, False)], set()
    while pending:
        e, below_done = pending.pop()
        known = heights.get(id(e))
        if known is not None and known[0] is e:
            continue
        below = [x for x in _chained(e) if isinstance(x, BaseException)]
        if not below_done:
            open_.add(id(e))
            pending.append((e, True))
            pending.extend((x, False) for x in below if id(x) not in open_)
            continue
        open_.discard(id(e))
        height = 1 + max((heights[id(x)][1] for x in below
                          if id(x) in heights and heights[id(x)][0] is x), default=0)
        heights[id(e)] = (e, min(height, cap))
    return heights[id(exc)][1]


def _check_syntax_error(exc):
    """A SyntaxError's offsets within its text (or 1 past it): the
    traceback draws a caret for each column between them (none without a
    text)."""
    if type(exc.text) is not str:
        return
    text = exc.text
    for offset in (exc.offset, exc.end_offset):
        if offset is not None and (type(offset) is not int or abs(offset) > len(text) + 1):
            raise pickle.UnpicklingError(
                "the task's return is a SyntaxError whose offsets lie outside its text, "
                "which the caller's traceback would draw a caret for each column of")


_UNICODE_ERROR_OBJECT = ((UnicodeDecodeError, bytes), (UnicodeEncodeError, str),
                         (UnicodeTranslateError, str))


def _check_unicode_error(exc):
    """A UnicodeError's object of the type its str() reads, and its start
    not before it.  CPython 3.11 reads the object at `start` (where end is
    start + 1 and start below its length) with no check that start is not
    negative, taking its length as of the type it expects: a task's
    UnicodeDecodeError with start -2**40, raised or returned, killed the
    caller with SIGSEGV when it was printed (cordon prints each one it
    raises, to see its words).  An end past the object is only printed."""
    for cls, kind in _UNICODE_ERROR_OBJECT:
        if not isinstance(exc, cls):
            continue
        obj, start = exc.object, exc.start
        if type(obj) is not kind or type(start) is not int or start < 0:
            raise pickle.UnpicklingError(
                f"the task's return is a {cls.__name__} whose object is not {kind.__name__} "
                "or whose start lies before it, which the caller's str() of it would read "
                "past")


def _group_members(exc):
    # the group's own tuple: a task's state for the instance cannot shadow it
    return exc.exceptions if isinstance(exc, BaseExceptionGroup) else ()


def _chained(exc):
    return [exc.__cause__, exc.__context__, *_group_members(exc)]


def _chain_depth(exc):
    """The longest path of chained exceptions below `exc` (cause, context,
    a group's members), stopping past the cap."""
    deepest = 0
    for _, depth in _exceptions_below(exc, _chained, most=float("inf")):
        deepest = max(deepest, depth)
        if deepest > _CHAIN_DEPTH_CAP:
            break
    return deepest


_LONG_INT_WALK_MOST = 1 << 20


def _holds_a_long_int(exc):
    """Whether an int of more than 4300 digits (or a walk too long to
    tell) lies anywhere in what printing `exc` converts: its chain's and
    groups' args, notes and attributes, their containers and slots.
    Converting it to text takes time as the square of its digits, which
    Python holds to 4300 unless the caller lifted that: there a task's
    ValueError of a 7 M-bit int held the caller 63 s, formatting it."""
    pending = []
    for each, _ in _exceptions_below(exc, _chained, most=_LONG_INT_WALK_MOST):
        if each is None:
            return True
        pending += _walk_children(each)  # its args, and its __dict__: __notes__ too
    seen = set()
    while pending:
        obj = pending.pop()
        if isinstance(obj, int):
            if int.bit_length(obj) > _INT_BITS:
                return True
            continue
        if id(obj) in seen or isinstance(obj, (str, bytes, float, type(None))):
            continue
        seen.add(id(obj))
        if len(seen) > _LONG_INT_WALK_MOST:
            return True
        pending += _walk_children(obj)
    return False


def escaped_exception(exc):
    """A task's exception with its words as printable() shows them (its
    string args and notes), or None where what Python would print of it
    (its chain and groups included) still holds a control character: an
    OSError's strerror, a SyntaxError's text, a class's own __str__.  A
    rebuilt exception is raised in the caller as itself, and the
    traceback of one that reaches the top is written to the caller's
    terminal as it is (an ESC sequence in a message retitled and cleared
    it).  None too where printing it would convert an int of more than
    4300 digits to text (_holds_a_long_int)."""
    try:
        if _chain_depth(exc) > _CHAIN_DEPTH_CAP or _holds_a_long_int(exc):
            return None
        exc.args = tuple(printable(a) if type(a) is str else a for a in exc.args)
        notes = exc.__dict__.get("__notes__")
        if type(notes) is list:
            exc.__notes__ = [printable(n) if type(n) is str else n for n in notes]
        shown = "".join(traceback.format_exception(exc))
        if _shows_control(shown) or not _every_link_printable(exc):
            return None
    except (Exception, SystemExit):  # an __str__ of the class's that exits: not the caller
        return None
    return exc


def _every_link_printable(exc):
    """Whether every exception of exc's chain and groups shows no control
    character in its own words, those Python does not print too: a
    context that `raise ... from None` keeps out of the traceback (a
    caller reading e.__context__ itself, or chaining it on, got the
    task's ESC sequences raw), a group's members past the 15 it prints.
    Each is looked at once, by its own words: formatting each hidden
    context whole, for each exception naming it, took the caller 49 s for
    2,000 members of a group that shared one context 150 deep."""
    for linked, _ in _exceptions_below(exc, _chained, most=float("inf")):
        if _shows_control("".join(traceback.format_exception_only(linked))):
            return False
    return True


def printable(text):
    """The task's text with every control character but newline and tab
    (C0, DEL, C1) as \\xNN, as the C library shows a task's words."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\n\t" else
                   f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)


def dumps(obj):
    return pickle.dumps(obj, protocol=PROTOCOL)


class _ChainPickler(pickle.Pickler):
    """Pickles exceptions with their chains: an exception's own pickle
    holds only its args and attributes.  The links go in the state, which
    BaseException.__setstate__ sets again (and the parent's loader checks
    as any task's state)."""

    def reducer_override(self, obj):
        if not isinstance(obj, BaseException) or (
                obj.__cause__ is None and obj.__context__ is None):
            return NotImplemented
        reduced = obj.__reduce_ex__(PROTOCOL)
        if type(reduced) is not tuple or len(reduced) not in (2, 3):
            return NotImplemented
        state = reduced[2] if len(reduced) == 3 else None
        if state is not None and type(state) is not dict:
            return NotImplemented
        state = dict(state or {})
        state.update(__cause__=obj.__cause__, __context__=obj.__context__,
                     __suppress_context__=obj.__suppress_context__)
        return (reduced[0], reduced[1], state)


def dumps_links(exc):
    """The exception's chain, (__cause__, __context__, __suppress_context__)
    with theirs, apart from the exception itself: a `raise ... from` had
    reached the caller without its cause.  Apart, so that a link the
    parent does not rebuild (a class it does not trust, an attribute of
    one) costs the chain, not the exception.  None without a chain, or
    where it does not pickle (a cause holding a lock) or is deeper than
    the parent raises as itself."""
    if exc.__cause__ is None and exc.__context__ is None:
        return None
    if _chain_depth(exc) > _CHAIN_DEPTH_CAP:
        return None
    try:
        out = io.BytesIO()
        _ChainPickler(out, protocol=PROTOCOL).dump(
            (exc.__cause__, exc.__context__, exc.__suppress_context__))
        return out.getvalue()
    except BaseException:  # a cause's __reduce__ may raise SystemExit too
        return None


def chain_from_links(exc, links):
    """exc with the chain its child sent (dumps_links), where it is one:
    two exceptions or None and a bool, no deeper than the parent raises;
    exc as it was otherwise."""
    if type(links) is not tuple or len(links) != 3 or type(links[2]) is not bool:
        return exc
    cause, context, suppress = links
    if not all(link is None or isinstance(link, BaseException) for link in (cause, context)):
        return exc
    exc.__cause__, exc.__context__ = cause, context
    exc.__suppress_context__ = suppress
    if _chain_depth(exc) > _CHAIN_DEPTH_CAP:
        exc.__cause__ = exc.__context__ = None
        exc.__suppress_context__ = False
    return exc


# What each kind of envelope holds for the parent to read, and as what: the
# child writes it, so a field missing or of another type is a corrupt
# return, never an exception of the parent's own (a KeyError, a TypeError).
_ENVELOPE_FIELDS = {
    "ok": {"value": bytes},
    "raise": {"module": str, "qualname": str, "message": str, "traceback": str,
              "exc": (bytes, type(None)), "links": (bytes, type(None))},
    "exit": {"code": (int, str, type(None)), "traceback": str},
    "unpicklable": {"type": str, "error": str},
    "toolarge": {"size": int},
}


def load_envelope(data):
    """The envelope: builtins only, no class at all, each field the parent
    reads of the type it expects."""
    unpickler = _Unpickler(data)
    unpickler.find_class = _refuse_any_class
    # Its fields are bytes, text and numbers; the profile is copied within
    # a budget of its own (_profile).
    envelope = unpickler.load(walk_limit=False)
    if type(envelope) is not dict or envelope.get("kind") not in _ENVELOPE_FIELDS:
        raise pickle.UnpicklingError("the task's return is not cordon's envelope")
    for field, expected in _ENVELOPE_FIELDS[envelope["kind"]].items():
        value = envelope.get(field, _MISSING)
        if not isinstance(value, expected):
            raise pickle.UnpicklingError(
                f"the envelope's {field!r} is missing or not a {_names(expected)}")
        # An int past str()'s digit limit would make the message a ValueError.
        if isinstance(value, int) and not -1 << 64 < value < 1 << 64:
            raise pickle.UnpicklingError(f"the envelope's {field!r} is out of range")
    return envelope


_MISSING = object()


def _names(expected):
    expected = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in expected)


def _refuse_any_class(module, name):
    raise pickle.UnpicklingError(f"the envelope names {module}.{name}")


def _standard(module):
    """A module of Python's own library (builtins for exec and eval): not
    the caller's, and among its classes are constructors that act
    (subprocess.Popen runs a command, logging.FileHandler makes a file).
    A task of subprocess.run whose pickle named Popen would have the parent
    run its command."""
    return module.partition(".")[0] in sys.stdlib_module_names


def load_value(data, trust, own_module, exception=False):
    """A value or (`exception`) an exception from the child.  `trust`:
    True (plain pickle), or an iterable of extra classes and module
    names."""
    if trust is True:
        return pickle.loads(data)
    modules = {own_module} if own_module and not _standard(own_module) else set()
    classes = set()
    for item in trust or ():
        (modules if isinstance(item, str) else classes).add(item)
    return _Unpickler(data, modules, classes).load(exception=exception)
