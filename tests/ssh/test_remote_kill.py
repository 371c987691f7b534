"""Why a timed-out ssh task must stop the remote command itself (issue 6 item 1)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import pytest

from tests.shim.helpers import wait_for
from tests.sshhosts import SshHosts

pytestmark = [pytest.mark.ssh, pytest.mark.slow]


def test_killing_the_local_ssh_client_leaves_the_remote_command_running(
        ssh_hosts: SshHosts) -> None:
    marker = "sleep 3171"
    client = subprocess.Popen(ssh_hosts.ssh_argv("host011", marker),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ssh_hosts.remote_pids("host011", marker))
        client.send_signal(signal.SIGKILL)
        client.wait()
        time.sleep(1)
        survivors = ssh_hosts.remote_pids("host011", marker)
        assert survivors
    finally:
        client.kill()
        client.wait()
        kill_all(ssh_hosts, "host011", marker)


def test_remote_timeout_wrapper_stops_the_remote_command(ssh_hosts: SshHosts) -> None:
    marker = "sleep 3172"
    started = time.monotonic()
    result = ssh_hosts.run("host012", f"timeout 1 {marker}")
    assert result.returncode == 124
    assert time.monotonic() - started < 5
    assert ssh_hosts.remote_pids("host012", marker) == []


def test_remote_pids_are_found_inside_the_right_host_only(ssh_hosts: SshHosts) -> None:
    marker = "sleep 3173"
    client = subprocess.Popen(ssh_hosts.ssh_argv("host013", f"timeout 20 {marker}"),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ssh_hosts.remote_pids("host013", marker))
        assert ssh_hosts.remote_pids("host014", marker) == []
    finally:
        # `timeout` may not have started `sleep` yet when first seen: kill until none is left
        assert wait_for(lambda: not kill_all(ssh_hosts, "host013", marker))
        client.wait(timeout=10)


def kill_all(ssh_hosts: SshHosts, host: str, marker: str) -> list[int]:
    """SIGKILL every process of `host` whose command line holds `marker`; the pids found."""
    pids = ssh_hosts.remote_pids(host, marker)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids
