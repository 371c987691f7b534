"""Starting the command: PATH lookup as subprocess does it, posix_spawn in a new group."""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH113, PTH118, PTH120

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal

PIPE_SIZE = 1024 * 1024  # an output pipe's capacity once its stream is big (see `widen`)
# Dispositions a shim (or its launcher) may have changed; the command gets the defaults.
RESET_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGHUP,
                 signal.SIGCHLD, signal.SIGUSR1, signal.SIGQUIT)


def resolve(name: str, env: dict[str, str]) -> str:
    """The file to execute for argv[0], searched on the command's own PATH."""
    if os.path.dirname(name):
        return name
    # os.get_exec_path(env) would import `warnings` on every attempt: same lookup, inline
    search = env.get("PATH")
    for directory in (os.defpath if search is None else search).split(os.pathsep):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)


_PREPARED: list[tuple[int, int]] = []


def prepare_pipes(count: int = 2) -> None:
    """Create output pipes ahead of time (an idle launcher spare does this)."""
    _PREPARED.extend(os.pipe() for _ in range(count))


def discard_pipes() -> None:
    """Close pipes prepared but not used."""
    while _PREPARED:
        for fd in _PREPARED.pop():
            with contextlib.suppress(OSError):
                os.close(fd)


def output_pipe() -> tuple[int, int]:
    """A close-on-exec pipe of the default capacity (see `widen`)."""
    return _PREPARED.pop(0) if _PREPARED else os.pipe()


def widen(read_end: int) -> None:
    """Give the pipe of a big output a large buffer (fewer wake-ups while it streams).

    Only then: the kernel counts pipe capacity per user, and past `fs.pipe-user-pages-soft`
    (64 MiB) every new pipe of that user, its commands' own included, gets the minimum
    size. Idle spares holding 1 MiB pipes each would reach that in a wide parallel block.
    """
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)


def spawn(argv: list[str], env: dict[str, str], cwd: str | None, out_w: int, err_w: int) -> int:
    """Start argv in its own process group, stdin from /dev/null; return its pid.

    Raises OSError with the OS error text, naming argv[0] as written (like subprocess).
    """
    if not argv:
        raise FileNotFoundError(errno.ENOENT, "empty command line", "")
    if cwd:
        os.chdir(cwd)
    path = resolve(argv[0], env)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out_w, 1),
        (os.POSIX_SPAWN_DUP2, err_w, 2),
    ]
    try:
        return os.posix_spawn(path, argv, env, file_actions=actions, setpgroup=0,
                              setsigdef=RESET_SIGNALS)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, argv[0]) from None
