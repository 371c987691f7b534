"""Durable files of an attempt directory: result.json (atomic, fsynced) and shim.json."""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH104, PTH108, PTH118

from __future__ import annotations

import contextlib
import json
import os

RESULT_NAME = "result.json"
IDENTITY_NAME = "shim.json"


class Prepared:
    """Files a launcher spare creates while idle, renamed into the attempt directory later
    (a rename costs far less than creating a file on the attempt's critical path)."""

    identity: str | None = None
    result_tmp: str | None = None


def prepare(directory: str, identity: dict) -> None:
    """Pre-write shim.json and pre-create an empty result temp file in `directory`."""
    me = os.getpid()
    Prepared.identity = _write_new(os.path.join(directory, f"{me}.shim.json"),
                                   json.dumps(identity).encode())
    Prepared.result_tmp = _write_new(os.path.join(directory, f"{me}.result.tmp"), b"")


def discard_prepared() -> None:
    """Remove prepared files that were not used (a spare that exits idle)."""
    for path in (Prepared.identity, Prepared.result_tmp):
        if path:
            with contextlib.suppress(OSError):
                os.unlink(path)
    Prepared.identity = Prepared.result_tmp = None


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_new(path: str, payload: bytes) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, payload)
    finally:
        os.close(fd)
    return path


def _take(attr: str, target: str) -> bool:
    """Rename a prepared file to `target`; False when there is none or it is elsewhere."""
    path = getattr(Prepared, attr)
    setattr(Prepared, attr, None)
    if not path:
        return False
    try:
        os.rename(path, target)
        return True
    except OSError:  # another filesystem (EXDEV) or gone: write it the ordinary way
        with contextlib.suppress(OSError):
            os.unlink(path)
        return False


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
    tmp = os.path.join(directory, f"{RESULT_NAME}.tmp")
    flags = os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC
    if not _take("result_tmp", tmp):
        flags |= os.O_CREAT
    fd = os.open(tmp, flags, 0o600)
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
    os.rename(os.path.join(directory, f"{RESULT_NAME}.tmp"),
              os.path.join(directory, RESULT_NAME))
    _fsync_dir(directory)


def write_identity(directory: str, identity: dict) -> None:
    """Put shim.json (pid, start ticks, boot id) in place for adoption checks.

    A prepared copy is renamed in; otherwise one small write without a rename (this is on
    every attempt's critical path; a reader that catches it half-written retries).
    """
    target = os.path.join(directory, IDENTITY_NAME)
    if not _take("identity", target):
        _write_new(target, json.dumps(identity).encode())
