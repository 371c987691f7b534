"""The shim reports its result on the status pipe first, then makes result.json durable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tasker.shim_launcher import _SHIM_ROOT
from tasker.shim_protocol import AttemptResult, AttemptSpec


def start_direct(tmp_path: Path, argv: list[str],
                 name: str = "d.1") -> tuple[subprocess.Popen, int, Path]:
    """Start `python -m executor_shim --status-fd` on argv; (process, status fd, attempt dir)."""
    attempt_dir = tmp_path / name
    attempt_dir.mkdir()
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps({"argv": argv, "attempt_dir": str(attempt_dir),
                                     "timeout": 30}))
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "executor_shim", "--status-fd",
                             str(write_end), str(spec_path)], pass_fds=(write_end,),
                            cwd=_SHIM_ROOT)
    os.close(write_end)
    return proc, read_end, attempt_dir


def status_lines(tmp_path: Path, argv: list[str]) -> list[str]:
    """Run one attempt through `python -m executor_shim --status-fd` and read its status."""
    proc, read_end, _attempt_dir = start_direct(tmp_path, argv, "a.1")
    with os.fdopen(read_end, "rb") as status:
        data = status.read()
    assert proc.wait(timeout=60) == 0
    return data.decode().splitlines()


def test_result_line_comes_before_ok_and_matches_result_json(tmp_path):
    lines = status_lines(tmp_path, ["echo", "early"])
    assert [line.split()[0] for line in lines] == ["ID", "RES", "OK"]
    reported = AttemptResult.model_validate_json(lines[1][4:])
    on_disk = AttemptResult.model_validate_json((tmp_path / "a.1" / "result.json").read_bytes())
    assert reported == on_disk and reported.stdout.text == "early\n"


def test_result_too_big_for_the_pipe_is_reported_by_result_json_alone(tmp_path):
    lines = status_lines(tmp_path, ["head", "-c", "200000", "/dev/zero"])
    assert [line.split()[0] for line in lines] == ["ID", "OK"]


def test_wait_reported_then_wait_durable_through_the_launcher(client, tmp_path):
    attempt_dir = tmp_path / "b.1"
    handle = client.start(AttemptSpec(argv=["echo", "hi"], attempt_dir=str(attempt_dir),
                                      timeout=30))
    reported = handle.wait_reported()
    assert reported.stdout.text == "hi\n"
    assert handle.wait_durable() is None
    assert AttemptResult.model_validate_json((attempt_dir / "result.json").read_bytes()) == \
        reported
    assert handle.wait() == reported


def test_wait_reported_falls_back_to_result_json_for_big_results(client, tmp_path):
    attempt_dir = tmp_path / "c.1"
    handle = client.start(AttemptSpec(argv=["head", "-c", "200000", "/dev/zero"],
                                      attempt_dir=str(attempt_dir), timeout=30))
    assert handle.wait_reported().stdout.bytes == 200000
    assert handle.wait_durable() is None


def read_through_res(fd: int) -> bytes:
    data = b""
    while b"\nRES " not in data or not data.endswith(b"\n"):
        chunk = os.read(fd, 65536)
        assert chunk, f"status pipe closed before RES: {data!r}"
        data += chunk
    return data


def test_output_less_result_is_committed_once_the_supervisor_lets_go(tmp_path):
    proc, read_end, attempt_dir = start_direct(tmp_path, ["true"])
    read_through_res(read_end)
    time.sleep(0.3)
    assert not (attempt_dir / "result.json").exists()  # held back while the pipe is open
    assert proc.poll() is None
    os.close(read_end)
    closed = time.monotonic()
    assert proc.wait(timeout=30) == 0
    assert time.monotonic() - closed < 1.0  # not the RELEASE_WAIT fallback
    assert AttemptResult.model_validate_json((attempt_dir / "result.json").read_bytes()) \
        .exit_code == 0


def test_output_less_result_is_committed_anyway_when_the_supervisor_never_lets_go(tmp_path):
    proc, read_end, attempt_dir = start_direct(tmp_path, ["true"])
    try:
        read_through_res(read_end)
        assert proc.wait(timeout=30) == 0  # RELEASE_WAIT, then the fsyncs
        assert (attempt_dir / "result.json").exists()
        assert os.read(read_end, 100) == b"OK\n"
    finally:
        os.close(read_end)


def test_result_with_output_is_committed_without_waiting_for_the_supervisor(tmp_path):
    proc, read_end, attempt_dir = start_direct(tmp_path, ["echo", "out"])
    try:
        data = read_through_res(read_end)
        while not data.endswith(b"OK\n"):
            data += os.read(read_end, 100)
        assert (attempt_dir / "result.json").exists()
        assert proc.wait(timeout=30) == 0
    finally:
        os.close(read_end)


def test_client_wait_returns_an_output_less_result_at_once(client, tmp_path):
    attempt_dir = tmp_path / "e.1"
    handle = client.start(AttemptSpec(argv=["true"], attempt_dir=str(attempt_dir),
                                      timeout=30))
    assert handle.wait().exit_code == 0
    deadline = time.monotonic() + 10
    while not (attempt_dir / "result.json").exists():  # committed once the handle let go
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_direct_start_reaps_an_output_less_shim_once_let_go(tmp_path):
    from tasker.shim_client import ShimClient

    with ShimClient(tmp_path / "run", use_launcher=False) as direct:
        handle = direct.start(AttemptSpec(argv=["true"], attempt_dir=str(tmp_path / "f.1"),
                                          timeout=30))
        assert handle.wait(timeout=60).exit_code == 0
        assert handle._popen.returncode == 0  # reaped: no zombie, no ResourceWarning
    assert (tmp_path / "f.1" / "result.json").exists()
