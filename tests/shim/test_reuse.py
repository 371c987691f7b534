"""Launcher shims that serve several attempts: reuse after clean attempts only, per-attempt
state (cwd, peak RSS, signal handlers), cancels bound to their own attempt, and a shim that
outlives its launcher ending after its attempt."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec
from tests.shim.helpers import alive, wait_for

MIB = 1024 * 1024


def spec(tmp_path: Path, name: str, argv: list[str], **fields) -> AttemptSpec:
    fields.setdefault("timeout", 30)
    return AttemptSpec(argv=argv, attempt_dir=str(tmp_path / name), **fields)


def test_sequential_attempts_are_served_by_a_few_reused_shims(client, tmp_path):
    pids = set()
    for i in range(12):
        handle = client.start(spec(tmp_path, f"a.{i}", ["sh", "-c", f"echo {i}"]))
        result = handle.wait(timeout=30)
        assert result.exit_code == 0
        assert result.stdout.text == f"{i}\n"
        pids.add(handle.pid)
        assert result.shim_pid == handle.pid
        # every attempt directory names the shim that ran it (a hard link of one file)
        assert f'"pid": {handle.pid}' in (tmp_path / f"a.{i}" / "shim.json").read_text()
    assert len(pids) <= 3


def test_cwd_and_peak_rss_belong_to_each_attempt(client, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    big = client.start(spec(tmp_path, "big", [sys.executable, "-c",
                                              "x = bytearray(80 << 20); print(len(x))"],
                            cwd=str(elsewhere)))
    first = big.wait(timeout=60)
    assert first.exit_code == 0
    assert first.peak_rss >= 80 * MIB
    pids = set()
    for i in range(4):  # two spares take turns: the shim that ran `big` serves some of these
        handle = client.start(spec(tmp_path, f"small.{i}", ["pwd"]))
        result = handle.wait(timeout=30)
        assert result.stdout.text == f"{Path.cwd()}\n"
        assert result.peak_rss < 40 * MIB
        pids.add(handle.pid)
    assert big.pid in pids


def test_a_shim_is_not_reused_after_a_timeout_or_spilled_output(client, tmp_path):
    killed = client.start(spec(tmp_path, "t", ["sleep", "5"], timeout=0.2, kill_grace=0.1))
    assert killed.wait(timeout=30).timed_out
    assert wait_for(lambda: not alive(killed.pid), timeout=10)
    spilled = client.start(spec(tmp_path, "s", ["head", "-c", str(3 * MIB), "/dev/zero"],
                                output_threshold=MIB))
    result = spilled.wait(timeout=30)
    assert result.stdout.spilled
    assert wait_for(lambda: not alive(spilled.pid), timeout=10)


def test_a_late_cancel_does_not_reach_the_next_attempt_of_its_shim(tmp_path):
    with ShimClient(tmp_path / "run", spares=1) as client:
        first = client.start(spec(tmp_path, "first", ["true"]))
        # not read: the shim commits after its release wait and goes back to the pool
        assert wait_for((tmp_path / "first" / "result.json").exists, timeout=10)
        time.sleep(0.3)
        later = [client.start(spec(tmp_path, f"later.{i}", ["sleep", "1"])) for i in range(2)]
        assert first.pid in {handle.pid for handle in later}
        first.cancel()  # the supervisor never read the first result: this must go nowhere
        first.cancel(skip_grace=True)
        results = [handle.wait(timeout=30) for handle in later]
        assert [(r.exit_code, r.cancelled) for r in results] == [(0, False), (0, False)]
        assert first.wait(timeout=10).exit_code == 0


def test_a_cancel_reaches_its_own_attempt_over_the_control_pipe(client, tmp_path):
    handle = client.start(spec(tmp_path, "c", ["sleep", "30"], kill_grace=5))
    time.sleep(0.2)
    started = time.monotonic()
    handle.cancel()
    result = handle.wait(timeout=30)
    assert result.cancelled
    assert result.exit_code == -signal.SIGTERM
    assert time.monotonic() - started < 5


def test_a_busy_shim_ends_after_its_attempt_when_the_launcher_dies(client, tmp_path):
    handle = client.start(spec(tmp_path, "b", ["sleep", "1"]))
    launcher = client._launcher.proc
    launcher.kill()
    launcher.wait()
    result = handle.wait(timeout=30)
    assert result.exit_code == 0
    assert wait_for(lambda: not alive(handle.pid), timeout=10)
    # the next attempt gets a new launcher
    again = client.start(spec(tmp_path, "again", ["echo", "ok"])).wait(timeout=30)
    assert again.stdout.text == "ok\n"
    assert client._launcher.proc.pid != launcher.pid


def test_an_idle_shim_ends_with_the_supervisor_end_of_the_socket(tmp_path):
    client = ShimClient(tmp_path / "run")
    handle = client.start(spec(tmp_path, "x", ["true"]))
    handle.wait(timeout=30)
    assert wait_for((tmp_path / "x" / "result.json").exists, timeout=10)
    client.close()
    assert wait_for(lambda: not alive(handle.pid), timeout=10)


def test_a_reused_shim_does_not_accumulate_descriptors(client, tmp_path):
    def idle_fds(pids: set[int]) -> dict[int, int]:
        time.sleep(0.3)  # back in the pool, its next files prepared
        return {pid: len(os.listdir(f"/proc/{pid}/fd")) for pid in pids if alive(pid)}

    def run(names: range) -> set[int]:
        pids = set()
        for i in names:
            handle = client.start(spec(tmp_path, f"f.{i}", ["sh", "-c", "echo out; echo err >&2"]))
            assert handle.wait(timeout=30).exit_code == 0
            pids.add(handle.pid)
        return pids

    first = idle_fds(run(range(3)))
    later = idle_fds(run(range(3, 15)))
    common = set(first) & set(later)
    assert common
    assert {pid: later[pid] for pid in common} == {pid: first[pid] for pid in common}
