"""Parse + validate stay fast on the largest legal file (9,999 sequential tasks)."""

from __future__ import annotations

import time

import pytest

from tasker.taskfile.parser import ParseOptions, parse_workflow
from tasker.validation import ValidationOptions, validate_workflow


def big_file(count: int) -> str:
    return "".join(f"task={i}\nhostname=localhost\ncommand=echo\narguments=hello {i}\n"
                   f"exec=local\n\n" for i in range(count))


@pytest.mark.slow
def test_9999_tasks_parse_and_validate_well_under_half_a_second():
    text = big_file(9999)
    options = ValidationOptions(command_exists=lambda _command: True)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        report = validate_workflow(parse_workflow(text, "big.txt", ParseOptions()), options)
        best = min(best, time.perf_counter() - started)
    assert report.errors == []
    assert best < 0.5
