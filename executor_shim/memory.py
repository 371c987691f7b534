"""Memory cap on a whole process tree: RSS watchdog, cgroup v2 `memory.max`, opt-in RLIMIT_AS.

The watchdog sums the RSS of every descendant of the shim (the command's group and anything
that left it) every `interval` seconds. When the shim runs in a cgroup v2 directory that
delegates the memory controller (or `cgroup_base` names one), the command is also moved into a
leaf cgroup with `memory.max` and `memory.oom.group`. `RLIMIT_AS` is applied only when the spec
asks for `memory_mode="rlimit_as"`. The result records which mechanisms were in force and
which one enforced a breach.
"""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH102, PTH106, PTH118

from __future__ import annotations

import contextlib
import functools
import os
import resource

from executor_shim import proctree

PEAK_ONLY_INTERVAL = 0.25


@functools.cache
def own_cgroup_dir() -> str | None:
    """This process's cgroup v2 directory (looked up once: spares inherit the answer)."""
    mount = None
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                mount = left.split()[4]
                break
    if mount is None:
        return None
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as fh:
        for line in fh:
            if line.startswith("0::"):
                return os.path.join(mount, line[3:].strip().lstrip("/"))
    return None


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


class CgroupLimit:
    """A leaf cgroup v2 with `memory.max`; exists only where the controller is delegated."""

    def __init__(self, path: str):
        self.path = path

    @classmethod
    def create(cls, base: str | None, limit: int, name: str) -> CgroupLimit | None:
        """Create the leaf under `base` (default: the shim's own cgroup), or return None."""
        base = base or own_cgroup_dir()
        if not base:
            return None
        try:
            with open(os.path.join(base, "cgroup.subtree_control")) as fh:
                if "memory" not in fh.read().split():
                    return None
            path = os.path.join(base, name)
            os.mkdir(path)
        except OSError:
            return None
        try:
            _write(os.path.join(path, "memory.max"), str(limit))
            _write(os.path.join(path, "memory.oom.group"), "1")
        except OSError:
            cls(path).remove()
            return None
        with contextlib.suppress(OSError):
            _write(os.path.join(path, "memory.swap.max"), "0")
        return cls(path)

    def attach(self, pid: int) -> bool:
        """Move `pid` into the leaf; False when the kernel refuses."""
        try:
            _write(os.path.join(self.path, "cgroup.procs"), str(pid))
            return True
        except OSError:
            return False

    def oom_killed(self) -> bool:
        """True when the kernel OOM-killed something in the leaf."""
        with contextlib.suppress(OSError), open(os.path.join(self.path, "memory.events")) as fh:
            for line in fh:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value) > 0
        return False

    def remove(self) -> None:
        """Remove the (empty) leaf; harmless if it is already gone or still busy."""
        with contextlib.suppress(OSError):
            os.rmdir(self.path)


class MemoryGuard:
    """Watches the tree's RSS; knows the limit, the mechanisms in force and the peak."""

    def __init__(self, limit: int | None, mode: str, interval: float,
                 cgroup_base: str | None = None):
        self.limit = limit
        self.mode = mode
        self.interval = interval if limit else PEAK_ONLY_INTERVAL
        self.cgroup_base = cgroup_base
        self.cgroup: CgroupLimit | None = None
        self.peak = 0
        self.exceeded_by: str | None = None
        self._saved_rlimit: tuple[int, int] | None = None

    def before_spawn(self) -> None:
        """Lower this process's soft RLIMIT_AS so the command inherits it (opt-in mode)."""
        if self.limit and self.mode == "rlimit_as":
            self._saved_rlimit = resource.getrlimit(resource.RLIMIT_AS)
            hard = self._saved_rlimit[1]
            soft = self.limit if hard == resource.RLIM_INFINITY else min(self.limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    def after_spawn(self, pid: int | None) -> None:
        """Restore our own RLIMIT_AS and put the command into a cgroup when possible."""
        if self._saved_rlimit is not None:
            resource.setrlimit(resource.RLIMIT_AS, self._saved_rlimit)
        if self.limit and pid:
            self.cgroup = CgroupLimit.create(self.cgroup_base, self.limit,
                                             f"tasker-shim-{os.getpid()}")
            if self.cgroup and not self.cgroup.attach(pid):
                self.cgroup.remove()
                self.cgroup = None

    @property
    def mechanisms(self) -> str | None:
        """Mechanisms in force, joined by '+' (None without a limit)."""
        if not self.limit:
            return None
        names = ["cgroup_v2"] if self.cgroup else []
        names += ["rlimit_as"] if self._saved_rlimit is not None else []
        return "+".join([*names, "watchdog"])

    def sample(self, pids: list[int]) -> bool:
        """Record the tree's RSS; True when the watchdog finds the limit exceeded."""
        rss = proctree.tree_rss(pids)
        self.peak = max(self.peak, rss)
        if self.limit and rss > self.limit and self.exceeded_by is None:
            self.exceeded_by = "watchdog"
            return True
        return False

    def finish(self, children_maxrss: int) -> None:
        """Fold in the kernel's peak for reaped children and check the cgroup's OOM count."""
        self.peak = max(self.peak, children_maxrss)
        if self.cgroup is not None:
            if self.exceeded_by is None and self.cgroup.oom_killed():
                self.exceeded_by = "cgroup_v2"
            self.cgroup.remove()
