"""Benchmark: start-up of a one-task run with the installed console script, end to end.

    python stress/startup.py [RUNS]          (default 15)

Runs `tasker t1.txt -r -l DIR` (one local `true` task) RUNS times with the real console script
(`<scripts dir>/tasker`, not a pyenv shim in front of it, which adds 50-100 ms by itself) and
prints the best and median wall time and the median CPU time (user + system, all processes:
steadier than wall time on a loaded machine) (target <= 250 ms; TASKER 2.2: 168 ms), next to a bare
`python -c pass` and `python -c "import pydantic"` for scale, and the load average.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from validate_only import console_script

ONE_TASK = "task=0\nhostname=localhost\ncommand=true\nexec=local\n"


def children_cpu() -> float:
    """User + system CPU seconds of all waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU time of one run of `argv`; exits with a message if it fails."""
    cpu, started = children_cpu(), time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} failed (exit {proc.returncode}): {proc.stderr[-500:]}")
    return wall, children_cpu() - cpu


def measure(commands: dict[str, list[str]], env: dict[str, str],
            runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU times per command; the commands take turns, so load hits them alike."""
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            wall, cpu = timed(argv, env)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    return times


def line(label: str, times: tuple[list[float], list[float]]) -> str:
    """One result line: best and median wall time, and the median CPU time, in milliseconds."""
    walls, cpus = times
    return (f"{label}: best {min(walls) * 1000:.0f} ms, "
            f"median {statistics.median(walls) * 1000:.0f} ms wall "
            f"(median CPU {statistics.median(cpus) * 1000:.0f} ms) over {len(walls)} runs")


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    script = console_script()
    python = Path(script).read_text().splitlines()[0].removeprefix("#!")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp, "TASK_EXECUTOR_LOG": tmp}
        task_file = Path(tmp, "t1.txt")
        task_file.write_text(ONE_TASK)
        print(f"load average {os.getloadavg()[0]:.2f}; console script {script}")
        commands = {"python -c pass": [python, "-c", "pass"],
                    "import pydantic": [python, "-c", "import pydantic.main"],
                    "one-task run": [script, str(task_file), "-r", "-l", str(Path(tmp, "b"))]}
        for name, times in measure(commands, env, runs).items():
            print(line(name, times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
