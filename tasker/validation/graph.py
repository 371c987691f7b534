"""Rules about the task graph (REFERENCE §5.9, §5.15, §7.2): block subtasks, the gap rule,
reachability and the subtask ID-range recommendation. Every pass is linear in the tasks."""

from __future__ import annotations

import ipaddress
import re
from collections import deque
from collections.abc import Iterable
from itertools import pairwise

from tasker.model import ConditionalTask, ParallelTask, TaskBase, Workflow
from tasker.taskfile.blocks import MAX_HOSTNAMES
from tasker.validation.findings import Findings

MIN_HOSTNAMES = 2
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_DOTTED_NUMBERS = re.compile(r"[0-9]+(\.[0-9]+){3}")


def block_subtasks(task: TaskBase) -> list[tuple[str, int]]:
    """(key, subtask ID) for every subtask a parallel/conditional block lists."""
    if task.kind == "parallel":
        return [("tasks", sub) for sub in task.tasks]   # type: ignore[attr-defined]
    if task.kind == "conditional":
        return [(key, sub) for key in ("if_true_tasks", "if_false_tasks")
                for sub in getattr(task, key)]
    return []


def explicit_targets(tasks: list[TaskBase]) -> dict[int, list[int]]:
    """Per task: the IDs its on_success/on_failure name and its block lists (if any)."""
    targets: dict[int, list[int]] = {}
    for task in tasks:
        found = [t for t in (task.on_success, task.on_failure) if t is not None]
        if task.kind in ("parallel", "conditional"):
            found += [sub for _key, sub in block_subtasks(task)]
        if found:
            targets[task.id] = found
    return targets


def check_blocks(tasks: list[TaskBase], workflow: Workflow, out: Findings,
                 skip_subtask_range: bool) -> None:
    """Subtasks may not nest blocks, loop or route; hostnames= lists; ID-range advice."""
    for task in tasks:
        if task.kind not in ("parallel", "conditional"):
            continue
        if "hostnames" in task.lines and isinstance(task, ParallelTask):
            _check_hostnames(task, out)
        elif "hostnames" in task.lines:
            out.error(task, "hostnames= applies only to parallel tasks (type=parallel)",
                      "hostnames")
        for key, sub_id in block_subtasks(task):
            sub = workflow.tasks.get(sub_id)
            if sub is None or sub_id == task.id:
                continue   # reported with the references
            _check_subtask(task, key, sub, out)
            if not skip_subtask_range and task.id <= 9 and sub_id // 100 != task.id:
                out.warning(task, f"subtask {sub_id} lies outside the recommended range "
                            f"{task.id * 100}-{task.id * 100 + 99}", key)


def _check_subtask(block: TaskBase, key: str, sub: TaskBase, out: Findings) -> None:
    if isinstance(sub, ParallelTask | ConditionalTask):
        out.error(block, f"subtask {sub.id} is itself a parallel/conditional task; nested "
                  "blocks are not supported", key)
    if sub.loop is not None or (sub.next or "").strip().lower().startswith("loop"):
        out.error(sub, f"subtask of block {block.id} cannot loop", "loop"
                  if sub.loop is not None else "next")
    for route in ("on_success", "on_failure", "next"):
        if getattr(sub, route) is not None:
            out.error(sub, f"subtask of block {block.id} cannot have routing ('{route}')",
                      route)


def _check_hostnames(task: ParallelTask, out: Findings) -> None:
    count = len(task.hostnames)
    if not MIN_HOSTNAMES <= count <= MAX_HOSTNAMES:
        out.error(task, f"hostnames= needs {MIN_HOSTNAMES}-{MAX_HOSTNAMES} hosts "
                  f"(got {count})", "hostnames")
    for host in task.hostnames:
        if "@" not in host and not valid_hostname(host):
            out.error(task, f"invalid hostname '{host[:80]}' in hostnames (RFC 1123 name or "
                      "IPv4 address expected)", "hostnames")


def valid_hostname(host: str) -> bool:
    """An RFC-1123 host name or a valid IPv4 address (`999.1.1.1` is neither)."""
    if _DOTTED_NUMBERS.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    labels = host.split(".")
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def check_gaps(tasks: list[TaskBase], referenced: set[int], out: Findings) -> None:
    """The gap rule: a hole in the ID sequence is an error unless routing explains it."""
    gaps = []
    for before, after in pairwise(tasks):
        if after.id == before.id + 1 or after.id in referenced or _ends_flow(before):
            continue
        if 90 <= after.id <= 99 or 100 <= after.id <= 999:
            continue
        gaps.append((before, after))
    if gaps:
        out.error(gaps[0][1], "Task sequence has gaps")
    for before, after in gaps:
        out.warning(after, f"gap between Task {before.id} and Task {after.id}: no routing "
                    f"reaches Task {after.id}")


def _returns(task: TaskBase) -> bool:
    """`return=` ends the run after a command or return-only task; a block or decision hands
    over to its own routing first and the run never reads it (REFERENCE §5.3)."""
    return task.kind == "return" or (task.kind == "command" and task.return_value is not None)


def _ends_flow(task: TaskBase) -> bool:
    return (task.on_success is not None or task.on_failure is not None
            or task.next is not None or _returns(task))


def check_reachability(tasks: list[TaskBase], targets: dict[int, list[int]],
                       out: Findings) -> None:
    """Warn about tasks no path from the lowest ID reaches (breadth-first search)."""
    if not tasks:
        return
    by_id = {task.id: task for task in tasks}
    seen = {tasks[0].id}
    queue = deque([tasks[0]])
    while queue:
        task = queue.popleft()
        for target in _successors(task, targets.get(task.id, ())):
            if target not in seen and target in by_id:
                seen.add(target)
                queue.append(by_id[target])
    for task in tasks:
        if task.id not in seen:
            out.warning(task, f"Task {task.id} is not reachable from Task {tasks[0].id}")


def _successors(task: TaskBase, explicit: Iterable[int]) -> list[int]:
    targets = list(explicit)
    stops = (_returns(task)
             or (task.on_success is not None and task.on_failure is not None)
             or (task.next is not None and task.next.strip().lower() == "never"))
    if not stops:
        targets.append(task.id + 1)
    return targets
