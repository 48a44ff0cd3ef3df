"""isolate=, paths= and network=: the C library's presets, file rules and
network namespace, for functions, commands and the Executor."""
import errno
import os
import shutil
import socket
import tempfile

import pytest

import cordon
from cordon.tasks import FunctionTask, ShellCommand


def _judge_or_skip():
    """The presets need Landlock and pid and mount namespaces: a machine,
    user or valgrind without them is a skip, named."""
    try:
        FunctionTask(os.getpid).configure(isolate="judge").run()
    except OSError as e:
        pytest.skip(f"no isolation preset here: {e}")
    except cordon.ConfinementError as e:
        pytest.skip(f"no isolation preset here: {e}")


@pytest.fixture
def scratch():
    """A directory outside /tmp (the presets hide /tmp behind their own)."""
    path = tempfile.mkdtemp(dir="/var/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def read(path):
    with open(path) as f:
        return f.read()


def write_and_read(path):
    with open(path, "w") as f:
        f.write("mine")
    return read(path)


def reach(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return True


def test_paths_are_paths_in_every_spelling(scratch):
    """A bytes path is the path it spells (it was the text "b'/var/...'",
    not found); a name that is not UTF-8 is the file system's bytes, as
    bytes and as os.fsdecode gives it, for paths=, tmpfs= and bind= (it was
    refused, "cordon passes paths as UTF-8", which the CLI's --ro took);
    a number, which os.stat took for an fd, is refused naming paths=."""
    _judge_or_skip()
    task = FunctionTask(write_and_read, os.path.join(scratch, "out"))
    assert task.configure(isolate="judge", paths={os.fsencode(scratch): "rw"}).run() == "mine"
    not_utf8 = os.path.join(os.fsencode(scratch), b"caf\xe9")
    os.mkdir(not_utf8)
    os.chmod(not_utf8, 0o777)
    inside = os.path.join(not_utf8, b"out")
    for path in (not_utf8, os.fsdecode(not_utf8)):
        task = FunctionTask(write_and_read, inside)
        assert task.configure(isolate="judge", paths={path: "rw"}).run() == "mine"
        task = FunctionTask(write_and_read, inside)
        assert task.configure(isolate="judge", tmpfs=[path], paths={path: "rw"}).run() == "mine"
        os.unlink(inside)  # the first run's: the second wrote to its tmpfs
    with pytest.raises(TypeError, match="paths: 3 is not a path"):
        FunctionTask(os.getpid).configure(paths={3: "r"})


def test_judge_reaches_its_scratch_and_nothing_else(scratch):
    _judge_or_skip()
    other = tempfile.mkdtemp(dir="/var/tmp")
    try:
        with open(os.path.join(other, "secret"), "w") as f:
            f.write("secret")
        task = FunctionTask(write_and_read, os.path.join(scratch, "out"))
        assert task.configure(isolate="judge", paths={scratch: "rw"}).run() == "mine"
        assert read(os.path.join(scratch, "out")) == "mine"
        with pytest.raises(PermissionError):
            FunctionTask(read, os.path.join(other, "secret")).configure(
                isolate="judge", paths={scratch: "rw"}).run()
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_judge_has_a_private_tmp_and_no_network():
    _judge_or_skip()
    with socket.socket() as server:                 # the caller's own loopback
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert FunctionTask(reach, port).run() is True
        with pytest.raises(ConnectionRefusedError):
            FunctionTask(reach, port).configure(isolate="judge").run()
    name = f"/tmp/cordon-isolation-test-{os.getpid()}"
    assert FunctionTask(write_and_read, name).configure(isolate="judge").run() == "mine"
    assert not os.path.exists(name)


def test_a_command_under_judge_runs_from_its_scratch(scratch):
    _judge_or_skip()
    program = os.path.join(scratch, "prog")
    with open(program, "w") as f:
        f.write("#!/bin/sh\necho ran; cat /etc/hostname >/dev/null 2>&1 || echo refused\n")
    os.chmod(program, 0o755)
    ls = ShellCommand(program, isolate="judge", paths={scratch: "rx"}, timeout=10).run()
    assert ls.exit_code == 0
    assert ls.std_out == "ran\nrefused\n"
    refused = ShellCommand(program, isolate="judge", paths={scratch: "r"}).run()
    assert refused.exit_code == 126                  # no x: the shell may not execute it
    assert "Permission denied" in refused.std_err


def test_paths_alone_grant_the_system_and_the_paths(scratch):
    _judge_or_skip()
    with open(os.path.join(scratch, "data"), "w") as f:
        f.write("data")
    t = ShellCommand(f"cat {scratch}/data; cat /etc/hostname >/dev/null 2>&1 || echo no",
                     paths={scratch: "r"}).run()
    assert t.std_out == "datano\n"


def test_no_paths_grant_the_system_alone(scratch):
    # paths={} (a mapping that came out empty) had given no file rules at
    # all: the task read every file of the caller's user.
    _judge_or_skip()
    with open(os.path.join(scratch, "data"), "w") as f:
        f.write("data")
    t = ShellCommand(f"cat {scratch}/data 2>/dev/null || echo refused; cat /etc/os-release "
                     f"| head -c 5", paths={}).run()
    assert t.std_out.startswith("refused\n")
    assert len(t.std_out) > len("refused\n")  # the system's files still read
    with pytest.raises(PermissionError):
        FunctionTask(read, os.path.join(scratch, "data")).configure(paths={}).run()


def test_the_result_says_how_the_task_was_confined(scratch):
    # A Python caller had no record of what held its tasks; the CLI's
    # --json had it.
    _judge_or_skip()
    t = ShellCommand("true", isolate="judge", paths={scratch: "rw"})
    assert t.confinement == [] and t.confinement_details is None
    t.run()
    for name in ("landlock", "pid_namespace", "network_namespace", "file_rules",
                 "private_tmpfs", "minimal_dev"):
        assert name in t.confinement
    details = t.confinement_details
    assert details["filter"] == "default"
    assert details["landlock_abi"] >= 1
    assert {"path": os.path.realpath(scratch), "access": "rw"} in details["file_rules"]
    assert details["uid"] == os.geteuid()
    assert set(details) == {"filter", "landlock_abi", "file_rules", "binds", "hostname",
                            "cgroup", "max_processes", "clamped_limits", "uid", "gid"}
    plain = FunctionTask(os.getpid).configure(policy=None)
    plain.run()
    assert "file_rules" not in plain.confinement
    # no filter, or cordon's own rules alone ("none") where a cgroup holds it
    assert plain.confinement_details["filter"] in (None, "none")
    assert ("seccomp" in plain.confinement) == (plain.confinement_details["filter"] == "none")
    assert plain.confinement_details["file_rules"] == []


def test_the_executor_takes_the_preset(scratch):
    _judge_or_skip()
    with cordon.Executor(max_workers=2, isolate="judge", paths={scratch: "rw"},
                         timeout=10) as ex:
        futures = [ex.submit(write_and_read, os.path.join(scratch, str(n))) for n in range(3)]
        assert [f.result() for f in futures] == ["mine"] * 3
        with pytest.raises(PermissionError):
            ex.submit(read, "/root/.bashrc" if os.path.isdir("/root") else "/home").result()


def test_network_none_reaches_no_caller_port():
    _judge_or_skip()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with pytest.raises(ConnectionRefusedError):
            FunctionTask(reach, server.getsockname()[1]).configure(network="none").run()


def test_bad_option_values_are_refused_by_configure_not_at_run():
    # A typo in isolate= (or network=, paths=, user=) showed only at run(),
    # where the task was already handed to a pool or a thread.
    bad = [({"isolate": "jduge"}, ValueError, r"^isolate='jduge': expected one of"),
           ({"network": "nonee"}, ValueError, r"^network='nonee': expected"),
           ({"paths": {"/var/tmp": "q"}}, ValueError, r"^paths\['/var/tmp'\]='q'"),
           ({"paths": "/var/tmp"}, TypeError, r"^paths='/var/tmp': expected a mapping"),
           ({"user": "no-such-user-here"}, ValueError, r"^user='no-such-user-here': no such"),
           ({"env": {"A=B": "c"}}, ValueError, r"^env: 'A=B' is not a variable name"),
           ({"stdin": 42}, TypeError, r"^stdin=42: expected bytes or str"),
           ({"cwd": "/no/such/dir"}, FileNotFoundError,
            r"^\[Errno 2\] cwd='/no/such/dir': No such file"),
           ({"paths": {"/no/such/dir": "r"}}, FileNotFoundError,
            r"^\[Errno 2\] paths: '/no/such/dir': No such file"),
           ({"paths": {"/var/tmp\0x": "r"}}, ValueError, r"^paths: '/var/tmp\\x00x' is not a path")]
    for options, kind, message in bad:
        task = ShellCommand("true")
        with pytest.raises(kind, match=message):
            task.configure(**options)
    # and a function's log level, which only its child used
    with pytest.raises(ValueError, match=r"^log_level='LOUD': expected a logging level"):
        FunctionTask(os.getpid).configure(log_level="LOUD")


def test_configure_while_running_is_refused():
    t = ShellCommand("sleep 0.3")
    t.run_async()
    try:
        with pytest.raises(RuntimeError, match="running"):
            t.configure(timeout=1)
    finally:
        t.join()
    assert t.configure(timeout=1) is t


def test_bad_isolation_values_name_the_option(scratch):
    with pytest.raises(ValueError, match=r"^isolate='jail': expected one of judge, isolated$"):
        FunctionTask(os.getpid).configure(isolate="jail").run()
    with pytest.raises(TypeError, match=r"^paths='/var/tmp': expected a mapping"):
        ShellCommand("true", paths="/var/tmp").run()
    with pytest.raises(ValueError, match=r"^paths\['/var/tmp'\]='rq': expected letters"):
        ShellCommand("true", paths={"/var/tmp": "rq"}).run()
    with pytest.raises(FileNotFoundError, match=r"^\[Errno 2\] paths: '/no/such/dir': "):
        ShellCommand("true", paths={"/no/such/dir": "r"}).run()
    with pytest.raises(ValueError, match=r"^network='off': expected 'none' or 'host'$"):
        ShellCommand("true", network="off").run()
    with pytest.raises(ValueError, match=r"^isolate='jail'"):
        cordon.Executor(isolate="jail")
    hidden = tempfile.mkdtemp(dir="/tmp")
    try:
        ShellCommand("true", isolate="judge", paths={hidden: "rw"}).run()
    except OSError as e:                             # no Landlock: said so
        assert e.errno == errno.EOPNOTSUPP and str(e).startswith("[Errno 95] isolate='judge'")
    except ValueError as e:
        assert str(e).startswith(f"paths: {hidden!r} lies beneath the task's private /tmp")
    else:
        pytest.fail("a rule hidden by the private /tmp was taken")
    finally:
        os.rmdir(hidden)


def _namespaces_or_skip():
    """tmpfs=, bind=, dev=, hostname= need a mount or UTS namespace."""
    try:
        ShellCommand("true", hostname="probe", tmpfs="/tmp").run()
    except (OSError, cordon.ConfinementError) as e:
        pytest.skip(f"no namespaces here: {e}")


def test_mounts_and_names_reach_the_task(scratch):
    # The library's and the CLI's binds, tmpfs, /dev, host name and cgroup
    # namespace, which Python had no option for.
    _namespaces_or_skip()
    with open(os.path.join(scratch, "in"), "w") as f:
        f.write("given")
    private = f"/tmp/cordon-mounts-test-{os.getpid()}"
    script = ("cat /mnt/in; echo; echo no >/mnt/out 2>/dev/null || echo read-only; "
              "echo written >/srv/out; hostname; test -e /dev/mem || echo no-mem; "
              "test -c /dev/null && echo null; tail -n1 /proc/self/cgroup; "
              f"echo x >{private} && echo tmp")
    done = ShellCommand(script, ro_bind=[(scratch, "/mnt")], bind=(scratch, "/srv"),
                        tmpfs="/tmp", dev="minimal", hostname="box", cgroup_namespace=True,
                        timeout=20).run()
    assert done.exit_code == 0, done.std_err
    assert done.std_out == "given\nread-only\nbox\nno-mem\nnull\n0::/\ntmp\n"
    assert read(os.path.join(scratch, "out")) == "written\n"
    assert not os.path.exists(private)
    assert FunctionTask(socket.gethostname).configure(hostname="fn").run() == "fn"
    assert ShellCommand("pwd", cwd=b"/tmp").run().std_out == "/tmp\n"  # bytes, as os takes
    assert socket.gethostname() != "fn"
    # dev="host" gives back the preset's own /dev
    under = ShellCommand("test -e /dev/mem && echo host-dev", isolate="isolated", dev="host")
    try:
        assert under.run().std_out == "host-dev\n" or not os.path.exists("/dev/mem")
    except (OSError, cordon.ConfinementError):
        pass                                         # no preset here (Landlock)


def test_mount_options_are_refused_with_their_names(scratch):
    bad = [({"tmpfs": "relative"}, ValueError, r"^tmpfs 'relative': not an absolute path$"),
           # a tmpfs has no source: it had said "one is a directory and the other is not"
           ({"tmpfs": "/etc/passwd"}, ValueError, r"^tmpfs '/etc/passwd': not a directory$"),
           ({"tmpfs": 3}, TypeError, r"^tmpfs=3: expected a directory or a list"),
           ({"bind": "/etc"}, TypeError, r"^bind='/etc': expected \(source, target\) pairs"),
           ({"bind": [("/no/such", "/mnt")]}, FileNotFoundError,
            r"^\[Errno 2\] bind: '/no/such': No such file"),
           ({"ro_bind": [("/etc", "/etc/passwd")]}, ValueError,
            r"^ro_bind '/etc' over '/etc/passwd': one is a directory and the other is not$"),
           ({"bind": [(scratch, "/")]}, ValueError, r"over '/': the target is not an absolute"),
           ({"bind": [(scratch, "/mnt"), (scratch, "/mnt")]}, ValueError,
            r"over '/mnt': is, lies beneath or holds another tmpfs"),
           ({"tmpfs": [f"/mnt/{n}" for n in range(9)]}, None, None),
           ({"dev": "maybe"}, ValueError, r"^dev='maybe': expected 'minimal' or 'host'$"),
           ({"hostname": "-x"}, ValueError, r"^hostname='-x': not a host name"),
           ({"hostname": 5}, TypeError, r"^hostname=5: expected a str$"),
           # NUL and surrogates: an encoding error or a C-string message, no option named
           ({"hostname": "a\0b"}, ValueError, r"^hostname='a\\x00b': not a host name"),
           ({"hostname": "a\udc80b"}, ValueError, r"^hostname='a\\udc80b': not a host name"),
           # read once by configure(): a generator's mounts were gone at run()
           ({"tmpfs": (p for p in ["/tmp"])}, TypeError, r"^tmpfs=<generator"),
           ({"ro_bind": ((a, b) for a, b in [("/etc", "/mnt")])}, TypeError,
            r"^ro_bind=<generator"),
           ({"cgroup_namespace": "no"}, TypeError, r"^cgroup_namespace='no': expected True"),
           ({"ro_bind": [("/etc/hostname", "/dev/null")], "dev": "minimal"}, ValueError,
            r"^the bind's target /dev/null lies in the task's own /dev")]
    for options, kind, message in bad:
        if kind is None:                             # nine directories: E2BIG, said so
            dirs = [tempfile.mkdtemp(dir=scratch) for _ in range(9)]
            with pytest.raises(ValueError, match=r"^tmpfs '.*': at most 8 of them$"):
                ShellCommand("true", tmpfs=dirs).run()
            continue
        with pytest.raises(kind, match=message):
            ShellCommand("true", **options).run()
    with pytest.raises(TypeError, match=r"unknown option\(s\): bindd"):
        ShellCommand("true", bindd=[])
