"""main() in-process: the pipeline from parsing to the report, with fake runner and hosts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasker.errors import HostValidationError, InstanceLockedError, RecoveryError
from tests.cli.conftest import FakeOutcome

GOOD = """task=0
hostname=localhost
command=echo
arguments=hello

task=1
hostname=localhost
command=echo
arguments=bye
"""
GAP = GOOD.replace("task=1", "task=5")


def write(name: str, text: str) -> str:
    Path(name).write_text(text)
    return name


def summary_rows(project: str = "proj") -> list[list[str]]:
    path = Path.home() / "TASKER" / "project" / f"{project}.summary"
    return [line.split("\t") for line in path.read_text().splitlines()[1:]]


def alert_script(tmp_path: Path) -> tuple[str, Path]:
    record = tmp_path / "alert.env"
    script = tmp_path / "alert.sh"
    script.write_text(f"#!/bin/bash\nenv | grep ^TASKER_ | sort > {record}\n")
    return str(script), record


def test_dry_run_hands_the_workflow_to_the_runner_and_writes_the_summary(fakes, run_main):
    code, out, _ = run_main(write("f.txt", GOOD), "-p", "proj")
    assert code == 0
    wf, options, config, _log = fakes.runs[0]
    assert sorted(wf.tasks) == [0, 1] and not options.run
    assert config.default_exec_type() == "local"
    assert "# Dry run mode" in out and "Task Execution End" not in out
    assert "# Successfully parsed 2 valid tasks from 'f.txt'" in out
    assert "# Task validation passed successfully." in out
    assert summary_rows()[0][1:] == ["SUCCESS", "0", "f.txt", "1", "localhost", "echo hi",
                                     "unknown.log"]


def test_real_run_logs_to_a_file_and_prints_the_end_banner(fakes, run_main):
    code, out, _ = run_main(write("f.txt", GOOD), "-r", "-p", "proj")
    assert code == 0
    log_files = list((Path.home() / "TASKER" / "log").glob("f_*.log"))
    assert len(log_files) == 1
    assert "=== Task Execution Start" in log_files[0].read_text()
    assert f"# Log file: {log_files[0]}" in out
    assert "# Project file: " in out and "=== Task Execution End: " in out
    assert summary_rows()[0][-1] == log_files[0].name
    assert len(list((Path.home() / "TASKER" / "backup").iterdir())) == 1


def test_no_task_backup_skips_the_backup(fakes, run_main):
    run_main(write("f.txt", GOOD), "-r", "--no-task-backup")
    assert not (Path.home() / "TASKER" / "backup").exists()


@pytest.mark.slow
def test_failed_run_runs_the_alert_and_keeps_the_exit_code(fakes, run_main, tmp_path):
    script, record = alert_script(tmp_path)
    fakes.outcome = FakeOutcome(exit_code=3, status="failed", reason="Last task failed",
                                last_task=1)
    code, _, _ = run_main(write("f.txt", GOOD), "-r", "--alert-on-failure", script)
    assert code == 3
    env = record.read_text()
    assert "TASKER_EXIT_CODE=3" in env and "TASKER_ERROR=Last task failed" in env
    assert "TASKER_FAILED_TASK=1" in env and "TASKER_LOG_FILE=/" in env


def test_signal_marks_the_summary_command(fakes, run_main):
    fakes.outcome = FakeOutcome(exit_code=130, status="failed", signal_name="SIGINT",
                                last_command="sleep 30")
    assert run_main(write("f.txt", GOOD), "-r", "-p", "proj")[0] == 130
    assert summary_rows()[0][6] == "sleep 30 [GRACEFUL_SHUTDOWN_SIGINT]"


@pytest.mark.slow
def test_validation_failure_reports_writes_summary_json_and_alerts(fakes, run_main, tmp_path):
    script, record = alert_script(tmp_path)
    code, out, _ = run_main(write("gap.txt", GAP), "-p", "proj", "-r", "--output-json=r.json",
                            "--alert-on-failure", script)
    assert code == 20
    assert "# Validating task file: gap.txt" in out
    assert "# Task validation FAILED." in out
    assert "] ERROR: " in out
    assert not fakes.runs
    assert summary_rows()[0][1:7] == ["FAILURE", "20", "gap.txt", "-1", "localhost",
                                      "task_validation"]
    path, task_file, exit_code, reason, wf, log_file = fakes.json_calls[0]
    assert (path, task_file, exit_code, reason) == (
        str(tmp_path / "r.json"), "gap.txt", 20, "Task file validation failed")
    assert sorted(wf.tasks) == [0, 5]
    assert f"# Log file: {log_file}" in out  # the JSON names the log file it wrote
    assert "TASKER_EXIT_CODE=20" in record.read_text()


def test_validation_warnings_show_only_at_debug(fakes, run_main):
    text = GOOD.replace("arguments=bye", "arguments=bye\nfoo=bar")
    assert "# WARNING: " not in run_main(write("f.txt", text))[1]
    assert "DEBUG: # WARNING: " in run_main(write("f.txt", text), "-d")[1]


def test_skip_task_validation_skips_the_validator(fakes, run_main):
    code, out, _ = run_main(write("gap.txt", GAP), "--skip-task-validation")
    assert code == 0 and "# Validating task file" not in out
    assert out.startswith("WARNING: Skipping task validation")


def test_parse_error_is_exit_20_with_the_parsing_phase(fakes, run_main):
    code, out, _ = run_main(write("bad.txt", "task=abc\nhostname=x\ncommand=y\n"), "-p", "proj")
    assert code == 20
    assert "] ERROR: " in out
    assert summary_rows()[0][6] == "task_file_parsing"


def test_file_without_tasks_exits_24(fakes, run_main):
    code, out, _ = run_main(write("empty.txt", "# nothing\n"))
    assert code == 24
    assert "WARN: No valid tasks found. Exiting." in out


def test_a_globals_only_file_reports_its_globals_before_the_no_tasks_warning(fakes, run_main):
    """REFERENCE §8.2: the banner's `# Found N global variables` follows the globals parse."""
    code, out, _ = run_main(write("globals.txt", "A=1\nB=2\n"))
    lines = [line.split("] ", 1)[-1] for line in out.splitlines()]
    assert code == 24
    found = lines.index("# Found 2 global variables")
    assert lines[found + 1] == "WARN: No valid tasks found. Exiting."


def test_unknown_start_task_exits_12_listing_the_ids(fakes, run_main):
    code, out, _ = run_main(write("f.txt", GOOD), "--start-from", "7", "-p", "proj")
    assert code == 12
    assert "ERROR: Start task 7 not found" in out
    assert "Available task IDs: [0, 1]" in out
    assert summary_rows()[0][6] == "start_from_validation"
    assert not fakes.runs


def test_start_from_reports_the_skipped_tasks(fakes, run_main):
    code, out, _ = run_main(write("f.txt", GOOD), "--start-from=1")
    assert code == 0
    assert "# Skipped tasks: [0]" in out and "WARN: Starting from Task 1" in out


def test_validate_only_stops_before_running(fakes, run_main):
    code, out, _ = run_main(write("f.txt", GOOD), "--validate-only")
    assert code == 0
    assert "# All validations completed successfully" in out
    assert not fakes.runs and fakes.host_calls == 1


def test_host_validation_replaces_hostnames_with_validated_names(fakes, run_main):
    fakes.hosts = {"localhost": "localhost.example.com"}
    assert run_main(write("f.txt", GOOD))[0] == 0
    wf = fakes.runs[0][0]
    assert {t.hostname for t in wf.tasks.values()} == {"localhost.example.com"}


def test_skip_host_validation_does_not_call_it(fakes, run_main):
    run_main(write("f.txt", GOOD), "--skip-host-validation")
    assert fakes.host_calls == 0 and fakes.runs


def test_host_validation_failure_exits_with_its_code(fakes, run_main):
    fakes.hosts = HostValidationError("Host validation failed for: h1", 60)
    code, out, _ = run_main(write("f.txt", GOOD), "-p", "proj")
    assert code == 60
    assert "ERROR: Host validation failed for: h1" in out
    assert summary_rows()[0][6] == "host_validation"


def test_failed_host_probes_are_not_reported_a_third_time(fakes, run_main):
    """REFERENCE §7.4 gives two lines, which host validation prints itself."""
    fakes.hosts = HostValidationError("Host validation failed (1 failures)", 60,
                                      failures=["h1"])
    code, out, _ = run_main(write("f.txt", GOOD))
    assert code == 60 and "Host validation failed (1 failures)" not in out


def test_show_plan_cancelled_at_eof_exits_0_without_running(fakes, run_main):
    code, out, _ = run_main(write("f.txt", GOOD), "--show-plan", stdin="")
    assert code == 0
    assert "=== EXECUTION PLAN ===" in out and "  Task 0: localhost -> echo" in out
    assert "Proceed with execution? [y/N]: " in out
    assert "Execution cancelled by user." in out
    assert not fakes.runs


def test_show_plan_yes_proceeds(fakes, run_main):
    assert run_main(write("f.txt", GOOD), "--show-plan", stdin="y\n")[0] == 0
    assert fakes.runs


def test_instance_lock_error_exits_25_without_alert(fakes, run_main, tmp_path):
    script, record = alert_script(tmp_path)
    fakes.outcome = InstanceLockedError("Workflow instance already running!")
    code, out, _ = run_main(write("f.txt", GOOD), "-r", "--alert-on-failure", script)
    assert code == 25
    assert "ERROR: Workflow instance already running!" in out
    assert not record.exists()


def test_refused_resume_exits_12_and_writes_the_json(fakes, run_main):
    fakes.outcome = RecoveryError("Task file has been modified since recovery state was saved")
    code, _, _ = run_main(write("f.txt", GOOD), "-r", "--output-json=x.json")
    assert code == 12
    assert fakes.json_calls[0][2:4] == (12, "Execution failed")


def test_unexpected_exception_is_one_error_line_and_exit_1(fakes, run_main):
    fakes.outcome = ZeroDivisionError("boom")
    code, out, err = run_main(write("f.txt", GOOD), "-p", "proj")
    assert code == 1
    assert "ERROR: internal error: ZeroDivisionError: boom" in out
    assert "Traceback" not in out + err
    assert summary_rows()[0][6] == "internal_error"


def test_show_recovery_info_without_state(fakes, run_main):
    code, out, _ = run_main(write("f.txt", GOOD), "--show-recovery-info")
    assert code == 0
    assert "No recovery state file found for this task" in out
    assert not fakes.runs


def test_show_recovery_info_reports_state_file_and_journal(fakes, run_main):
    from tasker.journal.paths import journal_paths

    write("f.txt", GOOD)
    paths = journal_paths(Path.home() / "TASKER", "f.txt")
    paths.journal.parent.mkdir(parents=True)
    paths.journal.write_bytes(b"")
    paths.recovery_json.write_text(json.dumps({
        "task_file_hash": "0" * 64, "execution_path": [0], "last_successful_task": 0}))
    code, out, _ = run_main("f.txt", "--show-recovery-info")
    assert code == 0
    assert f"Recovery file: {paths.recovery_json}" in out
    assert "Valid: False (Task file has been modified" in out
    assert "Execution path: [0]" in out
    assert f"# Unfinished run journal: {paths.journal}" in out


def test_an_invalid_exec_config_leaves_only_local_with_a_warning(fakes, run_main):
    """REFERENCE §6: an invalid config file means only `local`, and a warning on stderr."""
    Path("cfg").mkdir()
    Path("cfg/execution_types.yaml").write_text("platforms: [unclosed\n")
    code, _, err = run_main(write("f.txt", GOOD), "--validate-only")
    assert code == 0
    assert "cfg/execution_types.yaml:2: invalid YAML" in err


def test_an_invalid_exec_config_asked_for_by_name_exits_20(fakes, run_main, monkeypatch):
    Path("bad.yaml").write_text("platforms: [unclosed\n")
    monkeypatch.setenv("TASKER_EXEC_CONFIG", str(Path("bad.yaml").absolute()))
    code, out, _ = run_main(write("f.txt", GOOD), "-p", "proj")
    assert code == 20
    assert "bad.yaml:" in out and "invalid YAML" in out
    assert summary_rows()[0][6] == "exec_config"


def test_preamble_announces_json_and_missing_alert(fakes, run_main, tmp_path):
    code, out, _ = run_main(write("f.txt", GOOD), "--output-json=o.json",
                            "--alert-on-failure=nope.sh", "--fire-and-forget")
    assert code == 0
    assert "WARNING: Fire-and-forget mode enabled" in out
    assert "INFO: --auto-recovery automatically enabled (required by --output-json)" in out
    assert f"INFO: JSON output will be saved to: {tmp_path / 'o.json'}" in out
    assert f"WARNING: Alert script not found: {tmp_path / 'nope.sh'}" in out
    assert fakes.runs[0][1].alert_on_failure is None


def test_forward_references_print_the_dependency_warning(fakes, run_main):
    """REFERENCE §5.1 step 9, §7.2: non-fatal, skipped with the task validation."""
    text = GOOD.replace("arguments=hello", "arguments=@1_stdout@")
    code, out, _ = run_main(write("f.txt", text), "--validate-only")
    assert code == 0
    assert "# WARNING: Task dependency issues detected:" in out
    assert "#   Task 0: arguments references Task 1, which comes later" in out
    code, out, _ = run_main(write("f.txt", text), "--validate-only", "--skip-task-validation")
    assert code == 0 and "dependency issues" not in out


def test_a_line_without_key_value_is_a_debug_note(fakes, run_main):
    """REFERENCE §2.1: S0's `return 0` typo is dropped with a DEBUG-only warning."""
    text = GOOD.replace("arguments=bye\n", "arguments=bye\nreturn 0\n")
    code, out, _ = run_main(write("f.txt", text), "--validate-only", "-d")
    assert code == 0
    assert "DEBUG: Line 10: Line does not contain a key=value pair: 'return 0'" in out
    _, out, _ = run_main(write("f.txt", GOOD + "goto=0\n"), "--validate-only", "-d")
    assert "DEBUG: Task 1: Ignoring unknown task field 'goto'" in out
    _, out, _ = run_main(write("f.txt", text), "--validate-only")
    assert "key=value" not in out
