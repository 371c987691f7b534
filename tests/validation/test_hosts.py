"""Host validation (REFERENCE §7.4): which pairs are probed, exit codes, messages, real probes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from tasker.errors import HostValidationError
from tasker.model import CommandTask, GlobalVar, Workflow
from tasker.validation.hosts import (
    Probe,
    ProbeResult,
    etc_hosts_names,
    judge_test,
    remote_targets,
    validate_hosts,
)


@dataclass(frozen=True)
class FakeTest:
    command: str = "pbtest"
    arguments: str = ""
    expected_exit: int | None = 0
    expected_output: str | None = "OK"
    timeout: int | None = None


class FakeExecConfig:
    """The parts of ExecConfig (INTERFACES §3) that host validation uses."""

    default_validation_timeout = 10

    def __init__(self, binary: str = "pbrun", test: FakeTest | None = FakeTest()):
        self.types = {"pbrun": SimpleNamespace(binary=binary, test=test)}

    def canonical(self, name: str) -> str | None:
        key = name.lower()
        return key if key in ("local", *self.types) else None

    def type_names(self) -> list[str]:
        return ["local", *self.types]

    def default_exec_type(self) -> str:
        return "local"

    def get(self, name: str):
        return self.types[name]

    def validation_test(self, name: str):
        return self.types[name].test if name in self.types else None

    def build_argv(self, name, hostname, command, arguments, env):
        return [self.types[name].binary, "-n", "-h", hostname, command, *arguments.split()]


class Log:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, msg):
        self.lines.append(f"INFO: {msg}")

    def warn(self, msg):
        self.lines.append(f"WARN: {msg}")

    def error(self, msg):
        self.lines.append(f"ERROR: {msg}")

    def debug(self, msg):
        self.lines.append(f"DEBUG: {msg}")


class FakeRunner:
    """Answers probes by the first word of argv: a function (argv) -> (exit, stdout)."""

    def __init__(self, answer):
        self.answer = answer
        self.seen: list[tuple[str, ...]] = []

    def run(self, probes: list[Probe]) -> list[ProbeResult]:
        self.seen.extend(p.argv for p in probes)
        return [ProbeResult(*self.answer(p.argv)) for p in probes]


def workflow(*tasks: tuple[str, str | None], globals_: dict[str, str] | None = None):
    built = {i: CommandTask(id=i, line=i + 1, hostname=host, command="cmd", exec=exec_)
             for i, (host, exec_) in enumerate(tasks)}
    gvars = {k: GlobalVar(name=k, template=v, value=v, line=1)
             for k, v in (globals_ or {}).items()}
    return Workflow(source="t.txt", tasks=built, globals=gvars)


def options(**flags):
    values = {"skip_unresolved_host_validation": False, "skip_command_validation": False,
              "type": None}
    return SimpleNamespace(**{**values, **flags})


def all_good(argv):
    return 0, "OK\n"


@pytest.fixture
def bin_dir(tmp_path):
    directory = tmp_path / "bin"
    directory.mkdir()
    scripts = {
        "pbrun": '#!/bin/sh\nshift 3\nexec "$@"\n',
        "pbtest": "#!/bin/sh\necho OK\n",
        "badtest": "#!/bin/sh\necho NOPE\n",
        "ping": '#!/bin/sh\nfor h; do :; done\n[ "$h" = localhost ]\n',
    }
    for name, text in scripts.items():
        (directory / name).write_text(text)
        (directory / name).chmod(0o755)
    return directory


def env_with(bin_dir):
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_local_tasks_are_not_validated():
    runner = FakeRunner(all_good)
    assert validate_hosts(workflow(("web1", None), ("web2", "local")), FakeExecConfig(),
                          options(), Log(), runner=runner, env={"PATH": ""}) == {}
    assert runner.seen == []


def test_remote_targets_apply_globals_and_default_type():
    wf = workflow(("@H@", "pbrun"), ("db", None), globals_={"H": "web1"})
    targets = remote_targets(wf, FakeExecConfig(), "PBRUN")
    assert [(t.written, t.host, t.exec_type) for t in targets] == [
        ("@H@", "web1", "pbrun"), ("db", "db", "pbrun")]


def test_unknown_exec_type_exits_20_listing_available_types():
    with pytest.raises(HostValidationError) as info:
        remote_targets(workflow(("web1", "nosuch")), FakeExecConfig(), None)
    assert info.value.exit_code == 20
    assert "Execution types not found in configuration: nosuch" in str(info.value)
    assert "Available exec types: local, pbrun" in str(info.value)


def test_unresolved_hostname_exits_20_naming_the_task():
    log = Log()
    with pytest.raises(HostValidationError) as info:
        validate_hosts(workflow(("@0_stdout@", "pbrun")), FakeExecConfig(), options(), log,
                       runner=FakeRunner(all_good), env={})
    assert info.value.exit_code == 20
    assert any("Task 0" in line and "@0_stdout@" in line for line in log.lines)


def test_unresolved_hostname_is_skipped_when_allowed():
    runner = FakeRunner(all_good)
    result = validate_hosts(workflow(("@0_stdout@", "pbrun")), FakeExecConfig(),
                            options(skip_unresolved_host_validation=True), Log(),
                            runner=runner, env={})
    assert result == {}
    assert runner.seen == []


def test_missing_remote_binary_exits_61(tmp_path):
    with pytest.raises(HostValidationError) as info:
        validate_hosts(workflow(("localhost", "pbrun")), FakeExecConfig(), options(), Log(),
                       runner=FakeRunner(all_good), env={"PATH": str(tmp_path)})
    assert info.value.exit_code == 61
    assert str(info.value) == "Required remote execution commands not found: pbrun (pbrun)"


def test_binary_check_is_skipped_with_skip_command_validation(tmp_path):
    validate_hosts(workflow(("localhost", "pbrun")), FakeExecConfig(),
                   options(skip_command_validation=True), Log(), runner=FakeRunner(all_good),
                   env={"PATH": str(tmp_path)})


def test_dns_failure_only_exits_21(bin_dir):
    def answer(argv):
        return (2, "") if argv[-1] == "nonexistent-host.invalid" else (0, "OK")

    log = Log()
    with pytest.raises(HostValidationError) as info:
        validate_hosts(workflow(("nonexistent-host.invalid", "pbrun")), FakeExecConfig(),
                       options(), log, runner=FakeRunner(answer), env=env_with(bin_dir))
    assert info.value.exit_code == 21
    assert "INFO: # ERROR: Host validation failed (1 failures)" in log.lines
    assert ("ERROR: Host validation failed for: nonexistent-host.invalid (1 total). Exiting."
            in log.lines)


def test_unreachable_host_exits_60(bin_dir):
    def answer(argv):
        return (1, "") if argv[0] == "ping" else (0, "OK")

    with pytest.raises(HostValidationError) as info:
        validate_hosts(workflow(("localhost", "pbrun")), FakeExecConfig(), options(), Log(),
                       runner=FakeRunner(answer), env=env_with(bin_dir))
    assert info.value.exit_code == 60


def test_failed_connection_test_outranks_other_failures(bin_dir):
    def answer(argv):
        if argv[0] == "ping":
            return (1, "") if argv[-1] == "far" else (0, "")
        return (0, "NOPE") if argv[0] == "pbrun" else (0, "")

    with pytest.raises(HostValidationError) as info:
        validate_hosts(workflow(("localhost", "pbrun"), ("far", "pbrun")), FakeExecConfig(),
                       options(), Log(), runner=FakeRunner(answer), env=env_with(bin_dir))
    assert info.value.exit_code == 61
    assert info.value.failures == ["far", "localhost"]


def test_validation_test_judgement():
    assert judge_test(FakeTest(), ProbeResult(0, "all OK")) is None
    assert "exit code 1" in judge_test(FakeTest(), ProbeResult(1, "OK"))
    assert "OK" in judge_test(FakeTest(), ProbeResult(0, "nope"))
    neither = FakeTest(expected_exit=None, expected_output=None)
    assert "neither" in judge_test(neither, ProbeResult(0, "OK"))


def test_etc_hosts_names_ignore_comments():
    text = "127.0.0.1 localhost Web1 # old-name\n# 10.0.0.1 commented\n"
    assert etc_hosts_names(text) == {"127.0.0.1", "localhost", "web1"}


@pytest.mark.slow
def test_real_probes_pass_through_the_shim(bin_dir):
    log = Log()
    result = validate_hosts(workflow(("localhost", "pbrun"), ("localhost", None)),
                            FakeExecConfig(), options(type="pbrun"), log, env=env_with(bin_dir))
    assert result == {"localhost": "localhost"}
    assert "INFO: # Validating 1 unique hosts with 1 connection tests..." in log.lines
    assert "INFO: # All 1 host connectivity tests passed successfully." in log.lines


@pytest.mark.slow
def test_real_failing_connection_test_exits_61(bin_dir):
    config = FakeExecConfig(test=FakeTest(command="badtest"))
    with pytest.raises(HostValidationError) as info:
        validate_hosts(workflow(("localhost", "pbrun")), config, options(), Log(),
                       env=env_with(bin_dir))
    assert info.value.exit_code == 61


@pytest.mark.slow
def test_real_ping_failure_exits_60(bin_dir):
    with pytest.raises(HostValidationError) as info:
        validate_hosts(workflow(("127.0.0.1", "pbrun")), FakeExecConfig(), options(), Log(),
                       env=env_with(bin_dir))
    assert info.value.exit_code == 60


@pytest.mark.parametrize(("value", "expected"), [
    ("7", 7.0), (" 7 ", 7.0), ("0", 3.0), ("-1", 3.0), ("1.5", 3.0), ("inf", 3.0), ("abc", 3.0),
    ("", 3.0)])
def test_validation_test_timeout_override_must_be_a_positive_integer(value, expected):
    """REFERENCE §1.4: VALIDATION_TEST_TIMEOUT is ignored if <= 0 or not an int."""
    from tasker.validation.hosts import test_timeout

    config = FakeExecConfig(test=FakeTest(timeout=3))
    assert test_timeout(config, "pbrun", {"VALIDATION_TEST_TIMEOUT": value}) == expected


@pytest.mark.slow
def test_a_signal_during_the_probes_stops_them(tmp_path):
    """SPEC B: a signal cancels running shims, the connection tests' included."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    marker = tmp_path / "probe-ran"
    probe = tmp_path / "slowtest"
    probe.write_text(f"#!/bin/sh\ntouch {marker}\nexec sleep 29.123\n")
    probe.chmod(0o755)
    wrapper = tmp_path / "wrap"
    wrapper.write_text('#!/bin/sh\nshift 3\nexec "$@"\n')
    wrapper.chmod(0o755)
    config = tmp_path / "types.yaml"
    config.write_text(
        "platforms:\n  linux:\n    default_exec_type: local\n    slow:\n"
        f"      binary: {wrapper}\n"
        '      command_template: ["{binary}", "-n", "-h", "{hostname}", "{command}"]\n'
        f"      validation_test:\n        command: {probe}\n        expected_exit: 0\n"
        "        timeout: 60\n")
    (tmp_path / "f.txt").write_text("task=0\nhostname=localhost\ncommand=true\nexec=slow\n")
    env = {**os.environ, "TASKER_EXEC_CONFIG": str(config),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "tasker", "f.txt", "--validate-only"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130

    def probes_left() -> bool:
        return subprocess.run(["pgrep", "-f", "sleep 29.123"], capture_output=True,
                              check=False).returncode == 0

    deadline = time.monotonic() + 10  # TERM, then the probes' grace, then KILL
    while probes_left() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not probes_left()
