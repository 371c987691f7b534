"""Run one attempt of a command (task, loop iteration, retry or subtask) and record it.

    resolve fields -> exec type, argv, timeout, memory cap -> AttemptIntent -> shim (or the
    dry-run stand-in) -> log exit code and previews -> assess -> AttemptFinished
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tasker.engine import events as ev
from tasker.engine.assess import Assessment, RawStream, assess, raw_stream, text_stream
from tasker.engine.context import RunContext
from tasker.engine.evaluation import Resolve, next_spec, patterns_for, resolver
from tasker.engine.lines import command_line, result_lines
from tasker.engine.numbers import parse_float, parse_size, return_code
from tasker.engine.results import StreamSummary, TaskResult
from tasker.engine.state import to_view
from tasker.errors import JournalWriteError, Location, RunAbort, TaskerError
from tasker.model import TaskBase

DRY_RUN_STDOUT = "DRY RUN STDOUT"
DRY_RUN_SUBTASK_STDOUT = "DRY RUN - Command not executed"
DEFAULT_TIMEOUT = 300
MIN_TIMEOUT = 5
MAX_TIMEOUT = 604800
CANNOT_START_EXIT = 127


@dataclass(frozen=True)
class AttemptPlan:
    """Which attempt to run and how to name it in the log."""

    task: TaskBase
    display: str
    parent: int | None = None
    iteration: int | None = None
    retry: int = 0


@dataclass(frozen=True)
class Prepared:
    """An attempt's resolved command line and limits (or why it cannot start)."""

    hostname: str
    exec_type: str
    argv: tuple[str, ...]
    timeout: float
    memory_limit: int | None
    patterns: dict[str, list[str]]
    error: str | None = None


@dataclass(frozen=True)
class Raw:
    """What running (or pretending to run) produced, before assessment."""

    exit_code: int
    stdout: RawStream
    stderr: RawStream
    started_at: float
    duration: float
    timed_out: bool = False
    cancelled: bool = False
    spawn_error: str | None = None
    result_file: str | None = None


def run_attempt(rc: RunContext, plan: AttemptPlan) -> ev.AttemptFinished:
    """Run one attempt through the shim, log it, and record its `AttemptFinished` event."""
    task, display = plan.task, plan.display
    globals_, views = rc.recorder.snapshot()
    resolve = resolver(globals_, views, task.id if plan.parent is not None else None)
    prepared = prepare(rc, task, resolve, display)
    adopted = None
    if rc.pending:
        from tasker.engine.adopt import adopt_pending

        adopted = adopt_pending(rc, plan)
    if adopted is not None:
        number, raw = adopted
    else:
        number, raw = _fresh(rc, plan, prepared)
    totals = tuple(stream.bytes if stream.spilled else None
                   for stream in (raw.stdout, raw.stderr))
    for line in result_lines(display, raw.exit_code, raw.stdout.text, raw.stderr.text,
                             totals=totals):
        rc.log.info(line)

    def stored(success: bool, stdout: StreamSummary, stderr: StreamSummary) -> Resolve:
        result = _result(plan, prepared, raw, success, stdout=stdout, stderr=stderr)
        return resolver(globals_, {**views, task.id: to_view(result)},
                        task.id if plan.parent is not None else None)

    judged = assess(task, raw.exit_code, raw.stdout, raw.stderr, resolve=resolve,
                    display=display, stored=stored)
    for level, msg in judged.messages:
        getattr(rc.log, level)(msg)
    return _finish(rc, plan, number, prepared, raw=raw, judged=judged)


def _fresh(rc: RunContext, plan: AttemptPlan, prepared: Prepared) -> tuple[int, Raw]:
    """Announce a new attempt (write-ahead intent) and run it."""
    task, display = plan.task, plan.display
    number = rc.recorder.reserve_attempt(task.id)
    attempt_dir = _attempt_dir(rc, plan, number)
    shown = command_line(prepared.argv, rc.secrets)
    if rc.dry_run:
        rc.log.info(f"Task {display}: [DRY RUN] Would execute: {shown}")
    else:
        rc.log.info(f"Task {display}: Executing [{prepared.exec_type}]: {shown}")
    rc.recorder.emit(ev.AttemptIntent(
        at=rc.clock.now(), task_id=task.id, parent=plan.parent, attempt=number,
        iteration=plan.iteration, retry=plan.retry, display=display,
        exec_type=prepared.exec_type, hostname=prepared.hostname, command_line=shown,
        timeout=prepared.timeout, attempt_dir=attempt_dir))
    return number, _execute(rc, plan, prepared, attempt_dir, number)


def prepare(rc: RunContext, task: TaskBase, resolve: Resolve, display: str) -> Prepared:
    """Resolve the attempt's exec type, argv, timeout and memory cap."""
    hostname = resolve(task.hostname or "")
    command = resolve(task.command or "")
    exec_type = _exec_type(rc, task, resolve, display)
    timeout = _timeout(rc, task, exec_type, resolve, display)
    memory = parse_size(task.memory_limit, resolve) or rc.options.memory_limit
    conditions = [c for c in (task.success, task.failure, task.loop_break) if c]
    spec = next_spec(task.next)
    if spec is not None and spec.condition is not None:
        conditions.append(spec.condition.text)
    patterns = patterns_for(conditions, resolve)
    if not command:
        return Prepared(hostname, exec_type, (), timeout, memory, patterns,
                        error="No command specified")
    try:
        argv = rc.exec_config.build_argv(exec_type, hostname, command,
                                         resolve(task.arguments or ""), rc.env,
                                         timeout=timeout)
    except TaskerError as exc:
        return Prepared(hostname, exec_type, (command,), timeout, memory, patterns,
                        error=exc.message)
    return Prepared(hostname, exec_type, tuple(argv), timeout, memory, patterns)


def _exec_type(rc: RunContext, task: TaskBase, resolve: Resolve, display: str) -> str:
    options, config = rc.options, rc.exec_config
    raw = resolve(task.exec) if task.exec else (options.type or config.default_exec_type())
    name = config.canonical(raw or "local")
    if name is None:
        raise RunAbort(f"Task {display}: Execution types not found in configuration: {raw}. "
                       f"Available exec types: {', '.join(config.type_names())}", 20)
    return name


def _timeout(rc: RunContext, task: TaskBase, exec_type: str, resolve: Resolve,
             display: str) -> float:
    value = parse_float(task.timeout, resolve) if task.timeout else None
    if task.timeout and value is None:
        rc.log.debug(f"Task {display}: invalid timeout '{task.timeout}', using the default")
    for candidate in (rc.options.timeout, rc.exec_config.timeout_for(exec_type),
                      rc.options.env_timeout, DEFAULT_TIMEOUT):
        if value is None and candidate is not None:
            value = float(candidate)
    if value < MIN_TIMEOUT:
        rc.log.warn(f"Timeout {value:g} too low, using minimum {MIN_TIMEOUT}")
        value = MIN_TIMEOUT
    return min(value, MAX_TIMEOUT)


def _attempt_dir(rc: RunContext, plan: AttemptPlan, number: int) -> str | None:
    if rc.run_dir is None or rc.dry_run:
        return None
    name = f"{plan.parent}-{plan.task.id}" if plan.parent is not None else str(plan.task.id)
    return str(rc.run_dir / "attempts" / f"{name}.{number}")


def _execute(rc: RunContext, plan: AttemptPlan, prepared: Prepared, attempt_dir: str | None,
             number: int) -> Raw:
    now = rc.clock.now()
    if rc.dry_run:
        text = DRY_RUN_SUBTASK_STDOUT if plan.parent is not None else DRY_RUN_STDOUT
        return Raw(0, text_stream(text), text_stream(""), now, 0.0)
    if prepared.error is not None or attempt_dir is None:
        return cannot_start(prepared.error or "no run directory", now)
    if rc.stop.is_set():
        return Raw(-15, text_stream(""), text_stream("Not started: run interrupted"), now, 0.0,
                   cancelled=True)
    from tasker.shim_protocol import AttemptSpec

    spec = AttemptSpec(argv=list(prepared.argv), attempt_dir=attempt_dir, env=dict(rc.env),
                       cwd=str(Path.cwd()), timeout=prepared.timeout,
                       kill_grace=rc.options.kill_grace, memory_limit=prepared.memory_limit,
                       patterns=prepared.patterns)
    return _run_shim(rc, plan, spec, number)


def _run_shim(rc: RunContext, plan: AttemptPlan, spec: object, number: int) -> Raw:
    now = rc.clock.now()
    try:
        handle = rc.shim.start(spec)
    except (OSError, TaskerError) as exc:
        return cannot_start(str(exc), now)
    rc.recorder.emit(ev.AttemptSpawned(at=rc.clock.now(), task_id=plan.task.id,
                                       parent=plan.parent, attempt=number, pid=handle.pid,
                                       start_time=handle.start_time, boot_id=handle.boot_id))
    return wait_handle(rc, handle, now)


def wait_handle(rc: RunContext, handle: object, now: float) -> Raw:
    """Wait for a running shim (cancellable by a signal) and take its result.

    A real shim reports its result before result.json is durable. On the main thread the wait
    for that is left to the recorder's next write-ahead event (see `executor_shim.shim`), so
    the supervisor assesses and routes while the shim syncs. A block's worker thread waits
    for it here, before its finished record exists: any other worker's fsync may make that
    record durable at any moment (the main thread never emits while workers run).
    The wait protects output text, which only result.json (or a spill file) holds. An attempt
    without output is wholly described by its finished record: nothing waits for it, and its
    handle stays open until the next write-ahead record is durable, for its shim holds its own
    fsyncs back until then (the two would only compete for the disk).
    """
    on_main = threading.current_thread() is threading.main_thread()
    reported = getattr(handle, "wait_reported", None) if on_main else None
    deferred = False
    rc.track(handle)
    try:
        result = reported() if reported is not None else handle.wait()
        if reported is not None:
            if result.has_output:
                rc.recorder.add_barrier(_durability_barrier(handle))
            else:
                rc.recorder.after_commit(handle.close)
            deferred = True
    finally:
        rc.untrack(handle)
        close = getattr(handle, "close", None)
        if close is not None and not deferred:
            close()
    return raw_of(rc, result, Path(handle.attempt_dir), now)


def _durability_barrier(handle: object) -> Callable[[], None]:
    def barrier() -> None:
        error = handle.wait_durable()
        if error is not None:
            raise JournalWriteError(f"result of the attempt in {handle.attempt_dir} could not "
                                    f"be made durable: {error}",
                                    Location(file=str(Path(handle.attempt_dir) / "result.json")))
    return barrier


def raw_of(rc: RunContext, result: object, attempt_dir: Path, now: float) -> Raw:
    """A shim result as the engine assesses it (its spill files remembered for cleanup)."""
    for stream in (result.stdout, result.stderr):
        if stream.spilled and stream.file:
            rc.spill_files.add(stream.file)
    stdout, stderr = raw_streams(result)
    return Raw(result.exit_code, stdout, stderr, result.started_at or now,
               result.duration, timed_out=result.timed_out,
               cancelled=getattr(result, "cancelled", False), spawn_error=result.spawn_error,
               result_file=str(attempt_dir / "result.json"))


def raw_streams(result: object) -> tuple[RawStream, RawStream]:
    """stdout and stderr of a shim result; an empty stderr shows the spawn error."""
    stderr = raw_stream(result.stderr)
    if result.spawn_error and not stderr.text:
        stderr = text_stream(result.spawn_error)
    return raw_stream(result.stdout), stderr


def cannot_start(error: str, now: float, exit_code: int = CANNOT_START_EXIT) -> Raw:
    """The raw result of an attempt that never ran its command."""
    return Raw(exit_code, text_stream(""), text_stream(error), now, 0.0, spawn_error=error)


def _finish(rc: RunContext, plan: AttemptPlan, number: int, prepared: Prepared, *, raw: Raw,
            judged: Assessment) -> ev.AttemptFinished:
    result = _result(plan, prepared, raw, judged.success, stdout=judged.stdout,
                     stderr=judged.stderr)
    code = return_code(plan.task) if plan.parent is not None else None
    if code is not None:  # REFERENCE §5.11: a subtask's `return` sets its exit code only
        result = result.model_copy(update={"exit_code": code})
    outcome = _outcome(rc, raw, judged.success)
    suffix = " (timeout)" if raw.timed_out else ""
    rc.log.info(f"Task {plan.display}: Completed - Success: {judged.success}{suffix}")
    event = ev.AttemptFinished(
        at=rc.clock.now(), task_id=plan.task.id, parent=plan.parent, attempt=number,
        iteration=plan.iteration, retry=plan.retry, outcome=outcome, result=result,
        next_value=judged.next_value, loop_break=judged.loop_break,
        result_file=raw.result_file, started_at=raw.started_at)
    rc.recorder.emit(event)
    return event


def _result(plan: AttemptPlan, prepared: Prepared, raw: Raw, success: bool, *,
            stdout: StreamSummary, stderr: StreamSummary) -> TaskResult:
    """The task's stored result of this attempt."""
    return TaskResult(task_id=plan.task.id, exit_code=raw.exit_code, success=success,
                      stdout=stdout, stderr=stderr, hostname=prepared.hostname,
                      duration=round(raw.duration, 3), timed_out=raw.timed_out)


def _outcome(rc: RunContext, raw: Raw, success: bool) -> ev.Outcome:
    if raw.cancelled and rc.stop.is_set():
        return "interrupted"
    if raw.timed_out:
        return "timeout"
    if success:
        return "success"
    return "cannot_start" if raw.spawn_error else "failed"
