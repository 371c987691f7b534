"""JournalWriter: header, write-ahead appends, resume, secrets, errors."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasker.errors import JournalWriteError, RecoveryError
from tasker.journal import JournalWriter, read_journal, scan_journal

from .conftest import write_journal


def test_first_record_is_header_with_format_sha_version_and_run_id(journal):
    header = read_journal(journal).header
    assert header["type"] == "journal_header"
    assert header["format"] == 1
    assert header["task_file_sha256"] == "0" * 64
    assert header["run_id"] == "run-1"
    assert header["tasker_version"]


def test_appended_records_read_back_in_order_with_offsets(journal):
    contents = read_journal(journal)
    assert [r.seq for r in contents.records] == [0, 1, 2, 3, 4]
    assert [r.payload.get("task_id") for r in contents.records[1:]] == [0, 1, 2, 3]
    lines = journal.read_bytes().splitlines(keepends=True)
    assert [r.offset for r in contents.records] == [sum(map(len, lines[:i])) for i in range(5)]
    assert contents.torn is None


def test_append_returns_record_with_chain_head(tmp_path):
    with JournalWriter.create(tmp_path / "j", task_file_sha256="", run_id="r") as writer:
        record = writer.append({"type": "x"})
        assert (record.seq, writer.chain_head, writer.next_seq) == (1, record.chain, 2)
    assert read_journal(tmp_path / "j").chain_head == record.chain


def test_journal_fd_is_append_only_and_close_on_exec(tmp_path):
    with JournalWriter.create(tmp_path / "j", task_file_sha256="", run_id="r") as writer:
        assert fcntl.fcntl(writer._fd, fcntl.F_GETFL) & os.O_APPEND
        assert fcntl.fcntl(writer._fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC


def test_create_refuses_an_existing_journal(journal):
    with pytest.raises(JournalWriteError, match="exists"):
        JournalWriter.create(journal, task_file_sha256="", run_id="r")


def test_reopen_continues_sequence_and_chain(journal):
    with JournalWriter.reopen(journal) as writer:
        writer.append({"type": "resumed"})
    contents = read_journal(journal)
    assert [r.seq for r in contents.records][-2:] == [4, 5]
    assert contents.records[-1].payload == {"type": "resumed"}


def test_reopen_refuses_a_torn_journal(journal):
    with journal.open("ab") as fh:
        fh.write(b"5 10 0000")
    with pytest.raises(RecoveryError, match="torn"):
        JournalWriter.reopen(journal)


def test_unsynced_records_are_synced_by_sync_and_counted_in_time_spent(tmp_path):
    with JournalWriter.create(tmp_path / "j", task_file_sha256="", run_id="r") as writer:
        spent = writer.time_spent
        writer.append({"type": "a"}, sync=False)
        assert writer._dirty
        writer.sync()
        assert not writer._dirty
        assert writer.time_spent > spent > 0


def test_secret_global_values_never_reach_the_file(tmp_path):
    path = tmp_path / "j"
    with JournalWriter.create(path, task_file_sha256="", run_id="r",
                              secrets={"API_TOKEN": "s3cr3t-value"}) as writer:
        writer.append({"type": "attempt_intent", "command_line": "curl -H s3cr3t-value"})
    assert b"s3cr3t-value" not in path.read_bytes()
    assert read_journal(path).records[1].payload["command_line"] == "curl -H <masked len=12>"


def test_closed_writer_refuses_appends(tmp_path):
    writer = JournalWriter.create(tmp_path / "j", task_file_sha256="", run_id="r")
    writer.close()
    with pytest.raises(JournalWriteError, match="closed"):
        writer.append({"type": "x"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=4), max_size=4))
def test_any_json_payload_reads_back_unchanged(payloads):
    payloads = [{**p, "type": "t"} for p in payloads]
    directory = tempfile.mkdtemp()
    try:
        path = Path(directory) / "j"
        with JournalWriter.create(path, task_file_sha256="", run_id="r") as writer:
            for payload in payloads:
                writer.append(payload, sync=False)
        assert read_journal(path).payloads()[1:] == payloads
    finally:
        shutil.rmtree(directory)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs mounted on a temporary directory (skips when mounting is not allowed)."""
    mount_point = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.mark.slow
def test_full_filesystem_raises_journal_write_error_with_enospc(small_tmpfs):
    path = small_tmpfs / "full.journal"
    writer = JournalWriter.create(path, task_file_sha256="", run_id="r")
    with pytest.raises(JournalWriteError) as caught:
        for i in range(100):
            writer.append({"type": "filler", "i": i, "data": "x" * 3000})
    assert caught.value.exit_code == 26
    assert caught.value.context["errno"] == errno.ENOSPC
    assert "ENOSPC" in str(caught.value)
    with pytest.raises(JournalWriteError, match="unusable"):
        writer.append({"type": "more"})
    writer.close()
    contents = scan_journal(path)
    assert contents.torn is None and contents.damage is None


def test_journal_write_error_on_unwritable_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(JournalWriteError, match="cannot create journal"):
        write_journal(blocker / "sub" / "j")


def test_appends_from_several_threads_keep_the_chain_whole(tmp_path):
    import threading

    path = tmp_path / "j"
    with JournalWriter.create(path, task_file_sha256="", run_id="r") as writer:
        def work(n):
            for i in range(50):
                writer.append({"type": "t", "thread": n, "i": i}, sync=False)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(read_journal(path).records) == 201
