"""Helpers shared by the journal tests: small finished journals on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasker.journal import JournalWriter


def write_journal(path: Path, n_records: int = 4, **create: object) -> Path:
    """A finished journal: header plus `n_records` small attempt records."""
    params = {"task_file_sha256": "0" * 64, "run_id": "run-1", **create}
    with JournalWriter.create(path, **params) as writer:
        for i in range(n_records):
            writer.append({"type": "attempt_finished", "task_id": i, "attempt": 1,
                           "outcome": "success", "at": 1_700_000_000.0 + i})
    return path


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """A small finished journal (5 records)."""
    return write_journal(tmp_path / "run.journal")
