"""A spec handed to a launcher spare just before the supervisor died: the spare puts the attempt
directory in place only when it takes the spec, so a recovering supervisor that finds no
directory yet must wait for it (adopt), not call the attempt in doubt and run it again."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import SimpleNamespace

from executor_shim import proctree
from tasker.engine import adopt
from tasker.engine import events as ev
from tasker.shim_client import ShimClient
from tasker.shim_protocol import AttemptSpec
from tests.shim.helpers import idle_spares, wait_for


def test_an_attempt_whose_directory_is_not_there_yet_is_awaited_and_adopted(tmp_path):
    attempt_dir = tmp_path / "run" / "attempts" / "0.1"
    marker = tmp_path / "ran"
    with ShimClient(tmp_path / "run", spares=2) as client:
        launcher = client._launcher
        assert wait_for(lambda: idle_spares(launcher.spares_dir) == 2, timeout=20)
        spares = proctree.descendants(launcher.proc.pid)
        for pid in spares:  # frozen spares leave the spec in the socket, untaken
            os.kill(pid, signal.SIGSTOP)
        spec = AttemptSpec(argv=["sh", "-c", f"echo x >> {marker}"],
                           attempt_dir=str(attempt_dir), cwd=str(tmp_path), timeout=30)
        read_end, write_end = os.pipe()
        try:
            assert launcher.submit(spec.model_dump_json().encode(), write_end)
        finally:
            os.close(write_end)
            os.close(read_end)  # the "dead supervisor" never reads its status pipe
        assert not attempt_dir.exists()

        def thaw() -> None:
            time.sleep(0.4)
            for pid in spares:
                os.kill(pid, signal.SIGCONT)

        threading.Thread(target=thaw, daemon=True).start()
        intent = ev.AttemptIntent(task_id=0, attempt=1, display="0",
                                  attempt_dir=str(attempt_dir))
        found = adopt._find(SimpleNamespace(shim=client), intent)
        assert found is not None, "called in doubt while the spec was in a spare's hands"
        if hasattr(found, "wait"):
            found = found.wait(timeout=30)
        assert found.exit_code == 0
    assert marker.read_text() == "x\n"  # ran once


def test_a_spare_puts_its_prepared_directory_in_place_or_falls_back_to_the_existing_one(tmp_path):
    with ShimClient(tmp_path / "run", spares=2) as client:
        spares_dir = client._launcher.spares_dir
        assert wait_for(lambda: idle_spares(spares_dir) == 2, timeout=20)
        fresh = tmp_path / "run" / "attempts" / "0.1"  # its parent does not exist yet
        taken = {p.name for p in spares_dir.glob("*.attempt")}
        result = client.start(AttemptSpec(argv=["true"], attempt_dir=str(fresh),
                                          timeout=30)).wait(timeout=30)
        assert result.exit_code == 0
        assert wait_for(lambda: sorted(p.name for p in fresh.iterdir()) ==
                        ["result.json", "shim.json"], timeout=10)
        assert f"{result.shim_pid}.attempt" in taken  # renamed in, not created anew
        assert not (spares_dir / f"{result.shim_pid}.attempt").exists()

        occupied = tmp_path / "run" / "attempts" / "0.2"
        occupied.mkdir()
        (occupied / "left-by-someone").write_text("kept")
        assert wait_for(lambda: idle_spares(spares_dir) == 2, timeout=20)
        result = client.start(AttemptSpec(argv=["true"], attempt_dir=str(occupied),
                                          timeout=30)).wait(timeout=30)
        assert result.exit_code == 0
        assert wait_for(lambda: sorted(p.name for p in occupied.iterdir()) ==
                        ["left-by-someone", "result.json", "shim.json"], timeout=10)
        assert not (spares_dir / f"{result.shim_pid}.attempt").exists()  # discarded
