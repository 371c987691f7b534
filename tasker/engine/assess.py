"""Judge one attempt's output: splits, success/failure, `next` and `loop_break` values. Pure.

The values computed here go into the `AttemptFinished` event, so routing (and `journal
replay`) never needs the output again (SPEC B2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tasker.conditions import OutputView
from tasker.engine.evaluation import (
    OutputInputs,
    Resolve,
    condition_value,
    next_spec,
    next_value,
    output_context,
)
from tasker.engine.lines import preview
from tasker.engine.results import StreamSummary
from tasker.model import TaskBase
from tasker.variables import apply_split


@dataclass(frozen=True)
class RawStream:
    """One stream as the shim reported it (or a short text for dry runs and skips)."""

    text: str
    head: str = ""
    bytes: int = 0
    lines: int = 0
    sha256: str = ""
    spilled: bool = False
    file: str | None = None
    matches: Mapping[str, bool] = field(default_factory=dict)


def text_stream(text: str) -> RawStream:
    """A short in-memory stream."""
    return RawStream(text=text, head=text[:102400], bytes=len(text.encode()),
                     lines=len(text.splitlines()))


def raw_stream(stream: object) -> RawStream:
    """Normalise a shim `StreamResult` (duck-typed)."""
    return RawStream(text=stream.text, head=stream.head, bytes=stream.bytes,
                     lines=stream.lines, sha256=stream.sha256, spilled=stream.spilled,
                     file=stream.file, matches=dict(stream.matches))


@dataclass(frozen=True)
class Assessment:
    """What an attempt's output means for its task."""

    stdout: StreamSummary
    stderr: StreamSummary
    success: bool
    next_value: bool | None
    loop_break: bool | None
    messages: tuple[tuple[str, str], ...]


Stored = Callable[[bool, StreamSummary, StreamSummary], Resolve]


def assess(task: TaskBase, exit_code: int, stdout: RawStream, stderr: RawStream, *,
           resolve: Resolve, display: str, stored: Stored | None = None) -> Assessment:
    """Apply splits, then evaluate success (or failure), `next` and `loop_break`.

    REFERENCE §5.3: success is judged before the result is stored, routing after it, so
    `@N_...@` of the task itself in `next` and `loop_break` reads this attempt: `stored`
    gives the substitution that sees it (from success and the split streams).
    """
    msgs: list[tuple[str, str]] = []
    out_view, out_summary = _split(stdout, task.stdout_split, "STDOUT", display, msgs)
    err_view, err_summary = _split(stderr, task.stderr_split, "STDERR", display, msgs)
    inputs = OutputInputs(exit_code, out_view, err_view)
    success = _success(task, inputs, resolve, display, msgs)
    spec = next_spec(task.next)
    routed = spec is not None and (spec.kind in ("condition", "success") or spec.condition)
    if stored is not None and (routed or task.loop_break):
        resolve = stored(success, out_summary, err_summary)
    ctx = output_context(inputs, resolve, success=success)
    value = None
    if routed:
        value = next_value(spec, ctx)
        msgs.append(("debug", f"Task {display}: Next condition '{spec.text}' evaluated "
                              f"to: {value}"))
    loop_break = condition_value(task.loop_break, ctx) if task.loop_break else None
    return Assessment(out_summary, err_summary, success, value, loop_break, tuple(msgs))


def summaries(task: TaskBase, stdout: RawStream,
              stderr: RawStream) -> tuple[StreamSummary, StreamSummary]:
    """The stored form of both streams (splits applied), as `assess` stores them."""
    msgs: list[tuple[str, str]] = []
    _view, out = _split(stdout, task.stdout_split, "STDOUT", "", msgs)
    _view, err = _split(stderr, task.stderr_split, "STDERR", "", msgs)
    return out, err


def _split(raw: RawStream, spec: str | None, label: str, display: str,
           msgs: list[tuple[str, str]]) -> tuple[OutputView, StreamSummary]:
    base = raw.head if raw.spilled else raw.text
    value = apply_split(base, spec) if spec else base
    if value != base:
        msgs.append(("info", f"Task {display}: Split {label}: {preview(value)}"))
        summary = StreamSummary(text=value, bytes=raw.bytes, sha256=raw.sha256)
        return OutputView(text=value), summary
    view = OutputView(text=raw.text, complete=not raw.spilled, total_bytes=raw.bytes,
                      line_count=raw.lines, matches=dict(raw.matches))
    summary = StreamSummary(text=base, bytes=raw.bytes, sha256=raw.sha256, file=raw.file,
                            truncated=raw.spilled)
    return view, summary


def _success(task: TaskBase, inputs: OutputInputs, resolve: Resolve, display: str,
             msgs: list[tuple[str, str]]) -> bool:
    ctx = output_context(inputs, resolve)
    if task.success:
        value = condition_value(task.success, ctx)
        msgs.append(("info", f"Task {display}: Success condition '{task.success}' "
                             f"evaluated to: {value}"))
        return value
    if task.failure:
        failed = condition_value(task.failure, ctx)
        msgs.append(("info", f"Task {display}: Failure condition '{task.failure}' "
                             f"evaluated to: {failed} -> success={not failed}"))
        return not failed
    return inputs.exit_code == 0
