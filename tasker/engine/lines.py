"""Text of the engine's log lines (REFERENCE §8.2, SPEC C2/C3). Pure."""

from __future__ import annotations

from collections.abc import Iterable

from tasker.journal.masking import mask_text

PREVIEW_CHARS = 200


def preview(text: str, total: int | None = None) -> str:
    """A 200-char preview with newlines shown as `\\n`, plus `... (N chars total)` when cut.
    `total`: the size of the whole stream when `text` is only its head (spilled output)."""
    stripped = text.rstrip("\n")
    shown = stripped[:PREVIEW_CHARS].replace("\r", "\\r").replace("\n", "\\n")
    if len(stripped) > PREVIEW_CHARS:
        return f"{shown}... ({total or len(stripped)} chars total)"
    return shown


def command_line(argv: Iterable[str], secrets: Iterable[str]) -> str:
    """argv joined by spaces (quotes lost, as TASKER prints it), secrets masked."""
    return mask_text(" ".join(argv), tuple(secrets))


def result_lines(display: str, exit_code: int, stdout: str, stderr: str, *,
                 totals: tuple[int | None, int | None] = (None, None)) -> list[str]:
    """`Exit code`, `STDOUT` and `STDERR` lines of an attempt (empty streams omitted);
    `totals`: the whole size of a stream of which only the head is given (spilled)."""
    lines = [f"Task {display}: Exit code: {exit_code}"]
    if stdout.strip():
        lines.append(f"Task {display}: STDOUT: {preview(stdout, totals[0])}")
    if stderr.strip():
        lines.append(f"Task {display}: STDERR: {preview(stderr, totals[1])}")
    return lines
