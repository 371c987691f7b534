"""One task block (its `task=` entry and the entries after it) -> a task model, pure."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tasker.errors import Location, TaskFileError
from tasker.model import (
    GENERATED_ID_BASE,
    MAX_TASK_ID,
    TASK_FIELD_NAMES,
    CommandTask,
    ConditionalTask,
    DecisionTask,
    ParallelTask,
    ReturnTask,
    TaskBase,
)
from tasker.taskfile.fields import resolve_int, to_bool, to_hostnames, to_int, to_int_list
from tasker.taskfile.lexer import Entry, split_inline_comment
from tasker.taskfile.syntax import NUMERIC_FIELDS, TEXT_FIELDS, global_refs, parse_int

MAX_HOSTNAMES = 1000
_KNOWN = frozenset(TASK_FIELD_NAMES)
_BLOCK_KINDS = {"parallel": ParallelTask, "conditional": ConditionalTask,
                "decision": DecisionTask}
# Keys a `hostnames=` block copies into each generated subtask (not success=: SPEC D10).
_SUBTASK_COPIED = ("command", "arguments", "exec", "timeout", "retry_count", "retry_delay",
                   "failure", "stdout_split", "stderr_split", "memory_limit")
_TYPED_KEYS = frozenset({"on_success", "on_failure", "loop", "retry_failed"})
_LIST_KEYS = {ParallelTask: ("tasks",), ConditionalTask: ("if_true_tasks", "if_false_tasks")}
_SUBTASK_ATTRS = {key: TEXT_FIELDS[key] for key in _SUBTASK_COPIED}


def parse_task_id(entry: Entry, source: str) -> int:
    """The ID of a `task=` line; REFERENCE §2.3 range rules (0-9999)."""
    value = split_inline_comment(entry, True, source)
    task_id = parse_int(value)
    if task_id is not None and 0 <= task_id <= MAX_TASK_ID:
        return task_id
    location = Location(file=source, line=entry.line, field="task")
    if task_id is None and not value.strip().lstrip("+-").isdigit():
        raise TaskFileError(f"Task ID '{value[:80]}' is not a valid integer.", location)
    if task_id is not None and task_id < 0:
        raise TaskFileError(f"Task ID {task_id} is negative (valid range 0-{MAX_TASK_ID})",
                            location)
    raise TaskFileError(
        f"Task ID security error: Task ID {value[:20]} is out of range "
        f"(valid task IDs are 0-{MAX_TASK_ID})", location)


def build_task(block: list[Entry], globals_: Mapping[str, str], source: str, *,
               lenient: bool = False) -> TaskBase:
    """Build the model of one task block; raises TaskFileError naming line, task and field.

    `lenient` (--skip-task-validation): a text field keeps an inline comment as written
    (REFERENCE §7.2 counts that check among the validator's)."""
    task_id = parse_task_id(block[0], source)
    raw, lines, unknown = _collect(block[1:], task_id, source, lenient=lenient)
    kind = _BLOCK_KINDS.get(raw.get("type", "").strip().lower())
    if kind is None:
        kind = ReturnTask if "return" in raw and "command" not in raw else CommandTask
    values: dict[str, Any] = {TEXT_FIELDS[k]: v for k, v in raw.items() if k in TEXT_FIELDS}
    values.update(_typed(raw, lines, kind, globals_=globals_, task_id=task_id,
                         source=source))
    return kind(id=task_id, line=block[0].line, lines=lines, unknown_fields=tuple(unknown),
                **values)


def hostname_subtasks(task: TaskBase) -> Iterator[CommandTask]:
    """The generated subtasks of a `hostnames=` parallel block (none for other tasks)."""
    if not isinstance(task, ParallelTask) or "hostnames" not in task.lines:
        return
    copied = {attr: getattr(task, attr) for attr in _SUBTASK_ATTRS.values()}
    lines = {key: task.lines[key] for key in _SUBTASK_COPIED if key in task.lines}
    lines["hostname"] = task.lines["hostnames"]
    base = GENERATED_ID_BASE + task.id * 10000
    for index, host in enumerate(task.hostnames):
        sub_id = base + index
        arguments = copied["arguments"].replace("@task@", str(sub_id))
        yield CommandTask(id=sub_id, line=task.line, lines=lines, hostname=host,
                          parent=task.id, **{**copied, "arguments": arguments})


def task_global_refs(task: TaskBase) -> Iterator[str]:
    """Every `@NAME@` global name referenced by the task's text fields."""
    for attr in TEXT_FIELDS.values():
        value = getattr(task, attr)
        if value and "@" in value:
            yield from global_refs(value)


def _collect(entries: list[Entry], task_id: int, source: str, *, lenient: bool = False
             ) -> tuple[dict[str, str], dict[str, int], list[str]]:
    """Raw values (inline-comment rule applied), key lines and unknown keys of a block."""
    raw: dict[str, str] = {}
    lines: dict[str, int] = {}
    unknown: list[str] = []
    for entry in entries:
        lines[entry.key] = entry.line
        if entry.key not in _KNOWN:
            if entry.key not in unknown:
                unknown.append(entry.key)
            continue
        numeric = entry.key in NUMERIC_FIELDS
        raw[entry.key] = (entry.value if lenient and not numeric else
                          split_inline_comment(entry, numeric, source, task_id))
    return raw, lines, unknown


def _typed(raw: dict[str, str], lines: dict[str, int], kind: type, *,
           globals_: Mapping[str, str], task_id: int, source: str) -> dict[str, Any]:
    """The non-text model values of a block: ints, lists, booleans, host names."""
    def where(key: str) -> Location:
        return Location(file=source, line=lines[key], task=task_id, field=key)

    values: dict[str, Any] = {}
    if kind not in _LIST_KEYS and _TYPED_KEYS.isdisjoint(raw):
        return values
    for key in ("on_success", "on_failure"):
        if key in raw:
            values[key] = to_int(raw[key], where(key))
    if "loop" in raw:
        values["loop"] = resolve_int(raw["loop"], globals_, where("loop"))
    if "retry_failed" in raw:
        values["retry_failed"] = to_bool(raw["retry_failed"], where("retry_failed"))
    if kind is ParallelTask:
        values.update(_parallel_values(raw, where, globals_))
    for key in _LIST_KEYS.get(kind, ()):
        if key in raw:
            values[key] = to_int_list(raw[key], where(key))
    return values


def _parallel_values(raw: dict[str, str], where: Any, globals_: Mapping[str, str]
                     ) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "max_parallel" in raw:
        values["max_parallel"] = resolve_int(raw["max_parallel"], globals_,
                                             where("max_parallel"))
    if "hostnames" in raw:
        hosts = to_hostnames(raw["hostnames"])
        if len(hosts) > MAX_HOSTNAMES:
            raise TaskFileError(f"hostnames= lists {len(hosts)} hosts (at most "
                                f"{MAX_HOSTNAMES})", where("hostnames"))
        values["hostnames"] = hosts
    return values
