"""`tasker journal verify|show|export` and `tasker report`."""

from __future__ import annotations

import json

import pytest

from tasker.journal import JournalWriter, audit, html_report, scan_journal
from tasker.journal.transitions import check_transitions, load_states


def _record_at(data: bytes, position: int) -> int:
    """The number of the record whose line holds byte `position`."""
    return data[:position].count(b"\n")


def test_verify_accepts_an_intact_journal(journal, capsys):
    assert audit.main(["verify", str(journal)]) == 0
    assert capsys.readouterr().out.startswith(f"OK: {journal}: 5 records")


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_flipping_any_byte_breaks_verify_and_names_the_record(tmp_path, capsys, mask):
    pristine = (tmp_path / "pristine.journal")
    with JournalWriter.create(pristine, task_file_sha256="ab" * 32, run_id="r") as writer:
        writer.append({"type": "run_started", "text": "héllo wörld"})
        writer.append({"type": "run_finished", "exit_code": 0})
    data = pristine.read_bytes()
    broken = tmp_path / "broken.journal"
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= mask
        broken.write_bytes(bytes(flipped))
        assert audit.main(["verify", str(broken)]) == 1, position
        record = _record_at(data, position)
        assert f"BROKEN: {broken}: record {record} (byte offset " in capsys.readouterr().out


def test_verify_reports_a_torn_tail(journal, capsys):
    journal.write_bytes(journal.read_bytes()[:-5])
    assert audit.main(["verify", str(journal)]) == 1
    assert "record 4 (byte offset" in capsys.readouterr().out


def test_verify_reports_an_empty_journal(tmp_path, capsys):
    (tmp_path / "j").write_bytes(b"")
    assert audit.main(["verify", str(tmp_path / "j")]) == 1
    assert "no header record" in capsys.readouterr().out


def test_verify_reports_an_illegal_transition(tmp_path, capsys):
    if load_states() is None:
        pytest.skip("tasker.engine.states is not available")
    path = tmp_path / "j"
    with JournalWriter.create(path, task_file_sha256="", run_id="r") as writer:
        writer.append({"type": "run_started"})
        writer.append({"type": "attempt_spawned", "task_id": 1, "attempt": 1})
    assert audit.main(["verify", str(path)]) == 1
    assert "record 2 (byte offset" in capsys.readouterr().out


def test_legal_transitions_pass_including_a_resumed_run(tmp_path):
    states = load_states()
    if states is None:
        pytest.skip("tasker.engine.states is not available")
    path = tmp_path / "j"
    events = ["run_started", "attempt_intent", "attempt_spawned", "run_resumed",
              "attempt_finished", "run_finished", "run_resumed", "run_finished"]
    with JournalWriter.create(path, task_file_sha256="", run_id="r") as writer:
        for event in events:
            writer.append({"type": event, "task_id": 1, "attempt": 1})
    assert check_transitions(scan_journal(path).records, states) is None


def test_a_second_run_started_in_one_journal_is_illegal(tmp_path):
    states = load_states()
    if states is None:
        pytest.skip("tasker.engine.states is not available")
    path = tmp_path / "j"
    with JournalWriter.create(path, task_file_sha256="", run_id="r") as writer:
        for event in ("run_started", "run_finished", "run_started"):
            writer.append({"type": event})
    problem = check_transitions(scan_journal(path).records, states)
    assert problem is not None and problem.record == 3


def test_show_prints_one_line_per_record_with_time_seq_and_type(journal, capsys):
    assert audit.main(["show", str(journal)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    assert "journal_header" in lines[0]
    assert lines[2].split()[2:5] == ["2", "attempt_finished", "attempt=1"]
    assert "outcome=success" in lines[2] and "task_id=1" in lines[2]


def test_show_of_a_damaged_journal_prints_readable_part_and_fails(journal, capsys):
    data = bytearray(journal.read_bytes())
    data[-20] ^= 0x01
    journal.write_bytes(bytes(data))
    assert audit.main(["show", str(journal)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 4
    assert "record 4" in captured.err


def test_export_writes_payloads_as_json_array(journal, tmp_path, capsys):
    assert audit.main(["export", str(journal)]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [p["type"] for p in exported] == ["journal_header"] + ["attempt_finished"] * 4
    out = tmp_path / "out.json"
    assert audit.main(["export", str(journal), "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == exported


def test_missing_journal_is_an_error_line_not_a_traceback(tmp_path, capsys):
    assert audit.main(["show", str(tmp_path / "absent")]) == 12
    assert capsys.readouterr().err.startswith("ERROR: ")


def test_unknown_subcommand_is_a_usage_error(capsys):
    assert audit.main(["frobnicate"]) == 2


def _run_journal(path):
    with JournalWriter.create(path, task_file_sha256="", run_id="run-7",
                              extra={"task_file": "/x/<flow>.txt"}) as writer:
        for task, outcome in [(0, "success"), (1, "failed"), (2, "timeout")]:
            start = 1_700_000_000.0 + task * 10
            writer.append({"type": "attempt_intent", "task_id": task, "attempt": 1,
                           "display": f"{task}", "at": start})
            writer.append({"type": "attempt_spawned", "task_id": task, "attempt": 1,
                           "at": start + 0.1})
            writer.append({"type": "attempt_finished", "task_id": task, "attempt": 1,
                           "outcome": outcome, "started_at": start, "at": start + 5})
        writer.append({"type": "attempt_intent", "task_id": 3, "attempt": 1, "at": 1.7e9 + 40})
    return path


def test_collect_bars_pairs_start_and_finish_records(tmp_path):
    bars = html_report.collect_bars(scan_journal(_run_journal(tmp_path / "j")).payloads())
    assert [(b.label, b.outcome, b.end - b.start) for b in bars] == [
        ("0", "success", 5.0), ("1", "failed", 5.0), ("2", "timeout", 5.0),
        ("Task 3#1", "running", 0.0)]


def test_report_draws_one_coloured_bar_per_attempt_without_network(tmp_path):
    out = tmp_path / "run.html"
    assert html_report.main([str(_run_journal(tmp_path / "j")), "-o", str(out)]) == 0
    page = out.read_text()
    assert page.count("<rect ") == 4
    for colour in ("#2e9d3e", "#d64541", "#e8a33d", "#3498db"):
        assert f'fill="{colour}"' in page
    assert "&lt;flow&gt;" in page and "<flow>" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page


def test_custom_attempt_fields_read_other_record_types():
    fields = html_report.AttemptFields(start_types=("began",), finish_types=("ended",),
                                       task=("job",), ended_at=("ended_at",))
    payloads = [{"type": "began", "job": 5, "attempt": 2, "at": 100.0},
                {"type": "ended", "job": 5, "attempt": 2, "ended_at": 103.5, "outcome": "ok"}]
    [bar] = html_report.collect_bars(payloads, fields)
    assert (bar.label, bar.start, bar.end, bar.outcome) == ("Task 5#2", 100.0, 103.5, "ok")
