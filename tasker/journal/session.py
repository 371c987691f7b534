"""A real run's journal from lock to archive (SPEC §B Journal, §B2 lifecycle).

    session = JournalSession.open(settings, log)
        lock (exit 25 when a live run holds it)
        leftover journal?  --auto-recovery: load it for resume (recovery.load_resume)
                           otherwise: archive it as abandoned, INFO line, start fresh
        create (fresh) or reopen (resume) the writer
    session(event)         the Recorder sink: output stripped, secrets masked, appended;
                           fsynced before the action it protects (SYNCED_EVENTS)
    session.finish(ok, snapshot)
        success: archive to <base>/journals/, delete TASKER's .recovery.json
        failure: keep the journal, write the .recovery.json snapshot once
        release the lock

A failed write or fsync raises `JournalWriteError` (exit 26) out of the sink: the run stops
before the action the record would have protected.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasker.engine import events as ev
from tasker.errors import JournalWriteError
from tasker.journal.lock import JournalLock
from tasker.journal.paths import JournalPaths, archive, atomic_write_json, journal_paths
from tasker.journal.writer import JournalWriter

# Records that must be durable before the supervisor acts on them: the intent before the
# shim is spawned (and with it every earlier record: finished + routed of the previous task),
# the in-doubt choice before the attempt is re-run or failed, the run's start and end.
# The engine's Recorder waits for pending result.json fsyncs before passing one of these on.
SYNCED_EVENTS = ev.WRITE_AHEAD


@dataclass(frozen=True)
class SessionSettings:
    """What opening a run's journal needs to know."""

    base_dir: Path
    task_file: str
    task_sha256: str
    globals: Mapping[str, str]
    auto_recovery: bool
    allow_changed: bool = False
    argv: Sequence[str] | None = None


@dataclass
class JournalEnd:
    """Where the journal is after the run and its final chain hash."""

    path: str
    chain_head: str
    archived: bool


@dataclass
class JournalSession:
    """The open journal of one run; call it with each event (it is a Recorder sink)."""

    paths: JournalPaths
    lock: JournalLock
    writer: JournalWriter
    run_id: str
    base_dir: Path
    resume: Any = None              # recovery.Resume when this run continues a journal
    task_sha256: str = ""
    seconds: float = 0.0            # time spent turning events into records and writing them
    records: int = 0
    on_info: Callable[[str], None] = field(default=lambda _msg: None)
    _stats: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: SessionSettings, info: Callable[[str], None],
             debug: Callable[[str], None] = lambda _msg: None) -> JournalSession:
        """Lock the task file's journal and open it for a fresh run or a resume."""
        paths = journal_paths(settings.base_dir, settings.task_file)
        lock = JournalLock(paths, settings.argv).acquire()
        try:
            return cls._open_locked(settings, paths, lock, info, debug)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _open_locked(cls, settings: SessionSettings, paths: JournalPaths, lock: JournalLock,
                     info: Callable[[str], None],
                     debug: Callable[[str], None]) -> JournalSession:
        resume = None
        if paths.journal.exists():
            if settings.auto_recovery:
                from tasker.journal.recovery import load_resume

                resume = load_resume(paths, settings, info)
            else:
                abandon(paths, Path(settings.base_dir), info)
        if resume is not None:
            writer = JournalWriter.reopen(paths.journal, secrets=settings.globals,
                                          contents=resume.contents)
            run_id = resume.run_id
            debug(f"Journal: resuming {paths.journal} ({len(resume.contents.records)} records)")
        else:
            run_id = new_run_id()
            writer = JournalWriter.create(
                paths.journal, task_file_sha256=settings.task_sha256, run_id=run_id,
                secrets=settings.globals,
                extra={"task_file": os.path.abspath(settings.task_file)})  # noqa: PTH100
            debug(f"Journal: {paths.journal}")
        return cls(paths, lock, writer, run_id, Path(settings.base_dir), resume,
                   task_sha256=settings.task_sha256, on_info=info)

    def __call__(self, event: ev.Event) -> None:
        """Append one event as a record (fsynced first when it protects an action)."""
        started = time.perf_counter()
        try:
            self.writer.append(journal_payload(event), sync=event.type in SYNCED_EVENTS)
        finally:
            self.seconds += time.perf_counter() - started
            self.records += 1

    def defer_sync(self, event: ev.Event) -> Callable[[], None] | None:
        """Append one event as a record; for one that protects an action, return the fsync
        to run next (outside the caller's lock: concurrent intents share one fsync)."""
        started = time.perf_counter()
        try:
            self.writer.append(journal_payload(event), sync=False)
            end = self.writer.size
        finally:
            self.seconds += time.perf_counter() - started
            self.records += 1
        if event.type not in SYNCED_EVENTS:
            return None
        return lambda: self._sync_through(end)

    def _sync_through(self, end: int) -> None:
        started = time.perf_counter()
        try:
            self.writer.sync_through(end)
        finally:
            with self._stats:
                self.seconds += time.perf_counter() - started

    def finish(self, success: bool, snapshot: Mapping[str, Any] | None = None) -> JournalEnd:
        """Close the journal: archive it after success, else keep it and write the snapshot."""
        chain = self.writer.chain_head
        try:
            self.writer.close()
            if success:
                target = archive(self.paths, self.base_dir, "finished", self.run_id)
                with contextlib.suppress(OSError):
                    self.paths.recovery_json.unlink(missing_ok=True)
                return JournalEnd(str(target), chain, archived=True)
            if snapshot is not None:
                atomic_write_json(self.paths.recovery_json, dict(snapshot))
            return JournalEnd(str(self.paths.journal), chain, archived=False)
        finally:
            self.lock.release()

    def abort(self) -> None:
        """Close the journal after an error (it stays in place for `--auto-recovery`)."""
        try:
            with contextlib.suppress(JournalWriteError, OSError):
                self.writer.close()
        finally:
            self.lock.release()

    @property
    def milliseconds(self) -> float:
        """Time spent journaling so far, in ms."""
        return self.seconds * 1000.0


def abandon(paths: JournalPaths, base: Path, info: Callable[[str], None]) -> Path:
    """Archive a leftover journal as abandoned; say so and list what its run left on disk."""
    run_id = _header_run_id(paths.journal)
    target = archive(paths, base, "abandoned", f"{run_id}" if run_id else None)
    info(f"# Journal of an unfinished earlier run archived as abandoned: {target}")
    run_dir = base / "runs" / run_id if run_id else None
    if run_dir is not None and run_dir.is_dir():
        spills = [p for name in ("stdout", "stderr") for p in run_dir.glob(f"attempts/*/{name}")]
        size = sum(p.stat().st_size for p in spills)
        info(f"# Its run directory {run_dir} keeps {len(spills)} large-output file(s), "
             f"{size} bytes (remove it when no longer needed)")
        for attempt, pid in _live_attempts(run_dir):
            info(f"# Its attempt {attempt} is still running (executor pid {pid}); it is not "
                 "stopped, and this run starts afresh (--auto-recovery would adopt it)")
    return target


def _live_attempts(run_dir: Path) -> list[tuple[str, int]]:
    """(attempt name, executor pid) of the run's attempts whose executor is still alive."""
    from tasker.shim_client import process_matches, read_identity_file

    live = []
    for path in sorted(run_dir.glob("attempts/*/shim.json")):
        shim = read_identity_file(path)
        if (shim is not None and not (path.parent / "result.json").exists()
                and process_matches(shim["pid"], shim["start_ticks"], shim["boot_id"])):
            live.append((path.parent.name, shim["pid"]))
    return live


def _header_run_id(path: Path) -> str:
    """The run id in a journal's header record ('' when unreadable)."""
    from tasker.journal.framing import GENESIS_CHAIN, FrameError, decode_record

    try:
        with open(path, "rb") as handle:
            first = handle.readline()
        run_id = decode_record(first, 0, GENESIS_CHAIN).payload.get("run_id")
    except (OSError, FrameError):
        return ""
    return run_id if isinstance(run_id, str) and "/" not in run_id else ""


def new_run_id() -> str:
    """A unique run id: local timestamp plus 8 random hex digits."""
    return f"{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:8]}"


def journal_payload(event: ev.Event) -> dict[str, Any]:
    """The record payload of an event: its JSON form without command output.

    A command attempt's stdout/stderr text stays in its `result.json` (the record keeps
    size, sha256, spill file and the values of every condition); `recovery.restore_outputs`
    reads it back on resume.
    """
    if not (isinstance(event, ev.AttemptFinished) and event.attempt and event.result_file):
        return event.model_dump(mode="json")
    payload = event.model_dump(mode="json", exclude=_OUTPUT_TEXT)  # never serialise output
    for name in ("stdout", "stderr"):
        payload["result"][name]["text"] = ""
    return payload


_OUTPUT_TEXT = {"result": {"stdout": {"text"}, "stderr": {"text"}}}


