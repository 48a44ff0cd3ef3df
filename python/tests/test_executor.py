"""cordon.Executor: concurrent.futures over confined function tasks."""
import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import cordon
from cordon.tasks import FunctionTask

import helpers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def submit_lingering(ex, children=0):
    name = helpers.marker()
    future = ex.submit(helpers.linger, name, children)
    helpers.wait_until(lambda: len(helpers.named(name)) == children + 1, f"running: {name}")
    return future, name


def test_it_is_a_concurrent_futures_executor_with_the_usable_cpus():
    with cordon.Executor() as ex:
        assert isinstance(ex, concurrent.futures.Executor)
        assert ex._max_workers == len(os.sched_getaffinity(0)) == cordon.usable_cpus()
        future = ex.submit(helpers.chatty, 21)
        assert isinstance(future, concurrent.futures.Future)
        assert future.result() == 42
    assert future.task.std_out == "out 21\n" and future.task.std_err == "err 21\n"
    assert "INFO:root:record 21" in future.task.log_out
    assert future.task.usage.wall_us > 0


def test_an_executor_s_repr_shows_its_workers_and_calls():
    ex = cordon.Executor(max_workers=1)
    assert repr(ex) == "<cordon.Executor max_workers=1 running=0 queued=0>"
    first, name = submit_lingering(ex)
    second = ex.submit(helpers.add, 1)
    assert repr(ex) == "<cordon.Executor max_workers=1 running=1 queued=1>"
    assert first.cancel() and second.result() == 1
    ex.shutdown()
    assert repr(ex) == "<cordon.Executor max_workers=1 running=0 queued=0 shut down>"


def test_map_gives_the_results_in_order():
    with cordon.Executor(max_workers=3) as ex:
        assert list(ex.map(helpers.add, range(20), range(20))) == [2 * i for i in range(20)]


def test_exceptions_come_back_with_the_tasks_own_class():
    with cordon.Executor(max_workers=2) as ex:
        own = ex.submit(helpers.raise_parse_error)
        crash = ex.submit(helpers.segfault)
        with pytest.raises(helpers.ParseError) as caught:
            own.result()
        assert caught.value.line == 7
        assert isinstance(crash.exception(), cordon.SIGSEGV)
        assert "before the segfault" in crash.task.std_out


def test_options_apply_to_each_call_and_are_checked_at_once():
    with pytest.raises(TypeError, match="unknown option"):
        cordon.Executor(colour="red")
    with pytest.raises(ValueError, match="memory="):
        cordon.Executor(memory="lots")
    with pytest.raises(ValueError, match="max_workers"):
        cordon.Executor(max_workers=0)
    with cordon.Executor(max_workers=2, timeout=0.5) as ex:
        assert isinstance(ex.submit(helpers.sleep, 3600).exception(), cordon.Timeout)
    with cordon.Executor(max_workers=2, returns=1000) as ex:
        big = ex.submit(helpers.big_return, 10_000)
        small = ex.submit(helpers.big_return, 10)
        assert isinstance(big.exception(), cordon.ReturnTooLarge)
        assert small.result() == b"\0" * 10


def test_cancel_of_a_running_future_kills_its_tree():
    with cordon.Executor(max_workers=2) as ex:
        future, name = submit_lingering(ex, children=2)
        called = []
        future.add_done_callback(called.append)
        assert future.running()
        assert future.cancel() is True
        # cancel() returned once the tree was reaped.
        assert future.cancelled() and future.done() and called == [future]
        with pytest.raises(concurrent.futures.CancelledError):
            future.result()
        assert future.task.exception == "Cancelled"
        helpers.assert_none_left(name)
        assert ex.submit(helpers.add, 1, 1).result() == 2  # its worker is free again


def test_cancelled_futures_show_in_as_completed_and_wait():
    with cordon.Executor(max_workers=1) as ex:
        running, name = submit_lingering(ex)
        queued = ex.submit(helpers.add, 1, 2)
        assert queued.cancel() is True  # pending: it never runs
        seen = []

        def collect():
            for f in concurrent.futures.as_completed([running, queued], timeout=120):
                seen.append(f)

        collector = threading.Thread(target=collect)
        collector.start()
        assert running.cancel() is True
        collector.join()
        assert sorted(map(id, seen)) == sorted(map(id, [running, queued]))
        done, not_done = concurrent.futures.wait([running, queued], timeout=0)
        assert len(done) == 2 and not not_done
        assert queued.task.attempts == 0
        helpers.assert_none_left(name)


def test_a_done_callback_may_submit_more():
    follow_ups = []
    with cordon.Executor(max_workers=2) as ex:
        first = ex.submit(helpers.add, 1, 1)
        first.add_done_callback(
            lambda f: follow_ups.append(ex.submit(helpers.add, f.result(), 10)))
        assert first.result() == 2
        helpers.wait_until(lambda: follow_ups, "submitted from the callback")
        assert follow_ups[0].result() == 12


def test_a_finished_future_cannot_be_cancelled():
    with cordon.Executor(max_workers=1) as ex:
        future = ex.submit(helpers.add, 2, 2)
        assert future.result() == 4
        assert future.cancel() is False and not future.cancelled()


def test_map_with_a_timeout_kills_what_still_runs():
    name = helpers.marker()
    with cordon.Executor(max_workers=2) as ex:
        results = ex.map(helpers.linger, [name, name], timeout=0.5)
        with pytest.raises(concurrent.futures.TimeoutError):
            list(results)
        # map cancels what has not given its result: running calls die.
        helpers.assert_none_left(name)


def test_one_calls_flood_does_not_hold_up_the_others():
    name = helpers.marker()
    with cordon.Executor(max_workers=2, output="1M") as ex:
        flood = ex.submit(helpers.flood_forever, name)
        helpers.wait_until(lambda: helpers.named(name), f"running: {name}")
        # The other worker's calls come and go while the flood goes on.
        assert [ex.submit(helpers.add, i, 1).result() for i in range(5)] == [1, 2, 3, 4, 5]
        assert flood.running()
        assert flood.cancel() is True
        # It had written 2 MiB before it named itself: 1 MiB kept, the rest counted.
        assert len(flood.task.std_out) == 1 << 20
        assert flood.task.dropped["std_out"] >= 1 << 20
    helpers.assert_none_left(name)


def test_a_huge_return_is_refused_under_the_default_limit():
    with cordon.Executor(max_workers=1) as ex:
        future = ex.submit(helpers.big_return, 64 << 20)
        assert isinstance(future.exception(), cordon.ReturnTooLarge)
        assert "over the return limit of 1048576 bytes" in str(future.exception())


def test_many_calls_on_few_workers():
    with cordon.Executor(max_workers=4, timeout=60) as ex:
        futures = [ex.submit(pow, 3, n) for n in range(64)]
        done = [f.result() for f in concurrent.futures.as_completed(futures)]
        assert sorted(done) == sorted(3 ** n for n in range(64))
        assert len(ex._pool.threads) <= 4


def test_shutdown_with_pending_work():
    ex = cordon.Executor(max_workers=1)
    running, name = submit_lingering(ex)
    pending = [ex.submit(helpers.add, i) for i in range(5)]
    ex.shutdown(wait=False, cancel_futures=True)
    assert all(f.cancelled() for f in pending)
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(helpers.add, 1)
    assert running.running()
    ex.shutdown(wait=True, cancel_running=True)
    assert running.cancelled()
    helpers.assert_none_left(name)


def test_an_exception_leaving_the_with_block_kills_the_running_calls():
    with pytest.raises(KeyError):
        with cordon.Executor(max_workers=2) as ex:
            first, first_name = submit_lingering(ex)
            second, second_name = submit_lingering(ex, children=1)
            raise KeyError("stop")
    assert first.cancelled() and second.cancelled()
    helpers.assert_none_left(first_name)
    helpers.assert_none_left(second_name)


def test_a_ctrl_c_while_the_with_block_waits_kills_the_running_calls():
    # The body is done and __exit__ waits: a KeyboardInterrupt there went
    # on past the block with the running call's tree alive, and the
    # queued calls started after it.
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        with cordon.Executor(max_workers=1) as ex:
            running, name = submit_lingering(ex, children=1)
            queued = [ex.submit(helpers.add, 1) for _ in range(2)]
            timer.start()
    timer.join()
    assert running.cancelled() and all(future.cancelled() for future in queued)
    helpers.assert_none_left(name)


def test_a_call_taken_from_the_queue_as_the_wait_is_interrupted_never_runs(monkeypatch):
    # A worker had taken it and not yet marked it running: close() passed
    # it by, and the interrupted wait then waited for the whole call.
    marking = concurrent.futures.Future.set_running_or_notify_cancel

    def late_mark(future):
        time.sleep(1)
        return marking(future)

    monkeypatch.setattr(concurrent.futures.Future, "set_running_or_notify_cancel", late_mark)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with cordon.Executor(max_workers=1) as ex:
            future = ex.submit(time.sleep, 8)
            timer.start()
    timer.join()
    assert future.cancelled() and time.monotonic() - started < 5


def test_a_fork_bomb_stays_under_its_process_limit():
    name = helpers.marker()
    most = 0
    with cordon.Executor(max_workers=1, processes=16, timeout=1.5) as ex:
        future = ex.submit(helpers.fork_bomb, name)
        while not future.done():
            most = max(most, len(helpers.named(name)))
            time.sleep(0.01)
        assert isinstance(future.exception(), (cordon.Timeout, cordon.ProcessLimit))
        assert 1 <= most <= 16
        assert ex.submit(helpers.add, 2, 3).result() == 5
    helpers.assert_none_left(name)


def test_asyncio_run_in_executor_and_its_cancel():
    name = helpers.marker()

    async def main(ex):
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(ex, helpers.add, 2, 3) == 5
        call = loop.run_in_executor(ex, helpers.linger, name, 1)
        deadline = time.monotonic() + 30  # a bound for a loaded machine
        while len(helpers.named(name)) < 2:
            assert time.monotonic() < deadline, f"{name} never started"
            await asyncio.sleep(0.02)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    with cordon.Executor(max_workers=2) as ex:
        asyncio.run(main(ex))
    helpers.assert_none_left(name)


def test_a_hostile_pickle_is_refused_not_run(tmp_path):
    planted = tmp_path / "planted"
    pickle = f"cos\nsystem\n(Vtouch {planted}\ntR.".encode()
    with cordon.Executor(max_workers=1) as ex:
        future = ex.submit(helpers.send_envelope, {"kind": "ok", "value": pickle})
        assert type(future.exception()) is cordon.UntrustedReturn
    assert not planted.exists()


def test_the_task_cannot_pass_for_cancelled():
    with cordon.Executor(max_workers=1) as ex:
        future = ex.submit(helpers.raise_instance, cordon.Cancelled("forged"))
        assert isinstance(future.exception(), cordon.RemoteError)
        assert not future.cancelled()


def test_a_future_task_runs_once():
    with cordon.Executor(max_workers=1) as ex:
        future, name = submit_lingering(ex)
        with pytest.raises(RuntimeError, match="running"):
            future.task.run()
        future.cancel()
    helpers.assert_none_left(name)
    assert isinstance(FunctionTask(helpers.add, 1).run(), int)


EXIT_PROGRAM = """
import sys
sys.path.insert(0, {tests!r})
import cordon, helpers
ex = cordon.Executor(max_workers=2)
running = [ex.submit(helpers.linger, {name!r}, 1) for _ in range(2)]
queued = [ex.submit(helpers.linger, {name!r}) for _ in range(3)]
helpers.wait_until(lambda: len(helpers.named({name!r})) == 4, "running")
print("exiting with", len(queued), "queued", flush=True)
"""


def test_the_interpreter_exits_with_futures_pending():
    name = helpers.marker()
    program = EXIT_PROGRAM.format(tests=os.path.dirname(os.path.abspath(__file__)), name=name)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    try:
        out = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                             text=True, timeout=120)
    finally:
        helpers.assert_none_left(name)
    assert out.returncode == 0, out.stderr
    assert "exiting with 3 queued" in out.stdout


def _fail_first_or_mark(n, directory):
    if n == 0:
        raise ValueError("bad")
    time.sleep(0.5)
    with open(os.path.join(directory, str(n)), "w") as marker:
        marker.write("x")


def test_map_ended_early_lets_the_running_calls_finish(tmp_path):
    # concurrent.futures' map cancels what is left when its iteration
    # ends early; cordon's cancel() kills a running call, so a failing
    # first call killed its siblings half-way (no marker written).
    os.chmod(tmp_path, 0o777)  # a task of root's runs as nobody
    with cordon.Executor(max_workers=4) as ex:
        with pytest.raises(ValueError):
            list(ex.map(_fail_first_or_mark, range(4), [str(tmp_path)] * 4))
    assert sorted(os.listdir(tmp_path)) == ["1", "2", "3"]


def test_a_signal_handler_may_shut_the_executor_down_while_its_thread_holds_it():
    # A handler that shut the executor down (or cancelled a future) ran on
    # the thread that held the pool's lock in submit(), or the future's in
    # a cancel, and waited for itself for ever (6 of 12 runs of a SIGTERM
    # storm).  Both locks are the same thread's to take again.
    script = f"""
import sys
sys.path[:0] = {sys.path!r}
import cordon, time
ex = cordon.Executor(max_workers=1)
future = ex.submit(time.sleep, 5)
while not future.running():
    time.sleep(0.01)
with ex._pool.lock:        # as submit() holds it when the handler runs
    ex.shutdown(wait=False, cancel_futures=True)
with future._kill_lock:    # as a cancel holds it when the handler runs
    ex.shutdown(wait=False, cancel_running=True)
print("returned")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout == "returned\n", out


FORKED_COPY_PROGRAM = """
import os, sys, time
import cordon
from cordon.tasks import FunctionTask

def in_a_child(act):
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            code = act()
        except BaseException as e:
            print("child:", type(e).__name__, e, flush=True)
            code = 3
        os._exit(code)
    began = time.monotonic()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), round(time.monotonic() - began)

with cordon.Executor(max_workers=1) as ex:
    f = ex.submit(time.sleep, 1.5)
    while not f.running():
        time.sleep(0.01)
    t = FunctionTask(time.sleep, 1.5)
    t.run_async()
    print(in_a_child(lambda: 0 if f.cancel() is False else 4))
    print(in_a_child(lambda: ex.shutdown(wait=True, cancel_futures=True, cancel_running=True) or 0))
    print(in_a_child(lambda: 0 if t.cancel() is False else 4))
    def refused(call):
        try:
            call()
        except RuntimeError as e:
            return 0 if "another process" in str(e) else 5
        return 6
    print(in_a_child(lambda: refused(t.join)))
    print(in_a_child(lambda: refused(lambda: ex.submit(abs, 1))))
    def leaves_on_an_exception():
        try:
            ex.__exit__(RuntimeError, RuntimeError("child failed"), None)
        except BaseException:
            return 7
        return 0
    print(in_a_child(leaves_on_an_exception))
    print(f.result(), t.join(), f.cancelled(), t.exception)
"""


def test_a_forked_copy_of_the_caller_leaves_the_parents_runs_alone():
    # A child of os.fork holds copies of its parent's running calls: its
    # cancel(), shutdown(cancel_running=True) or with-block left on an
    # exception had killed them (the parent read Cancelled), its join() and
    # a Future.cancel() waited for ever.  Each step's child ends at once
    # and the parent's runs end as they would.
    out = helpers.run_python(FORKED_COPY_PROGRAM, timeout=120)
    assert out.stdout == "(0, 0)\n" * 6 + "None None False None\n", out.stdout + out.stderr
    assert out.returncode == 0, out.stderr
