"""Kill discipline: timeouts, grace, leftovers, daemonised grandchildren, cancel."""

from __future__ import annotations

import time

import pytest

from tasker.shim_protocol import AttemptSpec
from tests.shim.helpers import alive, pids_from, python, wait_for

pytestmark = pytest.mark.slow

BACKGROUND = "sleep 300 & echo $!; setsid sleep 300 & echo $!; "


def test_timeout_kills_background_and_setsid_grandchildren(run):
    started = time.monotonic()
    result = run(["sh", "-c", BACKGROUND + "sleep 300"], timeout=1, kill_grace=1)
    assert time.monotonic() - started < 1 + 1 + 1
    assert result.exit_code == 124
    assert result.timed_out
    grandchildren = pids_from(result.stdout.text)
    assert len(grandchildren) == 2
    assert not any(alive(pid) for pid in grandchildren)
    assert result.survivors == []


def test_timeout_appends_tasker_note_to_stderr(run):
    result = run(["sh", "-c", "echo partial; echo oops >&2; sleep 300"], timeout=0.5,
                 kill_grace=0.5)
    assert result.stdout.text == "partial\n"
    assert result.stderr.text == "oops\n\nProcess killed after timeout of 0.5 seconds"


def test_integral_timeout_is_written_without_decimals(run):
    result = run(["sleep", "300"], timeout=1, kill_grace=0)
    assert result.stderr.text.endswith("Process killed after timeout of 1 seconds")
    assert result.signal == 9


def test_command_ignoring_sigterm_is_killed_after_grace(run):
    code = ("import signal,sys,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(300)")
    result = run(python(code), timeout=0.5, kill_grace=1)
    assert result.exit_code == 124
    assert result.signal == 9
    assert 1.4 <= result.duration < 3


def test_command_that_exits_on_sigterm_ends_before_grace(run):
    result = run(["sleep", "300"], timeout=0.5, kill_grace=10)
    assert result.signal == 15
    assert result.duration < 3


def test_leftover_background_process_is_killed_when_command_exits(run):
    result = run(["sh", "-c", "sleep 300 > /dev/null 2>&1 & echo $!"], kill_grace=1)
    assert result.exit_code == 0
    assert result.kill_reason == "leftover"
    (pid,) = pids_from(result.stdout.text)
    assert not alive(pid)


def test_leftover_holding_the_pipe_does_not_block_completion(run):
    started = time.monotonic()
    result = run(["sh", "-c", "setsid sleep 300 & echo done"], kill_grace=1)
    assert result.exit_code == 0
    assert result.stdout.text == "done\n"
    assert time.monotonic() - started < 3


def test_cancel_terminates_the_tree_with_grace(client, tmp_path):
    spec = AttemptSpec(argv=["sh", "-c", BACKGROUND + "sleep 300"],
                       attempt_dir=str(tmp_path / "c.1"), timeout=60, kill_grace=2)
    handle = client.start(spec)
    assert wait_for((tmp_path / "c.1").exists)
    time.sleep(0.2)
    handle.cancel()
    result = handle.wait(timeout=10)
    assert result is not None
    assert result.cancelled
    assert result.exit_code == -15
    assert not any(alive(pid) for pid in pids_from(result.stdout.text))


def test_cancel_without_grace_kills_at_once(client, tmp_path):
    code = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
    spec = AttemptSpec(argv=python(code), attempt_dir=str(tmp_path / "c.2"), timeout=60,
                       kill_grace=30)
    handle = client.start(spec)
    time.sleep(0.3)
    started = time.monotonic()
    handle.cancel(skip_grace=True)
    result = handle.wait(timeout=10)
    assert time.monotonic() - started < 2
    assert result.cancelled
    assert result.signal == 9


def test_second_cancel_skips_the_remaining_grace(client, tmp_path):
    code = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
    spec = AttemptSpec(argv=python(code), attempt_dir=str(tmp_path / "c.3"), timeout=60,
                       kill_grace=30)
    handle = client.start(spec)
    time.sleep(0.3)
    handle.cancel()
    time.sleep(0.2)
    handle.cancel()
    result = handle.wait(timeout=10)
    assert result is not None
    assert result.signal == 9


def test_stopped_grandchild_is_killed_too(run):
    result = run(["sh", "-c", "sleep 300 & kill -STOP $!; echo $!; sleep 300"], timeout=0.5,
                 kill_grace=0.5)
    (pid,) = pids_from(result.stdout.text)
    assert not alive(pid)
    assert result.survivors == []
