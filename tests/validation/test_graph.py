"""Block subtasks, the gap rule, reachability and the subtask ID-range advice."""

from __future__ import annotations

import pytest

from tasker.validation.graph import valid_hostname
from tests.validation.helpers import errors, task, tasks, validate, warnings


def test_gap_without_routing_is_an_error_reported_once():
    report = validate(tasks(2) + task(5) + task(8))
    assert [f.message for f in report.errors] == ["Task sequence has gaps"]
    details = [w.message for w in report.warnings if w.message.startswith("gap between")]
    assert len(details) == 2


@pytest.mark.parametrize("text", [
    task(0, "on_success=10") + task(10),
    task(0) + task(1, "arguments=@10_stdout@") + task(10),
    task(0, "next=never") + task(10),
    task(0) + "task=1\nreturn=0\n" + task(10),
    task(0) + task(95),
    task(0) + task(500),
    task(0) + "task=1\ntype=parallel\ntasks=20\n" + task(20),
])
def test_gap_exemptions(text):
    assert "Task sequence has gaps" not in errors(text)


def test_gap_before_a_task_above_999_is_an_error():
    assert "Task sequence has gaps" in errors(task(0) + task(1000))


def test_unreachable_task_warns():
    text = task(0, "on_success=2", "on_failure=3") + task(1) + task(2, "next=never") + task(3)
    found = warnings(text)
    assert "Task 1 is not reachable from Task 0" in found
    assert not any("Task 2 is not" in m or "Task 3 is not" in m for m in found)


def test_return_stops_the_flow_after_a_command_but_not_after_a_block():
    """The run reads `return=` of a command or return-only task; a decision or parallel
    block routes on its own and goes on to the next ID (REFERENCE §5.3)."""
    after_command = warnings(task(0, "return=3") + task(1))
    assert "Task 1 is not reachable from Task 0" in after_command
    after_decision = warnings("task=0\ntype=decision\nsuccess=true\nreturn=4\n\n" + task(1))
    assert not any("not reachable" in m for m in after_decision)


def test_subtasks_may_not_nest_blocks_route_or_loop():
    text = (task(0) + "task=1\ntype=parallel\ntasks=10,11,12\nnext=never\n"
            + "task=10\ntype=parallel\ntasks=11\n" + task(11, "on_success=12")
            + task(12, "next=loop", "loop=2"))
    found = errors(text)
    assert any("nested blocks are not supported" in m for m in found)
    assert "subtask of block 1 cannot have routing ('on_success')" in found
    assert "subtask of block 1 cannot loop" in found


def test_subtask_outside_the_recommended_range_warns():
    text = task(0) + "task=1\ntype=parallel\ntasks=100,250\nnext=never\n" + task(100) + \
        task(250)
    assert any("subtask 250 lies outside the recommended range 100-199" in m
               for m in warnings(text))
    assert not any("subtask 100 " in m for m in warnings(text))
    assert not any("recommended range" in m for m in warnings(text, skip_subtask_range=True))


def test_no_range_advice_for_parents_above_9():
    text = tasks(10) + "task=10\ntype=parallel\ntasks=500\nnext=never\n" + task(500)
    assert not any("recommended range" in m for m in warnings(text))


@pytest.mark.parametrize(("hosts", "message"), [
    ("a", "needs 2-1000 hosts (got 1)"),
    ("a_b,c", "invalid hostname 'a_b'"),
    ("999.1.1.1,web", "invalid hostname '999.1.1.1'"),
    ("-web,db", "invalid hostname '-web'"),
])
def test_hostnames_lists_are_checked(hosts, message):
    text = f"task=0\ntype=parallel\nhostnames={hosts}\ncommand=echo\nexec=local\n"
    assert any(message in m for m in errors(text))


@pytest.mark.parametrize("host", ["web01", "db-1.example.com", "10.0.0.1", "localhost"])
def test_valid_hostnames(host):
    assert valid_hostname(host)


def test_hostname_placeholders_are_left_to_run_time():
    text = "H=web\ntask=0\ntype=parallel\nhostnames=@H@,db\ncommand=echo\nexec=local\n"
    assert errors(text) == []
