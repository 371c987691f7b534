"""Property tests: any text gives a Workflow and a report, or a TaskerError, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tasker.errors import TaskerError
from tasker.model import Workflow
from tasker.taskfile.parser import ParseOptions, parse_workflow
from tasker.validation import ValidationOptions, ValidationReport, validate_workflow

FRAGMENTS = [
    "task=", "task=0", "task=1", "task=2", "task=10", "task=-1", "task=9999", "task=x",
    "hostname=", "hostname=localhost", "command=", "command=echo", "arguments=", "exec=",
    "exec=local", "exec=shell", "exec=@X@", "type=parallel", "type=conditional",
    "type=decision", "tasks=", "tasks=1,2", "hostnames=a,b", "if_true_tasks=1",
    "if_false_tasks=2", "condition=", "success=", "failure=", "next=", "next=loop",
    "next=loop&exit_0", "next=never", "loop=", "loop=@X@", "loop=3", "loop_break=exit_0",
    "max_parallel=@X@", "on_success=", "on_success=2", "on_failure=1", "return=",
    "return=0", "retry_failed=", "retry_count=0", "retry_delay=x", "timeout=abc",
    "sleep=-1", "stdout_split=", "stdout_split=space,1", "memory_limit=5Q", "X=", "X=@X@",
    "X=$HOME", "Y=${X}", "=", "==", "@", "@X@", "@0_stdout@", "@task@", "@1_exit_code@",
    "#", " # c", "--flag", "-", "$", "../", "; rm", "`", "$(x)", "&", "|", "(", ")",
    " AND ", "all_success", "min_success=2", "exit_0", "stdout~a", "\n", "\n", "\n", "\r",
    " ", "\t", "\x00", "é", "\u2028", "0", "5", ",",
]
KEYS = ["hostname", "command", "arguments", "exec", "type", "tasks", "hostnames",
        "if_true_tasks", "if_false_tasks", "condition", "success", "failure", "next", "loop",
        "loop_break", "max_parallel", "on_success", "on_failure", "return", "retry_failed",
        "retry_count", "retry_delay", "timeout", "sleep", "stdout_split", "memory_limit", "goto"]
VALUES = ["", "0", "1", "2", "3", "10", "11", "-1", "1001", "localhost", "web_01", "echo",
          "/bin/true", "a b", "@X@", "@LOOPS@", "@0_stdout@", "@9_exit@", "@1_success_count@",
          "@task@", "exit_0", "exit=0", "exit_300", "loop", "loop&stdout~a", "never", "always",
          "success", "all_success", "min_success=2", "min_success=x", "parallel", "conditional",
          "decision", "a,b", "1,2", "10,11", "true", "false", "x", "../x", "; rm x", "$(id)",
          "stdout~a&(exit_0|stderr~)", "exit_0 AND stdout~a", "@X@=prod", "(", "5", "1.5",
          "space,1", "comma", "512M", "shell", "local", "pbrun", "sometimes", "stdout_count>=2"]
TYPED_VALUES = {
    "loop": ["1", "3", "0", "@LOOPS@"], "max_parallel": ["1", "2", "@LOOPS@"],
    "on_success": ["1", "2", "10", "0"], "on_failure": ["2", "11", "12"],
    "tasks": ["1,2", "10,11", "2", ""], "if_true_tasks": ["1", "10,11"],
    "if_false_tasks": ["2", "12"], "retry_failed": ["true", "false"],
}


@st.composite
def pairs(draw: st.DrawFn) -> str:
    """One `key=value` line, mostly with a value the key can hold."""
    key = draw(st.sampled_from(KEYS))
    choices = TYPED_VALUES.get(key, VALUES)
    return f"{key}={draw(st.sampled_from(choices))}"


blocks = st.tuples(st.integers(0, 12), st.lists(pairs(), max_size=8))
headers = st.lists(st.tuples(st.sampled_from(["X", "LOOPS", "Y"]), st.sampled_from(VALUES))
                   .map("=".join), max_size=3)
workflows = st.tuples(
    headers, st.lists(blocks, min_size=1, max_size=8, unique_by=lambda block: block[0]),
).map(lambda parts: "\n".join(
    [*parts[0], *("\n".join([f"task={tid}", *lines]) for tid, lines in parts[1])]))
texts = st.one_of(
    workflows,
    workflows,
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
    st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=3).map("".join), max_size=30)
    .map("\n".join),
)
OPTIONS = ValidationOptions(command_exists=lambda _command: True)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.booleans(), st.booleans(), st.booleans())
@example(
    text='task=0\ntype=conditional\nhostnames=',
    strict_env=False,
    skip_security=False,
    skip_task_validation=False,
)
def test_any_text_parses_and_validates_or_raises_a_tasker_error(text, strict_env,
                                                                skip_security,
                                                                skip_task_validation):
    try:
        workflow = parse_workflow(text, "fuzz.txt", ParseOptions(
            env={"HOME": "/h"}, strict_env=strict_env, skip_security=skip_security,
            skip_task_validation=skip_task_validation))
    except TaskerError:
        return
    assert isinstance(workflow, Workflow)
    assert isinstance(validate_workflow(workflow, OPTIONS), ValidationReport)
