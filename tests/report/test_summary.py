"""Project summary: header once, row columns, name sanitising, the fcntl lock."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tasker.report.summary import (
    HEADER,
    SummaryRow,
    append_row,
    lock_wait,
    project_file_name,
    summary_path,
)


def row(**changes):
    values = {"exit_code": 0, "task_file": "/x/basic.txt", "task_id": 1,
              "hostname": "localhost", "command": "echo hi", "log_file": "/l/basic_1.log",
              "timestamp": 0.0}
    values.update(changes)
    return SummaryRow(**values)


def test_header_is_written_once_then_one_row_per_run(tmp_path):
    path = summary_path(tmp_path, "proj")
    append_row(path, row())
    append_row(path, row(exit_code=20, task_id=-1, command="task_validation"))
    lines = path.read_text().splitlines(keepends=True)
    assert lines[0] == HEADER
    assert len(lines) == 3
    assert lines[2].split("\t")[1:5] == ["FAILURE", "20", "basic.txt", "-1"]


def test_row_columns_follow_the_reference_order():
    fields = row().fields()
    assert fields[1:] == ["SUCCESS", "0", "basic.txt", "1", "localhost", "echo hi",
                          "basic_1.log"]
    assert len(fields[0]) == len("2024-01-01 00:00:00")


def test_dry_run_row_names_unknown_log_and_none_becomes_na():
    fields = row(log_file=None, hostname=None, task_id=None).fields()
    assert fields[-1] == "unknown.log"
    assert fields[4:6] == ["N/A", "N/A"]


def test_tabs_and_newlines_in_fields_become_spaces():
    assert row(command="a\tb\nc\rd").fields()[6] == "a b c d"


@pytest.mark.parametrize(("name", "file"), [("proj", "proj.summary"), ("a.b", "a.summary"),
                                            ("my proj/x", "x.summary"),
                                            ("rel 1.0.txt", "rel_1.0.summary"),
                                            ("", "project.summary")])
def test_project_name_is_sanitised_and_its_extension_stripped(name, file):
    assert project_file_name(name) == file


def test_high_load_raises_the_lock_wait():
    assert lock_wait({}) == 20
    assert lock_wait({"TASK_EXECUTOR_HIGH_LOAD": "1"}) == 45


@pytest.mark.slow
def test_busy_lock_times_out_without_writing(tmp_path):
    path = summary_path(tmp_path, "p")
    path.parent.mkdir(parents=True)
    path.write_text(HEADER)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)",
         str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            append_row(path, row(), wait=0.3)
        assert time.monotonic() - started >= 0.3
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert path.read_text() == HEADER
    append_row(path, row(), wait=1)
    assert len(path.read_text().splitlines()) == 2
