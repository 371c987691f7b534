"""Supervisor side of the executor shim: spawn (through a pre-started launcher), wait, cancel,
adopt an attempt left by a crashed supervisor, and verify a shim's identity before signalling.

    client = ShimClient(run_dir)             # starts `executor_shim.launcher` in the background
    handle = client.start(spec)              # hands the spec to the launcher's next spare
    selectors/select on handle.fileno()      # readable (EOF) when the shim has finished
    result = handle.wait()                   # reads result.json -> AttemptResult
    handle.cancel(skip_grace=False)          # SIGTERM (grace) or SIGUSR1 (no grace) to the shim

If the launcher is gone the client restarts it once, then falls back to starting
`python -m executor_shim` directly; either way each attempt has its own shim process in its
own session, which outlives the supervisor and the launcher. The launcher itself (and the one
a CLI run starts early) is `tasker.shim_launcher`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from executor_shim import proctree
from tasker.errors import TaskerError
from tasker.shim_launcher import IDLE_SPARES, Launcher, shim_command, take_prestarted
from tasker.shim_protocol import AttemptResult, AttemptSpec, StreamResult

START_TIMEOUT = 30.0
STATUS_KEEP = 1 << 20  # status bytes kept (a RES line is below the pipe's 64 KiB)


class ShimStartError(TaskerError):
    """The executor shim could not be started at all (not the command: the shim itself)."""


def current_boot_id() -> str:
    """This machine's boot id."""
    return proctree.read_boot_id()


def process_matches(pid: int, start_ticks: int, boot_id: str) -> bool:
    """True when `pid` is still the very process identified by start time and boot id, and
    has not ended: a zombie keeps its pid and start time until it is reaped (a dead shim whose
    parent is an init that does not reap promptly, as in many containers), yet it will never
    write a result."""
    if boot_id not in ("", current_boot_id()):
        return False
    fields = proctree.stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X") and int(fields[19]) == start_ticks


def text_stream(text: str) -> StreamResult:
    """A small in-memory StreamResult holding `text`."""
    data = text.encode()
    return StreamResult(bytes=len(data), lines=text.count("\n") + (0 if text.endswith("\n")
                        else 1) if text else 0, sha256=hashlib.sha256(data).hexdigest(),
                        text=text, spilled=False, file=None, head=text, matches={})


SHIM_GONE = "executor shim exited without writing result.json"
LEFTOVER_WAIT = 1.0  # how long processes forking while they are killed are chased


def failed_result(error: str) -> AttemptResult:
    """A result for an attempt whose shim ended without a usable result.json."""
    return AttemptResult(exit_code=1, shim_error=error, stderr=text_stream(error))


def load_result(attempt_dir: Path, status: bytes = b"") -> AttemptResult:
    """The attempt's result: result.json, else the shim's ERR status line, else a failure."""
    path = attempt_dir / "result.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = None
    if raw is not None:
        try:
            return AttemptResult.model_validate_json(raw)
        except ValueError:
            with contextlib.suppress(ValueError, AttributeError):
                return failed_result(str(json.loads(raw).get("shim_error")))
            return failed_result(f"unreadable result file {path}")
    for line in status.decode(errors="replace").splitlines():
        if line.startswith("ERR "):
            with contextlib.suppress(ValueError):  # streams were lost with result.json
                brief = AttemptResult.model_validate_json(line[4:])
                error = brief.shim_error or "executor shim failed"
                return brief.model_copy(update={"exit_code": 1, "shim_error": error,
                                                "stderr": text_stream(error)})
    err = attempt_dir / "shim.err"
    detail = err.read_text(errors="replace").strip() if err.exists() else ""
    return failed_result(SHIM_GONE + (f": {detail.splitlines()[-1]}" if detail else ""))


def stop_leftovers(shim_pid: int, shim_start_ticks: int) -> list[int]:
    """SIGKILL what a shim that died without a result left running: its command, and
    anything that command started, even outside the command's process group. Nothing times
    them out any more, and a cancel (or a rerun after a crash) would not know of them.

    The shim is a session leader, so they are the processes of its session (the session id
    is the shim's pid) that started after it. When a live process has taken the shim's pid
    since, the session could be that process's: nothing is killed. Returns the pids killed.
    The shim may still be exiting (its descriptors close before it is a zombie): it is
    waited for, briefly.
    """
    deadline = time.monotonic() + LEFTOVER_WAIT
    while True:  # the status pipe closes before an exiting shim has become a zombie
        holder = proctree.stat_fields(shim_pid)
        if holder is None or holder[0] in ("Z", "X"):  # gone, or the dead shim itself
            break
        if int(holder[19]) != shim_start_ticks or time.monotonic() >= deadline:
            return []  # the pid is another process's now (or the shim lives on)
        time.sleep(0.005)
    killed: list[int] = []
    while True:
        found = proctree.session_members(shim_pid, not_before_ticks=shim_start_ticks)
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                if pid not in killed:
                    killed.append(pid)
        if not found or time.monotonic() >= deadline:
            return killed
        time.sleep(0.01)


class AttemptHandle:
    """A running (or finished) attempt: identity of its shim, completion fd, wait and cancel."""

    def __init__(self, attempt_dir: Path, identity: dict, fd: int, *, status: bytes = b"",
                 popen: subprocess.Popen | None = None, pidfd_mode: bool = False):
        self.attempt_dir = attempt_dir
        self.pid: int = identity["pid"]
        self.start_ticks: int = identity["start_ticks"]
        self.start_time: float = self.start_ticks / proctree.CLK_TCK
        self.boot_id: str = identity["boot_id"]
        self.command_pid: int | None = identity.get("command_pid") or None
        self._fd: int | None = fd
        self._status = status
        self._popen = popen
        self._pidfd_mode = pidfd_mode
        self._result: AttemptResult | None = None
        self._eof = False
        self._take_reported()

    def fileno(self) -> int:
        """A descriptor that becomes readable when the shim has finished (for selectors)."""
        if self._fd is None:
            raise ValueError("attempt handle already closed")
        return self._fd

    def wait(self, timeout: float | None = None) -> AttemptResult | None:
        """The result once the shim has finished and result.json is durable (a result
        without output: once reported, see `executor_shim.shim`); None if `timeout` seconds
        pass first."""
        if self._result is not None and self._fd is None:
            return self._result
        if not self._read_until(self._released, timeout):
            return None
        if self._released():
            self.close()
        elif self._result is None or self._durable_error() is not None:
            self._result = None
            self._finish()
        return self._result

    def _released(self) -> bool:
        """A reported result without output: the shim commits it once we let go."""
        return self._result is not None and not self._result.has_output

    def wait_reported(self) -> AttemptResult:
        """The result as soon as the shim reports it (RES line), possibly before result.json
        is durable; call `wait_durable` before relying on result.json (the descriptor stays
        open until then)."""
        self._read_until(lambda: self._result is not None, None)
        if self._result is None:
            self._finish()
        return self._result

    def wait_durable(self) -> str | None:
        """Wait until the shim has made result.json durable and close the descriptor;
        the shim's error text when it could not (the reported result stands). A result
        without output is not waited for: the shim commits it once the descriptor closes."""
        self._read_until(self._released, None)
        error = None if self._released() else self._durable_error()
        self.close()
        return error

    def _read_until(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """Read status lines until `done()` or EOF (True), or `timeout` (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._fd is not None and not self._eof and not done():
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                return False
            data = b"" if self._pidfd_mode else os.read(self._fd, 65536)
            if not data:
                self._eof = True
                if self._popen is not None:
                    self._popen.wait()
                break
            self._status = (self._status + data)[-STATUS_KEEP:]
            self._take_reported()
        return True

    def _take_reported(self) -> None:
        if self._result is not None:
            return
        start = 0 if self._status.startswith(b"RES ") else self._status.find(b"\nRES ") + 1
        if start == 0 and not self._status.startswith(b"RES "):
            return
        end = self._status.find(b"\n", start)
        if end >= 0:
            with contextlib.suppress(ValueError):
                self._result = AttemptResult.model_validate_json(self._status[start + 4:end])
            self._status = self._status[:start] + self._status[end + 1:]

    def _durable_error(self) -> str | None:
        """None when the shim said OK (or the handle never expected it); else what went wrong."""
        if self._pidfd_mode or b"OK\n" in self._status:
            return None
        for line in self._status.decode(errors="replace").splitlines():
            if line.startswith("ERR "):  # a result without its texts: its error is the reason
                with contextlib.suppress(ValueError, AttributeError):
                    return str(json.loads(line[4:]).get("shim_error") or line[4:])
                return line[4:]
        return "executor shim exited before result.json was durable"

    def _finish(self) -> None:
        self.close()
        if self._popen is not None:
            self._popen.wait()
        self._result = load_result(self.attempt_dir, self._status)
        if self._result.shim_error and self._result.shim_error.startswith(SHIM_GONE):
            stop_leftovers(self.pid, self.start_ticks)

    def is_alive(self) -> bool:
        """True while the shim process (same pid, start time, boot) is still running."""
        return self._result is None and process_matches(self.pid, self.start_ticks,
                                                        self.boot_id)

    def cancel(self, skip_grace: bool = False) -> None:
        """Ask the shim to stop its command: TERM -> grace -> KILL, or KILL at once."""
        if self._result is not None:
            return
        signum = signal.SIGUSR1 if skip_grace else signal.SIGTERM
        try:
            pidfd = os.pidfd_open(self.pid)
        except OSError:
            return
        # identity checked after opening the pidfd, so the signal cannot hit a new pid
        try:
            with contextlib.suppress(OSError):
                if process_matches(self.pid, self.start_ticks, self.boot_id):
                    signal.pidfd_send_signal(pidfd, signum)
        finally:
            os.close(pidfd)

    def close(self) -> None:
        """Release the completion descriptor (the shim keeps running). A directly started
        shim whose result is in is reaped too: once let go it only commits and exits."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._popen is not None and self._result is not None:
            self._popen.wait()


def _read_identity(fd: int, timeout: float) -> tuple[dict | None, bytes]:
    """Read the shim's `ID ...` line; (None, bytes) on EOF or timeout before it."""
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        data = os.read(fd, 4096) if ready else b""
        if not data:
            return None, buf
        buf += data
    line, _, rest = buf.partition(b"\n")
    parts = line.decode().split()
    if len(parts) != 5 or parts[0] != "ID":
        return None, buf
    identity = {"pid": int(parts[1]), "start_ticks": int(parts[2]),
                "boot_id": "" if parts[3] == "-" else parts[3], "command_pid": int(parts[4])}
    return identity, rest


def read_identity_file(path: Path, attempts: int = 3) -> dict | None:
    """shim.json as a dict, retrying briefly when it is caught half-written."""
    for attempt in range(attempts):
        try:
            identity = json.loads(path.read_text())
            return {"pid": int(identity["pid"]), "start_ticks": int(identity["start_ticks"]),
                    "boot_id": str(identity["boot_id"])}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            if attempt + 1 < attempts:
                time.sleep(0.01)
    return None


class ShimClient:
    """Starts one shim per attempt (via a pre-started launcher) and adopts orphaned attempts."""

    def __init__(self, run_dir: Path, use_launcher: bool = True, spares: int = IDLE_SPARES,
                 prestarted: bool = False):
        self.run_dir = Path(run_dir)
        self._spares = spares
        self._lock = threading.Lock()
        self._launcher: Launcher | None = None
        self._use_launcher = use_launcher
        if use_launcher:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._launcher = (take_prestarted() if prestarted else None) or self._new_launcher()

    def __enter__(self) -> ShimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _new_launcher(self) -> Launcher | None:
        try:
            return Launcher(self.run_dir.absolute() / "spares", self._spares,
                            self.run_dir / "launcher.log")
        except OSError:
            return None

    def _close_launcher(self, launcher: Launcher) -> None:
        launcher.close(keep_log=self.run_dir / "launcher.log")

    def pool_grow(self, spares: int) -> None:
        """A burst of `spares` concurrent attempts is coming (a parallel block starts)."""
        if self._launcher is not None:
            self._launcher.grow(spares)

    def pool_expect(self, attempts: int) -> None:
        """At most `attempts` more attempts are coming soon (a parallel block's last wave)."""
        if self._launcher is not None:
            self._launcher.expect(attempts)

    def pool_settle(self) -> None:
        """Back to the ordinary pool (a parallel block has ended)."""
        self.pool_expect(IDLE_SPARES)

    def start(self, spec: AttemptSpec) -> AttemptHandle:
        """Start the attempt's shim. Through the launcher, the spec goes over its socket and
        the shim puts the attempt directory in place (renaming one it prepared while idle);
        a direct start creates the directory here and writes spec.json, where its shim
        reads it."""
        attempt_dir = Path(spec.attempt_dir).absolute()
        if spec.cwd is None or not Path(spec.attempt_dir).is_absolute():
            spec = spec.model_copy(update={"cwd": spec.cwd or str(Path.cwd()),
                                           "attempt_dir": str(attempt_dir)})
        payload = spec.model_dump_json().encode()
        if self._use_launcher:
            handle = self._start_via_launcher(attempt_dir, payload)
            if handle is not None:
                return handle
        attempt_dir.mkdir(parents=True, exist_ok=True)
        spec_path = attempt_dir / "spec.json"
        spec_path.write_bytes(payload)
        return self._start_direct(attempt_dir, spec_path)

    def _start_via_launcher(self, attempt_dir: Path, payload: bytes) -> AttemptHandle | None:
        """Start through the launcher, restarting a dead one once; None: use a direct start."""
        for _ in range(2):
            launcher = self._live_launcher()
            if launcher is None:
                return None
            handle = self._submit(launcher, attempt_dir, payload)
            if handle is not None:
                return handle
            if (attempt_dir / "shim.json").exists():
                return self._adopt_started(attempt_dir)
            self._discard(launcher)
        return None

    def _live_launcher(self) -> Launcher | None:
        with self._lock:
            if self._launcher is not None and self._launcher.proc.poll() is not None:
                self._close_launcher(self._launcher)
                self._launcher = None
            if self._launcher is None:
                self._launcher = self._new_launcher()
            return self._launcher

    def _discard(self, launcher: Launcher) -> None:
        with self._lock:
            if self._launcher is launcher:
                self._close_launcher(launcher)
                self._launcher = None

    @staticmethod
    def _submit(launcher: Launcher, attempt_dir: Path, payload: bytes) -> AttemptHandle | None:
        read_end, write_end = os.pipe()
        try:
            sent = launcher.submit(payload, write_end)
        finally:
            os.close(write_end)
        identity, rest = _read_identity(read_end, START_TIMEOUT) if sent else (None, b"")
        if identity is None:
            os.close(read_end)
            return None
        return AttemptHandle(attempt_dir, identity, read_end, status=rest)

    def _adopt_started(self, attempt_dir: Path) -> AttemptHandle:
        found = self.adopt(attempt_dir)
        if isinstance(found, AttemptHandle):
            return found
        raise ShimStartError(f"executor shim for {attempt_dir} stopped before reporting")

    def _start_direct(self, attempt_dir: Path, spec_path: Path) -> AttemptHandle:
        read_end, write_end = os.pipe()
        try:
            popen = subprocess.Popen(
                [*shim_command("__main__"), "--status-fd", str(write_end), str(spec_path)],
                pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError as exc:
            os.close(read_end)
            raise ShimStartError(f"cannot start the executor shim: {exc}") from exc
        finally:
            os.close(write_end)
        identity, rest = _read_identity(read_end, START_TIMEOUT)
        if identity is None:
            os.close(read_end)
            popen.wait()
            raise ShimStartError(f"executor shim for {attempt_dir} stopped before reporting")
        return AttemptHandle(attempt_dir, identity, read_end, status=rest, popen=popen)

    def adopt(self, attempt_dir: Path) -> AttemptHandle | AttemptResult | None:
        """Pick up an attempt started by an earlier supervisor.

        Returns its AttemptResult when result.json exists, an AttemptHandle when its shim is
        still running (identity verified: pid, start time, boot id), else None (in doubt).
        """
        attempt_dir = Path(attempt_dir).absolute()
        if (attempt_dir / "result.json").exists():
            return load_result(attempt_dir)
        identity = read_identity_file(attempt_dir / "shim.json")
        if identity is None:
            return None
        pid = identity["pid"]
        with contextlib.suppress(OSError):
            pidfd = os.pidfd_open(pid)
            if process_matches(pid, identity["start_ticks"], identity["boot_id"]):
                return AttemptHandle(attempt_dir, identity, pidfd, pidfd_mode=True)
            os.close(pidfd)
        if (attempt_dir / "result.json").exists():  # it finished while we looked
            return load_result(attempt_dir)
        return None

    def close(self) -> None:
        """Stop the launcher (running shims are not affected)."""
        with self._lock:
            if self._launcher is not None:
                self._close_launcher(self._launcher)
                self._launcher = None
