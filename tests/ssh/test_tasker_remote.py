"""exec=ssh through tasker: quoting, the remote timeout, and the connection test (issue 6)."""

from __future__ import annotations

import os
import shlex
import signal
import time
from pathlib import Path

import pytest

from tasker.execconfig import parse_exec_config
from tasker.validation.hosts import ShimProbeRunner, run_connection_tests
from tests.ssh.tasker_run import exec_config_text, run_tasker
from tests.sshhosts import SshHosts

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

# One word with spaces, both quote kinds, shell metacharacters and an unset $VAR.
WORD = """it's a "quoted" word; with * | > x and $NOPE_H11 \\ end"""


def single_task(host: str, command: str, arguments: str, *extra: str) -> str:
    """Task 0: one exec=ssh task on `host`."""
    return "\n".join(["task=0", f"hostname={host}", f"command={command}",
                      f"arguments={arguments}", "exec=ssh", *extra, ""])


def test_argument_with_spaces_and_both_quotes_arrives_as_one_unchanged_argument(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    arguments = f"'[%s]' {shlex.quote(WORD)} plain '' 'two  spaces'"
    run = run_tasker(tmp_path, single_task("host016", "printf", arguments),
                     exec_config_text(ssh_hosts.ssh_config_path))
    assert run.exit_code == 0, run.output
    assert run.results["0"]["stdout"] == f"[{WORD}][plain][][two  spaces]"


def test_arguments_are_expanded_locally_not_by_the_remote_shell(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    run = run_tasker(tmp_path, single_task("host017", "printf", "'%s|' $HOME '$HOME'"),
                     exec_config_text(ssh_hosts.ssh_config_path))
    assert run.exit_code == 0, run.output
    assert run.results["0"]["stdout"] == f"{tmp_path}|{tmp_path}|"


def test_task_timeout_also_stops_the_remote_command(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    marker = "sleep 3174"
    started = time.monotonic()
    try:
        run = run_tasker(tmp_path, single_task("host018", "sleep", "3174", "timeout=5"),
                         exec_config_text(ssh_hosts.ssh_config_path))
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 8
        while ssh_hosts.remote_pids("host018", marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = ssh_hosts.remote_pids("host018", marker)
    finally:
        for pid in ssh_hosts.remote_pids("host018", marker):
            os.kill(pid, signal.SIGKILL)
    assert run.results["0"]["exit_code"] != 0
    assert elapsed < 30
    assert survivors == []


def test_connection_test_runs_true_remotely_and_fails_for_a_stopped_host(
        ssh_hosts: SshHosts, tmp_path: Path) -> None:
    config = parse_exec_config(exec_config_text(ssh_hosts.ssh_config_path, 3), "gen.yaml")
    ssh_hosts.stop("host020")
    try:
        with ShimProbeRunner({"PATH": "/usr/bin:/bin"}) as runner:
            failures = run_connection_tests([("host019", "ssh"), ("host020", "ssh")], config,
                                            {}, runner)
    finally:
        ssh_hosts.restart("host020")
    assert failures == [("host020", "connection test (ssh) failed: exit code 255, expected 0")]
