import dataclasses
import decimal
import errno
import functools
import io
import logging
import os
import pathlib
import pickle
import re
import resource
import shutil
import subprocess
import sys
import threading

import pytest

import cordon
from cordon.tasks import FunctionTask, ShellCommand

import helpers


def test_run_returns_the_value_and_captures_the_streams():
    t = FunctionTask(helpers.chatty, 21)
    assert t.run() == 42
    assert t.returns == 42
    assert t.std_out == "out 21\n"
    assert t.std_err == "err 21\n"
    assert t.log_out.splitlines() == ["INFO:root:record 21", "WARNING:cordon.test:two\\nlines"]
    assert t.exc_out == ""
    assert t.exception is None and t.attempts == 1
    assert t.usage.wall_us > 0 and t.usage.max_rss_kb > 0


def test_a_function_runs_under_the_compute_allow_list():
    # the child's own set-up asked isatty of its stdin (ioctl TCGETS),
    # which compute kills: no Python function could run under it
    assert FunctionTask(pow, 2, 3).configure(policy="compute").run() == 8


def test_args_and_kwargs_reach_the_function():
    assert FunctionTask(helpers.add, 2, b=40).run() == 42


def test_a_lambda_and_a_closure_run_too():
    base = 10
    assert FunctionTask(lambda x: x + base, 5).run() == 15


def test_the_parent_state_is_untouched():
    state = {"n": 0}

    def mutate():
        state["n"] = 99
        return state["n"]

    assert FunctionTask(mutate).run() == 99
    assert state["n"] == 0


def test_a_user_exception_comes_back_as_itself():
    t = FunctionTask(helpers.raise_server_error, "down")
    with pytest.raises(helpers.ServerError, match="down") as info:
        t.run()
    assert "raise ServerError(message)" in t.exc_out
    assert t.exc_out.rstrip().endswith("ServerError: down")
    assert any("cordon task's child" in note for note in info.value.__notes__)
    assert t.std_out == "about to fail\n"
    assert t.exception == "helpers.ServerError"


def test_an_exception_keeps_its_attributes():
    with pytest.raises(helpers.ParseError) as info:
        FunctionTask(helpers.raise_parse_error).run()
    assert (info.value.path, info.value.line) == ("data.json", 7)


def test_builtin_exceptions_come_back():
    with pytest.raises(ZeroDivisionError):
        FunctionTask(lambda: 1 / 0).run()


def test_an_exception_that_cannot_be_rebuilt_is_a_remote_error():
    t = FunctionTask(helpers.raise_local_class)
    with pytest.raises(cordon.RemoteError, match="Local: not importable") as info:
        t.run()
    assert info.value.class_name.endswith("Local")
    assert "not importable" in info.value.exc_out


def test_a_return_too_large_names_the_limit():
    t = FunctionTask(helpers.big_return, 4096).configure(returns=1024)
    with pytest.raises(cordon.ReturnTooLarge, match="CORDON_LIMIT_RETURN"):
        t.run()
    # the task's exception, as the history's last attempt says (it read None)
    assert t.exception == "ReturnTooLarge" and t.history[-1].exception is not None
    assert "ReturnTooLarge" in repr(t)
    assert FunctionTask(helpers.big_return, 4096).configure(returns="8K").run() == b"\0" * 4096


def test_the_default_return_limit_is_one_mebibyte():
    with pytest.raises(cordon.ReturnTooLarge, match="1048576"):
        FunctionTask(helpers.big_return, 2 << 20).run()


def test_an_unpicklable_return_is_a_clear_error():
    t = FunctionTask(helpers.unpicklable)
    with pytest.raises(cordon.ReturnError, match="cannot be pickled"):
        t.run()
    assert t.exception == "ReturnError"


def test_classes_of_the_functions_module_come_back():
    p = FunctionTask(helpers.point).run()
    assert (p.x, p.y) == (1, 2)


def test_a_class_from_elsewhere_needs_trust():
    def other_module_value():
        return helpers.Point(3, 4)

    with pytest.raises(cordon.UntrustedReturn, match=r"helpers.Point.*give trust=\[helpers.Point\]"):
        FunctionTask(other_module_value).run()
    assert FunctionTask(other_module_value).configure(trust=[helpers.Point]).run().x == 3
    assert FunctionTask(other_module_value).configure(trust=["helpers"]).run().y == 4
    # given as a generator, used up by the check at configure: the run
    # trusted nothing (an UntrustedReturn that said to give the trust given)
    trusting = (c for c in [helpers.Point])
    assert FunctionTask(other_module_value).configure(trust=trusting).run().x == 3
    with cordon.Executor(max_workers=1, trust=iter(["helpers"])) as ex:
        assert [ex.submit(other_module_value).result().y for _ in range(2)] == [4, 4]


def test_a_value_rebuilt_by_a_function_says_trust_true_rebuilds_it():
    """array's and re's pickles name a function, which no trust= list can
    admit: the message had not said that only trust=True rebuilds them."""
    import array
    import re

    for make in (lambda: array.array("i", [1]), lambda: re.compile("a+")):
        with pytest.raises(cordon.UntrustedReturn, match="it is no class.*trust=True"):
            FunctionTask(make).run()
    assert FunctionTask(lambda: array.array("i", [7])).configure(trust=True).run()[0] == 7


def test_a_hostile_pickle_never_runs_in_the_parent():
    class Evil:
        def __reduce__(self):
            import os
            return (os.system, ("echo pwned",))

    def hostile():
        return Evil()

    with pytest.raises(cordon.UntrustedReturn, match="posix.system"):
        FunctionTask(hostile).run()


def test_sys_exit_is_exited_not_the_parents_exit():
    with pytest.raises(cordon.Exited) as info:
        FunctionTask(helpers.exit_with, 3).run()
    assert info.value.code == 3


def test_os_exit_is_exited_with_the_status():
    t = FunctionTask(helpers.hard_exit, 5)
    with pytest.raises(cordon.Exited, match="status 5"):
        t.run()
    assert t.exit_code == 5


@pytest.mark.parametrize("code", [4, 0, 259])
@pytest.mark.parametrize("how", [helpers.exit_with, helpers.hard_exit])
def test_sys_exit_and_os_exit_end_alike(how, code):
    """exit_code is the status the process would have had, either way;
    code is sys.exit's argument (all an os._exit leaves is its status)."""
    t = FunctionTask(how, code)
    with pytest.raises(cordon.Exited) as info:
        t.run()
    assert (info.value.exception, t.exception) == ("Exited", "Exited")
    assert info.value.code == (code if how is helpers.exit_with else code & 0xFF)
    assert t.exit_code == t.result["exit_code"] == code & 0xFF
    assert t.history[0].exit_code == code & 0xFF


@pytest.mark.parametrize("code, status", [(None, 0), ("bad input", 1), (True, 1)])
def test_sys_exit_s_status_is_python_s_own(code, status):
    t = FunctionTask(helpers.exit_with, code)
    with pytest.raises(cordon.Exited):
        t.run()
    assert t.exit_code == status
    assert t.std_err == ("bad input\n" if isinstance(code, str) else "")


class _Unsayable:
    def __str__(self):
        raise RuntimeError("no words")


def test_sys_exit_of_what_no_status_holds_is_still_exited():
    # An int past a C long (python3 exits 255) read as a corrupt return
    # region, then as its digits quoted as text ("sys.exit('1180...')"),
    # and an object whose str() raises as cordon's own failure in the
    # child (ChildSetupError).
    for code in (2 ** 70, -(2 ** 70), 10 ** 4000):
        t = FunctionTask(helpers.exit_with, code)
        with pytest.raises(cordon.Exited) as info:
            t.run()
        assert (t.exit_code, info.value.code) == (255, code)
        assert f"sys.exit({code})" in str(info.value)
    # past the parent's own digit limit, the digits as text, no ValueError
    limit, digits = sys.get_int_max_str_digits(), str(10 ** 1000)
    sys.set_int_max_str_digits(640)
    try:
        t = FunctionTask(helpers.exit_with_any_digits, 10 ** 1000)
        with pytest.raises(cordon.Exited) as info:
            t.run()
        assert info.value.code == digits
    finally:
        sys.set_int_max_str_digits(limit)
    t = FunctionTask(helpers.exit_with, "1180591620717411303424")
    with pytest.raises(cordon.Exited) as info:
        t.run()
    assert info.value.code == "1180591620717411303424"
    assert "sys.exit('1180591620717411303424')" in str(info.value)
    t = FunctionTask(helpers.exit_with, _Unsayable())
    with pytest.raises(cordon.Exited):
        t.run()
    assert t.exit_code == 1


def test_a_task_s_repr_shows_its_state():
    t = FunctionTask(helpers.add, 1, 2)
    assert repr(t) == "<FunctionTask 'add': not run>"
    assert t.run() == 3
    assert repr(t) == "<FunctionTask 'add': exit_code=0>"
    t = FunctionTask(helpers.hard_exit, 3)
    with pytest.raises(cordon.Exited):
        t.run()
    assert repr(t) == "<FunctionTask 'hard_exit': exit_code=3 exception='Exited'>"
    t = FunctionTask(helpers.sleep, 30)
    t.run_async()
    assert repr(t) == "<FunctionTask 'sleep': running>"
    t.cancel()
    with pytest.raises(cordon.Cancelled):
        t.join()
    assert re.fullmatch(r"<FunctionTask 'sleep': exit_code=\d+ exception='Cancelled'>", repr(t))


def test_options_are_checked_before_anything_runs():
    with pytest.raises(TypeError, match="unknown option"):
        FunctionTask(helpers.add, 1).configure(tiemout=1)
    with pytest.raises(ValueError, match=r"^memory='lots': not a size \(e\.g\. 512K"):
        FunctionTask(helpers.add, 1).configure(memory="lots")
    with pytest.raises(ValueError, match="no-such-policy"):
        FunctionTask(helpers.add, 1).configure(policy="no-such-policy")


def test_a_limit_cordon_refuses_is_a_value_error_naming_the_option():
    # a forgotten unit: 64 bytes, not 64 MiB; never an OSError from a setter;
    # in the CLI's words (--mem 64, --out-cap 0)
    with pytest.raises(ValueError, match=r"^memory=1: 1 byte is too small to start any "):
        FunctionTask(helpers.add, 1).configure(memory=1).run()
    with pytest.raises(ValueError, match=r"^memory=64: 64 bytes is too small to start any "
                                         r"task; did you mean '64M'\?$"):
        FunctionTask(helpers.add, 1).configure(memory=64).run()
    with pytest.raises(ValueError, match=r"^output='0': out of range \(1 byte to 1G\); pass "
                                         r"None \(or leave the option out\) for the default, "
                                         r"64M$"):
        FunctionTask(helpers.add, 1).configure(output="0").run()
    with pytest.raises(ValueError, match=r"^memory='512k': 524288 bytes is too small to start "
                                         r"any task; it takes at least 1M$"):
        ShellCommand("true", memory="512k").run()
    with pytest.raises(ValueError, match=r"^returns=0: out of range \(1 byte to 1G\)"):
        FunctionTask(helpers.add, 1).configure(returns=0).run()


def test_a_limit_of_zero_or_below_is_refused_and_none_is_no_limit():
    # timeout=0, cpu=0, memory=0 and file_size=0 (as numbers or text) ran
    # with no limit at all, while the CLI refuses each ("--timeout: '0' is
    # zero; leave the option out for no limit"); None is no limit
    cases = [("timeout", v) for v in (0, 0.0, "0", "0s", "0ms", "0us", -1, -0.5)]
    cases += [("cpu", v) for v in (0, "0", "0h", -2)]
    cases += [("memory", v) for v in (0, "0", "0M", "0.4", -1)]
    cases += [("file_size", v) for v in (0, "0K", -(1 << 20))]
    for name, value in cases:
        what = "a negative limit" if isinstance(value, (int, float)) and value < 0 else \
            "a limit of zero"
        message = (rf"^{name}={re.escape(repr(value))}: {what} is refused; pass None "
                   rf"\(or leave the option out\) for no limit$")
        # at configure(), at a command's making and at an executor's
        with pytest.raises(ValueError, match=message):
            FunctionTask(helpers.add, 1).configure(**{name: value})
        with pytest.raises(ValueError, match=message):
            ShellCommand("true", **{name: value})
        with pytest.raises(ValueError, match=message):
            cordon.Executor(max_workers=1, **{name: value})
    for name, low in (("processes", 1), ("open_files", 6)):
        with pytest.raises(ValueError, match=rf"^{name}=0: expected a whole number from {low} "
                                             rf".*; pass None \(or leave the option out\)"):
            ShellCommand("true", **{name: 0})
    with pytest.raises(ValueError, match=r"^core_dumps=-1: a negative size is refused"):
        ShellCommand("true", core_dumps=-1)
    t = FunctionTask(helpers.add, 1, 2).configure(timeout="1s", cpu=1, memory="256M",
                                                  file_size="1M")
    t.configure(timeout=None, cpu=None, memory=None, file_size=None)
    assert t.run() == 3
    assert ShellCommand("true", timeout=None, memory=None, core_dumps=0).run().exit_code == 0
    # "unlimited", as the CLI's --core takes it (it was "not a size")
    if resource.getrlimit(resource.RLIMIT_CORE)[1] == resource.RLIM_INFINITY:
        assert ShellCommand("ulimit -c", core_dumps="unlimited").run().std_out == "unlimited\n"


def test_every_bad_option_value_is_a_value_or_type_error_naming_the_option():
    # a user, a level, an environment or a policy that cannot be: said before
    # the task runs, in the option's words, never a KeyError, an
    # AttributeError or a RemoteError from the child
    with pytest.raises(ValueError, match=r"^user='no-such-user-here': no such user, and not "
                                         r"a uid from 0 to 4294967294$"):
        FunctionTask(helpers.add, 1).configure(user="no-such-user-here").run()
    for user in (4294967295, -1, "4294967295", "-1", "+5", " 5", "5_0", "\u0665"):
        with pytest.raises(ValueError, match=r"^user=.*: no such user, and not a uid"):
            ShellCommand("true", user=user).run()
    with pytest.raises(ValueError, match=r"^log_level='LOUD': "):
        FunctionTask(helpers.add, 1).configure(log_level="LOUD").run()
    # a bool is an int to Python: True had run at level 1
    with pytest.raises(ValueError, match=r"^log_level=True: expected a logging level"):
        FunctionTask(helpers.add, 1).configure(log_level=True).run()
    with pytest.raises(TypeError, match=r"^env='A=1': expected a mapping"):
        ShellCommand("true", env="A=1").run()
    with pytest.raises(ValueError, match=r"^policy='no-such-policy': no policy named"):
        FunctionTask(helpers.add, 1).configure(policy="no-such-policy")
    # a value of no kind a policy is named by ("no policy named '123'")
    with pytest.raises(TypeError, match=r"^policy=123: expected a policy name"):
        FunctionTask(helpers.add, 1).configure(policy=123)
    assert FunctionTask(helpers.add, 1).configure(
        policy=pathlib.Path(os.environ["CORDON_POLICY_PATH"]) / "nonet.policy").run() == 1
    t = FunctionTask(helpers.add, 1, 2).configure(log_level="WARNING")
    assert t.run() == 3


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs a task as another user")
def test_a_uid_without_a_passwd_entry_is_taken_as_the_cli_s_user_takes_it():
    # `cordon run --user 12345` runs as uid and gid 12345; user=12345 and
    # user="12345" were "no such user" for want of a passwd entry
    import pwd
    free = next(uid for uid in range(12345, 13000) if uid not in {e.pw_uid for e in pwd.getpwall()})
    for user in (free, str(free)):
        assert ShellCommand("id -u; id -g", user=user).run().std_out == f"{free}\n{free}\n"
    # a name that is all digits is the name first, as for --user
    assert ShellCommand("id -u", user="65534").run().std_out == "65534\n"
    # and the user's HOME, USER and LOGNAME, as --user gives (root's were left)
    shown = 'echo "$HOME $USER $LOGNAME"'
    assert ShellCommand(shown, user=free).run().std_out == f"/ {free} {free}\n"
    nobody = pwd.getpwnam("nobody")
    assert (ShellCommand(shown, user="nobody").run().std_out
            == f"{nobody.pw_dir} nobody nobody\n")
    assert ShellCommand(shown, user="nobody", env={"HOME": "/x"}).run().std_out == \
        "/x nobody nobody\n"
    assert ShellCommand(shown, user="nobody", clear_env=True).run().std_out == "  \n"


_NOT_ROOT_USER = """
import operator, os
from cordon.tasks import FunctionTask, ShellCommand
for make in (lambda: FunctionTask(operator.add, 1, 2).configure(user="root"),
             lambda: ShellCommand("id -u", user="daemon")):
    try:
        make()
        print("accepted")
    except PermissionError as e:
        print(e)
print(FunctionTask(operator.add, 1, 2).configure(user=os.getuid()).run())
print(ShellCommand("id -u", user=os.getuid()).run().std_out.strip())
"""


def test_a_user_a_caller_that_is_not_root_cannot_switch_to_is_named_at_configure():
    # was a bare "PermissionError: [Errno 1] Operation not permitted" from
    # run(), naming neither the option nor the user; the caller's own user
    # changes nothing and runs, as under `cordon run --user`
    command = [sys.executable, "-c", _NOT_ROOT_USER]
    package = os.path.dirname(os.path.dirname(os.path.abspath(cordon.__file__)))
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("setpriv is needed to run as another user")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
    done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, HOME="/tmp", PYTHONPATH=package), cwd="/")
    assert done.returncode == 0, done.stderr
    uid = "65534" if os.geteuid() == 0 else str(os.geteuid())
    lines = done.stdout.splitlines()
    for line, user in zip(lines[:2], ("'root'", "'daemon'")):
        assert re.fullmatch(rf"\[Errno 1\] user={user}: cordon runs a task as another user only "
                            rf"when it runs as root \(this process is uid {uid}\); .*", line), line
    assert lines[2:] == ["3", uid]
    if os.geteuid() == 0:
        # the own user, with a group besides: said so, as cordon run --user says it
        own = ("from cordon.tasks import FunctionTask\n"
               "try:\n    FunctionTask(abs, -1).configure(user=65534)\n"
               "except PermissionError as e:\n    print(e)\n")
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--groups=65534,100",
                               sys.executable, "-c", own], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, HOME="/tmp", PYTHONPATH=package),
                              cwd="/")
        assert done.stdout.startswith("[Errno 1] user=65534 is this process's own user, but it "
                                      "holds other groups besides 65534 (100)"), done


def test_counts_directories_stdin_commands_and_retry_arguments_are_named():
    # each was taken as something else or failed far from its cause: "2M"
    # processes as 2 MiB of them, open_files=2 as the child's
    # ConfinementError, a missing cwd likewise, stdin=5 as a TypeError
    # naming no option, max_retry=-1 as an AssertionError ("unreachable")
    with pytest.raises(ValueError, match=r"^processes='2M': expected a whole number from 1"):
        ShellCommand("true", processes="2M").run()
    with pytest.raises(ValueError, match=r"^open_files=2: expected a whole number from 6"):
        FunctionTask(helpers.add, 1).configure(open_files=2).run()
    # the most each takes is the library's and the CLI's, what any kernel
    # holds (it was 1,000,000 here and in the CLI, 4,194,304 processes in
    # the library)
    ShellCommand("true", processes=4194304, open_files=64).configure()
    with pytest.raises(ValueError, match=r"^processes=4194305: expected a whole number from 1 "
                                         r"to 4194304"):
        ShellCommand("true", processes=4194305)
    with pytest.raises(ValueError, match=r"^open_files=2147483585: expected a whole number "
                                         r"from 6 to 2147483584"):
        ShellCommand("true", open_files=2147483585)
    with pytest.raises(FileNotFoundError, match=r"cwd='/no/such/dir': No such file"):
        ShellCommand("true", cwd="/no/such/dir").run()
    with pytest.raises(NotADirectoryError, match=r"cwd='/etc/passwd': Not a directory"):
        ShellCommand("true", cwd="/etc/passwd").run()
    # stat's own "embedded null byte" and "expected str, bytes or
    # os.PathLike object" had not named the option
    with pytest.raises(ValueError, match=r"^cwd='/tmp\\x00x': a path holds no NUL byte$"):
        ShellCommand("true", cwd="/tmp\0x").run()
    with pytest.raises(TypeError, match=r"^cwd=3: expected a path"):
        ShellCommand("true", cwd=3).run()
    with pytest.raises(ValueError, match=r"^cwd='/tmp/\\ud800': holds a character no file"):
        ShellCommand("true", cwd="/tmp/\ud800").run()
    # stat's own errno: every failure had read "No such file or directory"
    with pytest.raises(OSError, match=r"File name too long") as raised:
        ShellCommand("true", cwd="/" + "d" * 5000).run()
    assert raised.value.errno == errno.ENAMETOOLONG
    with pytest.raises(TypeError, match=r"^stdin=5: expected bytes or str$"):
        ShellCommand("cat", stdin=5).run()
    with pytest.raises(TypeError, match=r"^command=5: expected a shell line"):
        ShellCommand(5)
    with pytest.raises(ValueError, match=r"^max_retry=-1: expected a whole number from 0$"):
        FunctionTask(helpers.add, 1).run_and_retry(max_retry=-1)
    with pytest.raises(TypeError, match=r"^exception=5: expected an exception class"):
        FunctionTask(helpers.add, 1).run_and_retry(exception=5)
    for factor in (0.5, 5000, float("nan")):
        with pytest.raises(ValueError, match=rf"^backoff_factor={factor!r}: expected a factor "
                                             rf"from 1 to 1000$"):
            FunctionTask(helpers.add, 1).run_and_retry(backoff_factor=factor)
    for name, text, why in (("backoff", "100 apples", "not a time"),
                            ("max_backoff", "10us", "is below cordon's 1 ms resolution"),
                            ("backoff", "-1s", "not a time")):
        with pytest.raises(ValueError, match=rf"^{name}='{text}': {why}"):
            FunctionTask(helpers.add, 1).run_and_retry(**{name: text})
    # a timedelta, Fraction or Decimal is the seconds it is (each was "not a time")
    import datetime
    import decimal
    import fractions
    for value in (datetime.timedelta(milliseconds=200), decimal.Decimal("0.2"),
                  fractions.Fraction(1, 5)):
        with pytest.raises(cordon.Timeout):
            ShellCommand("sleep 5", timeout=value).run()
        assert FunctionTask(helpers.add, 1).run_and_retry(backoff=value, max_backoff=value) == 1
    with pytest.raises(ValueError, match=r"^timeout=datetime.timedelta\(microseconds=10\): is "
                                         r"below cordon's 1 ms"):
        ShellCommand("true", timeout=datetime.timedelta(microseconds=10))
    # a number below 1 ms as its text is ("0.5ms"): 0.0005 had been taken
    for name, value in (("backoff", "0.5ms"), ("backoff", 0.0005), ("max_backoff", 1e-9)):
        with pytest.raises(ValueError, match=rf"^{name}={value!r}: is below cordon's 1 ms"):
            FunctionTask(helpers.add, 1).run_and_retry(**{name: value})
    assert FunctionTask(helpers.add, 1).run_and_retry(backoff=0.001, max_backoff=0) == 1
    t = ShellCommand("pwd", cwd="/etc", processes=4, open_files=64, stdin="x").run()
    assert t.std_out == "/etc\n"
    assert FunctionTask(helpers.add, 1, 2).run_and_retry(max_retry=0,
                                                        exception=(ValueError, KeyError)) == 3


def test_log_level_option():
    def log():
        logging.debug("fine detail")
    t = FunctionTask(log).configure(log_level=logging.DEBUG)
    t.run()
    assert t.log_out == "DEBUG:root:fine detail\n"


def test_a_task_runs_again_in_a_fresh_child():
    t = FunctionTask(helpers.chatty, 1)
    assert t.run() == 2 and t.run() == 2
    assert t.std_out == "out 1\n"


def test_the_envelope_reader_refuses_any_class():
    from cordon import _wire
    with pytest.raises(pickle.UnpicklingError):
        _wire.load_envelope(pickle.dumps({"kind": "ok", "value": helpers.Point(1, 2)}))


def _hold_three_blocks():
    """Three processes holding 40 MiB each at the same time."""
    import os
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            mine = bytearray(40 << 20)  # zero-filled: every page touched
            os.write(ready_w, b"x")
            os.close(go_w)
            os.read(go_r, 1)  # until the parent closes it
            os._exit(len(mine) != 40 << 20)
        children.append(pid)
    block = bytearray(40 << 20)  # after the forks: not in the children's pages
    for _ in children:
        os.read(ready_r, 1)
    os.close(go_w)
    return sum(os.waitpid(pid, 0)[1] for pid in children) + len(block) // (40 << 20)


def _resident_kib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_tree_memory_counts_the_whole_tree():
    # max_rss_kb is the largest single process, a copy of this one (the
    # caller's pages it maps count in it) holding one block: not the three
    # blocks the tree held.  The caller's own size is this process's, which
    # grows with the tests collected: a fixed 100 MiB failed by 132 KiB.
    caller = _resident_kib()
    t = FunctionTask(_hold_three_blocks).configure(tree_memory=True)
    assert t.run() == 1
    if t.usage.tree_peak_kb == 0:
        pytest.skip("no memory cgroup could be made for the task")
    assert t.usage.tree_peak_kb >= 120 * 1024
    assert t.usage.max_rss_kb < caller + 80 * 1024


def test_numbers_past_what_cordon_takes_are_value_errors_naming_the_option():
    # each was wrapped modulo 2**64 by the extension or failed far from its
    # cause: memory=2**64 ran with no limit at all, memory=2**64 + 64 MiB
    # under a 64 MiB one, cpu=1e30 under some other CPU limit, timeout=1e30
    # and core_dumps=2**65 as an OverflowError naming no option,
    # timeout=float("inf") as "cannot convert float infinity to integer"
    cases = [("memory", 2**64), ("memory", 2**64 + (64 << 20)), ("file_size", 2**64),
             ("output", "99999999999999T"), ("core_dumps", 2**65), ("timeout", 1e30),
             ("timeout", float("inf")), ("timeout", "9999999999999999999h"), ("cpu", 1e30),
             ("processes", 2**40), ("open_files", 2**64)]
    for name, value in cases:
        with pytest.raises(ValueError, match=rf"^{name}={re.escape(repr(value))}: "):
            FunctionTask(helpers.add, 1).configure(**{name: value}).run()
    with pytest.raises(ValueError, match=r"^timeout=1e\+30: "):
        cordon.Executor(max_workers=1, timeout=1e30)


def test_a_time_limit_past_31_years_is_refused_as_the_cli_refuses_it():
    # cpu=18446744073 (past the kernel's RLIMIT_CPU count: the library's
    # backstop, tests/test_limits_bounds.c) is no deadline anyone means;
    # the CLI's --cpu and --timeout refuse it, and so does this package
    for name in ("cpu", "timeout"):
        with pytest.raises(ValueError, match=rf"^{name}=18446744073: longer than 31 years; "
                                             rf"pass None"):
            ShellCommand("true", **{name: 18446744073})
    # the most each takes, as the CLI's: 10**9 s ("1000000000")
    assert ShellCommand("true", cpu=10**9, timeout="1000000000").run().exception is None


def test_an_environment_name_that_cannot_be_one_is_a_value_error():
    # {"A=B": "c"} set the variable A to "B=c", and {"": "x"} an entry
    # "=x" that no program reads by a name
    for key in ("A=B", "", "A\0B"):
        with pytest.raises(ValueError, match=rf"^env: {re.escape(repr(key))} is not a variable name"):
            ShellCommand("true", env={key: "c"}).run()
    assert ShellCommand("echo $A", env={"A": "B=c"}).run().std_out == "B=c\n"


def test_an_environment_value_that_is_not_text_is_refused_at_once():
    # {"A": None} ran with A=None and {"A": 5} with A=5 (subprocess raises
    # TypeError), and a NUL in a value was found only by run(), in words
    # that did not name env=
    for env in ({"A": None}, {"A": 5}, {5: "x"}):
        with pytest.raises(TypeError, match=r"^env: "):
            ShellCommand("true").configure(env=env)
    with pytest.raises(ValueError, match=r"^env: the value of 'A' holds a NUL byte"):
        ShellCommand("true").configure(env={"A": "B\0C"})
    for env in ({"A": b"\xff"}, {b"A\xff": "x"}, {"A": "\udcff"}):
        with pytest.raises(ValueError, match=r"^env: the .* is not UTF-8 text"):
            ShellCommand("true").configure(env=env)
    run = ShellCommand('echo "$A $B"', env={"A": b"bytes", b"B": "too"}).run()
    assert run.std_out == "bytes too\n"


def test_a_whole_environment_passed_on_keeps_cordon_s_own_variables():
    # a program run by cordon has CORDON_LOG_FD and CORDON_ATTEMPT in its
    # environment, and env={**os.environ, ...} passes them on: the task
    # still gets cordon's own, whatever was given
    run = ShellCommand('echo "$CORDON_LOG_FD $CORDON_ATTEMPT"',
                       env={"CORDON_LOG_FD": "7", "CORDON_ATTEMPT": "9"}).run()
    assert run.std_out == "3 1\n"


def test_trust_that_names_no_class_or_module_is_a_type_error_before_the_run():
    # trust=5 ran the task and then failed its return as a ReturnError
    # ("'int' object is not iterable"); trust=[5] was taken and ignored
    for trust in (5, "helpers", [5], [None], ["helpers", 2.5]):
        t = FunctionTask(helpers.add, 1)
        with pytest.raises(TypeError, match=r"^trust="):
            t.configure(trust=trust)  # refused as given, not at run
        assert t.run() == 1  # and the task kept its options
    for trust in (True, False, None, [], [helpers.Point], ("helpers",)):
        assert FunctionTask(helpers.add, 1).configure(trust=trust).run() == 1
    with pytest.raises(TypeError, match=r"^trust=5: "):
        cordon.Executor(max_workers=1, trust=5)


def _writes_undecodable_bytes(size):
    os.write(1, b"\xff" * size)


def test_a_stream_s_text_is_made_when_it_is_read():
    # Each stream was kept twice, as the result's bytes and as text, in
    # which each undecodable byte is a U+FFFD of two bytes: 3 times the
    # output cap per stream, for every task an Executor held.
    import tracemalloc
    size = 16 << 20
    task = FunctionTask(_writes_undecodable_bytes, size)
    tracemalloc.start()
    try:
        task.run()
        held_after_the_run = tracemalloc.get_traced_memory()[0]
        assert held_after_the_run < size + (size // 2)
        assert task.std_out == "\ufffd" * size
    finally:
        tracemalloc.stop()
    assert task.result["std_out"] == b"\xff" * size


def _logs_backslashes_and_newlines():
    logging.getLogger().info("C:\\temp\\new\nsecond line")
    logging.getLogger("cordon.test").warning("plain")


def test_log_records_are_the_records_as_logged():
    # log_out doubles a record's backslashes so that its lines read back:
    # a path C:\temp\new came as C:\\temp\\new with no way to tell
    t = FunctionTask(_logs_backslashes_and_newlines)
    t.run()
    assert t.log_out == ("INFO:root:C:\\\\temp\\\\new\\nsecond line\n"
                         "WARNING:cordon.test:plain\n")
    assert t.log_records == ["INFO:root:C:\\temp\\new\nsecond line",
                             "WARNING:cordon.test:plain"]


def _logs_an_undecodable_name_and_a_nul():
    logging.warning("opened %s", os.fsdecode(b"/tmp/\xff"))
    logging.warning("nul\x00after")
    logging.warning("caf\u00e9")


def test_log_records_keep_undecodable_names_and_nuls():
    # the record of a file name os.fsdecode had escaped was lost (a
    # "Logging error" on std_err), and one holding a NUL cut at it
    t = FunctionTask(_logs_an_undecodable_name_and_a_nul)
    t.run()
    assert t.log_records == ["WARNING:root:opened /tmp/\\udcff",
                             "WARNING:root:nul\x00after", "WARNING:root:caf\u00e9"]
    assert "Logging error" not in t.std_err


def _raises_from():
    try:
        {}["missing"]
    except KeyError as error:
        raise ValueError("bad config") from error


def _raises_while_handling():
    try:
        1 / 0
    except ZeroDivisionError:
        raise RuntimeError("cleanup failed")


class _HoldsALock(Exception):
    def __init__(self):
        super().__init__("holds a lock")
        self.lock = threading.Lock()


def _raises_from_an_unpicklable_cause():
    try:
        raise _HoldsALock()
    except _HoldsALock as error:
        raise ValueError("outer") from error


def test_a_raised_exception_keeps_its_chain():
    # raise ... from came back without __cause__, and an exception raised
    # while handling another without __context__
    with pytest.raises(ValueError, match="bad config") as caught:
        FunctionTask(_raises_from).run()
    cause = caught.value.__cause__
    assert type(cause) is KeyError and cause.args == ("missing",)
    assert caught.value.__suppress_context__
    with pytest.raises(RuntimeError, match="cleanup failed") as caught:
        FunctionTask(_raises_while_handling).run()
    assert type(caught.value.__context__) is ZeroDivisionError
    assert not caught.value.__suppress_context__
    # a cause that does not pickle: the exception still comes as itself
    with pytest.raises(ValueError, match="outer") as caught:
        FunctionTask(_raises_from_an_unpicklable_cause).run()
    assert caught.value.__cause__ is None


def test_what_the_caller_had_not_flushed_stays_the_caller_s(tmp_path):
    # The caller's buffered line was written by the child, through a
    # handler holding the caller's sys.stdout, into the task's std_out
    # (and by the caller again at its own flush).
    script = f"""
import logging, sys
sys.path[:0] = {sys.path!r}
from cordon.tasks import FunctionTask
audit = logging.getLogger("audit"); audit.propagate = False; audit.setLevel(logging.INFO)
audit.addHandler(logging.StreamHandler(sys.stdout))
print("caller: secret")
def job():
    audit.info("task record")
    return 1
t = FunctionTask(job)
t.run()
print(repr(t.std_out))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.stdout == "caller: secret\n'task record\\n'\n", out


@dataclasses.dataclass
class _Made:
    value: int


def _make(value):
    return _Made(value)


def test_a_partial_s_function_s_module_is_trusted_as_the_function_s():
    # functools.partial's __module__ is functools: a partial of a function
    # returning a class of its own module came back UntrustedReturn.
    assert FunctionTask(functools.partial(_make), 3).run() == _Made(3)
    assert FunctionTask(functools.partial(functools.partial(_make, 4))).run() == _Made(4)


def test_a_bad_profile_sort_is_said_before_the_task_runs(tmp_path):
    # It ran the task, then raised a bare KeyError: 'bogus'.
    mark = tmp_path / "ran"
    t = FunctionTask(mark.write_text, "x")
    with pytest.raises(ValueError, match=r"^sort='bogus': not a sort key"):
        t.run_profiler(sort="bogus")
    assert not mark.exists() and t.attempts == 0
    # a limit pstats would misread (-1: all rows but the last) or fail on
    for limit, error in ((-1, ValueError), (1.5, ValueError), (True, TypeError),
                         ([3], TypeError)):
        with pytest.raises(error, match=rf"^limit={re.escape(repr(limit))}: expected a count"):
            t.run_profiler(limit=limit)
    with pytest.raises(ValueError, match=r"^limit='\(': not a regular expression"):
        t.run_profiler(limit="(")
    assert not mark.exists() and t.attempts == 0
    for limit in (0, 3, 0.5, "write_text", None):
        out = io.StringIO()
        assert t.run_profiler(out=out, limit=limit) == 1
        assert "function calls" in out.getvalue(), out.getvalue()


def test_a_signalling_nan_time_names_its_option():
    # ValueError: "cannot convert signaling NaN to float", naming nothing
    with pytest.raises(ValueError, match=r"^timeout=Decimal\('sNaN'\): not a time"):
        FunctionTask(int).configure(timeout=decimal.Decimal("sNaN"))


def keyword_named_like_the_task_s_own(func=None, self=None):
    return func, self


def test_keyword_arguments_named_func_or_self_are_the_function_s():
    # FunctionTask(f, func=3) was a TypeError: "multiple values for
    # argument 'func'", as was Executor.submit(f, self=2).
    assert FunctionTask(keyword_named_like_the_task_s_own, func=3, self=2).run() == (3, 2)
    # and the function given as func= alone is the function still
    assert FunctionTask(func=keyword_named_like_the_task_s_own).run() == (None, None)
    with cordon.Executor(max_workers=1) as ex:
        assert ex.submit(keyword_named_like_the_task_s_own, self=2).result() == (None, 2)


def test_a_function_task_under_the_import_lock_is_refused_not_hung():
    # The child is forked by the run's own thread, whose fork takes the
    # import lock: held by the caller's thread, the run waited for ever.
    import _imp
    _imp.acquire_lock()
    try:
        with pytest.raises(RuntimeError, match="import lock"):
            FunctionTask(abs, -5).configure(timeout=3).run()
    finally:
        _imp.release_lock()
    assert FunctionTask(abs, -5).run() == 5
    # Every way to start one, asked on the thread that holds the lock:
    # run_async's and an Executor's fork on another thread had not asked,
    # and their join() and result() waited for ever; an Executor made
    # under the lock starts nothing, and is not refused (it was).
    _imp.acquire_lock()
    try:
        t = FunctionTask(abs, -6)
        for start in (t.run_async, t.run_and_retry, lambda: t.run_profiler(out=io.StringIO())):
            with pytest.raises(RuntimeError, match="import lock"):
                start()
        ex = cordon.Executor(max_workers=1)
        with pytest.raises(RuntimeError, match="import lock"):
            ex.submit(abs, -7)
    finally:
        _imp.release_lock()
    assert ex.submit(abs, -7).result(timeout=30) == 7
    ex.shutdown()
    assert t.run() == 6
    # Held by another thread (one importing holds it a moment), it is no
    # reason: every run had been refused beside a thread that imported.
    stop = threading.Event()

    def imports():
        while not stop.is_set():
            sys.modules.pop("json", None)
            import json  # noqa: F401

    importer = threading.Thread(target=imports)
    importer.start()
    try:
        assert [FunctionTask(abs, -i).run() for i in range(20)] == list(range(20))
    finally:
        stop.set()
        importer.join()
