"""The launcher's warm-up (executor_shim.warmup): real attempts of `true` run inside the
launcher, which must come out of them as it went in, with its spares untouched.

Each check runs in a forked child standing in for the launcher (signal dispositions, the
subreaper flag and reaping are process-wide), which reports back through a pipe."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import time

from executor_shim import proctree
from executor_shim.warmup import _RESTORED, WARM_ATTEMPTS, WarmUp

PR_GET_CHILD_SUBREAPER = 37


def _subreaper() -> int:
    flag = ctypes.c_int(-1)
    ctypes.CDLL(None, use_errno=True).prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0)
    return flag.value


def _state() -> dict:
    return {
        "signals": {int(s): str(signal.getsignal(s)) for s in _RESTORED},
        "fds": sorted(os.listdir("/proc/self/fd")),
        "subreaper": _subreaper(),
    }


def _in_child(body) -> dict:
    """Run body() in a forked child set up like a launcher; return what it reported."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the child)
        code = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # as the launcher has them
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            report = body()
            os.write(write_end, json.dumps(report).encode())
        except BaseException as exc:
            os.write(write_end, json.dumps({"error": repr(exc)}).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    report = json.loads(b"".join(chunks))
    assert "error" not in report, report["error"]
    return report


def test_the_warm_up_runs_its_attempts_and_leaves_the_launcher_and_its_spares_as_they_were(
        tmp_path):
    def body() -> dict:
        # A stand-in spare: another child of the launcher, idle in its own session.
        spare = os.posix_spawn("/bin/sleep", ["sleep", "30"], dict(os.environ), setsid=True)
        before = _state()
        warm = WarmUp(str(tmp_path))
        steps = 0
        while warm.left and steps < 2 * WARM_ATTEMPTS:
            warm.step()
            steps += 1
        after = _state()
        spare_state = proctree.state_of(spare)
        with contextlib.suppress(OSError):
            os.kill(spare, signal.SIGKILL)
        return {"before": before, "after": after, "done": warm.done, "left": warm.left,
                "spare": spare_state, "dir_left": os.path.exists(tmp_path / "warm-up")}

    report = _in_child(body)
    assert report["done"] == WARM_ATTEMPTS and report["left"] == 0  # every attempt succeeded
    assert report["after"] == report["before"]  # dispositions, descriptors, subreaper flag
    assert report["spare"] in ("S", "R")  # not signalled as a leftover of a warm-up attempt
    assert not report["dir_left"]


def test_a_failing_warm_up_ends_quietly_and_restores_the_launcher(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")  # a file where the parent directory should be: makedirs fails

    def body() -> dict:
        before = _state()
        warm = WarmUp(str(blocker))
        warm.step()
        return {"before": before, "after": _state(), "left": warm.left, "done": warm.done}

    report = _in_child(body)
    assert (report["left"], report["done"]) == (0, 0)
    assert report["after"] == report["before"]


def test_no_warm_up_without_a_true_command_or_a_directory(tmp_path, monkeypatch):
    assert WarmUp(None).left == 0
    monkeypatch.setenv("PATH", str(tmp_path))  # no `true` there
    assert WarmUp(str(tmp_path)).left == 0


def test_attempts_after_the_warm_up_run_normally(client, run):
    assert run(["true"]).exit_code == 0  # the launcher is started, and warms up when idle
    time.sleep(0.5)
    warm_dir = client.run_dir / "spares" / "warm-up"
    deadline = time.monotonic() + 30
    while warm_dir.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not warm_dir.exists()
    result = run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert result.exit_code == 3
    assert result.stdout.text == "out\n" and result.stderr.text == "err\n"
    assert run(["sleep", "5"], timeout=0.3).timed_out  # the timeout path of a warm spare
