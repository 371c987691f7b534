"""Basic attempts through the real shim: exit codes, streams, start errors, environment."""

from __future__ import annotations

import json
import os

from tests.shim.helpers import PY, python


def test_exit_code_and_both_streams_are_reported(run):
    result = run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert result.exit_code == 3
    assert result.signal is None
    assert result.stdout.text == "out\n"
    assert result.stderr.text == "err\n"
    assert result.stdout.lines == 1
    assert not result.timed_out


def test_missing_command_exits_127_with_os_error(run):
    result = run(["nosuch-command-h3"])
    assert result.exit_code == 127
    assert result.spawn_error == "[Errno 2] No such file or directory: 'nosuch-command-h3'"


def test_non_executable_file_exits_127_naming_the_file(run, tmp_path):
    script = tmp_path / "plain.txt"
    script.write_text("echo hi\n")
    result = run([str(script)])
    assert result.exit_code == 127
    assert str(script) in result.spawn_error


def test_missing_working_directory_exits_127(run, tmp_path):
    result = run(["true"], cwd=str(tmp_path / "gone"))
    assert result.exit_code == 127
    assert "No such file or directory" in result.spawn_error


def test_a_nul_byte_in_the_command_line_exits_127(run):
    """SPEC D11: a command that cannot be started is exit 127 with the error, not a shim
    failure (a NUL byte reaches the shim when the sanitizer is skipped)."""
    for argv in (["echo", "a\0b"], ["ec\0ho"], ["/bin/ec\0ho"]):
        result = run(argv)
        assert result.exit_code == 127 and result.shim_error is None, argv
        assert result.spawn_error


def test_killed_by_signal_reports_negative_signal(run):
    result = run(["sh", "-c", "kill -9 $$"])
    assert result.exit_code == -9
    assert result.signal == 9


def test_command_gets_spec_environment_cwd_and_null_stdin(run, tmp_path):
    code = "import os,sys; print(os.environ.get('H3_VAR'), os.getcwd(), repr(sys.stdin.read()))"
    result = run(python(code), env={"H3_VAR": "yes", "PATH": os.environ["PATH"]},
                 cwd=str(tmp_path))
    assert result.stdout.text == f"yes {tmp_path} ''\n"


def test_command_runs_in_its_own_process_group_and_session_of_the_shim(run):
    code = "import os; print(os.getpgrp() == os.getpid(), os.getsid(0) == os.getppid())"
    result = run(python(code))
    assert result.stdout.text == "True True\n"


def test_command_is_found_on_the_path_of_its_own_environment(run, tmp_path):
    tool = tmp_path / "bin" / "h3tool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho found\n")
    tool.chmod(0o755)
    result = run(["h3tool"], env={"PATH": str(tool.parent)})
    assert result.stdout.text == "found\n"


def test_attempt_directory_holds_identity_and_result(client, tmp_path):
    from tasker.shim_protocol import AttemptSpec

    attempt = tmp_path / "a.1"
    handle = client.start(AttemptSpec(argv=["echo", "x"], attempt_dir=str(attempt)))
    result = handle.wait()  # with output: returns once result.json is durable
    assert result.exit_code == 0
    identity = json.loads((attempt / "shim.json").read_text())
    assert identity["pid"] == handle.pid == result.shim_pid
    assert not list(attempt.glob("*.tmp"))


def test_result_times_and_duration_are_consistent(run):
    result = run([PY, "-c", "import time; time.sleep(0.2)"])
    assert 0.2 <= result.duration < 5
    assert abs(result.ended_at - result.started_at - result.duration) < 1e-6
