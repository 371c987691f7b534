"""Global variables: where they are defined, names, $ENV, @chains@ and the sanitizer."""

from __future__ import annotations

import pytest

from tasker.errors import TaskFileError
from tasker.variables import expand_env
from tests.taskfile.helpers import TASK0, parse, task_block


def values(text: str, **kwargs) -> dict[str, str]:
    return parse(text, **kwargs).global_values()


def test_globals_are_the_key_value_lines_before_the_first_task():
    wf = parse(f"--log-level=DEBUG\nAPP=web\nVERSION=2.1\n{TASK0}LATE=x\n")
    assert wf.global_values() == {"APP": "web", "VERSION": "2.1"}
    assert wf.globals["APP"].line == 2
    assert wf.tasks[0].unknown_fields == ("LATE",)


def test_chained_globals_resolve_fully():
    text = f"BASE=/opt/app\nCONFIG=@BASE@/config\nFULL=@CONFIG@/app.conf\n{TASK0}"
    assert values(text)["FULL"] == "/opt/app/config/app.conf"
    assert parse(text).globals["FULL"].template == "@CONFIG@/app.conf"


def test_self_reference_expands_ten_times_then_stays_literal():
    value = values(f"VAR_A=p_@VAR_A@_s\n{TASK0}")["VAR_A"]
    assert value == "p_" * 11 + "@VAR_A@" + "_s" * 11


def test_unknown_reference_in_a_global_stays_literal():
    assert values(f"A=x@0_stdout@y@NOPE@\n{TASK0}")["A"] == "x@0_stdout@y@NOPE@"


def test_environment_variables_expand_in_both_forms():
    text = f"A=$GREETING\nB=${{GREETING}}_suffix\n{TASK0}"
    assert values(text, env={"GREETING": "hello"}) == {"A": "hello", "B": "hello_suffix"}


def test_env_expansion_follows_expandvars_semantics():
    env = {"A": "1", "B_C": "2"}
    assert expand_env("$A/${B_C}/$UNSET/${}/$", env) == ("1/2/$UNSET/${}/$", ["UNSET", ""])


def test_global_from_env_is_marked():
    wf = parse(f"A=$HOME_DIR/x\nB=plain\n{TASK0}", env={"HOME_DIR": "/h"})
    assert (wf.globals["A"].from_env, wf.globals["B"].from_env) == (True, False)


def test_unset_env_in_a_used_global_is_an_error_naming_the_line():
    text = f"TARGET=$SURELY_UNSET\n{task_block(0, 'arguments=@TARGET@')}"
    with pytest.raises(TaskFileError) as caught:
        parse(text)
    assert "Environment variable expansion failed for used global variable 'TARGET'" in str(
        caught.value)
    assert caught.value.location.line == 1


def test_unset_env_reached_through_a_chain_is_an_error():
    text = f"INNER=$SURELY_UNSET\nOUTER=@INNER@\n{task_block(0, 'arguments=@OUTER@')}"
    with pytest.raises(TaskFileError, match="'INNER'"):
        parse(text)


def test_unset_env_in_an_unused_global_is_accepted():
    assert values(f"UNUSED=$SURELY_UNSET\n{TASK0}") == {"UNUSED": "$SURELY_UNSET"}


def test_skipping_task_validation_keeps_the_literal_env_reference():
    text = f"TARGET=$SURELY_UNSET\n{task_block(0, 'arguments=@TARGET@')}"
    assert values(text, skip_task_validation=True)["TARGET"] == "$SURELY_UNSET"


def test_strict_env_rejects_variables_without_the_tasker_prefix():
    with pytest.raises(TaskFileError, match=r"\$HOME"):
        parse(f"A=$HOME\n{TASK0}", env={"HOME": "/root"}, strict_env=True)


def test_strict_env_accepts_tasker_variables():
    text = f"A=${{TASKER_ROOT}}/x\n{TASK0}"
    assert values(text, env={"TASKER_ROOT": "/r"}, strict_env=True) == {"A": "/r/x"}


@pytest.mark.parametrize("name", ["1ABC", "A-B", "A.B", "X" * 65, "ÄPFEL", ""])
def test_invalid_global_names_are_rejected(name):
    with pytest.raises(TaskFileError, match="Invalid global variable name"):
        parse(f"{name}=1\n{TASK0}")


def test_names_are_case_sensitive_and_may_be_64_chars():
    long_name = "N" * 64
    assert values(f"Env=a\nENV=b\n{long_name}=c\n{TASK0}") == {"Env": "a", "ENV": "b",
                                                               long_name: "c"}


@pytest.mark.parametrize("name", ["hostname", "command", "timeout", "memory_limit", "type"])
def test_a_global_named_like_a_task_field_is_rejected_with_its_line(name):
    with pytest.raises(TaskFileError, match=f"task field name '{name}'") as caught:
        parse(f"X=1\n{name}=web\n{TASK0}")
    assert caught.value.location.line == 2


def test_hostnames_stdout_and_exit_are_legal_global_names():
    assert set(values(f"hostnames=a\nstdout=o\nexit=e\n{TASK0}")) == {"hostnames", "stdout",
                                                                        "exit"}


def test_inline_comment_stays_part_of_a_global_value():
    assert values(f"X=val # comment\n{TASK0}")["X"] == "val # comment"


@pytest.mark.parametrize("value", ["../data", "/etc/passwd", "%2e%2e%2fx", "a; rm -rf x",
                                   "$(id)", "`id`", "a\x00b"])
def test_unsafe_global_values_are_rejected(value):
    with pytest.raises(TaskFileError, match="Global variable security error"):
        parse(f"P={value}\n{TASK0}")


def test_unsafe_value_built_by_a_chain_is_rejected():
    with pytest.raises(TaskFileError, match="path traversal"):
        parse(f"UP=..\nP=@UP@/x\n{TASK0}")


def test_global_value_longer_than_1024_characters_is_rejected():
    with pytest.raises(TaskFileError, match="limit 1024"):
        parse(f"P={'a' * 1025}\n{TASK0}")


def test_skip_security_accepts_unsafe_global_values():
    assert values(f"P=../data\n{TASK0}", skip_security=True) == {"P": "../data"}


def test_runaway_chain_expansion_is_refused():
    doubling = "@X@" * 300
    with pytest.raises(TaskFileError, match="expands to more than"):
        parse(f"X={doubling}\n{TASK0}", skip_security=True)


def test_later_definition_of_a_global_wins():
    assert values(f"A=1\nA=2\n{TASK0}") == {"A": "2"}
