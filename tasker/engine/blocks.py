"""Parallel and conditional blocks (REFERENCE §5.11-5.13, §5.15; SPEC D6, D9, D10).

    parallel:    subtasks in a thread pool of max_parallel workers (each attempt in its own
                 shim); each failed subtask retried up to retry_count times (timeouts never)
    conditional: `condition` (dummy inputs) picks a branch; its tasks run in listed order
    both:        aggregate result (exit 0 iff all succeeded, counts, summary text) stored
                 under the block's ID; `decide` routes on success=/next= over it
    resumed:     a block the journal shows started keeps its branch; subtasks that finished
                 (all their retries used or not needed) keep their result, the others go on
                 from their next retry (an in-flight attempt is adopted by `run_attempt`)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tasker.engine import events as ev
from tasker.engine.context import RunContext
from tasker.engine.evaluation import precondition_true, resolver
from tasker.engine.execute import AttemptPlan, run_attempt
from tasker.engine.numbers import parse_float, retry_settings, return_code
from tasker.engine.results import TaskResult, skipped_result, text_result
from tasker.engine.routing import block_value
from tasker.errors import RunAbort
from tasker.model import GENERATED_ID_BASE, TaskBase, Workflow

THREAD_CAP = 100
ROUTING_FIELDS = ("next", "on_success", "on_failure")


def run_block(rc: RunContext, block: TaskBase) -> None:
    """Run a parallel or conditional block and record its aggregate result."""
    started = _started_before(rc, block)
    if block.kind == "parallel":
        _run_parallel(rc, block, started)
    else:
        _run_conditional(rc, block, started)


def _started_before(rc: RunContext, block: TaskBase) -> ev.BlockProgress | None:
    """The block's `started` record when a resumed run finds it already running."""
    visit = rc.recorder.state.visit
    if visit is None or visit.task_id != block.id or visit.block is None:
        return None
    return visit.block if visit.block.phase == "started" else None


def _prior(rc: RunContext) -> dict[int, ev.AttemptFinished]:
    visit = rc.recorder.state.visit
    return dict(visit.subtasks) if visit is not None else {}


def parallel_subtasks(wf: Workflow, block: TaskBase) -> list[int]:
    """IDs a parallel block runs: `tasks=`, else its generated `hostnames=` subtasks."""
    if block.tasks:
        return list(block.tasks)
    return sorted(tid for tid, task in wf.tasks.items()
                  if task.parent == block.id and tid >= GENERATED_ID_BASE)


def _run_parallel(rc: RunContext, block: TaskBase, before: ev.BlockProgress | None) -> None:
    ids = list(before.subtasks) if before is not None else parallel_subtasks(rc.wf, block)
    prior = _prior(rc) if before is not None else {}
    count, delay = retry_settings(block, _resolve(rc))
    workers = max(1, min(block.max_parallel, len(ids) or 1))
    if workers > THREAD_CAP:
        rc.log.info(f"Task {block.id}: max_parallel={block.max_parallel} capped at {THREAD_CAP}")
        workers = THREAD_CAP
    retry_text = f", retry_failed=true (count={count}, delay={delay:g}s)" if count else ""
    rc.log.info(f"Task {block.id}: Starting parallel execution of {len(ids)} tasks "
                f"(max_parallel={block.max_parallel}{retry_text})")
    if before is None:
        rc.recorder.emit(ev.BlockProgress(at=rc.clock.now(), task_id=block.id,
                                          phase="started", subtasks=tuple(ids)))
    started = time.monotonic()
    timers = SleepTimers(rc)
    pool_hints = _PoolHints(rc.shim, len(ids), workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"task{block.id}") as pool:
        futures = [pool.submit(pool_hints.starting, run_subtask, rc, block, sid, count, delay,
                               prior=prior.get(sid), timers=timers)
                   for sid in ids]
        results = [future.result() for future in futures]
    timers.wait()
    pool_hints.done()
    rc.log.info(f"Task {block.id}: Parallel execution completed in "
                f"{time.monotonic() - started:.2f} seconds")
    _finish_block(rc, block, results, label="Parallel execution", hostname="parallel",
                  duration=time.monotonic() - started)


class _PoolHints:
    """Tells the shim client's launcher what a parallel block will need: its width when it
    starts, and in its last wave how many subtasks are still to start, so that no spare is
    forked for nothing while the last attempts run (a client without these hints: no-op)."""

    def __init__(self, shim: Any, total: int, workers: int):
        self.expect = getattr(shim, "pool_expect", None)
        self.settle = getattr(shim, "pool_settle", None)
        self.unstarted = total
        self.workers = workers
        self.lock = threading.Lock()
        grow = getattr(shim, "pool_grow", None)
        if grow is not None:
            grow(workers)

    def starting(self, function: Callable[..., TaskResult], *args: Any,
                 **kwargs: Any) -> TaskResult:
        """Run one subtask, saying first how many are left to start once in the last wave."""
        with self.lock:
            self.unstarted -= 1
            left = self.unstarted
        if self.expect is not None and left < self.workers:
            self.expect(left)
        return function(*args, **kwargs)

    def done(self) -> None:
        """Back to the launcher's ordinary pool after the block."""
        if self.settle is not None:
            self.settle()


def _run_conditional(rc: RunContext, block: TaskBase, before: ev.BlockProgress | None) -> None:
    if before is not None:
        value = before.branch == "true"
    else:
        value = precondition_true(block.condition or "", _resolve(rc))
    label = "TRUE" if value else "FALSE"
    branch = list(block.if_true_tasks if value else block.if_false_tasks)
    prior = _prior(rc) if before is not None else {}
    rc.log.info(f"Task {block.id}: Condition '{block.condition}' evaluated to: {value}")
    if not branch:
        raise RunAbort(f"Task {block.id}: FATAL: no tasks in the {label} branch", 20)
    count, delay = retry_settings(block, _resolve(rc))
    rc.log.info(f"Task {block.id}: Executing {label} branch with {len(branch)} tasks "
                "(sequential)")
    if before is None:
        rc.recorder.emit(ev.BlockProgress(at=rc.clock.now(), task_id=block.id,
                                          phase="started", subtasks=tuple(branch),
                                          branch=label.lower()))
    started = time.monotonic()
    timers = SleepTimers(rc)
    results = [run_subtask(rc, block, sid, count, delay, prior=prior.get(sid), timers=timers)
               for sid in branch]
    timers.wait()
    _finish_block(rc, block, results, label=f"Conditional {label} branch",
                  hostname="conditional", duration=time.monotonic() - started)


class SleepTimers:
    """Subtask sleeps as timers (REFERENCE §5.7, V): a subtask's `sleep` does not hold its
    worker or delay the next branch task; the block waits for the last timer before it is
    evaluated."""

    def __init__(self, rc: RunContext):
        self.rc = rc
        self.ends: list[float] = []
        self.lock = threading.Lock()

    def start(self, seconds: float) -> None:
        """A timer of `seconds` from now."""
        with self.lock:
            self.ends.append(self.rc.clock.now() + seconds)

    def wait(self) -> None:
        """Until the last timer is up (at once in a dry run; a signal cuts it short)."""
        left = max(self.ends, default=0.0) - self.rc.clock.now()
        if left > 0 and not self.rc.dry_run and not self.rc.stop.is_set():
            self.rc.clock.sleep(left, self.rc.stop)


def run_subtask(rc: RunContext, block: TaskBase, sub_id: int, count: int,
                delay: float, *, prior: ev.AttemptFinished | None = None,
                timers: SleepTimers | None = None) -> TaskResult:
    """Run one subtask with its retries and sleep; its result is stored under its own ID.

    `prior` is its last attempt recorded before a resume: final -> its result is kept;
    a failure with retries left -> the next retry runs. With `timers`, the sleep is a timer
    the block waits for; without, it is slept here.
    """
    base = f"{block.id}-{sub_id}"
    if prior is not None and _final(prior, count):
        rc.log.debug(f"Task {base}: finished before the resume; result kept")
        return prior.result
    sub = rc.wf.tasks.get(sub_id)
    if sub is None:
        rc.log.error(f"Task {base}: Task {sub_id} is not defined")
        return text_result(sub_id, 1, False, stderr=f"Task {sub_id} is not defined")
    if rc.stop.is_set():
        return text_result(sub_id, -1, False, stderr="Not started: run interrupted")
    _warn_routing(rc, sub, base)
    resolve = _resolve(rc, sub_id)
    if sub.condition and not precondition_true(sub.condition, resolve):
        return _skip(rc, block, sub, base)
    if sub.kind == "return":
        return _return_only(rc, block, sub, base)
    first = prior.retry + 1 if prior is not None else 0
    if first:  # the crash came in (or before) the retry's delay: it is waited again, as for
        rc.log.info(f"Task {base}: FAILED - will retry as Task {base}.{first + 1} in "
                    f"{delay:g}s")  # a sequential task's retry after a crash
        if not rc.dry_run and not rc.clock.sleep(delay, rc.stop):
            return prior.result
    event = _attempts(rc, block, sub, base, count=count, delay=delay, first=first)
    seconds = parse_float(sub.sleep, resolve)
    if seconds and seconds > 0 and not rc.stop.is_set():
        rc.log.info(f"Task {base}: Sleeping for {seconds:g} seconds")
        if timers is not None:
            timers.start(seconds)
        elif not rc.dry_run:
            rc.clock.sleep(seconds, rc.stop)
    return event.result


def _final(prior: ev.AttemptFinished, count: int) -> bool:
    return prior.outcome not in ("failed", "cannot_start") or prior.retry >= count


def _attempts(rc: RunContext, block: TaskBase, sub: TaskBase, base: str, *, count: int,
              delay: float, first: int = 0) -> ev.AttemptFinished:
    retry = first
    while True:
        display = f"{base}.{retry + 1}" if count else base
        event = run_attempt(rc, AttemptPlan(sub, display, parent=block.id, retry=retry))
        retriable = event.outcome in ("failed", "cannot_start")
        if not retriable or retry >= count or rc.stop.is_set():
            break
        retry += 1
        rc.log.info(f"Task {base}: FAILED - will retry as Task {base}.{retry + 1} in "
                    f"{delay:g}s")
        if not rc.dry_run and not rc.clock.sleep(delay, rc.stop):
            break
    if retry and event.result.success:
        rc.log.info(f"Task {base}: SUCCESS after {retry} retry attempt(s)")
    elif count and retry >= count and not event.result.success:
        rc.log.info(f"Task {base}: FAILED after {retry} retry attempt(s) - giving up")
    return event


def _return_only(rc: RunContext, block: TaskBase, sub: TaskBase, base: str) -> TaskResult:
    """A subtask with `return` and no command: its result is that exit code (REFERENCE
    §5.11: a subtask's `return` sets its exit code only; it does not end the run)."""
    code = return_code(sub)
    result = (text_result(sub.id, code, code == 0) if code is not None else
              text_result(sub.id, 1, False, stderr=f"Invalid return value '{sub.return_value}'"))
    rc.recorder.emit(ev.AttemptFinished(at=rc.clock.now(), task_id=sub.id, parent=block.id,
                                        attempt=0, outcome="success" if result.success
                                        else "failed", result=result))
    rc.log.info(f"Task {base}: Completed - Success: {result.success}")
    return result


def _skip(rc: RunContext, block: TaskBase, sub: TaskBase, base: str) -> TaskResult:
    rc.log.info(f"Task {base}: Condition '{sub.condition}' evaluated to FALSE, skipping task")
    result = skipped_result(sub.id)
    rc.recorder.emit(ev.AttemptFinished(at=rc.clock.now(), task_id=sub.id, parent=block.id,
                                        attempt=0, outcome="skipped", result=result))
    rc.log.info(f"Task {base}: Completed - Success: False (skipped)")
    return result


def _warn_routing(rc: RunContext, sub: TaskBase, base: str) -> None:
    present = [name for name in ROUTING_FIELDS if getattr(sub, name) is not None]
    if present:
        rc.log.warn(f"Task {base}: routing fields {', '.join(present)} are ignored in "
                    "subtasks")


def aggregate(block_id: int, results: list[TaskResult], label: str, hostname: str,
              duration: float) -> TaskResult:
    """The block's own result: `@P_exit@`, `@P_stdout@`, `@P_stderr@`, counts (SPEC D6)."""
    total = len(results)
    succeeded = sum(1 for r in results if r.success)
    timeouts = [r.task_id for r in results if not r.success and r.timed_out]
    failed = [r.task_id for r in results if not r.success and not r.timed_out]
    stdout = f"{label}: {succeeded}/{total} successful, {len(failed)} failed"
    if timeouts:
        stdout += f", {len(timeouts)} timeout"
    stderr = " ".join(part for part in (
        f"Failed tasks: {failed}." if failed else "",
        f"Timeout tasks: {timeouts}." if timeouts else "") if part)
    return text_result(block_id, 0 if succeeded == total else 1, succeeded == total, stdout,
                       stderr, hostname=hostname, duration=round(duration, 3),
                       success_count=succeeded, failed_count=total - succeeded,
                       total_count=total)


def _finish_block(rc: RunContext, block: TaskBase, results: list[TaskResult], *, label: str,
                  hostname: str, duration: float) -> None:
    result = aggregate(block.id, results, label, hostname, duration)
    value = block_value(block, result, _resolve(rc))
    if value is not None:
        result = result.model_copy(update={"success": value})
    rc.recorder.emit(ev.BlockProgress(at=rc.clock.now(), task_id=block.id, phase="finished",
                                      result=result))


def _resolve(rc: RunContext, task_id: int | None = None):
    globals_, views = rc.recorder.snapshot()
    return resolver(globals_, views, task_id)
