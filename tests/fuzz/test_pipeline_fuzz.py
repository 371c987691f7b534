"""Property tests: any task file through the whole pre-execution pipeline (and a dry run)
ends with a documented exit code and a clear message, never a traceback or internal error.

CI runs a few hundred derandomized examples each (about 10 s together); `stress/fuzz_long.py`
runs the same properties for as long as one wants.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given

from tests.fuzz.properties import Skip, check_pipeline, fuzz_settings
from tests.fuzz.strategies import task_file_bytes

HUGE = "9" * 400


def _check(data: bytes, workdir, validate_only: bool) -> None:
    try:
        check_pipeline(data, workdir, validate_only=validate_only)
    except Skip:
        assume(False)


@pytest.mark.slow
@fuzz_settings(400)
@given(task_file_bytes)
@example(b"task=0\ntype=conditional\nhostnames=")
@example(f"--memory-limit={HUGE}\ntask=0\nhostname=localhost\ncommand=echo\n".encode())
def test_validate_only_on_any_task_file_exits_cleanly(tmp_path, data):
    _check(data, tmp_path, validate_only=True)


@pytest.mark.slow
@fuzz_settings(400)
@given(task_file_bytes)
@example(b"task=0\nhostname=localhost\ncommand=echo\nloop=3\nnext=loop\nreturn=300")
@example(f"task=0\nhostname=localhost\ncommand=echo\nmemory_limit={HUGE}G\n".encode())
@example(b"--alert-on-failure=a\x00b\ntask=0\nhostname=localhost\ncommand=echo\nreturn=1\n")
def test_dry_run_on_any_task_file_exits_cleanly(tmp_path, data):
    _check(data, tmp_path, validate_only=False)
