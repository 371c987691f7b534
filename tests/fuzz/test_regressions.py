"""Inputs the fuzzers found that once crashed: each now gives a clear error, no traceback."""

from __future__ import annotations

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
