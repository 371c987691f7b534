"""The terminal progress line: only on a TTY, wiped before log lines."""

from __future__ import annotations

import io

from tasker.engine import events as ev
from tasker.engine.results import text_result
from tasker.report.progress import Progress, ProgressLog
from tasker.testing import RecordingLog


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_not_wanted_when_stdout_is_not_a_tty():
    assert Progress.wanted(io.StringIO()) is False
    assert Progress.wanted(FakeTTY()) is True


def test_progress_shows_block_counts_after_delay():
    stream = FakeTTY()
    progress = Progress(stream, delay=0.0)
    progress(ev.BlockProgress(task_id=5, phase="started", subtasks=(10, 11, 12)))
    progress(ev.AttemptFinished(task_id=10, parent=5, attempt=1, outcome="success",
                                result=text_result(10, 0, True)))
    assert progress._text().startswith("[progress] Task 5: 1/3 done")


def test_progress_line_is_wiped_before_log_lines():
    stream = FakeTTY()
    progress = Progress(stream, delay=0.0)
    progress(ev.AttemptIntent(task_id=0, attempt=1, display="0"))
    progress._shown = True
    log = RecordingLog()
    ProgressLog(log, progress).info("Task 0: Exit code: 0")
    assert stream.getvalue() == "\r\x1b[2K" and log.messages() == ["Task 0: Exit code: 0"]
