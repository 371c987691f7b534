"""A timed-out task with daemonised grandchildren: time to return and survivors.

    python stress/shim_timeout_tree.py [TIMEOUT [GRACE]]      (default: 2 s, 2 s)

The command starts a plain background sleep, a `setsid` daemon, a double-forked daemon in a new
session, and a grandchild that ignores SIGTERM, then sleeps itself. The shim must TERM the
group, wait the grace, KILL the group and every remaining descendant. Prints the elapsed time
against the bound timeout + grace + 1 s and the grandchildren still alive afterwards (none).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from executor_shim import proctree
from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec

SCRIPT = """
sleep 300 & echo $!
setsid sleep 300 & echo $!
setsid sh -c 'sleep 300 & echo $!' &
sh -c 'trap "" TERM; sleep 300 & echo $!; wait' &
sleep 300
"""


def alive(pid: int) -> bool:
    return proctree.state_of(pid) not in (None, "Z", "X")


def main() -> None:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    grace = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    base = Path(tempfile.mkdtemp(prefix="shim-timeout-"))
    try:
        with ShimClient(base / "run") as client:
            spec = AttemptSpec(argv=["sh", "-c", SCRIPT], attempt_dir=str(base / "t.1"),
                               timeout=timeout, kill_grace=grace)
            started = time.monotonic()
            result = client.start(spec).wait()
            elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(base, ignore_errors=True)
    pids = [int(word) for word in result.stdout.text.split()]
    survivors = [pid for pid in pids if alive(pid)]
    bound = timeout + grace + 1
    print(f"exit {result.exit_code} (timed_out={result.timed_out}) after {elapsed:.2f} s "
          f"(bound {bound:.2f} s: {'ok' if elapsed <= bound else 'EXCEEDED'}); "
          f"{len(pids)} grandchildren started, survivors: {survivors or 'none'}; "
          f"shim-reported unkillable: {result.survivors or 'none'}")


if __name__ == "__main__":
    main()
