"""The result of a whole run, as `main` needs it for the summary row, banner and alert."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RunOutcome:
    """How a run ended (INTERFACES §8)."""

    exit_code: int
    status: str               # "success" | "failed"
    reason: str               # TASKER_ERROR text: "Last task failed", "Next condition not met"
    last_task: int | None     # summary Task_ID / TASKER_FAILED_TASK
    last_hostname: str        # "parallel"/"conditional" for blocks
    last_command: str         # masked command line for the summary
    signal_name: str | None = None
    json_path: str | None = None
