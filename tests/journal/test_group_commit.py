"""JournalWriter.sync_through: concurrent write-ahead records share fsyncs."""

from __future__ import annotations

import threading

from tasker.journal import JournalWriter, read_journal


def test_sync_through_an_already_synced_offset_does_not_fsync_again(tmp_path):
    with JournalWriter.create(tmp_path / "j.journal", task_file_sha256="0" * 64,
                              run_id="r") as writer:
        writer.append({"type": "attempt_intent", "n": 1}, sync=False)
        end = writer.size
        before = writer.fsyncs
        writer.sync_through(end)
        assert writer.fsyncs == before + 1
        writer.sync_through(end)
        assert writer.fsyncs == before + 1


def test_concurrent_appenders_all_return_synced_and_the_journal_is_whole(tmp_path):
    path = tmp_path / "j.journal"
    writer = JournalWriter.create(path, task_file_sha256="0" * 64, run_id="r")
    start = threading.Barrier(16)
    covered: list[bool] = []

    def one(i: int) -> None:
        start.wait()
        writer.append({"type": "attempt_intent", "n": i}, sync=False)
        end = writer.size
        writer.sync_through(end)
        covered.append(writer._synced_end >= end)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert covered == [True] * 16
    writer.close()
    assert sorted(r.payload["n"] for r in read_journal(path).records[1:]) == list(range(16))
