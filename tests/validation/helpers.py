"""Builders shared by the validation tests."""

from __future__ import annotations

from typing import Any

from tasker.model import Workflow
from tasker.taskfile.parser import ParseOptions, parse_workflow
from tasker.validation import ValidationOptions, ValidationReport, validate_workflow


def workflow(text: str) -> Workflow:
    """Parse `text` as `t.txt`."""
    return parse_workflow(text, "t.txt", ParseOptions())


def validate(text: str, **options: Any) -> ValidationReport:
    """Parse and validate; every command exists unless `command_exists` is given."""
    options.setdefault("command_exists", lambda _command: True)
    return validate_workflow(workflow(text), ValidationOptions(**options))


def errors(text: str, **options: Any) -> list[str]:
    """The error messages of a validation."""
    return [finding.message for finding in validate(text, **options).errors]


def warnings(text: str, **options: Any) -> list[str]:
    """The warning messages of a validation."""
    return [finding.message for finding in validate(text, **options).warnings]


def task(task_id: int, *lines: str) -> str:
    """A local command task block with extra `key=value` lines."""
    extra = "".join(f"{line}\n" for line in lines)
    return f"task={task_id}\nhostname=localhost\ncommand=echo\nexec=local\n{extra}"


def tasks(count: int) -> str:
    """Tasks 0..count-1 without extras."""
    return "".join(task(i) for i in range(count))
