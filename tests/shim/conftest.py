"""Fixtures for the executor-shim tests: a real ShimClient (with its launcher) per test."""

from __future__ import annotations

import pytest

from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptResult, AttemptSpec


@pytest.fixture
def client(tmp_path):
    with ShimClient(tmp_path / "run") as shim_client:
        yield shim_client


@pytest.fixture
def run(client, tmp_path):
    """Run argv through the shim and return its AttemptResult (spec fields as keywords)."""
    counter = iter(range(10_000))

    def _run(argv: list[str], **fields) -> AttemptResult:
        attempt_dir = tmp_path / "attempts" / f"t.{next(counter)}"
        fields.setdefault("timeout", 30)
        spec = AttemptSpec(argv=argv, attempt_dir=str(attempt_dir), **fields)
        result = client.start(spec).wait(timeout=120)
        assert result is not None
        return result

    return _run
