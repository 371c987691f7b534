"""Streaming: large outputs with flat memory, spill files, patterns, disk full."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.shim.helpers import python

MIB = 1024 * 1024


@pytest.mark.slow
def test_200_mib_of_output_passes_with_small_shim_rss(run):
    result = run(["sh", "-c", "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 209715200"])
    out = result.stdout
    assert result.exit_code == 0
    assert out.bytes == 200 * MIB
    assert out.spilled
    assert Path(out.file).stat().st_size == 200 * MIB
    assert out.lines == 200 * MIB // 37 + 1
    assert len(out.text.encode()) == MIB
    assert len(out.head.encode()) == 100 * 1024
    assert result.shim_peak_rss < 32 * MIB


def test_stream_digest_matches_the_spill_file(run):
    result = run(python("import os,sys; sys.stdout.buffer.write(os.urandom(3 * 2**20 + 5))"))
    data = Path(result.stdout.file).read_bytes()
    assert result.stdout.sha256 == hashlib.sha256(data).hexdigest()
    assert result.stdout.bytes == len(data)


def test_exactly_one_mib_is_not_spilled(run):
    result = run(python("import sys; sys.stdout.write('x' * 1048576)"))
    assert not result.stdout.spilled
    assert result.stdout.file is None
    assert len(result.stdout.text) == MIB


def test_threshold_is_configurable_per_attempt(run):
    result = run(["echo", "0123456789"], output_threshold=4, head_bytes=2)
    assert result.stdout.spilled
    assert result.stdout.text == "0123"
    assert result.stdout.head == "01"
    assert Path(result.stdout.file).read_text() == "0123456789\n"


def test_patterns_are_decided_over_the_whole_spilled_stream(run):
    code = ("import sys; w = sys.stdout.write; w('a' * 3 * 2**20); w('NEEDLE'); "
            "w('b' * 2**20); sys.stderr.write('ERR-MARK')")
    result = run(python(code), patterns={"stdout": ["NEEDLE", "missing"],
                                         "stderr": ["ERR-MARK"]})
    assert result.stdout.matches == {"NEEDLE": True, "missing": False}
    assert result.stderr.matches == {"ERR-MARK": True}


def test_binary_output_is_stored_exactly(run):
    payload = bytes(range(256)) * 8192
    code = "import sys; sys.stdout.buffer.write(bytes(range(256)) * 8192)"
    result = run(python(code))
    assert Path(result.stdout.file).read_bytes() == payload
    assert "\ufffd" in result.stdout.text


def test_both_streams_are_read_concurrently(run):
    code = ("import sys\nfor _ in range(64):\n"
            "    sys.stdout.write('o' * 65536); sys.stderr.write('e' * 65536)")
    result = run(python(code), timeout=20)
    assert result.exit_code == 0
    assert result.stdout.bytes == result.stderr.bytes == 64 * 65536


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str):
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_disk_full_while_spilling_fails_the_attempt_at_once(client, tmp_path):
    from tasker.shim_protocol import AttemptSpec

    with small_tmpfs(tmp_path / "small", "2m") as small:
        spec = AttemptSpec(argv=["sh", "-c", "yes full | head -c 104857600; sleep 300"],
                           attempt_dir=str(small / "a.1"), timeout=60, kill_grace=5)
        started = time.monotonic()
        result = client.start(spec).wait(timeout=30)
        assert time.monotonic() - started < 5
        assert result is not None
        assert "No space left on device" in result.shim_error
        assert result.exit_code == 1
        assert result.kill_reason == "io"


PIPE_SIZE_OF_STDOUT = ("import fcntl, sys, time; sys.stdout.buffer.write(b'x' * {size}); "
                       "sys.stdout.flush(); time.sleep({pause}); "
                       "sys.stderr.write(str(fcntl.fcntl(1, fcntl.F_GETPIPE_SZ)))")


def test_an_output_pipe_is_widened_only_once_its_command_writes_a_lot(run):
    """Pipe capacity counts against a per-user kernel budget (fs.pipe-user-pages-soft): idle
    spares hold default-sized pipes, and a pipe grows to 1 MiB only for a big output."""
    small = run(python(PIPE_SIZE_OF_STDOUT.format(size=10, pause=0)))
    assert int(small.stderr.text) == 65536
    big = run(python(PIPE_SIZE_OF_STDOUT.format(size=300 * 1024, pause=0.5)))
    assert int(big.stderr.text) == MIB
    assert big.stdout.bytes == 300 * 1024
