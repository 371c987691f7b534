"""tasker end to end over exec=ssh against real sshd hosts (issue 6): fan-out and failures.

Every run is `tasker FILE -r --skip-host-validation --output-json=...` in a subprocess, with
the shipped ssh type plus `-F <hosts' config>` (tests/ssh/tasker_run.py).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.shim.helpers import wait_for
from tests.ssh.tasker_run import exec_config_text, hostnames_block, run_tasker
from tests.sshhosts import SshHosts

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

CONNECT_TIMEOUT = 3
BLOCK_FAILED = 10


def config(hosts: SshHosts) -> str:
    """The shipped ssh type reading the hosts' client config, ConnectTimeout 3 s."""
    return exec_config_text(hosts.ssh_config_path, connect_timeout=CONNECT_TIMEOUT)


def test_twenty_host_block_returns_each_hosts_own_short_hostname(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    names = ssh_hosts.names
    run = run_tasker(tmp_path, hostnames_block(names, "hostname", "-s", max_parallel=20),
                     config(ssh_hosts))
    assert run.exit_code == 0, run.output
    assert run.answers(names) == {name: (0, name) for name in names}
    assert [run.subtask(i)["hostname"] for i in range(20)] == names
    block = run.results["0"]
    assert (block["success"], block["success_count"], block["failed_count"]) == (True, 20, 0)


def test_block_never_runs_more_than_max_parallel_remote_commands_at_once(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    log = tmp_path / "spans.log"
    script = f"echo start $(date +%s.%N) >> {log}; sleep 0.4; echo end $(date +%s.%N) >> {log}"
    names = ssh_hosts.names[:12]
    run = run_tasker(tmp_path, hostnames_block(names, "sh", f'-c "{script}"', max_parallel=4),
                     config(ssh_hosts))
    assert run.exit_code == 0, run.output
    events = sorted((float(stamp), kind == "start")
                    for kind, stamp in (line.split() for line in log.read_text().splitlines()))
    running = peak = 0
    for _, starts in events:
        running += 1 if starts else -1
        peak = max(peak, running)
    assert len(events) == 24
    assert 2 <= peak <= 4


def test_host_refusing_connections_fails_only_its_own_subtask(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    names = ssh_hosts.names
    ssh_hosts.stop("host003")
    try:
        run = run_tasker(tmp_path, hostnames_block(names, "hostname", max_parallel=20),
                         config(ssh_hosts))
    finally:
        ssh_hosts.restart("host003")
    answers = run.answers(names)
    assert answers.pop("host003") == (255, "")
    assert answers == {name: (0, name) for name in names if name != "host003"}
    assert "Connection refused" in run.subtask(2)["stderr"]
    block = run.results["0"]
    assert (block["success"], block["success_count"], block["failed_count"]) == (False, 19, 1)
    assert run.exit_code == BLOCK_FAILED


def test_host_stopped_mid_run_fails_only_its_own_subtask(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    names = ssh_hosts.names[:6]
    marker = "sleep 2.25"
    stopped = threading.Event()

    def stop_when_running() -> None:
        if wait_for(lambda: ssh_hosts.remote_pids("host004", marker), timeout=20.0):
            ssh_hosts.stop("host004")
            stopped.set()

    stopper = threading.Thread(target=stop_when_running)
    stopper.start()
    try:
        run = run_tasker(tmp_path, hostnames_block(names, "sh", f'-c "{marker}; hostname"',
                                                   max_parallel=6), config(ssh_hosts))
    finally:
        stopper.join()
        ssh_hosts.restart("host004")
    assert stopped.is_set()
    answers = run.answers(names)
    assert answers.pop("host004")[0] == 255
    assert answers == {name: (0, name) for name in names if name != "host004"}
    assert (run.results["0"]["success_count"], run.results["0"]["failed_count"]) == (5, 1)
    assert run.exit_code == BLOCK_FAILED


def test_hung_host_fails_by_connect_timeout_and_the_run_goes_on(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    names = ssh_hosts.names[:5]
    after = tmp_path / "after"
    tasks = (hostnames_block(names, "hostname", max_parallel=5, extra=("next=always",))
             + f"\ntask=1\nhostname=localhost\ncommand=touch\narguments={after}\n")
    ssh_hosts.hang("host002")
    try:
        started = time.monotonic()
        run = run_tasker(tmp_path, tasks, config(ssh_hosts))
        elapsed = time.monotonic() - started
    finally:
        ssh_hosts.resume("host002")
    answers = run.answers(names)
    assert answers.pop("host002") == (255, "")
    assert "timed out" in run.subtask(1)["stderr"]
    assert answers == {name: (0, name) for name in names if name != "host002"}
    assert (run.results["0"]["success_count"], run.results["0"]["failed_count"]) == (4, 1)
    assert after.exists()
    assert run.exit_code == 0, run.output
    assert elapsed < CONNECT_TIMEOUT + 20
