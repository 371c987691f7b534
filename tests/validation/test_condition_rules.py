"""Condition fields: SPEC deviations pass, malformed and unknown conditions are errors."""

from __future__ import annotations

import pytest

from tests.validation.helpers import errors, task, validate, warnings

PREFIX = "X=prod\n" + task(0) + "task=1\ntype=parallel\ntasks=2\nnext=any_success\n"


def with_task(*lines: str) -> str:
    return PREFIX + task(2) + task(3, *lines)


@pytest.mark.parametrize("condition", [
    "exit_0 AND stdout~a",
    "exit_0 OR stderr~x",
    "(exit_0|exit_3)&((stdout~zz|stderr~warn)&(stdout~a|exit_9))",
    "exit_0&stdout~a|stderr~x&stdout~zz",
    "stdout==5",
    "stdout=5",
    "stdout_count>=3&stdout_count<=3",
    "@0_exit_code@=0",
    "@0_hostname@~web",
    "@0_duration@<5",
    "@1_success_count@>=2",
    "@1_failed_count@=0&@1_total_count@>0",
    "stdout~rock and roll",
    "@X@=prod",
    "@0_exit@ = 0",
    "exit!=3",
    "exit_not_0",
    "TRUE",
    "contains:ok",
    'stdout~"a&b|c"',
])
def test_conditions_tasker_rejected_but_spec_allows_are_valid(condition):
    for key in ("success", "failure", "condition", "loop_break"):
        assert errors(with_task(f"{key}={condition}")) == [], key


@pytest.mark.parametrize(("condition", "message"), [
    ("sometimes", "unrecognized success: 'sometimes'."),
    ("exit_0 or stdout~a", "unrecognized success: 'exit_0 or stdout~a'."),
    ("exit=0", "Use 'exit_0' instead"),
    ("web,db", "Did you mean to use '|' (OR) instead of ',' (comma)?"),
])
def test_unrecognized_atoms_are_errors(condition, message):
    assert any(message in m for m in errors(with_task(f"success={condition}")))


@pytest.mark.parametrize(("condition", "column"), [
    ("exit_0&&exit_1", 8),
    ("(exit_0", 1),
    ("", 1),
    ("&exit_0", 1),
])
def test_malformed_conditions_are_errors_with_a_column(condition, column):
    (finding,) = validate(with_task(f"success={condition}")).errors
    assert finding.message.startswith("invalid success condition")
    assert (finding.location.field, finding.location.column) == ("success", column)


def test_next_keywords_and_loop_conditions_are_accepted():
    for value in ("never", "always", "success", "NEVER", "exit_0|stderr~"):
        assert errors(with_task(f"next={value}")) == [], value


def test_empty_next_is_an_error():
    assert any("invalid next condition" in m for m in errors(with_task("next=")))


def test_malformed_loop_condition_is_an_error():
    assert any("invalid next condition" in m
               for m in errors(with_task("next=loop&", "loop=2")))


@pytest.mark.parametrize("line", ["next=all_success", "success=min_success=2",
                                  "next=majority_success", "condition=any_success"])
def test_multi_task_keywords_on_an_ordinary_task_are_errors(line):
    key = line.split("=")[0]
    assert any(f"uses parallel/conditional-specific {key} condition" in m
               for m in errors(with_task(line)))


def test_multi_task_keywords_on_blocks_are_valid():
    text = (task(0) + "task=1\ntype=parallel\ntasks=2,3\nsuccess=min_success=1\n"
            + "task=4\ntype=conditional\ncondition=true\nif_true_tasks=2\nif_false_tasks=3\n"
            + "next=max_failed=0\n" + task(2) + task(3) + task(5))
    assert errors(text) == []


def test_multi_task_count_must_be_an_integer():
    text = task(0) + "task=1\ntype=parallel\ntasks=2\nnext=min_success=x\n" + task(2)
    assert any("min_success needs an integer" in m for m in errors(text))


def test_next_success_on_a_block_warns():
    text = task(0) + "task=1\ntype=parallel\ntasks=2\nnext=success\n" + task(2)
    assert "next=success on a block is treated as all_success" in warnings(text)


def test_exit_code_above_255_warns():
    assert any("exit codes are 0-255" in m for m in warnings(with_task("success=exit_300")))


def test_a_global_holding_condition_text_as_an_operand_is_flagged():
    """SPEC D1: `success=@C@` with `C=exit_0` is a literal operand, false at run time."""
    text = ("C=exit_0\nF=TRUE\n\n" + task(0, "success=@C@")
            + task(1, "condition=@F@") + task(2, "success=@0_success@"))
    found = [m for m in warnings(text) if "neither true nor false" in m]
    assert found == ["'@C@' holds 'exit_0', which is neither true nor false: this operand is "
                     "false (a global's value is data, not condition syntax: SPEC D1)"]
    assert not errors(text)
