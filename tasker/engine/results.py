"""Stored task results: what `@N_...@`, conditions, the JSON document and the journal read.

A `TaskResult` never holds more output than substitution needs: the whole stream when it
stayed in memory (at most 1 MiB), else its first 100 KiB plus the spill file, size and
sha256 (SPEC B3).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SKIPPED_STDERR = "Task skipped due to condition"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class StreamSummary(_Frozen):
    """One output stream of a result: text for substitution plus references to the rest."""

    text: str = Field(default="", description="after split; the first 100 KiB when truncated")
    bytes: int = 0
    sha256: str = ""
    file: str | None = Field(default=None, description="spill file holding the whole stream")
    truncated: bool = Field(default=False, description="text is only the head of the stream")


class TaskResult(_Frozen):
    """The stored result of a task, subtask, block or decision (REFERENCE §4.1, SPEC D6)."""

    task_id: int
    exit_code: int
    success: bool
    stdout: StreamSummary = StreamSummary()
    stderr: StreamSummary = StreamSummary()
    hostname: str = ""
    duration: float = 0.0
    skipped: bool = False
    timed_out: bool = False
    success_count: int | None = None
    failed_count: int | None = None
    total_count: int | None = None


def text_result(task_id: int, exit_code: int, success: bool, stdout: str = "",
                stderr: str = "", **extra: object) -> TaskResult:
    """A result whose outputs are short texts (dry runs, skips, blocks, decisions)."""
    return TaskResult(task_id=task_id, exit_code=exit_code, success=success,
                      stdout=StreamSummary(text=stdout, bytes=len(stdout.encode())),
                      stderr=StreamSummary(text=stderr, bytes=len(stderr.encode())),
                      **extra)


def skipped_result(task_id: int, hostname: str = "") -> TaskResult:
    """The result of a task whose pre-execution `condition` was false (REFERENCE §5.3)."""
    return text_result(task_id, -1, False, "", SKIPPED_STDERR, skipped=True, hostname=hostname)

