"""Per-task structure rules: required fields, values, routing and loops."""

from __future__ import annotations

import pytest

from tests.validation.helpers import errors, task, tasks, validate, warnings


def test_plain_sequential_workflow_is_valid():
    report = validate(tasks(3))
    assert report.ok
    assert report.errors == []


def test_missing_hostname_is_an_error():
    assert "Missing required field 'hostname'" in errors("task=0\ncommand=echo\n")


def test_missing_command_is_an_error():
    assert "Missing required field 'command'" in errors("task=0\nhostname=h\n")


def test_task_with_nothing_to_do_is_an_error():
    assert any("must have either a command+hostname" in m
               for m in errors("task=0\narguments=x\n"))


def test_error_location_names_file_line_task_and_field():
    (finding,) = validate(task(0) + task(1, "timeout=abc")).errors
    location = finding.location
    assert (location.file, location.line, location.task, location.field) == (
        "t.txt", 9, 1, "timeout")


@pytest.mark.parametrize(("text", "message"), [
    ("task=0\ntype=parallel\n", "exactly one of 'tasks' or 'hostnames'"),
    ("task=0\ntype=parallel\ntasks=1\nhostnames=a,b\ncommand=x\n", "exactly one of"),
    ("task=0\ntype=parallel\ntasks=\n", "'tasks' is empty"),
    ("task=0\ntype=parallel\nhostnames=a,b\n", "requires 'command'"),
    ("task=0\ntype=parallel\ntasks=1\nfailure=exit_1\n", "'failure' is not allowed"),
    ("task=0\ntype=parallel\ntasks=1\ntimeout=30\n", "'timeout' is not allowed"),
    ("task=0\ntype=parallel\ntasks=1\nmax_parallel=0\n", "max_parallel must be at least 1"),
])
def test_parallel_block_rules(text, message):
    assert any(message in m for m in errors(text + task(1)))


def test_hostnames_block_may_carry_timeout_and_failure():
    text = "task=0\ntype=parallel\nhostnames=a,b\ncommand=x\ntimeout=30\nfailure=exit_3\n"
    assert errors(text) == []


def test_high_max_parallel_only_warns():
    text = "task=0\ntype=parallel\ntasks=1\nmax_parallel=50\n" + task(1)
    assert errors(text) == []
    assert any("max_parallel=50" in m for m in warnings(text))


@pytest.mark.parametrize(("block", "message"), [
    ("type=conditional\nif_true_tasks=1\nif_false_tasks=2\n", "requires 'condition'"),
    ("type=conditional\ncondition=true\nif_true_tasks=1\n", "requires 'if_false_tasks'"),
    ("type=conditional\ncondition=true\nif_true_tasks=\nif_false_tasks=2\n",
     "'if_true_tasks' is empty"),
    ("type=conditional\ncondition=true\nif_true_tasks=1\nif_false_tasks=2\nfailure=exit_0\n",
     "'failure' is not allowed"),
    ("type=decision\n", "requires 'success' or 'failure'"),
    ("type=decision\nsuccess=true\ncommand=echo\n", "'command' is not allowed"),
    ("type=decision\nsuccess=true\nfailure=false\n", "both 'success' and 'failure'"),
])
def test_block_and_decision_rules(block, message):
    assert any(message in m for m in errors(f"task=0\n{block}" + task(1) + task(2)))


def test_decision_exec_only_warns():
    text = "task=0\ntype=decision\nsuccess=true\nexec=local\n" + task(1)
    assert errors(text) == []
    assert "Field 'exec' is ignored on a decision task" in warnings(text)


def test_timeout_on_a_return_task_is_an_error():
    assert "Field 'timeout' is not allowed on a return task" in errors(
        "task=0\nreturn=0\ntimeout=10\n")


@pytest.mark.parametrize(("line", "message"), [
    ("timeout=abc", "timeout must be an integer"),
    ("sleep=soon", "sleep must be a number"),
    ("sleep=nan", "sleep must be a number"),
    ("return=x", "return must be an integer"),
    ("return=@0_exit@", "return must be an integer"),  # never substituted (REFERENCE §4.2)
    ("retry_count=0", "retry_count=0 is out of range (1-1000)"),
    ("retry_count=1001", "out of range"),
    ("retry_delay=-1", "retry_delay=-1 is out of range"),
    ("stdout_split=space", "stdout_split must be DELIMITER,INDEX"),
    ("stderr_split=a,b,1", "must be DELIMITER,INDEX"),
    ("stdout_split=comma,x", "index must be an integer"),
    ("memory_limit=lots", "invalid memory_limit"),
])
def test_bad_values_are_errors(line, message):
    assert any(message in m for m in errors(task(0, line)))


@pytest.mark.parametrize(("line", "message"), [
    ("timeout=2", "below the minimum"),
    ("sleep=-1", "negative"),
    ("return=-3", "negative"),
    ("retry_count=150", "unusually high"),
    ("retry_delay=400", "unusually high"),
    ("stdout_split=comma,-1", "negative"),
])
def test_questionable_values_only_warn(line, message):
    text = task(0, line)
    assert errors(text) == []
    assert any(message in m for m in warnings(text))


@pytest.mark.parametrize("line", ["timeout=@T@", "sleep=@T@", "retry_count=@T@",
                                  "memory_limit=512M", "memory_limit=1.5GiB", "sleep=0.5",
                                  "timeout=604800", "stdout_split=@T@,1"])
def test_good_values_and_placeholders_pass(line):
    assert errors("T=5\n" + task(0, line)) == []


def test_retry_on_an_ordinary_task_is_legal():
    report = validate(task(0, "retry_count=2", "retry_delay=0") + task(1))
    assert report.errors == []
    assert not any("retry" in w.message for w in report.warnings)


def test_retry_on_a_return_task_warns():
    assert "retry fields are ignored on a return task" in warnings(
        "task=0\nreturn=0\nretry_count=2\n")


@pytest.mark.parametrize("target", [0, 1])
def test_routing_must_jump_forward(target):
    text = task(0) + task(1, f"on_success={target}") + task(2)
    assert any("forward-only rule" in m for m in errors(text))


def test_numeric_next_is_not_supported():
    assert any("Direct task jumping is not supported" in m
               for m in errors(task(0, "next=1") + task(1)))


@pytest.mark.parametrize(("lines", "message"), [
    (("loop=3",), "'loop' requires next=loop"),
    (("next=loop",), "next=loop requires 'loop'"),
    (("next=loop", "loop=1001"), "loop=1001 is out of range (1-1000)"),
    (("next=loop", "loop=0"), "loop=0 is out of range (1-1000)"),
])
def test_loop_rules(lines, message):
    assert message in errors(task(0, *lines) + task(1))


def test_next_loop_with_a_condition_counts_as_a_loop():
    assert errors(task(0, "next=loop&stdout!~2", "loop=5") + task(1)) == []
    assert errors(task(0, "next=loop AND exit_0", "loop=5") + task(1)) == []


def test_next_combined_with_on_success_and_on_failure_is_legal():
    text = task(0, "next=exit_0", "on_success=2", "on_failure=3") + task(1) + task(2) + task(3)
    assert errors(text) == []
    assert errors(task(0, "next=never", "on_success=2") + task(1) + task(2)) == []


def test_success_and_failure_together_are_an_error():
    assert "cannot have both 'success' and 'failure'" in errors(
        task(0, "success=exit_0", "failure=exit_1"))


def test_unknown_and_misplaced_fields_warn():
    found = warnings(task(0, "goto=2", "tasks=1,2") + task(1) + task(2))
    assert "Unknown field 'goto' is ignored" in found
    assert "Field 'tasks' is ignored on a normal task" in found


def test_large_task_ids_warn_once():
    text = "task=1000\nhostname=h\ncommand=echo\n" + "task=1001\nhostname=h\ncommand=echo\n"
    assert sum("1000 or above" in m for m in warnings(text)) == 1
