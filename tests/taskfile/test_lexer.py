"""The lexer: which lines become entries, with which line numbers and values."""

from __future__ import annotations

import pytest

from tasker.errors import TaskFileError
from tasker.taskfile.lexer import Entry, iter_entries, lex, split_inline_comment


def test_comments_blank_lines_and_header_arguments_are_skipped():
    text = "# comment\n\n--log-level=DEBUG\n  -x=1\ntask=0\n# command=no\ncommand=echo\n"
    assert [e.key for e in lex(text).entries] == ["task", "command"]


def test_value_is_split_on_the_first_equals_sign_and_stripped():
    (entry,) = lex("   X = a=b  \n").entries
    assert entry == Entry(1, "X", "a=b")


def test_line_without_equals_is_ignored_with_a_debug_note():
    result = lex("task=0\nreturn 0\n")
    assert [e.key for e in result.entries] == ["task"]
    assert result.notes == ["Line 2: Line does not contain a key=value pair: 'return 0'"]


def test_crlf_and_cr_line_endings_keep_line_numbers():
    entries = lex("task=0\r\ncommand=echo\rhostname=h\n").entries
    assert [(e.line, e.key, e.value) for e in entries] == [
        (1, "task", "0"), (2, "command", "echo"), (3, "hostname", "h")]


def test_entries_are_produced_lazily():
    entries = iter_entries("task=0\n" + "x" * 10 + "\n")
    assert next(entries) == Entry(1, "task", "0")


def test_numeric_field_loses_a_trailing_comment():
    entry = Entry(4, "sleep", "1  # Sleep for 1 second")
    assert split_inline_comment(entry, numeric=True) == "1"


def test_text_field_with_an_inline_comment_is_rejected_with_advice():
    entry = Entry(7, "arguments", "seq zero  # note")
    with pytest.raises(TaskFileError) as caught:
        split_inline_comment(entry, numeric=False, source="t.txt", task=0)
    assert "contains inline comment: 'seq zero  # note'" in caught.value.message
    assert "its own line" in caught.value.message
    assert (caught.value.location.line, caught.value.location.field) == (7, "arguments")
    assert caught.value.exit_code == 20


@pytest.mark.parametrize("value", ["issue#42", "a #", "x\t#"])
def test_hash_without_following_text_or_leading_space_is_ordinary_text(value):
    assert split_inline_comment(Entry(1, "arguments", value), numeric=False) == value


def test_skipped_task_validation_keeps_an_inline_comment_in_a_text_field():
    """REFERENCE §7.2 counts the inline-comment check among the validator's checks, which
    --skip-task-validation turns off: the text is kept as written (numbers still lose it)."""
    from tasker.taskfile.parser import ParseOptions, parse_workflow

    text = "task=0\nhostname=h\ncommand=echo\narguments=x # note\ntimeout=30 # s\n"
    wf = parse_workflow(text, "t.txt", ParseOptions(env={}, skip_task_validation=True))
    assert (wf.tasks[0].arguments, wf.tasks[0].timeout) == ("x # note", "30")
    with pytest.raises(TaskFileError):
        parse_workflow(text, "t.txt", ParseOptions(env={}))
