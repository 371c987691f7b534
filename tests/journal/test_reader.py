"""Reading journals back: torn tails are repaired, any other damage is refused."""

from __future__ import annotations

import pytest

from tasker.errors import RecoveryError
from tasker.journal import read_journal, repair_torn_tail, scan_journal


def _cut(path, nbytes):
    data = path.read_bytes()
    path.write_bytes(data[:-nbytes])
    return data


@pytest.mark.parametrize("cut", [1, 10, 60])
def test_truncated_last_line_is_reported_as_torn(journal, cut):
    data = _cut(journal, cut)
    last_offset = data.rstrip(b"\n").rfind(b"\n") + 1
    contents = read_journal(journal)
    assert contents.torn is not None
    assert (contents.torn.record, contents.torn.offset) == (4, last_offset)
    assert len(contents.records) == 4


def test_repair_keeps_a_copy_and_truncates_to_last_good_record(journal):
    data = _cut(journal, 7)
    torn = repair_torn_tail(journal)
    assert torn is not None and torn.record == 4
    copies = list(journal.parent.glob(journal.name + ".torn-*"))
    assert len(copies) == 1 and copies[0].read_bytes() == data[:-7]
    contents = read_journal(journal)
    assert contents.torn is None and len(contents.records) == 4
    assert journal.read_bytes() == data[:torn.offset]


def test_repair_of_an_intact_journal_changes_nothing(journal):
    before = journal.read_bytes()
    assert repair_torn_tail(journal) is None
    assert journal.read_bytes() == before
    assert not list(journal.parent.glob("*.torn-*"))


def test_nul_filled_tail_counts_as_torn(journal):
    with journal.open("ab") as fh:
        fh.write(b"\0" * 100)
    assert read_journal(journal).torn.record == 5


def test_damage_before_the_last_record_refuses_with_offset_and_record(journal):
    data = bytearray(journal.read_bytes())
    second = data.index(b"\n") + 1
    data[second + 70] ^= 0x01
    journal.write_bytes(bytes(data))
    with pytest.raises(RecoveryError) as caught:
        read_journal(journal)
    assert caught.value.exit_code == 12
    assert f"record 1 (byte offset {second})" in str(caught.value)
    assert caught.value.context == {"offset": second, "record": 1}


def test_corrupt_complete_last_line_is_damage_not_torn(journal):
    data = bytearray(journal.read_bytes())
    data[-3] ^= 0x04
    journal.write_bytes(bytes(data))
    with pytest.raises(RecoveryError, match="record 4"):
        repair_torn_tail(journal)


def test_removed_record_breaks_the_sequence(journal):
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:2] + lines[3:]))
    assert "sequence number 3, expected 2" in scan_journal(journal).damage.reason


def test_file_that_is_not_a_journal_is_refused(tmp_path):
    path = tmp_path / "j"
    path.write_text("hello\n")
    with pytest.raises(RecoveryError, match=r"record 0 .*malformed"):
        read_journal(path)


def test_empty_journal_has_no_records_and_no_header(tmp_path):
    path = tmp_path / "j"
    path.write_bytes(b"")
    contents = read_journal(path)
    assert contents.records == [] and contents.header is None and contents.torn is None


def test_missing_journal_raises_recovery_error(tmp_path):
    with pytest.raises(RecoveryError, match="cannot read journal"):
        read_journal(tmp_path / "absent")
