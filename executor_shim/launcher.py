"""Pre-started launcher: keeps forked, warmed-up spare shims waiting for attempts.

`python -m executor_shim.launcher FD [SPARES [DIR]]`: FD is one end of a SOCK_SEQPACKET socketpair.
Each message is an attempt spec (JSON) with the write end of that attempt's status pipe and the
read end of its control pipe attached (SCM_RIGHTS). Spare processes, forked ahead of time, wait
on that socket; the kernel hands each message to exactly one of them. The spare that got it
reports "T<pid>" to the launcher, unties itself from the launcher and becomes that attempt's
shim (own session, subreaper), so it survives the launcher and the supervisor.

A shim whose attempt ended cleanly (result durable, nothing left running, no spilled output,
its peak RSS still small, the supervisor still reading) goes back to the pool, says "I<pid>"
and waits for the next attempt: a sequential run then costs no fork, warm-up or teardown per
task. Anything else ends the shim, as does a supervisor that is gone (EOF on the socket).

An idle spare dies with the launcher (PR_SET_PDEATHSIG=SIGKILL, cleared once it has work; while
busy the launcher's death only makes it drop the socket, so it ends after its attempt). The
launcher exits when the client's end of the socket closes, or when spares keep dying before
taking any work. The pool is topped up to SPARES processes, plus one whenever none is idle
(up to MAX_SPARES idle), so it grows to the run's concurrency. With DIR, each spare pre-writes
its shim.json and an empty result temp file there, to be linked or renamed into its attempt
directory (much cheaper than creating them on the attempt's critical path).
"""
from __future__ import annotations

import contextlib
import gc
import os
import select
import signal
import socket
import sys
from collections.abc import Callable

from executor_shim import proctree, resultfile, shim, spawn
from executor_shim.spec import spec_from_json

DEFAULT_SPARES = 2
MAX_SPARES = 64  # growth limit under bursts of attempts
MAX_BARREN_DEATHS = 10
MAX_ATTEMPTS_PER_SHIM = 1000  # a shim ends after this many attempts (bounds any slow leak)
REUSE_PEAK_GROWTH = 8 * 1024 * 1024  # a shim whose peak RSS grew more than this ends
PR_SET_PDEATHSIG = 1


def _next_attempt(sock: socket.socket,
                  relay: Callable[[str], None]) -> tuple[bytes, list[int]] | None:
    """Wait for the next attempt message (spec, status fd [, control fd]); None at EOF.
    A "G<n>" message (grow the pool to n) is relayed to the launcher."""
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 2, socket.MSG_CMSG_CLOEXEC)
        except InterruptedError:
            continue
        if msg and fds:
            return msg, fds
        for fd in fds:
            os.close(fd)
        if not msg:
            return None
        if msg[:1] == b"G" and msg[1:].isdigit():
            relay(msg.decode())


def _rearm(launcher: int) -> bool:
    """Die with the launcher again (idle); False when it is already gone."""
    shim.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return os.getppid() == launcher


def _spare(sock: socket.socket, launcher: int, notify: int, prepare_dir: str | None) -> int:
    """An idle spare: take an attempt, run it as its shim, and when it ended cleanly go back
    to the pool for the next one (no fork, no warm-up, no teardown per attempt)."""
    if not _rearm(launcher):
        return 0
    shim.detach()
    shim.warm_up()
    peak_limit = proctree.own_peak_rss() + REUSE_PEAK_GROWTH
    home = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    me, identity = os.getpid(), shim.identity()

    def relay(line: str) -> None:
        with contextlib.suppress(OSError):
            os.write(notify, f"{line}\n".encode())

    def tell(kind: str) -> None:
        relay(f"{kind}{me}")

    def orphaned(_signum: int, _frame: object) -> None:
        sock.close()  # the launcher died while we were busy: end after this attempt

    signal.signal(signal.SIGUSR2, orphaned)
    try:
        for _served in range(MAX_ATTEMPTS_PER_SHIM):
            spawn.prepare_pipes()
            if prepare_dir:
                with contextlib.suppress(OSError):
                    resultfile.prepare(prepare_dir, identity)
            message = _next_attempt(sock, relay)
            if message is None:
                return 0
            msg, fds = message
            shim.prctl(PR_SET_PDEATHSIG, signal.SIGUSR2)
            if os.getppid() != launcher:
                sock.close()
            control = fds[1] if len(fds) > 1 else None
            code, reusable = shim.serve(spec_from_json(msg), fds[0], lambda: tell("T"), control)
            for extra in fds[2:]:
                os.close(extra)
            if not reusable or proctree.own_peak_rss() > peak_limit or sock.fileno() < 0 \
                    or not _rearm(launcher):
                return code
            with contextlib.suppress(OSError):
                os.fchdir(home)  # the attempt's cwd was entered for its spawn
            tell("I")
        return 0
    finally:
        resultfile.discard_prepared()


class _Spares:
    """The launcher's bookkeeping: idle and busy spares by pidfd, forks and replacements."""

    def __init__(self, sock: socket.socket, count: int, prepare_dir: str | None = None):
        self.sock = sock
        self.count = count
        self.prepare_dir = prepare_dir
        self.notify_r, self.notify_w = os.pipe()
        self.poller = select.poll()
        self.poller.register(self.notify_r, select.POLLIN)
        self.poller.register(sock.fileno(), select.POLLRDHUP)
        self.idle: dict[int, int] = {}  # pidfd -> pid
        self.busy: dict[int, int] = {}  # pidfd -> pid: running an attempt
        self.barren_deaths = 0
        self.partial = b""  # a notice cut by the pipe read

    def fork(self) -> None:
        """Start one spare (if fork fails, clients fall back to a direct start)."""
        launcher = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            return
        if pid == 0:
            code = 1
            try:
                code = _spare(self.sock, launcher, self.notify_w, self.prepare_dir)
            except BaseException:  # a forked child must never return into the launcher loop
                code = 1
            finally:
                os._exit(code)
        with contextlib.suppress(OSError):
            pidfd = os.pidfd_open(pid)
            self.idle[pidfd] = pid
            self.poller.register(pidfd, select.POLLIN)

    def _move(self, pid: int, source: dict[int, int], target: dict[int, int]) -> None:
        for pidfd, known in list(source.items()):
            if known == pid:
                target[pidfd] = source.pop(pidfd)

    def _drop(self, pidfd: int) -> None:
        self.poller.unregister(pidfd)
        os.close(pidfd)
        self.idle.pop(pidfd, None)
        self.busy.pop(pidfd, None)

    def serve(self) -> None:
        """Keep `count` spares idle until the client hangs up."""
        for _ in range(self.count):
            self.fork()
        while self.barren_deaths < MAX_BARREN_DEATHS:
            events = self.poller.poll()
            if any(fd == self.sock.fileno() for fd, _event in events):
                return  # the client hung up: idle spares end too (EOF), replace none of them
            for fd, _event in events:
                if fd == self.notify_r:
                    self._on_notice(os.read(self.notify_r, 65536))
                elif fd in self.busy:  # a shim that ended after its attempt
                    self._drop(fd)
                    self._top_up()
                elif fd in self.idle:  # an idle spare died without taking work
                    self._drop(fd)
                    self.barren_deaths += 1
                    self.fork()

    def _on_notice(self, data: bytes) -> None:
        """T<pid>: a spare took work; I<pid>: a shim is idle again after its attempt;
        G<n>: the client wants a pool of n (relayed by a spare).

        Shims come back after clean attempts, so the pool is only topped up to `count`
        processes (idle or busy), with one more whenever none is left idle: a burst of
        attempts (a parallel block) then waits on one fork at a time at worst. Busy shims
        are never capped: concurrency is the client's to decide."""
        data, self.partial = (self.partial + data).rpartition(b"\n")[::2]
        for line in data.split():
            kind, number = line[:1], int(line[1:])
            if kind == b"G":
                self.count = max(self.count, min(number, MAX_SPARES))
                self._top_up()
                continue
            pid = number
            if kind == b"I":
                self._move(pid, self.busy, self.idle)
                continue
            self._move(pid, self.idle, self.busy)
            self.barren_deaths = 0
            self._top_up()

    def _top_up(self) -> None:
        missing = self.count - len(self.idle) - len(self.busy)
        if not self.idle:
            missing = max(missing, 1)
        for _ in range(min(missing, MAX_SPARES - len(self.idle))):
            self.fork()


def main(argv: list[str]) -> None:
    """Entry point: serve on the inherited socket descriptor; ends the process."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.setsid()
    count = int(argv[1]) if len(argv) > 1 else DEFAULT_SPARES
    shim.load_libc()
    gc.freeze()  # the imported heap stays shared (untouched by GC) in every forked spare
    prepare_dir = argv[2] if len(argv) > 2 else None
    _Spares(socket.socket(fileno=int(argv[0])), max(1, count), prepare_dir).serve()
    sys.stderr.flush()
    os._exit(0)  # nothing left to tear down: the client is waiting for this exit


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
