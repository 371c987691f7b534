"""`tasker journal replay PATH`: re-derive every decision of a journaled run and compare.

    parse the task file named in the header (its sha256 must match the journal's)
    fold the records in order; at every point where the live runner called `decide`,
    call the same function on the same folded state and check that the records which
    follow are what that action produces:
        Goto -> routed         RunAttempt -> intent ... finished     SkipTask/StoreReturn ->
        finished (attempt 0)   SleepAfter -> slept    MakeDecision -> decision_made (passed)
        RunBlock -> block started ... finished        Finish -> run_finished (exit, status)
    report the first divergence (record number and both sides), or how many decisions agree

Command output is read back from the attempts' result.json files where they still exist
(conditions on a task's own output are in its record and need no file).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasker.engine import actions as act
from tasker.engine import events as ev
from tasker.engine.decide import DecideContext, decide
from tasker.engine.state import RunState
from tasker.journal.reader import JournalContents
from tasker.journal.recovery import parse_events, restore_outputs

SEGMENT_EVENTS = ("run_started", "run_resumed")
PASSIVE_EVENTS = ("run_interrupted", "attempt_in_doubt", "attempt_spawned")


@dataclass
class ReplayReport:
    """What a replay found: decisions checked, the first divergence, whether the run ended."""

    decisions: int = 0
    divergence: str | None = None
    finished: bool = False


def load_workflow(contents: JournalContents, task_file: str | None = None) -> Any:
    """Parse the journal's task file; ValueError when it is missing or changed."""
    from tasker.report.backup import file_sha256
    from tasker.taskfile.parser import ParseOptions, parse_workflow

    header = contents.header or {}
    path = task_file or header.get("task_file")
    if not path or not Path(path).is_file():
        raise ValueError(f"task file {path or '(not recorded)'} not found; pass --task-file")
    if file_sha256(path) != header.get("task_file_sha256"):
        raise ValueError(f"task file {path} changed since the run (sha256 differs)")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    options = ParseOptions(env=os.environ, skip_security=True, skip_task_validation=True)
    return parse_workflow(text, path, options)


def replay(contents: JournalContents, wf: Any) -> ReplayReport:
    """Fold the journal's events and check each recorded step against `decide`."""
    events = restore_outputs(parse_events(contents), wf)
    seqs = [record.seq for record in contents.records[1:]]
    walk = _Walk(wf, events, seqs)
    walk.run()
    return walk.report


class _Walk:
    def __init__(self, wf: Any, events: Sequence[ev.Event], seqs: Sequence[int]):
        self.wf, self.events, self.seqs = wf, events, seqs
        self.state = RunState()
        self.ctx = DecideContext()
        self.report = ReplayReport()
        self.i = 0

    def run(self) -> None:
        while self.i < len(self.events) and self.report.divergence is None:
            event = self.events[self.i]
            if event.type in SEGMENT_EVENTS:
                self.ctx = DecideContext(fire_and_forget=event.fire_and_forget,
                                         start_from=event.start_from)
            if event.type in SEGMENT_EVENTS or event.type in PASSIVE_EVENTS \
                    or self.state.status in (None, "finished"):
                self._apply(1)
                continue
            self._step(decide(self.wf, self.state, self.ctx))
        self.report.finished = self.state.finished is not None

    def _apply(self, count: int) -> None:
        for event in self.events[self.i:self.i + count]:
            self.state.apply(event)
        self.i += count

    def _step(self, action: act.Action) -> None:
        self.report.decisions += 1
        expected = _expected_type(action)
        event = self.events[self.i]
        if isinstance(event, ev.RunFinished) and expected in ("attempt_intent",
                                                              "block_progress"):
            self._apply(1)  # the runner aborted the step (RunAbort) and ended the run
            return
        problem = _mismatch(action, event, expected)
        if problem is not None:
            self.report.divergence = (f"record {self.seqs[self.i]}: decide says "
                                      f"{_describe(action)}, journal has {problem}")
            return
        self._apply(self._extent(action))

    def _extent(self, action: act.Action) -> int:
        """How many events (from the current one) the action produced."""
        if isinstance(action, act.RunAttempt):
            return self._until(lambda e: isinstance(e, ev.AttemptFinished)
                               and e.parent is None and e.task_id == action.task_id)
        if isinstance(action, act.RunBlock):
            return self._until(lambda e: isinstance(e, ev.BlockProgress)
                               and e.phase == "finished" and e.task_id == action.task_id)
        return 1

    def _until(self, last: Any) -> int:
        for offset, event in enumerate(self.events[self.i:]):
            if last(event):
                return offset + 1
        return len(self.events) - self.i


def _expected_type(action: act.Action) -> str:
    return {act.Goto: "routed", act.RunAttempt: "attempt_intent",
            act.SkipTask: "attempt_finished", act.StoreReturn: "attempt_finished",
            act.SleepAfter: "slept", act.RunBlock: "block_progress",
            act.MakeDecision: "decision_made", act.Finish: "run_finished"}[type(action)]


def _mismatch(action: act.Action, event: ev.Event, expected: str) -> str | None:
    """None when `event` is what `action` starts with, else a description of the event."""
    if event.type != expected and not (isinstance(action, act.RunBlock)
                                       and event.type == "attempt_intent"):
        return _describe_event(event)
    checks: dict[type, Any] = {
        act.Goto: lambda: (event.from_task, event.to_task) == (action.from_task,
                                                              action.to_task),
        act.RunAttempt: lambda: (event.task_id, event.parent, event.iteration, event.retry)
        == (action.task_id, None, action.iteration, action.retry),
        act.SkipTask: lambda: event.task_id == action.task_id and event.outcome == "skipped",
        act.StoreReturn: lambda: (event.task_id, event.result.exit_code)
        == (action.task_id, action.code),
        act.SleepAfter: lambda: event.task_id == action.task_id,
        act.RunBlock: lambda: getattr(event, "task_id", None) == action.task_id
        or getattr(event, "parent", None) == action.task_id,
        act.MakeDecision: lambda: (event.task_id, event.passed) == (action.task_id,
                                                                   action.passed),
        act.Finish: lambda: (event.exit_code, event.status) == (action.exit_code,
                                                               action.status),
    }
    return None if checks[type(action)]() else _describe_event(event)


def _describe(action: act.Action) -> str:
    fields = {k: v for k, v in vars(action).items() if k != "messages"}
    return f"{type(action).__name__}({', '.join(f'{k}={v!r}' for k, v in fields.items())})"


def _describe_event(event: ev.Event) -> str:
    keys = ("task_id", "parent", "iteration", "retry", "from_task", "to_task", "passed",
            "exit_code", "status", "outcome", "phase")
    data = event.model_dump()
    shown = ", ".join(f"{k}={data[k]!r}" for k in keys if k in data)
    return f"{event.type}({shown})"
