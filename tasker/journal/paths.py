"""Where a task file's journal lives, archiving it, and atomic file writes.

``<base>/recovery/<stem>_<hash8>.journal`` with ``.lock`` and ``.owner`` beside it and TASKER's
snapshot ``<stem>_<hash8>.recovery.json``; finished or abandoned journals move to
``<base>/journals/<stem>_<hash8>_<run_id or timestamp>[.abandoned].journal``. ``hash8`` is the
first 8 hex digits of sha256 of the task file's absolute path; ``stem`` is sanitised like the
log stem (REFERENCE §8.1).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tasker.errors import JournalWriteError, Location
from tasker.report.console import sanitize_stem


class JournalPaths(BaseModel):
    """The files that belong to one task file's journal."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    journal: Path
    lock: Path
    owner: Path
    recovery_json: Path
    stem: str
    hash8: str

    @property
    def name(self) -> str:
        """``<stem>_<hash8>``, the common part of every file name."""
        return f"{self.stem}_{self.hash8}"


def journal_paths(base: str | os.PathLike[str], task_file: str | os.PathLike[str]) -> JournalPaths:
    """The journal, lock, owner and snapshot paths of `task_file` under `base` (pure)."""
    # abspath, not resolve(): TASKER hashes the normalised path without following symlinks.
    absolute = os.path.abspath(os.fspath(task_file))  # noqa: PTH100
    hash8 = hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    stem = sanitize_stem(absolute)
    prefix = Path(base) / "recovery" / f"{stem}_{hash8}"
    return JournalPaths(
        journal=prefix.with_name(prefix.name + ".journal"),
        lock=prefix.with_name(prefix.name + ".journal.lock"),
        owner=prefix.with_name(prefix.name + ".journal.owner"),
        recovery_json=prefix.with_name(prefix.name + ".recovery.json"),
        stem=stem,
        hash8=hash8,
    )


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """fsync a directory so that a rename or create inside it is durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, mode: int = 0o600) -> None:
    """Write a file atomically: temp file beside it, fsync, rename over, fsync the directory."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise JournalWriteError(f"cannot write {path}: {exc.strerror or exc}",
                                Location(file=str(path)), errno=exc.errno) from exc


def atomic_write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write `data` as indented JSON atomically (used for the recovery snapshot and owner file)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def archive(paths: JournalPaths, base: str | os.PathLike[str], reason: str = "finished",
            run_id: str | None = None) -> Path:
    """Move the journal to ``<base>/journals/`` and return its new path (nothing is deleted).

    `reason` "abandoned" adds the ``.abandoned`` marker; any other reason does not. The name ends
    with `run_id`, or a timestamp when no run id is known; a clash gets ``.1``, ``.2``...
    """
    target_dir = Path(base) / "journals"
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tag = run_id or time.strftime("%Y%m%d_%H%M%S")
    marker = ".abandoned" if reason == "abandoned" else ""
    target = _free_name(target_dir, f"{paths.name}_{tag}", f"{marker}.journal")
    try:
        paths.journal.rename(target)
        fsync_dir(target_dir)
        fsync_dir(paths.journal.parent)
    except OSError as exc:
        raise JournalWriteError(f"cannot archive journal to {target}: {exc.strerror or exc}",
                                Location(file=str(paths.journal)), errno=exc.errno) from exc
    return target


def _free_name(directory: Path, stem: str, suffix: str) -> Path:
    candidate = directory / f"{stem}{suffix}"
    counter = 0
    while candidate.exists():
        counter += 1
        candidate = directory / f"{stem}.{counter}{suffix}"
    return candidate
