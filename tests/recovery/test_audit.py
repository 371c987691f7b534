"""`tasker journal verify|show|replay|export` and `tasker report` on real and golden journals."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tasker.journal import JournalWriter, audit, scan_journal
from tests.recovery.helpers import tasker

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
GOLDEN_NAMES = ("sequential", "blocks", "resumed")


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden_journal_replays_without_divergence(name, capsys):
    journal, task_file = GOLDEN / f"{name}.journal", GOLDEN / f"{name}.txt"
    code = audit.main(["replay", str(journal), "--task-file", str(task_file)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "all agree; run finished" in out


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden_journal_verifies(name, capsys):
    assert audit.main(["verify", str(GOLDEN / f"{name}.journal")]) == 0
    assert capsys.readouterr().out.startswith("OK:")


def record_of(data: bytes, offset: int) -> int:
    """Number of the record whose line holds byte `offset`."""
    return data[:offset].count(b"\n")


def test_a_byte_flipped_anywhere_fails_verify_naming_the_record(tmp_path, capsys):
    data = (GOLDEN / "sequential.journal").read_bytes()
    rng = random.Random(5)
    for offset in [rng.randrange(len(data)) for _ in range(40)] + [0, len(data) - 1]:
        broken = bytearray(data)
        broken[offset] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flip{offset}.journal"
        path.write_bytes(bytes(broken))
        assert audit.main(["verify", str(path)]) == 1
        out = capsys.readouterr().out
        assert f"BROKEN: {path}: record {record_of(data, offset)} " in out, (offset, out)


def rewritten(tmp_path: Path, change) -> Path:
    """The sequential golden journal re-framed with one payload changed by `change`."""
    contents = scan_journal(GOLDEN / "sequential.journal")
    path = tmp_path / "changed.journal"
    header = contents.records[0].payload
    with JournalWriter.create(path, task_file_sha256=header["task_file_sha256"],
                              run_id=header["run_id"],
                              extra={"task_file": str(GOLDEN / "sequential.txt")}) as writer:
        for record in contents.records[1:]:
            writer.append(change(dict(record.payload)))
    return path


def test_replay_reports_the_record_where_a_decision_diverges(tmp_path, capsys):
    def reroute(payload):
        if payload["type"] == "routed" and payload["from_task"] == 0:
            payload["to_task"] = 1
        return payload
    path = rewritten(tmp_path, reroute)
    assert audit.main(["verify", str(path)]) == 0
    assert audit.main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert "DIVERGED" in out and "Goto(from_task=0, to_task=2" in out
    assert "routed(from_task=0, to_task=1)" in out


def test_replay_refuses_a_changed_task_file(tmp_path, capsys):
    task_file = tmp_path / "sequential.txt"
    task_file.write_text((GOLDEN / "sequential.txt").read_text() + "\n# changed\n")
    code = audit.main(["replay", str(GOLDEN / "sequential.journal"), "--task-file",
                       str(task_file)])
    assert code == 1 and "changed since the run" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_journal_and_report_subcommands(tmp_path):
    journal = GOLDEN / "blocks.journal"
    assert "OK:" in tasker("journal", "verify", str(journal), cwd=tmp_path).stdout
    shown = tasker("journal", "show", str(journal), cwd=tmp_path).stdout.splitlines()
    assert len(shown) == len(scan_journal(journal).records)
    html = tmp_path / "run.html"
    assert tasker("report", str(journal), "-o", str(html), cwd=tmp_path).returncode == 0
    attempts = sum(1 for r in scan_journal(journal).records if r.type == "attempt_finished"
                   and r.payload["attempt"])
    assert html.read_text().count("<rect") >= attempts


@pytest.mark.slow
def test_a_task_file_named_journal_runs_as_dot_slash_journal(tmp_path):
    (tmp_path / "journal").write_text("task=0\nhostname=localhost\ncommand=true\nexec=local\n")
    done = tasker("./journal", "-r", "-l", str(tmp_path / "base"), "--skip-host-validation",
                  cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert list((tmp_path / "base" / "journals").glob("journal_*.journal"))


def test_replay_of_an_illegal_transition_reports_the_damage_not_an_internal_error(
        tmp_path, capsys):
    """A well-framed journal whose records break the state machine (an attempt spawned
    without its intent): BROKEN with the record, as `verify` says, not an internal error."""
    def spawn_without_intent(payload):
        if payload["type"] != "attempt_intent":
            return payload
        return {"type": "attempt_spawned", "at": payload["at"], "task_id": payload["task_id"],
                "parent": payload.get("parent"), "attempt": payload["attempt"], "pid": 1,
                "start_time": 0.0, "boot_id": ""}
    path = rewritten(tmp_path, spawn_without_intent)
    assert audit.main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN:" in out and "illegal transition" in out


def test_report_refuses_an_empty_journal_and_an_unwritable_output(tmp_path):
    from tasker.journal import html_report

    empty = tmp_path / "empty.journal"
    empty.write_bytes(b"")
    assert html_report.main([str(empty), "-o", str(tmp_path / "r.html")]) == 1
    assert not (tmp_path / "r.html").exists()
    unwritable = tmp_path / "missing" / "r.html"
    assert html_report.main([str(GOLDEN / "blocks.journal"), "-o", str(unwritable)]) == 1
