"""Marginal cost of one attempt through the executor shim (`true` and a 10 ms command).

    python stress/shim_attempt_cost.py [N]

Prints, per command: milliseconds per attempt end to end (spec -> result.json read back, with
the shim's fsyncs), the bare `subprocess.run` loop for comparison, and the median of several
rounds (the machine is shared, so the minimum and median are both shown).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fsprobe import describe

from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec

ROUNDS = 7


def per_attempt(client: ShimClient, base: Path, argv: list[str], n: int, tag: str) -> float:
    started = time.perf_counter()
    for i in range(n):
        spec = AttemptSpec(argv=argv, attempt_dir=str(base / f"{tag}.{i}"), timeout=30,
                           cwd=str(base))
        result = client.start(spec).wait()
        assert result.exit_code == 0, result
    return (time.perf_counter() - started) / n * 1000


def bare(argv: list[str], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        subprocess.run(argv, check=True)
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    base = Path(tempfile.mkdtemp(prefix="shim-cost-"))
    print(describe(base))
    commands = {"true": ["true"], "sleep 0.01": ["sleep", "0.01"]}
    try:
        with ShimClient(base / "run") as client:
            per_attempt(client, base, ["true"], 10, "warm")
            for label, argv in commands.items():
                shim = [per_attempt(client, base, argv, n, f"{label[:5]}{r}")
                        for r in range(ROUNDS)]
                plain = [bare(argv, n) for _ in range(ROUNDS)]
                print(f"{label:>11}: shim {statistics.median(shim):6.2f} ms/attempt "
                      f"(min {min(shim):.2f})   bare subprocess.run "
                      f"{statistics.median(plain):6.2f} ms (min {min(plain):.2f})")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
