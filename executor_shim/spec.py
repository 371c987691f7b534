"""The attempt spec as the shim reads it (mirror of `tasker.shim_protocol.AttemptSpec`).

A plain class rather than a dataclass: `dataclasses` pulls `inspect`, `ast` and `tokenize` into
the launcher, and every page of that heap is copied into (and torn down with) each forked shim.
"""
# The shim handles str paths and raw fds on its hot path, as os.* returns them.
# ruff: noqa: PTH100

from __future__ import annotations

import json
import os

MIB = 1024 * 1024

# field name -> default (a callable builds a fresh mutable default)
DEFAULTS: dict[str, object] = {
    "env": None, "cwd": None, "timeout": None, "kill_grace": 5.0, "memory_limit": None,
    "memory_mode": "watchdog", "memory_interval": 0.05, "cgroup_base": None,
    "output_threshold": MIB, "head_bytes": 100 * 1024, "patterns": dict,
}
FIELDS = ("argv", "attempt_dir", *DEFAULTS)


class Spec:
    """What to run and under which limits; field names match the supervisor's model."""

    __slots__ = FIELDS

    argv: list[str]
    attempt_dir: str
    env: dict[str, str] | None
    cwd: str | None
    timeout: float | None
    kill_grace: float
    memory_limit: int | None
    memory_mode: str
    memory_interval: float
    cgroup_base: str | None
    output_threshold: int
    head_bytes: int
    patterns: dict[str, list[str]]

    def __init__(self, argv: list[str], attempt_dir: str, **values: object):
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown spec fields: {', '.join(sorted(unknown))}")
        self.argv = argv
        self.attempt_dir = attempt_dir
        for name, default in DEFAULTS.items():
            value = values.get(name, default)
            setattr(self, name, value() if value is dict else value)

    def as_dict(self) -> dict:
        """The spec as a JSON-able dict (shallow: the environment is not copied)."""
        return {name: getattr(self, name) for name in FIELDS}

    def __repr__(self) -> str:
        return f"Spec(argv={self.argv!r}, attempt_dir={self.attempt_dir!r})"


def spec_from_dict(data: dict) -> Spec:
    """Build a Spec from decoded JSON, ignoring unknown keys; paths made absolute."""
    values = {k: v for k, v in data.items() if k in DEFAULTS}
    return Spec(data["argv"], os.path.abspath(data["attempt_dir"]), **values)


def spec_from_json(data: bytes | str) -> Spec:
    """Parse a JSON spec document."""
    return spec_from_dict(json.loads(data))


def load_spec(path: str) -> Spec:
    """Read a spec file (JSON)."""
    with open(path, "rb") as fh:
        return spec_from_json(fh.read())
