"""`--show-plan`: the execution plan text and the `Proceed with execution? [y/N]:` prompt.

Format (REFERENCE §8.6): `=== EXECUTION PLAN ===`, one line per task (IDs below
`--start-from` omitted) with follow-up lines indented by 12 spaces, `# Total: K tasks to
execute`, a line of 50 `=`. Only `y`/`yes` proceeds; anything else or EOF cancels.
"""

from __future__ import annotations

from typing import TextIO

from tasker.model import Task, Workflow

INDENT = " " * 12
PROMPT = "Proceed with execution? [y/N]: "
CANCELLED = "Execution cancelled by user."


def plan_lines(wf: Workflow, start_from: int | None = None) -> list[str]:
    """The plan of `wf` as printed lines (pure)."""
    ids = [tid for tid in wf.task_ids() if start_from is None or tid >= start_from]
    lines = ["=== EXECUTION PLAN ==="]
    for tid in ids:
        lines.extend(_task_lines(wf, wf.tasks[tid]))
    lines.append(f"# Total: {len(ids)} tasks to execute")
    lines.append("=" * 50)
    return lines


def _ids(values: tuple[int, ...] | list[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def _task_lines(wf: Workflow, task: Task) -> list[str]:
    head = f"  Task {task.id}: "
    if task.kind == "parallel":
        members = task.tasks or tuple(sorted(t.id for t in wf.tasks.values()
                                             if t.parent == task.id))
        return [f"{head}PARALLEL -> execute {_ids(members)}", *_routing(task)]
    if task.kind == "conditional":
        return [f"{head}CONDITIONAL [{task.condition or ''}]",
                f"{INDENT}-> if TRUE: execute {_ids(task.if_true_tasks)}",
                f"{INDENT}-> if FALSE: execute {_ids(task.if_false_tasks)}",
                *_routing(task)]
    if task.kind == "decision":
        return [f"{head}DECISION", *_routing(task)]
    if task.kind == "return":
        return [f"{head}RETURN {task.return_value}"]
    return [f"{head}{task.hostname} -> {task.command}", *_routing(task)]


def _routing(task: Task) -> list[str]:
    lines = []
    if task.on_success is not None:
        lines.append(f"{INDENT}-> on success: task {task.on_success}")
    if task.on_failure is not None:
        lines.append(f"{INDENT}-> on failure: task {task.on_failure}")
    if task.kind == "conditional" and task.next:
        lines.append(f"{INDENT}-> then continue based on 'next={task.next}'")
    elif task.next or not lines:
        lines.append(f"{INDENT}-> default: {_default(task)}")
    return lines


def _default(task: Task) -> str:
    nxt = (task.next or "").strip()
    if nxt == "never":
        return "stop execution"
    if nxt == "always":
        return "always continue to next task"
    if nxt == "loop" or nxt.startswith("loop&"):
        return f"loop back to task {task.id}"
    if not nxt:
        return f"continue to task {task.id + 1}"
    return f"task {nxt}"


def confirm(stdin: TextIO, stdout: TextIO) -> bool:
    """Ask the prompt; True only for y/yes (EOF or an unreadable stdin answer no)."""
    try:
        stdout.write(PROMPT)
        stdout.flush()
    except (OSError, ValueError):
        stdout = None  # type: ignore[assignment]
    try:
        answer = stdin.readline()
    except (OSError, ValueError):
        answer = ""
    if not answer.endswith("\n"):
        _newline(stdout)
    return answer.strip().lower() in ("y", "yes")


def _newline(stdout: TextIO) -> None:
    try:
        stdout.write("\n")
        stdout.flush()
    except (OSError, ValueError, AttributeError):
        return
