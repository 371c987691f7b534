"""Rules that depend on how a task runs: its exec type, the sanitizer mode that follows from it
(REFERENCE §7.3) and the existence of local commands (SPEC D11)."""

from __future__ import annotations

from collections.abc import Mapping

from tasker.model import CommandTask, ParallelTask, TaskBase, Workflow
from tasker.taskfile.syntax import GLOBAL_REF
from tasker.validation.findings import Findings, ValidationOptions
from tasker.validation.security import SHELL, STRICT, check_field, has_placeholder

_SANITIZED = ("hostname", "command", "arguments")


def resolve_exec(task: TaskBase, globals_: Mapping[str, str], options: ValidationOptions
                 ) -> tuple[str, str | None]:
    """(exec name after global substitution, canonical type or None when unknown)."""
    name = task.exec if task.exec is not None else options.default_exec_type
    if "@" in name:
        name = GLOBAL_REF.sub(lambda m: globals_.get(m.group(1), m.group(0)), name)
        if has_placeholder(name):
            return name, None
    return name, options.canonical_exec(name)


def check_execution(tasks: list[TaskBase], workflow: Workflow, options: ValidationOptions,
                    out: Findings) -> None:
    """Exec types, the security sanitizer and local command existence for every task."""
    globals_ = workflow.global_values()
    known: dict[str, bool] = {}
    for task in tasks:
        name, canonical = resolve_exec(task, globals_, options)
        if canonical is None and task.exec is not None and not has_placeholder(name):
            out.warning(task, f"Unknown execution type '{name}'", "exec")
        if not options.skip_security:
            _sanitize(task, SHELL if canonical == SHELL else STRICT, out)
        runs_command = isinstance(task, CommandTask) or (
            isinstance(task, ParallelTask) and task.hostnames)
        if runs_command and canonical == "local" and not options.skip_command_validation:
            _check_command(task, options, known, out)
        if runs_command and canonical == "local" and task.exec is None:
            _check_default_local(task, options, out)


def _check_default_local(task: TaskBase, options: ValidationOptions, out: Findings) -> None:
    """SPEC §B: the default exec type is local, so a task without `exec=` naming another
    host runs on this machine; a warning (DEBUG line and JSON, never WARN) says so."""
    hosts = task.hostnames if isinstance(task, ParallelTask) else (task.hostname or "",)
    for host in hosts:
        if not has_placeholder(host) and not options.is_local_host(host):
            out.warning(task, f"hostname '{host}' is not this machine, but the task has no "
                        "exec= and runs here with the default exec type local", "hostname")


def _sanitize(task: TaskBase, mode: str, out: Findings) -> None:
    for key in _SANITIZED:
        value = getattr(task, key)
        if value is None or (key == "arguments" and not value):
            continue
        for issue in check_field(key, value, mode):
            if issue.severity == "error":
                out.error(task, f"Task field security error: {issue.reason}", key)
            else:
                out.warning(task, f"Security warning: {issue.reason}", key)


def _check_command(task: TaskBase, options: ValidationOptions, known: dict[str, bool],
                   out: Findings) -> None:
    command = task.command
    if not command or "@" in command or "$" in command:
        return
    if command not in known:
        known[command] = options.command_exists(command)
    if not known[command]:
        out.error(task, f"Command '{command}' not found (local execution); use "
                  "--skip-command-validation if it is created at run time", "command")
