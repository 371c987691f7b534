"""The fold: events in, `RunState` out. The only writer of the state `decide` reads.

`RunState.apply(event)` updates the state in place and refuses illegal transitions
(`tasker.engine.states`); `fold(events)` builds a state from a recorded list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tasker.engine import events as ev
from tasker.engine.results import TaskResult
from tasker.engine.states import IN_DOUBT_STATES, check_attempt, check_run
from tasker.variables import ResultView


@dataclass
class AttemptRecord:
    """One attempt of a task, for the JSON `attempts` list."""

    attempt: int
    iteration: int | None
    retry: int
    outcome: str
    exit_code: int
    duration: float


@dataclass
class Visit:
    """Progress of the task the run is at (one visit of it; a jump back starts a new one)."""

    task_id: int
    last: ev.AttemptFinished | None = None
    slept: bool = False
    decision: ev.DecisionMade | None = None
    block: ev.BlockProgress | None = None
    subtasks: dict[int, ev.AttemptFinished] = field(default_factory=dict)


@dataclass
class RunState:
    """Everything `decide` may look at, folded from the events so far."""

    status: str | None = None
    globals: dict[str, str] = field(default_factory=dict)
    results: dict[int, TaskResult] = field(default_factory=dict)
    views: dict[int, ResultView] = field(default_factory=dict)
    attempts: dict[int, list[AttemptRecord]] = field(default_factory=dict)
    attempt_numbers: dict[int, int] = field(default_factory=dict)
    attempt_states: dict[tuple[int, int | None, int], str] = field(default_factory=dict)
    execution_order: list[int] = field(default_factory=list)
    visit: Visit | None = None
    executed: int = 0
    last_task: int | None = None
    last_intent: ev.AttemptIntent | None = None
    interrupted: str | None = None
    finished: ev.RunFinished | None = None
    started_at: float = 0.0
    intents: dict[tuple[int, int | None, int], ev.AttemptIntent] = field(default_factory=dict)

    def apply(self, event: ev.Event) -> None:
        """Fold one event into the state."""
        handler = getattr(self, f"_on_{event.type}")
        handler(event)

    def store(self, result: TaskResult) -> None:
        """Record a result so `@N_...@` and the JSON see it."""
        self.results[result.task_id] = result
        self.views[result.task_id] = to_view(result)

    def _on_run_started(self, event: ev.RunStarted) -> None:
        self.status = check_run(self.status, "started")
        self.globals = dict(event.globals)
        self.started_at = event.at

    def _on_run_resumed(self, event: ev.RunResumed) -> None:
        self.status = check_run(self.status, "resumed")
        self.interrupted, self.finished = None, None
        self.globals = dict(event.globals)
        if event.restart_task is not None:
            self.visit = Visit(event.restart_task)

    def open_intents(self) -> list[ev.AttemptIntent]:
        """Attempts announced but not finished (in flight when a supervisor died)."""
        return [intent for key, intent in self.intents.items()
                if self.attempt_states.get(key) in ("intent", "spawned")]

    def _on_attempt_intent(self, event: ev.AttemptIntent) -> None:
        self._attempt_to(event.task_id, event.parent, event.attempt, "intent")
        self.intents[(event.task_id, event.parent, event.attempt)] = event
        self.attempt_numbers[event.task_id] = max(event.attempt,
                                                  self.attempt_numbers.get(event.task_id, 0))
        if event.parent is None:
            self.last_intent = event

    def _on_attempt_spawned(self, event: ev.AttemptSpawned) -> None:
        self._attempt_to(event.task_id, event.parent, event.attempt, "spawned")

    def _on_attempt_in_doubt(self, event: ev.AttemptInDoubt) -> None:
        self._attempt_to(event.task_id, event.parent, event.attempt,
                         IN_DOUBT_STATES[event.choice])

    def _on_attempt_finished(self, event: ev.AttemptFinished) -> None:
        if event.attempt:
            self._attempt_to(event.task_id, event.parent, event.attempt, "finished")
            self.attempts.setdefault(event.task_id, []).append(AttemptRecord(
                event.attempt, event.iteration, event.retry, event.outcome,
                event.result.exit_code, event.result.duration))
        self.store(event.result)
        ran = event.outcome != "skipped"
        if ran and event.retry == 0:
            self.execution_order.append(event.task_id)
        if event.parent is None:
            self.last_task = event.task_id
            if ran and event.retry == 0:
                self.executed += 1
            if self.visit is not None and self.visit.task_id == event.task_id:
                self.visit.last, self.visit.slept = event, False
        elif self.visit is not None and self.visit.task_id == event.parent:
            self.visit.subtasks[event.task_id] = event

    def _on_slept(self, event: ev.Slept) -> None:
        if self.visit is not None:
            self.visit.slept = True

    def _on_decision_made(self, event: ev.DecisionMade) -> None:
        self.store(event.result)
        self.execution_order.append(event.task_id)
        self.executed += 1
        self.last_task = event.task_id
        if self.visit is not None:
            self.visit.decision = event

    def _on_block_progress(self, event: ev.BlockProgress) -> None:
        if event.phase == "started":
            self.execution_order.append(event.task_id)
            self.executed += 1
        elif event.result is not None:
            self.store(event.result)
        self.last_task = event.task_id
        if self.visit is not None:
            self.visit.block = event

    def _on_routed(self, event: ev.Routed) -> None:
        self.visit = Visit(event.to_task) if event.to_task is not None else None

    def _on_run_interrupted(self, event: ev.RunInterrupted) -> None:
        if self.interrupted is None:
            self.status = check_run(self.status, "interrupted")
        self.interrupted = event.signal_name

    def _on_run_finished(self, event: ev.RunFinished) -> None:
        self.status = check_run(self.status, "finished")
        self.finished = event

    def _attempt_to(self, task_id: int, parent: int | None, attempt: int, new: str) -> None:
        key = (task_id, parent, attempt)
        name = f"attempt {attempt} of task {task_id}"
        self.attempt_states[key] = check_attempt(self.attempt_states.get(key), new, name)


def to_view(result: TaskResult) -> ResultView:
    """What `@N_field@` reads of a stored result."""
    return ResultView(exit_code=result.exit_code, stdout=result.stdout.text,
                      stderr=result.stderr.text, success=result.success,
                      stdout_file=result.stdout.file or "", stderr_file=result.stderr.file or "",
                      hostname=result.hostname, duration=result.duration,
                      success_count=result.success_count, failed_count=result.failed_count,
                      total_count=result.total_count)


def fold(events: Iterable[ev.Event]) -> RunState:
    """A state built from a recorded sequence of events."""
    state = RunState()
    for event in events:
        state.apply(event)
    return state
