"""Property tests: execution-type YAML and file headers fail only with tasker's own errors."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given

from tests.fuzz.properties import (
    Skip,
    check_exec_config,
    check_header,
    check_header_via_main,
    check_main_with_exec_config,
    fuzz_settings,
)
from tests.fuzz.strategies import exec_config_texts, header_texts

HUGE = "9" * 400


@pytest.mark.slow
@fuzz_settings(1000)
@given(exec_config_texts)
@example("platforms:\n  linux:\n    default_exec_type:\n      binary: null\n      0: null\n")
def test_any_exec_config_text_loads_or_raises_a_tasker_error(text):
    check_exec_config(text)


@pytest.mark.slow
@fuzz_settings(100)
@given(exec_config_texts)
def test_main_with_any_exec_config_in_cwd_exits_cleanly(tmp_path, text):
    check_main_with_exec_config(text, tmp_path)


@pytest.mark.slow
@fuzz_settings(1000)
@given(header_texts)
@example(f"--memory-limit={HUGE}G")
@example("--alert-on-failure=a\x00b")
def test_any_header_parses_or_raises_a_usage_or_file_argument_error(text):
    check_header(text)


@pytest.mark.slow
@fuzz_settings(100)
@given(header_texts)
@example(f"--memory-limit={HUGE}G")
@example("--output-json=a\x00b")
def test_any_header_above_a_valid_task_exits_cleanly_from_main(tmp_path, text):
    try:
        check_header_via_main(text, tmp_path)
    except Skip:
        assume(False)
