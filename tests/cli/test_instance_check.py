"""`--instance-check`: two copies of one workflow (same content and globals) never run at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = "task=0\nhostname=localhost\ncommand=sleep\narguments=3\nexec=local\n"

pytestmark = pytest.mark.slow


def start(tmp_path: Path, name: str, *flags: str) -> subprocess.Popen:
    (tmp_path / name).write_text(WORKFLOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKER_", "TASK_EXEC"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "tasker", name, "-r", "-l", "base",
                             "--skip-host-validation", *flags], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_lock(tmp_path: Path) -> None:
    locks = tmp_path / "home" / "TASKER" / "locks"
    deadline = time.monotonic() + 20
    while not (locks.is_dir() and any(locks.iterdir())):
        assert time.monotonic() < deadline, "the first run never took its instance lock"
        time.sleep(0.05)


def test_copy_of_a_running_workflow_exits_25_naming_the_owner(tmp_path):
    first = start(tmp_path, "a.txt", "--instance-check")
    wait_for_lock(tmp_path)
    second = start(tmp_path, "b.txt", "--instance-check")
    out, _ = second.communicate(timeout=60)
    first.communicate(timeout=60)
    assert (second.returncode, first.returncode) == (25, 0)
    assert "ERROR: Workflow instance already running!" in out
    assert f"PID: {first.pid}" in out
    assert "To override instance check, use: --force-instance" in out


def test_without_instance_check_copies_run_side_by_side(tmp_path):
    first = start(tmp_path, "a.txt", "--instance-check")
    wait_for_lock(tmp_path)
    second = start(tmp_path, "b.txt")
    second.communicate(timeout=60)
    first.communicate(timeout=60)
    assert (first.returncode, second.returncode) == (0, 0)
