"""The project summary (`-p NAME`): one TSV row per run in `<base>/project/<name>.summary`.

Header (written when the file is new), REFERENCE §8.4:
`#Timestamp  Status  Exit_Code  Task_File  Task_ID  Hostname  Command  Log_File`.
Rows are appended under an fcntl lock taken with a 20 s wait (45 s when
`TASK_EXECUTOR_HIGH_LOAD` is set), so concurrent runs of one project never interleave.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tasker.report.console import sanitize_stem

HEADER = "#Timestamp\tStatus\tExit_Code\tTask_File\tTask_ID\tHostname\tCommand\tLog_File\n"
LOCK_WAIT = 20.0
HIGH_LOAD_LOCK_WAIT = 45.0
DRY_RUN_LOG = "unknown.log"


@dataclass(frozen=True)
class SummaryRow:
    """The values of one summary row; `log_file` is None in a dry run."""

    exit_code: int
    task_file: str
    task_id: int | None
    hostname: str | None
    command: str | None
    log_file: str | None
    timestamp: float | None = None

    def fields(self) -> list[str]:
        """The eight columns, cleaned (tabs/newlines -> spaces, None -> N/A)."""
        when = time.time() if self.timestamp is None else self.timestamp
        values = [
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)),
            "SUCCESS" if self.exit_code == 0 else "FAILURE",
            str(self.exit_code),
            Path(self.task_file).name,
            None if self.task_id is None else str(self.task_id),
            self.hostname,
            self.command,
            Path(self.log_file).name if self.log_file else DRY_RUN_LOG,
        ]
        return [_clean(v) for v in values]


def project_file_name(project: str) -> str:
    """`<name>.summary`: the project sanitised like a file name, its extension stripped."""
    return f"{sanitize_stem(project.strip(), 'project')}.summary"


def summary_path(base_dir: Path, project: str) -> Path:
    """`<base>/project/<name>.summary`."""
    return base_dir / "project" / project_file_name(project)


def lock_wait(env: Mapping[str, str]) -> float:
    """Seconds to wait for the summary lock."""
    return HIGH_LOAD_LOCK_WAIT if env.get("TASK_EXECUTOR_HIGH_LOAD") else LOCK_WAIT


def append_row(path: Path, row: SummaryRow, wait: float = LOCK_WAIT) -> None:
    """Append `row` (and the header if the file is new) under an exclusive lock.

    Raises OSError (TimeoutError when the lock stays busy for `wait` seconds).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        _lock(handle.fileno(), wait)
        try:
            if os.fstat(handle.fileno()).st_size == 0:
                handle.write(HEADER)
            handle.write("\t".join(row.fields()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _lock(fd: int, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"summary file still locked after {wait:.0f} s") from None
            time.sleep(0.05)


def _clean(value: str | None) -> str:
    if value is None:
        return "N/A"
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")
