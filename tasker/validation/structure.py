"""Per-task structure rules (REFERENCE §2.4, §7.2; SPEC D3, D4, D7): required fields per
kind, value ranges, routing and loop rules, keys that do not fit the task's kind."""

from __future__ import annotations

import math

from tasker.conditions.next_spec import is_loop
from tasker.model import (
    MAX_TASK_ID,
    CommandTask,
    ConditionalTask,
    DecisionTask,
    ParallelTask,
    ReturnTask,
    TaskBase,
)
from tasker.sizes import parse_size
from tasker.taskfile.syntax import parse_int
from tasker.validation.findings import Findings
from tasker.validation.security import has_placeholder

MAX_TIMEOUT = 604800
_KIND_NAMES = {CommandTask: "normal", ReturnTask: "return", ParallelTask: "parallel",
               ConditionalTask: "conditional", DecisionTask: "decision"}
# Keys that only mean something on some kinds; elsewhere they are ignored (a warning).
_KEY_KINDS = {
    "tasks": (ParallelTask,), "max_parallel": (ParallelTask,), "hostnames": (ParallelTask,),
    "if_true_tasks": (ConditionalTask,), "if_false_tasks": (ConditionalTask,),
}


def check_task(task: TaskBase, out: Findings) -> None:
    """Every structure rule for one task written in the file."""
    for key in task.unknown_fields:
        out.warning(task, f"Unknown field '{key}' is ignored", key)
    for key, kinds in _KEY_KINDS.items():
        if key in task.lines and not isinstance(task, kinds):
            out.warning(task, f"Field '{key}' is ignored on a {_kind(task)} task", key)
    _REQUIRED[type(task)](task, out)
    _check_values(task, out)
    _check_routing(task, out)
    if task.success is not None and task.failure is not None:
        out.error(task, "cannot have both 'success' and 'failure'", "failure")


def _kind(task: TaskBase) -> str:
    return _KIND_NAMES[type(task)]


def _require_command(task: CommandTask, out: Findings) -> None:
    if not task.command and not task.hostname:
        out.error(task, "must have either a command+hostname, a return value, "
                  "or be a parallel/conditional/decision task")
        return
    for key in ("hostname", "command"):
        if not getattr(task, key):
            out.error(task, f"Missing required field '{key}'", key if key in task.lines else None)


def _require_nothing(task: TaskBase, out: Findings) -> None:
    """Return tasks carry their `return=` by construction."""


def _require_parallel(task: ParallelTask, out: Findings) -> None:
    has_tasks, has_hosts = "tasks" in task.lines, "hostnames" in task.lines
    if has_tasks == has_hosts:
        out.error(task, "parallel task needs exactly one of 'tasks' or 'hostnames'", "type")
    elif has_tasks and not task.tasks:
        out.error(task, "'tasks' is empty", "tasks")
    elif has_hosts and not task.command:
        out.error(task, "a 'hostnames' parallel task requires 'command'", "hostnames")
    if not has_hosts:
        _forbid(task, out, ("failure", "timeout"))
    if task.max_parallel < 1:
        out.error(task, f"max_parallel must be at least 1 (got {task.max_parallel})",
                  "max_parallel")
    elif task.max_parallel > 20:
        out.warning(task, f"max_parallel={task.max_parallel} is high", "max_parallel")
    count = len(task.tasks) or len(task.hostnames)
    if count and task.max_parallel > count and "max_parallel" in task.lines:
        out.warning(task, f"max_parallel={task.max_parallel} exceeds the {count} subtasks",
                    "max_parallel")


def _require_conditional(task: ConditionalTask, out: Findings) -> None:
    if task.condition is None:
        out.error(task, "conditional task requires 'condition'", "type")
    for key in ("if_true_tasks", "if_false_tasks"):
        if key not in task.lines:
            out.error(task, f"conditional task requires '{key}'", "type")
        elif not getattr(task, key):
            out.error(task, f"'{key}' is empty", key)
    _forbid(task, out, ("failure", "timeout"))


def _require_decision(task: DecisionTask, out: Findings) -> None:
    if task.success is None and task.failure is None:
        out.error(task, "decision task requires 'success' or 'failure'", "type")
    _forbid(task, out, ("command", "hostname", "arguments", "timeout"))
    for key in ("exec", "stdout_split", "stderr_split", "stdout_count", "stderr_count"):
        if key in task.lines:
            out.warning(task, f"Field '{key}' is ignored on a decision task", key)


_REQUIRED = {CommandTask: _require_command, ReturnTask: _require_nothing,
             ParallelTask: _require_parallel, ConditionalTask: _require_conditional,
             DecisionTask: _require_decision}


def _forbid(task: TaskBase, out: Findings, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in task.lines:
            out.error(task, f"Field '{key}' is not allowed on a {_kind(task)} task", key)


def _check_values(task: TaskBase, out: Findings) -> None:
    """Numeric and formatted values: timeout, sleep, return, retries, splits, memory."""
    if task.timeout is not None:
        if isinstance(task, ReturnTask):
            out.error(task, "Field 'timeout' is not allowed on a return task", "timeout")
        _check_timeout(task, task.timeout, out)
    if task.sleep is not None:
        _check_sleep(task, task.sleep, out)
    if task.return_value is not None:
        _check_int(task, "return", task.return_value, out, low=None, literal=True)
    if task.retry_count is not None:
        _check_int(task, "retry_count", task.retry_count, out, low=1, high=1000, warn=100)
    if task.retry_delay is not None:
        _check_int(task, "retry_delay", task.retry_delay, out, low=0, warn=300)
    if (task.retry_count or task.retry_delay) and isinstance(task, ReturnTask | DecisionTask):
        out.warning(task, f"retry fields are ignored on a {_kind(task)} task", "retry_count")
    for key in ("stdout_split", "stderr_split"):
        if getattr(task, key) is not None:
            _check_split(task, key, getattr(task, key), out)
    memory = task.memory_limit
    if memory is not None and not has_placeholder(memory):
        try:
            parse_size(memory)
        except ValueError as exc:
            out.error(task, f"invalid memory_limit: {exc}", "memory_limit")


def _check_int(task: TaskBase, key: str, text: str, out: Findings, *, low: int | None,
               high: int | None = None, warn: int | None = None, literal: bool = False) -> None:
    """An integer field; `@...@` is resolved at run time unless `literal` (`return`, which
    REFERENCE §4.2 does not substitute)."""
    if has_placeholder(text) and not literal:
        return
    value = parse_int(text)
    if value is None:
        out.error(task, f"{key} must be an integer (got '{text[:80]}')", key)
    elif (low is not None and value < low) or (high is not None and value > high):
        limits = f"{low}-{high}" if high is not None else f"at least {low}"
        out.error(task, f"{key}={value} is out of range ({limits})", key)
    elif warn is not None and value > warn:
        out.warning(task, f"{key}={value} is unusually high", key)
    elif key == "return" and value < 0:
        out.warning(task, f"return={value} is negative (exit status is the value mod 256)",
                    key)


def _check_timeout(task: TaskBase, text: str, out: Findings) -> None:
    if has_placeholder(text):
        return
    value = parse_int(text)
    if value is None:
        out.error(task, f"timeout must be an integer number of seconds (got '{text[:80]}')",
                  "timeout")
    elif value < 5:
        out.warning(task, f"timeout={value} is below the minimum; 5 seconds will be used",
                    "timeout")
    elif value > MAX_TIMEOUT:
        out.warning(task, f"timeout={value} is above {MAX_TIMEOUT}; {MAX_TIMEOUT} seconds "
                    "will be used", "timeout")


def _check_sleep(task: TaskBase, text: str, out: Findings) -> None:
    if has_placeholder(text):
        return
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        out.error(task, f"sleep must be a number of seconds (got '{text[:80]}')", "sleep")
    elif value < 0:
        out.warning(task, f"sleep={text} is negative; no sleep will happen", "sleep")


def _check_split(task: TaskBase, key: str, text: str, out: Findings) -> None:
    if text.count(",") != 1:
        out.error(task, f"{key} must be DELIMITER,INDEX (got '{text[:80]}')", key)
        return
    index = text.split(",")[1].strip()
    if has_placeholder(index):
        return
    value = parse_int(index)
    if value is None:
        out.error(task, f"{key} index must be an integer (got '{index[:80]}')", key)
    elif value < 0:
        out.warning(task, f"{key} index {value} is negative; output stays unchanged", key)


def _check_routing(task: TaskBase, out: Findings) -> None:
    """on_success/on_failure targets, loop pairing, numeric next (REFERENCE §7.2)."""
    for key in ("on_success", "on_failure"):
        target = getattr(task, key)
        if target is None:
            continue
        if not 0 <= target <= MAX_TASK_ID:
            out.error(task, f"{key}={target} is out of range (0-{MAX_TASK_ID})", key)
        elif target <= task.id:
            out.error(task, f"{key}={target} jumps backwards or to itself; routing must "
                      "go to a higher task ID (forward-only rule, prevents infinite loops)",
                      key)
    next_text = (task.next or "").strip()
    if next_text.isdigit():
        out.error(task, f"next={next_text}: Direct task jumping is not supported; use "
                  "on_success/on_failure", "next")
    loops = is_loop(next_text)
    if task.loop is not None and not loops:
        out.error(task, "'loop' requires next=loop", "loop")
    elif loops and task.loop is None:
        out.error(task, "next=loop requires 'loop'", "next")
    elif task.loop is not None and not 1 <= task.loop <= 1000:
        out.error(task, f"loop={task.loop} is out of range (1-1000)", "loop")
    elif task.loop is not None and task.loop > 100:
        out.warning(task, f"loop={task.loop} is unusually high", "loop")

