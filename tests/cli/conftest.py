"""Fixtures for the CLI tests: an isolated HOME/cwd and fakes for modules under construction."""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from tasker.cli.main import main


@dataclass
class FakeOutcome:
    """The RunOutcome fields main reads (INTERFACES §8)."""

    exit_code: int = 0
    status: str = "success"
    reason: str = ""
    last_task: int | None = 1
    last_hostname: str = "localhost"
    last_command: str = "echo hi"
    signal_name: str | None = None
    json_path: str | None = None


@dataclass
class Fakes:
    """What the fake runner / host validator / JSON writer saw, and how they behave."""

    outcome: Any = field(default_factory=FakeOutcome)
    hosts: dict[str, str] | Exception = field(default_factory=dict)
    runs: list[tuple] = field(default_factory=list)
    json_calls: list[tuple] = field(default_factory=list)
    host_calls: int = 0

    def run_workflow(self, wf, options, config, log):
        self.runs.append((wf, options, config, log))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    def validate_hosts(self, wf, config, options, log):
        self.host_calls += 1
        if isinstance(self.hosts, Exception):
            raise self.hosts
        return self.hosts

    def write_preexecution_json(self, path, task_file, exit_code, reason, wf, *,
                                log_file=None):
        self.json_calls.append((path, task_file, exit_code, reason, wf, log_file))


def install(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: Any) -> None:
    """Set attributes on module `name`, creating a stand-in module if it does not exist yet."""
    try:
        module = importlib.import_module(name)
    except Exception:
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
    for key, value in attrs.items():
        monkeypatch.setattr(module, key, value, raising=False)


@pytest.fixture
def fakes(monkeypatch, tmp_path):
    """Fakes for runner, host validation and JSON writer; HOME and cwd in tmp_path."""
    for var in ("TASKER_EXEC_CONFIG", "TASK_EXECUTOR_LOG", "TASK_EXECUTOR_TYPE",
                "TASK_EXECUTOR_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    f = Fakes()
    install(monkeypatch, "tasker.runner", run_workflow=f.run_workflow)
    install(monkeypatch, "tasker.validation.hosts", validate_hosts=f.validate_hosts)
    install(monkeypatch, "tasker.report.output_json",
            write_preexecution_json=f.write_preexecution_json)
    return f


@pytest.fixture
def run_main(capsys, monkeypatch):
    """Call main() in-process; returns (exit code, stdout, stderr)."""

    def call(*args: str, stdin: str = "") -> tuple[int, str, str]:
        import io

        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return call
