"""The namespace hosts: fast setup, own hostnames, stopped and hung hosts."""

from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import sshhosts
from tests.sshhosts import SUBNET, SshHosts

pytestmark = [pytest.mark.ssh, pytest.mark.slow]


def test_twenty_hosts_come_up_well_under_a_minute(ssh_hosts: SshHosts) -> None:
    assert len(ssh_hosts.names) == 20
    assert ssh_hosts.setup_seconds is not None
    assert ssh_hosts.setup_seconds < 20


def test_hosts_have_distinct_addresses_inside_the_private_subnet(ssh_hosts: SshHosts) -> None:
    addresses = [host.address for host in ssh_hosts.hosts.values()]
    assert len(set(addresses)) == 20
    assert all(address in SUBNET for address in addresses)


def test_every_host_answers_with_its_own_hostname_concurrently(ssh_hosts: SshHosts) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda name: ssh_hosts.run(name, "hostname"), ssh_hosts.names))
    answers = {name: (r.returncode, r.stdout.strip(), r.stderr.strip())
               for name, r in zip(ssh_hosts.names, results, strict=True)}
    assert answers == {name: (0, name, "") for name in ssh_hosts.names}


def test_client_config_names_every_host(ssh_hosts: SshHosts) -> None:
    text = Path(ssh_hosts.ssh_config_path).read_text(encoding="utf-8")
    for name, host in ssh_hosts.hosts.items():
        assert f"Host {name}\n  HostName {host.address}\n" in text
    for option in ("StrictHostKeyChecking no", "UserKnownHostsFile /dev/null",
                   "BatchMode yes", "LogLevel ERROR", "IdentityFile "):
        assert option in text


def test_stopped_host_refuses_connections(ssh_hosts: SshHosts) -> None:
    ssh_hosts.stop("host005")
    try:
        started = time.monotonic()
        result = ssh_hosts.run("host005", "hostname")
        elapsed = time.monotonic() - started
    finally:
        ssh_hosts.restart("host005")
    assert result.returncode == 255
    assert "Connection refused" in result.stderr
    assert elapsed < 2


def test_restarted_host_answers_again_with_its_name(ssh_hosts: SshHosts) -> None:
    ssh_hosts.stop("host006")
    ssh_hosts.restart("host006")
    result = ssh_hosts.run("host006", "hostname")
    assert (result.returncode, result.stdout.strip()) == (0, "host006")


def test_hung_host_times_out_with_connect_timeout(ssh_hosts: SshHosts) -> None:
    ssh_hosts.hang("host007")
    try:
        started = time.monotonic()
        result = ssh_hosts.run("host007", "hostname", options=("-o", "ConnectTimeout=2"))
        elapsed = time.monotonic() - started
    finally:
        ssh_hosts.resume("host007")
    assert result.returncode == 255
    assert "timed out" in result.stderr
    assert 1.5 <= elapsed < 6


def test_resumed_host_answers_again(ssh_hosts: SshHosts) -> None:
    ssh_hosts.hang("host008")
    ssh_hosts.resume("host008")
    result = ssh_hosts.run("host008", "hostname")
    assert (result.returncode, result.stdout.strip()) == (0, "host008")


def test_other_hosts_keep_answering_while_one_is_stopped(ssh_hosts: SshHosts) -> None:
    ssh_hosts.stop("host009")
    try:
        result = ssh_hosts.run("host010", "hostname")
    finally:
        ssh_hosts.restart("host009")
    assert (result.returncode, result.stdout.strip()) == (0, "host010")


def test_host_count_outside_the_supported_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="count must be"):
        SshHosts(0)
    with pytest.raises(ValueError, match="count must be"):
        SshHosts(1000)


def test_addresses_are_in_one_block_per_run(ssh_hosts: SshHosts) -> None:
    block = ipaddress.IPv4Network(f"{ssh_hosts.hosts['host001'].address}/22", strict=False)
    assert all(host.address in block for host in ssh_hosts.hosts.values())


def test_missing_tool_is_the_skip_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sshhosts, "TOOLS", ("ip", "no-such-tool-h7"))
    assert sshhosts.unavailable_reason() == (
        "ssh test hosts need no-such-tool-h7 (run .ci/install-ssh-deps)")
