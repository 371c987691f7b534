"""One command attempt: spawn, stream, watch the clock and memory, kill the tree, summarise.

Algorithm (single thread, one selector):
    spawn argv in a new process group, stdout/stderr into two pipes
    loop until the tree is gone and both pipes are at EOF:
        read whichever pipe is ready (1 MiB chunks) into its StreamCapture
        child exited  -> reap; leftover descendants get TERM -> grace -> KILL
        deadline      -> timed_out; TERM group + descendants -> grace -> KILL
        RSS sample    -> over the limit: KILL at once (exit 137)
        SIGTERM/INT   -> cancel with grace (a second one, or SIGUSR1: no grace)
        spill failure -> KILL at once, the OS error is reported
"""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH118

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import signal
import time

from executor_shim import proctree
from executor_shim.memory import MemoryGuard
from executor_shim.spawn import output_pipe, spawn, widen
from executor_shim.spec import Spec
from executor_shim.streams import StreamCapture

CHUNK = 1024 * 1024
BIG_OUTPUT = 65536      # output beyond this gets its pipe widened (spawn.widen)
POLL = 0.02             # how often a terminating tree is re-checked
UNKILLABLE_WAIT = 1.0   # how long SIGKILLed processes may take before we report them
DRAIN_IDLE = 1.0        # after the tree is gone, stop reading pipes idle for this long
EXIT_TIMEOUT, EXIT_MEMORY, EXIT_NOT_STARTED, EXIT_SHIM_IO = 124, 137, 127, 1


def seconds_text(value: float) -> str:
    """Seconds as TASKER prints them: `30`, not `30.0`."""
    return str(int(value)) if float(value).is_integer() else str(value)


def mib_text(value: int) -> str:
    """Bytes with a MiB figure, for the memory note."""
    return f"{value} bytes ({value / 1048576:.1f} MiB)"


class Announcer:
    """Hooks around the spawn (the shim writes its identity there); no-ops by default."""

    def before_spawn(self) -> None:
        """Called just before the command is started."""

    def after_spawn(self, command_pid: int | None) -> None:
        """Called once the command runs (None: it could not be started)."""


class Attempt:
    """Runs one spec to completion; `run()` returns the result.json document."""

    def __init__(self, spec: Spec, announcer: Announcer | None = None):
        self.spec = spec
        self.announcer = announcer or Announcer()
        self.me = os.getpid()
        threshold, head = spec.output_threshold, spec.head_bytes
        self.captures = {
            name: StreamCapture(os.path.join(spec.attempt_dir, name), threshold, head,
                                spec.patterns.get(name))
            for name in ("stdout", "stderr")
        }
        self.guard = MemoryGuard(spec.memory_limit, spec.memory_mode, spec.memory_interval,
                                 spec.cgroup_base)
        self.pid: int | None = None
        self.status: int | None = None
        self.phase = "running"          # running -> terminating -> killed | done
        self.reason: str | None = None  # timeout | memory | cancel | leftover | io
        self.grace_end = 0.0
        self.survivors: list[int] = []
        self.shim_error: str | None = None
        self.pending_signals: list[int] = []
        self.spawn_hwm = 0

    # ----------------------------------------------------------------- entry point
    def run(self) -> dict:
        """Spawn, supervise and summarise the attempt."""
        started_at, t0 = time.time(), time.monotonic()
        out_r, out_w = output_pipe()
        err_r, err_w = output_pipe()
        spawn_error = None
        env = self.spec.env if self.spec.env is not None else dict(os.environ)
        self.announcer.before_spawn()
        self.guard.before_spawn()
        try:
            self.pid = spawn(self.spec.argv, env, self.spec.cwd, out_w, err_w)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in a path or argument
            spawn_error = str(exc)
        finally:
            os.close(out_w)
            os.close(err_w)
            self.guard.after_spawn(self.pid)
        self.spawn_hwm = proctree.own_peak_rss()
        self.announcer.after_spawn(self.pid)
        if self.pid is not None:
            self._supervise({out_r: "stdout", err_r: "stderr"}, t0)
        else:
            os.close(out_r)
            os.close(err_r)
        return self._summary(started_at, t0, spawn_error)

    # ----------------------------------------------------------------- main loop
    def _supervise(self, pipes: dict[int, str], t0: float) -> None:
        sel = selectors.DefaultSelector()
        for fd, name in pipes.items():
            sel.register(fd, selectors.EVENT_READ, name)
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        sel.register(wake_r, selectors.EVENT_READ, "signal")
        old_wakeup = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        self._install_handlers()
        pidfd = self._open_pidfd()
        if pidfd is not None:
            sel.register(pidfd, selectors.EVENT_READ, "child")
        deadline = t0 + self.spec.timeout if self.spec.timeout else None
        next_sample = t0 + self.guard.interval
        last_data = time.monotonic()
        try:
            while pipes or self.phase in ("running", "terminating"):
                now = time.monotonic()
                if self.phase in ("done", "killed") and now - last_data > DRAIN_IDLE:
                    break
                for key, _ in sel.select(self._wait(now, deadline, next_sample, pidfd)):
                    if key.data == "child":
                        sel.unregister(pidfd)
                        os.close(pidfd)
                        pidfd = None
                        self._reap()
                    elif key.data == "signal":
                        with contextlib.suppress(OSError):
                            os.read(wake_r, 512)
                    elif self._read(key.fd, key.data):
                        last_data = time.monotonic()
                    else:
                        sel.unregister(key.fd)
                        os.close(key.fd)
                        del pipes[key.fd]
                now = time.monotonic()
                self._handle_signals()
                if self.phase == "running" and deadline is not None and now >= deadline:
                    self._terminate("timeout")
                if now >= next_sample:
                    next_sample = now + self.guard.interval
                    self._sample()
                if pidfd is None or self.phase == "terminating":
                    self._check_tree(now)
        finally:
            for fd in pipes:
                os.close(fd)
            if pidfd is not None:
                os.close(pidfd)
            signal.set_wakeup_fd(old_wakeup)
            sel.close()
            os.close(wake_r)
            os.close(wake_w)

    def _wait(self, now: float, deadline: float | None, next_sample: float,
              pidfd: int | None) -> float:
        wake = [next_sample]
        if self.phase == "running" and deadline is not None:
            wake.append(deadline)
        if self.phase == "terminating" or (pidfd is None and self.phase == "running"):
            wake.append(now + POLL)
        if self.phase in ("done", "killed"):
            wake.append(now + DRAIN_IDLE)
        return max(0.0, min(wake) - now)

    def _open_pidfd(self) -> int | None:
        try:
            return os.pidfd_open(self.pid)
        except (OSError, AttributeError):
            return None

    def _read(self, fd: int, name: str) -> bool:
        data = os.read(fd, CHUNK)
        if not data:
            return False
        total = self.captures[name].total
        if total <= BIG_OUTPUT < total + len(data):  # the stream passes BIG_OUTPUT (once)
            widen(fd)
        try:
            self.captures[name].feed(data)
        except OSError as exc:
            if self.shim_error is None:
                self.shim_error = f"cannot store {name} of the command: {exc}"
                self._kill("io")
        return True

    # ----------------------------------------------------------------- tree state
    def _reap(self) -> None:
        """Reap every exited child (orphans included); remember the command's status."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.pid:
                self.status = status

    def _tree_root(self) -> int:
        """The process whose descendants are the attempt's tree: the shim, a subreaper, so
        even what left the command's group (the launcher's warm-up narrows it)."""
        return self.me

    def _live_descendants(self) -> list[int]:
        return [p for p in proctree.descendants(self._tree_root()) if proctree.state_of(p) not in
                (None, "Z", "X")]

    def _check_tree(self, now: float) -> None:
        """After the command exits: clean up leftovers; during a grace: finish early or KILL."""
        if self.phase not in ("running", "terminating"):
            return
        self._reap()
        if self.status is None:
            if self.phase == "terminating" and now >= self.grace_end:
                self._kill(self.reason)
            return
        alive = self._live_descendants()
        if not alive:
            self.phase = "done"
        elif self.phase == "running":
            self._terminate("leftover")
        elif now >= self.grace_end:
            self._kill(self.reason)

    def _sample(self) -> None:
        if self.phase != "running":
            return
        if self.guard.sample(proctree.descendants(self._tree_root())):
            self._kill("memory")

    # ----------------------------------------------------------------- signals and kills
    def _install_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            signal.signal(signum, lambda s, _f: self.pending_signals.append(s))

    def _handle_signals(self) -> None:
        while self.pending_signals:
            signum = self.pending_signals.pop(0)
            if self.phase == "running" and signum != signal.SIGUSR1:
                self._terminate("cancel")
            elif self.phase in ("running", "terminating"):
                self.reason = self.reason if self.phase == "terminating" else "cancel"
                self._kill(self.reason)

    def _signal_tree(self, signum: int) -> None:
        if self.status is None:  # the unreaped command keeps its pid (= pgid) ours
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signum)
        for pid in proctree.descendants(self._tree_root()):
            with contextlib.suppress(OSError):
                os.kill(pid, signum)

    def _terminate(self, reason: str) -> None:
        """SIGTERM the group and every descendant, then allow `kill_grace` seconds."""
        self.reason = reason
        if self.spec.kill_grace <= 0:
            self._kill(reason)
            return
        self.phase = "terminating"
        self.grace_end = time.monotonic() + self.spec.kill_grace
        self._signal_tree(signal.SIGTERM)

    def _kill(self, reason: str | None) -> None:
        """SIGKILL the group and all descendants until none is left (or report survivors)."""
        self.reason = reason
        self.phase = "killed"
        give_up = time.monotonic() + UNKILLABLE_WAIT
        while True:
            self._signal_tree(signal.SIGKILL)
            self._reap()
            alive = self._live_descendants()
            if not alive or time.monotonic() >= give_up:
                self.survivors = alive
                return
            time.sleep(0.005)

    # ----------------------------------------------------------------- result
    def _exit_code(self, spawn_error: str | None) -> tuple[int, int | None]:
        if spawn_error is not None:
            return EXIT_NOT_STARTED, None
        status = self.status
        signum = None
        code = -signal.SIGKILL if status is None else os.waitstatus_to_exitcode(status)
        if code < 0:
            signum = -code
        forced = {"timeout": EXIT_TIMEOUT, "memory": EXIT_MEMORY, "io": EXIT_SHIM_IO}
        return forced.get(self.reason, code), signum

    def _note(self) -> str | None:
        if self.reason == "timeout":
            return f"\nProcess killed after timeout of {seconds_text(self.spec.timeout)} seconds"
        if self.reason == "memory":
            return (f"\nProcess killed: memory limit of {mib_text(self.spec.memory_limit)} "
                    f"exceeded (peak RSS {mib_text(self.guard.peak)}, "
                    f"enforced by {self.guard.exceeded_by})")
        if self.reason == "io":
            return f"\n{self.shim_error}"
        return None

    def _summary(self, started_at: float, t0: float, spawn_error: str | None) -> dict:
        # A vfork-style spawn charges our own high-water mark to the child at exec, so the
        # kernel's figure only counts when it is above what we had then.
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        self.guard.finish(children if children > self.spawn_hwm else 0)
        if self.guard.exceeded_by and self.reason is None:
            self.reason = "memory"
        for name, capture in self.captures.items():
            error = capture.flush()
            if error and self.shim_error is None:
                self.shim_error = f"cannot store {name} of the command: {error}"
                self.reason = "io"
        exit_code, signum = self._exit_code(spawn_error)
        note = self._note()
        if note:
            with contextlib.suppress(OSError):
                self.captures["stderr"].feed(note.encode())
        for capture in self.captures.values():
            capture.close()
        duration = time.monotonic() - t0
        return {
            "exit_code": exit_code, "signal": signum,
            "timed_out": self.reason == "timeout", "cancelled": self.reason == "cancel",
            "kill_reason": self.reason,
            "memory_exceeded": self.guard.exceeded_by is not None,
            "memory_mechanism": self.guard.mechanisms,
            "memory_enforced_by": self.guard.exceeded_by,
            "memory_sample_interval": self.guard.interval,
            "spawn_error": spawn_error, "shim_error": self.shim_error,
            "started_at": started_at, "ended_at": started_at + duration, "duration": duration,
            "peak_rss": self.guard.peak, "shim_peak_rss": proctree.own_peak_rss(),
            "pid": self.pid, "shim_pid": self.me,
            "stdout": self.captures["stdout"].summary(),
            "stderr": self.captures["stderr"].summary(),
            "survivors": self.survivors,
        }
