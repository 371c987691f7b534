"""`tasker report PATH -o FILE.html`: a run drawn as a timeline, one bar per attempt.

The page is self-contained HTML with inline SVG and CSS (no script, no network). Bars come from
attempt records, read through `AttemptFields` (each field is a list of candidate keys, the
first present wins):

- start records (``attempt_intent``, ``attempt_spawned``) and finish records
  (``attempt_finished``) are matched by (parent, task, attempt);
- ``task``: ``task_id`` or ``task``; ``attempt``: ``attempt``; ``parent``: ``parent``;
- ``started_at``: ``started_at`` of the finish record, else ``started_at``/``at`` of the
  earliest start record; ``ended_at``: ``ended_at``/``at`` of the finish record;
- ``outcome``: ``outcome`` of the finish record (an attempt with no finish record is drawn up
  to the journal's last time as ``running``); ``label``: ``display``, else ``Task N#attempt``.

Times are epoch seconds or ISO-8601 strings. Colour is by outcome.
"""

from __future__ import annotations

import argparse
import html
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tasker.errors import TaskerError, exit_code_for
from tasker.journal.audit import to_datetime
from tasker.journal.paths import atomic_write_bytes
from tasker.journal.reader import scan_journal

COLOURS = {"success": "#2e9d3e", "failed": "#d64541", "timeout": "#e8a33d",
           "cannot_start": "#8e44ad", "interrupted": "#7f8c8d", "skipped": "#bdc3c7",
           "running": "#3498db"}
OTHER_COLOUR = "#95a5a6"
WIDTH, LEFT, ROW, TOP = 1100, 190, 20, 40


@dataclass(frozen=True)
class AttemptFields:
    """Which record types and payload keys describe an attempt (see the module docstring)."""

    start_types: tuple[str, ...] = ("attempt_intent", "attempt_spawned")
    finish_types: tuple[str, ...] = ("attempt_finished",)
    task: tuple[str, ...] = ("task_id", "task")
    attempt: tuple[str, ...] = ("attempt",)
    parent: tuple[str, ...] = ("parent",)
    started_at: tuple[str, ...] = ("started_at", "at")
    ended_at: tuple[str, ...] = ("ended_at", "at")
    outcome: tuple[str, ...] = ("outcome",)
    label: tuple[str, ...] = ("display",)


@dataclass
class Bar:
    """One attempt on the time axis (times in epoch seconds)."""

    label: str
    start: float
    end: float | None = None
    outcome: str = "running"
    details: dict[str, Any] = field(default_factory=dict)


def _pick(payload: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((payload[k] for k in keys if payload.get(k) is not None), None)


def _epoch(payload: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        moment = to_datetime(payload.get(key))
        if moment is not None:
            return moment.timestamp()
    return None


def collect_bars(payloads: list[dict[str, Any]], fields: AttemptFields | None = None) -> list[Bar]:
    """The attempts found in `payloads`, ordered by start time (pure)."""
    fields = fields or AttemptFields()
    bars: dict[tuple[Any, ...], Bar] = {}
    last_time = max((t for p in payloads if (t := _epoch(p, ("at",))) is not None), default=None)
    for payload in payloads:
        key = tuple(_pick(payload, k) for k in (fields.parent, fields.task, fields.attempt))
        if payload.get("type") in fields.start_types:
            _start(bars, key, payload, fields)
        elif payload.get("type") in fields.finish_types:
            _finish(bars, key, payload, fields)
    for bar in bars.values():
        bar.end = bar.end if bar.end is not None else (last_time or bar.start)
    return sorted(bars.values(), key=lambda b: b.start)


def _label(payload: dict[str, Any], key: tuple[Any, ...], fields: AttemptFields) -> str:
    label = _pick(payload, fields.label)
    return str(label) if label is not None else f"Task {key[1]}#{key[2]}"


def _start(bars: dict, key: tuple[Any, ...], payload: dict[str, Any],
           fields: AttemptFields) -> None:
    start = _epoch(payload, fields.started_at)
    if key not in bars and start is not None:
        bars[key] = Bar(label=_label(payload, key, fields), start=start)


def _finish(bars: dict, key: tuple[Any, ...], payload: dict[str, Any],
            fields: AttemptFields) -> None:
    start = _epoch(payload, fields.started_at[:1])
    end = _epoch(payload, fields.ended_at)
    bar = bars.get(key)
    if bar is None:
        if start is None and end is None:
            return
        bar = bars[key] = Bar(label=_label(payload, key, fields), start=start or end or 0.0)
    if start is not None:
        bar.start = start
    bar.end = end if end is not None else bar.start
    bar.outcome = str(_pick(payload, fields.outcome) or "finished")


def render_html(bars: list[Bar], title: str) -> str:
    """The whole HTML page for these bars."""
    svg = _svg(bars) if bars else "<p>No attempt records in this journal.</p>"
    if bars:
        began = datetime.fromtimestamp(min(b.start for b in bars)).strftime("%Y-%m-%d %H:%M:%S")
        svg = f"<p>{len(bars)} attempts, first started {began}</p>{svg}"
    legend = "".join(f'<span class="key"><i style="background:{c}"></i>{html.escape(o)}</span>'
                     for o, c in COLOURS.items())
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>body{{font:13px sans-serif;margin:16px}}"
        ".key{margin-right:12px}.key i{display:inline-block;width:12px;height:12px;"
        "margin-right:4px;vertical-align:middle}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{legend}</p>{svg}</body></html>\n"
    )


def _svg(bars: list[Bar]) -> str:
    origin = min(b.start for b in bars)
    span = max(max((b.end or b.start) for b in bars) - origin, 1e-3)
    scale = (WIDTH - LEFT - 40) / span
    height = TOP + ROW * len(bars) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}">']
    parts += _axis(span, scale, height)
    for row, bar in enumerate(bars):
        parts.append(_bar_svg(bar, row, origin, scale))
    parts.append("</svg>")
    return "\n".join(parts)


def _axis(span: float, scale: float, height: int) -> list[str]:
    parts = []
    for i in range(7):
        x = LEFT + span * i / 6 * scale
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{height}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{TOP - 12}" font-size="11" text-anchor="middle">'
                     f"+{span * i / 6:.2f}s</text>")
    return parts


def _bar_svg(bar: Bar, row: int, origin: float, scale: float) -> str:
    y = TOP + row * ROW
    x = LEFT + (bar.start - origin) * scale
    duration = (bar.end or bar.start) - bar.start
    width = max(duration * scale, 2.0)
    colour = COLOURS.get(bar.outcome, OTHER_COLOUR)
    tip = html.escape(f"{bar.label}: {bar.outcome}, {duration:.3f}s")
    return (f'<text x="{LEFT - 6}" y="{y + 13}" font-size="12" text-anchor="end">'
            f"{html.escape(bar.label)}</text>"
            f'<rect x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="{ROW - 4}" '
            f'fill="{colour}"><title>{tip}</title></rect>')


def main(argv: list[str]) -> int:
    """``tasker report PATH -o FILE.html``; returns the exit code (1 if the journal is damaged)."""
    parser = argparse.ArgumentParser(prog="tasker report",
                                     description="Draw a journal as an HTML timeline.")
    parser.add_argument("path")
    parser.add_argument("-o", "--output", required=True, help="HTML file to write")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        contents = scan_journal(args.path)
    except TaskerError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    if not contents.records:
        print(f"ERROR: {args.path}: empty journal, no header record; no report written",
              file=sys.stderr)
        return 1
    header = contents.header or {}
    title = f"tasker run {header.get('run_id', '?')}: {header.get('task_file', args.path)}"
    page = render_html(collect_bars(contents.payloads()), title)
    try:
        atomic_write_bytes(args.output, page.encode("utf-8"), mode=0o644)
    except TaskerError as exc:  # the report file, not the journal: not exit 26
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if contents.damage is not None or contents.torn is not None:
        print(f"ERROR: {args.path}: journal damaged; report drawn from the readable records",
              file=sys.stderr)
        return 1
    return 0
