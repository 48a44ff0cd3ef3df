"""run_profiler's report, made in the parent from the numbers cProfile
gathered in the child (plain tuples, read without any class).

Those numbers are the task's word.  A pickle keeps shared references, so
a small envelope may name one callers table from every function: pstats
then walked (and strip_dirs copied) it once per function, and a profile
of 300 KB cost the parent 6 s of CPU and 1 GB; the 32 MiB the envelope may
hold would have held the caller for hours.  The profile is therefore
copied first, each reference counted as a copy, within a budget; and its
names are the task's text, shown with their control characters escaped."""
import pstats
import re

# What the parent expands a task's profile to at most (bytes, roughly).
_BUDGET = 64 << 20
_ENTRY_COST = 256  # a dict entry, its key and numbers, as Python holds them
_NUMBER_LIMIT = 1 << 63


class _TooLarge(ValueError):
    pass


class _Gathered:
    """What pstats.Stats takes as a profile: an object with .stats."""

    def __init__(self, stats):
        self.stats = stats

    def create_stats(self):
        pass


def _escaped(text):
    """The task's name with C0, DEL and C1 controls as \\xNN."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256
                   else f"\\u{ord(c):04x}" for c in text)


class _Copier:
    def __init__(self):
        self.left = _BUDGET

    def charge(self, cost):
        self.left -= cost
        if self.left < 0:
            raise _TooLarge(f"it expands past {_BUDGET >> 20} MiB")

    def function(self, key):
        if (type(key) is not tuple or len(key) != 3 or type(key[0]) is not str
                or type(key[1]) is not int or type(key[2]) is not str):
            raise ValueError(f"a function is named by {type(key).__name__}")
        self.charge(_ENTRY_COST + len(key[0]) + len(key[2]))
        return (_escaped(key[0]), self.number(key[1]), _escaped(key[2]))

    def number(self, value):
        if type(value) is float or (type(value) is int and -_NUMBER_LIMIT < value < _NUMBER_LIMIT):
            return value
        raise ValueError("a count is not a number cProfile makes")

    def numbers(self, value, count):
        if type(value) is not tuple or len(value) != count:
            raise ValueError("an entry is not cProfile's")
        return tuple(self.number(v) for v in value)

    def callers(self, table):
        if type(table) is not dict:
            raise ValueError("a callers table is not a dict")
        return {self.function(k): self.numbers(v, 4) for k, v in table.items()}

    def stats(self, stats):
        if type(stats) is not dict:
            raise ValueError("the profile is not a dict")
        copied = {}
        for key, value in stats.items():
            if type(value) is not tuple or len(value) != 5:
                raise ValueError("an entry is not cProfile's")
            copied[self.function(key)] = self.numbers(value[:4], 4) + (self.callers(value[4]),)
        return copied


def check_sort(sort):
    """ValueError naming the sort key pstats would refuse (a KeyError,
    and only once the task had run)."""
    try:
        pstats.Stats().sort_stats(sort)
    except (KeyError, TypeError):
        keys = ", ".join(sorted(pstats.Stats.sort_arg_dict_default))
        raise ValueError(f"sort={sort!r}: not a sort key of pstats ({keys})") from None


def check_limit(limit):
    """The rows pstats prints: a count (an int from 0), a fraction of them
    (a float from 0.0 to below 1.0), a regular expression their names
    match (a str), or None for all; anything else is the caller's mistake,
    said before the task runs (pstats took -1 as "all but the last" and
    ignored a float past 1)."""
    if limit is None:
        return
    if type(limit) is str:
        try:
            re.compile(limit)
        except re.error as error:  # pstats printed every row, with a note
            raise ValueError(f"limit={limit!r}: not a regular expression ({error})") from None
        return
    if type(limit) is int and limit >= 0 or type(limit) is float and 0.0 <= limit < 1.0:
        return
    if type(limit) in (int, float):
        raise ValueError(f"limit={limit!r}: expected a count from 0, a fraction from 0.0 to "
                         "below 1.0, a regular expression or None")
    raise TypeError(f"limit={limit!r}: expected a count (int), a fraction (float), a regular "
                    "expression (str) or None")


def print_report(stats, out, sort="cumulative", limit=25):
    if not stats:
        print("cordon: no profile came back from the task", file=out)
        return
    pstats.Stats(stream=out).sort_stats(sort)  # the caller's own mistake raises
    try:
        report = pstats.Stats(_Gathered(_Copier().stats(stats)), stream=out)
        report.strip_dirs().sort_stats(sort).print_stats(limit)
    except Exception as error:  # the numbers are the task's word
        print(f"cordon: the profile that came back from the task cannot be read: {error!r}",
              file=out)
