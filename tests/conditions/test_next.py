"""`next=` special forms (REFERENCE §5.4, SPEC D4)."""

from __future__ import annotations

import pytest

from tasker.conditions import NEXT_KINDS, evaluate, parse_next
from tasker.errors import ConditionSyntaxError

from .helpers import make_ctx, shape


@pytest.mark.parametrize(("text", "kind"), [
    ("never", "never"),
    ("NEVER", "never"),
    (" always ", "always"),
    ("loop", "loop"),
    ("Loop", "loop"),
    ("success", "success"),
    ("exit_0", "condition"),
    ("sometimes", "condition"),
    ("min_success=2", "condition"),
    ("loop and exit_0", "condition"),
    ("loopy&exit_0", "condition"),
])
def test_next_keywords_are_recognised_case_insensitively(text, kind):
    spec = parse_next(text)
    assert spec.kind == kind
    assert spec.kind in NEXT_KINDS
    assert (spec.condition is None) == (kind in ("never", "always", "success", "loop"))


@pytest.mark.parametrize(("text", "expected"), [
    ("loop&stdout!~2", "stdout!~2"),
    ("loop & exit_0", "exit_0"),
    ("LOOP&exit_0", "exit_0"),
    ("loop AND exit_0", "exit_0"),
    ("loop&exit_0|stdout~x", "(exit_0 | stdout~x)"),
    ("loop&(exit_0&stdout~x)", "(exit_0 & stdout~x)"),
])
def test_loop_with_condition_keeps_everything_after_the_operator(text, expected):
    spec = parse_next(text)
    assert spec.kind == "loop"
    assert spec.condition is not None
    assert shape(spec.condition.root) == expected


def test_loop_condition_is_evaluated_on_the_iteration_output():
    spec = parse_next("loop&stdout!~2")
    assert spec.condition is not None
    assert evaluate(spec.condition, make_ctx(stdout="1\n")) is True
    assert evaluate(spec.condition, make_ctx(stdout="2\n")) is False


@pytest.mark.parametrize(("text", "column"), [
    ("loop&", 6),
    ("loop & (exit_0", 8),
    ("loop&exit_0&&x", 13),
    ("", 1),
    ("exit_0|", 8),
])
def test_malformed_next_reports_column_in_the_whole_value(text, column):
    with pytest.raises(ConditionSyntaxError) as caught:
        parse_next(text)
    assert caught.value.location.column == column
