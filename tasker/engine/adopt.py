"""Reconcile an attempt that was in flight when an earlier supervisor died (SPEC §B Recovery).

    adopt_pending(rc, plan):           called instead of starting a new attempt when the
                                       journal holds an intent for this very step
        result.json present            -> adopt it (the command is not run again)
        shim alive (pid, start, boot)  -> re-attach and wait for it
        shim being born                -> wait briefly for shim.json / result.json
                                          (the directory itself may not exist yet)
        gone without a result          -> in doubt: journal the --in-doubt choice;
                                          rerun -> None (a new attempt follows), fail -> failed
"""

from __future__ import annotations

import time
from pathlib import Path

from tasker.engine import events as ev
from tasker.engine.context import RunContext
from tasker.engine.execute import AttemptPlan, Raw, cannot_start, raw_of, wait_handle

# A shim handed its spec just before the supervisor died announces itself within
# milliseconds; wait this long for its shim.json before calling the attempt in doubt.
BIRTH_WAIT = 2.0
IN_DOUBT_EXIT = 1


def adopt_pending(rc: RunContext, plan: AttemptPlan) -> tuple[int, Raw] | None:
    """(attempt number, raw result) of the adopted in-flight attempt of this step; None when
    there is none, or when it was in doubt and `--in-doubt=rerun` starts a new attempt."""
    intent = rc.take_pending(plan.task.id, plan.parent, plan.iteration, plan.retry)
    if intent is None:
        return None
    now = rc.clock.now()
    found = _find(rc, intent)
    if found is not None and hasattr(found, "wait"):
        rc.log.debug(f"Task {plan.display}: re-attached to running attempt {intent.attempt} "
                     f"(shim pid {found.pid})")
        _record_spawn(rc, intent, found)
        return intent.attempt, wait_handle(rc, found, now)
    if found is not None:
        rc.log.debug(f"Task {plan.display}: adopted the finished attempt {intent.attempt} "
                     f"from {intent.attempt_dir}")
        return intent.attempt, raw_of(rc, found, Path(intent.attempt_dir or "."), now)
    return _in_doubt(rc, plan, intent, now)


def _find(rc: RunContext, intent: ev.AttemptIntent) -> object | None:
    if not intent.attempt_dir:
        return None
    directory = Path(intent.attempt_dir)
    found = rc.shim.adopt(directory)
    deadline = time.monotonic() + BIRTH_WAIT
    while found is None and _being_born(directory) and time.monotonic() < deadline:
        time.sleep(0.02)
        found = rc.shim.adopt(directory)
    return found


def _being_born(directory: Path) -> bool:
    """Neither shim.json nor result.json is there: the spec may still be in a shim's hands.
    A launcher spare puts the attempt directory in place only when it takes the spec (with
    shim.json already in it), so a missing directory is no proof that nothing will run."""
    return not (directory / "shim.json").exists() and not (directory / "result.json").exists()


def _record_spawn(rc: RunContext, intent: ev.AttemptIntent, handle: object) -> None:
    key = (intent.task_id, intent.parent, intent.attempt)
    if rc.recorder.state.attempt_states.get(key) == "intent":
        rc.recorder.emit(ev.AttemptSpawned(
            at=rc.clock.now(), task_id=intent.task_id, parent=intent.parent,
            attempt=intent.attempt, pid=handle.pid, start_time=handle.start_time,
            boot_id=handle.boot_id))


def _in_doubt(rc: RunContext, plan: AttemptPlan, intent: ev.AttemptIntent,
              now: float) -> tuple[int, Raw] | None:
    choice = rc.options.in_doubt if rc.options.in_doubt in ("rerun", "fail") else "rerun"
    reason = (f"attempt {intent.attempt} was in flight when the supervisor stopped and its "
              "shim is gone without a result")
    rc.log.debug(f"Task {plan.display}: {reason}; --in-doubt={choice}")
    _stop_left_command(rc, plan, intent)
    rc.recorder.emit(ev.AttemptInDoubt(at=now, task_id=intent.task_id, parent=intent.parent,
                                       attempt=intent.attempt, choice=choice, reason=reason))
    if choice == "rerun":
        return None
    raw = cannot_start(f"In doubt: {reason}", now, IN_DOUBT_EXIT)
    return intent.attempt, Raw(raw.exit_code, raw.stdout, raw.stderr, now, 0.0)


def _stop_left_command(rc: RunContext, plan: AttemptPlan, intent: ev.AttemptIntent) -> None:
    """A shim can die before its command (kill -9, the OOM killer): the command then runs on
    with no one to time it out, and a rerun would run beside it. What is left of the shim's
    session is killed first (same boot only: shim.json gives its pid and start time)."""
    from tasker.shim_client import current_boot_id, read_identity_file, stop_leftovers

    if not intent.attempt_dir:
        return
    identity = read_identity_file(Path(intent.attempt_dir) / "shim.json")
    if identity is None or not identity["boot_id"] or identity["boot_id"] != current_boot_id():
        return
    killed = stop_leftovers(identity["pid"], identity["start_ticks"])
    if killed:
        rc.log.debug(f"Task {plan.display}: stopped what its dead shim left running "
                     f"(pid {', '.join(map(str, killed))})")


def abandon_pending(rc: RunContext, why: str) -> None:
    """Journal every in-flight attempt that the resumed run did not reach as abandoned."""
    for intent in rc.drain_pending():
        rc.recorder.emit(ev.AttemptInDoubt(at=rc.clock.now(), task_id=intent.task_id,
                                           parent=intent.parent, attempt=intent.attempt,
                                           choice="rerun", reason=why))
