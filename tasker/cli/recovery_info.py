"""`--show-recovery-info`: what an earlier unfinished run of this task file left behind.

Looks for TASKER's state snapshot `<stem>_<hash8>.recovery.json` (REFERENCE §9.2) and for
an unfinished journal `<stem>_<hash8>.journal` (SPEC §B) in `<base>/recovery/`, where the
journal module puts them (`tasker.journal.paths`). Prints what it finds, or
"No recovery state file found for this task".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

NOT_FOUND = "No recovery state file found for this task"


def recovery_info_lines(task_file: str, base_dir: Path, task_text: str) -> list[str]:
    """The lines to print for `--show-recovery-info` (reads the recovery directory)."""
    from tasker.journal.paths import journal_paths

    paths = journal_paths(base_dir, task_file)
    lines: list[str] = []
    if paths.recovery_json.is_file():
        lines.extend(_state_lines(paths.recovery_json, task_text))
    if paths.journal.is_file():
        from tasker.journal.recovery import journal_info_lines

        lines.extend(journal_info_lines(paths.journal, task_text))
    return lines or [NOT_FOUND]


def _state_lines(path: Path, task_text: str) -> list[str]:
    lines = ["=== RECOVERY STATE ===", f"Recovery file: {path}"]
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return [*lines, f"Valid: False ({exc})"]
    digest = hashlib.sha256(task_text.encode()).hexdigest()
    valid = state.get("task_file_hash") == digest
    lines += [
        f"Task file: {state.get('task_file_path', 'N/A')}",
        f"Created: {state.get('created', 'N/A')}",
        f"Updated: {state.get('updated', 'N/A')}",
        "Valid: True" if valid else
        "Valid: False (Task file has been modified since recovery state was saved)",
        f"Execution path: {state.get('execution_path', [])}",
        f"Last successful task: {state.get('last_successful_task', 'N/A')}",
        f"Current task: {state.get('current_task', 'N/A')}",
    ]
    if state.get("failure_info"):
        lines.append(f"Failure info: {state['failure_info']}")
    return lines
