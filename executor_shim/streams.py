"""Bounded capture of one output stream: memory up to a threshold, then a 0600 spill file.

Per stream the capture keeps the first `threshold` bytes in memory, the whole stream in the
spill file once it grows past the threshold, and running totals: bytes, newline count,
sha256 and which of the requested patterns occur anywhere in the stream (matches across
chunk boundaries count, thanks to an overlap of the longest pattern's length minus one).
"""

from __future__ import annotations

import hashlib
import os

from executor_shim.resultfile import write_all


class SpillFile:
    """A spill file written by a background thread, so disk writes overlap the hashing.

    At most QUEUED_CHUNKS chunks wait in memory. A write error (ENOSPC, EIO) is kept and
    raised by the next `write`; later chunks are dropped so the reader never blocks.
    """

    QUEUED_CHUNKS = 4

    def __init__(self, path: str):
        import queue  # spilling is rare: keep these two off every forked shim's heap
        import threading

        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        self.error: OSError | None = None
        self.queue = queue.Queue(self.QUEUED_CHUNKS)
        self.thread = threading.Thread(target=self._drain, name="spill", daemon=True)
        self.thread.start()

    def write(self, data: bytes) -> None:
        """Queue a chunk; raises the first write error the thread met."""
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def _drain(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    write_all(self.fd, data)
                except OSError as exc:
                    self.error = exc
            self.queue.task_done()

    def flush(self) -> OSError | None:
        """Wait until every queued chunk is written; return the write error, if any."""
        self.queue.join()
        return self.error

    def close(self) -> OSError | None:
        """Write what is queued, close the file; return the write error, if any."""
        self.queue.put(None)
        self.thread.join()
        os.close(self.fd)
        return self.error


class StreamCapture:
    """Accumulates one stream incrementally; memory stays bounded for any stream size."""

    def __init__(self, spill_path: str, threshold: int, head_bytes: int,
                 patterns: list[str] | None = None):
        self.spill_path = spill_path
        self.threshold = threshold
        self.head_bytes = head_bytes
        self.memory = bytearray()
        self.total = 0
        self.newlines = 0
        self.ends_with_newline = False
        self.digest = hashlib.sha256()
        self.spilled = False
        self.spill: SpillFile | None = None
        self.failed = False
        self.patterns = {p: p.encode("utf-8", "surrogateescape") for p in patterns or ()}
        self.matches = {p: not enc for p, enc in self.patterns.items()}
        longest = max((len(enc) for enc in self.patterns.values()), default=1)
        self.overlap = max(longest - 1, 0)
        self.tail = b""

    def feed(self, data: bytes) -> None:
        """Add a chunk; raises OSError (e.g. ENOSPC) when the spill file cannot be written.

        After such an error the capture keeps counting but writes no more to the file.
        """
        if not data:
            return
        self.digest.update(data)
        self.newlines += data.count(b"\n")
        self.ends_with_newline = data.endswith(b"\n")
        self._scan(data)
        previous = self.total
        self.total += len(data)
        self._store(data, previous)

    def _scan(self, data: bytes) -> None:
        pending = [p for p, hit in self.matches.items() if not hit]
        if pending:
            boundary = self.tail + data[: self.overlap]
            for pattern in pending:
                enc = self.patterns[pattern]
                if enc in boundary or enc in data:
                    self.matches[pattern] = True
        if self.overlap:
            self.tail = (self.tail + data[-self.overlap:])[-self.overlap:]

    def _store(self, data: bytes, previous: int) -> None:
        room = self.threshold - len(self.memory)
        if not self.spilled and self.total <= self.threshold:
            self.memory += data
            return
        if room > 0:
            self.memory += data[:room]
        if self.failed:
            return
        try:
            if self.spill is None:
                self.spilled = True
                self.spill = SpillFile(self.spill_path)
                self.spill.write(bytes(self.memory[:previous]))
            self.spill.write(data)
        except OSError:
            self.failed = True
            raise

    @property
    def lines(self) -> int:
        """Number of lines: newlines, plus one for a non-empty unterminated last line."""
        return self.newlines + (1 if self.total and not self.ends_with_newline else 0)

    def flush(self) -> str | None:
        """Wait for the spill writes; returns a write error not reported yet, if any."""
        error = self.spill.flush() if self.spill is not None else None
        if error is not None and not self.failed:
            self.failed = True
            return str(error)
        return None

    def close(self) -> None:
        """Finish and close the spill file (later errors are not reported)."""
        if self.spill is not None:
            self.spill.close()
            self.spill = None
            self.failed = True  # nothing more can be stored

    def summary(self) -> dict:
        """The stream's entry of result.json (see `tasker.shim_protocol.StreamResult`)."""
        return {
            "bytes": self.total,
            "lines": self.lines,
            "sha256": self.digest.hexdigest(),
            "text": self.memory.decode("utf-8", "replace"),
            "spilled": self.spilled,
            "file": self.spill_path if self.spilled else None,
            "head": self.memory[: self.head_bytes].decode("utf-8", "replace"),
            "matches": dict(self.matches),
        }
