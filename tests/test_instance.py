"""Hash-based instance lock (REFERENCE §9.3): real files, real processes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tasker.errors import InstanceLockedError, exit_code_for
from tasker.instance import InstanceLock, instance_hash, lock_path

REPO = Path(__file__).resolve().parents[1]
GLOBALS = {"HOST": "db1", "DB_PASSWORD": "hunter22", "URL": "http://u:hunter22@db1"}

HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tasker.instance import InstanceLock
    from tasker.testing import RecordingLog

    home, task_file, digest, project = sys.argv[1:5]
    with InstanceLock(Path(home), task_file, digest, project or None, {}, RecordingLog()):
        print("locked", flush=True)
        sys.stdin.readline()
""")


class FakeLog:
    """Records warnings like RunLog.warn."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


@pytest.fixture
def task_file(tmp_path: Path) -> Path:
    path = tmp_path / "flow.txt"
    path.write_text("task=0\nhostname=localhost\ncommand=true\n")
    return path


def start_holder(home: Path, task_file: Path, digest: str, project: str = "") -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home), str(task_file), digest, project],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline().strip() == "locked"
    return proc


def stop_holder(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=10)
    proc.stdout.close()


def lock(home: Path, task_file: Path, digest: str, globals_=None, **kw) -> InstanceLock:
    return InstanceLock(home, str(task_file), digest, kw.pop("project", None),
                        globals_ or {}, kw.pop("log", FakeLog()), **kw)


def test_instance_hash_is_sha256_of_file_hash_and_sorted_compact_globals():
    inner = hashlib.sha256(b"task=0\n").hexdigest()
    expected = hashlib.sha256(f'{inner}:{{"A":"1","B":"x y"}}'.encode()).hexdigest()[:16]
    assert instance_hash(b"task=0\n", {"B": "x y", "A": "1"}) == expected


def test_instance_hash_differs_when_global_values_differ():
    assert instance_hash(b"x", {"A": "1"}) != instance_hash(b"x", {"A": "2"})


def test_instance_hash_differs_when_file_content_differs():
    assert instance_hash(b"x", {}) != instance_hash(b"y", {})


def test_lock_file_lives_under_home_tasker_locks(tmp_path: Path):
    assert lock_path(tmp_path, "ab12") == tmp_path / "TASKER" / "locks" / "workflow_ab12.lock"


def test_lock_file_records_owner_with_masked_secrets(tmp_path: Path, task_file: Path):
    with lock(tmp_path, task_file, "h1", GLOBALS, project="proj") as held:
        record = json.loads(held.path.read_text())
        file_mode = stat.S_IMODE(held.path.stat().st_mode)
        dir_mode = stat.S_IMODE(held.path.parent.stat().st_mode)
    assert record["pid"] == os.getpid()
    assert record["task_file"] == str(task_file)
    assert (record["workflow_hash"], record["project"]) == ("h1", "proj")
    assert record["hostname"] and record["started_at"]
    assert record["global_vars_snapshot"] == {
        "HOST": "db1", "DB_PASSWORD": "<masked len=8>", "URL": "http://u:<masked len=8>@db1"}
    assert (file_mode, dir_mode) == (0o600, 0o700)


def test_lock_file_is_removed_on_release(tmp_path: Path, task_file: Path):
    with lock(tmp_path, task_file, "h1") as held:
        assert held.path.exists()
    assert not held.path.exists()
    assert not held.is_locked


def test_stale_lock_file_content_is_overwritten(tmp_path: Path, task_file: Path):
    path = lock_path(tmp_path, "h1")
    path.parent.mkdir(parents=True)
    path.write_text('{"pid": 1, "garbage')
    with lock(tmp_path, task_file, "h1"):
        assert json.loads(path.read_text())["pid"] == os.getpid()


@pytest.mark.slow
def test_second_instance_is_refused_with_owner_details(tmp_path: Path, task_file: Path):
    holder = start_holder(tmp_path, task_file, "h1", project="nightly")
    try:
        with pytest.raises(InstanceLockedError) as caught, lock(tmp_path, task_file, "h1"):
            pass
    finally:
        stop_holder(holder)
    error = caught.value
    lines = str(error).splitlines()
    assert lines[0] == "Workflow instance already running!"
    assert f"  PID: {holder.pid}" in lines
    assert "  Project: nightly" in lines
    assert f"  Task file: {task_file}" in lines
    assert f"  Owner status: process {holder.pid} is alive" in lines
    assert lines[-1] == "To override instance check, use: --force-instance"
    assert (exit_code_for(error), error.context["alive"]) == (25, True)


@pytest.mark.slow
def test_different_globals_run_as_separate_instances(tmp_path: Path, task_file: Path):
    data = task_file.read_bytes()
    holder = start_holder(tmp_path, task_file, instance_hash(data, {"ENV": "prod"}))
    try:
        with lock(tmp_path, task_file, instance_hash(data, {"ENV": "test"})) as held:
            assert held.is_locked
    finally:
        stop_holder(holder)


@pytest.mark.slow
def test_lock_of_killed_owner_is_taken_over(tmp_path: Path, task_file: Path):
    holder = start_holder(tmp_path, task_file, "h1")
    holder.send_signal(signal.SIGKILL)
    stop_holder(holder)
    with lock(tmp_path, task_file, "h1") as held:
        assert json.loads(held.path.read_text())["pid"] == os.getpid()


@pytest.mark.slow
def test_force_bypasses_a_held_lock_with_a_warning(tmp_path: Path, task_file: Path):
    holder = start_holder(tmp_path, task_file, "h1")
    log = FakeLog()
    try:
        with lock(tmp_path, task_file, "h1", log=log, force=True) as forced:
            assert not forced.is_locked
    finally:
        stop_holder(holder)
    assert log.warnings == ["WARNING: Instance check bypassed"]


@pytest.mark.slow
def test_lock_fd_is_not_inherited_by_children(tmp_path: Path, task_file: Path):
    lister = "import os; print('\\n'.join(os.path.realpath(f'/proc/self/fd/{n}') " \
             "for n in os.listdir('/proc/self/fd')))"
    with lock(tmp_path, task_file, "h1") as held:
        child = subprocess.run([sys.executable, "-c", lister], close_fds=False,
                               capture_output=True, text=True, check=True)
        target = os.path.realpath(held.path)
    assert target not in child.stdout.splitlines()
    assert "/proc" in child.stdout or "/dev" in child.stdout  # the child did list its fds


CONTENDER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from tasker.errors import InstanceLockedError
    from tasker.instance import InstanceLock
    from tasker.testing import RecordingLog

    home = Path(sys.argv[1])
    inside = home / "inside"
    end = time.time() + 0.5
    while time.time() < end:
        try:
            with InstanceLock(home, "/flow.txt", "h1", None, {}, RecordingLog()):
                os.close(os.open(inside, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                time.sleep(0.001)
                os.unlink(inside)
        except InstanceLockedError:
            pass
""")


@pytest.mark.slow
def test_contending_processes_never_hold_the_lock_together(tmp_path: Path):
    procs = [subprocess.Popen([sys.executable, "-c", CONTENDER, str(tmp_path)], cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)},
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [proc.communicate(timeout=30)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0], errors
    assert list((tmp_path / "TASKER" / "locks").iterdir()) == []
