"""Process-tree inspection through /proc: descendants, tree RSS, process identity."""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH110, PTH208

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLK_TCK = os.sysconf("SC_CLK_TCK")
_HAS_CHILDREN_FILE = os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def read_boot_id() -> str:
    """The kernel's boot id (changes on every boot)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def read_file(path: str) -> bytes:
    """The whole of a small /proc file through raw descriptor calls. A spare runs these reads
    a few times per attempt, right after fork: `open()` builds a buffered file object, and
    the pages of the interpreter's heap that touches are copied into the spare first (about
    0.15 ms per read where os.read takes 0.05)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (0 state, 1 ppid, 2 process group,
    3 session, 19 start time in ticks), or None when it does not exist."""
    try:
        raw = read_file(f"/proc/{pid}/stat")
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2:].decode().split()


def start_ticks(pid: int) -> int | None:
    """Start time of PID in clock ticks after boot, or None when it does not exist."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields else None


def state_of(pid: int) -> str | None:
    """Single-letter process state (R, S, D, Z, ...), or None when gone."""
    fields = stat_fields(pid)
    return fields[0] if fields else None


def _children_of(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            found.extend(int(x) for x in read_file(f"/proc/{pid}/task/{tid}/children").split())
        except OSError:
            continue
    return found


def _all_stat_fields() -> Iterator[tuple[int, list[str]]]:
    """(pid, stat fields) of every process (a scan of /proc)."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = stat_fields(int(name))
            if fields:
                yield int(name), fields


def _children_by_scan(root: int) -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for pid, fields in _all_stat_fields():
        tree.setdefault(int(fields[1]), []).append(pid)
    return tree


def session_members(session: int, not_before_ticks: int = 0) -> list[int]:
    """Live (not zombie) processes of a session that started at or after a given time (a scan
    of /proc: for rare clean-ups, not hot paths)."""
    return [pid for pid, fields in _all_stat_fields() if int(fields[3]) == session
            and fields[0] not in ("Z", "X") and int(fields[19]) >= not_before_ticks]


def descendants(root: int) -> list[int]:
    """Every live or zombie descendant of `root` (walks children lists, not all of /proc)."""
    scan = None if _HAS_CHILDREN_FILE else _children_by_scan(root)
    result: list[int] = []
    stack = [root]
    while stack:
        pid = stack.pop()
        kids = _children_of(pid) if scan is None else scan.get(pid, [])
        result.extend(kids)
        stack.extend(kids)
    return result


def rss_of(pid: int) -> int:
    """Resident set size of one process in bytes (0 when gone)."""
    try:
        return int(read_file(f"/proc/{pid}/statm").split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pids: list[int]) -> int:
    """Summed RSS of the given processes in bytes."""
    return sum(rss_of(pid) for pid in pids)


def own_peak_rss() -> int:
    """This process's own peak RSS (VmHWM) in bytes."""
    with contextlib.suppress(OSError, ValueError):
        status = read_file("/proc/self/status")
        start = status.find(b"\nVmHWM:")
        if start >= 0:
            return int(status[start + 7:status.index(b"\n", start + 1)].split()[0]) * 1024
    return 0
