"""Task blocks -> models: kinds, IDs, typed fields, hostnames= subtasks, error locations."""

from __future__ import annotations

import time

import pytest

from tasker.errors import NoTasksError, TaskFileError
from tasker.model import (
    CommandTask,
    ConditionalTask,
    DecisionTask,
    ParallelTask,
    ReturnTask,
)
from tests.taskfile.helpers import TASK0, parse, task_block


def test_task_kinds_follow_type_and_return():
    text = (task_block(0) + "task=1\nreturn=3\n" + "task=2\ntype=PARALLEL\ntasks=10\n"
            + "task=3\ntype=conditional\n" + "task=4\ntype=Decision\n"
            + task_block(5, "type=sequential"))
    kinds = {tid: type(task) for tid, task in parse(text).tasks.items()}
    assert kinds == {0: CommandTask, 1: ReturnTask, 2: ParallelTask, 3: ConditionalTask,
                     4: DecisionTask, 5: CommandTask}


def test_return_with_a_command_is_a_command_task():
    task = parse(task_block(0, "return=7")).tasks[0]
    assert isinstance(task, CommandTask)
    assert task.return_value == "7"


def test_every_key_keeps_its_line_and_unknown_keys_are_listed():
    task = parse("# c\ntask=0\nhostname=h\n\ncommand=echo\ngoto=2\nfoo=bar\n").tasks[0]
    assert task.line == 2
    assert task.lines == {"hostname": 3, "command": 5, "goto": 6, "foo": 7}
    assert task.unknown_fields == ("goto", "foo")


def test_arguments_default_to_the_empty_string():
    assert parse(TASK0).tasks[0].arguments == ""


def test_numeric_fields_accept_a_trailing_comment():
    task = parse(task_block(0, "sleep=1  # pause", "timeout=60 # long", "task_x=1")).tasks[0]
    assert (task.sleep, task.timeout) == ("1", "60")


def test_text_field_inline_comment_error_names_task_and_line():
    with pytest.raises(TaskFileError) as caught:
        parse(task_block(3, "arguments=seq zero  # note"))
    location = caught.value.location
    assert (location.file, location.line, location.task, location.field) == (
        "t.txt", 4, 3, "arguments")


@pytest.mark.parametrize(("value", "message"), [
    ("first", "Task ID 'first' is not a valid integer."),
    ("1.5", "not a valid integer"),
    ("", "Task ID '' is not a valid integer."),
    ("-1", "negative"),
    ("10000", "Task ID security error"),
    ("100000", "Task ID security error"),
    ("9" * 5000, "Task ID security error"),
])
def test_bad_task_ids_are_rejected(value, message):
    with pytest.raises(TaskFileError, match="0-9999" if "security" in message else None) as err:
        parse(f"task={value}\nhostname=h\ncommand=echo\n")
    assert message in err.value.message
    assert err.value.location.line == 1


def test_duplicate_task_id_is_rejected_even_when_task_validation_is_skipped():
    with pytest.raises(TaskFileError, match="DUPLICATE TASK ID 0 detected") as caught:
        parse(TASK0 + "\n" + TASK0, skip_task_validation=True)
    assert caught.value.location.line == 5


@pytest.mark.parametrize("text", ["", "# only comments\n", "--log-level=DEBUG\n",
                                  "A=1\nB=2\n", "junk line\n"])
def test_file_without_tasks_is_refused_with_exit_24(text):
    with pytest.raises(NoTasksError) as caught:
        parse(text)
    assert caught.value.exit_code == 24


def test_loop_and_max_parallel_resolve_from_globals():
    text = ("LOOPS=3\nWIDTH=2\n" + task_block(0, "next=loop", "loop=@LOOPS@")
            + "task=1\ntype=parallel\ntasks=10\nmax_parallel=@WIDTH@\n")
    wf = parse(text)
    assert (wf.tasks[0].loop, wf.tasks[1].max_parallel) == (3, 2)


@pytest.mark.parametrize(("line", "message"), [
    ("loop=@NOPE@", "undefined global variable 'NOPE'"),
    ("loop=@LOOPS@", "resolves to 'many'"),
    ("loop=abc", "'abc' is not a valid integer"),
    ("on_success=x", "'x' is not a valid integer"),
    ("retry_failed=yes", "must be true or false"),
])
def test_bad_typed_values_are_errors_naming_the_field(line, message):
    with pytest.raises(TaskFileError, match=message) as caught:
        parse("LOOPS=many\n" + task_block(0, line))
    assert caught.value.location.field == line.split("=")[0]
    assert caught.value.location.line == 5


def test_task_lists_and_booleans_are_typed():
    text = "task=0\ntype=parallel\ntasks= 10 , 11,12\nretry_failed=TRUE\n"
    task = parse(text).tasks[0]
    assert (task.tasks, task.retry_failed, task.max_parallel) == ((10, 11, 12), True, 8)


@pytest.mark.parametrize("value", ["1,,2", "1,a", "1,2,"])
def test_malformed_task_list_is_rejected(value):
    with pytest.raises(TaskFileError, match="invalid task list"):
        parse(f"task=0\ntype=conditional\nif_true_tasks={value}\n")


def test_hostnames_block_generates_one_subtask_per_host():
    text = ("task=2\ntype=parallel\nhostnames=alpha, beta,gamma\ncommand=record\n"
            "arguments=hosts @task@\nexec=pbrun\ntimeout=30\nsuccess=min_success=2\n"
            "failure=stderr~x\nstdout_split=space,1\nretry_count=2\n")
    wf = parse(text)
    subtasks = [wf.tasks[tid] for tid in (100000 + 20000, 100000 + 20001, 100000 + 20002)]
    assert [s.hostname for s in subtasks] == ["alpha", "beta", "gamma"]
    first = subtasks[0]
    assert (first.parent, first.command, first.arguments) == (2, "record", "hosts 120000")
    assert (first.exec, first.timeout, first.failure, first.stdout_split) == (
        "pbrun", "30", "stderr~x", "space,1")
    assert first.retry_count == "2"
    assert first.success is None
    assert wf.tasks[2].success == "min_success=2"
    assert wf.task_ids() == [2]


def test_more_than_1000_hostnames_are_refused():
    hosts = ",".join(f"h{i}" for i in range(1001))
    with pytest.raises(TaskFileError, match="at most 1000"):
        parse(f"task=0\ntype=parallel\ncommand=x\nhostnames={hosts}\n")


def test_twenty_thousand_tasks_are_refused_at_once_naming_the_id_limit():
    text = "".join(task_block(i % 10000 + (i // 10000) * 10000) for i in range(20000))
    started = time.perf_counter()
    with pytest.raises(TaskFileError, match="0-9999"):
        parse(text)
    assert time.perf_counter() - started < 0.25
