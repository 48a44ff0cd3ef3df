"""Sizes and times written as text, read exactly as the CLI reads them.

A port of runner/units.c, which is the CLI's own and is not linked into
the extension: "1.5M" or "250ms" must mean the same to ShellCommand as to
`cordon run`, and be refused alike.  tests/test_units.py checks the two
against each other on a table of inputs; change both together.

Only ASCII digits and suffixes count (C's isdigit and strcasecmp): a
str method such as isdigit() or lower() would take other scripts' digits
and the Kelvin sign as "k".  No blank is allowed anywhere, as in the CLI.
"""

SIZE_MAX = 1 << 60
SIZE_MAX_TEXT = "1048576T (1 EiB)"
# The largest time, in milliseconds, before a limit's own bound.
TIME_MAX = 4.0e18

_DIGITS = "0123456789"
_SIZE_SHIFTS = {
    "": 0, "b": 0,
    "k": 10, "kb": 10, "kib": 10,
    "m": 20, "mb": 20, "mib": 20,
    "g": 30, "gb": 30, "gib": 30,
    "t": 40, "tb": 40, "tib": 40,
}
_TIME_FACTORS = {"": 1000.0, "s": 1000.0, "ms": 1.0, "us": 0.001,
                 "m": 60000.0, "min": 60000.0, "h": 3600000.0}


class NotAUnit(ValueError):
    """The text is not a size (or not a time) at all."""


class TooLarge(ValueError):
    """The text is one, written well, but past the most cordon takes."""


class TooSmall(ValueError):
    """A time above 0 but below the millisecond cordon keeps."""


def _suffix(rest):
    # strcasecmp folds ASCII letters only
    return rest.lower() if rest.isascii() else None


def _whole(text, i):
    """DIGITS as an exact int, held once past SIZE_MAX (too large either
    way), and the index past them."""
    value = 0
    while i < len(text) and text[i] in _DIGITS:
        if value <= SIZE_MAX:
            value = value * 10 + ord(text[i]) - 48
        i += 1
    return value, i


def _fraction(text, i):
    """.DIGITS as a double, summed digit by digit as units.c does (the same
    IEEE operations: the same value to the last bit)."""
    value, scale = 0.0, 1.0
    if i < len(text) and text[i] == ".":
        i += 1
        while i < len(text) and text[i] in _DIGITS:
            scale /= 10
            value += (ord(text[i]) - 48) * scale
            i += 1
    return value, i


def _numeral_read(text, point, rest):
    """Digits on at least one side of the point: "2", "2.", ".5"."""
    return rest != (1 if point < len(text) and text[point] == "." else 0)


def parse_size(text):
    """Bytes from "512", "64K", "1.5G", "2MiB" (powers of 1024, any case).
    NotAUnit or TooLarge (past SIZE_MAX)."""
    whole, point = _whole(text, 0)
    fraction, rest = _fraction(text, point)
    shift = _SIZE_SHIFTS.get(_suffix(text[rest:]))
    if not _numeral_read(text, point, rest) or shift is None:
        raise NotAUnit(text)
    factor = 1 << shift
    if whole > SIZE_MAX // factor:
        raise TooLarge(text)
    # "0.1K" is 102 bytes: the fraction rounded to a byte
    total = whole * factor + int(fraction * float(factor) + 0.5)
    if total > SIZE_MAX:
        raise TooLarge(text)
    return total


def parse_time_ms(text):
    """Milliseconds from "250ms", "1.5s", "2m", "1h", "1500us" (a bare
    number is seconds).  A fraction of a ms is rounded up; NotAUnit,
    TooSmall under 1 ms, or TooLarge past TIME_MAX."""
    whole, point = 0.0, 0
    while point < len(text) and text[point] in _DIGITS:
        whole = whole * 10 + (ord(text[point]) - 48)
        point += 1
    fraction, rest = _fraction(text, point)
    # "M" alone is a size's (MiB), as in units.c: not 500 minutes
    factor = _TIME_FACTORS.get(_suffix(text[rest:])) if text[rest:] != "M" else None
    if not _numeral_read(text, point, rest) or factor is None:
        raise NotAUnit(text)
    return ms_of(whole + fraction, factor, text)


def ms_of(value, factor, text):
    """value * factor milliseconds, rounded as units.c rounds them: a
    fraction of a ms up (1500us is 2 ms), the double's own error (1.1s is
    1100.0000000000002 ms) not taken for one; above 0 but below 1 ms,
    which cordon cannot keep, TooSmall."""
    total = value * factor
    if total > TIME_MAX:
        raise TooLarge(text)
    slack = 1e-6
    if 0 < total < 1 - slack:
        raise TooSmall(text)
    whole = int(total)
    if total - whole > slack:
        whole += 1
    return whole
