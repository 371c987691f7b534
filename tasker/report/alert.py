"""`--alert-on-failure SCRIPT`: run an operator's script when a run ends non-zero.

At start-up the path is made absolute and checked: a missing path or anything but a
regular file (symlink, directory, device) disables the alert with a warning; otherwise the
script is made `chmod 700`. At the end (REFERENCE §8.8) it runs with `TASKER_*` variables
added to the environment, in its own session, killed after 30 s; its output is logged and
the run's exit code is never changed. A dry run only logs what it would do.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

from tasker.report.console import RunLog

ALERT_TIMEOUT = 30.0
MAX_LOGGED_LINES = 50


@dataclass(frozen=True)
class AlertInfo:
    """What the script learns about the failed run."""

    exit_code: int
    reason: str
    failed_task: int | None
    task_file: str
    log_file: str | None
    state_file: str | None = None

    def environment(self, base: Mapping[str, str], now: float | None = None) -> dict[str, str]:
        """`base` plus the TASKER_* variables."""
        when = time.time() if now is None else now
        return {
            **base,
            "TASKER_EXIT_CODE": str(self.exit_code),
            "TASKER_ERROR": self.reason,
            "TASKER_FAILED_TASK": str(self.failed_task if self.failed_task is not None else 0),
            "TASKER_TASK_FILE": self.task_file,
            "TASKER_LOG_FILE": self.log_file or "",
            "TASKER_STATE_FILE": self.state_file or "",
            "TASKER_TIMESTAMP": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)),
        }


def check_alert_script(path: str) -> tuple[str | None, str | None]:
    """(usable absolute path, None) or (None, warning) for a missing or irregular file."""
    path = os.path.abspath(os.path.expanduser(path))  # noqa: PTH100, PTH111 (no symlinks)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, f"WARNING: Alert script not found: {path}"
    except OSError as exc:
        return None, f"WARNING: Alert script cannot be checked: {path} ({exc})"
    if not stat.S_ISREG(info.st_mode):
        return None, f"WARNING: Alert script is not a regular file: {path}"
    try:
        _chmod_700(path)
    except OSError as exc:
        return None, f"WARNING: Alert script cannot be made executable: {path} ({exc})"
    return path, None


def _chmod_700(path: str) -> None:
    # Open without following links and check the opened file itself, so a path swapped
    # for a symlink after the lstat above is never chmod-ed.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def run_alert(script: str, info: AlertInfo, log: RunLog, env: Mapping[str, str], *,
              dry_run: bool = False, timeout: float = ALERT_TIMEOUT) -> int | None:
    """Run the alert script for a failed run; returns its exit code (None if it did not run)."""
    if info.exit_code == 0:
        return None
    if dry_run:
        log.info(f"Dry-run mode: Would execute alert script: {script}")
        return None
    log.info(f"Executing alert script: {script} (exit code {info.exit_code})")
    try:
        proc = subprocess.Popen(
            [script], env=info.environment(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        log.warn(f"Alert script failed to start: {script}: {exc}")
        return None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, err = proc.communicate()
        log.warn(f"Alert script timed out after {timeout:g} seconds and was killed: {script}")
    _log_output(log, out, err, proc.returncode)
    return proc.returncode


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _log_output(log: RunLog, out: bytes, err: bytes, code: int) -> None:
    for line in _lines(out):
        log.info(f"Alert script output: {line}")
    failed = code != 0
    for line in _lines(err):
        (log.warn if failed else log.info)(f"Alert script stderr: {line}")
    if failed:
        log.warn(f"Alert script exited with code {code}")
    else:
        log.info("Alert script completed successfully")


def _lines(data: bytes) -> list[str]:
    lines = data.decode("utf-8", errors="replace").splitlines()
    if len(lines) > MAX_LOGGED_LINES:
        lines = [*lines[:MAX_LOGGED_LINES], f"... ({len(lines) - MAX_LOGGED_LINES} more lines)"]
    return lines
