"""Inputs the fuzzers found that once crashed: each now gives a clear error, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasker.cli.options import parse_cli, parse_size
from tasker.errors import UsageError
from tasker.execconfig import parse_exec_config
from tasker.validation import ValidationOptions, validate_workflow
from tests.fuzz.properties import check_pipeline
from tests.taskfile.helpers import parse, task_block

OPTIONS = ValidationOptions(command_exists=lambda _command: True)
HUGE = "9" * 400


def test_exec_type_entry_with_a_number_key_is_ignored_not_a_crash():
    config = parse_exec_config("platforms:\n  linux:\n    shell:\n      binary: sh\n"
                               "      0: x\n      null: y\n", "cfg.yaml")
    assert config.get("shell").binary == "sh"


def test_size_too_large_for_a_float_is_a_value_error():
    with pytest.raises(ValueError, match="too large"):
        parse_size(HUGE + "G")


def test_memory_limit_flag_too_large_is_a_usage_error():
    with pytest.raises(UsageError, match="too large"):
        parse_cli(["t.txt", f"--memory-limit={HUGE}"], ["local"])


@pytest.mark.parametrize("flag", ["--output-json=a\x00b", "--alert-on-failure=\x00",
                                  "--log-dir=a\x00", "--project=p\x00"])
def test_nul_byte_in_a_path_option_is_a_usage_error(flag):
    with pytest.raises(UsageError, match="NUL byte"):
        parse_cli(["t.txt", flag], ["local"])


def test_nul_byte_in_the_task_file_name_is_a_usage_error():
    with pytest.raises(UsageError, match="NUL byte"):
        parse_cli(["t\x00.txt"], ["local"])


def test_memory_limit_too_large_is_a_validation_error():
    report = validate_workflow(parse(task_block(0, f"memory_limit={HUGE}")), OPTIONS)
    assert [f.location.field for f in report.errors] == ["memory_limit"]
    assert "too large" in report.errors[0].message


@pytest.mark.parametrize("header", [f"--memory-limit={HUGE}", "--alert-on-failure=a\x00b",
                                    "--output-json=a\x00b"])
def test_bad_header_value_exits_2_without_internal_error(tmp_path, header):
    data = f"{header}\ntask=0\nhostname=localhost\ncommand=echo\n".encode()
    assert check_pipeline(data, tmp_path, validate_only=False).code == 2


def test_memory_limit_too_large_in_a_dry_run_exits_20(tmp_path):
    data = f"task=0\nhostname=localhost\ncommand=echo\nmemory_limit={HUGE}G\n".encode()
    assert check_pipeline(data, tmp_path, validate_only=False).code == 20


def _run_real(tmp_path, field: str, globals_: str = "") -> subprocess.CompletedProcess:
    (tmp_path / "f.txt").write_text(
        f"{globals_}task=0\nhostname=localhost\ncommand=true\nexec=local\n{field}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKER_", "TASK_EXEC"))}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.run([sys.executable, "-m", "tasker", "f.txt", "-r", "-l", "base",
                           "--skip-host-validation"], cwd=tmp_path, env=env, timeout=60,
                          capture_output=True, text=True, check=False)


@pytest.mark.slow
@pytest.mark.parametrize(("field", "globals_"), [
    ("memory_limit=@X@", "X=" + "9" * 400 + "\n"),   # A: a size that overflows
    ("timeout=@X@", "X=nan\n"),                      # C: NaN is not a timeout
    ("sleep=@X@", "X=inf\n"),                        # B: not a finite number of seconds
])
def test_non_finite_numbers_from_globals_run_without_an_internal_error(tmp_path, field,
                                                                       globals_):
    proc = _run_real(tmp_path, field, globals_)
    assert "internal error" not in proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_a_sleep_longer_than_the_platform_wait_limit_is_waited_in_steps():
    import threading

    from tasker.engine.context import RealClock

    stop = threading.Event()
    stop.set()
    assert RealClock().sleep(1e308, stop) is False
