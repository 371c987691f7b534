"""Teardown leaves nothing behind: no namespace, veth, bridge, sshd or temp dir."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shim.helpers import alive
from tests.sshhosts import SshHosts, cleanup_leftovers, leftovers, pids_in_netns

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, os, signal, sys, time
sys.path.insert(0, {root!r})
from tests.sshhosts import SshHosts
hosts = SshHosts(2).start()
pids = [p for h in hosts.names for p in hosts.netns_pids(h)]
print(json.dumps({{"prefix": hosts.prefix, "pids": pids}}), flush=True)
{ending}
"""


def start_child(ending: str) -> tuple[subprocess.Popen[str], dict]:
    """A python process that brings up 2 hosts, reports them, then runs `ending`."""
    code = CHILD.format(root=str(ROOT), ending=ending)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    with child.stdout:
        return child, json.loads(child.stdout.readline())


def test_close_removes_namespaces_links_bridge_sshd_and_tempdir() -> None:
    with SshHosts(3) as hosts:
        pids = [pid for found in pids_in_netns([h.netns for h in hosts.hosts.values()]).values()
                for pid in found]
        found_while_up = leftovers(hosts.prefix)
        tempdir = hosts.tempdir
    assert len(pids) >= 3
    assert any(item.startswith("link ") and item.endswith("-br") for item in found_while_up)
    assert sum(item.startswith("netns ") for item in found_while_up) == 3
    assert leftovers(hosts.prefix) == []
    assert not any(alive(pid) for pid in pids)
    assert tempdir is not None
    assert not tempdir.exists()


def test_teardown_runs_when_the_test_body_fails() -> None:
    with pytest.raises(RuntimeError, match="boom"), SshHosts(2) as hosts:
        raise RuntimeError("boom")
    assert leftovers(hosts.prefix) == []


def test_close_twice_is_harmless() -> None:
    hosts = SshHosts(1).start()
    hosts.close()
    hosts.close()
    assert leftovers(hosts.prefix) == []


def test_sigterm_tears_the_hosts_down_before_dying() -> None:
    child, report = start_child("time.sleep(60)")
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == -signal.SIGTERM
    assert leftovers(report["prefix"]) == []
    assert not any(alive(pid) for pid in report["pids"])


def test_normal_exit_without_close_tears_down_at_exit() -> None:
    child, report = start_child("sys.exit(3)")
    assert child.wait(timeout=30) == 3
    assert leftovers(report["prefix"]) == []


def test_cleanup_leftovers_removes_what_a_killed_run_left() -> None:
    child, report = start_child("os.kill(os.getpid(), signal.SIGKILL)")
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert len(leftovers(report["prefix"])) >= 5
    removed = cleanup_leftovers(report["prefix"])
    assert removed["netns"] == 2
    assert leftovers(report["prefix"]) == []
    assert not any(alive(pid) for pid in report["pids"])


def test_cleanup_leftovers_refuses_a_foreign_prefix() -> None:
    with pytest.raises(ValueError, match="prefix"):
        cleanup_leftovers("eth")
