"""Console and log-file lines: `[DDMonYY HH:MM:SS] LEVEL: message` (REFERENCE §8.2).

The same line goes to stdout and to the log file. INFO lines carry no level prefix.
Operators grep these lines, so their shape is an interface (SPEC §C2).

When the reader of stdout goes away (a closed pipe, `tasker f.txt | head`), writing to
stdout stops quietly and the log file keeps every line: logging never raises.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import TextIO

LEVELS = {"ERROR": 0, "WARN": 1, "INFO": 2, "DEBUG": 3}
_PREFIX = {"ERROR": "ERROR: ", "WARN": "WARN: ", "INFO": "", "DEBUG": "DEBUG: "}
STAMP_FORMAT = "%d%b%y %H:%M:%S"


def sanitize_stem(name: str, fallback: str = "task") -> str:
    """Basename without extension, `[^A-Za-z0-9._-]` -> `_`, at most 50 characters."""
    stem = Path(name).stem
    clean = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in stem)
    return clean[:50] or fallback


def log_file_path(base_dir: Path, task_file: str, timestamp: str) -> Path:
    """`<base>/log/<stem>_<YYYYmmdd_HHMMSS_ffffff>.log` (REFERENCE §8.1)."""
    return base_dir / "log" / f"{sanitize_stem(task_file)}_{timestamp}.log"


class RunLog:
    """Writes timestamped lines at or above `level` to `stream` and to `log_path`."""

    def __init__(self, level: str = "INFO", log_path: Path | None = None,
                 stream: TextIO | None = None):
        self.level = level if level in LEVELS else "INFO"
        self._threshold = LEVELS[self.level]
        self._stream: TextIO | None = stream if stream is not None else sys.stdout
        self._file: TextIO | None = None
        self.log_path: Path | None = None
        self._second = -1
        self._stamp = ""
        if log_path is not None:
            self.open_file(log_path)

    def open_file(self, log_path: Path) -> None:
        """Start copying lines to `log_path` (parents created); warns instead of raising."""
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self.log_path = log_path
        except OSError as exc:
            self.warn(f"Cannot open log file {log_path}: {exc}")

    def enabled(self, level: str) -> bool:
        """True when lines of `level` are shown."""
        return LEVELS[level] <= self._threshold

    def error(self, msg: str) -> None:
        """An `ERROR:` line."""
        self._emit("ERROR", msg)

    def warn(self, msg: str) -> None:
        """A `WARN:` line."""
        if self._threshold >= 1:
            self._emit("WARN", msg)

    def info(self, msg: str) -> None:
        """An INFO line (no level prefix)."""
        if self._threshold >= 2:
            self._emit("INFO", msg)

    def debug(self, msg: str) -> None:
        """A `DEBUG:` line, only at DEBUG level."""
        if self._threshold >= 3:
            self._emit("DEBUG", msg)

    def always(self, msg: str) -> None:
        """An INFO-shaped line printed whatever the level (the end banner)."""
        self._emit("INFO", msg)

    def close(self) -> None:
        """Close the log file; later lines go to stdout only."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _timestamp(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime(STAMP_FORMAT, time.localtime(now))
        return self._stamp

    def _emit(self, level: str, msg: str) -> None:
        line = f"[{self._timestamp()}] {_PREFIX[level]}{msg}\n"
        if self._stream is not None:
            self._write_stream(line)
        if self._file is not None:
            try:
                self._file.write(line)
            except (OSError, ValueError) as exc:
                self._file = None
                self._write_stream(f"[{self._stamp}] WARN: Log file write failed: {exc}\n")

    def _write_stream(self, line: str) -> None:
        stream = self._stream
        if stream is None:
            return
        try:
            stream.write(line)
            stream.flush()
        except (BrokenPipeError, ValueError):
            self._stream = None
            silence_stdout(stream)
        except OSError:
            self._stream = None


def silence_stdout(stream: TextIO) -> None:
    """Point a dead stdout at /dev/null so the interpreter's exit flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        return


def safe_print(text: str, stream: TextIO | None = None) -> None:
    """Print a plain line (preamble, plan, effective args); a closed pipe is ignored."""
    stream = stream if stream is not None else sys.stdout
    try:
        stream.write(text + "\n")
        stream.flush()
    except (BrokenPipeError, ValueError):
        silence_stdout(stream)
    except OSError:
        return
