"""The largest legal file (9,999 sequential tasks) parses and validates cleanly.

Its timing is a benchmark, not a test: `python stress/validate_only.py` prints the figures.
"""

from __future__ import annotations

import pytest

from tasker.errors import TaskFileError
from tasker.taskfile.parser import ParseOptions, parse_workflow
from tasker.validation import ValidationOptions, validate_workflow


def big_file(count: int) -> str:
    return "".join(f"task={i}\nhostname=localhost\ncommand=echo\narguments=hello {i}\n"
                   f"exec=local\n\n" for i in range(count))


@pytest.mark.slow
def test_9999_tasks_parse_and_validate_without_findings():
    options = ValidationOptions(command_exists=lambda _command: True)
    report = validate_workflow(parse_workflow(big_file(9999), "big.txt", ParseOptions()), options)
    assert report.errors == []


def test_task_id_above_the_limit_is_rejected_naming_the_limit():
    with pytest.raises(TaskFileError, match="9999"):
        parse_workflow(big_file(20000), "huge.txt", ParseOptions())
