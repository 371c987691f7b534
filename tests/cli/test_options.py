"""Options: flags, file/CLI precedence, environment defaults, D8 additions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasker.cli.options import (
    VERSION_TEXT,
    build_parser,
    parse_options,
    parse_size,
    run_timestamp,
)
from tasker.errors import UsageError

TYPES = ["local", "shell", "pbrun"]
ENV = {"HOME": "/home/u"}


def opts(argv, file_text=None, env=ENV):
    return parse_options(argv, env, file_text, TYPES)


def test_defaults_are_a_dry_run_at_info_level():
    o = opts(["f.txt"])
    assert (o.task_file, o.run, o.log_level, o.type, o.kill_grace, o.in_doubt) == (
        "f.txt", False, "INFO", None, 5.0, "rerun")
    assert o.base_dir == Path("/home/u/TASKER")


def test_cli_value_overrides_file_value():
    assert opts(["f.txt", "--log-level=WARN"], "--log-level=DEBUG\n").log_level == "WARN"
    assert opts(["f.txt", "--start-from", "1"], "--start-from=2\n").start_from == 1


def test_file_value_applies_when_cli_has_none():
    o = opts(["f.txt"], "--start-from=2\n--log-level=ERROR\n")
    assert (o.start_from, o.log_level) == (2, "ERROR")
    assert o.file_args == ["--start-from=2", "--log-level=ERROR"]


def test_boolean_flags_are_ored_between_file_and_cli():
    o = opts(["f.txt", "-r"], "--skip-task-validation\n")
    assert o.run and o.skip_task_validation


def test_debug_raises_only_the_info_level():
    assert opts(["f.txt", "-d"]).log_level == "DEBUG"
    assert opts(["f.txt", "-d", "--log-level=WARN"]).log_level == "WARN"


def test_skip_validation_folds_into_the_four_skips():
    o = opts(["f.txt", "--skip-validation"])
    assert o.skip_task_validation and o.skip_host_validation
    assert o.skip_command_validation and o.skip_security_validation
    assert not o.skip_unresolved_host_validation


def test_security_flags_in_the_file_are_not_applied():
    o = opts(["f.txt"], "--skip-validation\n--fire-and-forget\n--skip-security-validation\n")
    assert not (o.skip_validation or o.fire_and_forget or o.skip_security_validation)


def test_unknown_file_flags_are_ignored_but_bad_values_exit_2():
    assert opts(["f.txt"], "--no-such-flag\n-c\n--connection-test\n").file_args
    with pytest.raises(UsageError, match=r"header of f\.txt"):
        opts(["f.txt"], "--log-level=LOUD\n")


def test_abbreviated_flags_work_on_the_cli_but_not_in_the_file():
    assert opts(["f.txt", "--skip-host"]).skip_host_validation
    assert not opts(["f.txt"], "--skip-host\n").skip_host_validation


def test_log_dir_beats_env_which_beats_home():
    assert opts(["f.txt", "-l", "/x"], env={"TASK_EXECUTOR_LOG": "/y"}).base_dir == Path("/x")
    assert opts(["f.txt"], env={"TASK_EXECUTOR_LOG": "/y"}).base_dir == Path("/y")


def test_type_comes_from_cli_then_env():
    env = {"TASK_EXECUTOR_TYPE": "PBRUN"}
    assert opts(["f.txt", "-t", "shell"], env=env).type == "shell"
    assert opts(["f.txt"], env=env).type == "pbrun"


def test_type_choices_come_from_the_exec_config():
    assert opts(["f.txt", "-t", "SHELL"]).type == "shell"
    with pytest.raises(UsageError, match="invalid choice"):
        opts(["f.txt", "-t", "ssh"])


def test_env_timeout_is_read_and_invalid_values_ignored():
    assert opts(["f.txt"], env={"TASK_EXECUTOR_TIMEOUT": "45"}).env_timeout == 45
    assert opts(["f.txt"], env={"TASK_EXECUTOR_TIMEOUT": "x"}).env_timeout is None


@pytest.mark.parametrize("value", ["0", "604801", "abc", "1.5"])
def test_timeout_outside_1_to_604800_is_refused(value):
    with pytest.raises(UsageError, match="timeout"):
        opts(["f.txt", "-o", value])


def test_timeout_accepts_the_range_and_the_file_form():
    assert opts(["f.txt", "--timeout", "604800"]).timeout == 604800
    assert opts(["f.txt"], "--timeout=60\n").timeout == 60


@pytest.mark.parametrize(("text", "size"), [("512M", 512 * 1024**2), ("2G", 2 * 1024**3),
                                            ("1.5g", 1536 * 1024**2), ("4096", 4096),
                                            ("64KiB", 65536), ("1mb", 1024**2)])
def test_memory_sizes_are_binary_multiples(text, size):
    assert parse_size(text) == size
    assert opts(["f.txt", "--memory-limit", text]).memory_limit == size


@pytest.mark.parametrize("text", ["", "12Q", "-1M", "0", "M"])
def test_bad_memory_sizes_are_refused(text):
    with pytest.raises(UsageError, match="memory-limit"):
        opts(["f.txt", f"--memory-limit={text}"])


def test_kill_grace_and_in_doubt():
    o = opts(["f.txt", "--kill-grace", "0.5", "--in-doubt", "fail"])
    assert (o.kill_grace, o.in_doubt) == (0.5, "fail")
    for bad in (["--kill-grace=-1"], ["--kill-grace=nan"], ["--in-doubt=maybe"]):
        with pytest.raises(UsageError):
            opts(["f.txt", *bad])


def test_connection_test_is_refused_pointing_at_host_validation():
    with pytest.raises(UsageError, match="part of host validation"):
        opts(["f.txt", "-c"])


def test_output_json_implies_auto_recovery_and_defaults_under_base():
    o = opts(["dir/My File.txt", "--output-json"])
    assert o.auto_recovery
    path = Path(o.output_json)
    assert path.parent == Path("/home/u/TASKER/output")
    assert path.name.startswith("My_File_") and path.suffix == ".json"


def test_output_json_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert opts(["f.txt", "--output-json=r.json"]).output_json == str(tmp_path / "r.json")


def test_bare_cli_output_json_keeps_the_file_path():
    assert opts(["f.txt", "--output-json"], "--output-json=/r/x.json\n").output_json == (
        "/r/x.json")


def test_missing_task_file_and_unknown_flag_are_usage_errors():
    with pytest.raises(UsageError, match="task_file"):
        opts([])
    with pytest.raises(UsageError, match="unrecognized"):
        opts(["f.txt", "--bogus"])


def test_version_text_names_tasker_2_2_compatibility(capsys):
    with pytest.raises(SystemExit) as info:
        build_parser(TYPES).parse_args(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == VERSION_TEXT == "TASKER v2.2.0 (tasker 0.1.0)"


def test_run_timestamp_has_microseconds():
    assert run_timestamp(0.25).endswith("_250000")
    assert len(run_timestamp()) == len("20240101_120000_000000")
