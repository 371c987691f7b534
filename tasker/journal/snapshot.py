"""TASKER's recovery state file `<stem>_<hash8>.recovery.json` (REFERENCE §9.2 fields).

tasker resumes from the journal; this snapshot is written once, when a run ends
unsuccessfully, for the tools and people that read TASKER's file (SPEC §B2). It is deleted
when a later run of the task file succeeds. Pure: `recovery_snapshot` builds the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tasker.engine.state import RunState

SNAPSHOT_VERSION = "1.0"
ERROR_CHARS = 512


@dataclass(frozen=True)
class SnapshotInfo:
    """What the snapshot says about the run beyond its folded state."""

    task_file: str
    task_sha256: str
    recovery_file: str
    journal: str
    log_file: str | None
    exit_code: int
    failed_task: int | None


def recovery_snapshot(info: SnapshotInfo, wf: Any, state: RunState,
                      now: float) -> dict[str, Any]:
    """The §9.2 document for a run that ended unsuccessfully."""
    path = sorted(tid for tid, r in state.results.items() if r.success)
    failed = state.results.get(info.failed_task) if info.failed_task is not None else None
    return {
        "version": SNAPSHOT_VERSION,
        "task_file_path": info.task_file,
        "task_file_hash": info.task_sha256,
        "recovery_file": info.recovery_file,
        "journal": info.journal,
        "created": _iso(state.started_at or now),
        "updated": _iso(now),
        "log_file": info.log_file,
        "execution_path": path,
        "last_successful_task": path[-1] if path else None,
        "current_task": info.failed_task,
        "intended_next_task": info.failed_task,
        "task_results": {str(tid): _result(r) for tid, r in sorted(state.results.items())},
        "global_vars": dict(state.globals),
        "global_vars_metadata": _metadata(wf),
        "loop_state": {},
        "failure_info": {"task_id": info.failed_task, "exit_code": info.exit_code,
                         "error": failed.stderr.text[:ERROR_CHARS] if failed else ""},
    }


def _result(result: Any) -> dict[str, Any]:
    return {"exit_code": result.exit_code, "stdout": result.stdout.text,
            "stderr": result.stderr.text, "success": result.success}


def _metadata(wf: Any) -> Mapping[str, Any]:
    return {name: ({"source": "env", "template": var.template} if var.from_env
                   else {"source": "literal"}) for name, var in wf.globals.items()}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).isoformat()
