"""`@...@` references and task-ID references (REFERENCE §4.1, §7.2; SPEC D6).

Undefined globals and references to undefined tasks are errors; `@task@` is exempt; a
reference to a later task only warns. Unused globals warn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tasker.model import GENERATED_ID_BASE, TaskBase, Workflow
from tasker.taskfile.syntax import ENV_REF, TEXT_FIELDS, global_refs
from tasker.validation.findings import Findings
from tasker.variables import RESULT_FIELDS

_TOKEN = re.compile(r"@([A-Za-z0-9_]+)@")
_TASK_REF = re.compile(r"([0-9]+)_([A-Za-z_]+)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCANNED = tuple((key, attr) for key, attr in TEXT_FIELDS.items() if key != "type")


def check_references(tasks: Iterable[TaskBase], workflow: Workflow, out: Findings
                     ) -> set[int]:
    """Check every reference of the tasks; return the task IDs referenced by `@N_...@`."""
    checker = _References(workflow, out)
    for task in tasks:
        for key, attr in _SCANNED:
            value = getattr(task, attr)
            if value and "@" in value:
                checker.check_text(task, key, value)
        checker.check_targets(task)
    checker.warn_unused()
    return checker.referenced


def dependency_issues(tasks: Iterable[TaskBase], workflow: Workflow) -> list[str]:
    """REFERENCE §5.1 step 9, §7.2: `@N_...@` in a `condition` or `arguments` naming a task
    that comes later, or does not exist: the placeholder stays literal unless that task has
    run (a non-fatal warning)."""
    issues = []
    for task in tasks:
        for key in ("condition", "arguments"):
            value = getattr(task, key, None) or ""
            for name in dict.fromkeys(_TOKEN.findall(value)):
                ref = _TASK_REF.fullmatch(name)
                target = _as_id(ref.group(1)) if ref else None
                if target is None or target == task.id:
                    continue
                if target not in workflow.tasks:
                    issues.append(f"Task {task.id}: {key} references Task {target}, which "
                                  "does not exist")
                elif target > task.id:
                    issues.append(f"Task {task.id}: {key} references Task {target}, which "
                                  "comes later")
    return issues


class _References:
    """Walks the references of each task, remembering used globals and referenced tasks."""

    def __init__(self, workflow: Workflow, out: Findings):
        self.workflow = workflow
        self.out = out
        self.used: set[str] = set()
        self.referenced: set[int] = set()

    def check_text(self, task: TaskBase, key: str, text: str) -> None:
        """Every `@...@` in one field: globals must exist, task references must too."""
        for name in dict.fromkeys(_TOKEN.findall(text)):
            if name == "task":
                continue
            ref = _TASK_REF.fullmatch(name)
            if ref:
                self._task_ref(task, key, _as_id(ref.group(1)), ref.group(2))
            elif _IDENTIFIER.fullmatch(name):
                self.used.add(name)
                if name not in self.workflow.globals:
                    self.out.error(task, f"Undefined global variable '@{name}@' in {key}", key)

    def _task_ref(self, task: TaskBase, key: str, target: int, result_field: str) -> None:
        self.referenced.add(target)
        if result_field.lower() not in RESULT_FIELDS:
            self.out.warning(task, f"'@{target}_{result_field}@' in {key} is not a known task "
                             "result field and stays literal", key)
        referable = self.workflow.tasks.get(target)
        if referable is not None and referable.parent is not None and target >= GENERATED_ID_BASE:
            referable = None  # a `hostnames=` subtask is not in the file (REFERENCE §5.15)
        if referable is None:
            self.out.error(task, f"Task {target} is referenced but not defined (in {key})", key)
        elif target > task.id:
            self.out.warning(task, f"Task {task.id} references future Task {target} in {key}; "
                             "the placeholder stays literal unless it has run", key)

    def check_targets(self, task: TaskBase) -> None:
        """on_success/on_failure, parallel tasks and conditional branches must exist."""
        for key in ("on_success", "on_failure"):
            target = getattr(task, key)
            if target is not None and target not in self.workflow.tasks:
                self.out.error(task, f"Task {target} is referenced but not defined ({key})", key)
        if task.kind == "parallel":
            self._listed(task, "tasks", "parallel")
        elif task.kind == "conditional":
            self._listed(task, "if_true_tasks", "conditional")
            self._listed(task, "if_false_tasks", "conditional")

    def _listed(self, task: TaskBase, key: str, kind: str) -> None:
        for sub in getattr(task, key):
            if sub == task.id:
                self.out.error(task, f"{kind} task {task.id} lists itself in {key}", key)
            elif sub not in self.workflow.tasks:
                self.out.error(task, f"Task {sub} is referenced by {kind} task {task.id} but "
                               "not defined", key)

    def warn_unused(self) -> None:
        """Warn about globals no task uses, directly or through another global."""
        globals_ = self.workflow.globals
        pending = [name for name in self.used if name in globals_]
        reached: set[str] = set()
        while pending:
            name = pending.pop()
            if name not in reached:
                reached.add(name)
                pending.extend(n for n in global_refs(globals_[name].template) if n in globals_)
        for name, var in globals_.items():
            if name not in reached:
                self.out.warning_at(var.line, f"Global variable '{name}' is never used")
            left = [m.group(0) for m in ENV_REF.finditer(var.template) if m.group(0) in var.value]
            if var.from_env and left:
                self.out.warning_at(var.line, f"Global variable '{name}' keeps unexpanded "
                                    f"environment variable(s): {', '.join(left)}")


def _as_id(digits: str) -> int:
    """A referenced task ID; absurdly long numbers become -1 (never defined)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 12 else -1
