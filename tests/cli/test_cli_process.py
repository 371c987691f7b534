"""`python -m tasker` as a real process: exit codes and streams of the start-up paths."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TASKS = "task=0\nhostname=localhost\ncommand=echo\narguments=hi\n"

pytestmark = pytest.mark.slow


def tasker(tmp_path: Path, *args: str, text: str | None = TASKS) -> subprocess.CompletedProcess:
    if text is not None:
        (tmp_path / "f.txt").write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKER_", "TASK_EXEC"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "tasker", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_version(tmp_path):
    proc = tasker(tmp_path, "--version", text=None)
    assert (proc.returncode, proc.stdout) == (0, "TASKER v2.2.0 (tasker 0.1.0)\n")


def test_help_lists_the_d8_flags(tmp_path):
    proc = tasker(tmp_path, "--help", text=None)
    assert proc.returncode == 0
    for flag in ("--timeout", "--memory-limit", "--kill-grace", "--in-doubt", "--keep-output"):
        assert flag in proc.stdout


def test_connection_test_flag_exits_2_explaining_host_validation(tmp_path):
    proc = tasker(tmp_path, "f.txt", "-r", "-c")
    assert proc.returncode == 2
    assert "connection tests are part of host validation" in proc.stderr


def test_usage_errors_exit_2(tmp_path):
    assert tasker(tmp_path, text=None).returncode == 2
    assert tasker(tmp_path, "f.txt", "--bogus").returncode == 2
    assert tasker(tmp_path, "f.txt", "-t", "nope").returncode == 2


def test_missing_task_file_exits_1_on_stderr(tmp_path):
    proc = tasker(tmp_path, "missing.txt", text=None)
    assert proc.returncode == 1
    assert proc.stderr.startswith("ERROR: Failed to read task file 'missing.txt'")
    assert proc.stdout == ""


def test_non_utf8_task_file_exits_1(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"task=0\n\xff\xfe\n")
    proc = tasker(tmp_path, "bin.txt", text=None)
    assert proc.returncode == 1 and "not UTF-8" in proc.stderr


def test_cli_only_flag_in_the_file_exits_20_naming_the_line(tmp_path):
    proc = tasker(tmp_path, "f.txt", text="# x\n--help\n" + TASKS)
    assert proc.returncode == 20
    assert "File-defined argument '--help' is not allowed (CLI-only flag)" in proc.stderr
    assert "f.txt:2" in proc.stderr


def test_single_dash_long_flag_in_the_file_exits_2(tmp_path):
    proc = tasker(tmp_path, "f.txt", text="-auto-recovery\n" + TASKS)
    assert proc.returncode == 2
    assert proc.stderr.startswith("ERROR: f.txt:1: Invalid argument syntax")


def test_bad_value_in_the_file_exits_2(tmp_path):
    assert tasker(tmp_path, "f.txt", text="--log-level=LOUD\n" + TASKS).returncode == 2


def test_show_effective_args_exits_0_before_parsing(tmp_path):
    text = "--log-level=DEBUG\n--timeout=60\n--skip-validation\ntask=abc\n"
    proc = tasker(tmp_path, "f.txt", "--show-effective-args", "-p", "x", text=text)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert "Action: BLOCKED" in lines[1]
    start = lines.index("Effective TASKER arguments (file + CLI merged):")
    assert lines[start + 1] == "=" * 60
    assert lines[start + 2:start + 5] == ["File-defined arguments from f.txt:",
                                          "  --log-level=DEBUG", "  --timeout=60"]
    final = lines[lines.index("Final effective arguments:") + 1:]
    assert final == sorted(final)
    for expected in ("  --log-level: DEBUG", "  --project: x", "  --show-effective-args: True",
                     "  --timeout: 60"):
        assert expected in final
    assert not any("skip-validation" in line for line in final)


def test_closed_stdout_does_not_break_the_run(tmp_path):
    (tmp_path / "f.txt").write_text(TASKS)
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m tasker f.txt -d --show-plan < /dev/null | head -c1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.stderr == ""


@pytest.mark.parametrize(("signum", "code", "name"), [(15, 143, "SIGTERM"), (2, 130, "SIGINT")])
def test_signal_at_the_plan_prompt_ends_with_summary_and_128_plus_signal(tmp_path, signum,
                                                                          code, name):
    (tmp_path / "f.txt").write_text(TASKS)
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "tasker", "f.txt", "--show-plan", "-p", "p"],
                            cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        waited = ""
        while "Proceed with execution?" not in waited:
            waited += proc.stdout.read(1)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.stdin.close()
    assert proc.returncode == code
    assert f"WARN: Received {name}, initiating graceful shutdown..." in out
    assert "Traceback" not in err
    row = (tmp_path / "home/TASKER/project/p.summary").read_text().splitlines()[1].split("\t")
    assert row[2] == str(code) and row[6].endswith(f"[GRACEFUL_SHUTDOWN_{name}]")


def test_example_workflow_runs_for_real(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "tasker", "examples/hello.txt", "-r", "--skip-host-validation"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Task 2: STDOUT: Task 1 printed: Hello from tasker says hi" in proc.stdout


def test_an_invalid_exec_config_runs_local_tasks_and_refuses_the_others(tmp_path):
    """REFERENCE §6: an invalid ./cfg/execution_types.yaml leaves only `local` (a warning on
    stderr names file and line); a task of another type then stops the run with exit 20."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "execution_types.yaml").write_text("platforms: [unclosed\n")
    local = "task=0\nhostname=localhost\ncommand=echo\narguments=hi\nexec=local\n"
    proc = tasker(tmp_path, "f.txt", "-r", "-l", str(tmp_path / "base"), text=local)
    assert proc.returncode == 0
    assert "cfg/execution_types.yaml:2: invalid YAML" in proc.stderr
    proc = tasker(tmp_path, "f.txt", "-r", "-l", str(tmp_path / "base"), "--skip-host-validation",
                  text=local.replace("exec=local", "exec=pbrun"))
    assert proc.returncode == 20
    assert "Execution types not found in configuration: pbrun" in proc.stdout


def test_validation_warnings_reach_the_json_document_not_the_console(tmp_path):
    """SPEC §B: a task without exec= naming another host runs locally; the warning is a
    DEBUG line and part of the JSON document, never a WARN line."""
    out = tmp_path / "o.json"
    proc = tasker(tmp_path, "f.txt", "-r", "-l", str(tmp_path / "base"), f"--output-json={out}",
                  "--skip-host-validation", text="task=0\nhostname=db01\ncommand=true\n")
    assert proc.returncode == 0 and "db01' is not this machine" not in proc.stdout
    warnings = json.loads(out.read_text())["workflow_metadata"]["validation_warnings"]
    assert len(warnings) == 1 and "hostname 'db01' is not this machine" in warnings[0]


def test_a_successful_auto_recovery_run_says_its_recovery_state_is_gone(tmp_path):
    """REFERENCE §8.10: `# Auto-recovery: Deleted recovery file (workflow completed
    successfully)` after the JSON line (the journal has left recovery/ for journals/)."""
    line = "# Auto-recovery: Deleted recovery file (workflow completed successfully)"
    text = "task=0\nhostname=localhost\ncommand=true\nexec=local\n"
    proc = tasker(tmp_path, "f.txt", "-r", "-l", str(tmp_path / "base"),
                  f"--output-json={tmp_path / 'o.json'}", text=text)
    assert proc.returncode == 0
    lines = [entry.split("] ", 1)[-1] for entry in proc.stdout.splitlines()]
    written = f"# Workflow output written to: {tmp_path / 'o.json'}"
    assert lines.index(line) == lines.index(written) + 1
    proc = tasker(tmp_path, "f.txt", "-r", "-l", str(tmp_path / "base"), text=text)
    assert line not in proc.stdout  # without --auto-recovery there is no recovery state


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_task_that_succeeded_is_not_run_again_after_a_signal_in_its_sleep(tmp_path, signum):
    """REFERENCE §9.2 step 2: an already-done task is not resumed. The signal came in the
    task's `sleep=`, after its success: --auto-recovery goes on with its routing."""
    (tmp_path / "f.txt").write_text(
        "task=0\nhostname=localhost\ncommand=sh\narguments=-c \"echo x >> c0\"\nexec=local\n"
        "sleep=30\n\n"
        "task=1\nhostname=localhost\ncommand=sh\narguments=-c \"echo x >> c1\"\nexec=local\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKER_", "TASK_EXEC"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    argv = [sys.executable, "-m", "tasker", "f.txt", "-r", "-l", str(tmp_path / "base"),
            "--auto-recovery"]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen = ""
    while "Task 0: Sleeping for 30 seconds" not in seen:
        line = proc.stdout.readline()
        assert line, seen
        seen += line
    proc.send_signal(signum)
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum
    resumed = tasker(tmp_path, "f.txt", "-r", "-l", str(tmp_path / "base"), "--auto-recovery",
                     text=None)
    assert resumed.returncode == 0, resumed.stdout
    assert (tmp_path / "c0").read_text() == "x\n"  # task 0 ran once
    assert (tmp_path / "c1").read_text() == "x\n"
