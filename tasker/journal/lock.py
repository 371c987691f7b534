"""One live run per journal: a sidecar lock file held with filelock, and an owner file.

The lock is an flock on ``<journal>.lock`` (never on the journal itself: closing any fd of a
file would drop an fcntl lock on it). Its fd is close-on-exec, so shims and commands never
inherit it and cannot keep it held after the supervisor dies. The owner file
``<journal>.owner`` says who holds the lock (pid, start time, boot id, host, user, argv); it is
only informative — the flock is the truth — so a stale one is simply overwritten.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

import filelock
from pydantic import BaseModel, ConfigDict, ValidationError

from tasker.errors import InstanceLockedError, JournalWriteError, Location
from tasker.journal import procid
from tasker.journal.paths import JournalPaths, atomic_write_json


class OwnerInfo(BaseModel):
    """Who holds (or held) a journal's lock."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    pid: int
    start_ticks: int | None = None
    start_time: float | None = None
    boot_id: str = ""
    host: str = ""
    user: str = ""
    argv: list[str] = []
    started_at: str = ""

    def is_alive(self) -> bool | None:
        """Whether the owner process still runs; None when it ran on another host."""
        if self.host and self.host != socket.gethostname():
            return None
        return procid.is_same_process_alive(self.pid, self.start_ticks, self.boot_id)

    def describe(self) -> str:
        """One-line description: pid, host, user, start time."""
        started = self.started_at or "unknown time"
        return f"pid {self.pid} on host {self.host or '?'} (user {self.user or '?'}), " \
               f"started {started}"


def current_owner(argv: Sequence[str] | None = None) -> OwnerInfo:
    """The owner record of this process."""
    pid = os.getpid()
    ticks = procid.start_ticks(pid)
    return OwnerInfo(
        pid=pid, start_ticks=ticks, boot_id=procid.boot_id(), host=socket.gethostname(),
        start_time=procid.start_time_epoch(ticks) if ticks is not None else None,
        user=_user(), argv=list(sys.argv if argv is None else argv),
        started_at=datetime.now().astimezone().isoformat(timespec="seconds"),
    )


def read_owner(path: str | os.PathLike[str]) -> OwnerInfo | None:
    """The owner record in `path`, or None when it is missing or unreadable."""
    try:
        return OwnerInfo.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


class JournalLock:
    """Context manager holding a journal's sidecar lock for a whole run.

    Acquisition never waits: when another process holds the lock, `InstanceLockedError` (exit 25)
    names the owner (pid, host, start time) and whether it is alive. Once acquired, the owner
    file is (over)written with this process; `previous_owner` keeps the stale record found.
    """

    def __init__(self, paths: JournalPaths, argv: Sequence[str] | None = None):
        self.paths = paths
        self.argv = argv
        self.previous_owner: OwnerInfo | None = None
        self._lock = filelock.FileLock(str(paths.lock), blocking=False)

    @property
    def is_locked(self) -> bool:
        """True while this object holds the lock."""
        return self._lock.is_locked

    def acquire(self) -> JournalLock:
        """Take the lock, or raise `InstanceLockedError` naming the live owner."""
        self._make_dir()
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise self._locked_error() from None
        except OSError as exc:
            raise JournalWriteError(f"cannot open lock file: {exc.strerror or exc}",
                                    Location(file=str(self.paths.lock)), errno=exc.errno) from exc
        try:
            self._forbid_inheritance()
            self.previous_owner = read_owner(self.paths.owner)
            atomic_write_json(self.paths.owner, current_owner(self.argv).model_dump())
        except BaseException:
            self._lock.release()
            raise
        return self

    def release(self) -> None:
        """Remove the owner file and drop the lock (the lock file itself stays, see filelock)."""
        if not self._lock.is_locked:
            return
        try:
            self.paths.owner.unlink(missing_ok=True)
        finally:
            self._lock.release(force=True)

    def lock_fds(self) -> list[int]:
        """The file descriptors of this process open on the lock file."""
        target = os.path.realpath(self.paths.lock)
        fds = []
        for entry in Path("/proc/self/fd").iterdir():
            try:
                if str(entry.readlink()) == target:
                    fds.append(int(entry.name))
            except OSError:
                continue
        return fds

    def _forbid_inheritance(self) -> None:
        # filelock opens with os.open (non-inheritable since PEP 446); make sure of it anyway,
        # because an inherited fd would keep the flock held after the supervisor dies.
        for fd in self.lock_fds():
            if os.get_inheritable(fd):
                os.set_inheritable(fd, False)

    def _make_dir(self) -> None:
        try:
            self.paths.lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise JournalWriteError(f"cannot create journal directory: {exc.strerror or exc}",
                                    Location(file=str(self.paths.lock.parent)),
                                    errno=exc.errno) from exc

    def _locked_error(self) -> InstanceLockedError:
        owner = None
        for _ in range(20):  # the holder writes its owner file just after locking
            owner = read_owner(self.paths.owner)
            if owner is not None:
                break
            time.sleep(0.01)
        return InstanceLockedError(_locked_message(self.paths, owner),
                                   Location(file=str(self.paths.journal)),
                                   owner=owner.model_dump() if owner else None,
                                   alive=owner.is_alive() if owner else None)

    def __enter__(self) -> JournalLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _locked_message(paths: JournalPaths, owner: OwnerInfo | None) -> str:
    head = f"journal is locked by another run (lock file {paths.lock})"
    if owner is None:
        return f"{head}; owner unknown (no owner record)"
    alive = owner.is_alive()
    if alive is None:
        state = "owner runs on another host, liveness not checked"
    elif alive:
        state = "owner process is alive (pid, start time and boot id match)"
    else:
        state = "owner process is not alive (stale owner record; the lock is held by another " \
                "process)"
    return f"{head}: {owner.describe()}; {state}"
