"""Benchmark: `tasker FILE --validate-only` on a generated 9,999-task file, end to end.

Prints the best and median wall time of the installed console script over several runs (target
<= 0.5 s; TASKER 2.2 measured 1.4 s for 10,000 tasks on the reference machine), and how fast a
20,000-task file is refused. Usage: python stress/validate_only.py [RUNS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path


def task_file(count: int) -> str:
    """A sequential workflow of `count` local echo tasks."""
    return "".join(f"task={i}\nhostname=localhost\ncommand=echo\narguments=hello {i}\n"
                   f"exec=local\n\n" for i in range(count))


def console_script() -> str:
    """The installed `tasker` entry point itself (not a pyenv shim in front of it)."""
    candidate = Path(sysconfig.get_path("scripts")) / "tasker"
    return str(candidate) if candidate.exists() else shutil.which("tasker") or "tasker"


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall time, exit code and last output line of one run."""
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return elapsed, proc.returncode, lines[-1] if lines else ""


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp, "TASK_EXECUTOR_LOG": tmp}
        big, huge = Path(tmp, "big9999.txt"), Path(tmp, "huge20000.txt")
        big.write_text(task_file(9999))
        huge.write_text(task_file(20000))
        script = console_script()
        argv = [script, str(big), "--validate-only", "--skip-host-validation"]
        times = []
        for _ in range(runs):
            elapsed, code, last = timed(argv, env)
            if code != 0:
                print(f"validate-only failed (exit {code}): {last}")
                return 1
            times.append(elapsed)
        print(f"validate-only, 9,999 tasks: best {min(times):.3f} s, "
              f"median {statistics.median(times):.3f} s over {runs} runs ({script})")
        elapsed, code, last = timed([script, str(huge), "--validate-only"], env)
        print(f"20,000 tasks refused in {elapsed:.3f} s with exit {code}: {last}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
