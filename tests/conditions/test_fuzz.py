"""Property tests: no input makes the parser or the evaluator fail with anything unplanned."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasker.conditions import (
    BlockCounts,
    EvalContext,
    OutputView,
    evaluate,
    output_patterns,
    parse_condition,
    parse_next,
)
from tasker.errors import ConditionSyntaxError
from tasker.variables import substitute

TOKENS = [
    "&", "|", "(", ")", " AND ", " OR ", " and ", "~", "!~", "=", "==", "!=", "<", "<=", ">",
    ">=", "!", '"', "'", " ", "\t", "@", "@0_stdout@", "@X@", "@0_success@", "stdout",
    "stderr", "_count", "exit", "exit_0", "exit_not_0", "true", "FALSE", "success", "loop",
    "all_success", "min_success", "majority_success", "contains:", "not_contains:", "0", "5",
    "-1.5e3", "abc", "x y", "\n", "\u00a0",
]
condition_texts = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
    st.text(max_size=60),
)
views = st.builds(
    OutputView,
    text=st.text(max_size=30),
    complete=st.booleans(),
    total_bytes=st.none() | st.integers(min_value=0),
    line_count=st.none() | st.integers(),
    matches=st.dictionaries(st.text(max_size=5), st.booleans(), max_size=3),
)
blocks = st.none() | st.builds(BlockCounts, st.integers(), st.integers(), st.integers())
resolvers = st.one_of(
    st.just(lambda s: s),
    st.text(max_size=20).map(lambda out: (lambda s: out)),
    st.dictionaries(st.sampled_from(["X", "Y"]), st.text(max_size=10)).map(
        lambda g: (lambda s: substitute(s, g, {}))),
)
contexts = st.builds(
    EvalContext,
    exit_code=st.integers(),
    stdout=views,
    stderr=views,
    resolve=resolvers,
    success=st.none() | st.booleans(),
    block=blocks,
)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(condition_texts)
def test_any_text_parses_to_a_condition_or_a_syntax_error(text):
    for parse in (parse_condition, parse_next):
        try:
            parse(text)
        except ConditionSyntaxError as error:
            assert error.location.column is not None
            assert 1 <= error.location.column <= len(text) + 1


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(condition_texts, contexts)
def test_evaluating_any_parsed_condition_never_raises(text, ctx):
    try:
        cond = parse_condition(text)
    except ConditionSyntaxError:
        return
    assert evaluate(cond, ctx) in (True, False)
    patterns = output_patterns(cond)
    assert set(patterns) == {"stdout", "stderr"}
