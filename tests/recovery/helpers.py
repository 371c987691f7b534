"""Real `tasker` processes on real task files for the recovery tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPEND = '#!/bin/sh\nsleep "${3:-0}"\necho "$1" >> "$2"\necho "line $1"\n'


@dataclass
class Workspace:
    """A directory with an append script, an output file and a base directory."""

    root: Path

    @property
    def base(self) -> Path:
        """The -l base directory."""
        return self.root / "base"

    @property
    def lines_file(self) -> Path:
        """The file every task appends its line to."""
        return self.root / "lines.txt"

    def lines(self) -> list[str]:
        """The appended lines so far."""
        return self.lines_file.read_text().split() if self.lines_file.exists() else []

    def script(self) -> Path:
        """The append script (created once)."""
        path = self.root / "append.sh"
        if not path.exists():
            path.write_text(APPEND)
            path.chmod(0o755)
        return path

    def task(self, tid: int, line: str, seconds: float = 0, *extra: str) -> str:
        """A task appending `line` after `seconds`."""
        fields = [f"task={tid}", "hostname=localhost", f"command={self.script()}",
                  f"arguments={line} {self.lines_file} {seconds}", "exec=local", *extra]
        return "\n".join(fields) + "\n\n"

    def write(self, text: str, name: str = "wf.txt") -> Path:
        """Write the task file."""
        path = self.root / name
        path.write_text(text)
        return path

    def argv(self, *flags: str, name: str = "wf.txt") -> list[str]:
        """The tasker command line of a real run."""
        return [sys.executable, "-m", "tasker", name, "-r", "-l", str(self.base),
                "--skip-host-validation", "--no-task-backup", *flags]

    def start(self, *flags: str, name: str = "wf.txt") -> subprocess.Popen:
        """Start a supervisor (stdout/stderr piped)."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(self.argv(*flags, name=name), cwd=self.root, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def run(self, *flags: str, name: str = "wf.txt") -> subprocess.CompletedProcess:
        """Run a supervisor to its end."""
        proc = self.start(*flags, name=name)
        out, _ = proc.communicate(timeout=60)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")

    def journals(self, where: str = "recovery") -> list[Path]:
        """Journals in recovery/ (unfinished) or journals/ (archived)."""
        return sorted((self.base / where).glob("*.journal"))

    def wait_for_lines(self, count: int, timeout: float = 20.0) -> None:
        """Block until `count` lines were appended."""
        deadline = time.monotonic() + timeout
        while len(self.lines()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.lines()} after {timeout}s")
            time.sleep(0.01)


def tasker(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m tasker ARGS` (for the journal subcommands)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tasker", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
