"""The public calls carry type hints a checker can read: every parameter
and return annotated, the names resolvable, and the package marked typed
(py.typed), so that mypy and editors see cordon's types, not Any."""
import inspect
import os
import typing

import cordon
from cordon.tasks import FunctionTask, ShellCommand, Usage

PUBLIC = [
    FunctionTask.__init__, ShellCommand.__init__, FunctionTask.configure, FunctionTask.run,
    FunctionTask.run_async, FunctionTask.join, FunctionTask.run_and_retry,
    FunctionTask.run_profiler, FunctionTask.cancel, FunctionTask.is_alive,
    cordon.Executor.__init__, cordon.Executor.submit, cordon.Executor.shutdown,
    cordon.Future.cancel, cordon.usable_cpus, cordon.TaskError.__init__,
]


def test_every_public_call_is_annotated():
    for call in PUBLIC:
        hints = typing.get_type_hints(call)     # every name resolves
        params = [p for p in inspect.signature(call).parameters.values() if p.name != "self"]
        missing = [p.name for p in params if p.name not in hints]
        assert not missing, f"{call.__qualname__}: {missing} not annotated"
        assert "return" in hints, f"{call.__qualname__}: no return annotation"


def test_results_and_exceptions_are_typed():
    hints = typing.get_type_hints(FunctionTask)
    assert hints["std_out"] is str and hints["exit_code"] is int and hints["usage"] is Usage
    assert typing.get_type_hints(cordon.Future)["task"] is FunctionTask
    assert typing.get_type_hints(FunctionTask.run_async)["return"] is cordon.TaskThread
    assert typing.get_type_hints(Usage.wall.fget)["return"] is float


def test_the_package_is_marked_typed():
    assert os.path.isfile(os.path.join(os.path.dirname(cordon.__file__), "py.typed"))
