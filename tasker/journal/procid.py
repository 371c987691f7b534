"""Process identity from /proc: (pid, start time, boot id) names one process unambiguously.

A pid alone is reused; the start time (clock ticks since boot, field 22 of /proc/PID/stat) and
the boot id tell whether the process holding a pid now is the one that was recorded.
"""

from __future__ import annotations

import os
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    """This machine's current boot id ('' when the kernel does not expose one)."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def start_ticks(pid: int) -> int | None:
    """Start time of `pid` in clock ticks since boot, or None when no such process exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(b")") + 2:].split()
    return int(fields[19])


def boot_time() -> float:
    """Epoch seconds of the last boot (``btime`` in /proc/stat)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def start_time_epoch(ticks: int) -> float:
    """Convert a start time in clock ticks since boot to epoch seconds."""
    return boot_time() + ticks / os.sysconf("SC_CLK_TCK")


def is_same_process_alive(pid: int, ticks: int | None, boot: str) -> bool:
    """True when the process recorded as (pid, start ticks, boot id) is still running."""
    if not isinstance(pid, int) or pid <= 0 or not boot or boot != boot_id():
        return False
    current = start_ticks(pid)
    return current is not None and current == ticks and not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return stat[stat.rfind(b")") + 2:].split()[0] in (b"Z", b"X")
