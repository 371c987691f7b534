"""Workflow validation (REFERENCE §7.2, §7.3; SPEC D3-D7, D11, D13, D14).

    report = validate_workflow(workflow, ValidationOptions(...))
    if report.errors: raise ValidationFailed(report.errors)

Checks, in order: structure of each task written in the file (required fields, values,
routing), conditions, references (@...@, jump targets, block lists), block subtasks, the gap
rule, reachability, exec types with the security sanitizer and local command existence.
Generated `hostnames=` subtasks are covered through their block.
"""

from __future__ import annotations

from tasker.model import Workflow
from tasker.validation.condition_rules import check_conditions
from tasker.validation.execution import check_execution
from tasker.validation.findings import (
    Findings,
    ValidationOptions,
    ValidationReport,
    builtin_canonical_exec,
    command_on_path,
    written_tasks,
)
from tasker.validation.graph import (
    check_blocks,
    check_gaps,
    check_reachability,
    explicit_targets,
)
from tasker.validation.references import check_references
from tasker.validation.structure import check_task

__all__ = [
    "ValidationOptions",
    "ValidationReport",
    "builtin_canonical_exec",
    "command_on_path",
    "validate_workflow",
]


def validate_workflow(workflow: Workflow, options: ValidationOptions | None = None
                      ) -> ValidationReport:
    """Validate a parsed workflow; return every error and warning found."""
    options = options or ValidationOptions()
    out = Findings(workflow)
    tasks = written_tasks(workflow)
    global_values = workflow.global_values()
    for task in tasks:
        check_task(task, out)
        check_conditions(task, out, global_values)
    referenced = check_references(tasks, workflow, out)
    check_blocks(tasks, workflow, out, options.skip_subtask_range)
    targets = explicit_targets(tasks)
    check_gaps(tasks, referenced.union(*targets.values()), out)
    check_reachability(tasks, targets, out)
    check_execution(tasks, workflow, options, out)
    large = [task for task in tasks if task.id >= 1000]
    if large:
        out.warning(large[0], f"{len(large)} task ID(s) of 1000 or above (from Task "
                    f"{large[0].id}); IDs 0-999 are recommended")
    return out.report()
