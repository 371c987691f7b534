"""The parser builds its models without re-validating them: prove they would validate.

Every workflow the parser returns for the shared conformance corpus, the seed example and the
fuzz fragments equals the same data passed through pydantic's full validation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasker.errors import TaskerError
from tasker.model import Workflow
from tasker.taskfile.parser import ParseOptions, parse_workflow

REPO = Path(__file__).resolve().parents[2]
CASES = sorted((REPO.parent / "shared" / "conformance" / "cases").glob("*/*.txt"))
EXTRA = [REPO / "examples" / "hello.txt", REPO / "tests" / "fixtures" / "seed_workflow.txt"]


def assert_validates_to_itself(workflow: Workflow) -> None:
    assert Workflow.model_validate(workflow.model_dump()) == workflow


@pytest.mark.parametrize("path", CASES + EXTRA, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parsed_task_files_equal_their_validated_form(path):
    try:
        workflow = parse_workflow(path.read_text(), path.name, ParseOptions(env={"HOME": "/h"}))
    except TaskerError:
        pytest.skip("the file is rejected at parse time")
    assert_validates_to_itself(workflow)


LINES = st.sampled_from([
    "task=0", "task=1", "task=2", "task=100", "hostname=h", "command=echo", "arguments=a b",
    "type=parallel", "type=conditional", "type=decision", "tasks=1,2", "hostnames=a,b",
    "if_true_tasks=1", "if_false_tasks=2", "condition=exit_0", "success=exit_0",
    "next=never", "next=loop", "loop=3", "on_success=2", "on_failure=2", "return=0",
    "retry_failed=true", "retry_count=2", "max_parallel=4", "timeout=9", "sleep=0.5",
    "memory_limit=64M", "stdout_split=comma,1", "X=1", "exec=shell", "foo=bar",
])


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=25))
def test_any_parsed_fragment_file_equals_its_validated_form(lines):
    try:
        workflow = parse_workflow("\n".join(lines), "f.txt", ParseOptions())
    except TaskerError:
        return
    assert_validates_to_itself(workflow)
