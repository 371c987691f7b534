"""The error tree of tasker and the one place that maps errors to exit codes.

    TaskerError                      every error we raise on purpose (exit 1 by default)
    ├── UsageError                   bad command line or file-defined argument syntax (2)
    ├── FileArgumentError            CLI-only flag in the file header (20)
    ├── TaskFileReadError            the task file cannot be read (1)
    ├── TaskFileError                parse-phase error: bad ID, duplicate ID, bad global (20)
    │   └── ConditionSyntaxError     malformed condition, with the column (20)
    ├── ValidationFailed             one or more task-validator errors (20)
    ├── ExecConfigError              execution_types.yaml unusable or exec type unknown (20)
    ├── NoTasksError                 no task in the file (24)
    ├── StartFromError               --start-from names a missing task (12)
    ├── RecoveryError                journal/recovery state refused (12)
    ├── HostValidationError          DNS (21), ping (60), connection test / binary (61)
    ├── InstanceLockedError          another live run owns this task file (25)
    ├── JournalWriteError            the journal cannot be written or fsynced (26)
    └── RunAbort                     the engine stops the run with a given exit code

Every error carries its context (file, line, task, field) so the message can name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Location:
    """Where an error points: file, line (1-based), task id, field name, column (1-based)."""

    file: str | None = None
    line: int | None = None
    task: int | None = None
    field: str | None = None
    column: int | None = None

    def prefix(self) -> str:
        """A human prefix such as `tasks.txt:12: Task 3: field 'next':`."""
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        elif self.line:
            parts.append(f"Line {self.line}")
        if self.task is not None:
            parts.append(f"Task {self.task}")
        if self.field:
            col = f" (column {self.column})" if self.column else ""
            parts.append(f"field '{self.field}'{col}")
        return ": ".join(parts)


class TaskerError(Exception):
    """Base of every error tasker raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None, **context: object):
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        self.context = context

    def __str__(self) -> str:
        prefix = self.location.prefix()
        return f"{prefix}: {self.message}" if prefix else self.message


class UsageError(TaskerError):
    """Bad command line, or a malformed file-defined argument."""

    exit_code = 2


class FileArgumentError(TaskerError):
    """A CLI-only flag written in the task file's argument header."""

    exit_code = 20


class TaskFileReadError(TaskerError):
    """The task file cannot be read (missing, unreadable, not text)."""

    exit_code = 1


class TaskFileError(TaskerError):
    """A parse-phase error in the task file (IDs, globals, field syntax)."""

    exit_code = 20


class ConditionSyntaxError(TaskFileError):
    """A malformed condition; `location.column` is the 1-based column in the condition text."""


@dataclass
class Finding:
    """One validator message; `severity` is 'error' or 'warning'."""

    message: str
    location: Location = field(default_factory=Location)
    severity: str = "error"

    def __str__(self) -> str:
        prefix = self.location.prefix()
        return f"{prefix}: {self.message}" if prefix else self.message


class ValidationFailed(TaskerError):
    """The task validator found errors; `findings` lists all of them."""

    exit_code = 20

    def __init__(self, findings: list[Finding], message: str = "Task validation FAILED."):
        super().__init__(message)
        self.findings = findings


class ExecConfigError(TaskerError):
    """The execution-type configuration is unusable or names no such type."""

    exit_code = 20


class NoTasksError(TaskerError):
    """The task file holds no task (`globals_found`: how many global variables it holds)."""

    exit_code = 24
    globals_found = 0


class StartFromError(TaskerError):
    """`--start-from` names a task that does not exist."""

    exit_code = 12


class RecoveryError(TaskerError):
    """Resume refused: damaged journal, changed task file, unsafe resume."""

    exit_code = 12


class HostValidationError(TaskerError):
    """Host validation failed; exit code 21 (DNS), 60 (unreachable) or 61 (connection test)."""

    def __init__(self, message: str, exit_code: int, failures: list[str] | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.failures = failures or []


class InstanceLockedError(TaskerError):
    """Another live run holds this task file's journal or instance lock."""

    exit_code = 25


class JournalWriteError(TaskerError):
    """The journal could not be written or fsynced (disk full, I/O error)."""

    exit_code = 26


class RunAbort(TaskerError):
    """The engine ends the run early with an explicit exit code (e.g. D12 undefined jump: 20)."""

    def __init__(self, message: str, exit_code: int, location: Location | None = None):
        super().__init__(message, location)
        self.exit_code = exit_code


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error: the one mapping used everywhere."""
    if isinstance(error, TaskerError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return 130
    return 1
