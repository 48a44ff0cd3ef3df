"""The README's Python examples run as written, each as its own program."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def python_examples():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run_example(code, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def test_there_are_examples():
    assert len(python_examples()) == 3


def test_the_first_example(tmp_path):
    out = run_example(python_examples()[0], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "{'records': 42}" in out.stdout
    assert "parsing data.json" in out.stdout and "INFO:root:opened data.json" in out.stdout
    assert "gave up: data.txt is not JSON" in out.stdout


def test_the_second_example(tmp_path):
    out = run_example(python_examples()[1], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "SEGV_MAPERR" in out.stdout
    assert "[1, 2, 4, 8, 16, 32, 64, 128]" in out.stdout
    assert "function calls" in out.stdout


def test_the_executor_example(tmp_path):
    out = run_example(python_examples()[2], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "[0, 1, 4, 9, 16, 25, 36, 49]", "[49, 64, 81]", "True True", "map timed out",
        "Cancelled 9"]


def test_the_package_docstring_example(tmp_path):
    # help(cordon) opens with it: a program as it stands, imports included
    import cordon
    code = re.search(r"\n\n((?:    .*\n)+)", cordon.__doc__).group(1)
    out = run_example("\n".join(line[4:] for line in code.splitlines()), tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "[1, 2]\n"


def test_an_unbuilt_extension_says_how_to_build_it(tmp_path):
    # a source tree before 'make python': Python's own words blamed "a
    # circular import"
    import shutil
    shutil.copytree(os.path.join(ROOT, "python", "cordon"), tmp_path / "cordon",
                    ignore=shutil.ignore_patterns("_cordon*.so", "__pycache__"))
    out = subprocess.run([sys.executable, "-c", "import cordon"], cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=str(tmp_path)),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "is not built or cannot be loaded: build it with 'make python'" in out.stderr


def test_an_extension_for_another_python_says_which_and_how(tmp_path):
    # one built for another Python (pyenv's 3.12 over Debian's 3.11): the
    # message said "not built" and 'make python', which builds it for
    # /usr/bin/python3 again
    import shutil
    import sysconfig
    shutil.copytree(os.path.join(ROOT, "python", "cordon"), tmp_path / "cordon",
                    ignore=shutil.ignore_patterns("_cordon*.so", "__pycache__"))
    (tmp_path / "cordon" / "_cordon.cpython-39-x86_64-linux-gnu.so").write_bytes(b"")
    out = subprocess.run([sys.executable, "-c", "import cordon"], cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=str(tmp_path)),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert ("built for another Python (_cordon.cpython-39-x86_64-linux-gnu.so), not this one"
            in out.stderr), out.stderr
    assert "_cordon" + sysconfig.get_config_var("EXT_SUFFIX") in out.stderr
    assert "'make python PYTHON=%s'" % sys.executable in out.stderr
