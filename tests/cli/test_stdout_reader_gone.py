"""A run whose stdout reader goes away (EPIPE) keeps going and keeps logging to its file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def workflow(count: int, marker: Path) -> str:
    """`count` tasks, each appending its ID to `marker`."""
    return "".join(f"task={i}\nhostname=localhost\ncommand=sh\n"
                   f"arguments=-c \"echo {i} >> {marker}; echo line-{i}\"\nexec=local\n\n"
                   for i in range(count))


def test_run_survives_its_stdout_reader_going_away(tmp_path):
    marker = tmp_path / "ran.txt"
    (tmp_path / "f.txt").write_text(workflow(40, marker))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKER_", "TASK_EXEC"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    shell = (f"set -o pipefail; {sys.executable} -m tasker f.txt -r -l base "
             "--skip-host-validation | head -c 1 > /dev/null")
    proc = subprocess.run(["bash", "-c", shell], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert marker.read_text().split() == [str(i) for i in range(40)]
    log = next((tmp_path / "base" / "log").glob("f_*.log")).read_text()
    assert "Task 39: Exit code: 0" in log
    assert "SUCCESS: Task execution completed - 40 task(s) executed successfully." in log
