"""Large output through the executor shim: throughput and the summed RSS of all processes.

    python stress/shim_throughput.py [MiB ...]      (default: 100 1024)

For each size the command `head -c SIZE /dev/zero` writes to stdout. A sampler thread in the
supervisor reads the RSS of the supervisor, the launcher, the shim and the command every
10 ms; the peak of their sum is printed with the throughput (MiB/s of stdout through the
shim into its spill file, result.json written and read back).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from executor_shim import proctree
from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec

MIB = 1024 * 1024


class Sampler(threading.Thread):
    """Peak of the summed RSS of a changing set of pids."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.pids: set[int] = set()
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, proctree.tree_rss(list(self.pids)))


def one(client: ShimClient, base: Path, size_mib: int) -> None:
    sampler = Sampler()
    sampler.pids.update({os.getpid(), client._launcher.proc.pid})
    sampler.start()
    spec = AttemptSpec(argv=["head", "-c", str(size_mib * MIB), "/dev/zero"],
                       attempt_dir=str(base / f"big.{size_mib}"), timeout=600)
    started = time.perf_counter()
    handle = client.start(spec)
    sampler.pids.update({handle.pid, handle.command_pid or 0})
    result = handle.wait()
    elapsed = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    assert result.exit_code == 0 and result.stdout.bytes == size_mib * MIB, result
    print(f"{size_mib:5d} MiB: {size_mib / elapsed:7.0f} MiB/s, peak summed RSS "
          f"(supervisor+launcher+shim+command) {sampler.peak / MIB:5.1f} MiB, "
          f"shim peak {result.shim_peak_rss / MIB:4.1f} MiB")
    Path(result.stdout.file).unlink()


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1024]
    base = Path(tempfile.mkdtemp(prefix="shim-throughput-"))
    try:
        with ShimClient(base / "run") as client:
            client.start(AttemptSpec(argv=["true"], attempt_dir=str(base / "warm"))).wait()
            for size in sizes:
                one(client, base, size)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
