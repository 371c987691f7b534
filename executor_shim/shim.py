"""The shim process body: detach, announce identity, run the attempt, write result.json.

Status pipe protocol (write end held by the shim, read end by the supervisor's client):
    "ID <shim pid> <start ticks> <boot id> <command pid or 0>\\n"   once the command started
    "RES <json>\\n"  the whole result, sent before result.json is durable (when it fits)
    "OK\\n"                                                        result.json is durable
    "ERR <json>\\n"   result.json could not be written; <json> is a result without the texts
EOF closes the pipe when the shim is done (or died). The shim ignores EPIPE on this pipe:
a dead supervisor never stops it from finishing its attempt.

Result first, durability second: once the command has ended, the shim writes result.json's
bytes to its temp file (so a full disk still fails before anything is reported), sends the
result as a RES line, and only then pays for the fsyncs (temp file, rename, directory) and
sends OK. The supervisor assesses, journals attempt_finished (not synced) and routes while the
shim syncs; before its next write-ahead fsync (the next intent, an in-doubt choice or
run_finished) it waits for this attempt's OK. So the order on disk stays: result.json durable,
then the finished record durable, then the next command spawned. Adoption after a supervisor
crash is unchanged: the shim always finishes writing result.json. RES is sent only when it fits
in the pipe's free space at once (a non-blocking write): the shim never waits for a slow
supervisor; a bigger result is reported by result.json and OK alone, as before.

An attempt without any output is the exception: its finished record holds all of it, so the
supervisor does not wait for OK. Its shim holds the fsyncs back until the supervisor closes
the status pipe (after the journal's next fdatasync), or RELEASE_WAIT seconds at most, so
the two never compete for the disk. A supervisor that dies closes the pipe too: the shim then
commits at once, and result.json is durable for whoever adopts the attempt.
"""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH118

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import select
import signal
import struct
import termios
from collections.abc import Callable

from executor_shim import proctree, resultfile
from executor_shim.attempt import Announcer, Attempt
from executor_shim.spec import Spec

PR_SET_CHILD_SUBREAPER = 36
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
_BOOT_ID = proctree.read_boot_id()


_LIBC = None
_DETACHED = False


def load_libc() -> None:
    """Bind prctl(2) now (a launcher does this once, so its forked spares need not)."""
    global _LIBC
    if _LIBC is None:
        with contextlib.suppress(OSError, AttributeError):
            _LIBC = ctypes.CDLL(None, use_errno=True).prctl


def prctl(option: int, value: int) -> bool:
    """prctl(2) through ctypes (no other stdlib route); False when unavailable."""
    load_libc()
    return _LIBC is not None and _LIBC(option, value, 0, 0, 0) == 0


def become_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process (so we can find and reap them)."""
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def detach() -> None:
    """Own session, subreaper, default dispositions for what a launcher may have ignored."""
    global _DETACHED
    if _DETACHED:
        return
    with contextlib.suppress(OSError):
        os.setsid()
    become_subreaper()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _DETACHED = True


def forget_detach() -> None:
    """Let `detach` run again (the launcher undoes a warm-up attempt's detach)."""
    global _DETACHED
    _DETACHED = False


def _send(status_fd: int | None, line: str) -> None:
    if status_fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(status_fd, line.encode())


def identity() -> dict:
    """This process's identity as shim.json records it."""
    me = os.getpid()
    return {"pid": me, "start_ticks": proctree.start_ticks(me) or 0, "boot_id": _BOOT_ID}


class _Announcer(Announcer):
    """Writes shim.json before the command starts, then the ID line."""

    def __init__(self, spec: Spec, status_fd: int | None,
                 on_started: Callable[[], None] | None = None):
        self.spec = spec
        self.status_fd = status_fd
        self.on_started = on_started
        self.identity = identity()
        self.me, self.ticks = self.identity["pid"], self.identity["start_ticks"]

    def before_spawn(self) -> None:
        """shim.json first: whoever can know of the command can also adopt its shim."""
        with contextlib.suppress(OSError):
            resultfile.place(self.spec.attempt_dir, self.identity)

    def after_spawn(self, command_pid: int | None) -> None:
        """Tell the supervisor who we are (the ID line)."""
        _send(self.status_fd,
              f"ID {self.me} {self.ticks} {_BOOT_ID or '-'} {command_pid or 0}\n")
        if self.on_started is not None:
            self.on_started()


def _crash_result(error: str) -> dict:
    return {"exit_code": 1, "shim_error": error}


def run_shim(spec: Spec, status_fd: int | None = None,
             on_started: Callable[[], None] | None = None,
             attempt_class: type[Attempt] = Attempt) -> int:
    """Detach, run one attempt and write its result; returns the shim's own exit status.

    `on_started` runs once the command is running and announced (a spare tells its launcher
    then, so the replacement fork does not compete with this attempt's start). The launcher's
    warm-up passes its own `attempt_class` (see `executor_shim.warmup`).
    """
    detach()
    try:
        result = attempt_class(spec, _Announcer(spec, status_fd, on_started)).run()
    except Exception:
        import traceback  # only on this path: it would weigh on every forked shim

        with contextlib.suppress(OSError):  # failed before its directory was in place
            resultfile.place(spec.attempt_dir, identity())
        with contextlib.suppress(OSError), open(os.path.join(spec.attempt_dir, "shim.err"),
                                                "a") as fh:
            fh.write(traceback.format_exc())
        result = _crash_result("executor shim failed: " + traceback.format_exc(limit=1))
    try:
        staged = resultfile.stage_result(spec.attempt_dir, result)
        if _report_early(status_fd, result) and not _has_output(result):
            _await_release(status_fd)
        resultfile.commit_result(spec.attempt_dir, staged)
    except OSError as exc:
        brief = {k: v for k, v in result.items() if k not in ("stdout", "stderr")}
        first = f"{result['shim_error']}; " if result.get("shim_error") else ""
        brief["shim_error"] = f"{first}cannot write result.json: {exc}"
        _finish(status_fd, "ERR " + json.dumps(brief) + "\n")
        return 1
    _finish(status_fd, "OK\n")
    return 0


PIPE_SLACK = 8192  # pipe capacity is counted in pages: leave room for a partly used one
RELEASE_WAIT = 2.0  # longest wait for the supervisor to let go of an output-less result


def _has_output(result: dict) -> bool:
    """Same rule as `tasker.shim_protocol.AttemptResult.has_output`."""
    streams = (result.get("stdout") or {}, result.get("stderr") or {})  # none after a crash
    return any(stream.get("bytes") for stream in streams)


def _await_release(status_fd: int | None) -> None:
    """Wait until the supervisor closes its end of the status pipe (POLLERR on ours), at
    most RELEASE_WAIT seconds."""
    if status_fd is None:
        return
    poller = select.poll()
    poller.register(status_fd, select.POLLERR)
    with contextlib.suppress(OSError):
        poller.poll(RELEASE_WAIT * 1000)  # a signal's EINTR is retried with the time left


def _report_early(status_fd: int | None, result: dict) -> bool:
    """Send the RES line if the status pipe can take all of it now; False otherwise."""
    if status_fd is None:
        return False
    line = ("RES " + json.dumps(result, ensure_ascii=False) + "\n").encode()
    try:
        capacity = fcntl.fcntl(status_fd, F_GETPIPE_SZ)
        queued = struct.unpack("i", fcntl.ioctl(status_fd, termios.FIONREAD, b"\0" * 4))[0]
        if len(line) > capacity - queued - PIPE_SLACK:
            return False
        os.set_blocking(status_fd, False)
        try:
            sent = os.write(status_fd, line)
        finally:
            os.set_blocking(status_fd, True)
        while sent < len(line):  # cannot happen with the room checked above; never tear a line
            sent += os.write(status_fd, line[sent:])
    except OSError:
        return False
    return True


def _finish(status_fd: int | None, line: str) -> None:
    """Send the last status line and close the pipe now (EOF = done), not at exit."""
    _send(status_fd, line)
    if status_fd is not None:
        with contextlib.suppress(OSError):
            os.close(status_fd)
