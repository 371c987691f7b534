"""The journal writer: appends framed, hash-chained records, write-ahead (fsync before return).

The file is opened ``O_APPEND|O_CLOEXEC``; each record is one ``write`` of a whole line (format
in `tasker.journal.framing`). `append(payload)` fsyncs (``fdatasync``: the data and the new file
size) before it returns, so the caller may act on what the record announces; `append(...,
sync=False)` leaves the record in the page cache until the next synced append or `sync()`.
Secret global values are masked in every payload before it is framed. A failed write or fsync
raises `JournalWriteError` (exit 26) carrying the OS error, and the writer refuses any further
record: after a failed fsync the page cache cannot be trusted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import tasker
from tasker.errors import JournalWriteError, Location, RecoveryError
from tasker.journal.framing import FORMAT_VERSION, GENESIS_CHAIN, HEADER_TYPE, encode_record
from tasker.journal.masking import mask_secrets, secret_values
from tasker.journal.paths import fsync_dir
from tasker.journal.reader import JournalContents, JournalRecord, read_journal

MAX_RECORD_BYTES = 16 * 1024 * 1024
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC


class JournalWriter:
    """Appends records to one journal. Create with `create` (new run) or `reopen` (resume)."""

    def __init__(self, path: Path, fd: int, *, next_seq: int, chain: str, size: int,
                 secrets: Mapping[str, str] | None = None):
        self.path = path
        self._fd = fd
        self.next_seq = next_seq
        self.chain_head = chain
        self.size = size
        self.time_spent = 0.0
        self.fsyncs = 0
        self.fsync_seconds = 0.0
        self._dirty = False
        self._failed: str | None = None
        self._mutex = threading.Lock()  # appends from several threads keep seq and chain whole
        self._sync_lock = threading.Lock()  # one fsync at a time (group commit)
        self._synced_end = size
        self._secrets = secret_values(secrets or {})

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, task_file_sha256: str, run_id: str,
               secrets: Mapping[str, str] | None = None,
               extra: Mapping[str, Any] | None = None) -> JournalWriter:
        """Create a new journal (it must not exist) and write its fsynced header record.

        `extra` adds fields to the header (e.g. the task file path); `secrets` are the run's
        globals, whose secret values get masked.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise _os_error("cannot create journal", path, exc) from exc
        writer = cls(path, fd, next_seq=0, chain=GENESIS_CHAIN, size=0, secrets=secrets)
        header = {**dict(extra or {}), "type": HEADER_TYPE, "format": FORMAT_VERSION,
                  "task_file_sha256": task_file_sha256, "tasker_version": tasker.__version__,
                  "run_id": run_id, "created_at": datetime.now().astimezone().isoformat()}
        try:
            writer.append(header)
            fsync_dir(path.parent)
        except (JournalWriteError, OSError) as exc:
            writer.close()
            path.unlink(missing_ok=True)  # a journal without its header records nothing
            if isinstance(exc, OSError):
                raise _os_error("cannot fsync journal directory", path, exc) from exc
            raise
        return writer

    @classmethod
    def reopen(cls, path: str | os.PathLike[str], *, secrets: Mapping[str, str] | None = None,
               contents: JournalContents | None = None) -> JournalWriter:
        """Continue an existing journal after its last record (resume).

        `contents` is the journal as already read by the caller (read again when omitted). A torn
        tail must be repaired first; an empty or damaged journal raises `RecoveryError`.
        """
        path = Path(path)
        contents = contents if contents is not None else read_journal(path)
        if contents.torn is not None or contents.damage is not None or not contents.records:
            raise RecoveryError("journal has a torn tail or no header; repair it before resuming",
                                Location(file=str(path)))
        try:
            fd = os.open(path, _FLAGS)
        except OSError as exc:
            raise _os_error("cannot open journal", path, exc) from exc
        size = os.fstat(fd).st_size
        if size != contents.size:
            os.close(fd)
            raise RecoveryError("journal changed since it was read", Location(file=str(path)))
        return cls(path, fd, next_seq=len(contents.records), chain=contents.chain_head, size=size,
                   secrets=secrets)

    def append(self, payload: Mapping[str, Any], sync: bool = True) -> JournalRecord:
        """Append one record (masked, framed, chained); fsync it first unless `sync` is False.

        `payload` must be JSON-able (e.g. ``event.model_dump(mode="json")``) with a string
        ``type``; anything else is a programming error (TypeError / ValueError).
        """
        with self._mutex:
            return self._append(payload, sync)

    def _append(self, payload: Mapping[str, Any], sync: bool) -> JournalRecord:
        self._check_usable()
        started = time.perf_counter()
        masked = mask_secrets(dict(payload), self._secrets)
        line, chain = encode_record(self.next_seq, self.chain_head, masked)
        if len(line) > MAX_RECORD_BYTES:
            raise JournalWriteError(f"journal record of {len(line)} bytes is too large",
                                    Location(file=str(self.path)), record=self.next_seq)
        self._write(line)
        self._dirty = True
        if sync:
            self._fsync()
        record = JournalRecord(seq=self.next_seq, offset=self.size, payload=masked, chain=chain)
        self.next_seq, self.chain_head, self.size = self.next_seq + 1, chain, self.size + len(line)
        if sync:
            self._synced_end = self.size
        self.time_spent += time.perf_counter() - started
        return record

    def sync(self) -> None:
        """fsync records appended with ``sync=False`` (no-op when there are none)."""
        with self._mutex:
            self._check_usable()
            if not self._dirty:
                return
            started = time.perf_counter()
            self._fsync()
            self._synced_end = self.size
            self.time_spent += time.perf_counter() - started

    def sync_through(self, end: int) -> None:
        """Group commit: return once every byte before offset `end` is fsynced.

        Threads that append concurrently share fsyncs: whoever gets the sync lock first
        fsyncs everything appended so far; the others find their record already covered.
        """
        with self._sync_lock:
            if self._synced_end >= end:
                return
            with self._mutex:
                self._check_usable()
                target = self.size
            started = time.perf_counter()
            try:
                self._datasync()
            finally:
                self.time_spent += time.perf_counter() - started
            with self._mutex:
                self._dirty = self.size != target
            self._synced_end = max(self._synced_end, target)

    def close(self) -> None:
        """Sync pending records (when the writer is healthy) and close the file."""
        with self._mutex:
            if self._fd < 0:
                return
            try:
                if self._failed is None and self._dirty:
                    self._fsync()
            finally:
                os.close(self._fd)
                self._fd = -1

    @property
    def closed(self) -> bool:
        """True once `close` was called."""
        return self._fd < 0

    def _write(self, line: bytes) -> None:
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            self._undo_partial()
            self._failed = f"write failed: {exc.strerror}"
            raise _os_error(f"cannot write journal record {self.next_seq}", self.path, exc,
                            record=self.next_seq) from exc

    def _undo_partial(self) -> None:
        # Best effort: drop a partial line so the file ends on a record boundary.
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, self.size)

    def _fsync(self) -> None:
        self._datasync()
        self._dirty = False

    def _datasync(self) -> None:
        started = time.perf_counter()
        try:
            os.fdatasync(self._fd)
        except OSError as exc:
            self._failed = f"fsync failed: {exc.strerror}"
            raise _os_error(f"cannot fsync journal record {self.next_seq}", self.path, exc,
                            record=self.next_seq) from exc
        self.fsyncs += 1
        self.fsync_seconds += time.perf_counter() - started

    def _check_usable(self) -> None:
        if self._fd < 0:
            raise JournalWriteError("journal writer is closed", Location(file=str(self.path)))
        if self._failed is not None:
            raise JournalWriteError(f"journal unusable after an earlier error ({self._failed})",
                                    Location(file=str(self.path)))

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _os_error(what: str, path: Path, exc: OSError, **context: object) -> JournalWriteError:
    name = errno.errorcode.get(exc.errno or 0, "")
    reason = f"{exc.strerror or exc}" + (f" ({name})" if name else "")
    return JournalWriteError(f"{what}: {reason}", Location(file=str(path)), errno=exc.errno,
                             **context)
