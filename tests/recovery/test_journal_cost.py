"""Journal cost: one fsync per task (intent before spawn; finished + routed ride along)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_one_fsync_per_task_and_journal_time_reported_in_the_json(ws):
    tasks = 20
    ws.write("".join(f"task={i}\nhostname=localhost\ncommand=true\nexec=local\n\n"
                     for i in range(tasks)))
    out = ws.root / "out.json"
    done = ws.run(f"--output-json={out}")
    assert done.returncode == 0, done.stdout
    doc = json.loads(out.read_text())
    metrics = doc["workflow_metrics"]
    # header, run_started, one intent per task, run_finished
    assert metrics["journal_fsyncs"] == tasks + 3
    assert metrics["journal_records"] == 2 + 4 * tasks  # started, finished; 4 per task
    assert 0 < metrics["journal_fsync_ms"] <= metrics["journal_ms"]
    meta = doc["workflow_metadata"]
    [journal] = ws.journals("journals")
    assert meta["journal"] == str(journal) and len(meta["journal_chain_head"]) == 64
