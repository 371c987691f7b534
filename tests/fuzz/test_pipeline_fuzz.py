"""Property tests: any task file through the whole pre-execution pipeline (and a dry run)
ends with a documented exit code and a clear message, never a traceback or internal error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings

from tests.fuzz.properties import Skip, check_pipeline
from tests.fuzz.strategies import task_file_bytes

FUZZ = settings(max_examples=2000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def _check(data: bytes, workdir, validate_only: bool) -> None:
    try:
        check_pipeline(data, workdir, validate_only=validate_only)
    except Skip:
        assume(False)


@pytest.mark.slow
@FUZZ
@given(task_file_bytes)
@example(b"task=0\ntype=conditional\nhostnames=")
def test_validate_only_on_any_task_file_exits_cleanly(tmp_path, data):
    _check(data, tmp_path, validate_only=True)


@pytest.mark.slow
@FUZZ
@given(task_file_bytes)
@example(b"task=0\nhostname=localhost\ncommand=echo\nloop=3\nnext=loop\nreturn=300")
def test_dry_run_on_any_task_file_exits_cleanly(tmp_path, data):
    _check(data, tmp_path, validate_only=False)
