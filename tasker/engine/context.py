"""What the runner's moving parts share: the event recorder, the clock, the shim, live attempts.

    Recorder.emit(event): under one lock, fold the event into the state, keep it, and pass
    it to every sink (journal writer, progress view). Worker threads of parallel blocks emit
    through the same recorder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tasker.engine import events as ev
from tasker.engine.state import RunState
from tasker.variables import ResultView

Sink = Callable[[ev.Event], None]


class Clock(Protocol):
    """Time source and interruptible sleep (a fake one in `tasker.testing`)."""

    def now(self) -> float: ...

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Sleep; return False when `stop` was set before the time was up."""
        ...


class RealClock:
    """The wall clock; sleeps wake up early when the run is interrupted."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Wait up to `seconds`; False if `stop` was set (no maximum: waits in capped steps)."""
        deadline = time.monotonic() + max(0.0, seconds)
        while (left := deadline - time.monotonic()) > 0:
            if stop.wait(min(left, threading.TIMEOUT_MAX)):
                return False
        return not stop.is_set()


class Log(Protocol):
    """What the engine needs of `tasker.report.console.RunLog`."""

    def info(self, msg: str) -> None: ...
    def warn(self, msg: str) -> None: ...
    def error(self, msg: str) -> None: ...
    def debug(self, msg: str) -> None: ...


class Recorder:
    """Folds events into the run state and fans them out; safe to call from worker threads."""

    def __init__(self, state: RunState, sinks: tuple[Sink, ...] = ()):
        self.state = state
        self.events: list[ev.Event] = []
        self._sinks = sinks
        self._lock = threading.RLock()
        self._numbers: dict[int, int] = {}
        self._barriers: list[Callable[[], None]] = []
        self._after_commit: list[Callable[[], None]] = []

    def emit(self, event: ev.Event) -> None:
        """Record one event (a write-ahead one only once every barrier has passed).

        A sink with `defer_sync` (the journal) appends under the lock and returns the fsync,
        run after the lock is released and before `emit` returns: worker threads announcing
        attempts at the same time share fsyncs instead of queueing one each.
        """
        commits = []
        afterwards: list[Callable[[], None]] = []
        with self._lock:
            if event.type in ev.WRITE_AHEAD:
                self.drain_barriers()
                afterwards, self._after_commit = self._after_commit, []
            for sink in self._sinks:
                deferred = getattr(sink, "defer_sync", None)
                commit = deferred(event) if deferred is not None else sink(event)
                if deferred is not None and commit is not None:
                    commits.append(commit)
            self.state.apply(event)
            self.events.append(event)
        try:
            for commit in commits:
                commit()
        finally:
            for action in afterwards:
                action()

    def add_barrier(self, barrier: Callable[[], None]) -> None:
        """Run `barrier` before the next write-ahead event (e.g. wait until an attempt's
        result.json is durable, so its finished record never becomes durable before it)."""
        with self._lock:
            self._barriers.append(barrier)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the next write-ahead event is durable (or failed to be)."""
        with self._lock:
            self._after_commit.append(action)

    def drain_barriers(self) -> None:
        """Run every pending barrier now (each once, even if one raises)."""
        with self._lock:
            barriers, self._barriers = self._barriers, []
            failure: BaseException | None = None
            for barrier in barriers:
                try:
                    barrier()
                except BaseException as exc:  # the others must still run; first one wins
                    failure = failure or exc
            if failure is not None:
                raise failure

    def preload(self, events: list[ev.Event]) -> None:
        """Fold events recorded by an earlier supervisor (no sink sees them again)."""
        with self._lock:
            for event in events:
                self.state.apply(event)
                self.events.append(event)

    def reserve_attempt(self, task_id: int) -> int:
        """The next run-wide attempt number of a task (unique even across threads)."""
        with self._lock:
            number = max(self._numbers.get(task_id, 0), self.state.attempt_numbers.get(task_id, 0))
            self._numbers[task_id] = number + 1
            return number + 1

    def snapshot(self) -> tuple[dict[str, str], dict[int, ResultView]]:
        """Globals and result views as of now, for substitution in another thread."""
        with self._lock:
            return self.state.globals, dict(self.state.views)


@dataclass
class RunContext:
    """Everything an attempt or block needs from the run."""

    wf: Any
    options: Any
    exec_config: Any
    log: Log
    shim: Any
    recorder: Recorder
    clock: Clock
    env: Mapping[str, str]
    run_dir: Path | None
    secrets: tuple[str, ...] = ()
    stop: threading.Event = field(default_factory=threading.Event)
    signal_name: str | None = None
    skip_grace: bool = False
    spill_files: set[str] = field(default_factory=set)
    pending: dict[tuple[int, int | None, int | None, int], ev.AttemptIntent] = field(
        default_factory=dict)
    _live: set[Any] = field(default_factory=set)
    _live_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def dry_run(self) -> bool:
        """True when nothing may run (no `-r`)."""
        return not self.options.run

    def take_pending(self, task_id: int, parent: int | None, iteration: int | None,
                     retry: int) -> ev.AttemptIntent | None:
        """The in-flight attempt a crashed supervisor left for this step, if any (once)."""
        with self._live_lock:
            return self.pending.pop((task_id, parent, iteration, retry), None)

    def drain_pending(self) -> list[ev.AttemptIntent]:
        """Remove and return every in-flight attempt no step has claimed."""
        with self._live_lock:
            left = list(self.pending.values())
            self.pending.clear()
            return left

    def track(self, handle: Any) -> None:
        """Remember a running attempt so a signal can cancel it."""
        with self._live_lock:
            self._live.add(handle)
        if self.stop.is_set():
            handle.cancel(skip_grace=self.skip_grace)

    def untrack(self, handle: Any) -> None:
        """Forget a finished attempt."""
        with self._live_lock:
            self._live.discard(handle)

    def cancel_all(self, skip_grace: bool = False) -> None:
        """Cancel every running attempt (TERM, grace, KILL of their groups)."""
        with self._live_lock:
            handles = list(self._live)
        for handle in handles:
            handle.cancel(skip_grace=skip_grace)

