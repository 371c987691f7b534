"""The executor-shim protocol: the attempt spec the supervisor writes, the result the shim writes.

The shim itself (package `executor_shim`, standard library only) reads and writes plain JSON
with exactly these field names; these pydantic models validate that JSON on the supervisor side
and generate `schemas/shim_attempt_spec.schema.json` and `schemas/shim_attempt_result.schema.json`.
Exit-code conventions: 124 timeout, 137 memory limit, 127 cannot start (`spawn_error` holds the
OS error), -N killed by signal N, 1 when the shim could not store the output (`shim_error`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MIB = 1024 * 1024


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class AttemptSpec(_Frozen):
    """What one attempt runs and under which limits (sent to a launcher spare, or written as
    spec.json for a directly started shim)."""

    argv: list[str] = Field(description="command line; argv[0] is looked up on env's PATH")
    attempt_dir: str = Field(description="directory for shim.json, result.json, spill files")
    env: dict[str, str] | None = Field(default=None, description="None: the shim's environment")
    cwd: str | None = Field(default=None, description="working directory of the command")
    timeout: float | None = Field(default=None, gt=0, description="seconds; None: no timeout")
    kill_grace: float = Field(default=5.0, ge=0, description="seconds between TERM and KILL")
    memory_limit: int | None = Field(default=None, gt=0, description="bytes, whole tree RSS")
    memory_mode: Literal["watchdog", "rlimit_as"] = Field(
        default="watchdog", description="rlimit_as: also set RLIMIT_AS (explicit opt-in)")
    memory_interval: float = Field(default=0.05, gt=0, description="watchdog sampling, seconds")
    cgroup_base: str | None = Field(
        default=None, description="delegated cgroup v2 dir (default: the shim's own cgroup)")
    output_threshold: int = Field(default=MIB, ge=0, description="bytes kept in memory")
    head_bytes: int = Field(default=100 * 1024, ge=0, description="bytes of `head`")
    patterns: dict[Literal["stdout", "stderr"], list[str]] = Field(
        default_factory=dict, description="substrings to decide over the whole stream")


class StreamResult(_Frozen):
    """One captured stream: totals over the whole stream, inline text and spill file."""

    bytes: int
    lines: int = Field(description="newlines, +1 if non-empty and not newline-terminated")
    sha256: str
    text: str = Field(description="whole stream if not spilled, else its first threshold bytes;"
                                  " decoded UTF-8 with replacement")
    spilled: bool
    file: str | None = Field(description="spill file (mode 0600) holding the whole stream")
    head: str = Field(description="first head_bytes, decoded with replacement")
    matches: dict[str, bool] = Field(description="pattern -> found anywhere in the stream")


EMPTY_STREAM = StreamResult(bytes=0, lines=0, sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
                            "649b934ca495991b7852b855", text="", spilled=False, file=None,
                            head="", matches={})


class AttemptResult(_Frozen):
    """What the shim reports in result.json."""

    exit_code: int = Field(description="124 timeout, 137 memory, 127 not started, -N signal")
    signal: int | None = Field(default=None, description="signal that ended the command")
    timed_out: bool = False
    cancelled: bool = False
    kill_reason: Literal["timeout", "memory", "cancel", "leftover", "io"] | None = Field(
        default=None, description="why the shim signalled the tree (leftover: descendants "
                                  "still running after the command exited)")
    memory_exceeded: bool = False
    memory_mechanism: str | None = Field(
        default=None, description="mechanisms in force, '+'-joined: cgroup_v2, rlimit_as, "
                                  "watchdog; None without a limit")
    memory_enforced_by: str | None = Field(default=None, description="which one hit the limit")
    memory_sample_interval: float | None = Field(default=None, description="watchdog, seconds")
    spawn_error: str | None = Field(default=None, description="OS error when not started")
    shim_error: str | None = Field(default=None, description="the shim's own failure (ENOSPC…)")
    started_at: float = 0.0
    ended_at: float = 0.0
    duration: float = 0.0
    peak_rss: int = Field(default=0, description="peak summed RSS of the command's tree, bytes")
    shim_peak_rss: int = Field(default=0, description="the shim's own peak RSS, bytes")
    pid: int | None = Field(default=None, description="command pid (= its process group)")
    shim_pid: int | None = None
    stdout: StreamResult = EMPTY_STREAM
    stderr: StreamResult = EMPTY_STREAM
    survivors: list[int] = Field(default_factory=list, description="unkillable pids")

    @property
    def has_output(self) -> bool:
        """True when the command wrote anything. Only then does its finished record depend
        on result.json (the output text lives there); the shim applies the same rule."""
        return bool(self.stdout.bytes or self.stderr.bytes)


SCHEMA_FILES = {
    "shim_attempt_spec.schema.json": AttemptSpec,
    "shim_attempt_result.schema.json": AttemptResult,
}


def schema_documents() -> dict[str, str]:
    """File name -> JSON Schema text of every protocol model (as stored in `schemas/`)."""
    return {name: json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
            for name, model in SCHEMA_FILES.items()}


def write_schemas(directory: Path) -> None:
    """Regenerate the protocol schemas in `directory`."""
    for name, text in schema_documents().items():
        (directory / name).write_text(text)


if __name__ == "__main__":
    write_schemas(Path(__file__).resolve().parent.parent / "schemas")
