"""Benchmark: N sequential `command=true` tasks, a real run end to end through the CLI.

    python stress/engine_sequential.py [N] [--dir DIR] [--keep]     (default N: 1000)

Runs `python -m tasker FILE -r -l DIR --output-json=o.json --no-task-backup` and prints the
wall time per task and the journal's share (`workflow_metrics` of the JSON document): time
spent journaling, and the fdatasyncs in it. Targets (issue): <= 5 ms per task end to end,
journal <= 1 ms per task. fsync costs depend on the disk: see stress/journal_cost.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fsprobe import describe

ROOT = Path(__file__).resolve().parent.parent


def build(n: int) -> str:
    """A task file of n local `true` tasks, each going on to the next."""
    return "\n".join(f"task={i}\nhostname=localhost\ncommand=true\nexec=local\n"
                     for i in range(n))


def intent_gaps(base: Path) -> list[float]:
    """Seconds between consecutive attempt intents in the archived journal (per-task cost,
    robust against bursts of load from elsewhere when its median is taken)."""
    from tasker.journal import read_journal

    [journal] = (base / "journals").glob("*.journal")
    times = [r.payload["at"] for r in read_journal(journal).records
             if r.payload.get("type") == "attempt_intent"]
    return sorted(b - a for a, b in itertools.pairwise(times))


def run(n: int, directory: Path) -> tuple[float, dict, list[float]]:
    """(wall seconds, workflow_metrics, intent gaps) of one real run of n tasks."""
    task_file = directory / f"seq{n}.txt"
    task_file.write_text(build(n))
    out = directory / "o.json"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tasker", str(task_file), "-r", "-l",
                           str(directory / "base"), f"--output-json={out}", "--no-task-backup"],
                          cwd=directory, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"run failed with exit {proc.returncode}: {proc.stderr[-2000:]}")
    return wall, json.loads(out.read_text())["workflow_metrics"], intent_gaps(directory / "base")


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--dir", help="directory to run in (default: a temp dir)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the run directory (deleting thousands of files makes file "
                             "creation nearby dearer for minutes: see stress/fsprobe.py)")
    args = parser.parse_args()
    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="engine_seq_", dir=args.dir))
    print(describe(directory))
    try:
        wall, metrics, gaps = run(args.n, directory)
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    n = args.n
    fsyncs = metrics.get("journal_fsyncs") or 0
    print(f"{n} x true: {wall:.2f}s wall, {wall * 1000 / n:.2f} ms/task end to end")
    if gaps:
        pct = {p: gaps[len(gaps) * p // 100] * 1000 for p in (10, 50, 90)}
        print(f"intent to intent: median {pct[50]:.2f} ms, p10 {pct[10]:.2f} ms, "
              f"p90 {pct[90]:.2f} ms")
    print(f"journal: {metrics['journal_ms'] / n:.3f} ms/task ({metrics['journal_records']} "
          f"records, {fsyncs} fdatasyncs, {metrics['journal_fsync_ms'] / n:.3f} ms/task "
          f"in fdatasync, {metrics['journal_fsync_ms'] / max(fsyncs, 1):.2f} ms each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
