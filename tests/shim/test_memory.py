"""Memory cap: tree-wide RSS watchdog, opt-in RLIMIT_AS, cgroup v2 where delegated."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest

from executor_shim.memory import CgroupLimit, own_cgroup_dir
from tests.shim.helpers import python

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
ALLOCATE_2G = "b = bytearray(2 * 1024 ** 3); b[::4096] = b'x' * len(b[::4096]); print('done')"


def test_two_gib_allocation_under_256m_limit_is_killed_with_137(run):
    result = run(python(ALLOCATE_2G), memory_limit=256 * MIB)
    assert result.exit_code == 137
    assert result.memory_exceeded
    assert result.memory_enforced_by in ("watchdog", "cgroup_v2")
    assert "watchdog" in result.memory_mechanism
    assert result.peak_rss > 256 * MIB
    assert "memory limit of 268435456 bytes (256.0 MiB) exceeded" in result.stderr.text
    assert "done" not in result.stdout.text


def test_limit_applies_to_the_sum_of_the_tree(run):
    child = "b = bytearray(120 * 1024 ** 2); b[::4096] = b'x' * len(b[::4096]); " \
            "import time; time.sleep(30)"
    script = f"{python(child)[0]} -c \"{child}\" & " * 3 + "wait"
    result = run(["sh", "-c", script], memory_limit=256 * MIB, kill_grace=0.5)
    assert result.exit_code == 137
    assert result.memory_exceeded


def test_usage_under_the_limit_is_untouched_and_interval_is_stated(run):
    result = run(python("b = bytearray(20 * 1024 ** 2); print('ok')"), memory_limit=512 * MIB)
    assert result.exit_code == 0
    assert not result.memory_exceeded
    assert result.memory_mechanism.endswith("watchdog")
    assert result.memory_sample_interval == 0.05


def test_no_limit_means_no_mechanism(run):
    result = run(["true"])
    assert result.memory_mechanism is None
    assert not result.memory_exceeded


def test_rlimit_as_is_applied_only_when_asked(run):
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"
    plain = run(python(code), memory_limit=1024 * MIB)
    opted = run(python(code), memory_limit=1024 * MIB, memory_mode="rlimit_as")
    assert plain.stdout.text.strip() == str(resource.getrlimit(resource.RLIMIT_AS)[0])
    assert opted.stdout.text.strip() == str(1024 * MIB)
    assert "rlimit_as" in opted.memory_mechanism


def _delegated_memory_cgroup() -> str | None:
    base = own_cgroup_dir()
    try:
        controls = Path(base, "cgroup.subtree_control").read_text().split() if base else []
    except OSError:
        return None
    return base if "memory" in controls and os.access(base, os.W_OK) else None


@pytest.mark.skipif(_delegated_memory_cgroup() is None,
                    reason="no writable cgroup v2 with the memory controller delegated here "
                           "(this machine mounts memory as cgroup v1); the watchdog is tested")
def test_cgroup_v2_memory_max_is_used_when_delegated(run):
    result = run(python(ALLOCATE_2G), memory_limit=256 * MIB)
    assert result.exit_code == 137
    assert result.memory_mechanism.startswith("cgroup_v2")


def test_cgroup_limit_is_not_created_without_memory_controller(tmp_path):
    (tmp_path / "cgroup.subtree_control").write_text("cpu io\n")
    assert CgroupLimit.create(str(tmp_path), 256 * MIB, "leaf") is None
    assert not (tmp_path / "leaf").exists()
