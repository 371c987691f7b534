"""The go-ahead: a spare prepares an attempt while the supervisor syncs its intent record, and
starts the command only once `before_run` has returned (never if it raises)."""

from __future__ import annotations

import os
import time

import pytest

from tasker.errors import JournalWriteError
from tasker.shim_protocol import AttemptSpec


def marker_command(marker) -> list[str]:
    return ["sh", "-c", f"echo ran >> {marker}"]


def test_command_starts_only_after_before_run_returns(client, tmp_path):
    marker = tmp_path / "marker"
    seen: list[bool] = []

    def before_run() -> None:
        time.sleep(0.3)  # the spare has the spec by now and is waiting
        seen.append(marker.exists())

    handle = client.start(AttemptSpec(argv=marker_command(marker),
                                      attempt_dir=str(tmp_path / "a.1"), timeout=30),
                          before_run=before_run)
    assert handle.wait(timeout=60).exit_code == 0
    assert seen == [False]
    assert marker.read_text() == "ran\n"


def test_command_never_starts_when_before_run_raises(client, tmp_path):
    marker = tmp_path / "marker"
    attempt_dir = tmp_path / "a.1"

    def before_run() -> None:
        raise JournalWriteError("cannot fsync journal record 7: No space left on device")

    with pytest.raises(JournalWriteError):
        client.start(AttemptSpec(argv=marker_command(marker), attempt_dir=str(attempt_dir),
                                 timeout=30), before_run=before_run)
    time.sleep(0.5)
    assert not marker.exists()
    assert sorted(os.listdir(attempt_dir)) == []  # no shim.json: nothing to adopt
    # the launcher still serves the next attempt (the spare that gave up is not "barren")
    handle = client.start(AttemptSpec(argv=marker_command(marker),
                                      attempt_dir=str(tmp_path / "a.2"), timeout=30))
    assert handle.wait(timeout=60).exit_code == 0
    assert marker.read_text() == "ran\n"


def test_before_run_is_called_exactly_once(client, tmp_path):
    calls: list[int] = []
    handle = client.start(AttemptSpec(argv=["true"], attempt_dir=str(tmp_path / "a.1"),
                                      timeout=30), before_run=lambda: calls.append(1))
    assert handle.wait(timeout=60).exit_code == 0
    assert calls == [1]


def test_direct_start_calls_before_run_before_the_shim_starts(tmp_path):
    from tasker.shim_client import ShimClient

    marker = tmp_path / "marker"
    seen: list[bool] = []
    with ShimClient(tmp_path / "run", use_launcher=False) as direct:
        handle = direct.start(AttemptSpec(argv=marker_command(marker),
                                          attempt_dir=str(tmp_path / "a.1"), timeout=30),
                              before_run=lambda: seen.append(marker.exists()))
        assert handle.wait(timeout=60).exit_code == 0
    assert seen == [False]
    assert marker.exists()
