"""`tasker journal verify|show|export PATH`: audit a journal at the framing level.

- ``verify PATH``: frame, length, CRC, sequence and hash chain of every record, then legal
  state transitions (when `tasker.engine.states` is available). Prints ``OK: ...`` and exits 0,
  or ``BROKEN: record N (byte offset O): reason`` and exits 1.
- ``show PATH``: one line per record: local time, record number, type, key fields.
- ``export PATH [-o FILE]``: a JSON array of the payloads, to stdout or FILE.
- ``replay PATH [--task-file F]``: re-derive every decision with the engine's `decide` and
  report the first divergence (`tasker.journal.replay`); 0 when all agree, else 1.

`show` and `export` print what is readable of a damaged journal, then say where it breaks on
stderr and exit 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from typing import Any

from tasker.errors import TaskerError, exit_code_for
from tasker.journal.paths import atomic_write_bytes
from tasker.journal.reader import JournalContents, JournalRecord, scan_journal
from tasker.journal.transitions import check_transitions, load_states

TIME_KEYS = ("at", "time", "ts", "timestamp", "created_at")
FIELD_WIDTH = 60


def main(argv: list[str]) -> int:
    """Run one journal subcommand; return the process exit code (never raises)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage or help
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except TaskerError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except BrokenPipeError:  # `tasker journal show J | head`: the reader has all it wanted
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tasker journal", description="Audit a tasker journal.")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="check framing, CRC, hash chain and transitions")
    verify.add_argument("path")
    verify.set_defaults(func=verify_command)
    show = sub.add_parser("show", help="print a readable timeline")
    show.add_argument("path")
    show.set_defaults(func=show_command)
    export = sub.add_parser("export", help="print the records as a JSON array")
    export.add_argument("path")
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    export.set_defaults(func=export_command)
    replay = sub.add_parser("replay", help="re-derive every decision and compare")
    replay.add_argument("path")
    replay.add_argument("--task-file", help="the task file (default: the one in the header)")
    replay.set_defaults(func=replay_command)
    return parser


def verify_command(args: argparse.Namespace) -> int:
    """``journal verify``: print OK or where the journal breaks; 0 when intact, else 1."""
    contents = scan_journal(args.path)
    problem = _framing_problem(contents)
    if problem is None:
        problem = _transition_problem(contents)
    if problem is not None:
        print(f"BROKEN: {args.path}: {problem}")
        return 1
    print(f"OK: {args.path}: {len(contents.records)} records, {contents.size} bytes, "
          f"chain head {contents.chain_head}")
    return 0


def _framing_problem(contents: JournalContents) -> str | None:
    if contents.damage is not None:
        return contents.damage.describe()
    if contents.torn is not None:
        torn = contents.torn
        return f"record {torn.record} (byte offset {torn.offset}): torn: {torn.reason}"
    if not contents.records:
        return "record 0 (byte offset 0): empty journal, no header record"
    return None


def _transition_problem(contents: JournalContents) -> str | None:
    states = load_states()
    if states is None:
        print("note: tasker.engine.states is not available; state transitions not checked")
        return None
    found = check_transitions(contents.records, states)
    if found is None:
        return None
    return f"record {found.record} (byte offset {found.offset}): illegal transition: " \
           f"{found.reason}"


def replay_command(args: argparse.Namespace) -> int:
    """``journal replay``: the same decisions again, or the first record where they differ."""
    from tasker.journal.replay import load_workflow, replay

    contents = scan_journal(args.path)
    problem = _framing_problem(contents)
    if problem is not None and contents.torn is None:
        print(f"BROKEN: {args.path}: {problem}")
        return 1
    try:
        wf = load_workflow(contents, args.task_file)
    except ValueError as exc:
        print(f"ERROR: {args.path}: {exc}", file=sys.stderr)
        return 1
    problem = _transition_problem(contents)
    if problem is not None:  # what `verify` reports: a damaged journal, not an internal error
        print(f"BROKEN: {args.path}: {problem}")
        return 1
    report = replay(contents, wf)
    if report.divergence is not None:
        print(f"DIVERGED: {args.path}: {report.divergence}")
        return 1
    ending = "run finished" if report.finished else "run unfinished (no run_finished record)"
    print(f"OK: {args.path}: {report.decisions} decisions re-derived, all agree; {ending}")
    return 0


def show_command(args: argparse.Namespace) -> int:
    """``journal show``: a readable timeline of the records."""
    contents = scan_journal(args.path)
    for record in contents.records:
        print(format_record(record))
    return _report_unreadable(contents)


def export_command(args: argparse.Namespace) -> int:
    """``journal export``: the payloads as one JSON array."""
    contents = scan_journal(args.path)
    text = json.dumps(contents.payloads(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        atomic_write_bytes(args.output, text.encode("utf-8"), mode=0o644)
    else:
        sys.stdout.write(text)
    return _report_unreadable(contents)


def _report_unreadable(contents: JournalContents) -> int:
    problem = _framing_problem(contents)
    if problem is None:
        return 0
    print(f"ERROR: {contents.path}: journal unreadable from {problem}", file=sys.stderr)
    return 1


def format_record(record: JournalRecord) -> str:
    """``<time> <seq> <type> key=value ...`` for one record."""
    payload = record.payload
    fields = " ".join(f"{k}={_short(v)}" for k, v in sorted(payload.items())
                      if k not in ("type", "at"))
    return f"{format_time(payload)} {record.seq:>6} {record.type:<18} {fields}".rstrip()


def format_time(payload: dict[str, Any]) -> str:
    """The record's time as local ``YYYY-mm-dd HH:MM:SS.mmm``, or dashes when it has none."""
    for key in TIME_KEYS:
        moment = to_datetime(payload.get(key))
        if moment is not None:
            return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return "-" * 23


def to_datetime(value: Any) -> datetime | None:
    """Local datetime of an epoch number or ISO-8601 string; None for anything else."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return datetime.fromtimestamp(value)
        if isinstance(value, str) and value:
            return datetime.fromisoformat(value).astimezone()
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           separators=(",", ":"))
    if isinstance(value, str) and (not text or " " in text):
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= FIELD_WIDTH else text[:FIELD_WIDTH - 3] + "..."
