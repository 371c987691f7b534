"""A one-line progress view for terminals (SPEC C): current task, block k/n done, elapsed.

Only active when the stream is a TTY. It is an event sink; a ticker thread redraws the line
once a second after work has run for `delay` seconds, and `ProgressLog` wipes the line before
any log line is printed, so log output is never mixed with it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, TextIO

from tasker.engine import events as ev


class Progress:
    """Draws `[progress] Task 3: 12s` or `[progress] Task 5: 7/20 done, 31s` on a terminal."""

    def __init__(self, stream: TextIO, delay: float = 2.0, interval: float = 1.0):
        self.stream = stream
        self.delay, self.interval = delay, interval
        self._lock = threading.Lock()
        self._label: str | None = None
        self._block: tuple[int, int, int] | None = None   # (id, done, total)
        self._since = 0.0
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def wanted(stream: Any) -> bool:
        """True when `stream` is a terminal."""
        try:
            return bool(stream.isatty())
        except (AttributeError, ValueError):
            return False

    def start(self) -> None:
        """Start the ticker thread."""
        self._thread = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the ticker and wipe the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.clear()

    def __call__(self, event: ev.Event) -> None:
        """Event sink: follow the current task and block."""
        with self._lock:
            if isinstance(event, ev.BlockProgress):
                self._on_block(event)
            elif isinstance(event, ev.AttemptIntent) and event.parent is None:
                self._label, self._since = f"Task {event.display}", time.monotonic()
            elif (isinstance(event, ev.AttemptFinished) and event.parent is not None
                  and event.retry == 0):
                self._count_done()

    def _on_block(self, event: ev.BlockProgress) -> None:
        if event.phase == "started":
            self._block = (event.task_id, 0, len(event.subtasks))
            self._label, self._since = f"Task {event.task_id}", time.monotonic()
        else:
            self._block, self._label = None, None

    def _count_done(self) -> None:
        if self._block is not None:
            bid, done, total = self._block
            self._block = (bid, min(done + 1, total), total)

    def clear(self) -> None:
        """Wipe the progress line (before a log line is written)."""
        with self._lock:
            if self._shown:
                self._write("\r\x1b[2K")
                self._shown = False

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                text = self._text()
                if text:
                    self._write(f"\r\x1b[2K{text}")
                    self._shown = True

    def _text(self) -> str | None:
        if self._label is None:
            return None
        elapsed = time.monotonic() - self._since
        if elapsed < self.delay:
            return None
        if self._block is not None:
            _, done, total = self._block
            return f"[progress] {self._label}: {done}/{total} done, {elapsed:.0f}s"
        return f"[progress] {self._label}: {elapsed:.0f}s"

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()


class ProgressLog:
    """Wraps a RunLog so the progress line is wiped before every log line."""

    def __init__(self, log: Any, progress: Progress):
        self._log, self._progress = log, progress

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._log, name)
        if name not in ("info", "warn", "error", "debug", "always"):
            return target

        def emit(msg: str) -> None:
            self._progress.clear()
            target(msg)

        return emit
