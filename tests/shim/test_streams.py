"""StreamCapture: bounded memory, spill file, counts, digest and patterns across chunks."""

from __future__ import annotations

import hashlib
import os
import stat

from executor_shim.streams import StreamCapture


def capture(tmp_path, threshold=16, head=4, patterns=None):
    return StreamCapture(str(tmp_path / "stdout"), threshold, head, patterns)


def test_output_up_to_threshold_stays_in_memory(tmp_path):
    cap = capture(tmp_path)
    cap.feed(b"x" * 16)
    cap.close()
    summary = cap.summary()
    assert summary["spilled"] is False
    assert summary["file"] is None
    assert summary["text"] == "x" * 16
    assert not (tmp_path / "stdout").exists()


def test_output_above_threshold_spills_whole_stream_to_private_file(tmp_path):
    cap = capture(tmp_path)
    for chunk in (b"0123456789", b"abcdefghij", b"KLMNO"):
        cap.feed(chunk)
    cap.close()
    summary = cap.summary()
    assert summary["spilled"] is True
    assert (tmp_path / "stdout").read_bytes() == b"0123456789abcdefghijKLMNO"
    assert stat.S_IMODE(os.stat(tmp_path / "stdout").st_mode) == 0o600
    assert summary["text"] == "0123456789abcdef"
    assert summary["head"] == "0123"
    assert summary["bytes"] == 25


def test_line_count_counts_unterminated_last_line(tmp_path):
    cap = capture(tmp_path)
    cap.feed(b"a\nb\nc")
    assert cap.lines == 3
    cap.feed(b"\n")
    assert cap.lines == 3


def test_empty_stream_has_zero_lines_and_empty_digest(tmp_path):
    summary = capture(tmp_path).summary()
    assert summary["lines"] == 0
    assert summary["sha256"] == hashlib.sha256(b"").hexdigest()


def test_digest_covers_whole_stream(tmp_path):
    cap = capture(tmp_path)
    data = os.urandom(100)
    for i in range(0, 100, 7):
        cap.feed(data[i:i + 7])
    assert cap.summary()["sha256"] == hashlib.sha256(data).hexdigest()


def test_pattern_split_across_chunks_is_found(tmp_path):
    cap = capture(tmp_path, patterns=["needle", "absent"])
    for chunk in (b"hay hay nee", b"d", b"le hay"):
        cap.feed(chunk)
    assert cap.summary()["matches"] == {"needle": True, "absent": False}


def test_pattern_found_after_spill_threshold(tmp_path):
    cap = capture(tmp_path, patterns=["tail-marker"])
    cap.feed(b"y" * 1000)
    cap.feed(b"tail-")
    cap.feed(b"marker")
    assert cap.summary()["matches"]["tail-marker"] is True


def test_non_utf8_output_is_kept_as_bytes_and_decoded_with_replacement(tmp_path):
    cap = capture(tmp_path, threshold=4)
    cap.feed(b"\xff\xfe\x00abc")
    cap.close()
    assert (tmp_path / "stdout").read_bytes() == b"\xff\xfe\x00abc"
    assert cap.summary()["text"].startswith("\ufffd\ufffd")
