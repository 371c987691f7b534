"""Legal-state-transition check of a journal's records, using the engine's state tables.

`tasker.engine.states` (when present) holds the run and attempt transition tables and the
`check_run` / `check_attempt` functions; this module maps record types onto those states:

    run_started -> run "started" (each one opens a new run segment: a resume starts again)
    run_interrupted -> run "interrupted";  run_finished -> run "finished"
    attempt_intent / attempt_spawned / attempt_finished -> attempt "intent" / "spawned" /
        "finished", per attempt key (parent, task_id, attempt); attempt 0 (a skipped task, no
        attempt ran) starts fresh each time.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tasker.journal.reader import JournalRecord

RUN_EVENTS = {"run_started": "started", "run_interrupted": "interrupted",
              "run_finished": "finished"}
ATTEMPT_EVENTS = {"attempt_intent": "intent", "attempt_spawned": "spawned",
                  "attempt_finished": "finished"}


@dataclass(frozen=True)
class TransitionProblem:
    """An illegal transition: which record, where, and why."""

    record: int
    offset: int
    reason: str


def load_states() -> ModuleType | None:
    """The engine's state-table module, or None when it is not available."""
    try:
        module = importlib.import_module("tasker.engine.states")
    except ImportError:
        return None
    needed = ("check_run", "check_attempt", "IllegalTransition")
    return module if all(hasattr(module, name) for name in needed) else None


def check_transitions(records: Iterable[JournalRecord],
                      states: ModuleType) -> TransitionProblem | None:
    """The first illegal transition among `records`, or None when all are legal."""
    run: str | None = None
    attempts: dict[tuple[Any, ...], str | None] = {}
    for record in records:
        payload = record.payload
        try:
            if record.type in RUN_EVENTS:
                current = None if record.type == "run_started" else run
                run = states.check_run(current, RUN_EVENTS[record.type])
            elif record.type in ATTEMPT_EVENTS:
                key = _attempt_key(payload)
                current = None if payload.get("attempt") == 0 else attempts.get(key)
                name = f"attempt {payload.get('attempt')} of task {payload.get('task_id')}"
                attempts[key] = states.check_attempt(current, ATTEMPT_EVENTS[record.type], name)
        except states.IllegalTransition as exc:
            return TransitionProblem(record=record.seq, offset=record.offset, reason=str(exc))
    return None


def _attempt_key(payload: dict[str, Any]) -> tuple[Any, ...]:
    return (payload.get("parent"), payload.get("task_id"), payload.get("attempt"))
