"""A launcher started before the run (while the CLI parses and validates): pool growth on
request, take-over by the run's client, and nothing left behind when no run takes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasker import shim_launcher
from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec
from tests.shim.helpers import alive, idle_spares, wait_for

REPO = Path(__file__).resolve().parents[2]


def launcher_pids() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"executor_shim.launcher" in cmdline:
                found.add(int(entry.name))
    return found


def test_the_run_client_takes_over_and_grows_the_prestarted_pool(tmp_path):
    shim_launcher.prestart(tmp_path / "base")
    try:
        [launcher] = shim_launcher._PRESTARTED
        spares_dir = tmp_path / "base" / "runs" / ".spares" / str(os.getpid())
        assert launcher.spares_dir == spares_dir
        shim_launcher.grow_prestarted(6)
        assert wait_for(lambda: idle_spares(spares_dir) >= 6, timeout=20)
        run_dir = tmp_path / "base" / "runs" / "r1"
        with ShimClient(run_dir, spares=6, prestarted=True) as client:
            assert client._launcher is launcher
            assert not shim_launcher._PRESTARTED
            spec = AttemptSpec(argv=["echo", "hi"], attempt_dir=str(run_dir / "attempts" / "a"))
            assert client.start(spec).wait(timeout=30).stdout.text == "hi\n"
        assert not spares_dir.exists()
        assert wait_for(lambda: launcher.proc.poll() is not None, timeout=10)
    finally:
        shim_launcher.discard_prestarted()


def test_a_client_that_does_not_ask_for_it_starts_its_own(tmp_path):
    shim_launcher.prestart(tmp_path / "base")
    try:
        with ShimClient(tmp_path / "run") as client:  # e.g. host validation's client
            assert client._launcher is not shim_launcher._PRESTARTED[0]
    finally:
        shim_launcher.discard_prestarted()
    assert not (tmp_path / "base" / "runs" / ".spares" / str(os.getpid())).exists()


def run_cli(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    (tmp_path / "f.txt").write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKER_", "TASK_EXEC"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "tasker", "f.txt", "-r", "-l", "base",
                           "--log-level=DEBUG"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize(("text", "code"), [
    ("task=0\nhostname=localhost\ncommand=true\n", 0),
    ("task=0\nhostname=localhost\ncommand=true\nnext=bogus\n", 20),   # validation fails
])
def test_a_cli_run_leaves_no_launcher_and_no_spares_directory(tmp_path, text, code):
    before = launcher_pids()
    proc = run_cli(tmp_path, text)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Executor launcher pre-started: pid" in proc.stdout
    assert list((tmp_path / "base" / "runs" / ".spares").iterdir()) == []
    assert wait_for(lambda: not {p for p in launcher_pids() - before if alive(p)}, timeout=10)


def test_the_spares_directory_of_a_killed_supervisor_is_removed_by_the_next_run(tmp_path):
    parent = tmp_path / "base" / "runs" / ".spares"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (parent / dead).mkdir(parents=True)
    (parent / dead / "123.attempt").mkdir()
    (parent / dead / "123.attempt" / "shim.json").write_text("{}")
    (parent / "1").mkdir()  # init is alive: kept
    proc = run_cli(tmp_path, "task=0\nhostname=localhost\ncommand=true\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in parent.iterdir()) == ["1"]
