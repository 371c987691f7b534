"""The attempt spec as the shim reads it (mirror of `tasker.shim_protocol.AttemptSpec`)."""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH100

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields

MIB = 1024 * 1024


@dataclass(frozen=True)
class Spec:
    """What to run and under which limits; field names match the supervisor's model."""

    argv: list[str]
    attempt_dir: str
    env: dict[str, str] | None = None
    cwd: str | None = None
    timeout: float | None = None
    kill_grace: float = 5.0
    memory_limit: int | None = None
    memory_mode: str = "watchdog"
    memory_interval: float = 0.05
    cgroup_base: str | None = None
    output_threshold: int = MIB
    head_bytes: int = 100 * 1024
    patterns: dict[str, list[str]] = field(default_factory=dict)


def spec_from_dict(data: dict) -> Spec:
    """Build a Spec from decoded JSON, ignoring unknown keys; paths made absolute."""
    known = {f.name for f in fields(Spec)}
    values = {k: v for k, v in data.items() if k in known}
    values["attempt_dir"] = os.path.abspath(values["attempt_dir"])
    return Spec(**values)


def spec_from_json(data: bytes | str) -> Spec:
    """Parse a JSON spec document."""
    return spec_from_dict(json.loads(data))


def load_spec(path: str) -> Spec:
    """Read a spec file (JSON)."""
    with open(path, "rb") as fh:
        return spec_from_json(fh.read())
