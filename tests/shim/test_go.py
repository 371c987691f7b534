"""The go: a spare holding an attempt starts its command only once the supervisor says go
(after the intent is durable); a supervisor that lets go, or dies, before that starts nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec
from tests.shim.helpers import idle_spares, wait_for

ROOT = Path(__file__).resolve().parents[2]


def touching(tmp_path: Path, name: str, marker: Path) -> AttemptSpec:
    return AttemptSpec(argv=["touch", str(marker)], attempt_dir=str(tmp_path / name),
                       timeout=30)


def test_the_command_waits_for_the_go(tmp_path):
    marker = tmp_path / "ran"
    with ShimClient(tmp_path / "run") as client:
        pending = client.prepare(touching(tmp_path, "a.1", marker))
        time.sleep(0.3)  # ample for the spare to get everything else ready
        assert not marker.exists()
        assert not (tmp_path / "a.1").exists()
        result = pending.go().wait(timeout=30)
    assert result.exit_code == 0
    assert marker.exists()


def test_an_abandoned_attempt_never_runs_and_the_pool_carries_on(tmp_path):
    marker = tmp_path / "ran"
    with ShimClient(tmp_path / "run") as client:
        spares = client._launcher.spares_dir
        for i in range(12):  # more than the launcher's limit of barren spare deaths
            client.prepare(touching(tmp_path, f"a.{i}", marker)).abandon()
        result = client.start(AttemptSpec(argv=["echo", "after"], timeout=30,
                                          attempt_dir=str(tmp_path / "b.1"))).wait(timeout=30)
        assert result.stdout.text == "after\n"
        assert wait_for(lambda: idle_spares(spares) >= 1)
    assert not marker.exists()
    assert not any((tmp_path / f"a.{i}").exists() for i in range(12))


SUPERVISOR = """
import os, sys, time
sys.path.insert(0, {root!r})
from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec
client = ShimClient({run!r})
client.prepare(AttemptSpec(argv=["touch", {marker!r}], attempt_dir={attempt!r}, timeout=30))
print(client._launcher.proc.pid, flush=True)
time.sleep(0.5)  # a spare holds the attempt now
os._exit(0)  # dies between handing the attempt over and its go
"""


def test_a_supervisor_that_dies_before_the_go_starts_nothing(tmp_path):
    marker, attempt = tmp_path / "ran", tmp_path / "orphan.1"
    code = SUPERVISOR.format(root=str(ROOT), run=str(tmp_path / "run"), marker=str(marker),
                             attempt=str(attempt))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    launcher = int(done.stdout.split()[0])
    assert wait_for(lambda: not Path(f"/proc/{launcher}").exists(), timeout=10)
    time.sleep(0.3)
    assert not marker.exists()
    assert not attempt.exists()
