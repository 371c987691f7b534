"""Resuming a run from its journal (`--auto-recovery`, SPEC §B Recovery, REFERENCE §9.2).

    load_resume(paths, settings)    read; torn last record -> keep a copy, cut it, go on;
                                    other damage -> RecoveryError (12) with record and offset;
                                    task file changed -> 12 unless --allow-changed;
                                    a journal of a completed run is archived, not resumed
    restore_outputs(events, wf)     put each attempt's stdout/stderr text back from its
                                    result.json (the journal holds only sizes and sha256)
    resume_point(state)             crash: go on exactly; failure/interrupt: restart the task
    resumed_globals(...)            environment-derived globals re-expanded (prompt or -y)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from tasker.engine import events as ev
from tasker.engine.state import RunState
from tasker.errors import Location, RecoveryError
from tasker.journal.masking import is_secret_name
from tasker.journal.paths import JournalPaths, archive
from tasker.journal.reader import JournalContents, TornTail, read_journal, repair_torn_tail
from tasker.variables import expand_env

CHANGED_FILE = "Task file has been modified since recovery state was saved"


@dataclass(frozen=True)
class Resume:
    """A journal to continue: its records, its events (header excluded) and its run id."""

    contents: JournalContents
    events: list[ev.Event]
    run_id: str
    torn: TornTail | None = None


def load_resume(paths: JournalPaths, settings: Any, info: Callable[[str], None]) -> Resume | None:
    """The journal left by an unfinished run, ready to continue; None when there is nothing
    to resume (no header, or the run completed)."""
    contents = read_journal(paths.journal)
    torn = None
    if contents.torn is not None:
        torn = repair_torn_tail(paths.journal)
        info(f"# Journal {paths.journal}: incomplete last record (record {torn.record}, byte "
             f"offset {torn.offset}) cut off; a copy of the journal was kept")
        contents = read_journal(paths.journal)
    if not contents.records:
        target = archive(paths, settings.base_dir, "abandoned")
        info(f"# Journal without any record archived as abandoned: {target}")
        return None
    header = contents.header or {}
    if header.get("task_file_sha256") != settings.task_sha256 and not settings.allow_changed:
        raise RecoveryError(f"{CHANGED_FILE} (journal {paths.journal}; use --allow-changed "
                            "to resume anyway)", Location(file=settings.task_file))
    events = parse_events(contents)
    if events and isinstance(events[-1], ev.RunFinished) and events[-1].status == "success":
        target = archive(paths, settings.base_dir, "finished", str(header.get("run_id") or ""))
        info(f"# Journal of a completed run archived: {target}")
        return None
    return Resume(contents, events, str(header.get("run_id") or ""), torn)


def parse_events(contents: JournalContents) -> list[ev.Event]:
    """The events of a journal's records (header skipped); RecoveryError names a bad one."""
    events = []
    for record in contents.records[1:]:
        try:
            events.append(ev.event_from_payload(record.payload))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            raise RecoveryError(
                f"journal record {record.seq} (byte offset {record.offset}) is not a tasker "
                f"event: {where}: {first.get('msg')}", Location(file=contents.path),
                record=record.seq, offset=record.offset) from None
    return events


def restore_outputs(events: list[ev.Event], wf: Any,
                    debug: Callable[[str], None] = lambda _m: None) -> list[ev.Event]:
    """`events` with each command attempt's output text read back from its result.json."""
    return [_restored(event, wf, debug) if _has_result_file(event) else event
            for event in events]


def _has_result_file(event: ev.Event) -> bool:
    return isinstance(event, ev.AttemptFinished) and bool(event.attempt and event.result_file)


def _restored(event: ev.AttemptFinished, wf: Any, debug: Callable[[str], None]) -> ev.Event:
    from tasker.engine.assess import summaries
    from tasker.engine.execute import raw_streams
    from tasker.shim_client import load_result

    task = wf.tasks.get(event.task_id)
    path = Path(event.result_file or "")
    if task is None or not path.is_file():
        debug(f"Journal: output of task {event.task_id} attempt {event.attempt} not restored "
              f"({path} missing)")
        return event
    stdout, stderr = raw_streams(load_result(path.parent))
    out, err = summaries(task, stdout, stderr)
    if out.sha256 != event.result.stdout.sha256 or err.sha256 != event.result.stderr.sha256:
        debug(f"Journal: {path} does not match its journal record; output not restored")
        return event
    result = event.result.model_copy(update={"stdout": out, "stderr": err})
    return event.model_copy(update={"result": result})


@dataclass(frozen=True)
class ResumePoint:
    """How the resumed run continues: `after` what, and which task starts again (if any)."""

    after: str
    restart_task: int | None


def resume_point(state: RunState) -> ResumePoint:
    """Crash: continue exactly where the folded state is. Failure or interruption: the task
    the run stopped at runs again (TASKER's resume at the failed task), except a task that had
    already succeeded and was stopped in its `sleep=` (or before its routing): it is done, so
    the run goes on from there as after a crash: it routes (a sleep the signal cut short is
    over; one not started yet is slept)."""
    where = state.visit.task_id if state.visit is not None else state.last_task
    if _succeeded_before_the_signal(state):
        return ResumePoint("interrupt", None)
    if state.finished is not None:
        return ResumePoint("failure", where if where is not None else state.finished.last_task)
    if state.interrupted is not None:
        return ResumePoint("interrupt", where)
    last = state.visit.last if state.visit is not None else None
    if last is not None and last.outcome == "interrupted":
        return ResumePoint("interrupt", where)
    return ResumePoint("crash", None)


def _succeeded_before_the_signal(state: RunState) -> bool:
    """A signal stopped the run after the current task's (non-loop) attempt succeeded."""
    last = state.visit.last if state.visit is not None else None
    return (state.interrupted is not None and last is not None and last.parent is None
            and last.outcome == "success" and last.iteration is None)


@dataclass(frozen=True)
class GlobalChange:
    """An environment-derived global whose value differs from the interrupted run's."""

    name: str
    saved: str
    current: str
    missing: tuple[str, ...]


def global_changes(wf: Any, saved: Mapping[str, str],
                   env: Mapping[str, str]) -> list[GlobalChange]:
    """Environment-derived globals that are now missing a variable or have a new value."""
    changes = []
    for name, var in wf.globals.items():
        if not var.from_env or name not in saved:
            continue
        _text, missing = expand_env(var.template, env)
        secret = is_secret_name(name)
        if missing or (not secret and saved[name] != var.value):
            changes.append(GlobalChange(name, saved[name], var.value, tuple(missing)))
    return changes


def resumed_globals(wf: Any, saved: Mapping[str, str], env: Mapping[str, str], *, yes: bool,
                    say: Callable[[str], None], stdin: TextIO | None = None) -> dict[str, str]:
    """The globals of the resumed run (REFERENCE §9.2 step 5).

    Missing variables keep their saved value, changed ones take the new value; without `-y`
    the user is asked first and anything but y/yes refuses the resume (exit 12).
    """
    values = wf.global_values()
    changes = global_changes(wf, saved, env)
    if not changes:
        return values
    say("WARN: Environment variables changed since the interrupted run:")
    for change in changes:
        if change.missing:
            say(f"  {change.name}: ${', $'.join(change.missing)} not set; saved value kept")
        else:
            say(f"  {change.name}: value changed; the new value is used")
    if not yes and not _confirm(stdin or sys.stdin, say):
        raise RecoveryError("Recovery cancelled: environment variables changed")
    for change in changes:
        if change.missing:
            if is_secret_name(change.name):
                raise RecoveryError(f"Recovery impossible: secret global {change.name} is "
                                    "masked in the journal and its variable is not set")
            values[change.name] = change.saved
    return values


def _confirm(stdin: TextIO, say: Callable[[str], None]) -> bool:
    say("Continue recovery with these values? [y/N]: ")
    try:
        answer = stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def journal_info_lines(path: Path, task_text: str) -> list[str]:
    """`--show-recovery-info` lines about an unfinished journal (reads it, changes nothing)."""
    import hashlib

    from tasker.engine.state import fold
    from tasker.journal.reader import scan_journal

    contents = scan_journal(path)
    lines = [f"# Unfinished run journal: {path}"]
    if contents.damage is not None:
        return [*lines, f"#   Valid: False (damaged at {contents.damage.describe()})"]
    header = contents.header or {}
    same = header.get("task_file_sha256") == hashlib.sha256(task_text.encode()).hexdigest()
    lines.append(f"#   Run id: {header.get('run_id', '?')}, created "
                 f"{header.get('created_at', '?')}, {len(contents.records)} records")
    lines.append("#   Valid: True" if same else f"#   Valid: False ({CHANGED_FILE})")
    if contents.torn is not None:
        lines.append(f"#   Incomplete last record at byte {contents.torn.offset} (cut off on "
                     "resume)")
    try:
        state = fold(parse_events(contents))
    except (RecoveryError, ValueError) as exc:
        return [*lines, f"#   Records not readable as a run: {exc}"]
    lines += _state_lines(state)
    lines.append("#   Resume it with --auto-recovery")
    return lines


def _state_lines(state: RunState) -> list[str]:
    if state.finished is not None:
        how = f"ended unsuccessfully (exit {state.finished.exit_code}: {state.finished.reason})"
    elif state.interrupted is not None:
        how = f"interrupted by {state.interrupted}"
    else:
        how = "stopped without an end record (supervisor crashed or was killed)"
    done = sorted(tid for tid, r in state.results.items() if r.success)
    lines = [f"#   Run {how}", f"#   Execution path: {done}",
             f"#   Current task: {state.visit.task_id if state.visit else state.last_task}"]
    for intent in state.open_intents():
        lines.append(f"#   In flight: Task {intent.display} attempt {intent.attempt} "
                     f"({intent.attempt_dir}); adopted on resume")
    return lines
