import os
import pathlib
import re

import pytest

import cordon
from cordon.tasks import ShellCommand


def test_run_returns_the_task_with_its_output():
    t = ShellCommand("echo hello; echo oops >&2; exit 3")
    assert t.run() is t
    assert (t.std_out, t.std_err, t.exit_code, t.returncode) == ("hello\n", "oops\n", 3, 3)
    assert t.usage.wall_us > 0 and t.exception is None


def test_ls_lG():
    t = ShellCommand("ls -lG /").run()
    assert t.exit_code == 0 and "total" in t.std_out


def test_an_argument_list_runs_without_a_shell():
    t = ShellCommand(["printf", "%s|", "a b", "$HOME"]).run()
    assert t.std_out == "a b|$HOME|"


def test_check_raises_on_a_failed_status():
    with pytest.raises(cordon.CommandFailed, match="status 2"):
        ShellCommand("exit 2", check=True).run()


def test_command_failed_s_report_carries_what_the_command_wrote():
    t = ShellCommand("echo 'no such file: x' >&2; exit 2", check=True)
    with pytest.raises(cordon.CommandFailed) as info:
        t.run()
    assert info.value.exc_out == ("CommandFailed: \"echo 'no such file: x' >&2; exit 2\" "
                                  "exited with status 2\nits stderr:\nno such file: x\n")
    assert (t.exc_out, t.exception) == (info.value.exc_out, "CommandFailed")


def test_command_failed_s_report_holds_the_tail_of_stderr_escaped():
    t = ShellCommand(["python3", "-c", "import sys; sys.stderr.write('x' * 10000 + '\\x1b[2J end')"
                      "; sys.exit(1)"], check=True)
    with pytest.raises(cordon.CommandFailed) as info:
        t.run()
    report = info.value.exc_out
    assert "its stderr (its last 4096 characters):\n" in report
    assert report.endswith("\\x1b[2J end\n") and "\x1b" not in report
    assert len(report) < 4096 + 200


def test_a_command_s_repr_shows_its_state():
    t = ShellCommand("exit 3")
    assert repr(t) == "<ShellCommand 'exit 3': not run>"
    t.run()
    assert repr(t) == "<ShellCommand 'exit 3': exit_code=3>"


def test_a_timeout_kills_the_whole_group():
    t = ShellCommand("sleep 5 & sleep 5", timeout=0.3)
    with pytest.raises(cordon.Timeout) as info:
        t.run()
    assert info.value.task is t and t.usage.wall < 3


def test_cwd_env_and_stdin(tmp_path):
    t = ShellCommand("pwd; echo $GREETING; cat", cwd=tmp_path, env={"GREETING": "hi"},
                     stdin=b"from stdin").run()
    assert t.std_out == f"{tmp_path}\nhi\nfrom stdin"


def test_a_missing_program_is_an_exec_error():
    with pytest.raises(cordon.ExecError):
        ShellCommand(["/no/such/program"]).run()


def test_a_policy_violation_in_a_command():
    t = ShellCommand(["python3", "-c", "import socket; socket.socket()"], policy="nonet-kill")
    with pytest.raises(cordon.PolicyViolation, match="socket"):
        t.run()


def test_retry_a_command(tmp_path):
    marker = tmp_path / "m"
    t = ShellCommand(f"echo x >> {marker}; test $(wc -l < {marker}) -ge 3", check=True)
    t.run_and_retry(max_retry=4, exception=cordon.CommandFailed)
    assert t.attempts == 3


def test_run_async_and_join_a_command():
    t = ShellCommand("echo async")
    t.run_async()
    assert t.join() is t and t.std_out == "async\n"


def test_run_profiler_of_a_command(capsys):
    ShellCommand("echo profiled").run_profiler()
    assert "cpu" in capsys.readouterr().out.lower()


def test_the_callers_fds_are_not_the_tasks(tmp_path):
    path = tmp_path / "secret"
    path.write_text("s")
    fd = os.open(path, os.O_RDONLY)
    try:
        t = ShellCommand(f"ls /proc/self/fd").run()
        assert str(fd) not in t.std_out.split() or fd <= 3
    finally:
        os.close(fd)


def test_a_nul_byte_in_a_command_or_its_environment_is_a_value_error():
    # a C string ends at a NUL: "echo a\0; rm x" ran "echo a", ["echo",
    # "a\0b"] printed "a", env={"A": "b\0c"} set A to "b", and nothing said so
    cases = [("echo a\0b", {}), (["echo", "a\0b"], {}), (["ec\0ho"], {}),
             ("true", {"env": {"A": "b\0c"}})]
    for command, options in cases:
        with pytest.raises(ValueError, match="NUL"):
            ShellCommand(command, **options).run()
    # when the task is made, a line's as an argument's (the line's was
    # refused only at run())
    for command in ("echo a\0b", ["echo", "a\0b"]):
        with pytest.raises(ValueError, match="NUL"):
            ShellCommand(command)
    assert ShellCommand(["printf", "%s", "a b"]).run().std_out == "a b"


def test_an_empty_command_line_or_name_is_a_value_error():
    # ShellCommand("") ran /bin/sh -c '' and "succeeded" with status 0, and
    # [""] was a bare OSError (EINVAL); the CLI refuses --shell '' ("the
    # command line is empty") and `cordon run -- ''`.  A line of blanks is
    # the shell's to run, as the CLI's --shell ' ' is.
    with pytest.raises(ValueError, match=r"^command='': the command line is empty$"):
        ShellCommand("")
    for command in ([""], ("", "x")):
        with pytest.raises(ValueError, match=rf"^command={re.escape(repr(command))}: the "
                                             rf"command name is empty$"):
            ShellCommand(command)
    assert ShellCommand(" ").run().exit_code == 0


def test_a_policy_takes_a_name_or_text_and_says_which_was_wrong():
    # both given had said "needs a name or path, or text=" though both were
    with pytest.raises(TypeError, match=r"^Policy takes a name or path, or text=, not both"):
        cordon.Policy("nonet", text="default allow\n")
    with pytest.raises(TypeError, match=r"^Policy needs a name or path, or text="):
        cordon.Policy()
    assert cordon.Policy(text="default allow\n").name
    with pytest.raises(ValueError, match="no-such-policy"):
        cordon.Policy("no-such-policy")


def test_a_policy_takes_bytes_and_paths_and_names_a_wrong_type():
    # text=b"..." had been "argument 2 must be str or None, not bytes"
    assert cordon.Policy(text=b"default allow\n").name == "<string>"
    assert cordon.Policy(b"nonet").name == "nonet"
    with pytest.raises(ValueError, match="cannot read policy file '/no/such.policy'"):
        cordon.Policy(pathlib.Path("/no/such.policy"))
    with pytest.raises(TypeError, match=r"^Policy: text= must be str or bytes, not int$"):
        cordon.Policy(text=5)
    with pytest.raises(TypeError, match=r"^Policy: the name or path must be str, bytes or "
                                        r"os.PathLike, not int$"):
        cordon.Policy(5)
    for text in ("default allow\0", b"default allow\0"):
        with pytest.raises(ValueError, match=r"^Policy: text= holds a NUL byte$"):
            cordon.Policy(text=text)
    with pytest.raises(ValueError, match="no default action"):
        cordon.Policy(text=b"")
    # origin= names the text's source, a file's name as often as not: a
    # name os.fsdecode gave (surrogates) raised a bare UnicodeEncodeError
    for origin in ("/etc/d\udcff.policy", b"/etc/d\xff.policy", pathlib.Path("/etc/x.policy")):
        with pytest.raises(ValueError, match=r"^/etc/.*\.policy:1:7: unknown syscall 'nosuch'"):
            cordon.Policy(text="allow nosuch\n", origin=origin)
    with pytest.raises(TypeError, match=r"^Policy: origin must be str, bytes or os.PathLike, "
                                        r"not int$"):
        cordon.Policy(text="default allow\n", origin=5)


def test_arguments_are_the_file_system_s_bytes(tmp_path):
    # str(arg) had run `ls "b'/tmp'"` for b"/tmp", and echoed None
    assert ShellCommand(["ls", "-d", b"/tmp"]).run().std_out == "/tmp\n"
    assert ShellCommand(["ls", "-d", pathlib.Path("/tmp")]).run().std_out == "/tmp\n"
    with pytest.raises(TypeError, match=r"None is not a str, bytes or os.PathLike"):
        ShellCommand(["echo", None])
    # a name that is not UTF-8, as bytes and as os.listdir gives it: a bare
    # UnicodeEncodeError had come from run()
    odd = os.path.join(os.fsencode(tmp_path), b"d\xff")
    os.mkdir(odd)
    name = os.fsdecode(odd)
    for cwd in (odd, name):
        task = ShellCommand(["pwd"]).configure(cwd=cwd).run()
        assert task.exit_code == 0
    assert ShellCommand(["ls", "-d", name]).run().exit_code == 0
    assert ShellCommand(f"test -d '{name}'").run().exit_code == 0
    with pytest.raises(ValueError, match="NUL byte"):
        ShellCommand(["echo", "a\0b"]).run()


def test_configure_refuses_at_once_what_the_run_would():
    # A bad host name, a relative tmpfs, a stdin that is no text and an
    # argument holding a NUL were taken by configure() (or the
    # constructor) and refused only at run(), the stdin as a bare
    # UnicodeEncodeError; the README says configure refuses at once.
    for options, message in (({"hostname": "bad name"}, r"^hostname='bad name': not a host"),
                             ({"tmpfs": "tmp"}, r"^tmpfs 'tmp': not an absolute path"),
                             ({"stdin": "\udcff"}, r"^stdin: '\\udcff' is not UTF-8 text")):
        with pytest.raises(ValueError, match=message):
            ShellCommand("true").configure(**options)
        with pytest.raises(ValueError, match=message):
            ShellCommand("true", **options)
    # On or off is True or False: check="false" had raised CommandFailed,
    # clear_env="no" cleared the environment.
    for name in ("check", "clear_env", "tree_memory", "cgroup_namespace"):
        for value in ("false", "no", 0, 1):
            with pytest.raises(TypeError, match=rf"^{name}={value!r}: expected True or False$"):
                ShellCommand("true").configure(**{name: value})
    assert ShellCommand("exit 3", check=False).run().exit_code == 3
    with pytest.raises(TypeError, match=r"^tree_memory='no'"):
        cordon.FunctionTask(len, "x").configure(tree_memory="no")
    with pytest.raises(ValueError, match=r"'a\\x00b' holds a NUL byte"):
        ShellCommand(["echo", "a\0b"])
    with pytest.raises(ValueError, match=r"holds a NUL byte"):
        ShellCommand(["echo", b"a\0b"])
    # A lone surrogate has no bytes in the file system's encoding: said so
    # (it was "holds a NUL byte").
    for command in (["echo", "\ud800"], "echo \ud800"):
        with pytest.raises(ValueError, match=r"cannot be written in the file system's encoding"):
            ShellCommand(command).run()
