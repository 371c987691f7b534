"""Legal-state-transition check of a journal's records, using the engine's state tables.

`tasker.engine.states` (when present) holds the run and attempt transition tables and the
`check_run` / `check_attempt` functions; this module maps record types onto those states:

    run_started -> run "started";  run_resumed -> run "resumed" (a new segment of the run)
    run_interrupted -> run "interrupted";  run_finished -> run "finished"
    attempt_intent / attempt_spawned / attempt_finished -> attempt "intent" / "spawned" /
        "finished", per attempt key (parent, task_id, attempt); attempt 0 (a skipped task, no
        attempt ran) starts fresh each time.
    attempt_in_doubt -> attempt "abandoned" (choice rerun) or "in_doubt" (choice fail)
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tasker.engine.states import IN_DOUBT_STATES
from tasker.journal.reader import JournalRecord

RUN_EVENTS = {"run_started": "started", "run_resumed": "resumed",
              "run_interrupted": "interrupted", "run_finished": "finished"}
ATTEMPT_EVENTS = {"attempt_intent": "intent", "attempt_spawned": "spawned",
                  "attempt_finished": "finished", "attempt_in_doubt": "in_doubt"}


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
                run = states.check_run(run, RUN_EVENTS[record.type])
            elif record.type in ATTEMPT_EVENTS:
                key = _attempt_key(payload)
                current = None if payload.get("attempt") == 0 else attempts.get(key)
                name = f"attempt {payload.get('attempt')} of task {payload.get('task_id')}"
                attempts[key] = states.check_attempt(current, _attempt_state(record), name)
        except states.IllegalTransition as exc:
            return TransitionProblem(record=record.seq, offset=record.offset, reason=str(exc))
    return None


def _attempt_state(record: JournalRecord) -> str:
    if record.type == "attempt_in_doubt":
        return IN_DOUBT_STATES.get(str(record.payload.get("choice")), "in_doubt")
    return ATTEMPT_EVENTS[record.type]


def _attempt_key(payload: dict[str, Any]) -> tuple[Any, ...]:
    return (payload.get("parent"), payload.get("task_id"), payload.get("attempt"))
