"""What `decide` can ask the runner to do next. Each action carries the log lines that explain it.

`messages` are (level, text) pairs: level is info, warn, error or debug.
"""

from __future__ import annotations

from dataclasses import dataclass

Messages = tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class Action:
    """Base of all actions."""

    messages: Messages = ()


@dataclass(frozen=True, kw_only=True)
class Goto(Action):
    """Route from a task (None at the start) to task `to_task`."""

    from_task: int | None
    to_task: int
    why: str


@dataclass(frozen=True, kw_only=True)
class RunAttempt(Action):
    """Run one attempt of a command task; wait `delay` seconds first (a retry)."""

    task_id: int
    iteration: int | None = None
    retry: int = 0
    delay: float = 0.0


@dataclass(frozen=True, kw_only=True)
class SkipTask(Action):
    """The task's pre-execution condition is false: store the skipped result."""

    task_id: int


@dataclass(frozen=True, kw_only=True)
class StoreReturn(Action):
    """A return-only task: store its result (success = code 0); finishing comes next."""

    task_id: int
    code: int


@dataclass(frozen=True, kw_only=True)
class SleepAfter(Action):
    """Pause after a task (interruptible; logged but not slept in a dry run)."""

    task_id: int
    seconds: float


@dataclass(frozen=True, kw_only=True)
class RunBlock(Action):
    """Run a parallel or conditional block to completion."""

    task_id: int


@dataclass(frozen=True, kw_only=True)
class MakeDecision(Action):
    """Store a decision block's result."""

    task_id: int
    passed: bool


@dataclass(frozen=True, kw_only=True)
class Finish(Action):
    """End the run with this exit code."""

    exit_code: int
    status: str
    reason: str = ""
    last_task: int | None = None
