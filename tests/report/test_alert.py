"""--alert-on-failure: start-up path checks and running the script for real."""

from __future__ import annotations

import io
import os
import stat
import time

import pytest

from tasker.report.alert import AlertInfo, check_alert_script, run_alert
from tasker.report.console import RunLog
from tests.shim.helpers import alive as shim_alive
from tests.shim.helpers import wait_for

INFO = AlertInfo(exit_code=20, reason="Task file validation failed", failed_task=None,
                 task_file="flow.txt", log_file="/l/flow.log", state_file=None)


def alive(pid: int, wait: float = 5.0) -> bool:
    """True while `pid` runs after `wait` seconds (a zombie left for a reaper counts as gone)."""
    return not wait_for(lambda: not shim_alive(pid), timeout=wait, step=0.05)


def script(tmp_path, body, mode=0o644):
    path = tmp_path / "alert.sh"
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(mode)
    return path


def test_regular_script_is_made_owner_only_executable(tmp_path):
    path = script(tmp_path, "exit 0\n")
    usable, warning = check_alert_script(str(path))
    assert (usable, warning) == (str(path), None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o700


def test_relative_path_is_made_absolute(tmp_path, monkeypatch):
    script(tmp_path, "exit 0\n")
    monkeypatch.chdir(tmp_path)
    assert check_alert_script("alert.sh")[0] == str(tmp_path / "alert.sh")


def test_missing_script_disables_the_alert_with_a_warning(tmp_path):
    usable, warning = check_alert_script(str(tmp_path / "nope.sh"))
    assert usable is None
    assert warning == f"WARNING: Alert script not found: {tmp_path / 'nope.sh'}"


def test_symlink_and_directory_are_not_regular_files(tmp_path):
    target = script(tmp_path, "exit 0\n")
    link = tmp_path / "link.sh"
    link.symlink_to(target)
    for path in (link, tmp_path):
        usable, warning = check_alert_script(str(path))
        assert usable is None and "not a regular file" in warning
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.slow
def test_script_gets_the_tasker_variables_and_its_output_is_logged(tmp_path):
    path = script(tmp_path, 'echo "code=$TASKER_EXIT_CODE task=$TASKER_FAILED_TASK '
                            'err=$TASKER_ERROR file=$TASKER_TASK_FILE log=$TASKER_LOG_FILE '
                            'state=[$TASKER_STATE_FILE] ts=$TASKER_TIMESTAMP"\n', 0o700)
    out = io.StringIO()
    code = run_alert(str(path), INFO, RunLog(stream=out), {"PATH": os.environ["PATH"]})
    assert code == 0
    text = out.getvalue()
    assert ("Alert script output: code=20 task=0 err=Task file validation failed "
            "file=flow.txt log=/l/flow.log state=[] ts=20") in text


@pytest.mark.slow
def test_failing_script_is_a_warning_and_returns_its_code(tmp_path):
    path = script(tmp_path, "echo oops >&2\nexit 3\n", 0o700)
    out = io.StringIO()
    assert run_alert(str(path), INFO, RunLog(stream=out), dict(os.environ)) == 3
    assert "WARN: Alert script stderr: oops" in out.getvalue()
    assert "WARN: Alert script exited with code 3" in out.getvalue()


@pytest.mark.slow
def test_hanging_script_is_killed_after_the_timeout(tmp_path):
    marker = tmp_path / "child.pid"
    path = script(tmp_path, f"sleep 30 &\necho $! > {marker}\nsleep 30\n", 0o700)
    out = io.StringIO()
    started = time.monotonic()
    run_alert(str(path), INFO, RunLog(stream=out), dict(os.environ), timeout=0.5)
    assert time.monotonic() - started < 10
    assert "timed out" in out.getvalue()
    assert not alive(int(marker.read_text()))


def test_success_and_dry_run_do_not_run_the_script(tmp_path):
    marker = tmp_path / "ran"
    path = script(tmp_path, f"touch {marker}\n", 0o700)
    out = io.StringIO()
    ok = AlertInfo(0, "", None, "f.txt", None)
    assert run_alert(str(path), ok, RunLog(stream=out), {}) is None
    assert run_alert(str(path), INFO, RunLog(stream=out), {}, dry_run=True) is None
    assert not marker.exists()
    assert "Dry-run mode: Would execute alert script" in out.getvalue()


def test_unstartable_script_is_a_warning(tmp_path):
    path = tmp_path / "noshebang"
    path.write_bytes(b"\x00\x01binary")
    path.chmod(0o700)
    out = io.StringIO()
    assert run_alert(str(path), INFO, RunLog(stream=out), {}) is None
    assert "WARN: Alert script failed to start" in out.getvalue()
