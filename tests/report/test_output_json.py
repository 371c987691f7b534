"""The --output-json document: TASKER's fields, tasker's additions, atomic writing."""

from __future__ import annotations

import json

from tasker.engine.results import StreamSummary, TaskResult, text_result
from tasker.engine.state import AttemptRecord
from tasker.report.output_json import (
    preexecution_document,
    task_entry,
    write_document,
    write_preexecution_json,
)
from tests.engine.helpers import task, workflow


def test_preexecution_document_names_failure_and_globals(tmp_path):
    wf = workflow("ENV=prod\n\n" + task(0))
    doc = preexecution_document("t.txt", 20, "Task file validation failed", wf)
    assert doc["workflow_metadata"]["status"] == "failed"
    assert doc["workflow_metadata"]["execution_id"]
    assert doc["execution_summary"]["failure_info"]["exit_code"] == 20
    assert doc["variables"] == {"ENV": "prod"}


def test_preexecution_json_without_workflow(tmp_path):
    path = tmp_path / "sub" / "o.json"
    write_preexecution_json(str(path), "t.txt", 24, "No tasks", None)
    assert json.loads(path.read_text())["execution_summary"]["total_tasks"] == 0


def test_write_document_replaces_atomically_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "o.json"
    path.write_text("old")
    write_document(str(path), {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"]


def test_small_output_entry_has_no_file_fields():
    entry = task_entry(text_result(0, 0, True, "hi\n"), [])
    assert entry["stdout"] == "hi\n" and "stdout_file" not in entry
    assert "stdout_truncated" not in entry


def test_truncated_output_entry_has_file_size_and_hash():
    stream = StreamSummary(text="x" * 10, bytes=3_000_000, sha256="ab" * 32, file="/r/out",
                           truncated=True)
    entry = task_entry(TaskResult(task_id=0, exit_code=0, success=True, stdout=stream), [])
    assert entry["stdout_file"] == "/r/out" and entry["stdout_bytes"] == 3_000_000
    assert entry["stdout_sha256"] == "ab" * 32 and entry["stdout_truncated"] is True


def test_attempts_listed_with_outcome_and_duration():
    records = [AttemptRecord(1, None, 0, "failed", 1, 0.5), AttemptRecord(2, None, 1, "success",
                                                                          0, 0.25)]
    entry = task_entry(text_result(0, 0, True), records)
    assert [(a["outcome"], a["duration_seconds"]) for a in entry["attempts"]] == [
        ("failed", 0.5), ("success", 0.25)]
