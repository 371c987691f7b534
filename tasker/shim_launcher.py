"""The executor launcher as the supervisor sees it (`executor_shim.launcher` is the other side).

    launcher = Launcher(spares_dir, spares, log_path)   # starts it and its spares
    launcher.submit(spec_json, status_w)                 # one attempt to the next spare
    launcher.grow(n) / launcher.expect(n)                # pool hints: G<k>:<n>, S<k>:<n>
    launcher.close(keep_log)                             # it exits; its spares directory goes

A CLI run starts one before it parses and validates (`prestart`), sizes its pool once the
workflow is parsed (`grow_prestarted`) and hands it to the run's ShimClient
(`take_prestarted`); a run that never executes stops it (`discard_prestarted`).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import executor_shim

IDLE_SPARES = 2  # spares kept warm outside parallel blocks
LAUNCHER_EXIT_WAIT = 5.0  # a launcher exits at once when its socket closes
_SHIM_ROOT = str(Path(executor_shim.__file__).resolve().parent.parent)
_BOOTSTRAP = ("import sys; sys.path.insert(0, {root!r}); from executor_shim.{module} import main;"
              " sys.exit(main(sys.argv[1:]))")


def shim_command(module: str) -> list[str]:
    """argv running `executor_shim.<module>.main` in an isolated interpreter."""
    return [sys.executable, "-I", "-S", "-c", _BOOTSTRAP.format(root=_SHIM_ROOT, module=module)]


class Launcher:
    """A running launcher: its process, its socket and its spares directory."""

    def __init__(self, spares_dir: Path, spares: int, log_path: Path):
        spares_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
        self.spares_dir = spares_dir
        self.log_path = log_path
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with open(log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [*shim_command("launcher"), str(child.fileno()), str(spares),
                     str(spares_dir)], pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
                    close_fds=True)
        except OSError:
            parent.close()
            shutil.rmtree(spares_dir, ignore_errors=True)
            raise
        finally:
            child.close()
        self.sock = parent
        self._hint_lock = threading.Lock()
        self._expected: bytes | None = None
        self._hints = 0  # G and S hints numbered: the launcher applies none older than the last

    def submit(self, payload: bytes, status_w: int) -> bool:
        """Hand one attempt (spec JSON) to the launcher; False when the launcher is gone.
        A pending `expect` rides along (`S<k>:<n>` line before the spec)."""
        with self._hint_lock:
            expected, self._expected = self._expected, None
        if expected is not None:
            payload = expected + b"\n" + payload
        try:
            socket.send_fds(self.sock, [payload], [status_w])
            return True
        except OSError:
            return False

    def grow(self, spares: int) -> None:
        """Ask for a pool of at least `spares` shims (a message without descriptors: the
        spare that gets it passes it on to the launcher, which caps it). Numbered with the
        S hints: a relay that arrives after a newer S hint is ignored."""
        with self._hint_lock:
            self._hints += 1
            number = self._hints
        self._hint(f"G{number}:{spares}")

    def expect(self, attempts: int) -> None:
        """Say that at most `attempts` more attempts are coming (no spare forked beyond).

        Sent with the next attempt: the spare that takes it reports the hint together with
        its take-over, so the launcher never replaces that spare on an out-of-date count (a
        hint of its own could reach the launcher after the take-overs it was meant for)."""
        with self._hint_lock:
            self._hints += 1
            self._expected = f"S{self._hints}:{max(0, attempts)}".encode()

    def _hint(self, message: str) -> None:
        with contextlib.suppress(OSError):
            self.sock.send(message.encode())

    def close(self, keep_log: Path | None = None) -> None:
        """Close the socket (the launcher exits on EOF), reap the launcher and remove its
        spares directory; a log kept there that says anything moves to `keep_log`."""
        self.sock.close()
        with contextlib.suppress(OSError):  # Popen.wait(timeout) polls with sleeps of up to
            pidfd = os.pidfd_open(self.proc.pid)  # 50 ms: wait on a pidfd to see the exit at once
            try:
                select.select([pidfd], [], [], LAUNCHER_EXIT_WAIT)
            finally:
                os.close(pidfd)
        try:
            self.proc.wait(timeout=LAUNCHER_EXIT_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if keep_log is not None and self.log_path.parent == self.spares_dir:
            with contextlib.suppress(OSError):
                if self.log_path.stat().st_size:
                    self.log_path.rename(keep_log)
        shutil.rmtree(self.spares_dir, ignore_errors=True)


_PRESTARTED: list[Launcher] = []  # started by `prestart`, for the run's ShimClient


def prestart(base: Path) -> None:
    """Start a launcher now, while the supervisor still parses and validates, so its spares
    are ready when the run begins. Its spares (and log) live in `base/runs/.spares/<pid>`;
    the directory of a supervisor that was killed is removed by the next run's prestart."""
    if _PRESTARTED:
        return
    parent = Path(base).absolute() / "runs" / ".spares"
    spares_dir = parent / str(os.getpid())
    with contextlib.suppress(OSError):
        _PRESTARTED.append(Launcher(spares_dir, IDLE_SPARES, spares_dir / "launcher.log"))
    _remove_stale_spares(parent)


def _remove_stale_spares(parent: Path) -> None:
    """Remove the spares directories of supervisors that are gone (killed, so never cleaned)."""
    with contextlib.suppress(OSError), os.scandir(parent) as entries:
        for entry in entries:
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                os.kill(int(entry.name), 0)
            except ProcessLookupError:
                shutil.rmtree(entry.path, ignore_errors=True)
            except OSError:  # alive (EPERM: someone else's)
                continue


def prestarted_note() -> str:
    """A debug line on the pre-started launcher."""
    if not _PRESTARTED:
        return "Executor launcher: not pre-started (one is started with the run)"
    launcher = _PRESTARTED[-1]
    return (f"Executor launcher pre-started: pid {launcher.proc.pid}, "
            f"spares in {launcher.spares_dir}")


def grow_prestarted(spares: int) -> None:
    """Tell a pre-started launcher how many spares the run will want, as soon as it is known."""
    if _PRESTARTED:
        _PRESTARTED[-1].grow(spares)


def take_prestarted() -> Launcher | None:
    """The pre-started launcher, if it is still running (the caller now owns it)."""
    if _PRESTARTED and _PRESTARTED[-1].proc.poll() is None:
        return _PRESTARTED.pop()
    return None


def discard_prestarted() -> None:
    """Stop a pre-started launcher that no run took (validation failed, plan declined...)."""
    while _PRESTARTED:
        _PRESTARTED.pop().close()
