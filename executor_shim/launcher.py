"""Pre-started launcher: keeps forked spare shims waiting for attempts.

`python -m executor_shim.launcher FD [SPARES [DIR]]`: FD is one end of a SOCK_SEQPACKET socketpair.
Each message is an attempt spec (JSON) with the write end of that attempt's status pipe
attached (SCM_RIGHTS). Spare processes, forked ahead of time, wait on that socket; the kernel
hands each message to exactly one of them. The spare that got it reports "T<pid>" to the
launcher (which forks a replacement), unties itself from the launcher and becomes that
attempt's shim (own session, subreaper), so it survives the launcher and the supervisor.
An idle spare dies with the launcher (PR_SET_PDEATHSIG, cleared once it has work), so a dead
launcher shows as a closed socket to the client. The launcher exits when the client's end of
the socket closes, or when spares keep dying before taking any work. When a spare takes work
and no other spare is idle, the launcher forks one more (up to MAX_SPARES), so the pool grows
to the run's concurrency. With DIR, each spare prepares an attempt directory there
(shim.json and an empty result temp file in it), renamed into place when it gets an attempt
(much cheaper than creating them on the critical path), and the launcher warms its own code
with a few attempts of `true` there while it is idle (executor_shim.warmup). A message "G<k>:<n>"
without descriptors asks for a pool of n spares (a launcher started before the client knew
the run's concurrency, or a parallel block starting); the spare that gets one passes it on.
"S<k>:<n>", a line before an attempt's spec, says that at most n more attempts are coming
(the last wave of a block); the spare that takes the attempt reports it with its "T<pid>".
Spares report in the order their commands start, and relay G when they get to it, not in
the order the hints were given, so G and S hints share one numbering (k) and one older than
the last applied is ignored.
"""

from __future__ import annotations

import array
import contextlib
import gc
import os
import select
import signal
import socket
import sys

from executor_shim import memory, resultfile, shim, spawn
from executor_shim.spec import spec_from_json
from executor_shim.warmup import WarmUp

DEFAULT_SPARES = 2
MAX_SPARES = 64  # growth limit under bursts of attempts
MAX_BARREN_DEATHS = 10
PR_SET_PDEATHSIG = 1


def _spare(sock: socket.socket, launcher: int, notify: int, prepare_dir: str | None) -> int:
    shim.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != launcher:
        return 0
    shim.detach()
    spawn.prepare_pipes()
    if prepare_dir:
        with contextlib.suppress(OSError):
            resultfile.prepare(prepare_dir, shim.identity())
    while True:
        try:
            msg, fds = _recv_fds(sock)
        except InterruptedError:
            continue
        if msg and fds:
            break
        for fd in fds:
            os.close(fd)
        if not msg:
            resultfile.discard_prepared()
            return 0
        if msg[:1] == b"G" and msg[1:].replace(b":", b"", 1).isdigit():  # pool size wanted
            with contextlib.suppress(OSError):
                os.write(notify, msg + b"\n")
    shim.prctl(PR_SET_PDEATHSIG, 0)
    sock.close()
    hint = b""
    if msg[:1] == b"S":  # "S<k>:<n>" rode along with the spec: report it with the take-over
        hint, _, msg = msg.partition(b"\n")
        hint += b"\n"

    def taken() -> None:
        with contextlib.suppress(OSError):
            os.write(notify, hint + f"T{os.getpid()}\n".encode())
            os.close(notify)

    return shim.run_shim(spec_from_json(msg), fds[0], on_started=taken)


def _recv_fds(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One message and the descriptors attached to it, received close-on-exec.

    Not `socket.recv_fds`: CPython 3.11 accepts its `flags` but never passes them to
    recvmsg, so MSG_CMSG_CLOEXEC was dropped and the status pipe's write end reached every
    command (which could then write a result of its own, or keep the pipe open after its
    shim died so that the supervisor never saw the end).
    """
    size = array.array("i").itemsize
    msg, ancdata, _flags, _addr = sock.recvmsg(1 << 20, socket.CMSG_LEN(size),
                                               socket.MSG_CMSG_CLOEXEC)
    fds = array.array("i")
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % size])
    return msg, list(fds)


def _readable(fd: int) -> bool:
    """True when `fd` polls readable now (a pidfd: its process has ended)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Spares:
    """The launcher's bookkeeping: idle spares by pidfd, forks and replacements."""

    def __init__(self, sock: socket.socket, count: int, prepare_dir: str | None = None):
        self.sock = sock
        self.count = count
        self.prepare_dir = prepare_dir
        self.notify_r, self.notify_w = os.pipe()
        os.set_blocking(self.notify_r, False)  # drained to the last notice (_read_notices)
        self.poller = select.poll()
        self.poller.register(self.notify_r, select.POLLIN)
        self.poller.register(sock.fileno(), select.POLLRDHUP)
        self.idle: dict[int, int] = {}  # pidfd -> pid
        self.barren_deaths = 0
        self.partial = b""  # a notice cut by the pipe read
        self.last_hint = 0  # number of the last G or S hint applied
        self.warm_up = WarmUp(prepare_dir)

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

    def _forget(self, pid: int) -> None:
        for pidfd, known in list(self.idle.items()):
            if known == pid:
                self.poller.unregister(pidfd)
                os.close(pidfd)
                del self.idle[pidfd]

    def serve(self) -> None:
        """Keep `count` spares idle until the client hangs up."""
        for _ in range(self.count):
            self.fork()
        while self.barren_deaths < MAX_BARREN_DEATHS:
            events = self.poller.poll(0 if self.warm_up.left else None)
            if not events:  # nothing to do: one warm-up attempt (see executor_shim.warmup)
                self.warm_up.step()
                continue
            if not self._handle({fd for fd, _event in events}):
                return

    def _handle(self, ready: set[int]) -> bool:
        """Act on the descriptors that polled ready; False when the client hung up (idle
        spares end too, on EOF: replace none of them)."""
        if self.sock.fileno() in ready:
            return False
        if self.notify_r in ready:  # first: a spare that took work and ended is not barren
            self._read_notices()
        for fd in ready - {self.notify_r}:
            if fd in self.idle and _readable(fd):  # an idle spare died without taking work
                self._forget(self.idle[fd])
                self.barren_deaths += 1
                self.fork()
        return True

    def _read_notices(self) -> None:
        """Apply every notice waiting in the pipe.

        All of them before any pidfd that polled readable is read as a barren death: a spare
        writes its T<pid> before its command ends, so one that has taken work and ended has its
        notice in the pipe by then (a launcher busy with a warm-up step, or descheduled, may
        see both at once; reading the death first forked two replacements for one spare).
        """
        while True:
            try:
                data = os.read(self.notify_r, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            self._on_notice(data)

    def _apply_hint(self, kind: bytes, wanted: int) -> None:
        if kind == b"S":
            self.count = wanted
            return
        for _ in range(wanted - len(self.idle)):
            self.fork()
        self.count = max(self.count, wanted)

    def _on_notice(self, data: bytes) -> None:
        """T<pid>: replace the spare that took work while fewer than `count` are idle, and
        grow the pool when none was left idle (a burst of attempts, e.g. a parallel block,
        would otherwise wait on one fork at a time). G<k>:<n>, relayed by the spare that got it:
        the client wants n idle spares now. S<k>:<n>, reported just before the T<pid> of the
        attempt it came with: no more than n will be needed (the end of a parallel block:
        spares forked for nothing cost CPU the running attempts need)."""
        data, self.partial = (self.partial + data).rpartition(b"\n")[::2]
        for line in data.split():
            kind = line[:1]
            if kind in (b"G", b"S"):
                number, _, value = line[1:].partition(b":")
                if int(number) > self.last_hint:  # else an older hint reported late: stale
                    self.last_hint = int(number)
                    self._apply_hint(kind, min(int(value), MAX_SPARES))
                continue
            self._forget(int(line[1:]))
            self.barren_deaths = 0
            if not self.idle and self.count < MAX_SPARES:
                self.count += 1
                self.fork()
            if len(self.idle) < self.count:
                self.fork()


def main(argv: list[str]) -> None:
    """Entry point: serve on the inherited socket descriptor; ends the process."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.setsid()
    count = int(argv[1]) if len(argv) > 1 else DEFAULT_SPARES
    shim.load_libc()
    memory.own_cgroup_dir()  # looked up once here: every spare inherits the answer
    gc.freeze()  # the imported heap stays shared (untouched by GC) in every forked spare
    prepare_dir = argv[2] if len(argv) > 2 else None
    sock = socket.socket(fileno=int(argv[0]))
    sock.set_inheritable(False)  # passed to us inheritable; no command may hold it
    _Spares(sock, max(1, count), prepare_dir).serve()
    sys.stderr.flush()
    os._exit(0)  # nothing left to tear down: the client is waiting for this exit


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
