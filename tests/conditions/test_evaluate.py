"""Evaluation of every atom and operator, D1 injection safety and spilled streams."""

from __future__ import annotations

import pytest

from tasker.conditions import (
    OutputView,
    evaluate,
    output_patterns,
    parse_condition,
    uses_multi_task_keywords,
)

from .helpers import make_ctx


def check(text: str, **ctx) -> bool:
    return evaluate(parse_condition(text), make_ctx(**ctx))


@pytest.mark.parametrize(("text", "ctx", "expected"), [
    # exit codes
    ("exit_0", {"exit_code": 0}, True),
    ("exit_0", {"exit_code": 1}, False),
    ("exit_3", {"exit_code": 3}, True),
    ("EXIT_3", {"exit_code": 3}, True),
    ("exit_abc", {"exit_code": 0}, False),
    ("exit_not_0", {"exit_code": 2}, True),
    ("exit_not_0", {"exit_code": 0}, False),
    ("exit=2", {"exit_code": 2}, True),
    ("exit==2", {"exit_code": 2}, True),
    ("exit!=2", {"exit_code": 2}, False),
    ("exit>1", {"exit_code": 2}, True),
    ("exit<=1", {"exit_code": 2}, False),
    ("exit>=@LEVEL@", {"exit_code": 7}, True),
    ("exit=abc", {"exit_code": 0}, False),
    # literals and success
    ("true", {}, True),
    ("TRUE", {}, True),
    ("False", {}, False),
    ("success", {"success": True}, True),
    ("success", {"success": False}, False),
    ("success", {}, False),
    # substring
    ("stdout~complete", {"stdout": "deploy complete\n"}, True),
    ("stdout~hello", {"stdout": "Hello\n"}, False),
    ("stdout~.*", {"stdout": "abc"}, False),
    ("stdout~rock and roll", {"stdout": "rock and roll\n"}, True),
    ("stdout!~error", {"stdout": "all good\n"}, True),
    ("stdout!~good", {"stdout": "all good\n"}, False),
    ("stderr~disk", {"stderr": "warning: disk low\n"}, True),
    ("STDERR~disk", {"stderr": "warning: disk low\n"}, True),
    ('stdout~"a|b"', {"stdout": "xa|by"}, True),
    ("stdout~ padded", {"stdout": "padded"}, True),
    ('stdout~" padded"', {"stdout": "padded"}, False),
    ("stdout~@ENV@", {"stdout": "env=prod"}, True),
    # empty / non-empty
    ("stdout~", {"stdout": ""}, True),
    ("stdout~", {"stdout": " \n\t\n"}, True),
    ("stdout~", {"stdout": "x"}, False),
    ("stdout!~", {"stdout": "text\n"}, True),
    ("stdout!~", {"stdout": "\n"}, False),
    ("stderr~", {"stderr": "\n\n"}, True),
    ("stderr~", {"stderr": " \n"}, False),
    ("stdout~@EMPTY@", {"stdout": ""}, True),
    # equality (D2)
    ("stdout=OK", {"stdout": "OK\n"}, True),
    ("stdout=OK", {"stdout": "OKAY\n"}, False),
    ("stdout=OK", {"stdout": " OK\n"}, False),
    ("stdout!=OK", {"stdout": "OKAY\n"}, True),
    ("stdout=5", {"stdout": "5\n"}, True),
    ("stdout==5", {"stdout": "5\n"}, True),
    ("stdout=5", {"stdout": "5.0\n"}, True),
    ("stdout!=5", {"stdout": "5\n"}, False),
    ("stdout=", {"stdout": "\n"}, True),
    ("stdout=a b", {"stdout": "a b\r\n"}, True),
    ("stderr=oops", {"stderr": "oops\n"}, True),
    # numeric order
    ("stdout>100", {"stdout": "150\n"}, True),
    ("stdout>100", {"stdout": "hello\n"}, False),
    ("stdout>=100&stdout<=100", {"stdout": "100\n"}, True),
    ("stdout<2.5", {"stdout": " 2 \n"}, True),
    ("stdout<abc", {"stdout": "1"}, False),
    ("stdout>1", {"stdout": "nan"}, False),
    ("stdout>1", {"stdout": "1_000"}, False),
    ("stdout>1e3", {"stdout": "1001"}, True),
    # line counts (D2: >= and <= work)
    ("stdout_count=3", {"stdout": "a\nb\nc\n"}, True),
    ("stdout_count>2&stdout_count<4", {"stdout": "a\nb\nc\n"}, True),
    ("stdout_count>=3&stdout_count<=3", {"stdout": "a\nb\nc\n"}, True),
    ("stdout_count!=3", {"stdout": "a\nb\nc\n"}, False),
    ("stdout_count=0", {"stdout": ""}, True),
    ("stdout_count=0", {"stdout": "  \n \n"}, True),
    ("stdout_count=3", {"stdout": "a\n\nc"}, True),
    ("stderr_count=1", {"stderr": "e\n"}, True),
    ("stdout_count=x", {"stdout": "a"}, False),
    # legacy
    ("contains:ok", {"stdout": "is ok"}, True),
    ("not_contains:ok", {"stdout": "is ok"}, False),
    ("not_contains:bad", {"stdout": "is ok"}, True),
    # generic comparisons with type conversion
    ("@1_stdout@=42", {}, True),
    ("@1_stdout@=42.0", {}, True),
    ("@1_stdout@>41", {}, True),
    ("@1_stdout@<=41", {}, False),
    ("@0_success@=true", {}, True),
    ("@0_success@=True", {}, True),
    ("@1_success@=false", {}, True),
    ("@0_success@=1", {}, False),
    ("@0_exit@=2&@0_success@=True", {}, True),
    ("@0_exit_code@=2", {}, True),
    ("@ENV@=prod", {}, True),
    ("@ENV@!=prod", {}, False),
    ("@ENV@=production", {}, False),
    ("@ENV@~ro", {}, True),
    ("@ENV@!~ro", {}, False),
    ("@EMPTY@~", {}, True),
    ("@LEVEL@>5", {}, True),
    ("@LEVEL@>abc", {}, False),
    ("@3_success_count@>=2", {}, True),
    ("@9_exit@=0", {}, False),
    ("@UNDEFINED@=@UNDEFINED@", {}, True),
    # bare references
    ("@0_success@", {}, True),
    ("@1_success@", {}, False),
    ("@FLAG@", {}, True),
    ("@ENV@", {}, False),
    # unknown atoms are False
    ("foo", {}, False),
    ("stdout", {"stdout": "x"}, False),
    ("all_success", {}, False),
    ("loop", {}, False),
    ("min_success>1", {"block": (3, 0, 3)}, False),
])
def test_atoms_evaluate_like_tasker_with_spec_fixes(text, ctx, expected):
    assert check(text, **ctx) is expected


@pytest.mark.parametrize(("text", "block", "expected"), [
    ("all_success", (3, 0, 3), True),
    ("all_success", (2, 1, 3), False),
    ("any_success", (1, 2, 3), True),
    ("any_success", (0, 3, 3), False),
    ("majority_success", (2, 1, 3), True),
    ("majority_success", (1, 1, 2), False),
    ("majority_success", (3, 1, 4), True),
    ("min_success=2", (2, 1, 3), True),
    ("min_success=3", (2, 1, 3), False),
    ("max_failed=1", (2, 1, 3), True),
    ("max_failed=0", (2, 1, 3), False),
    ("max_success=2", (2, 1, 3), True),
    ("min_failed=2", (2, 1, 3), False),
    ("min_success=x", (2, 1, 3), False),
    ("min_success=@3_success_count@", (2, 1, 3), True),
    ("ALL_SUCCESS", (1, 0, 1), True),
])
def test_multi_task_keywords_use_block_counts(text, block, expected):
    assert check(text, block=block) is expected


@pytest.mark.parametrize("text", ["all_success", "any_success", "majority_success",
                                  "min_success=0", "max_failed=5"])
def test_multi_task_keywords_are_false_without_a_block(text):
    assert check(text) is False


@pytest.mark.parametrize(("text", "ctx", "expected"), [
    ("exit_1|exit_0&stdout~a", {"exit_code": 0, "stdout": "a"}, True),
    ("exit_0&stdout~a|exit_1", {"exit_code": 1, "stdout": ""}, True),
    ("exit_0&stdout~a", {"exit_code": 1, "stdout": "a"}, False),
    ("exit_0|stdout~a", {"exit_code": 1, "stdout": "a"}, True),
    ("exit_0&stdout~a|stderr~x&stdout~zz", {"stdout": "a"}, True),
    ("exit_0&(stdout~zz|stderr~)", {"stdout": "a"}, True),
    ("(exit_0|exit_3)&((stdout~zz|stderr~warn)&(stdout~a|exit_9))",
     {"exit_code": 3, "stdout": "a\n", "stderr": "warn\n"}, True),
    ("(exit_0|exit_3)&((stdout~zz|stderr~nope)&stdout~a)",
     {"exit_code": 3, "stdout": "a\n", "stderr": "warn\n"}, False),
    ("exit_0 AND stdout~a", {"stdout": "a"}, True),
    ("exit_0 AND stdout~zz", {"stdout": "a"}, False),
    ("exit_1 OR stdout~a", {"exit_code": 0, "stdout": "a"}, True),
    ("(exit_0)&(stdout~a)", {"stdout": "a"}, True),
])
def test_boolean_structure_follows_the_grammar(text, ctx, expected):
    assert check(text, **ctx) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("@0_stdout@!~z", True),            # output 'x&y': the & is data
    ("@0_stdout@=x&y", False),          # the & written in the condition is an operator
    ("@0_stdout@=\"x&y\"", True),
    ("@3_stdout@=safe", False),         # output 'true|x' cannot smuggle in 'true'
    ("@2_stdout@=prod", False),         # output '@ENV@' is not expanded again
    ("@2_stdout@=@ENV@", False),
    ("@4_stdout@~exit_0", True),        # 'a) | exit_0 AND (b' stays one operand
    ("@WORD@=x|y", False),
    ("@WORD@=\"x|y\"", True),
])
def test_substituted_text_never_changes_the_expression(text, expected):
    assert check(text) is expected


def spilled(head: str, **extra) -> OutputView:
    return OutputView(head, complete=False, total_bytes=3_000_000, **extra)


@pytest.mark.parametrize(("text", "view", "expected"), [
    ("stdout~END", spilled("start", matches={"END": True}), True),
    ("stdout!~END", spilled("start", matches={"END": True}), False),
    ("stdout~start", spilled("start", matches={}), True),
    ("stdout~start", spilled("start", matches={"start": False}), False),
    ("stdout~@ENV@", spilled("x", matches={"prod": True}), True),
    ("contains:END", spilled("start", matches={"END": True}), True),
    ("stdout_count=70000", spilled("a\nb\n", line_count=70000), True),
    ("stdout_count>=2", spilled("a\nb\n"), True),
    ("stdout=start", spilled("start"), False),
    ("stdout!=start", spilled("start"), True),
    ("stdout>1", spilled("5"), False),
    ("stdout!~", spilled("data"), True),
])
def test_spilled_streams_use_whole_stream_facts(text, view, expected):
    assert check(text, stdout=view) is expected


def test_spilled_stderr_patterns_use_stderr_matches():
    view = OutputView("head", complete=False, matches={"boom": True})
    assert check("stderr~boom", stderr=view) is True
    assert check("stdout~boom", stdout=OutputView("head"), stderr=view) is False


def test_output_patterns_lists_raw_operands_per_stream():
    cond = parse_condition("stdout~a&(stderr!~@X@|stdout~a)|contains:c|stdout~|stdout=z")
    assert output_patterns(cond) == {"stdout": ["a", "c"], "stderr": ["@X@"]}


def test_output_patterns_is_empty_without_pattern_atoms():
    assert output_patterns(parse_condition("exit_0")) == {"stdout": [], "stderr": []}


@pytest.mark.parametrize(("text", "expected"), [
    ("all_success", True),
    ("exit_0|min_success=2", True),
    ("exit_0&stdout~all_success", False),
    ("@0_success@=true", False),
])
def test_uses_multi_task_keywords(text, expected):
    assert uses_multi_task_keywords(parse_condition(text)) is expected
