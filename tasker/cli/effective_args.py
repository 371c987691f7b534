"""`--show-effective-args`: the merged file + CLI arguments (REFERENCE §8.7).

Printed before the workflow is parsed or validated; the run then exits 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def effective_args_lines(task_file: str, file_args: list[str],
                         merged: Mapping[str, Any]) -> list[str]:
    """The lines to print (pure): raw accepted header lines, then every set option."""
    lines = ["Effective TASKER arguments (file + CLI merged):", "=" * 60,
             f"File-defined arguments from {task_file}:"]
    lines.extend(f"  {arg}" for arg in file_args)
    if not file_args:
        lines.append("  (none)")
    lines.append("")
    lines.append("Final effective arguments:")
    values = {"task_file": task_file, **merged}
    for name in sorted(values):
        value = values[name]
        if value is None or value is False or value == "":
            continue
        lines.append(f"  --{name.replace('_', '-')}: {value}")
    return lines
