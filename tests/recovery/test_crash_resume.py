"""SIGKILL of the supervisor, failures and resume with --auto-recovery: real processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.recovery.helpers import Workspace, tasker

pytestmark = pytest.mark.slow


def shim_started(ws: Workspace, task_id: int) -> Path:
    """Wait until the shim of the first attempt of `task_id` announced itself."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = list(ws.base.glob(f"runs/*/attempts/{task_id}.1/shim.json"))
        if found:
            return found[0]
        time.sleep(0.01)
    raise TimeoutError(f"no shim for task {task_id}")


def kill_supervisor_during(ws: Workspace, task_id: int, *flags: str) -> Path:
    proc = ws.start(*flags)
    identity = shim_started(ws, task_id)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    return identity


def four_tasks(ws: Workspace, slow: float = 1.0) -> None:
    ws.write(ws.task(0, "0") + ws.task(1, "1", slow) + ws.task(2, "2") + ws.task(3, "3"))


def test_sigkill_during_an_attempt_adopts_the_running_shim(ws):
    four_tasks(ws)
    kill_supervisor_during(ws, 1)
    assert ws.lines() == ["0"]
    done = ws.run("--auto-recovery")
    assert done.returncode == 0, done.stdout
    assert ws.lines() == ["0", "1", "2", "3"]
    assert "# Auto-recovery: Starting execution from Task 1" in done.stdout
    [journal] = ws.journals("journals")
    assert tasker("journal", "verify", str(journal), cwd=ws.root).returncode == 0
    replayed = tasker("journal", "replay", str(journal), cwd=ws.root)
    assert replayed.returncode == 0 and "all agree" in replayed.stdout


def test_sigkill_after_the_shim_finished_adopts_its_result(ws):
    four_tasks(ws, slow=0.3)
    identity = kill_supervisor_during(ws, 1)
    ws.wait_for_lines(2)
    while not (identity.parent / "result.json").exists():
        time.sleep(0.01)
    done = ws.run("--auto-recovery")
    assert done.returncode == 0 and ws.lines() == ["0", "1", "2", "3"]


def kill_shim(identity: Path) -> None:
    """SIGKILL the shim and its command tree: the attempt leaves no result behind.

    The shim is stopped first and killed before its command: it can neither start the
    command after the tree is listed nor write a result once its command died.
    """
    import psutil

    shim = psutil.Process(json.loads(identity.read_text())["pid"])
    shim.suspend()
    tree = [shim, *shim.children(recursive=True)]
    for proc in tree:
        proc.kill()
    psutil.wait_procs(tree, timeout=5)


def journal_types(path: Path) -> list[dict]:
    return [json.loads(line.split(" ", 4)[4]) for line in path.read_text().splitlines()]


def test_attempt_in_doubt_is_rerun_by_default_and_the_choice_journaled(ws):
    four_tasks(ws, slow=2.0)
    kill_shim(kill_supervisor_during(ws, 1))
    done = ws.run("--auto-recovery")
    assert done.returncode == 0 and ws.lines() == ["0", "1", "2", "3"]
    [journal] = ws.journals("journals")
    doubt = [p for p in journal_types(journal) if p["type"] == "attempt_in_doubt"]
    assert [(d["task_id"], d["attempt"], d["choice"]) for d in doubt] == [(1, 1, "rerun")]


def test_an_attempt_in_doubt_stops_the_command_its_dead_shim_left_running(ws):
    """The shim died (kill -9) but not its command: before the rerun, the resumed run kills
    what is left of the shim's session, so the two never run side by side (it would append
    '1' a second time when its sleep ends)."""
    import psutil

    four_tasks(ws, slow=4.0)
    identity = kill_supervisor_during(ws, 1)
    shim = psutil.Process(json.loads(identity.read_text())["pid"])
    [command] = shim.children()
    shim.kill()
    shim.wait(5)
    assert command.is_running()
    done = ws.run("--auto-recovery", "-d")
    assert done.returncode == 0, done.stdout
    assert f"stopped what its dead shim left running (pid {command.pid}" in done.stdout
    assert not command.is_running() or command.status() == psutil.STATUS_ZOMBIE
    time.sleep(1.0)  # past the old command's sleep: it would have appended by now
    assert ws.lines() == ["0", "1", "2", "3"]


def test_in_doubt_fail_records_a_failed_result_and_stops(ws):
    four_tasks(ws, slow=2.0)
    kill_shim(kill_supervisor_during(ws, 1))
    done = ws.run("--auto-recovery", "--in-doubt=fail")
    assert done.returncode == 1 and ws.lines() == ["0"]
    [journal] = ws.journals()
    kinds = [p["type"] for p in journal_types(journal)]
    assert kinds[-3:] == ["attempt_in_doubt", "attempt_finished", "run_finished"]


def test_a_subtask_retry_whose_delay_a_crash_cut_short_waits_it_again(ws):
    """As a sequential task's retry does after a crash; the failed attempt is not repeated."""
    flaky = ws.root / "flaky.sh"
    flaky.write_text(f'#!/bin/sh\necho x >> {ws.root / "tries"}\n'
                     f'[ -e {ws.root / "once"} ] && exit 0\ntouch {ws.root / "once"}\nexit 1\n')
    flaky.chmod(0o755)
    ws.write("task=0\ntype=parallel\ntasks=100\nretry_count=1\nretry_delay=2\n\n"
             f"task=100\nhostname=localhost\ncommand={flaky}\nexec=local\n\n")
    proc = ws.start()
    deadline = time.monotonic() + 20
    while not (ws.root / "once").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # in the 2 s delay
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    started = time.monotonic()
    done = ws.run("--auto-recovery")
    assert done.returncode == 0, done.stdout
    assert "Task 0-100: FAILED - will retry as Task 0-100.2 in 2s" in done.stdout
    assert time.monotonic() - started >= 2.0
    assert (ws.root / "tries").read_text() == "x\nx\n"  # one failed attempt, one retry


def failing_second_task(ws: Workspace) -> Path:
    flag = ws.root / "fixed"
    ws.write(ws.task(0, "0") + "task=1\nhostname=localhost\ncommand=test\n"
             f"arguments=-e {flag}\nexec=local\n\n" + "task=2\nhostname=localhost\n"
             "command=echo\narguments=got @0_stdout@\nexec=local\n\n")
    return flag


def test_failed_run_keeps_journal_and_snapshot_and_resume_reruns_the_failed_task(ws):
    flag = failing_second_task(ws)
    first = ws.run()
    assert first.returncode == 1 and len(ws.journals()) == 1
    snapshot = json.loads(next(ws.base.glob("recovery/*.recovery.json")).read_text())
    assert snapshot["failure_info"]["task_id"] == 1 and snapshot["execution_path"] == [0]
    flag.touch()
    second = ws.run("--auto-recovery")
    assert second.returncode == 0, second.stdout
    assert ws.lines() == ["0"]  # task 0 is not repeated...
    assert "Task 2: STDOUT: got line 0" in second.stdout  # ...and its output is restored
    assert not list(ws.base.glob("recovery/*.recovery.json")) and not ws.journals()


def test_journal_never_holds_output_or_secret_values(ws):
    ws.write("SECRET_TOKEN=hunter2-value\n\n" + ws.task(0, "unique-output-@SECRET_TOKEN@"))
    assert ws.run().returncode == 0
    [journal] = ws.journals("journals")
    text = journal.read_text()
    assert "hunter2-value" not in text and "line unique-output" not in text
    assert "<masked len=13>" in text


def test_changed_task_file_refuses_resume_unless_allowed(ws):
    failing_second_task(ws)
    assert ws.run().returncode == 1
    path = ws.root / "wf.txt"
    path.write_text(path.read_text() + "\n# edited\n")
    refused = ws.run("--auto-recovery")
    assert refused.returncode == 12 and "modified since recovery" in refused.stdout
    allowed = ws.run("--auto-recovery", "--allow-changed")
    assert "Auto-recovery: Starting execution from Task 1" in allowed.stdout


def test_leftover_journal_without_auto_recovery_is_archived_as_abandoned(ws):
    failing_second_task(ws)
    ws.run()
    again = ws.run()
    assert "archived as abandoned" in again.stdout
    assert any(".abandoned." in p.name for p in ws.journals("journals"))
    assert ws.lines() == ["0", "0"]


def test_an_abandoned_journal_names_its_attempt_still_running(ws):
    """Without --auto-recovery the run starts afresh; an operator is told that the killed
    run's command is still running (it is not stopped: its executor outlives a crash)."""
    four_tasks(ws, slow=3.0)
    identity = kill_supervisor_during(ws, 1)
    shim_pid = json.loads(identity.read_text())["pid"]
    try:
        fresh = ws.run()
        assert (f"# Its attempt 1.1 is still running (executor pid {shim_pid}); it is not "
                "stopped, and this run starts afresh (--auto-recovery would adopt it)"
                ) in fresh.stdout
    finally:
        with contextlib.suppress(OSError):
            os.kill(shim_pid, signal.SIGKILL)


def test_torn_last_record_is_cut_off_and_a_copy_kept(ws):
    flag = failing_second_task(ws)
    ws.run()
    [journal] = ws.journals()
    with journal.open("ab") as handle:
        handle.write(b'42 17 0badc0de 00 {"type":"rou')
    flag.touch()
    done = ws.run("--auto-recovery")
    assert done.returncode == 0 and "incomplete last record" in done.stdout
    assert list(ws.base.glob("recovery/*.torn-*"))


def test_damaged_journal_refuses_resume_naming_record_and_offset(ws):
    failing_second_task(ws)
    ws.run()
    [journal] = ws.journals()
    data = bytearray(journal.read_bytes())
    data[len(data) // 2] ^= 0x20
    journal.write_bytes(bytes(data))
    done = ws.run("--auto-recovery")
    assert done.returncode == 12
    assert "journal damaged at record" in done.stdout and "byte offset" in done.stdout


def test_second_concurrent_run_exits_25_naming_the_live_owner(ws):
    ws.write(ws.task(0, "0", 2.0))
    first = ws.start()
    shim_started(ws, 0)
    second = ws.run()
    assert second.returncode == 25
    assert f"pid {first.pid}" in second.stdout and "is alive" in second.stdout
    assert ws.run("--validate-only").returncode == 0  # takes no lock
    first.communicate(timeout=20)
    assert first.returncode == 0 and ws.lines() == ["0"]


@pytest.fixture
def full_recovery_dir(ws):
    """<base>/recovery on a 64 KiB tmpfs (skips when mounting is not allowed)."""
    import subprocess

    mount = ws.root / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    ws.base.mkdir()
    (ws.base / "recovery").symlink_to(mount)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_disk_full_while_journaling_stops_the_run_with_exit_26(ws, full_recovery_dir):
    ws.write("".join(f"task={i}\nhostname=localhost\ncommand=true\nexec=local\n\n"
                     for i in range(200)))
    done = ws.run()
    assert done.returncode == 26, done.stdout[-2000:]
    assert "No space left on device" in done.stdout and "Traceback" not in done.stdout
