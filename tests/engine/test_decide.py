"""The pure decision function: routing, loops, retries, sleeps, returns, blocks, decisions."""

from __future__ import annotations

from tasker.engine import events as ev
from tasker.engine.actions import (
    Finish,
    Goto,
    MakeDecision,
    RunAttempt,
    RunBlock,
    SkipTask,
    SleepAfter,
    StoreReturn,
)
from tasker.engine.decide import DecideContext, decide
from tasker.engine.results import text_result
from tests.engine.helpers import block_done, finished, routed, state_of, task, workflow

CTX = DecideContext()


def after(wf_text: str, *events: ev.Event, ctx: DecideContext = CTX, globals_=None):
    return decide(workflow(wf_text), state_of(*events, globals_=globals_), ctx)


def test_run_starts_at_task_zero():
    action = after(task(0) + task(1))
    assert isinstance(action, Goto) and action.to_task == 0


def test_run_starts_at_lowest_id_when_zero_missing():
    action = after(task(3) + task(4))
    assert action.to_task == 3
    assert "auto-starting from lowest available task 3" in action.messages[0][1]
    assert action.messages[1][0] == "warn"  # REFERENCE §5.2: about unresolved dependencies


def test_start_from_goes_to_that_task():
    action = after(task(0) + task(1) + task(2), ctx=DecideContext(start_from=2))
    assert action.to_task == 2 and action.why == "start-from"


def test_first_visit_runs_first_attempt():
    action = after(task(0), routed(0))
    assert action == RunAttempt(task_id=0)


def test_success_without_routing_goes_to_next_id():
    action = after(task(0) + task(1), routed(0), finished(0))
    assert isinstance(action, Goto) and action.to_task == 1


def test_missing_next_id_ends_run_successfully():
    action = after(task(0) + task(5), routed(0), finished(0))
    assert isinstance(action, Finish) and action.exit_code == 0
    assert action.messages[-1][1].startswith("SUCCESS: Task execution completed - 1 task(s)")


def test_unrouted_failure_exits_with_task_code():
    action = after(task(0) + task(1), routed(0), finished(0, 3))
    assert action.exit_code == 3 and action.reason == "Last task failed"
    assert action.messages[-1] == (
        "error", "FAILED: Workflow stopped - last task (Task 0) failed with exit code 3.")


def test_failure_with_exit_zero_exits_1():
    action = after(task(0, "success=exit_1"), routed(0), finished(0, 0, success=False))
    assert action.exit_code == 1


def test_timeout_failure_exits_124():
    action = after(task(0), routed(0), finished(0, 124, timed_out=True))
    assert action.exit_code == 124


def test_fire_and_forget_continues_after_unrouted_failure():
    action = after(task(0) + task(1), routed(0), finished(0, 2),
                   ctx=DecideContext(fire_and_forget=True))
    assert action.to_task == 1 and action.messages[0][0] == "warn"


def test_on_success_only_failure_exits_10():
    action = after(task(0, "on_success=2") + task(1) + task(2), routed(0), finished(0, 4))
    assert action.exit_code == 10 and action.reason == "Next condition not met"


def test_on_success_jumps():
    action = after(task(0, "on_success=2") + task(1) + task(2), routed(0), finished(0))
    assert action.to_task == 2
    assert action.messages[-1][1] == "Task 0: Success condition met, jumping to Task 2"


def test_on_failure_only_success_continues():
    action = after(task(0, "on_failure=2") + task(1) + task(2), routed(0), finished(0))
    assert action.to_task == 1


def test_on_failure_jumps_on_failure():
    action = after(task(0, "on_failure=2") + task(1) + task(2), routed(0), finished(0, 1))
    assert action.to_task == 2


def test_jump_to_undefined_task_exits_20():
    action = after(task(0, "on_failure=50") + task(1), routed(0), finished(0, 1))
    assert action.exit_code == 20
    assert ("error", "Task 0: on_failure target Task 50 does not exist - stopping execution") \
        in action.messages


def test_next_never_exits_0_even_after_failure():
    action = after(task(0, "next=never") + task(1), routed(0), finished(0, 3))
    assert action.exit_code == 0 and action.status == "success"


def test_next_never_wins_over_on_success():
    action = after(task(0, "next=never", "on_success=2") + task(1) + task(2), routed(0),
                   finished(0))
    assert isinstance(action, Finish) and action.exit_code == 0


def test_next_always_continues_after_failure():
    action = after(task(0, "next=always") + task(1), routed(0), finished(0, 4))
    assert action.to_task == 1


def test_true_next_condition_goes_to_on_success():
    action = after(task(0, "next=stdout~zero", "on_success=2") + task(1) + task(2), routed(0),
                   finished(0, next_value=True))
    assert action.to_task == 2


def test_false_next_condition_goes_to_on_failure():
    action = after(task(0, "next=exit_0", "on_failure=2") + task(1) + task(2), routed(0),
                   finished(0, 2, next_value=False))
    assert action.to_task == 2


def test_false_next_condition_without_on_failure_stops():
    action = after(task(0, "next=exit_0") + task(1), routed(0), finished(0, 1, next_value=False))
    assert action.exit_code == 1
    assert ("info", "Task 0: Stopping execution (exit_0=FALSE)") in action.messages


def test_true_next_continues_although_task_failed():
    action = after(task(0, "next=exit_4") + task(1), routed(0), finished(0, 4, next_value=True))
    assert action.to_task == 1


def test_false_precondition_skips_task():
    action = after(task(0, "condition=false") + task(1), routed(0))
    assert isinstance(action, SkipTask)
    assert "evaluated to FALSE, skipping task" in action.messages[0][1]


def test_skipped_task_goes_to_next_id_ignoring_its_routing():
    action = after(task(0, "condition=false", "on_success=2") + task(1) + task(2), routed(0),
                   finished(0, -1, success=False, outcome="skipped", attempt=0))
    assert action.to_task == 1


def test_precondition_reads_earlier_results():
    action = after(task(0) + task(1, "condition=@0_stdout@~yes"), routed(0),
                   finished(0, stdout="yes\n"), routed(1, 0))
    assert isinstance(action, RunAttempt)


def test_precondition_reads_globals():
    action = after(task(0, "condition=@MODE@=prod"), routed(0), globals_={"MODE": "dev"})
    assert isinstance(action, SkipTask)


def test_loop_runs_next_iteration():
    action = after(task(0, "next=loop", "loop=3") + task(1), routed(0),
                   finished(0, iteration=1))
    assert action == RunAttempt(task_id=0, iteration=2)


def test_loop_first_attempt_is_iteration_1():
    action = after(task(0, "next=loop", "loop=3"), routed(0))
    assert action.iteration == 1


def test_loop_stops_after_exactly_n_iterations():
    action = after(task(0, "next=loop", "loop=3") + task(1), routed(0),
                   finished(0, 1, iteration=3))
    assert action.to_task == 1
    assert action.messages[-1][1] == "Task 0: Loop complete - max iterations reached"


def test_loop_break_stops_loop():
    action = after(task(0, "next=loop", "loop=5", "loop_break=exit_0") + task(1), routed(0),
                   finished(0, iteration=2, loop_break=True))
    assert action.to_task == 1
    assert "Breaking loop - loop_break condition 'exit_0' satisfied" in action.messages[-1][1]


def test_loop_condition_in_next_repeats_while_true():
    wf = task(0, "next=loop&stdout!~2", "loop=5") + task(1)
    assert after(wf, routed(0), finished(0, iteration=1, next_value=True)).iteration == 2
    assert after(wf, routed(0), finished(0, iteration=2, next_value=False)).to_task == 1


def test_sleep_comes_before_routing():
    action = after(task(0, "sleep=1.5") + task(1), routed(0), finished(0))
    assert action == SleepAfter(task_id=0, seconds=1.5)


def test_routing_after_sleep():
    action = after(task(0, "sleep=1.5") + task(1), routed(0), finished(0),
                   ev.Slept(task_id=0, seconds=1.5))
    assert action.to_task == 1


def test_sleep_from_global():
    action = after(task(0, "sleep=@S@") + task(1), routed(0), finished(0), globals_={"S": "2"})
    assert action.seconds == 2.0


def test_loop_sleeps_every_iteration():
    wf = task(0, "next=loop", "loop=2", "sleep=1") + task(1)
    events = [routed(0), finished(0, iteration=1)]
    assert isinstance(after(wf, *events), SleepAfter)
    slept = ev.Slept(task_id=0, seconds=1)
    assert after(wf, *events, slept).iteration == 2
    assert isinstance(after(wf, *events, slept, finished(0, iteration=2, attempt=2)), SleepAfter)


def test_failed_task_is_retried_with_delay():
    action = after(task(0, "retry_count=2", "retry_delay=3") + task(1), routed(0), finished(0, 1))
    assert action == RunAttempt(task_id=0, retry=1, delay=3.0, messages=(
        ("info", "Task 0: FAILED - will retry (attempt 2 of 3) in 3s"),))


def test_retries_exhausted_route_as_failure():
    action = after(task(0, "retry_count=2", "retry_delay=0") + task(1), routed(0),
                   finished(0, 4, retry=2))
    assert action.exit_code == 4
    assert action.messages[0][1] == "Task 0: FAILED after 2 retry attempt(s) - giving up"


def test_success_after_retry_is_reported():
    action = after(task(0, "retry_count=2") + task(1), routed(0), finished(0, retry=1))
    assert action.to_task == 1
    assert action.messages[0][1] == "Task 0: SUCCESS after 1 retry attempt(s)"


def test_timeout_is_not_retried():
    action = after(task(0, "retry_count=2", "timeout=5") + task(1), routed(0),
                   finished(0, 124, timed_out=True))
    assert isinstance(action, Finish) and action.exit_code == 124


def test_return_only_task_stores_then_finishes():
    wf = task(0) + "task=1\nreturn=5\n"
    assert after(wf, routed(1, 0)) == StoreReturn(task_id=1, code=5)
    action = after(wf, routed(1, 0), finished(1, 5, attempt=0))
    assert action.exit_code == 5 and action.status == "failed"


def test_return_code_is_taken_mod_256():
    wf = "task=0\nreturn=300\n"
    action = after(wf, routed(0), finished(0, 300, attempt=0))
    assert action.exit_code == 44


def test_invalid_return_exits_50():
    action = after("task=0\nreturn=@X@\n", routed(0), globals_={"X": "abc"})
    assert action.exit_code == 50


def test_command_with_return_finishes_regardless_of_success():
    action = after(task(0, "return=0") + task(1), routed(0), finished(0, 3))
    assert action.exit_code == 0 and action.status == "success"


PARALLEL = "task=0\ntype=parallel\ntasks=10,11\n{extra}\n\n" + task(1) + task(5) + task(6) \
    + task(10) + task(11)


def test_block_is_run_first():
    assert after(PARALLEL.format(extra=""), routed(0)) == RunBlock(task_id=0)


def test_block_default_all_success_failure_exits_10():
    action = after(PARALLEL.format(extra=""), routed(0), *block_done(0, 1, 2))
    assert action.exit_code == 10


def test_block_all_success_continues():
    action = after(PARALLEL.format(extra=""), routed(0), *block_done(0, 2, 2))
    assert action.to_task == 1


def test_block_next_never_exits_0():
    action = after(PARALLEL.format(extra="next=never"), routed(0), *block_done(0, 0, 2))
    assert action.exit_code == 0


def test_block_min_success_routes_on_success():
    wf = PARALLEL.format(extra="success=min_success=1\non_success=5\non_failure=6")
    assert after(wf, routed(0), *block_done(0, 1, 2)).to_task == 5
    assert after(wf, routed(0), *block_done(0, 0, 2)).to_task == 6


def test_block_majority_half_is_false():
    wf = PARALLEL.format(extra="next=majority_success")
    assert after(wf, routed(0), *block_done(0, 1, 2)).exit_code == 10


def test_conditional_block_next_never_exits_0():
    wf = ("task=0\ntype=conditional\ncondition=true\nif_true_tasks=10\nif_false_tasks=11\n"
          "next=never\n\n") + task(1) + task(10) + task(11)
    action = after(wf, routed(0), *block_done(0, 1, 1))
    assert action.exit_code == 0 and isinstance(action, Finish)


DECISION = "task=0\ntype=decision\nsuccess=@X@=go\n{extra}\n\n" + task(1) + task(2)


def test_decision_evaluates_on_globals():
    action = after(DECISION.format(extra=""), routed(0), globals_={"X": "go"})
    assert action.passed is True and isinstance(action, MakeDecision)
    assert after(DECISION.format(extra=""), routed(0), globals_={"X": "no"}).passed is False


def test_a_failure_decision_logs_its_condition_s_own_value():
    text = DECISION.replace("success=@X@=go", "failure=@X@=go").format(extra="")
    action = after(text, routed(0), globals_={"X": "go"})
    assert action.passed is False
    assert [m for _level, m in action.messages][1:] == [
        "Task 0: Decision condition '@X@=go' evaluated to: True", "Task 0: Decision FAILED"]


def decided(passed: bool) -> ev.DecisionMade:
    return ev.DecisionMade(task_id=0, passed=passed,
                           result=text_result(0, 0 if passed else 1, passed))


def test_failed_decision_without_on_failure_continues():
    assert after(DECISION.format(extra=""), routed(0), decided(False)).to_task == 1


def test_decision_on_success_jumps():
    assert after(DECISION.format(extra="on_success=2"), routed(0), decided(True)).to_task == 2


def test_decision_next_never_stops_with_exit_0():
    action = after(DECISION.format(extra="next=never"), routed(0), decided(True))
    assert isinstance(action, Finish) and action.exit_code == 0


def test_interrupt_finishes_with_130():
    action = after(task(0), routed(0), ev.RunInterrupted(signal_name="SIGINT"))
    assert action.exit_code == 130
    assert action.messages[0] == (
        "error", "FAILED: Task 0 interrupted by signal - workflow stopping.")


def test_sigterm_finishes_with_143():
    action = after(task(0), routed(0), ev.RunInterrupted(signal_name="SIGTERM"))
    assert action.exit_code == 143
