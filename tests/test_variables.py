"""Placeholders, $ENV expansion and output splitting (REFERENCE §4, SPEC D1, D6, D10)."""

from __future__ import annotations

import os
import time

import pytest

from tasker.variables import (
    RESULT_FIELDS,
    Reference,
    ResultView,
    apply_split,
    expand_env,
    references,
    substitute,
)

GLOBALS = {"ENV": "prod", "HOST": "web1", "TASK_DIR": "/srv", "task": "global-task"}
RESULTS = {
    0: ResultView(exit_code=3, stdout="hello\n", stderr="oops\r\n", success=False,
                  stdout_file="/run/0.out", hostname="node7", duration=1.23456),
    5: ResultView(exit_code=0, stdout="Parallel execution: 2/3 successful, 1 failed",
                  stderr="Failed tasks: [12].", success=True,
                  success_count=2, failed_count=1, total_count=3),
    7: ResultView(exit_code=0, stdout="@ENV@ and @0_stdout@\n", stderr="", success=True),
}


def sub(text: str, task_id: int | None = None) -> str:
    return substitute(text, GLOBALS, RESULTS, task_id)


@pytest.mark.parametrize(("text", "expected"), [
    ("@0_stdout@", "hello"),
    ("@0_STDOUT@", "hello"),
    ("@0_stderr@", "oops"),
    ("@0_exit@", "3"),
    ("@0_exit_code@", "3"),
    ("@0_Exit_Code@", "3"),
    ("@0_success@", "False"),
    ("@5_success@", "True"),
    ("@0_stdout_file@", "/run/0.out"),
    ("[@0_stderr_file@]", "[]"),
    ("@0_hostname@", "node7"),
    ("@0_duration@", "1.235"),
    ("@5_duration@", "0.000"),
    ("@5_success_count@ @5_failed_count@ @5_total_count@", "2 1 3"),
    ("@0_success_count@", "@0_success_count@"),
    ("@ENV@", "prod"),
    ("deploy-@ENV@-@HOST@", "deploy-prod-web1"),
    ("@env@", "@env@"),
    ("@UNDEFINED@", "@UNDEFINED@"),
    ("@9_stdout@", "@9_stdout@"),
    ("@0_bogus@", "@0_bogus@"),
    ("@0_stdout", "@0_stdout"),
    ("user@example.com", "user@example.com"),
    ("a@@ENV@", "a@prod"),
    ("@UNDEFINED@ENV@", "@UNDEFINEDprod"),
    ("@ENV@@HOST@", "prodweb1"),
    ("no placeholders", "no placeholders"),
    ("", ""),
])
def test_placeholders_are_replaced_or_left_literal(text, expected):
    assert sub(text) == expected


def test_substituted_output_is_never_rescanned():
    assert sub("[@7_stdout@]") == "[@ENV@ and @0_stdout@]"


def test_task_placeholder_uses_the_given_task_id_before_globals():
    assert sub("hosts @task@", task_id=100001) == "hosts 100001"
    assert sub("@task@") == "global-task"
    assert substitute("@task@", {}, {}) == "@task@"


def test_result_fields_cover_every_documented_placeholder():
    assert {"stdout", "stderr", "exit", "exit_code", "success", "stdout_file", "stderr_file",
            "hostname", "duration", "success_count", "failed_count",
            "total_count"} == RESULT_FIELDS


def test_substitution_of_many_fields_is_fast():
    text = "--host @HOST@ --env @ENV@ --prev @0_stdout@ " * 20
    started = time.perf_counter()
    for _ in range(2000):
        sub(text)
    assert time.perf_counter() - started < 0.5


def test_references_lists_every_placeholder_with_kind():
    found = references("x @0_STDOUT@ @ENV@ @task@ @12_bogus@ me@mail.com")
    assert found == [
        Reference("@0_STDOUT@", "result", "0_STDOUT", 2, 0, "stdout"),
        Reference("@ENV@", "global", "ENV", 13, None, None),
        Reference("@task@", "task", "task", 19, None, None),
        Reference("@12_bogus@", "result", "12_bogus", 26, 12, "bogus"),
    ]


def test_references_of_plain_text_is_empty():
    assert references("nothing here") == []


@pytest.mark.parametrize(("text", "expected", "missing"), [
    ("$HOME/x", "/home/u/x", []),
    ("${HOME}/x", "/home/u/x", []),
    ("$UNSET/x", "$UNSET/x", ["UNSET"]),
    ("${UNSET}-$UNSET-${OTHER}", "${UNSET}-$UNSET-${OTHER}", ["UNSET", "OTHER"]),
    ("$$HOME", "$/home/u", []),
    ("cost $5", "cost $5", ["5"]),
    ("${}", "${}", [""]),
    ("$VALUE", "$HOME", []),
    ("no dollars", "no dollars", []),
    ("trailing $", "trailing $", []),
])
def test_expand_env_follows_expandvars(text, expected, missing):
    env = {"HOME": "/home/u", "VALUE": "$HOME"}
    assert expand_env(text, env) == (expected, missing)


@pytest.mark.parametrize("text", ["$HOME/x", "${HOME}", "a$HOME$UNSET_XYZ${PATH}b", "$", "${x"])
def test_expand_env_matches_os_path_expandvars(text):
    assert expand_env(text, os.environ)[0] == os.path.expandvars(text)


@pytest.mark.parametrize(("text", "spec", "expected"), [
    ("alpha beta gamma\n", "space,1", "beta"),
    ("a  b", "space,1", "b"),
    ("alpha beta gamma\n", "space,2", "gamma\n"),
    ("w1\t\tw2  w3 w4", "whitespace,2", "w3"),
    ("A\tB\t\tC", "tab,2", "C"),
    ("first\nsecond\nthird\n", "newline,1", "second"),
    ("red,green,blue", "comma,0", "red"),
    ("a;b;c", "semicolon,2", "c"),
    ("a;b;c", "semi,1", "b"),
    ("k:v", "colon,1", "v"),
    ("cmd1|cmd2|cmd3", "pipe,1", "cmd2"),
    ("p q r", "SPACE,1", "q"),
    ("a1b22c", r"\d+,2", "c"),
    ("a-b", "-,1", "b"),
    ("a,b,c", "comma,5", "a,b,c"),
    ("a b c", "space,-1", "a b c"),
    ("a b c", "space", "a b c"),
    ("a b c", "space,x", "a b c"),
    ("a b c", ",1", "a b c"),
    ("a b c", "bogus,1", "a b c"),
    ("a(b", "(,1", "a(b"),
])
def test_apply_split_selects_one_element_or_leaves_text_unchanged(text, spec, expected):
    assert apply_split(text, spec) == expected


def test_apply_split_with_a_huge_index_leaves_text_unchanged():
    assert apply_split("a b c", "space," + "9" * 5000) == "a b c"


def test_a_task_number_too_long_for_any_task_stays_literal():
    text = "@" + "1" * 5000 + "_stdout@"
    assert substitute(text, {}, {}) == text
    assert references(text) == []
