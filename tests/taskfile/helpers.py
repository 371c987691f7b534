"""Builders shared by the task-file tests."""

from __future__ import annotations

from collections.abc import Mapping

from tasker.model import Workflow
from tasker.taskfile.parser import ParseOptions, parse_workflow

TASK0 = "task=0\nhostname=localhost\ncommand=echo\n"


def parse(text: str, env: Mapping[str, str] | None = None, **options: bool) -> Workflow:
    """Parse `text` as file `t.txt` with the given environment and switches."""
    return parse_workflow(text, "t.txt", ParseOptions(env=env or {}, **options))


def task_block(task_id: int, *lines: str) -> str:
    """A command task block with extra `key=value` lines."""
    extra = "".join(f"{line}\n" for line in lines)
    return f"task={task_id}\nhostname=localhost\ncommand=echo\n{extra}"
