"""Task-file backup: copy, same-content skip, name clash suffix, warning on error."""

from __future__ import annotations

import io

from tasker.report.backup import backup_task_file
from tasker.report.console import RunLog


def make(tmp_path, text="task=0\n"):
    task = tmp_path / "flow.txt"
    task.write_text(text)
    return task


def test_backup_copies_the_task_file_with_the_run_timestamp(tmp_path):
    task = make(tmp_path)
    target = backup_task_file(task, tmp_path / "base", "20240101_000000_000001", RunLog())
    assert target == tmp_path / "base" / "backup" / "flow.txt_20240101_000000_000001"
    assert target.read_text() == "task=0\n"


def test_identical_content_is_not_backed_up_twice(tmp_path):
    task = make(tmp_path)
    first = backup_task_file(task, tmp_path, "t1", RunLog())
    second = backup_task_file(task, tmp_path, "t2", RunLog())
    assert first == second
    assert len(list((tmp_path / "backup").iterdir())) == 1


def test_changed_content_gets_a_new_backup(tmp_path):
    task = make(tmp_path)
    backup_task_file(task, tmp_path, "t1", RunLog())
    task.write_text("task=1\n")
    backup_task_file(task, tmp_path, "t2", RunLog())
    assert len(list((tmp_path / "backup").iterdir())) == 2


def test_name_clash_gets_a_numeric_suffix(tmp_path):
    task = make(tmp_path)
    backup_task_file(task, tmp_path, "t1", RunLog())
    task.write_text("task=1\n")
    target = backup_task_file(task, tmp_path, "t1", RunLog())
    assert target.name == "flow.txt_t1.1"


def test_failure_is_only_a_warning(tmp_path):
    task = make(tmp_path)
    (tmp_path / "backup").write_text("not a directory")
    out = io.StringIO()
    assert backup_task_file(task, tmp_path, "t1", RunLog(stream=out)) is None
    assert "WARN: Task file backup failed" in out.getvalue()
