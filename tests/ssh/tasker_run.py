"""Run tasker end to end against the namespace ssh hosts (used by tests and stress scripts).

The generated `execution_types.yaml` takes the *shipped* ssh type and only adds
`-F <hosts' client config>` after `{binary}` (and optionally a shorter ConnectTimeout), so the
tests exercise the template users get.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tasker.execconfig import PACKAGED_CONFIG

SUBTASK_BASE = 100000
CONNECT_TIMEOUT_OPTION = "ConnectTimeout="


def shipped_ssh_type() -> dict[str, Any]:
    """The ssh entry of the shipped execution_types.yaml (linux)."""
    data = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    return dict(data["platforms"]["linux"]["ssh"])


def exec_config_text(ssh_config: str, connect_timeout: int | None = None,
                     binary: str | None = None) -> str:
    """execution_types.yaml whose ssh type is the shipped one plus `-F ssh_config`."""
    ssh_type = shipped_ssh_type()
    template = list(ssh_type["command_template"])
    template[1:1] = ["-F", ssh_config]
    if connect_timeout is not None:
        template = [f"{CONNECT_TIMEOUT_OPTION}{connect_timeout}"
                    if element.startswith(CONNECT_TIMEOUT_OPTION) else element
                    for element in template]
    ssh_type["command_template"] = template
    if binary is not None:
        ssh_type["binary"] = binary
    linux = {"default_exec_type": "local", "default_timeout": 300,
             "default_validation_timeout": 10, "ssh": ssh_type}
    return yaml.safe_dump({"platforms": {"linux": linux}}, sort_keys=False)


def tasker_argv() -> list[str]:
    """The installed `tasker` console script, else `python -m tasker`."""
    found = shutil.which("tasker")
    return [found] if found else [sys.executable, "-m", "tasker"]


@dataclass(frozen=True)
class TaskerRun:
    """A finished tasker run: exit code, its JSON `task_results`, and its console output."""

    exit_code: int
    results: dict[str, dict[str, Any]]
    output: str

    def subtask(self, index: int) -> dict[str, Any]:
        """The result of generated subtask `100000 + index` (block task 0)."""
        return self.results[str(SUBTASK_BASE + index)]

    def answers(self, names: list[str]) -> dict[str, tuple[int | None, str]]:
        """host name -> (exit code, stripped stdout) of the block's subtasks, in order."""
        return {name: (self.subtask(i).get("exit_code"), str(self.subtask(i)["stdout"]).strip())
                for i, name in enumerate(names)}


def run_tasker(workdir: Path, task_text: str, exec_config: str, *,
               timeout: float = 120) -> TaskerRun:
    """`tasker FILE -r --skip-host-validation --output-json=...` in `workdir`."""
    task_file = workdir / "tasks.txt"
    task_file.write_text(task_text, encoding="utf-8")
    config = workdir / "execution_types.yaml"
    config.write_text(exec_config, encoding="utf-8")
    output_json = workdir / "result.json"
    env = {**os.environ, "TASKER_EXEC_CONFIG": str(config), "HOME": str(workdir)}
    done = subprocess.run(
        [*tasker_argv(), str(task_file), "-r", "--skip-host-validation",
         f"--output-json={output_json}"],
        env=env, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout, check=False)
    output = done.stdout + done.stderr
    if not output_json.is_file():
        return TaskerRun(done.returncode, {}, output)
    results = json.loads(output_json.read_text(encoding="utf-8")).get("task_results", {})
    return TaskerRun(done.returncode, results, output)


def hostnames_block(names: list[str], command: str, arguments: str = "", *,
                    max_parallel: int | None = None, extra: tuple[str, ...] = ()) -> str:
    """Task 0: a `type=parallel` block with `hostnames=` over `names`, exec=ssh."""
    lines = ["task=0", "type=parallel", f"hostnames={','.join(names)}", f"command={command}"]
    if arguments:
        lines.append(f"arguments={arguments}")
    lines.append("exec=ssh")
    if max_parallel is not None:
        lines.append(f"max_parallel={max_parallel}")
    return "\n".join([*lines, *extra, ""])
