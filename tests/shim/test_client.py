"""ShimClient: launcher, fallbacks, adoption, identity checks, survival of a dead supervisor."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasker.shim_client import AttemptHandle, ShimClient, load_result
from tasker.shim_protocol import AttemptResult, AttemptSpec
from tests.shim.helpers import alive, wait_for

ROOT = Path(__file__).resolve().parents[2]


def spec(tmp_path: Path, name: str, argv: list[str], **fields) -> AttemptSpec:
    return AttemptSpec(argv=argv, attempt_dir=str(tmp_path / name), **fields)


def test_direct_mode_without_launcher_runs_attempts(tmp_path):
    with ShimClient(tmp_path / "run", use_launcher=False) as client:
        result = client.start(spec(tmp_path, "a.1", ["echo", "direct"])).wait()
    assert result.stdout.text == "direct\n"


@pytest.mark.slow
def test_dead_launcher_is_restarted(client, tmp_path):
    client.start(spec(tmp_path, "a.1", ["true"])).wait()
    old = client._launcher.proc
    old.kill()
    old.wait()
    result = client.start(spec(tmp_path, "a.2", ["echo", "again"])).wait(timeout=30)
    assert result.stdout.text == "again\n"
    assert client._launcher.proc.pid != old.pid


def test_handles_work_with_selectors(client, tmp_path):
    handles = {client.start(spec(tmp_path, f"s.{d}", ["sleep", str(d / 10)])): d
               for d in (3, 1, 2)}
    sel = selectors.DefaultSelector()
    for handle in handles:
        sel.register(handle.fileno(), selectors.EVENT_READ, handle)
    order = []
    while len(order) < len(handles):
        for key, _ in sel.select(timeout=10):
            result = key.data.wait(timeout=0)
            if result is not None or not key.data.is_alive():
                sel.unregister(key.fd)
                order.append(handles[key.data])
    assert order == [1, 2, 3]


def test_wait_with_timeout_returns_none_while_running(client, tmp_path):
    handle = client.start(spec(tmp_path, "w.1", ["sleep", "0.5"]))
    assert handle.wait(timeout=0.05) is None
    assert handle.is_alive()
    assert handle.wait(timeout=10).exit_code == 0


def test_adopt_returns_result_of_finished_attempt(client, tmp_path):
    client.start(spec(tmp_path, "f.1", ["echo", "done"])).wait()
    with ShimClient(tmp_path / "run2", use_launcher=False) as other:
        adopted = other.adopt(tmp_path / "f.1")
    assert isinstance(adopted, AttemptResult)
    assert adopted.stdout.text == "done\n"


def test_adopt_attaches_to_a_running_shim(client, tmp_path):
    handle = client.start(spec(tmp_path, "r.1", ["sh", "-c", "sleep 0.5; echo late"]))
    with ShimClient(tmp_path / "run2", use_launcher=False) as other:
        adopted = other.adopt(tmp_path / "r.1")
        assert isinstance(adopted, AttemptHandle)
        assert (adopted.pid, adopted.start_ticks) == (handle.pid, handle.start_ticks)
        result = adopted.wait(timeout=10)
    assert result.stdout.text == "late\n"


def test_adopt_of_vanished_shim_without_result_is_in_doubt(client, tmp_path):
    attempt = tmp_path / "gone.1"
    attempt.mkdir()
    identity = {"pid": os.getpid(), "start_ticks": 1, "boot_id": "", "command_pid": None}
    (attempt / "shim.json").write_text(json.dumps(identity))
    assert client.adopt(attempt) is None
    assert client.adopt(tmp_path / "never-started") is None


def test_adopt_of_a_dead_shim_not_reaped_yet_is_in_doubt(client, tmp_path):
    """A zombie keeps its pid and start time: it must not be re-attached as a running shim."""
    from executor_shim import proctree

    zombie = subprocess.Popen(["true"])
    assert wait_for(lambda: proctree.state_of(zombie.pid) == "Z")
    try:
        attempt = tmp_path / "zombie.1"
        attempt.mkdir()
        identity = {"pid": zombie.pid, "start_ticks": proctree.start_ticks(zombie.pid),
                    "boot_id": proctree.read_boot_id(), "command_pid": None}
        (attempt / "shim.json").write_text(json.dumps(identity))
        assert client.adopt(attempt) is None
    finally:
        zombie.wait()


FD_LIST = "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))"


@pytest.mark.parametrize("use_launcher", [True, False])
def test_the_command_holds_no_descriptor_of_its_shim(tmp_path, use_launcher):
    """Only stdin, stdout and stderr (3 is the listing's own): above all not the status
    pipe, through which a command could report a result of its own."""
    with ShimClient(tmp_path / "run", use_launcher=use_launcher) as own:
        result = own.start(spec(tmp_path, "fd.1", [sys.executable, "-c", FD_LIST])).wait()
    assert result.stdout.text == "[0, 1, 2, 3]\n"


def test_a_shim_killed_mid_command_ends_the_attempt_and_stops_its_command(client, tmp_path):
    """Nothing enforces the command's timeout once its shim is gone: the supervisor sees the
    end at once (the command holds no copy of the status pipe) and kills the command's group."""
    handle = client.start(spec(tmp_path, "k.1", ["sleep", "31.77"]))
    command = handle.command_pid
    assert command and alive(command)
    os.kill(handle.pid, signal.SIGKILL)
    result = handle.wait(timeout=10)
    assert result is not None and "exited without writing result.json" in result.shim_error
    assert wait_for(lambda: not alive(command), timeout=5)


def test_cancel_does_not_signal_a_process_with_another_identity(tmp_path):
    received = []
    previous = signal.signal(signal.SIGTERM, lambda *_: received.append(1))
    try:
        reader, writer = os.pipe()
        os.close(writer)
        impostor = AttemptHandle(tmp_path, {"pid": os.getpid(), "start_ticks": 1,
                                            "boot_id": ""}, reader)
        impostor.cancel()
        time.sleep(0.05)
        impostor.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert received == []


SUPERVISOR = """
import sys, time
sys.path.insert(0, {root!r})
from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec
client = ShimClient({run!r}, use_launcher={launcher})
h = client.start(AttemptSpec(argv=["sh", "-c", "sleep 1; echo finished"],
                             attempt_dir={attempt!r}, timeout=30))
launcher = client._launcher.proc.pid if client._launcher else 0
print(h.pid, launcher, flush=True)
time.sleep(300)
"""


@pytest.mark.slow
@pytest.mark.parametrize("launcher", [True, False])
def test_shim_finishes_after_its_supervisor_is_killed(tmp_path, launcher):
    attempt = tmp_path / "orphan.1"
    code = SUPERVISOR.format(root=str(ROOT), run=str(tmp_path / "run"), attempt=str(attempt),
                             launcher=launcher)
    supervisor = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    shim_pid, launcher_pid = map(int, supervisor.stdout.readline().split())
    supervisor.kill()
    supervisor.wait()
    supervisor.stdout.close()
    if launcher_pid:
        os.kill(launcher_pid, signal.SIGKILL)
    assert wait_for((attempt / "result.json").exists, timeout=15)
    result = load_result(attempt)
    assert result.exit_code == 0
    assert result.stdout.text == "finished\n"
    assert wait_for(lambda: not alive(shim_pid), timeout=5)


def test_launcher_exits_when_client_closes(tmp_path):
    client = ShimClient(tmp_path / "run")
    client.start(spec(tmp_path, "a.1", ["true"])).wait()
    proc = client._launcher.proc
    client.close()
    assert proc.poll() is not None


def test_a_burst_of_attempts_each_runs_its_own_spec(tmp_path):
    """Spares waiting on one socket take messages at the same moment: each must run the spec
    it received (a receive buffer shared between spares once made two of them run one)."""
    import threading

    count = 144
    with ShimClient(tmp_path / "run", spares=16) as client:
        handles: dict[int, AttemptHandle] = {}

        def start(i: int) -> None:
            handles[i] = client.start(AttemptSpec(argv=["echo", str(i)], timeout=30,
                                                  attempt_dir=str(tmp_path / f"a.{i}")))

        threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outputs = {i: handle.wait(timeout=30).stdout.text for i, handle in handles.items()}
    assert outputs == {i: f"{i}\n" for i in range(count)}


def test_a_result_that_could_not_be_made_durable_is_explained_by_its_error(tmp_path):
    """The ERR line carries a result without its texts; the reason is its shim_error, not
    the whole document (it ends up in an ERROR line)."""
    read_end, write_end = os.pipe()
    brief = {"exit_code": 1, "shim_error": "cannot write result.json: [Errno 28] No space"}
    os.write(write_end, f"ERR {json.dumps(brief)}\n".encode())
    os.close(write_end)
    identity = {"pid": os.getpid(), "start_ticks": 0, "boot_id": ""}
    handle = AttemptHandle(tmp_path, identity, read_end)
    assert handle.wait_durable() == "cannot write result.json: [Errno 28] No space"
