"""Durable files of an attempt directory: result.json (atomic, fsynced) and shim.json."""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH102, PTH103, PTH104, PTH106, PTH108, PTH118, PTH120

from __future__ import annotations

import contextlib
import json
import os

RESULT_NAME = "result.json"
IDENTITY_NAME = "shim.json"
TMP_NAME = f"{RESULT_NAME}.tmp"


class Prepared:
    """An attempt directory a launcher spare creates while idle (shim.json written, an empty
    result temp file in it), renamed into place when the spare gets its attempt: one rename
    instead of a mkdir and two file creations on the attempt's critical path."""

    directory: str | None = None


def prepare(spares_dir: str, identity: dict) -> None:
    """Create `<spares_dir>/<pid>.attempt/` with shim.json and an empty result temp file."""
    directory = os.path.join(spares_dir, f"{os.getpid()}.attempt")
    os.mkdir(directory)
    Prepared.directory = directory
    try:
        _write_new(os.path.join(directory, IDENTITY_NAME), json.dumps(identity).encode())
        _write_new(os.path.join(directory, TMP_NAME), b"")
    except OSError:
        discard_prepared()
        raise


def discard_prepared() -> None:
    """Remove a prepared directory that was not used (a spare that exits idle)."""
    directory, Prepared.directory = Prepared.directory, None
    if directory:
        for name in (IDENTITY_NAME, TMP_NAME):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_new(path: str, payload: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, payload)
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    dir_fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def stage_result(directory: str, result: dict) -> int:
    """Write result.json's bytes to its temp file (no fsync yet); returns the open fd.

    Out-of-space shows here (ext4 reserves blocks at write time), before anything is reported.
    """
    payload = json.dumps(result, ensure_ascii=False).encode()
    tmp = os.path.join(directory, TMP_NAME)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, payload)
    except BaseException:
        os.close(fd)
        raise
    return fd


def commit_result(directory: str, fd: int) -> None:
    """Make a staged result.json durable: fsync, rename into place, fsync the directory."""
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(os.path.join(directory, TMP_NAME),
              os.path.join(directory, RESULT_NAME))
    _fsync_dir(directory)


def place(directory: str, identity: dict) -> None:
    """Put the attempt directory in place with shim.json (pid, start ticks, boot id) in it,
    for adoption checks: the attempt directory appears with its identity already inside.

    A prepared directory is renamed in. Otherwise (a direct start, whose supervisor created the
    directory for spec.json, or a rename that failed) the directory is made if needed and
    shim.json written there with one small write (a reader that catches it half-written
    retries). A prepared directory that could not be used is removed.
    """
    if Prepared.directory:
        for _ in range(2):
            try:
                os.rename(Prepared.directory, directory)
                Prepared.directory = None
                return
            except FileNotFoundError:  # the first attempt of a run: make its parent
                with contextlib.suppress(OSError):
                    os.makedirs(os.path.dirname(directory), exist_ok=True)
            except OSError:  # the target exists and is not empty, or another file system
                break
        discard_prepared()
    os.makedirs(directory, exist_ok=True)
    _write_new(os.path.join(directory, IDENTITY_NAME), json.dumps(identity).encode())
