"""The one pure decision function: given the workflow and the folded state, what happens next.

    decide(wf, state, ctx):
        interrupted            -> Finish 130/143
        nothing visited yet    -> Goto start task (--start-from, 0, or the lowest ID)
        at a block             -> RunBlock, then route on its aggregate (success=/next=)
        at a decision          -> MakeDecision, then route
        at a return-only task  -> StoreReturn, then Finish(code mod 256)
        at a command task      -> SkipTask | RunAttempt, retries, sleep, return, loop, route

No clock, no I/O: the live runner and `journal replay` call it with the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tasker.engine.actions import (
    Action,
    Finish,
    Goto,
    MakeDecision,
    RunAttempt,
    RunBlock,
    SkipTask,
    SleepAfter,
    StoreReturn,
)
from tasker.engine.evaluation import (
    Resolve,
    dummy_context,
    is_loop,
    next_spec,
    precondition_true,
    resolver,
)
from tasker.engine.evaluation import condition_value as _condition_value
from tasker.engine.numbers import parse_float, retry_settings, return_code
from tasker.engine.routing import (
    block_value,
    goto_next,
    route_block,
    route_decision,
    route_sequential,
)
from tasker.engine.state import RunState, Visit
from tasker.model import TaskBase, Workflow

SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}
INVALID_RETURN_EXIT = 50


@dataclass(frozen=True)
class DecideContext:
    """Run options that change decisions."""

    fire_and_forget: bool = False
    start_from: int | None = None


def decide(wf: Workflow, state: RunState, ctx: DecideContext) -> Action:
    """The next action of the run."""
    if state.interrupted:
        return _interrupted(state)
    visit = state.visit
    if visit is None:
        return _start(wf, ctx)
    task = wf.tasks[visit.task_id]
    resolve = resolver(state.globals, state.views, task.id if task.parent is not None else None)
    if task.kind in ("parallel", "conditional"):
        return _block_step(wf, state, task, visit, resolve)
    if task.kind == "decision":
        return _decision_step(wf, state, task, visit, resolve)
    return _command_step(_Step(wf, state, ctx, task, visit, resolve))


@dataclass(frozen=True)
class _Step:
    """Inputs of one decision about a command or return task."""

    wf: Workflow
    state: RunState
    ctx: DecideContext
    task: TaskBase
    visit: Visit
    resolve: Resolve


def _interrupted(state: RunState) -> Finish:
    name = state.interrupted or "SIGINT"
    where = state.visit.task_id if state.visit else state.last_task
    msgs = [("warn", "Graceful shutdown requested - stopping execution")]
    if where is not None:
        msgs.insert(0, ("error", f"FAILED: Task {where} interrupted by signal - "
                                 "workflow stopping."))
    return Finish(exit_code=SIGNAL_EXIT.get(name, 130), status="failed",
                  reason=f"Interrupted by {name}", last_task=where, messages=tuple(msgs))


def _start(wf: Workflow, ctx: DecideContext) -> Action:
    if ctx.start_from is not None:
        if ctx.start_from not in wf.tasks:
            return Finish(exit_code=12, status="failed",
                          reason=f"Start task {ctx.start_from} not found",
                          messages=(("error", f"Start task {ctx.start_from} not found"),))
        return Goto(from_task=None, to_task=ctx.start_from, why="start-from")
    if 0 in wf.tasks:
        return Goto(from_task=None, to_task=0, why="start")
    lowest = min(wf.task_ids())
    msg = ("info", f"Task 0 not found, auto-starting from lowest available task {lowest}")
    warn = ("warn", f"Starting from Task {lowest}: result variables (@N_stdout@ ...) of tasks "
                    f"below {lowest} stay unresolved")  # REFERENCE §5.2: a WARN follows
    return Goto(from_task=None, to_task=lowest, why="start", messages=(msg, warn))


def _block_step(wf: Workflow, state: RunState, task: TaskBase, visit: Visit,
                resolve: Resolve) -> Action:
    if visit.block is None or visit.block.phase != "finished" or visit.block.result is None:
        return RunBlock(task_id=task.id)
    value = block_value(task, visit.block.result, resolve)
    return route_block(wf, task, value, state.executed)


def _decision_step(wf: Workflow, state: RunState, task: TaskBase, visit: Visit,
                   resolve: Resolve) -> Action:
    if visit.decision is None:
        return _make_decision(task, resolve)
    return route_decision(wf, task, visit.decision.passed, state.executed)


def _make_decision(task: TaskBase, resolve: Resolve) -> MakeDecision:
    tid = task.id
    ctx = dummy_context(resolve)
    if task.success:
        text, value = task.success, _condition_value(task.success, ctx)
        passed = value
    elif task.failure:  # the condition's own value is logged; true means FAILED
        text, value = task.failure, _condition_value(task.failure, ctx)
        passed = not value
    else:
        text, value, passed = "", True, True
    msgs = (("info", f"Task {tid}: DECISION - Evaluating conditions"),
            ("info", f"Task {tid}: Decision condition '{text}' evaluated to: {value}"),
            ("info", f"Task {tid}: Decision {'PASSED' if passed else 'FAILED'}"))
    return MakeDecision(task_id=tid, passed=passed, messages=msgs)


def _command_step(step: _Step) -> Action:
    task, visit, last = step.task, step.visit, step.visit.last
    if last is None:
        return _begin(task, step.resolve)
    if last.outcome == "skipped":
        return goto_next(step.wf, task.id, step.state.executed)
    if task.kind == "return":
        return _finish_return(task, last.result.exit_code, step.state.executed)
    retry = _retry(task, last, step.resolve)
    if retry is not None:
        return retry
    summary = _retry_summary(task, last) if not visit.slept else ()
    seconds = parse_float(task.sleep, step.resolve)
    if seconds and seconds > 0 and not visit.slept:
        return SleepAfter(task_id=task.id, seconds=seconds, messages=summary)
    return _prepend(_after_attempts(step), summary)


def _skipped(task: TaskBase, resolve: Resolve, display: str) -> SkipTask | None:
    """A SkipTask when the task's pre-execution `condition` is false (REFERENCE §5.10)."""
    if task.condition and not precondition_true(task.condition, resolve):
        msg = ("info", f"Task {display}: Condition '{task.condition}' evaluated to FALSE, "
                       "skipping task")
        return SkipTask(task_id=task.id, messages=(msg,))
    return None


def _begin(task: TaskBase, resolve: Resolve) -> Action:
    tid = task.id
    skip = _skipped(task, resolve, str(tid))
    if skip is not None:
        return skip
    if task.kind == "return":
        code = return_code(task)
        if code is None:
            return _invalid_return(task)
        return StoreReturn(task_id=tid, code=code)
    return RunAttempt(task_id=tid, iteration=1 if is_loop(task.next) else None)


def _invalid_return(task: TaskBase) -> Finish:
    msg = f"Task {task.id}: Invalid return value '{task.return_value}' - exiting"
    return Finish(exit_code=INVALID_RETURN_EXIT, status="failed",
                  reason=f"Invalid return value '{task.return_value}'", last_task=task.id,
                  messages=(("error", msg),))


def _finish_return(task: TaskBase, code: int, executed: int) -> Finish:
    final = code % 256
    if final == 0:
        line = ("info", f"SUCCESS: Task execution completed with return code {code}")
        return Finish(exit_code=0, status="success", last_task=task.id,
                      messages=(("info", f"Task {task.id}: Returning with code {code}"), line))
    line = ("error", f"FAILURE: Task execution failed with return code {code}")
    return Finish(exit_code=final, status="failed", reason=f"Task returned {code}",
                  last_task=task.id,
                  messages=(("info", f"Task {task.id}: Returning with code {code}"), line))


def _retry(task: TaskBase, last, resolve: Resolve) -> RunAttempt | None:
    if last.result.success or last.outcome not in ("failed", "cannot_start"):
        return None
    count, delay = retry_settings(task, resolve)
    if last.retry >= count:
        return None
    msg = (f"Task {task.id}: FAILED - will retry (attempt {last.retry + 2} of {count + 1}) "
           f"in {_seconds(delay)}s")
    return RunAttempt(task_id=task.id, iteration=last.iteration, retry=last.retry + 1,
                      delay=delay, messages=(("info", msg),))


def _retry_summary(task: TaskBase, last) -> tuple[tuple[str, str], ...]:
    if last.retry == 0:
        return ()
    if last.result.success:
        return (("info", f"Task {task.id}: SUCCESS after {last.retry} retry attempt(s)"),)
    return (("info", f"Task {task.id}: FAILED after {last.retry} retry attempt(s) - giving up"),)


def _after_attempts(step: _Step) -> Action:
    task, last, executed = step.task, step.visit.last, step.state.executed
    if task.return_value is not None:
        code = return_code(task)
        return _invalid_return(task) if code is None else _finish_return(task, code, executed)
    if is_loop(task.next):
        return _loop_step(step.wf, step.state, task, last, step.resolve)
    return route_sequential(step.wf, task, last.result, last.next_value, executed=executed,
                            fire_and_forget=step.ctx.fire_and_forget)


def _loop_step(wf: Workflow, state: RunState, task: TaskBase, last, resolve: Resolve) -> Action:
    """After an iteration: break, finish the loop, or run the next iteration (whose
    pre-execution `condition` is checked like any task entry's, REFERENCE §5.3 steps 2-3)."""
    tid, iteration = task.id, last.iteration or 1
    if task.loop_break and last.loop_break:
        msg = f"Task {tid}: Breaking loop - loop_break condition '{task.loop_break}' satisfied"
        return goto_next(wf, tid, state.executed, (("info", msg),))
    spec = next_spec(task.next)
    if spec is not None and spec.condition is not None and not last.next_value:
        msg = f"Task {tid}: Breaking loop - loop condition '{spec.condition.text}' not met"
        return goto_next(wf, tid, state.executed, (("info", msg),))
    if iteration >= (task.loop or 1):
        msg = f"Task {tid}: Loop complete - max iterations reached"
        return goto_next(wf, tid, state.executed, (("info", msg),))
    return (_skipped(task, resolve, f"{tid}.{iteration + 1}")
            or RunAttempt(task_id=tid, iteration=iteration + 1))


def _prepend(action: Action, msgs: tuple[tuple[str, str], ...]) -> Action:
    if not msgs:
        return action
    return replace(action, messages=(*msgs, *action.messages))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"

