"""In-memory fakes for flow tests: a shim that runs nothing, a clock that never waits, a log.

    shim = FakeShim({"deploy": [FakeRun(exit_code=1), FakeRun(stdout="ok\\n")]})
    outcome = run_workflow(wf, options, exec_config, RecordingLog(), shim, clock=FakeClock())

Each `FakeRun` is consumed in order per command (argv[0]); the last one repeats.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasker.shim_protocol import AttemptResult, AttemptSpec, StreamResult

HEAD_BYTES = 100 * 1024


@dataclass(frozen=True)
class FakeRun:
    """What one fake attempt produces."""

    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.01
    timed_out: bool = False
    spawn_error: str | None = None
    spill_threshold: int | None = None   # bytes above which stdout counts as spilled


def stream_result(text: str, patterns: list[str], spill_at: int | None = None,
                  spill_file: str | None = None) -> StreamResult:
    """A StreamResult for `text`, spilled when it is longer than `spill_at` bytes."""
    data = text.encode()
    spilled = spill_at is not None and len(data) > spill_at
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    return StreamResult(bytes=len(data), lines=lines, sha256=hashlib.sha256(data).hexdigest(),
                        text=data[:spill_at].decode() if spilled else text, spilled=spilled,
                        file=spill_file if spilled else None,
                        head=data[:HEAD_BYTES].decode(errors="replace"),
                        matches={p: p in text for p in patterns})


class FakeHandle:
    """A finished fake attempt."""

    _pids = itertools.count(40000)

    def __init__(self, spec: AttemptSpec, result: AttemptResult):
        self.attempt_dir = Path(spec.attempt_dir)
        self.pid = next(self._pids)
        self.start_time = 1.0
        self.boot_id = "fake-boot"
        self.result = result
        self.cancelled: list[bool] = []

    def wait(self, timeout: float | None = None) -> AttemptResult:
        """The attempt's result (immediately)."""
        return self.result

    def cancel(self, skip_grace: bool = False) -> None:
        """Record the cancel request."""
        self.cancelled.append(skip_grace)


@dataclass
class FakeShim:
    """Answers attempts from a script keyed by command (argv[0]); records every spec."""

    script: Mapping[str, FakeRun | list[FakeRun]] = field(default_factory=dict)
    default: FakeRun = FakeRun()
    on_start: Callable[[AttemptSpec], None] | None = None
    specs: list[AttemptSpec] = field(default_factory=list)
    _used: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, spec: AttemptSpec) -> FakeHandle:
        """Record the spec and return a finished handle."""
        with self._lock:
            self.specs.append(spec)
            run = self._next(spec.argv[0] if spec.argv else "")
        if self.on_start is not None:
            self.on_start(spec)
        if run.spawn_error:
            result = AttemptResult(exit_code=127, spawn_error=run.spawn_error,
                                   stderr=stream_result(run.spawn_error, []))
            return FakeHandle(spec, result)
        out_file = f"{spec.attempt_dir}/stdout.spill"
        result = AttemptResult(
            exit_code=124 if run.timed_out else run.exit_code, timed_out=run.timed_out,
            duration=run.duration, started_at=1.0, ended_at=1.0 + run.duration,
            stdout=stream_result(run.stdout, spec.patterns.get("stdout", []),
                                 run.spill_threshold, out_file),
            stderr=stream_result(run.stderr, spec.patterns.get("stderr", [])))
        return FakeHandle(spec, result)

    def _next(self, command: str) -> FakeRun:
        runs = self.script.get(command, self.default)
        if isinstance(runs, FakeRun):
            return runs
        index = self._used.get(command, 0)
        self._used[command] = index + 1
        return runs[min(index, len(runs) - 1)]

    def commands(self) -> list[str]:
        """argv[0] of every attempt, in start order."""
        return [spec.argv[0] for spec in self.specs]


@dataclass
class FakeClock:
    """A clock whose sleeps return at once (recorded, time advanced)."""

    time: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        """Current fake time."""
        return self.time

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Advance time; False when the run was interrupted."""
        self.sleeps.append(seconds)
        self.time += seconds
        return not stop.is_set()


@dataclass
class RecordingLog:
    """A RunLog stand-in that keeps (level, message) pairs."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    log_path: Path | None = None

    def _add(self, level: str, msg: str) -> None:
        self.lines.append((level, msg))

    def info(self, msg: str) -> None:
        """Record an INFO line."""
        self._add("info", msg)

    def warn(self, msg: str) -> None:
        """Record a WARN line."""
        self._add("warn", msg)

    def error(self, msg: str) -> None:
        """Record an ERROR line."""
        self._add("error", msg)

    def debug(self, msg: str) -> None:
        """Record a DEBUG line."""
        self._add("debug", msg)

    def always(self, msg: str) -> None:
        """Record an always-printed line."""
        self._add("always", msg)

    def messages(self, level: str | None = None) -> list[str]:
        """Recorded messages, optionally of one level."""
        return [msg for lvl, msg in self.lines if level is None or lvl == level]


def fake_options(**overrides: Any) -> Any:
    """An `Options` for tests: a real run (`-r`) of `t.txt`, everything else default."""
    from tasker.cli.options import Options

    values: dict[str, Any] = {"task_file": "t.txt", "run": True}
    values.update(overrides)
    return Options(**values)
