"""Task-file backup: `<base>/backup/<basename>_<timestamp>` (REFERENCE §8.1, §8.3).

Real runs only (the caller decides), unless `--no-task-backup`. No new copy is made when a
backup of the same basename already has the same SHA-256; a name clash gets `.1`, `.2`, ...
A failure is only a warning: the run goes on.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from tasker.report.console import RunLog


def file_sha256(path: Path) -> str:
    """Streaming SHA-256 of a file."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def find_identical(backup_dir: Path, basename: str, size: int, digest: str) -> Path | None:
    """An existing backup of `basename` with the same content, if any."""
    prefix = f"{basename}_"
    try:
        entries = list(os.scandir(backup_dir))
    except FileNotFoundError:
        return None
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.is_file(follow_symlinks=False):
            continue
        if entry.stat().st_size == size and file_sha256(Path(entry.path)) == digest:
            return Path(entry.path)
    return None


def free_name(path: Path) -> Path:
    """`path`, or `path.1`, `path.2`, ... whichever does not exist yet."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


def backup_task_file(task_file: Path, base_dir: Path, timestamp: str,
                     log: RunLog) -> Path | None:
    """Copy the task file into `<base>/backup/`; returns the backup (new or identical)."""
    backup_dir = base_dir / "backup"
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
        digest = file_sha256(task_file)
        same = find_identical(backup_dir, task_file.name, task_file.stat().st_size, digest)
        if same is not None:
            log.debug(f"Task file backup skipped: identical backup exists: {same}")
            return same
        target = free_name(backup_dir / f"{task_file.name}_{timestamp}")
        shutil.copy2(task_file, target)
    except OSError as exc:
        log.warn(f"Task file backup failed: {exc}")
        return None
    log.debug(f"Task file backed up to: {target}")
    return target
