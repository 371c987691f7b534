"""Cost of write-ahead journaling: N records appended with an fsync each.

    python stress/journal_cost.py [--records 1000] [--dir DIR]

Prints the milliseconds per synced record next to a bare write+fdatasync of the same bytes
on the same filesystem, so the framing/masking/chain overhead shows as the difference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasker.journal import JournalWriter, read_journal


def payload(i: int) -> dict:
    """A typical attempt-finished record (no output, a small result summary)."""
    return {"type": "attempt_finished", "task_id": i % 50, "attempt": i, "outcome": "success",
            "at": time.time(), "started_at": time.time() - 0.5,
            "result": {"exit_code": 0, "stdout_bytes": 120, "stdout_sha256": "ab" * 32,
                       "conditions": {"success": True, "next": None}}}


def journal_cost(directory: Path, records: int) -> tuple[float, float, int]:
    """(wall ms per record, writer.time_spent ms per record, bytes written)."""
    path = directory / "cost.journal"
    with JournalWriter.create(path, task_file_sha256="0" * 64, run_id="stress",
                              secrets={"DB_PASSWORD": "hunter2"}) as writer:
        started = time.perf_counter()
        for i in range(records):
            writer.append(payload(i))
        wall = time.perf_counter() - started
        spent = writer.time_spent
    assert len(read_journal(path).records) == records + 1
    return wall * 1000 / records, spent * 1000 / records, path.stat().st_size


def bare_fsync_cost(directory: Path, records: int, size: int) -> float:
    """ms per write+fdatasync of `size` bytes, appended, without any journal logic."""
    fd = os.open(directory / "bare.bin", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    line = b"x" * (size - 1) + b"\n"
    try:
        started = time.perf_counter()
        for _ in range(records):
            os.write(fd, line)
            os.fdatasync(fd)
        return (time.perf_counter() - started) * 1000 / records
    finally:
        os.close(fd)


def main() -> int:
    """Run the measurement and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--dir", help="directory to measure in (default: a temp dir)")
    args = parser.parse_args()
    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="journal_cost_", dir=args.dir))
    try:
        wall, spent, size = journal_cost(directory, args.records)
        bare = bare_fsync_cost(directory, args.records, size // (args.records + 1))
    finally:
        shutil.rmtree(directory)
    print(f"records: {args.records}, journal size: {size} bytes, filesystem: {directory.parent}")
    print(f"journal append+fsync: {wall:.3f} ms per record (writer.time_spent {spent:.3f} ms)")
    print(f"bare write+fdatasync: {bare:.3f} ms per record")
    print(f"journal overhead:     {wall - bare:+.3f} ms per record")
    return 0


if __name__ == "__main__":
    sys.exit(main())
