"""`tasker FILE [flags]`: the command-line entry point.

    load the execution types (they give the -t choices)
    parse the CLI  (usage error -> 2; --help / --version -> 0)
    read the task file (unreadable -> 1, on stderr)
    read its argument header (CLI-only flag -> 20, single-dash long flag -> 2)
    merge file and CLI; --show-effective-args prints and exits 0
    print the preamble, then hand over to the Pipeline (parse, validate, run, report)

Nothing escapes as a traceback: an unexpected exception is one `ERROR:` line and exit 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasker.errors import ExecConfigError, TaskerError, TaskFileReadError, UsageError
from tasker.report.console import safe_print


def main(argv: Sequence[str] | None = None) -> int:
    """Run tasker with `argv` (default `sys.argv[1:]`); returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(args, os.environ)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        _stderr(f"ERROR: internal error: {type(exc).__name__}: {exc}")
        return 1


def _main(args: list[str], env: Mapping[str, str]) -> int:
    if args and args[0] in SUBCOMMANDS:  # a task file named so is run as ./journal
        return SUBCOMMANDS[args[0]](args[1:])
    from tasker.cli import options as opts
    from tasker.cli.startup import import_pydantic

    import_pydantic()
    config, config_error = _load_config(env)
    try:
        cli = opts.parse_cli(args, config.type_names())
    except UsageError as exc:
        return _usage_error(exc)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    task_file = cli.pop("task_file")
    try:
        text = read_task_file(task_file)
        file_tokens = _file_tokens(text, task_file)
        merged = opts.merge(opts.parse_file_tokens(file_tokens, config.type_names(), task_file),
                            cli)
    except UsageError as exc:
        return _usage_error(exc)
    except TaskerError as exc:
        _stderr(f"ERROR: {exc}")
        return exc.exit_code
    if merged["show_effective_args"]:
        return _show_effective_args(task_file, file_tokens, merged)
    options = opts.make_options(task_file, merged, env, file_args=file_tokens, cli_args=args)
    options = _print_preamble(options, merged)
    from tasker.cli.pipeline import Pipeline

    return Pipeline(options, config, config_error, text, env).run()


def _journal_command(argv: list[str]) -> int:
    from tasker.journal.audit import main as journal_main

    return journal_main(argv)


def _report_command(argv: list[str]) -> int:
    from tasker.journal.html_report import main as report_main

    return report_main(argv)


# `tasker journal verify|show|replay|export PATH`, `tasker report PATH -o FILE.html`
SUBCOMMANDS = {"journal": _journal_command, "report": _report_command}


def _load_config(env: Mapping[str, str]) -> tuple[Any, ExecConfigError | None]:
    """The execution types, or only `local` and the error that stops the run.

    A config file found by the lookup that cannot be used leaves only `local`, with a
    warning on stderr naming file, line and problem (REFERENCE §6): local-only task files
    still run, and a task of another type fails validation naming the type. A file named by
    TASKER_EXEC_CONFIG was asked for: its failure stops the run (exit 20).
    """
    from tasker.execconfig import CONFIG_ENV, ExecConfig, load_exec_config

    try:
        return load_exec_config(env, Path.cwd()), None
    except ExecConfigError as exc:
        if env.get(CONFIG_ENV):
            return ExecConfig(), exc
        _stderr(f"WARNING: {exc} - only exec=local is available")
        return ExecConfig(), None


def read_task_file(task_file: str) -> str:
    """The task file's text (UTF-8, line endings kept); raises TaskFileReadError."""
    try:
        with open(task_file, "rb") as handle:
            return handle.read().decode("utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise TaskFileReadError(f"Failed to read task file '{task_file}': {reason}") from exc
    except UnicodeDecodeError as exc:
        raise TaskFileReadError(
            f"Failed to read task file '{task_file}': not UTF-8 text "
            f"(byte {exc.start}: {exc.reason})") from exc


def _file_tokens(text: str, task_file: str) -> list[str]:
    from tasker.cli.fileargs import dropped_warning, read_file_args

    file_args = read_file_args(text, task_file)
    for arg, _reason in file_args.dropped:
        for line in dropped_warning(arg, task_file):
            safe_print(line)
    return file_args.tokens()


def _show_effective_args(task_file: str, file_tokens: list[str],
                         merged: Mapping[str, Any]) -> int:
    from tasker.cli.effective_args import effective_args_lines

    for line in effective_args_lines(task_file, file_tokens, merged):
        safe_print(line)
    return 0


def _print_preamble(options: Any, merged: Mapping[str, Any]) -> Any:
    """REFERENCE §1.5 lines (stdout, before the banner); returns options with the alert checked."""
    from dataclasses import replace

    for line in preamble_lines(options, explicit_auto_recovery=merged["auto_recovery"]):
        safe_print(line)
    if options.alert_on_failure:
        from tasker.report.alert import check_alert_script

        script, warning = check_alert_script(options.alert_on_failure)
        if warning:
            safe_print(warning)
        options = replace(options, alert_on_failure=script)
    return options


def preamble_lines(options: Any, explicit_auto_recovery: bool) -> list[str]:
    """The start-up warnings and notices for the given options (pure)."""
    lines = []
    skips = (("skip_task_validation", "task validation can lead to invalid workflows"),
             ("skip_host_validation", "host validation can lead to unreachable hosts"),
             ("skip_command_validation", "command validation can lead to missing commands"),
             ("skip_security_validation", "security validation can allow unsafe commands"))
    for name, text in skips:
        if getattr(options, name):
            lines.append(f"WARNING: Skipping {text}!")
    if options.fire_and_forget:
        lines.append("WARNING: Fire-and-forget mode enabled - failed tasks will NOT stop "
                     "execution!")
    if options.force_instance and not options.instance_check:
        lines.append("WARNING: --force-instance has no effect without --instance-check")
    if options.output_json:
        if not explicit_auto_recovery:
            lines.append("INFO: --auto-recovery automatically enabled (required by "
                         "--output-json)")
        lines.append(f"INFO: JSON output will be saved to: {options.output_json}")
    return lines


def _usage_error(exc: UsageError) -> int:
    if exc.location.file:  # a malformed line of the file header
        _stderr(f"ERROR: {exc}")
        return 2
    usage = exc.context.get("usage")
    if usage:
        _stderr(str(usage).rstrip("\n"))
    where = exc.location.prefix()
    message = f"{where}: {exc.message}" if where else exc.message
    _stderr(f"tasker: error: {message}")
    return 2


def _stderr(text: str) -> None:
    safe_print(text, sys.stderr)
