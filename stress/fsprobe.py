"""How much creating a file costs where a benchmark runs (printed next to its figures).

Every command attempt creates three files or directories. On ext4 without a journal (this
machine's root file system) allocating an inode skips each inode freed in the last 5-10
minutes, so after heavy file churn nearby (a test-suite run, `rm -rf` of an earlier benchmark
directory) one creation can cost 0.5-0.9 ms of CPU instead of ~0.02 ms, and every figure that
involves attempts is inflated. The probe creates 50 empty files in `directory` (left for the
benchmark's own clean-up) and reports the CPU time per creation.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

NORMAL_MS = 0.1  # well above a quiet disk's ~0.02 ms


def creation_cost_ms(directory: Path, count: int = 50) -> float:
    """CPU milliseconds per empty-file creation in `directory`."""
    probe = Path(directory) / ".fsprobe"
    probe.mkdir(exist_ok=True)
    started = time.process_time()
    for i in range(count):
        os.close(os.open(probe / f"p{i}", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
    return (time.process_time() - started) * 1000 / count


def describe(directory: Path) -> str:
    """One line for a benchmark's output: the creation cost and whether it skews figures."""
    cost = creation_cost_ms(directory)
    verdict = ("normal" if cost <= NORMAL_MS else
               "HIGH: recent file churn on this disk inflates the figures below; "
               "see README 'Performance'")
    return f"file creation in {directory}: {cost:.3f} ms CPU each ({verdict})"
