"""Chaos: SIGKILL the supervisor at random moments and resume with --auto-recovery.

    python stress/chaos_kill.py [--kills 50] [--seed N] [--mode sequential|parallel|both]
                                [--json]

sequential: 30 tasks, each appends its number to a file. parallel: one block of 20 subtasks,
each appends its number, then a final task appends "end". A trial starts the workflow and
SIGKILLs the supervisor (its pid only; the shims live in their own sessions) after a random
delay, then resumes it with `--auto-recovery`, sometimes killing the resumed supervisor
again (chains of repeated kills), until a run completes. Every trial must end with exit 0
and every line exactly once (and, sequentially, in order). Prints the figures; exit 1 when
any trial breaks the rule.

A kill after the run's `run_finished` record but before its journal is archived leaves a
completed journal in recovery/: the run had succeeded, and a later `--auto-recovery` run
archives that journal and starts the workflow afresh, as TASKER starts afresh after a
success (README, "Journal, recovery and audit"). Such a trial ends there, like a kill after
the archive, and is counted ("killed after success, before the archive").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPEND = """#!/bin/sh
sleep 0.02
echo "$1" >> "$2"
echo "appended $1"
"""


@dataclass
class Figures:
    """What a mode's trials did."""

    mode: str
    trials: int = 0
    kills: int = 0
    resumes: int = 0
    longest_chain: int = 0
    unarchived: int = 0  # killed after run_finished, before the archive
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def task_file(mode: str, script: Path, out: Path) -> str:
    """The workflow of a mode."""
    def command(tid: int, arg: str) -> str:
        return (f"task={tid}\nhostname=localhost\ncommand={script}\narguments={arg} {out}\n"
                "exec=local\n\n")
    if mode == "sequential":
        return "".join(command(i, str(i)) for i in range(30))
    subs = "".join(command(100 + i, str(i)) for i in range(20))
    block = ("task=0\ntype=parallel\nmax_parallel=5\ntasks="
             + ",".join(str(100 + i) for i in range(20)) + "\nnext=success\n\n")
    return block + command(1, "end") + "task=2\nhostname=localhost\ncommand=true\n" \
        "exec=local\nnext=never\n\n" + subs


def expected(mode: str) -> list[str]:
    """The lines a complete run leaves."""
    return [str(i) for i in range(30)] if mode == "sequential" \
        else [*(str(i) for i in range(20)), "end"]


def start(workdir: Path) -> subprocess.Popen:
    """One supervisor run (fresh or resume: --auto-recovery either way)."""
    argv = [sys.executable, "-m", "tasker", "wf.txt", "-r", "-l", str(workdir / "base"),
            "--auto-recovery", "--skip-host-validation", "--no-task-backup"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(argv, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def trial(workdir: Path, mode: str, rng: random.Random, kills_left: int, span: float, *,
          figures: Figures) -> tuple[int, int, str | None]:
    """One workflow run killed 1+ times; (kills, resumes, problem or None)."""
    out = workdir / "lines.txt"
    script = workdir / "append.sh"
    script.write_text(APPEND)
    script.chmod(0o755)
    (workdir / "wf.txt").write_text(task_file(mode, script, out))
    chain = 1 + (rng.random() < 0.4) * rng.randint(1, 3)
    kills = resumes = 0
    while True:
        proc = start(workdir)
        if kills < min(chain, kills_left):
            time.sleep(rng.uniform(0.25, span))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)  # the supervisor only, not its group
                kills += 1
                proc.wait()
                proc.stderr.close()
                if _completed(workdir):  # killed after its journal was archived
                    break
                if _finished_unarchived(workdir):
                    figures.unarchived += 1
                    break
                resumes += 1
                continue
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            return kills, resumes, f"final run exit {proc.returncode}: {err.decode()[-300:]}"
        break
    lines = out.read_text().split() if out.exists() else []
    want = expected(mode)
    if mode == "parallel":
        ok = sorted(lines[:-1]) == sorted(want[:-1]) and lines[-1:] == ["end"]
    else:
        ok = lines == want
    return kills, resumes, None if ok else f"lines {lines} != expected {want}"


def _completed(workdir: Path) -> bool:
    """True when no unfinished journal is left (the killed run had already succeeded)."""
    base = workdir / "base"
    finished = [p for p in base.glob("journals/*.journal") if "abandoned" not in p.name]
    return bool(finished) and not any(base.glob("recovery/*.journal"))


def _finished_unarchived(workdir: Path) -> bool:
    """True when the journal left in recovery/ ends with a successful run_finished."""
    sys.path.insert(0, str(ROOT))
    from tasker.journal.reader import read_journal

    for path in (workdir / "base").glob("recovery/*.journal"):
        records = read_journal(path).records
        last = records[-1].payload if records else {}
        if last.get("type") == "run_finished" and last.get("status") == "success":
            return True
    return False


def run_mode(mode: str, kills: int, seed: int, span: float) -> Figures:
    """Trials of one mode until `kills` SIGKILLs were delivered."""
    figures = Figures(mode)
    rng = random.Random(seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"chaos-{mode}-") as tmp:
        while figures.kills < kills:
            workdir = Path(tmp) / f"trial{figures.trials}"
            workdir.mkdir()
            done, resumed, problem = trial(workdir, mode, rng, kills - figures.kills, span,
                                           figures=figures)
            figures.trials += 1
            figures.kills += done
            figures.resumes += resumed
            figures.longest_chain = max(figures.longest_chain, done)
            if problem:
                figures.failures.append(f"trial {figures.trials}: {problem}")
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def main() -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="SIGKILLs per mode")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--mode", choices=("sequential", "parallel", "both"), default="both")
    parser.add_argument("--span", type=float, default=1.6,
                        help="latest kill moment after a supervisor start, seconds")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    modes = ("sequential", "parallel") if args.mode == "both" else (args.mode,)
    results = [run_mode(mode, args.kills, args.seed, args.span) for mode in modes]
    if args.json:
        print(json.dumps([asdict(r) for r in results]))
    else:
        for r in results:
            print(f"{r.mode}: {r.trials} trials, {r.kills} SIGKILLs, {r.resumes} resumes, "
                  f"longest kill chain {r.longest_chain}, {r.unarchived} killed after "
                  f"success before the archive, {len(r.failures)} failures, "
                  f"{r.seconds} s (seed {args.seed})")
            for failure in r.failures:
                print(f"  FAIL {failure}")
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
