"""The engine's typed events: every transition of a run, exactly as the journal records it.

Events are frozen pydantic models with a `type` discriminator. The runner emits them, the
fold (`tasker.engine.state`) turns them into a `RunState`, and the pure `decide` reads that
state. They never hold output beyond what substitution needs (see `results.TaskResult`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tasker.engine.results import TaskResult

Outcome = Literal["success", "failed", "timeout", "skipped", "cannot_start", "interrupted"]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    at: float = Field(default=0.0, description="wall-clock time (epoch seconds)")


class RunStarted(_Event):
    """A run began: what it runs and with which inputs."""

    type: Literal["run_started"] = "run_started"
    run_id: str
    task_file: str
    task_file_sha256: str = ""
    args: tuple[str, ...] = ()
    globals: dict[str, str] = Field(default_factory=dict)
    dry_run: bool = False
    start_from: int | None = None
    fire_and_forget: bool = False


class RunResumed(_Event):
    """`--auto-recovery` continues this journal's run in a new supervisor (a new segment).

    After a crash nothing that finished is repeated (`restart_task` is None: the folded state
    goes on where it was); after a failure or an interruption the task the run stopped at
    starts again (`restart_task`). `globals` are the values in force from now on.
    """

    type: Literal["run_resumed"] = "run_resumed"
    segment: str
    after: Literal["crash", "failure", "interrupt"]
    restart_task: int | None = None
    globals: dict[str, str] = Field(default_factory=dict)
    start_from: int | None = None
    fire_and_forget: bool = False
    pid: int = 0


class AttemptIntent(_Event):
    """An attempt is about to start (write-ahead: recorded before the shim is spawned)."""

    type: Literal["attempt_intent"] = "attempt_intent"
    task_id: int
    parent: int | None = Field(default=None, description="block running this subtask")
    attempt: int = Field(description="1-based attempt number of this task within the run")
    iteration: int | None = Field(default=None, description="loop iteration, 1-based")
    retry: int = Field(default=0, description="0 for the first try, k for the k-th retry")
    display: str = Field(description="log prefix id: N, N.I, P-S or P-S.K")
    exec_type: str = ""
    hostname: str = ""
    command_line: str = Field(default="", description="argv joined, secrets masked")
    timeout: float = 0.0
    attempt_dir: str | None = None


class AttemptSpawned(_Event):
    """The shim of an attempt runs: its identity, for adoption after a crash."""

    type: Literal["attempt_spawned"] = "attempt_spawned"
    task_id: int
    parent: int | None = None
    attempt: int
    pid: int
    start_time: float
    boot_id: str = ""


class AttemptFinished(_Event):
    """An attempt ended (or was skipped: attempt 0) with its result and every condition on it."""

    type: Literal["attempt_finished"] = "attempt_finished"
    task_id: int
    parent: int | None = None
    attempt: int = Field(description="0 when no attempt ran (skipped by condition)")
    iteration: int | None = None
    retry: int = 0
    outcome: Outcome
    result: TaskResult
    next_value: bool | None = Field(default=None, description="value of `next` on this output")
    loop_break: bool | None = Field(default=None, description="value of `loop_break`")
    result_file: str | None = None
    started_at: float = 0.0


class AttemptInDoubt(_Event):
    """A resumed run found an attempt whose shim is gone without a result (`--in-doubt`).

    `rerun`: this attempt is abandoned and the same step runs again as a new attempt;
    `fail`: an `AttemptFinished` with a failed result follows for this attempt.
    """

    type: Literal["attempt_in_doubt"] = "attempt_in_doubt"
    task_id: int
    parent: int | None = None
    attempt: int
    choice: Literal["rerun", "fail"]
    reason: str = ""


class Slept(_Event):
    """A task's `sleep=` pause (after its final attempt, before routing) is over."""

    type: Literal["slept"] = "slept"
    task_id: int
    seconds: float


class DecisionMade(_Event):
    """A decision block evaluated its condition; its result is stored (SPEC D10)."""

    type: Literal["decision_made"] = "decision_made"
    task_id: int
    passed: bool
    result: TaskResult


class BlockProgress(_Event):
    """A parallel or conditional block started or finished."""

    type: Literal["block_progress"] = "block_progress"
    task_id: int
    phase: Literal["started", "finished"]
    subtasks: tuple[int, ...] = ()
    branch: Literal["true", "false"] | None = None
    result: TaskResult | None = Field(default=None, description="aggregate, when finished")


class Routed(_Event):
    """A routing decision: from a task (None at the start) to a task, or to the end."""

    type: Literal["routed"] = "routed"
    from_task: int | None
    to_task: int | None
    why: str


class RunInterrupted(_Event):
    """SIGINT/SIGTERM arrived: no new work starts."""

    type: Literal["run_interrupted"] = "run_interrupted"
    signal_name: str


class RunFinished(_Event):
    """The run ended with this exit code."""

    type: Literal["run_finished"] = "run_finished"
    exit_code: int
    status: Literal["success", "failed"]
    reason: str
    last_task: int | None = None
    signal_name: str | None = None


Event = Annotated[
    RunStarted | RunResumed | AttemptIntent | AttemptSpawned | AttemptInDoubt | AttemptFinished
    | Slept | DecisionMade | BlockProgress | Routed | RunInterrupted | RunFinished,
    Field(discriminator="type"),
]

# Records made durable (fsynced) before the supervisor acts on them: the intent before the
# shim is spawned (and with it every earlier record), the in-doubt choice, the run's start and
# end. Before recording one, every finished attempt's result.json must be durable.
WRITE_AHEAD = frozenset({"run_started", "run_resumed", "attempt_intent", "attempt_in_doubt",
                         "run_finished"})

# Every event model, for tasker.schemas_gen (schemas/journal_*.schema.json).
EVENT_MODELS: tuple[type[BaseModel], ...] = (
    RunStarted, RunResumed, AttemptIntent, AttemptSpawned, AttemptInDoubt, AttemptFinished,
    Slept, DecisionMade, BlockProgress, Routed, RunInterrupted, RunFinished, TaskResult,
)

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_from_payload(payload: dict) -> Event:
    """Parse one event from a decoded journal payload."""
    return EVENT_ADAPTER.validate_python(payload)

