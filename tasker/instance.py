"""TASKER's optional hash-based instance lock (REFERENCE §9.3: --instance-check, --force-instance).

``<home>/TASKER/locks/workflow_<hash>.lock`` is held with an exclusive, non-blocking flock on a
close-on-exec fd, so commands never inherit it. The hash keys on the task file's bytes *and* the
expanded globals: the same file run with other globals is another instance. The JSON record in the
file only names the owner (the flock is the truth), so a stale record is simply overwritten.
This sits on top of the per-task-file journal lock (`tasker.journal.lock`), whose owner and
liveness helpers it reuses.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from tasker.errors import InstanceLockedError, Location, TaskerError
from tasker.journal import masking, procid
from tasker.journal.lock import OwnerInfo

OVERRIDE_HINT = "To override instance check, use: --force-instance"


class WarnLog(Protocol):
    """The part of `RunLog` this module uses."""

    def warn(self, msg: str) -> None: ...


def instance_hash(task_file_bytes: bytes, globals: Mapping[str, str]) -> str:
    """sha256(sha256(file bytes) hex + ':' + compact sorted JSON of globals), first 16 hex."""
    snapshot = json.dumps(dict(globals), sort_keys=True, separators=(",", ":"))
    inner = hashlib.sha256(task_file_bytes).hexdigest()
    return hashlib.sha256(f"{inner}:{snapshot}".encode()).hexdigest()[:16]


def lock_path(home: Path, workflow_hash: str) -> Path:
    """The lock file of an instance: always under the user's home, never under ``-l``."""
    return Path(home) / "TASKER" / "locks" / f"workflow_{workflow_hash}.lock"


def masked_globals(globals_: Mapping[str, str]) -> dict[str, str]:
    """Globals with secret names shown as ``<masked len=N>`` and secret values masked elsewhere."""
    secrets = masking.secret_values(globals_)
    return {k: f"<masked len={len(v)}>" if masking.is_secret_name(k)
            else masking.mask_text(v, secrets) for k, v in globals_.items()}


class InstanceLock:
    """Context manager holding one workflow instance's lock for a whole run.

    Busy: raises `InstanceLockedError` (exit 25) whose message is TASKER's ERROR lines plus the
    owner's liveness. `force=True`: warns "Instance check bypassed" and takes no lock.
    On exit the record file is deleted, then the lock dropped.
    """

    def __init__(self, home: Path, task_file: str, workflow_hash: str,  # noqa: PLR0917 (contract)
                 project: str | None, globals: Mapping[str, str], log: WarnLog, *,
                 force: bool = False):
        self.path = lock_path(home, workflow_hash)
        self.task_file = os.path.abspath(task_file)  # noqa: PTH100 (no symlink resolution)
        self.workflow_hash = workflow_hash
        self.project = project
        self.globals = dict(globals)
        self.log = log
        self.force = force
        self._fd: int | None = None

    @property
    def is_locked(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> InstanceLock:
        """Take the lock (or bypass it when forced); raise `InstanceLockedError` when busy."""
        if self.force:
            self.log.warn("WARNING: Instance check bypassed")
            return self
        self._make_dir()
        while self._fd is None:
            fd = self._open()
            if not _try_flock(fd, self.path):
                raise self._busy_error()
            if _still_linked(fd, self.path):
                self._fd = fd
            else:  # the previous owner deleted the file while we waited to lock it
                os.close(fd)
        self._write_record()
        return self

    def release(self) -> None:
        """Delete the lock file while still holding it, then drop the lock."""
        if self._fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None

    def record(self) -> dict[str, Any]:
        """The JSON record written into the lock file for this process."""
        pid = os.getpid()
        return {"pid": pid, "task_file": self.task_file, "workflow_hash": self.workflow_hash,
                "started_at": datetime.now().isoformat(), "hostname": socket.gethostname(),
                "project": self.project, "global_vars_snapshot": masked_globals(self.globals),
                "start_ticks": procid.start_ticks(pid), "boot_id": procid.boot_id()}

    def _make_dir(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.path.parent.chmod(0o700)
        except OSError as exc:
            raise _io_error("cannot create instance lock directory", self.path.parent, exc) from exc

    def _open(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise _io_error("cannot open instance lock file", self.path, exc) from exc
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
        return fd

    def _write_record(self) -> None:
        data = json.dumps(self.record(), indent=2).encode()
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
            os.fsync(self._fd)
        except OSError as exc:  # the record is informative only; the flock still holds
            self.log.warn(f"Instance lock record not written to {self.path}: {exc}")

    def _busy_error(self) -> InstanceLockedError:
        rec = _read_record(self.path)
        owner = OwnerInfo.model_validate({**rec, "host": rec.get("hostname", "")}) \
            if isinstance(rec.get("pid"), int) else None
        alive = _liveness(owner)
        lines = [
            "Workflow instance already running!",
            f"  Task file: {rec.get('task_file', self.task_file)}",
            f"  Started: {rec.get('started_at', 'unknown')}",
            f"  PID: {rec.get('pid', 'unknown')}",
            f"  Hostname: {rec.get('hostname', 'unknown')}",
            *([f"  Project: {rec['project']}"] if rec.get("project") else []),
            f"  Lock file: {self.path}",
            f"  Owner status: {_status(owner, alive)}",
            OVERRIDE_HINT,
        ]
        return InstanceLockedError("\n".join(lines), Location(), task_file=self.task_file,
                                   lock_file=str(self.path), owner=rec or None, alive=alive)

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _try_flock(fd: int, path: Path) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    except OSError as exc:
        os.close(fd)
        raise _io_error("cannot lock instance lock file", path, exc) from exc
    return True


def _still_linked(fd: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _read_record(path: Path) -> dict[str, Any]:
    for _ in range(20):  # the holder writes its record just after locking
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:  # the owner has just finished
            return {}
        except (OSError, ValueError):
            rec = None
        if isinstance(rec, dict):
            return rec
        time.sleep(0.01)
    return {}


def _liveness(owner: OwnerInfo | None) -> bool | None:
    if owner is None:
        return None
    if owner.start_ticks is None and owner.host == socket.gethostname():
        return procid.start_ticks(owner.pid) is not None  # a record without a process identity
    return owner.is_alive()


def _status(owner: OwnerInfo | None, alive: bool | None) -> str:
    if owner is None:
        return "unknown (no readable owner record)"
    if alive is None:
        return "runs on another host, liveness not checked"
    if alive:
        return f"process {owner.pid} is alive"
    return f"process {owner.pid} is not alive (stale record; another process holds the lock)"


def _io_error(what: str, path: Path, exc: OSError) -> TaskerError:
    return TaskerError(f"{what}: {exc.strerror or exc}", Location(file=str(path)),
                       errno=exc.errno)
