"""Pure parts of recovery: record payloads, resume points, globals after a resume."""

from __future__ import annotations

import io

import pytest

from tasker.engine import events as ev
from tasker.engine.results import StreamSummary, TaskResult
from tasker.engine.state import fold
from tasker.errors import RecoveryError
from tasker.journal.recovery import resume_point, resumed_globals
from tasker.journal.session import SYNCED_EVENTS, journal_payload
from tasker.taskfile.parser import ParseOptions, parse_workflow
from tests.engine.helpers import finished, routed, started


def attempt_finished(result_file: str | None) -> ev.AttemptFinished:
    result = TaskResult(task_id=0, exit_code=0, success=True,
                        stdout=StreamSummary(text="secret output", bytes=14, sha256="ab"))
    return ev.AttemptFinished(task_id=0, attempt=1, outcome="success", result=result,
                              result_file=result_file)


def test_record_of_a_shim_attempt_keeps_size_and_hash_but_not_the_text():
    payload = journal_payload(attempt_finished("/runs/x/attempts/0.1/result.json"))
    assert payload["result"]["stdout"] == {"text": "", "bytes": 14, "sha256": "ab",
                                           "file": None, "truncated": False}


def test_record_without_a_result_file_keeps_tasker_generated_text():
    assert journal_payload(attempt_finished(None))["result"]["stdout"]["text"] == \
        "secret output"


def test_intent_is_synced_but_finished_and_routed_ride_with_the_next_sync():
    assert {"attempt_intent", "run_finished", "attempt_in_doubt"} <= SYNCED_EVENTS
    assert not {"attempt_finished", "routed", "attempt_spawned"} & SYNCED_EVENTS


def test_crash_resumes_exactly_where_the_state_is():
    state = fold([started(), routed(0), finished(0), routed(1)])
    assert resume_point(state) == resume_point(state).__class__("crash", None)


def test_failure_restarts_the_task_the_run_stopped_at():
    state = fold([started(), routed(0), finished(0, 3),
                  ev.RunFinished(exit_code=3, status="failed", reason="x", last_task=0)])
    point = resume_point(state)
    assert (point.after, point.restart_task) == ("failure", 0)


def test_interrupted_attempt_restarts_its_task_after_a_crash():
    state = fold([started(), routed(4), finished(4, -15, outcome="interrupted")])
    assert resume_point(state).restart_task == 4


def test_a_signal_after_the_task_succeeded_goes_on_from_there():
    """Stopped in its sleep after a success: the task is done (REFERENCE §9.2 step 2)."""
    stop = [ev.RunInterrupted(signal_name="SIGINT"),
            ev.RunFinished(exit_code=130, status="failed", reason="x", last_task=0)]
    state = fold([started(), routed(0), finished(0), *stop])
    assert (resume_point(state).after, resume_point(state).restart_task) == ("interrupt", None)
    failed = fold([started(), routed(0), finished(0, 3), *stop])
    assert resume_point(failed).restart_task == 0  # a failed task runs again
    cut = fold([started(), routed(0), finished(0, -2, outcome="interrupted"), *stop])
    assert resume_point(cut).restart_task == 0


def test_resumed_event_clears_the_end_and_restarts_the_visit():
    state = fold([started(), routed(0), finished(0, 3),
                  ev.RunFinished(exit_code=3, status="failed", reason="x", last_task=0),
                  ev.RunResumed(segment="s", after="failure", restart_task=0)])
    assert state.finished is None and state.visit.task_id == 0 and state.visit.last is None


def env_workflow(env: dict[str, str]):
    return parse_workflow("HOST=$TASKER_HOST\n\ntask=0\nhostname=@HOST@\ncommand=true\n",
                          "t.txt", ParseOptions(env=env))


def test_changed_environment_global_takes_the_new_value_with_yes():
    wf = env_workflow({"TASKER_HOST": "new"})
    values = resumed_globals(wf, {"HOST": "old"}, {"TASKER_HOST": "new"}, yes=True,
                             say=lambda _m: None)
    assert values["HOST"] == "new"


def test_changed_environment_global_refused_at_the_prompt_is_exit_12():
    wf = env_workflow({"TASKER_HOST": "new"})
    said: list[str] = []
    with pytest.raises(RecoveryError) as caught:
        resumed_globals(wf, {"HOST": "old"}, {"TASKER_HOST": "new"}, yes=False,
                        say=said.append, stdin=io.StringIO("n\n"))
    assert caught.value.exit_code == 12 and any("HOST" in line for line in said)


def test_unchanged_globals_need_no_prompt():
    wf = env_workflow({"TASKER_HOST": "same"})
    values = resumed_globals(wf, {"HOST": "same"}, {"TASKER_HOST": "same"}, yes=False,
                             say=lambda _m: pytest.fail("no prompt expected"),
                             stdin=io.StringIO(""))
    assert values == {"HOST": "same"}
