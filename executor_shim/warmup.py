"""Warming the launcher's code before it forks more spares.

CPython 3.11 counts the calls of every function (a write into its code object) and, after
the eighth, rewrites its bytecode into specialised instructions (more writes). A spare runs
its attempt's functions once each, so in a cold spare every code object it touches is written
to, and each page written to after fork is copied for that spare alone. Warm spares take
about 65 fewer page faults (592 to 527) and 1.1 ms less CPU (4.6 to 3.5 ms, `getrusage` at
their exit) on the benchmark machine. So the launcher, when it has nothing
else to do, runs a few real attempts of `true` itself; spares forked after that start with
specialised code and the caches those attempts filled (json's encoder, /proc readers...).

Running an attempt inside the launcher must leave the launcher as it was:
- the attempt's own signal handlers (TERM/INT/USR1), the shim's dispositions (CHLD default so
  the command can be reaped, PIPE and HUP ignored) and its subreaper flag are undone after
  every step, so a spare forked in between inherits the launcher's state;
- the launcher's other children are its spares: the attempt's tree checks and kills are
  limited to the command and its descendants (`_WarmAttempt`), and any spare reaped by the
  attempt's `waitpid(-1)` is one the launcher would have let the kernel reap anyway (it
  watches spares through pidfds, which stay readable);
- its directory lives under the spares directory, which the supervisor removes.
Any failure ends the warm-up quietly: it only ever saves CPU.
"""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH103, PTH106, PTH108, PTH118

from __future__ import annotations

import contextlib
import gc
import os
import signal

from executor_shim import resultfile, shim, spawn
from executor_shim.attempt import Attempt
from executor_shim.spec import Spec

WARM_ATTEMPTS = 12  # CPython specialises a function after 8 calls
PR_SET_CHILD_SUBREAPER = 36
_RESTORED = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGCHLD, signal.SIGPIPE,
             signal.SIGHUP)


def _remove_tree(directory: str) -> None:
    """Remove the warm-up directory (`shutil` would add bz2 and lzma to every spare's heap)."""
    for root, dirs, files in os.walk(directory, topdown=False):
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(root, name))
        for name in dirs:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(root, name))
    with contextlib.suppress(OSError):
        os.rmdir(directory)


def _reap_ended_children() -> None:
    """Reap the spares that ended while CHLD was at its default (the launcher otherwise
    leaves reaping them to the kernel)."""
    with contextlib.suppress(ChildProcessError):
        pid = -1
        while pid:
            pid, _status = os.waitpid(-1, os.WNOHANG)


class _WarmAttempt(Attempt):
    """An attempt whose tree is the command's own, not every descendant of the launcher."""

    def _tree_root(self) -> int:
        return self.pid


class WarmUp:
    """Warm-up attempts run one at a time in the launcher's idle moments."""

    def __init__(self, parent_dir: str | None, times: int = WARM_ATTEMPTS):
        self.left = 0
        self.done = 0
        self.directory = None
        if parent_dir is None:
            return
        try:
            self.argv = [spawn.resolve("true", dict(os.environ))]
        except OSError:
            return
        self.directory = os.path.join(parent_dir, "warm-up")
        self.left = times

    def step(self) -> None:
        """Run one warm-up attempt; after the last one, clean up and freeze the heap."""
        if self.left <= 0:
            return
        saved = {signum: signal.getsignal(signum) for signum in _RESTORED}
        try:
            if self.done == 0:
                os.makedirs(self.directory, exist_ok=True)
            spawn.prepare_pipes()
            resultfile.prepare(self.directory, shim.identity())
            spec = Spec(self.argv, os.path.join(self.directory, str(self.done)),
                        env=dict(os.environ), timeout=1.0, kill_grace=0.0)
            if shim.run_shim(spec, None, attempt_class=_WarmAttempt) != 0:
                raise OSError("warm-up attempt failed")
            self.left -= 1
            self.done += 1
        except Exception:  # the warm-up only saves CPU: it never fails anything
            self.left = 0
        finally:
            self._restore(saved)
        if self.left == 0:
            _remove_tree(self.directory)
            gc.collect()
            gc.freeze()

    @staticmethod
    def _restore(saved: dict) -> None:
        for signum, handler in saved.items():
            if handler is not None:
                signal.signal(signum, handler)
        shim.prctl(PR_SET_CHILD_SUBREAPER, 0)
        shim.forget_detach()
        resultfile.discard_prepared()
        spawn.discard_pipes()
        _reap_ended_children()
