"""Reading a journal back: every record checked (frame, length, CRC, sequence, chain).

A *torn* tail is what a crash in the middle of an append leaves: a final line without its
newline. Appends are single writes of a whole line, so a cut always loses the newline (and a
NUL-filled tail has none either). It is reported, and `repair_torn_tail` cuts it off after
keeping a copy. Any other damage (a bad record followed by a newline, or anything wrong before
the last line) is not something a crash causes, so `read_journal` refuses it with
`RecoveryError` (exit 12) naming the record number and byte offset.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tasker.errors import JournalWriteError, Location, RecoveryError
from tasker.journal.framing import GENESIS_CHAIN, FrameError, check_header, decode_record
from tasker.journal.paths import fsync_dir


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class JournalRecord(_Frozen):
    """One good record: number, byte offset of its line, payload and chain value."""

    seq: int
    offset: int
    payload: dict[str, Any]
    chain: str

    @property
    def type(self) -> str:
        """The payload's ``type``."""
        return str(self.payload["type"])


class TornTail(_Frozen):
    """An incomplete final record: where it starts, its would-be number and its size."""

    offset: int
    record: int
    size: int
    reason: str


class Damage(_Frozen):
    """The first record that fails its checks (not a torn tail)."""

    offset: int
    record: int
    reason: str

    def describe(self) -> str:
        """Human text naming record number and byte offset."""
        return f"record {self.record} (byte offset {self.offset}): {self.reason}"


class JournalContents(_Frozen):
    """The good records of a journal, plus its torn tail or damage if any."""

    path: str
    records: list[JournalRecord]
    size: int
    torn: TornTail | None = None
    damage: Damage | None = None

    @property
    def header(self) -> dict[str, Any] | None:
        """The header record's payload, or None for an empty journal."""
        return self.records[0].payload if self.records else None

    @property
    def chain_head(self) -> str:
        """Chain value of the last good record (the genesis value when there is none)."""
        return self.records[-1].chain if self.records else GENESIS_CHAIN

    @property
    def good_size(self) -> int:
        """Byte length of the journal up to the end of its last good record."""
        if self.torn is not None:
            return self.torn.offset
        if self.damage is not None:
            return self.damage.offset
        return self.size

    def payloads(self) -> list[dict[str, Any]]:
        """The payloads in order, header included."""
        return [r.payload for r in self.records]


def scan_journal(path: str | os.PathLike[str]) -> JournalContents:
    """Read and check a journal, stopping at the first torn tail or damage (never raises for
    damage; raises `RecoveryError` only when the file cannot be read)."""
    records: list[JournalRecord] = []
    chain, offset = GENESIS_CHAIN, 0
    try:
        with open(path, "rb") as fh:
            for line in fh:
                problem = _check(line, len(records), chain, offset)
                if isinstance(problem, TornTail | Damage):
                    return _contents(path, records, problem, fh)
                records.append(problem)
                chain, offset = problem.chain, offset + len(line)
    except OSError as exc:
        raise RecoveryError(f"cannot read journal: {exc.strerror or exc}",
                            Location(file=os.fspath(path))) from exc
    return JournalContents(path=os.fspath(path), records=records, size=offset)


def _check(line: bytes, index: int, chain: str, offset: int) -> JournalRecord | TornTail | Damage:
    if not line.endswith(b"\n"):
        return TornTail(offset=offset, record=index, size=len(line),
                        reason="incomplete last record (no end of line)")
    try:
        decoded = decode_record(line, index, chain)
        if index == 0:
            check_header(decoded.payload)
    except FrameError as exc:
        return Damage(offset=offset, record=index, reason=str(exc))
    return JournalRecord(seq=index, offset=offset, payload=decoded.payload, chain=decoded.chain)


def _contents(path: str | os.PathLike[str], records: list[JournalRecord],
              problem: TornTail | Damage, fh: Any) -> JournalContents:
    size = os.fstat(fh.fileno()).st_size
    if isinstance(problem, TornTail):
        return JournalContents(path=os.fspath(path), records=records, size=size, torn=problem)
    return JournalContents(path=os.fspath(path), records=records, size=size, damage=problem)


def read_journal(path: str | os.PathLike[str]) -> JournalContents:
    """Read a journal for resuming. A torn tail is reported in `.torn`; any other damage raises
    `RecoveryError` (exit 12) naming the record number and byte offset."""
    contents = scan_journal(path)
    if contents.damage is not None:
        raise damage_error(contents)
    return contents


def damage_error(contents: JournalContents) -> RecoveryError:
    """The `RecoveryError` refusing a damaged journal."""
    damage = contents.damage
    assert damage is not None
    return RecoveryError(f"journal damaged at {damage.describe()}; refusing to resume",
                         Location(file=contents.path), offset=damage.offset, record=damage.record)


def repair_torn_tail(path: str | os.PathLike[str]) -> TornTail | None:
    """Cut a torn final record off the journal, keeping a full copy as ``<journal>.torn-<ts>``.

    Returns the torn tail that was removed, or None when there was none. Other damage raises
    `RecoveryError`. The caller must hold the journal's lock.
    """
    contents = read_journal(path)
    if contents.torn is None:
        return None
    path = Path(path)
    copy = path.with_name(f"{path.name}.torn-{time.strftime('%Y%m%d_%H%M%S')}-{os.getpid()}")
    try:
        shutil.copyfile(path, copy)
        _fsync_file(copy)
        with open(path, "r+b") as fh:
            fh.truncate(contents.torn.offset)
            os.fsync(fh.fileno())
        fsync_dir(path.parent)
    except OSError as exc:
        raise JournalWriteError(f"cannot repair torn journal tail: {exc.strerror or exc}",
                                Location(file=str(path)), errno=exc.errno) from exc
    return contents.torn


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
