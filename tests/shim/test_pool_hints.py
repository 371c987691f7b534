"""Pool hints to the launcher: S<k>:<n> (at most n more attempts: no spare forked beyond that)
and G<k>:<n> (a burst of n is coming: fork up to n idle spares now), as a parallel block sends
them; k numbers the hints of both kinds."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from executor_shim.launcher import _Spares
from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec
from tests.shim.helpers import idle_spares, wait_for


def settled(client: ShimClient, wanted: int) -> bool:
    if not wait_for(lambda: idle_spares(client.run_dir / "spares") == wanted, timeout=20):
        return False
    time.sleep(0.3)  # and no fork still on its way
    return idle_spares(client.run_dir / "spares") == wanted


def run(client: ShimClient, tmp_path: Path, name: str) -> None:
    spec = AttemptSpec(argv=["true"], attempt_dir=str(tmp_path / name), timeout=30)
    assert client.start(spec).wait(timeout=30).exit_code == 0


def test_expect_stops_replacements_and_grow_refills(tmp_path):
    with ShimClient(tmp_path / "run", spares=4) as client:
        assert settled(client, 4)
        run(client, tmp_path, "a.1")
        assert settled(client, 4)  # a spare taken is replaced
        client.pool_expect(2)
        for i in range(2, 4):
            run(client, tmp_path, f"a.{i}")
        assert settled(client, 2)  # two taken, none replaced: two left for what is coming
        client.pool_grow(5)
        assert settled(client, 5)


class Counting(_Spares):
    """The launcher's bookkeeping with forks counted instead of made."""

    forks = 0

    def fork(self) -> None:
        self.forks += 1

    def _forget(self, pid: int) -> None:
        self.idle = {fd: known for fd, known in self.idle.items() if known != pid}


def test_a_hint_reported_after_a_newer_one_is_ignored():
    """Spares report hints when their commands start, and relay G when they get to it, which
    need not be the order the hints were given: a late report of an older hint must not grow
    the pool again."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with ours, theirs:
        spares = Counting(ours, 4)
        spares.idle = {1: 101, 2: 102, 3: 103, 4: 104}
        spares._on_notice(b"S2:2\nT101\n")  # the newer hint, reported first
        spares._on_notice(b"S1:5\nT102\n")  # the older one, late
        spares._on_notice(b"G1:6\n")  # a block's G relayed after the hints of its last wave
        assert (spares.count, spares.forks) == (2, 0)
        spares._on_notice(b"S3:3\nT103\n")  # a newer one still applies
        assert (spares.count, spares.forks) == (3, 1)  # one replacement per take-over


def test_a_parallel_block_leaves_no_pool_of_its_width_behind(tmp_path):
    from tasker.execconfig import ExecConfig
    from tasker.runner import run_workflow
    from tasker.testing import RecordingLog, fake_options
    from tests.engine.helpers import workflow

    subtasks = [100 + i for i in range(12)]
    text = (f"task=0\ntype=parallel\nmax_parallel=6\ntasks={','.join(map(str, subtasks))}\n"
            "next=never\n\n" + "".join(f"task={sid}\nhostname=localhost\ncommand=true\n"
                                       "exec=local\n\n" for sid in subtasks))
    seen = []

    class Watching(ShimClient):
        def close(self) -> None:
            time.sleep(0.5)  # let the launcher act on the last notices
            seen.append(idle_spares(self.run_dir / "spares"))
            super().close()

    import tasker.shim_client

    original = tasker.shim_client.ShimClient
    tasker.shim_client.ShimClient = Watching
    try:
        outcome = run_workflow(workflow(text), fake_options(base_dir=tmp_path / "base"),
                               ExecConfig(), RecordingLog())
    finally:
        tasker.shim_client.ShimClient = original
    assert outcome.exit_code == 0
    assert seen and seen[0] <= 3  # the default pool (2), not the block's width (6)


def test_a_spare_that_took_work_and_ended_is_replaced_once():
    """Its take-over notice and its ended pidfd can reach a busy launcher together (after a
    warm-up step, or under load): the notice is read first, so the end is not also counted
    as an idle spare's death (which forked a second replacement)."""
    ended = os.fork()
    if ended == 0:  # pragma: no cover (child)
        os._exit(0)
    ended_fd = os.pidfd_open(ended)
    os.waitpid(ended, 0)
    idle = subprocess.Popen(["sleep", "30"])
    idle_fd = os.pidfd_open(idle.pid)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with ours, theirs:
            spares = Counting(ours, 2)
            spares.idle = {ended_fd: ended, idle_fd: idle.pid}
            os.write(spares.notify_w, f"T{ended}\n".encode())
            assert spares._handle({ended_fd, spares.notify_r})
            assert (spares.forks, spares.barren_deaths) == (1, 0)
            assert spares.idle == {idle_fd: idle.pid}
    finally:
        idle.kill()
        idle.wait()
        os.close(ended_fd)
        os.close(idle_fd)
