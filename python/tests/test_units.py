"""Sizes and times as text mean to this package what they mean to the CLI:
cordon/_units.py is a port of runner/units.c (the CLI's, not linked into
the extension), checked here against `cordon run` itself on a table of
inputs: the same value where both take one, the same refusal where not."""
import json
import os
import re
import subprocess

import pytest

import cordon
from cordon import options
from cordon.tasks import ShellCommand

_HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.environ.get("CORDON_RUNNER") or os.path.join(_HERE, "..", "..", "build", "cordon")

TIMES = ["0", "0s", "0ms", "0.0", "0us", "0.4us", "1us", "1US", "999us", "1500us", "0.0001ms",
         "1ms", "1MS", "1400us", "1.1s", "0.9999999ms", "250ms", "0.0005", "0.0015", "1.5", "1.5s", "1.23456789s", "2.", ".5",
         "1m", "1M", "1min", "1MIN", "1h", "1H", "2.5h", "277777h", "277778h", "1000000000",
         "1000000001", "99999999999999999999", "9" * 400, "0" * 30 + "1",
         ".", "", "s", "1e3", "-1", "+1", " 1", "1 ", "1s5", "1d", "1y", "0x10", "inf", "nan",
         "1,5", "1..5", "1sec", "1mins", "\u0661", "1\u0161"]
SIZES = ["0", "0B", "0.4", "0.5", ".5", "1", "2.", "64", "64.", "1023", "1024", "1K", "1k",
         "1KB", "1kib", "1KiB", "1.5M", "1.5m", "1MB", "1MiB", "1mib", "0.1K", "1.0000001M",
         "1.5G", "2T", "2tb", "1048576T", "1048577T", "1048575.99999T", "1048576.5T",
         "1152921504606846976", "1152921504606846977", "9" * 400, "0" * 30 + "2M",
         "", ".", "M", "1E", "1P", "1 M", " 1M", "1M ", "1iB", "1Ki", "1KBB", "1e6", "-1",
         "+1", "0x10", "1,5M", "\u0661M", "1\u212a"]

# What each refusal is, in the CLI's words and in this package's.
_CLI_KINDS = [("is not a time", "garbage"), ("is not a size", "garbage"),
              ("is zero", "zero"), ("longer than 31 years", "too large"),
              ("is larger than", "too large"), ("too small to start", "too small"),
              ("out of range", "out of range"), ("below cordon's 1 ms", "below resolution")]
_PY_KINDS = [("not a time", "garbage"), ("not a size", "garbage"),
             ("a limit of zero", "zero"), ("longer than 31 years", "too large"),
             ("larger than", "too large"), ("too small to start", "too small"),
             ("out of range", "out of range"), ("below cordon's 1 ms", "below resolution")]


def _kind(message, kinds):
    for words, kind in kinds:
        if words in message:
            return kind
    raise AssertionError(f"no known refusal in {message!r}")


def _cli(option, key, text):
    """What `cordon run OPTION=TEXT -- true` made of TEXT: the value its
    JSON shows, or the kind of its refusal and its message."""
    out = subprocess.run([RUNNER, "run", "--json", f"{option}={text}", "--", "true"],
                         capture_output=True, timeout=30)
    if out.returncode == 125:
        message = out.stderr.decode().strip()
        return _kind(message, _CLI_KINDS), message
    # a deadline of 1 ms may end even `true` (124): its limits are shown still
    assert out.stdout, (option, text, out.returncode, out.stderr)
    return json.loads(out.stdout)["limits"][key], None


def _python(name, text):
    try:
        return options.limit(name, text), None
    except ValueError as e:
        return _kind(str(e), _PY_KINDS), str(e)


def _agree(option, key, name, inputs):
    assert os.access(RUNNER, os.X_OK), f"{RUNNER}: build the CLI (make) to compare with it"
    differ = []
    for text in inputs:
        cli, cli_message = _cli(option, key, text)
        py, py_message = _python(name, text)
        if cli != py:
            differ.append(f"{text!r}: cordon run {option} gives {cli!r} ({cli_message}), "
                          f"{name}= gives {py!r} ({py_message})")
        elif cli == "too small":
            # the same count of bytes, and the same hint
            assert re.findall(r"\d+ bytes?|did you mean|at least 1M", cli_message) == \
                re.findall(r"\d+ bytes?|did you mean|at least 1M", py_message), text
    assert not differ, "\n".join(differ)


def test_times_are_read_as_the_cli_reads_them():
    _agree("--timeout", "timeout_ms", "timeout", TIMES)


def test_sizes_are_read_as_the_cli_reads_them():
    _agree("--fsize", "file_size", "file_size", SIZES)


def test_memory_is_held_to_the_cli_s_floor_and_words():
    _agree("--mem", "memory", "memory", SIZES)


def test_output_is_held_to_the_cli_s_range():
    _agree("--out-cap", "output", "output", SIZES[:30])


def test_a_size_or_time_as_text_takes_effect_as_the_cli_s(tmp_path):
    # memory="1.5M" was "expected bytes", while the CLI takes --mem 1.5M
    # and its help shows 1.5G; "1.5K" is 1536 bytes, not 1 or 2 K
    assert ShellCommand("true", memory="1.5M").run().exception is None
    t = ShellCommand("head -c 1536 /dev/zero > a && exec head -c 1537 /dev/zero > b",
                     file_size="1.5K", cwd=str(tmp_path))
    with pytest.raises(cordon.FileSizeLimit):
        t.run()
    assert os.path.getsize(tmp_path / "a") == 1536
    with pytest.raises(cordon.Timeout):
        ShellCommand("sleep 5", timeout="0.25s").run()
    assert ShellCommand("true", timeout="1.5", cpu="2MiN").run().exception is None
