"""Fixtures of the recovery tests."""

from __future__ import annotations

import pytest

from tests.recovery.helpers import Workspace


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """An empty workspace."""
    return Workspace(tmp_path)
