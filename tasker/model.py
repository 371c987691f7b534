"""Pydantic models of a parsed workflow: a discriminated union of the five task kinds.

The models are the contract between the parser (`tasker.taskfile`), the validator
(`tasker.validation`) and the engine (`tasker.engine`). They are frozen and forbid extra keys.

Field values that TASKER resolves at execution time (`hostname`, `command`, `arguments`,
`exec`, `timeout`, `sleep`, `retry_count`, `retry_delay`, `return`, every condition) are kept
as the raw text written in the file, because they may hold `@VAR@` placeholders. `loop` and
`max_parallel` are resolved from globals at parse time (SPEC D13) and are ints.

Every kind carries every known key: with `--skip-task-validation` TASKER still runs files whose
keys do not fit their kind, so nothing is dropped here. Which keys matter for which kind is the
validator's business (REFERENCE §2.4, §7.2) and the engine's (REFERENCE §5).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Task-file keys TASKER knows (REFERENCE §2.4) plus tasker's `memory_limit`.
# A global with one of these names is an error (SPEC D13).
TASK_FIELD_NAMES: tuple[str, ...] = (
    "task", "hostname", "command", "arguments", "next", "stdout_split", "stderr_split",
    "stdout_count", "stderr_count", "sleep", "loop", "loop_break", "on_failure", "on_success",
    "success", "failure", "condition", "exec", "timeout", "return", "type", "max_parallel",
    "tasks", "retry_failed", "retry_count", "retry_delay", "if_true_tasks", "if_false_tasks",
    "hostnames", "memory_limit",
)

# First generated subtask id of a `hostnames=` block: 100000 + parent * 10000 + index.
GENERATED_ID_BASE = 100000
MAX_TASK_ID = 9999
DEFAULT_MAX_PARALLEL = 8


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class TaskBase(_Frozen):
    """Fields common to every task kind; `lines` maps each written key to its 1-based line."""

    id: int = Field(description="Task ID (0-9999; generated hostnames= subtasks from 100000)")
    line: int = Field(description="Line of the `task=` line")
    lines: dict[str, int] = Field(default_factory=dict, description="key -> line it was written on")
    unknown_fields: tuple[str, ...] = Field(default=(), description="keys TASKER ignores")
    hostname: str | None = None
    command: str | None = None
    arguments: str = ""
    exec: str | None = None
    timeout: str | None = Field(default=None, description="seconds, or a placeholder")
    sleep: str | None = Field(default=None, description="seconds (float), or a placeholder")
    loop: int | None = Field(default=None, description="iterations with next=loop (1-1000)")
    loop_break: str | None = None
    next: str | None = None
    on_success: int | None = None
    on_failure: int | None = None
    success: str | None = None
    failure: str | None = None
    condition: str | None = None
    return_value: str | None = Field(default=None, description="the `return=` key")
    stdout_split: str | None = None
    stderr_split: str | None = None
    retry_failed: bool | None = None
    retry_count: str | None = None
    retry_delay: str | None = None
    memory_limit: str | None = Field(default=None, description="e.g. 512M; tasker extension")
    type_text: str | None = Field(default=None, description="the `type=` value as written")
    parent: int | None = Field(default=None, description="parent block of a generated subtask")


class CommandTask(TaskBase):
    """An ordinary task: runs `command` (needs `hostname` and `command`)."""

    kind: Literal["command"] = "command"


class ReturnTask(TaskBase):
    """A task with `return=` and no command: ends the run with that code."""

    kind: Literal["return"] = "return"


class ParallelTask(TaskBase):
    """`type=parallel`: runs `tasks=` (or one generated subtask per `hostnames=` entry)."""

    kind: Literal["parallel"] = "parallel"
    tasks: tuple[int, ...] = ()
    hostnames: tuple[str, ...] = ()
    max_parallel: int = DEFAULT_MAX_PARALLEL


class ConditionalTask(TaskBase):
    """`type=conditional`: runs `if_true_tasks` or `if_false_tasks` sequentially."""

    kind: Literal["conditional"] = "conditional"
    if_true_tasks: tuple[int, ...] = ()
    if_false_tasks: tuple[int, ...] = ()


class DecisionTask(TaskBase):
    """`type=decision`: no command; routes on `success=` or `failure=`."""

    kind: Literal["decision"] = "decision"


Task = Annotated[
    CommandTask | ReturnTask | ParallelTask | ConditionalTask | DecisionTask,
    Field(discriminator="kind"),
]


class FileArg(_Frozen):
    """One accepted line of the file-defined argument header."""

    text: str = Field(description="the line as written, e.g. --log-level=DEBUG")
    line: int


class GlobalVar(_Frozen):
    """A global variable: `template` as written, `value` after $ENV and @chain@ expansion."""

    name: str
    template: str
    value: str
    line: int
    from_env: bool = Field(default=False, description="the template references $ENV")


class Workflow(_Frozen):
    """A parsed task file: tasks by ID (generated subtasks included) and global variables."""

    source: str = Field(description="task file path as given")
    tasks: dict[int, Task]
    globals: dict[str, GlobalVar] = Field(default_factory=dict)
    header_args: tuple[FileArg, ...] = ()

    def global_values(self) -> dict[str, str]:
        """Name -> expanded value of every global."""
        return {name: var.value for name, var in self.globals.items()}

    def task_ids(self) -> list[int]:
        """Sorted IDs of the tasks written in the file (generated subtasks excluded)."""
        return sorted(tid for tid in self.tasks if tid < GENERATED_ID_BASE)
