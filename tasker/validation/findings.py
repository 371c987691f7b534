"""The validator's options, its report, and the collector the checks write findings into."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tasker.errors import Finding, Location
from tasker.model import TaskBase, Workflow

_SHELL_NAMES = frozenset({"shell", "bash", "sh", "/bin/bash", "/bin/sh", "cmd"})


def builtin_canonical_exec(name: str) -> str | None:
    """Exec types known without a configuration: `local` and the shell aliases."""
    lowered = name.strip().lower()
    if lowered == "local":
        return "local"
    return "shell" if lowered in _SHELL_NAMES else None


def command_on_path(command: str) -> bool:
    """Whether a local command can be found: an executable file path, or a name on PATH."""
    if os.sep in command:
        return Path(command).is_file() and os.access(command, os.X_OK)
    return shutil.which(command) is not None


@functools.cache
def _local_names() -> frozenset[str]:
    own = os.uname().nodename.lower()
    return frozenset({"", "localhost", "localhost.localdomain", "::1", own, own.split(".")[0],
                      *loopback_aliases(read_etc_hosts())})


def etc_hosts_entries(hosts_text: str) -> Iterator[list[str]]:
    """The lower-cased words (address, then names) of each entry of an /etc/hosts text."""
    for line in hosts_text.splitlines():
        words = line.split("#", 1)[0].lower().split()
        if words:
            yield words


def loopback_aliases(hosts_text: str) -> set[str]:
    """Names an /etc/hosts text gives to a loopback address (pure)."""
    return {name for address, *names in etc_hosts_entries(hosts_text)
            if address.startswith("127.") or address == "::1" for name in names}


def read_etc_hosts() -> str:
    try:
        return Path("/etc/hosts").read_text(errors="replace")
    except OSError:
        return ""


def is_this_machine(hostname: str) -> bool:
    """True for a name of the local machine: localhost, a loopback address, this host's own
    name (its first label too), or a name /etc/hosts gives to a loopback address; no DNS
    lookup."""
    name = hostname.strip().lower().rstrip(".")
    return name in _local_names() or name.startswith("127.")


@dataclass(frozen=True)
class ValidationOptions:
    """Switches and injected lookups of the validator (REFERENCE §7.2/§7.3, SPEC D11/D14)."""

    skip_security: bool = False
    skip_command_validation: bool = False
    skip_subtask_range: bool = False
    default_exec_type: str = "local"
    canonical_exec: Callable[[str], str | None] = builtin_canonical_exec
    command_exists: Callable[[str], bool] = command_on_path
    is_local_host: Callable[[str], bool] = is_this_machine


@dataclass(frozen=True)
class ValidationReport:
    """All findings of one validation; the caller raises ValidationFailed when `errors`."""

    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors


class Findings:
    """Collects errors and warnings, each located at file, line, task and field."""

    def __init__(self, workflow: Workflow):
        self.workflow = workflow
        self.errors: list[Finding] = []
        self.warnings: list[Finding] = []

    def error(self, task: TaskBase | None, message: str, key: str | None = None,
              column: int | None = None) -> None:
        """Record an error about `task` (and its field `key`, when given)."""
        self.errors.append(Finding(message, self._where(task, key, column), "error"))

    def warning(self, task: TaskBase | None, message: str, key: str | None = None) -> None:
        """Record a warning about `task` (and its field `key`, when given)."""
        self.warnings.append(Finding(message, self._where(task, key, None), "warning"))

    def warning_at(self, line: int, message: str) -> None:
        """Record a warning about a line that belongs to no task (a global definition)."""
        self.warnings.append(Finding(message, Location(file=self.workflow.source, line=line),
                                     "warning"))

    def report(self) -> ValidationReport:
        """The collected findings."""
        return ValidationReport(self.errors, self.warnings)

    def _where(self, task: TaskBase | None, key: str | None, column: int | None) -> Location:
        if task is None:
            return Location(file=self.workflow.source)
        line = task.lines.get(key, task.line) if key else task.line
        return Location(file=self.workflow.source, line=line, task=task.id, field=key,
                        column=column)


def written_tasks(workflow: Workflow) -> list[TaskBase]:
    """The tasks written in the file, by ID (generated hostnames= subtasks excluded)."""
    return [workflow.tasks[tid] for tid in workflow.task_ids()]
