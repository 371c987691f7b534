"""Journal file names, archiving and atomic writes."""

from __future__ import annotations

import hashlib
import json
import os

from tasker.journal.paths import archive, atomic_write_json, journal_paths, sanitize_stem


def test_journal_paths_use_sanitised_stem_and_hash_of_absolute_path(tmp_path):
    task_file = tmp_path / "my task (v2).txt"
    paths = journal_paths(tmp_path / "base", task_file)
    hash8 = hashlib.sha256(str(task_file).encode()).hexdigest()[:8]
    recovery = tmp_path / "base" / "recovery"
    assert paths.journal == recovery / f"my_task__v2__{hash8}.journal"
    assert paths.lock == recovery / f"my_task__v2__{hash8}.journal.lock"
    assert paths.owner == recovery / f"my_task__v2__{hash8}.journal.owner"
    assert paths.recovery_json == recovery / f"my_task__v2__{hash8}.recovery.json"


def test_relative_task_file_hashes_its_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert journal_paths("b", "t.txt").hash8 == journal_paths("b", tmp_path / "t.txt").hash8


def test_stem_is_cut_to_fifty_characters_and_never_empty():
    assert sanitize_stem("/x/" + "a" * 80 + ".txt") == "a" * 50
    assert sanitize_stem("/x/.txt") == ".txt"
    assert sanitize_stem("/x/é.txt") == "_"
    assert sanitize_stem("") == "task"


def test_archive_moves_journal_and_never_overwrites(tmp_path):
    paths = journal_paths(tmp_path, tmp_path / "t.txt")
    paths.journal.parent.mkdir(parents=True)
    paths.journal.write_text("first")
    first = archive(paths, tmp_path, "finished", run_id="r1")
    paths.journal.write_text("second")
    second = archive(paths, tmp_path, "abandoned", run_id="r1")
    assert first == tmp_path / "journals" / f"{paths.name}_r1.journal"
    assert second == tmp_path / "journals" / f"{paths.name}_r1.abandoned.journal"
    paths.journal.write_text("third")
    third = archive(paths, tmp_path, "finished", run_id="r1")
    assert third.name == f"{paths.name}_r1.1.journal"
    assert [p.read_text() for p in (first, second, third)] == ["first", "second", "third"]
    assert not paths.journal.exists()


def test_atomic_write_json_replaces_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "state.recovery.json"
    target.write_text("old")
    atomic_write_json(target, {"b": 1, "a": "é"})
    assert json.loads(target.read_text()) == {"a": "é", "b": 1}
    assert os.listdir(tmp_path) == ["state.recovery.json"]
    assert target.stat().st_mode & 0o777 == 0o600
