"""Fan one command out over N real ssh hosts (network namespaces) and time it.

    python stress/ssh_fanout.py N [--concurrency 50]
    python stress/ssh_fanout.py N --tasker [--keep]
    python stress/ssh_fanout.py N --tasker --stop 5 --hang 5   # some hosts refuse or hang

Plain: brings up N hosts, runs `ssh -F cfg hostNNN hostname` on all of them with
`--concurrency` at a time, checks every answer, prints the wall time and the sshds' memory.

--tasker: the same through tasker: a `type=parallel` block with `hostnames=host001,...`,
`command=hostname`, `exec=ssh`, `max_parallel=<concurrency>`, run as
`tasker FILE -r --skip-host-validation --output-json=...` with TASKER_EXEC_CONFIG naming a
generated execution_types.yaml: the shipped ssh type plus `-F <cfg>`. Prints the wall time,
the exit code, the answers checked from the JSON, and the peak RSS of the supervisor process
and of its whole process tree (psutil polling every 20 ms).

--stop K / --hang K: before the fan-out, the last K hosts have their sshd killed (connections
refused) and the K before them have it SIGSTOPped (connections time out). Those hosts must
fail with ssh's exit code 255 and every other host must still answer; through tasker the block
then fails (exit 10) with exactly those subtasks failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Container
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ssh.tasker_run import SUBTASK_BASE, exec_config_text, tasker_argv
from tests.sshhosts import SshHosts, SshHostsError, unavailable_reason, which

SSH_FAILED = 255
BLOCK_FAILED = 10


def break_hosts(hosts: SshHosts, stop: int, hang: int) -> dict[str, list[str]]:
    """Stop the last `stop` hosts' sshd and hang the `hang` hosts before them."""
    names = hosts.names
    if stop + hang > len(names):
        raise ValueError(f"cannot stop {stop} and hang {hang} of {len(names)} hosts")
    broken = {"stopped": names[len(names) - stop:],
              "hung": names[len(names) - stop - hang:len(names) - stop]}
    for name in broken["stopped"]:
        hosts.stop(name)
    for name in broken["hung"]:
        hosts.hang(name)
    return broken


def answered_right(name: str, exit_code: object, stdout: str, down: Container[str]) -> bool:
    """Host `name` printed its own name, or (when it is down) failed with ssh's 255."""
    if name in down:
        return exit_code == SSH_FAILED
    return (exit_code, stdout.strip()) == (0, name)


def plain_fanout(hosts: SshHosts, concurrency: int, down: set[str]) -> dict:
    """ssh hostname on every host, `concurrency` at a time; wall time and wrong answers."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda name: hosts.run(name, "hostname", timeout=120),
                                hosts.names))
    wall = time.perf_counter() - started
    wrong = {name: (r.returncode, r.stdout.strip(), r.stderr.strip()[-200:])
             for name, r in zip(hosts.names, results, strict=True)
             if not answered_right(name, r.returncode, r.stdout, down)}
    return {"mode": "ssh", "wall_seconds": round(wall, 3), "ok": len(results) - len(wrong),
            "wrong": wrong}


def task_file_text(names: list[str], concurrency: int) -> str:
    """One parallel block that runs `hostname` on every host over exec=ssh."""
    return "\n".join([
        f"# ssh fan-out over {len(names)} namespace hosts",
        "task=0", "type=parallel", f"hostnames={','.join(names)}", "command=hostname",
        "exec=ssh", f"max_parallel={concurrency}", "timeout=120", "",
    ])


class PeakRss:
    """Polls a process and its descendants; keeps the peak RSS of the root and of the tree."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval = pid, interval
        self.root_peak = self.tree_peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        try:
            root = psutil.Process(self.pid)
            while not self._done.is_set():
                rss = root.memory_info().rss
                self.root_peak = max(self.root_peak, rss)
                self.tree_peak = max(self.tree_peak, rss + _children_rss(root))
                time.sleep(self.interval)
        except psutil.Error:
            return

    def stop(self) -> None:
        """Stop polling."""
        self._done.set()
        self._thread.join()


def _children_rss(process: psutil.Process) -> int:
    total = 0
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue
    return total


def tasker_fanout(hosts: SshHosts, concurrency: int, workdir: Path, down: set[str],
                  connect_timeout: int | None = None) -> dict:
    """Run the fan-out through tasker; wall time, exit code, peak RSS, wrong answers."""
    task_file = workdir / "ssh_fanout.txt"
    task_file.write_text(task_file_text(hosts.names, concurrency), encoding="utf-8")
    exec_config = workdir / "execution_types.yaml"
    exec_config.write_text(exec_config_text(hosts.ssh_config_path, connect_timeout,
                                            binary=which("ssh")), encoding="utf-8")
    output_json = workdir / "result.json"
    env = {**os.environ, "TASKER_EXEC_CONFIG": str(exec_config), "HOME": str(workdir)}
    argv = [*tasker_argv(), str(task_file), "-r", "--skip-host-validation",
            f"--output-json={output_json}"]
    started = time.perf_counter()
    with (workdir / "tasker.log").open("wb") as log:
        process = subprocess.Popen(argv, env=env, cwd=workdir, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
        rss = PeakRss(process.pid)
        exit_code = process.wait()
    wall = time.perf_counter() - started
    rss.stop()
    return {"mode": "tasker", "argv": argv, "exit_code": exit_code,
            "wall_seconds": round(wall, 3), "supervisor_peak_rss_mib": _mib(rss.root_peak),
            "tree_peak_rss_mib": _mib(rss.tree_peak),
            **check_json(output_json, hosts.names, down)}


def check_json(path: Path, names: list[str], down: Container[str] = frozenset()) -> dict:
    """Subtask `100000 + i` must have printed host i's name (or failed, if host i is down)."""
    if not path.is_file():
        return {"ok": 0, "wrong": {"output_json": f"{path} was not written"}}
    results = json.loads(path.read_text(encoding="utf-8")).get("task_results", {})
    wrong = {}
    for index, name in enumerate(names):
        result = results.get(str(SUBTASK_BASE + index), {})
        if not answered_right(name, result.get("exit_code"), str(result.get("stdout", "")),
                              down):
            wrong[name] = {k: result.get(k) for k in ("exit_code", "stdout", "stderr")}
    return {"ok": len(names) - len(wrong), "wrong": wrong}


def sshd_memory(hosts: SshHosts) -> dict:
    """Total and per-host RSS (MiB) of the processes inside the hosts."""
    total = 0
    for name in hosts.names:
        for pid in hosts.netns_pids(name):
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                continue
    return {"hosts_rss_mib": _mib(total), "per_host_rss_mib": _mib(total / len(hosts.names))}


def _mib(value: float) -> float:
    return round(value / 2**20, 1)


def main(argv: list[str] | None = None) -> int:
    """Bring up N hosts, fan out, print one JSON report; non-zero when an answer is wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--tasker", action="store_true", help="fan out through tasker")
    parser.add_argument("--keep", action="store_true", help="keep the tasker work dir")
    parser.add_argument("--stop", type=int, default=0, help="hosts whose sshd is killed")
    parser.add_argument("--hang", type=int, default=0, help="hosts whose sshd is SIGSTOPped")
    parser.add_argument("--connect-timeout", type=int, default=None,
                        help="--tasker: ConnectTimeout instead of the shipped type's")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason is not None:
        print(f"cannot create ssh test hosts: {reason}", file=sys.stderr)
        return 2
    if args.tasker and args.count < 2:
        print("error: hostnames= needs at least 2 hosts", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="ssh_fanout-"))
    try:
        with SshHosts(args.count) as hosts:
            report = {"hosts": args.count, "concurrency": args.concurrency,
                      "setup_seconds": round(hosts.setup_seconds or 0, 3), **sshd_memory(hosts)}
            broken = break_hosts(hosts, args.stop, args.hang)
            down = {*broken["stopped"], *broken["hung"]}
            report |= broken
            if args.tasker:
                report |= tasker_fanout(hosts, args.concurrency, workdir, down,
                                        args.connect_timeout)
            else:
                report |= plain_fanout(hosts, args.concurrency, down)
    except (SshHostsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"work dir kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=1))
    expected_exit = BLOCK_FAILED if down else 0
    exit_code = report.get("exit_code", expected_exit)
    return 0 if not report["wrong"] and exit_code == expected_exit else 1


if __name__ == "__main__":
    raise SystemExit(main())
