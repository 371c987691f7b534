"""JournalLock: one live run per journal, owner details, no inheritance by children."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from tasker.errors import InstanceLockedError
from tasker.journal import JournalLock, journal_paths, read_owner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def paths(tmp_path):
    return journal_paths(tmp_path, tmp_path / "flow.txt")


def _holder(paths, raw: bool = False) -> subprocess.Popen:
    """A real process holding the journal lock (via JournalLock, or a bare flock when raw)."""
    take = (f"filelock.FileLock({str(paths.lock)!r}).acquire()" if raw
            else f"JournalLock(journal_paths({str(paths.journal.parent.parent)!r}, "
                 f"{str(paths.journal.parent.parent / 'flow.txt')!r})).acquire()")
    code = textwrap.dedent(f"""
        import sys, time, filelock
        from tasker.journal import JournalLock, journal_paths
        lock = {take}
        print("locked", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=10)
    proc.stdout.close()


def test_acquire_writes_owner_file_and_release_removes_it(paths):
    with JournalLock(paths, argv=["tasker", "flow.txt", "-r"]) as lock:
        owner = read_owner(paths.owner)
        assert lock.is_locked
        assert (owner.pid, owner.host, owner.argv) == (os.getpid(), socket.gethostname(),
                                                      ["tasker", "flow.txt", "-r"])
        assert owner.is_alive() is True
    assert not paths.owner.exists()
    assert paths.lock.exists()


def test_second_lock_in_same_process_is_refused(paths):
    with JournalLock(paths), pytest.raises(InstanceLockedError):
        JournalLock(paths).acquire()


@pytest.mark.slow
def test_lock_held_by_another_process_names_its_owner(paths):
    holder = _holder(paths)
    try:
        with pytest.raises(InstanceLockedError) as caught:
            JournalLock(paths).acquire()
    finally:
        _stop(holder)
    error = caught.value
    assert error.exit_code == 25
    assert error.context["owner"]["pid"] == holder.pid
    assert error.context["alive"] is True
    text = str(error)
    assert f"pid {holder.pid} on host {socket.gethostname()}" in text
    assert "started " in text and "owner process is alive" in text


@pytest.mark.slow
def test_lock_is_free_again_when_the_holder_exits(paths):
    _stop(_holder(paths))
    with JournalLock(paths):
        pass


@pytest.mark.slow
def test_stale_owner_record_under_a_held_lock_says_owner_not_alive(paths):
    paths.owner.parent.mkdir(parents=True, exist_ok=True)
    paths.owner.write_text(json.dumps({"pid": 999999, "start_ticks": 1, "boot_id": "old",
                                       "host": socket.gethostname()}))
    holder = _holder(paths, raw=True)
    try:
        with pytest.raises(InstanceLockedError, match="owner process is not alive") as caught:
            JournalLock(paths).acquire()
    finally:
        _stop(holder)
    assert caught.value.context["alive"] is False


def test_stale_owner_file_is_overwritten_once_the_lock_is_acquired(paths):
    paths.owner.parent.mkdir(parents=True, exist_ok=True)
    paths.owner.write_text(json.dumps({"pid": 999999, "start_ticks": 5, "boot_id": "b"}))
    with JournalLock(paths) as lock:
        assert lock.previous_owner.pid == 999999
        assert lock.previous_owner.is_alive() is False
        assert read_owner(paths.owner).pid == os.getpid()


@pytest.mark.slow
def test_lock_fd_is_not_inherited_by_a_child_process(paths):
    with JournalLock(paths) as lock:
        fds = lock.lock_fds()
        assert fds and not any(os.get_inheritable(fd) for fd in fds)
        child = subprocess.Popen(
            [sys.executable, "-c", "import os,sys; print(sorted(os.readlink('/proc/self/fd/'+f) "
             "for f in os.listdir('/proc/self/fd') if os.path.exists('/proc/self/fd/'+f))); "
             "sys.stdout.flush(); sys.stdin.read()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, close_fds=False)
        child_fds = child.stdout.readline()
    try:
        assert str(paths.lock) not in child_fds
        with JournalLock(paths):  # the child still runs, yet the lock is free
            pass
    finally:
        _stop(child)
