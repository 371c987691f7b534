"""Benchmark: a parallel block of N `sleep S` subtasks with max_parallel=M through real shims.

    python stress/engine_parallel.py [N] [M] [S]     (defaults: 200 50 0.2)

Prints wall time, the ideal time (ceil(N/M) * S) and the spawn latency percentiles.
Target (SPEC/issue 4): 200 x sleep 0.2 with max_parallel=50 in <= 1.2 s.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fsprobe import describe

from tasker.engine import events as ev
from tasker.execconfig import ExecConfig
from tasker.runner import run_workflow
from tasker.taskfile.parser import ParseOptions, parse_workflow
from tasker.testing import RecordingLog, fake_options


def build(n: int, m: int, seconds: float) -> str:
    ids = ",".join(str(100 + i) for i in range(n))
    parts = [f"task=0\ntype=parallel\ntasks={ids}\nmax_parallel={m}\nnext=never\n"]
    parts += [f"task={100 + i}\nhostname=localhost\ncommand=sleep\narguments={seconds}\n"
              "exec=local\n" for i in range(n)]
    return "\n".join(parts)


def through_cli(base: Path, text: str) -> float:
    """Wall seconds of `python -m tasker FILE -r` on the same block (a real run, end to end)."""
    task_file = base / "parallel.txt"
    task_file.write_text(text)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tasker", str(task_file), "-r", "-l",
                           str(base / "cli"), "--no-task-backup"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"CLI run failed with exit {done.returncode}: {done.stderr[-500:]}")
    return time.monotonic() - started


def main(argv: list[str]) -> int:
    n, m, seconds = int(argv[0]) if argv else 200, int(argv[1]) if len(argv) > 1 else 50, \
        float(argv[2]) if len(argv) > 2 else 0.2
    wf = parse_workflow(build(n, m, seconds), "bench.txt", ParseOptions(env={}))
    events: list[ev.Event] = []
    intents: dict[tuple[int, int], float] = {}
    latencies: list[float] = []

    def sink(event: ev.Event) -> None:
        events.append(event)
        now = time.monotonic()
        if isinstance(event, ev.AttemptIntent):
            intents[(event.task_id, event.attempt)] = now
        elif isinstance(event, ev.AttemptSpawned):
            latencies.append(now - intents[(event.task_id, event.attempt)])

    with tempfile.TemporaryDirectory() as base:
        print(describe(Path(base)))
        opts = fake_options(base_dir=Path(base))
        started = time.monotonic()
        outcome = run_workflow(wf, opts, ExecConfig(), RecordingLog(), sinks=(sink,))
        elapsed = time.monotonic() - started
        cli = through_cli(Path(base), build(n, m, seconds))
    latencies.sort()
    ideal = math.ceil(n / m) * seconds
    pct = {p: latencies[int(p / 100 * (len(latencies) - 1))] for p in (50, 90, 99)}
    print(f"{n} subtasks x sleep {seconds} max_parallel={m}: {elapsed:.2f}s "
          f"(ideal {ideal:.2f}s) exit={outcome.exit_code}")
    print(f"spawn latency p50={pct[50]:.3f}s p90={pct[90]:.3f}s p99={pct[99]:.3f}s")
    print(f"the same block through the CLI, start-up included: {cli:.2f}s")
    return 0 if outcome.exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
