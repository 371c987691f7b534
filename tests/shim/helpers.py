"""Helpers for the executor-shim tests (real processes, /proc inspection)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from executor_shim import proctree

PY = sys.executable


def alive(pid: int) -> bool:
    """True when pid exists and is not a zombie."""
    return proctree.state_of(pid) not in (None, "Z", "X")


def wait_for(predicate, timeout: float = 10.0, step: float = 0.02) -> bool:
    """Poll `predicate` until it is true or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def pids_from(text: str) -> list[int]:
    """Integers printed one per line by a test command."""
    return [int(line) for line in text.split() if line.strip().isdigit()]


def python(code: str) -> list[str]:
    """argv running a Python snippet."""
    return [PY, "-c", code]


def idle_spares(spares_dir: Path) -> int:
    """Idle launcher spares, counted by the attempt directory each prepares while it waits."""
    return len(list(spares_dir.glob("*.attempt")))
