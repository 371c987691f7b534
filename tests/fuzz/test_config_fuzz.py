"""Property tests: execution-type YAML and file headers fail only with tasker's own errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings

from tests.fuzz.properties import Skip, check_exec_config, check_header, check_header_via_main
from tests.fuzz.strategies import exec_config_texts, header_texts

FUZZ = settings(max_examples=2000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@FUZZ
@given(exec_config_texts)
def test_any_exec_config_text_loads_or_raises_a_tasker_error(tmp_path, text):
    check_exec_config(text, tmp_path)


@pytest.mark.slow
@FUZZ
@given(header_texts)
def test_any_header_parses_or_raises_a_usage_or_file_argument_error(text):
    check_header(text)


@pytest.mark.slow
@settings(FUZZ, max_examples=300)
@given(header_texts)
def test_any_header_above_a_valid_task_exits_cleanly_from_main(tmp_path, text):
    try:
        check_header_via_main(text, tmp_path)
    except Skip:
        assume(False)
