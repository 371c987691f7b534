"""Recorder barriers: a write-ahead event waits for pending result.json fsyncs first."""

from __future__ import annotations

import pytest

from tasker.engine import events as ev
from tasker.engine.context import Recorder
from tasker.engine.state import RunState


def recorder_with_log() -> tuple[Recorder, list[str]]:
    seen: list[str] = []
    return Recorder(RunState(), (lambda event: seen.append(event.type),)), seen


class DeferringJournal:
    """A sink like the journal session: appends, and hands back the fsync of a write-ahead
    record to run after the recorder's lock."""

    def __init__(self, calls: list[str]):
        self.calls = calls

    def defer_sync(self, event):
        self.calls.append(f"append {event.type}")
        return (lambda: self.calls.append("fsync")) if event.type in ev.WRITE_AHEAD else None


def intent() -> ev.AttemptIntent:
    return ev.AttemptIntent(task_id=0, attempt=1, display="0")


def test_barrier_runs_before_the_next_write_ahead_event_reaches_the_sinks():
    recorder, seen = recorder_with_log()
    recorder.emit(ev.RunStarted(run_id="r", task_file="t.txt"))
    recorder.add_barrier(lambda: seen.append("barrier"))
    recorder.emit(ev.Routed(from_task=None, to_task=0, why="start"))
    assert seen == ["run_started", "routed"]
    recorder.emit(intent())
    assert seen == ["run_started", "routed", "barrier", "attempt_intent"]
    recorder.emit(ev.RunFinished(exit_code=0, status="success", reason="done"))
    assert seen.count("barrier") == 1


def test_failing_barrier_stops_the_event_and_the_other_barriers_still_run():
    recorder, seen = recorder_with_log()

    def fail() -> None:
        raise OSError("not durable")

    recorder.add_barrier(fail)
    recorder.add_barrier(lambda: seen.append("second"))
    with pytest.raises(OSError):
        recorder.emit(intent())
    assert seen == ["second"]


def test_deferred_sync_sink_gets_its_commit_run_after_the_append():
    calls: list[str] = []
    recorder = Recorder(RunState(), (DeferringJournal(calls),))
    recorder.emit(ev.RunStarted(run_id="r", task_file="t.txt"))
    recorder.emit(ev.Routed(from_task=None, to_task=0, why="start"))
    assert calls == ["append run_started", "fsync", "append routed"]


def test_after_commit_action_runs_once_the_next_write_ahead_event_is_synced():
    calls: list[str] = []
    recorder = Recorder(RunState(), (DeferringJournal(calls),))
    recorder.emit(ev.RunStarted(run_id="r", task_file="t.txt"))
    recorder.after_commit(lambda: calls.append("release"))
    recorder.emit(ev.Routed(from_task=None, to_task=0, why="start"))
    assert "release" not in calls
    recorder.emit(intent())
    assert calls[2:] == ["append routed", "append attempt_intent", "fsync", "release"]
    recorder.emit(ev.RunFinished(exit_code=0, status="success", reason="done"))
    assert calls.count("release") == 1


def test_after_commit_action_runs_even_when_the_sync_fails():
    calls: list[str] = []

    class Journal:
        def defer_sync(self, event):
            def fail() -> None:
                raise OSError("disk full")
            return fail if event.type in ev.WRITE_AHEAD else None

    recorder = Recorder(RunState(), (Journal(),))
    recorder.after_commit(lambda: calls.append("release"))
    with pytest.raises(OSError):
        recorder.emit(intent())
    assert calls == ["release"]
