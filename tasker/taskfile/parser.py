"""The task-file parser: text -> Workflow, pure (REFERENCE §2, SPEC D5/D10/D13/D14).

    lex the text into (line, key, value) entries
    entries before the first `task=`  -> globals ($ENV, @chains@, names, sanitizer)
    each `task=` up to the next one    -> one task block -> model of its kind
    parallel blocks with hostnames=    -> one generated CommandTask per host
    used globals that kept an unset $ENV -> error (unless task validation is skipped)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from tasker.errors import Location, NoTasksError, TaskFileError
from tasker.model import MAX_TASK_ID, TaskBase, Workflow
from tasker.taskfile.blocks import build_task, hostname_subtasks, task_global_refs
from tasker.taskfile.globalvars import check_used_env, parse_globals
from tasker.taskfile.lexer import Entry, iter_entries

_TASK_LINE = re.compile(r"^\s*task\s*=", re.MULTILINE)


@dataclass(frozen=True)
class ParseOptions:
    """What the parser needs from outside: the environment and the relevant CLI switches."""

    env: Mapping[str, str] = field(default_factory=dict)
    strict_env: bool = False
    skip_security: bool = False
    skip_task_validation: bool = False
    notes: list[str] | None = None    # receives DEBUG notes on ignored lines (REFERENCE §2.1)


def parse_workflow(text: str, source: str, options: ParseOptions) -> Workflow:
    """Parse task-file text into a Workflow; raise TaskFileError / NoTasksError on bad input.

    Entries are consumed lazily, so a bad task ID stops the parse at its line; a file with
    more task blocks than there are task IDs is refused before any block is built.
    """
    _check_task_count(text, source)
    entries = iter_entries(text, options.notes)
    header: list[Entry] = []
    first = next((e for e in entries if e.key == "task" or header.append(e)), None)
    globals_, unexpanded = parse_globals(header, options.env, source, options.strict_env,
                                         options.skip_security)
    if first is None:
        error = NoTasksError(f"No valid tasks found in '{source}'", Location(file=source))
        error.globals_found = len(globals_)
        raise error
    tasks = _build_tasks(first, entries, {n: var.value for n, var in globals_.items()}, source,
                         lenient=options.skip_task_validation)
    if unexpanded and not options.skip_task_validation:
        used = {name for task in tasks.values() for name in task_global_refs(task)}
        check_used_env(globals_, unexpanded, used, source)
    # Tasks and globals are validated models already; constructing the container skips
    # building its schema on every start (tests/taskfile/test_model_construct.py).
    return Workflow.model_construct(source=source, tasks=tasks, globals=globals_)


def _build_tasks(first: Entry, entries: Iterator[Entry], values: dict[str, str],
                 source: str, *, lenient: bool = False) -> dict[int, TaskBase]:
    """Build every task block (and the generated hostnames= subtasks), refusing duplicates."""
    tasks: dict[int, TaskBase] = {}

    def add(block: list[Entry]) -> None:
        task = build_task(block, values, source, lenient=lenient)
        if task.id in tasks:
            _duplicate(task.id, task.line, tasks[task.id].line, source)
        tasks[task.id] = task

    block = [first]
    for entry in entries:
        if entry.key == "task":
            add(block)
            block = [entry]
        else:
            block.append(entry)
    add(block)
    for task in list(tasks.values()):
        tasks.update({sub.id: sub for sub in hostname_subtasks(task)})
    return tasks


def _check_task_count(text: str, source: str) -> None:
    count = len(_TASK_LINE.findall(text))
    if count > MAX_TASK_ID + 1:
        raise TaskFileError(
            f"Task ID security error: the file holds {count} tasks, more than the task-id "
            f"limit allows (valid task IDs are 0-{MAX_TASK_ID})", Location(file=source))


def _duplicate(task_id: int, line: int, first_line: int, source: str) -> None:
    raise TaskFileError(
        f"DUPLICATE TASK ID {task_id} detected (first defined at line {first_line}); "
        "every task needs a unique ID",
        Location(file=source, line=line, task=task_id),
    )
