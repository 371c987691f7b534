"""The condition grammar: structure, precedence, quoting, atoms and syntax errors."""

from __future__ import annotations

import pytest

from tasker.conditions import AtomKind, atom_is_recognized, parse_condition, unrecognized_atoms
from tasker.errors import ConditionSyntaxError, TaskFileError

from .helpers import shape


@pytest.mark.parametrize(("text", "expected"), [
    ("exit_0", "exit_0"),
    ("exit_0&stdout~a", "(exit_0 & stdout~a)"),
    ("exit_0 & stdout~a", "(exit_0 & stdout~a)"),
    ("exit_0|stdout~a", "(exit_0 | stdout~a)"),
    ("exit_1|exit_0&stdout~a", "(exit_1 | (exit_0 & stdout~a))"),
    ("exit_0&stdout~a|stderr~x&stdout~zz", "((exit_0 & stdout~a) | (stderr~x & stdout~zz))"),
    ("exit_0&stdout~zero|exit_1", "((exit_0 & stdout~zero) | exit_1)"),
    ("(exit_0)&(stdout~a)", "(exit_0 & stdout~a)"),
    ("((exit_0))", "exit_0"),
    ("exit_0&(stdout~zz|stderr~)", "(exit_0 & (stdout~zz | stderr~))"),
    ("(exit_0|exit_3)&((stdout~zz|stderr~warn)&(stdout~a|exit_9))",
     "((exit_0 | exit_3) & ((stdout~zz | stderr~warn) & (stdout~a | exit_9)))"),
    ("exit_0 AND stdout~a", "(exit_0 & stdout~a)"),
    ("exit_0 OR stdout~a AND stderr~", "(exit_0 | (stdout~a & stderr~))"),
    ("exit_0\tAND\tstdout~a", "(exit_0 & stdout~a)"),
    ("(exit_0) AND (stdout~a)", "(exit_0 & stdout~a)"),
    ("stdout~rock and roll", "stdout~rock and roll"),
    ("stdout~rock or roll", "stdout~rock or roll"),
    ("stdout~ANDROID", "stdout~ANDROID"),
    ("stdout~a AND", None),
    ("stdout~OR1|exit_0", "(stdout~OR1 | exit_0)"),
    ("stdout~func()|stderr~", "(stdout~func() | stderr~)"),
    ("(stdout~f(x)|exit_1)", "(stdout~f(x) | exit_1)"),
    ("stdout~\"a|b&c)\"|exit_1", "(stdout~\"a|b&c)\" | exit_1)"),
    ("stdout~'x AND y' AND exit_0", "(stdout~'x AND y' & exit_0)"),
])
def test_operators_group_with_and_binding_tighter_than_or(text, expected):
    if expected is None:
        with pytest.raises(ConditionSyntaxError):
            parse_condition(text)
    else:
        assert shape(parse_condition(text).root) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("exit_0", (AtomKind.EXIT_CODE, "", "", "0", None)),
    ("EXIT_12", (AtomKind.EXIT_CODE, "", "", "12", None)),
    ("exit_abc", (AtomKind.UNKNOWN, "", "", "", None)),
    ("exit_not_0", (AtomKind.EXIT_NOT_0, "", "", "", None)),
    ("exit=3", (AtomKind.EXIT_COMPARE, "exit", "=", "3", None)),
    ("exit!=3", (AtomKind.EXIT_COMPARE, "exit", "!=", "3", None)),
    ("exit>=@X@", (AtomKind.EXIT_COMPARE, "exit", ">=", "@X@", None)),
    ("True", (AtomKind.LITERAL, "", "", "true", None)),
    ("FALSE", (AtomKind.LITERAL, "", "", "false", None)),
    ("success", (AtomKind.SUCCESS, "", "", "", None)),
    ("stdout~abc", (AtomKind.STREAM, "stdout", "~", "abc", "stdout")),
    ("STDERR!~x", (AtomKind.STREAM, "stderr", "!~", "x", "stderr")),
    ("stdout~", (AtomKind.STREAM, "stdout", "~", "", "stdout")),
    ("stdout==5", (AtomKind.STREAM, "stdout", "=", "5", "stdout")),
    ("stdout<=5", (AtomKind.STREAM, "stdout", "<=", "5", "stdout")),
    ("stdout ~ spaced value ", (AtomKind.STREAM, "stdout", "~", "spaced value", "stdout")),
    ("stdout~a=b<c", (AtomKind.STREAM, "stdout", "~", "a=b<c", "stdout")),
    ('stdout~" padded "', (AtomKind.STREAM, "stdout", "~", " padded ", "stdout")),
    ('stdout~"a" b', (AtomKind.STREAM, "stdout", "~", '"a" b', "stdout")),
    ('stdout~"unterminated', (AtomKind.STREAM, "stdout", "~", '"unterminated', "stdout")),
    ("stdout_count=3", (AtomKind.COUNT, "stdout_count", "=", "3", "stdout")),
    ("Stderr_Count>=1", (AtomKind.COUNT, "stderr_count", ">=", "1", "stderr")),
    ("stdout_count~3", (AtomKind.UNKNOWN, "stdout_count", "~", "3", None)),
    ("contains:a=b", (AtomKind.CONTAINS, "contains:", "~", "a=b", "stdout")),
    ("not_contains:'x|y'", (AtomKind.NOT_CONTAINS, "not_contains:", "~", "x|y", "stdout")),
    ("all_success", (AtomKind.MULTI, "all_success", "", "", None)),
    ("majority_success", (AtomKind.MULTI, "majority_success", "", "", None)),
    ("min_success=2", (AtomKind.MULTI_COMPARE, "min_success", "=", "2", None)),
    ("max_failed==0", (AtomKind.MULTI_COMPARE, "max_failed", "=", "0", None)),
    ("min_success>2", (AtomKind.UNKNOWN, "min_success", ">", "2", None)),
    ("@0_success@", (AtomKind.REFERENCE, "@0_success@", "", "", None)),
    ("@0_stdout@=x", (AtomKind.COMPARE, "@0_stdout@", "=", "x", None)),
    ("@0_stdout@==x", (AtomKind.COMPARE, "@0_stdout@", "=", "x", None)),
    ("@LEVEL@ > 5", (AtomKind.COMPARE, "@LEVEL@", ">", "5", None)),
    ("=5", (AtomKind.UNKNOWN, "", "=", "5", None)),
    ("foo", (AtomKind.UNKNOWN, "", "", "", None)),
    ("loop", (AtomKind.UNKNOWN, "", "", "", None)),
])
def test_atoms_are_classified_by_keyword_and_operator(text, expected):
    atom = parse_condition(text).root
    assert (atom.kind, atom.operand, atom.op, atom.value, atom.stream) == expected


@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("", 1, "empty condition"),
    ("   ", 4, "empty condition"),
    ("&exit_0", 1, "leading operator"),
    ("|exit_0", 1, "leading operator"),
    ("AND exit_0", 1, "leading operator"),
    ("exit_0&", 8, "trailing operator"),
    ("exit_0 | ", 10, "trailing operator"),
    ("exit_0 OR", 10, "trailing operator"),
    ("exit_0&&exit_1", 8, "double operator"),
    ("exit_0||exit_1", 8, "double operator"),
    ("exit_0 & | exit_1", 10, "double operator"),
    ("exit_0 AND OR exit_1", 12, "double operator"),
    ("(exit_0", 1, "never closed"),
    ("exit_0&(stdout~a|(exit_1)", 8, "never closed"),
    ("exit_0)", 7, "unbalanced ')'"),
    (")", 1, "unbalanced ')'"),
    ("stdout~:)", 9, "unbalanced ')'"),
    ("stdout~:(", 9, "unbalanced '('"),
    ("()", 2, "empty parentheses"),
    ("(|exit_0)", 2, "right after '('"),
    ("exit_0&()", 9, "empty parentheses"),
    ("exit_0&)", 8, "trailing operator"),
    ("(exit_0)exit_1", 9, "expected '&'"),
    ("((a)b)", 5, "expected '&'"),
    ("(" * 65 + "x" + ")" * 65, 65, "nested more than 64"),
])
def test_malformed_conditions_raise_syntax_error_with_column(text, column, fragment):
    with pytest.raises(ConditionSyntaxError) as caught:
        parse_condition(text)
    assert caught.value.location.column == column
    assert fragment in caught.value.message
    assert isinstance(caught.value, TaskFileError)


def test_deep_but_allowed_nesting_parses():
    text = "(" * 64 + "exit_0" + ")" * 64
    assert shape(parse_condition(text).root) == "exit_0"


def test_atom_columns_are_one_based_positions_in_the_text():
    atoms = list(parse_condition("exit_0 & (stdout~a|  stderr~b)").atoms())
    assert [a.column for a in atoms] == [1, 11, 22]


def test_parse_condition_is_cached_by_text():
    assert parse_condition("exit_0&stdout~cache") is parse_condition("exit_0&stdout~cache")


@pytest.mark.parametrize(("text", "recognized"), [
    ("exit_0", True),
    ("exit=1", True),
    ("stdout~x", True),
    ("stdout_count>=2", True),
    ("@0_stdout@==a", True),
    ("@LEVEL@>5", True),
    ("@0_success_count@>=2", True),
    ("ENVIRONMENT=production", True),
    ("@FLAG@", True),
    ("min_success=2", True),
    ("exit_0 or stdout~a", False),
    ("sometimes", False),
    ("stdout", False),
    ("never", False),
    ("web1,web2", False),
    ("x y=1", False),
])
def test_atom_recognition_for_validators(text, recognized):
    atom = parse_condition(text).root
    assert atom_is_recognized(atom) is recognized


def test_unrecognized_atoms_lists_only_the_bad_ones():
    cond = parse_condition("exit_0 & foo | stdout~a & bar baz")
    assert [a.text for a in unrecognized_atoms(cond)] == ["foo", "bar baz"]
