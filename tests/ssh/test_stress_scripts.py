"""stress/ssh_hosts.py up/down and stress/ssh_fanout.py on a few real hosts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tasker.execconfig import parse_exec_config
from tests.sshhosts import leftovers

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

STRESS = Path(__file__).resolve().parents[2] / "stress"
sys.path.insert(0, str(STRESS))

import ssh_fanout  # noqa: E402


def run_script(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run a stress script with this interpreter; output as text."""
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                          timeout=60, check=False)


def test_up_leaves_hosts_running_until_down_removes_them() -> None:
    started = run_script(str(STRESS / "ssh_hosts.py"), "up", "2")
    assert started.returncode == 0, started.stderr
    report = json.loads(started.stdout)
    try:
        answer = subprocess.run(["ssh", "-F", report["ssh_config"], "host002", "hostname"],
                                capture_output=True, text=True, timeout=30, check=False)
        assert answer.stdout.strip() == "host002"
    finally:
        removed = run_script(str(STRESS / "ssh_hosts.py"), "down", "--prefix", report["prefix"])
    assert removed.returncode == 0
    assert json.loads(removed.stdout)["removed"]["netns"] == 2
    assert leftovers(report["prefix"]) == []


def test_fanout_checks_every_hosts_answer() -> None:
    done = run_script(str(STRESS / "ssh_fanout.py"), "3", "--concurrency", "2")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["ok"], report["wrong"], report["mode"]) == (3, {}, "ssh")


def test_fanout_through_tasker_survives_refusing_and_hung_hosts() -> None:
    done = run_script(str(STRESS / "ssh_fanout.py"), "5", "--tasker", "--concurrency", "5",
                      "--stop", "1", "--hang", "1", "--connect-timeout", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["stopped"], report["hung"]) == (["host005"], ["host004"])
    assert (report["exit_code"], report["ok"], report["wrong"]) == (10, 5, {})
    assert report["supervisor_peak_rss_mib"] > 0


def test_generated_ssh_type_is_the_shipped_one_reading_the_hosts_config() -> None:
    config = parse_exec_config(ssh_fanout.exec_config_text("/tmp/x/ssh_config"), "gen.yaml")
    argv = config.build_argv("ssh", "host001", "hostname", "-s", {}, timeout=120)
    assert argv == ["ssh", "-F", "/tmp/x/ssh_config", "-o", "BatchMode=yes",
                    "-o", "ConnectTimeout=10", "--", "host001",
                    "timeout", "-k", "5", "120", "hostname", "-s"]


def test_generated_task_file_is_one_parallel_hostnames_block() -> None:
    text = ssh_fanout.task_file_text(["host001", "host002"], 50)
    assert "type=parallel\nhostnames=host001,host002\ncommand=hostname\nexec=ssh\n" in text
    assert "max_parallel=50\n" in text
