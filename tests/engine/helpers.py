"""Builders for pure engine tests: workflows from text, states from events."""

from __future__ import annotations

from tasker.engine import events as ev
from tasker.engine.results import TaskResult, text_result
from tasker.engine.state import RunState, fold
from tasker.model import Workflow
from tasker.taskfile.parser import ParseOptions, parse_workflow


def workflow(text: str) -> Workflow:
    """Parse a task file text (no environment)."""
    return parse_workflow(text, "t.txt", ParseOptions(env={}))


def task(tid: int, *fields: str, command: str = "cmd") -> str:
    """A task block: `task(0, "next=never")`."""
    lines = [f"task={tid}", "hostname=localhost", f"command={command}", "exec=local", *fields]
    return "\n".join(lines) + "\n\n"


def started(globals_: dict[str, str] | None = None) -> ev.RunStarted:
    """The RunStarted event of a test run."""
    return ev.RunStarted(run_id="r1", task_file="t.txt", globals=globals_ or {})


def routed(to: int, frm: int | None = None) -> ev.Routed:
    """A routing event."""
    return ev.Routed(from_task=frm, to_task=to, why="test")


def finished(tid: int, exit_code: int = 0, *, success: bool | None = None, stdout: str = "",
             next_value: bool | None = None, loop_break: bool | None = None, retry: int = 0,
             iteration: int | None = None, outcome: str | None = None, attempt: int = 1,
             parent: int | None = None, timed_out: bool = False) -> ev.AttemptFinished:
    """An AttemptFinished event with a short result."""
    ok = exit_code == 0 if success is None else success
    result = text_result(tid, exit_code, ok, stdout, timed_out=timed_out)
    kind = outcome or ("timeout" if timed_out else "success" if ok else "failed")
    return ev.AttemptFinished(task_id=tid, attempt=attempt, iteration=iteration, retry=retry,
                              outcome=kind, result=result, next_value=next_value,
                              loop_break=loop_break, parent=parent)


def block_done(tid: int, succeeded: int, total: int) -> list[ev.BlockProgress]:
    """Start and finish events of a block with these counts."""
    result = TaskResult(task_id=tid, exit_code=0 if succeeded == total else 1,
                        success=succeeded == total, success_count=succeeded,
                        failed_count=total - succeeded, total_count=total)
    return [ev.BlockProgress(task_id=tid, phase="started", subtasks=tuple(range(total))),
            ev.BlockProgress(task_id=tid, phase="finished", result=result)]


def state_of(*events: ev.Event, globals_: dict[str, str] | None = None) -> RunState:
    """Fold a RunStarted plus these events."""
    return fold([started(globals_), *events])
