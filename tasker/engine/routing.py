"""Routing after a task: REFERENCE §5.4/§5.5 with SPEC D3, D9, D10, D12. Pure.

Every function returns the `Action` that ends a task's visit: a `Goto` or a `Finish`.
"""

from __future__ import annotations

from tasker.conditions import BlockCounts, OutputView
from tasker.engine.actions import Action, Finish, Goto, Messages
from tasker.engine.evaluation import (
    OutputInputs,
    Resolve,
    condition_value,
    next_kind,
    output_context,
)
from tasker.engine.results import TaskResult
from tasker.model import TaskBase, Workflow

UNDEFINED_JUMP_EXIT = 20
BLOCK_FAILURE_EXIT = 10


def success_line(executed: int) -> tuple[str, str]:
    """TASKER's end line for a successful run."""
    return ("info", f"SUCCESS: Task execution completed - {executed} task(s) executed "
                    "successfully.")


def finish_success(task_id: int, executed: int, msgs: Messages = ()) -> Finish:
    """End the run successfully (end of IDs, `next=never`)."""
    return Finish(exit_code=0, status="success", last_task=task_id,
                  messages=(*msgs, success_line(executed)))


def failure_exit_code(exit_code: int) -> int:
    """The run's exit code after a failed task: its own code (mod 256), or 1 if that is 0."""
    return exit_code % 256 or 1


def fail_stop(task_id: int, exit_code: int, msgs: Messages = ()) -> Finish:
    """Stop after a failed task: exit with its code (REFERENCE §5.5)."""
    line = (f"FAILED: Workflow stopped - last task (Task {task_id}) failed with exit code "
            f"{exit_code}.")
    return Finish(exit_code=failure_exit_code(exit_code), status="failed",
                  reason="Last task failed", last_task=task_id,
                  messages=(*msgs, ("error", line)))


def block_failure(task_id: int, msgs: Messages = ()) -> Finish:
    """Exit 10: on_success-only failure, or a block's condition false without on_failure."""
    line = "FAILED: Workflow stopped - next condition not met (End Failure Block)."
    return Finish(exit_code=BLOCK_FAILURE_EXIT, status="failed", reason="Next condition not met",
                  last_task=task_id, messages=(*msgs, ("error", line)))


def goto_next(wf: Workflow, task_id: int, executed: int, msgs: Messages = ()) -> Action:
    """Continue at ID+1; a missing ID+1 ends the run successfully (REFERENCE §5.4 gaps)."""
    if task_id + 1 in wf.tasks:
        return Goto(from_task=task_id, to_task=task_id + 1, why="next", messages=msgs)
    return finish_success(task_id, executed, msgs)


def jump(wf: Workflow, task_id: int, target: int, key: str, msgs: Messages = ()) -> Action:
    """Jump to `target`; a target that does not exist stops the run with exit 20 (SPEC D12)."""
    if target in wf.tasks:
        return Goto(from_task=task_id, to_task=target, why=key, messages=msgs)
    error = (f"Task {task_id}: {key} target Task {target} does not exist - stopping execution")
    end = (f"FAILED: Workflow stopped - last task (Task {task_id}) failed with exit code "
           f"{UNDEFINED_JUMP_EXIT}.")
    return Finish(exit_code=UNDEFINED_JUMP_EXIT, status="failed",
                  reason=f"{key} target Task {target} does not exist", last_task=task_id,
                  messages=(*msgs, ("error", error), ("error", end)))


def route_sequential(wf: Workflow, task: TaskBase, result: TaskResult, next_value: bool | None,
                     *, executed: int, fire_and_forget: bool) -> Action:
    """Routing of an ordinary task after its last attempt (and sleep)."""
    tid, kind = task.id, next_kind(task.next)
    if kind == "never":
        return finish_success(tid, executed,
                              (("info", f"Task {tid}: 'next=never' found, stopping execution"),))
    if kind == "always" and task.on_success is not None:  # SPEC D3: a true `next`
        return _route_on_next(wf, task, result, True, executed)
    if kind == "always":
        msg = ("info", f"Task {tid}: 'next=always' found, proceeding to next task")
        return goto_next(wf, tid, executed, (msg,))
    if kind:
        return _route_on_next(wf, task, result, bool(next_value), executed)
    return _route_on_success(wf, task, result, executed, fire_and_forget)


def _route_on_next(wf: Workflow, task: TaskBase, result: TaskResult, value: bool,
                   executed: int) -> Action:
    tid, nxt = task.id, (task.next or "").strip()
    if value:
        if task.on_success is not None:
            msg = ("info", f"Task {tid}: Next condition met, jumping to Task {task.on_success}")
            return jump(wf, tid, task.on_success, "on_success", (msg,))
        return goto_next(wf, tid, executed,
                         (("info", f"Task {tid}: Proceeding to next task ({nxt}=TRUE)"),))
    if task.on_failure is not None:
        msg = ("info", f"Task {tid}: Next condition not met, jumping to Task {task.on_failure}")
        return jump(wf, tid, task.on_failure, "on_failure", (msg,))
    return fail_stop(tid, result.exit_code,
                     (("info", f"Task {tid}: Stopping execution ({nxt}=FALSE)"),))


def _route_on_success(wf: Workflow, task: TaskBase, result: TaskResult, executed: int,
                      fire_and_forget: bool) -> Action:
    tid, ok = task.id, result.success
    if task.on_success is None and task.on_failure is None:
        if ok:
            msg = f"Task {tid}: No routing specified, task succeeded - proceeding to next task"
            return goto_next(wf, tid, executed, (("info", msg),))
        if fire_and_forget:
            msg = (f"Task {tid}: Task failed but fire-and-forget mode enabled - "
                   "continuing to next task")
            return goto_next(wf, tid, executed, (("warn", msg),))
        msg = f"Task {tid}: No routing specified, task failed - stopping execution"
        return fail_stop(tid, result.exit_code, (("info", msg),))
    first = ("info", f"Task {tid}: No 'next' condition specified, using success evaluation "
                     f"for routing: {ok}")
    if ok:
        if task.on_success is not None:
            msg = ("info", f"Task {tid}: Success condition met, jumping to Task {task.on_success}")
            return jump(wf, tid, task.on_success, "on_success", (first, msg))
        return goto_next(wf, tid, executed, (first,))
    if task.on_failure is not None:
        msg = ("info", f"Task {tid}: Success condition not met, jumping to Task "
                       f"{task.on_failure}")
        return jump(wf, tid, task.on_failure, "on_failure", (first, msg))
    return block_failure(tid, (first,))


def block_counts(result: TaskResult) -> BlockCounts:
    """The subtask counts stored in a block's result."""
    return BlockCounts(success=result.success_count or 0, failed=result.failed_count or 0,
                       total=result.total_count or 0)


def block_value(task: TaskBase, result: TaskResult, resolve: Resolve) -> bool | None:
    """A block's outcome: True/False, or None for `next=never` (REFERENCE §5.11, SPEC D9)."""
    counts = block_counts(result)
    all_ok = counts.success == counts.total
    kind = next_kind(task.next)
    if task.success:
        return _aggregate_condition(task.success, result, counts, resolve)
    if kind == "never":
        return None
    if kind == "always":
        return True
    if kind in ("", "success", "loop"):
        return all_ok
    stdout = result.stdout.text
    if task.kind == "parallel":  # REFERENCE §5.11: what a parallel `next` condition reads
        stdout = (f"Parallel execution summary: {counts.success} successful, "
                  f"{counts.failed} failed")
    return _aggregate_condition((task.next or "").strip(), result, counts, resolve,
                                stdout=stdout)


def _aggregate_condition(text: str, result: TaskResult, counts: BlockCounts,
                         resolve: Resolve, stdout: str | None = None) -> bool:
    """`text` on the block's aggregate: its exit code, `stdout` (default: the stored one)
    and stderr, and the subtask counts for the multi-task keywords."""
    stdout = result.stdout.text if stdout is None else stdout
    inputs = OutputInputs(result.exit_code, OutputView(text=stdout),
                          OutputView(text=result.stderr.text))
    return condition_value(text, output_context(inputs, resolve, success=result.success,
                                                block=counts))


def route_block(wf: Workflow, task: TaskBase, value: bool | None, executed: int) -> Action:
    """Routing after a parallel or conditional block."""
    tid = task.id
    if value is None:
        return finish_success(tid, executed,
                              (("info", f"Task {tid}: 'next=never' found, stopping execution"),))
    if value:
        if task.on_success is not None:
            msg = ("info", f"Task {tid}: Success condition met, jumping to Task {task.on_success}")
            return jump(wf, tid, task.on_success, "on_success", (msg,))
        return goto_next(wf, tid, executed)
    if task.on_failure is not None:
        msg = ("info", f"Task {tid}: Success condition not met, jumping to Task "
                       f"{task.on_failure}")
        return jump(wf, tid, task.on_failure, "on_failure", (msg,))
    return block_failure(tid)


def route_decision(wf: Workflow, task: TaskBase, passed: bool, executed: int) -> Action:
    """Routing after a decision block (REFERENCE §5.14, SPEC D10: `next=never` stops, exit 0)."""
    tid = task.id
    if passed and task.on_success is not None:
        return jump(wf, tid, task.on_success, "on_success")
    if not passed and task.on_failure is not None:
        return jump(wf, tid, task.on_failure, "on_failure")
    if next_kind(task.next) == "never":
        return finish_success(tid, executed,
                              (("info", f"Task {tid}: 'next=never' found, stopping execution"),))
    return goto_next(wf, tid, executed)
