"""RunLog: line format, levels, the log file, and surviving a closed stdout."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tasker.report.console import RunLog, log_file_path, safe_print, sanitize_stem

STAMP = r"\[\d\d[A-Z][a-z]{2}\d\d \d\d:\d\d:\d\d\] "
REPO = Path(__file__).resolve().parents[2]


def lines_of(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_lines_have_timestamp_and_level_prefix_info_has_none():
    out = io.StringIO()
    log = RunLog("DEBUG", stream=out)
    log.error("e")
    log.warn("w")
    log.info("Task 0: Exit code: 0")
    log.debug("d")
    prefixes = [re.sub(STAMP, "", line) for line in lines_of(out)]
    assert prefixes == ["ERROR: e", "WARN: w", "Task 0: Exit code: 0", "DEBUG: d"]
    assert all(re.match(STAMP, line) for line in lines_of(out))


@pytest.mark.parametrize(("level", "shown"), [("ERROR", 1), ("WARN", 2), ("INFO", 3),
                                              ("DEBUG", 4)])
def test_level_filters_lower_priority_lines(level, shown):
    out = io.StringIO()
    log = RunLog(level, stream=out)
    for emit in (log.error, log.warn, log.info, log.debug):
        emit("x")
    assert len(lines_of(out)) == shown


def test_always_prints_whatever_the_level():
    out = io.StringIO()
    RunLog("ERROR", stream=out).always("=== Task Execution End ===")
    assert lines_of(out)[0].endswith("] === Task Execution End ===")


def test_same_lines_go_to_the_log_file(tmp_path):
    out = io.StringIO()
    path = tmp_path / "log" / "t.log"
    log = RunLog("INFO", log_path=path, stream=out)
    log.info("one")
    log.warn("two")
    log.close()
    assert path.read_text().splitlines() == lines_of(out)
    assert log.log_path == path


def test_unwritable_log_file_is_a_warning_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = io.StringIO()
    log = RunLog("INFO", log_path=blocker / "sub" / "x.log", stream=out)
    log.info("still here")
    assert log.log_path is None
    assert "WARN: Cannot open log file" in out.getvalue()
    assert lines_of(out)[-1].endswith("still here")


def test_closed_pipe_stops_stdout_and_keeps_the_log_file(tmp_path):
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    stream = os.fdopen(write_fd, "w")
    path = tmp_path / "t.log"
    log = RunLog("INFO", log_path=path, stream=stream)
    for i in range(3):
        log.info(f"line {i}")
    log.close()
    assert [re.sub(STAMP, "", x) for x in path.read_text().splitlines()] == [
        "line 0", "line 1", "line 2"]
    stream.close()


@pytest.mark.slow
def test_reader_going_away_never_gives_a_traceback(tmp_path):
    path = tmp_path / "t.log"
    code = ("import sys; from pathlib import Path; from tasker.report.console import RunLog\n"
            f"log = RunLog('INFO', log_path=Path({str(path)!r}))\n"
            "for i in range(20000): log.info(f'line {i}')\n")
    shell = f"{sys.executable} -c \"{code}\" | head -1"
    proc = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                          cwd=REPO, timeout=60, check=False)
    assert proc.stderr == ""
    assert proc.stdout.strip().endswith("line 0")
    assert len(path.read_text().splitlines()) == 20000


def test_safe_print_ignores_a_closed_stream():
    stream = io.StringIO()
    stream.close()
    safe_print("x", stream)


def test_log_file_path_uses_sanitised_stem(tmp_path):
    path = log_file_path(tmp_path, "dir/my tasks.txt", "20240101_000000_000001")
    assert path == tmp_path / "log" / "my_tasks_20240101_000000_000001.log"
    assert sanitize_stem("x" * 80 + ".txt") == "x" * 50
    assert sanitize_stem(".txt") == ".txt"
    assert sanitize_stem("") == "task"
