"""The `--output-json` document (REFERENCE §8.5 plus SPEC C), written atomically for every run.

TASKER's fields keep TASKER's meaning (`execution_path` = sorted IDs of successful results);
tasker adds `execution_order`, per-task `attempts`, the journal reference, a unique
`execution_id`, and for outputs above 1 MiB the head plus file, size and sha256.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from tasker.engine.results import StreamSummary, TaskResult
from tasker.engine.state import AttemptRecord, RunState
from tasker.model import Workflow


def new_execution_id() -> str:
    """A run's unique id (TASKER used a content hash, shared by every run of a file)."""
    return uuid.uuid4().hex


def iso(ts: float | None) -> str | None:
    """Local ISO time of an epoch timestamp."""
    return datetime.fromtimestamp(ts).isoformat() if ts else None


def run_document(wf: Workflow, state: RunState, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The document of a run that reached execution. `meta` holds task_file, execution_id,
    status, exit_code, reason, start, end, log_file, journal, journal_chain_head, metrics."""
    results = state.results
    path = sorted(tid for tid, r in results.items() if r.success)
    summary: dict[str, Any] = {
        "total_tasks": len(wf.tasks),
        "executed": len(path),
        "succeeded": len(path),
        "failed": sum(1 for r in results.values() if not r.success and not r.timed_out),
        "timeouts": sum(1 for r in results.values() if r.timed_out),
        "execution_path": path,
        "final_task": path[-1] if path else None,
        "execution_order": list(state.execution_order),
    }
    if meta["status"] != "success":
        summary["failure_info"] = {"task_id": meta.get("failed_task"),
                                   "exit_code": meta["exit_code"], "error": "Workflow failed"}
    return {
        "workflow_metadata": _metadata(meta),
        "execution_summary": summary,
        "task_results": {str(tid): task_entry(r, state.attempts.get(tid, []))
                         for tid, r in sorted(results.items())},
        "variables": dict(state.globals) or wf.global_values(),
        "workflow_metrics": dict(meta.get("metrics") or {}),
    }


def _metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    start, end = meta.get("start"), meta.get("end")
    return {
        "task_file": str(Path(meta["task_file"]).absolute()),
        "execution_id": meta["execution_id"],
        "status": meta["status"],
        "exit_code": meta["exit_code"],
        "reason": meta.get("reason") or "",
        "start_time": iso(start),
        "end_time": iso(end),
        "duration_seconds": round((end or 0) - (start or 0), 2) if start and end else 0.0,
        "log_file": meta.get("log_file"),
        "journal": meta.get("journal"),
        "journal_chain_head": meta.get("journal_chain_head"),
        "validation_warnings": list(meta.get("validation_warnings") or []),
    }


def task_entry(result: TaskResult, attempts: list[AttemptRecord]) -> dict[str, Any]:
    """One `task_results` entry."""
    entry: dict[str, Any] = {"exit_code": result.exit_code, "success": result.success}
    _stream(entry, "stdout", result.stdout)
    _stream(entry, "stderr", result.stderr)
    entry.update(hostname=result.hostname, duration=result.duration)
    if result.skipped:
        entry["skipped"] = True
    if result.total_count is not None:
        entry.update(success_count=result.success_count, failed_count=result.failed_count,
                     total_count=result.total_count)
    entry["attempts"] = [{"attempt": a.attempt, "iteration": a.iteration, "retry": a.retry,
                          "outcome": a.outcome, "exit_code": a.exit_code,
                          "duration_seconds": a.duration} for a in attempts]
    return entry


def _stream(entry: dict[str, Any], name: str, stream: StreamSummary) -> None:
    entry[name] = stream.text
    if stream.file:
        entry[f"{name}_file"] = stream.file
    if stream.truncated:
        entry.update({f"{name}_bytes": stream.bytes, f"{name}_sha256": stream.sha256,
                      f"{name}_truncated": True})


def preexecution_document(task_file: str, exit_code: int, reason: str,
                          wf: Workflow | None, *, log_file: str | None = None
                          ) -> dict[str, Any]:
    """The document of a run that failed before any task ran (its log file, if it wrote
    one: a real run logs from the start, so the file says why)."""
    now = datetime.now().timestamp()
    meta = {"task_file": task_file, "execution_id": new_execution_id(), "status": "failed",
            "exit_code": exit_code, "reason": reason, "start": now, "end": now,
            "log_file": log_file}
    return {
        "workflow_metadata": _metadata(meta),
        "execution_summary": {
            "total_tasks": len(wf.tasks) if wf else 0, "executed": 0, "succeeded": 0,
            "failed": 0, "timeouts": 0, "execution_path": [], "final_task": None,
            "execution_order": [],
            "failure_info": {"task_id": None, "exit_code": exit_code, "error": reason},
        },
        "task_results": {},
        "variables": wf.global_values() if wf else {},
        "workflow_metrics": {},
    }


def write_preexecution_json(path: str, task_file: str, exit_code: int, reason: str,
                            wf: Workflow | None, *, log_file: str | None = None) -> None:
    """Write the JSON document of a run that failed before any task ran."""
    write_document(path, preexecution_document(task_file, exit_code, reason, wf,
                                               log_file=log_file))


def write_document(path: str, document: Mapping[str, Any]) -> None:
    """Write atomically: temp file in the same directory, fsync, rename, fsync the directory."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    from tasker.journal.paths import fsync_dir

    with contextlib.suppress(OSError):
        fsync_dir(target.parent)
