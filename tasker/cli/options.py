"""Command-line options: the parser, the file/CLI merge and the `Options` value.

Precedence (REFERENCE §1.3): value options CLI > file header > default; boolean flags are
the OR of file and CLI; `task_file` only from the CLI. Environment defaults (§1.4):
`TASK_EXECUTOR_LOG` (base directory), `TASK_EXECUTOR_TYPE` (exec type),
`TASK_EXECUTOR_TIMEOUT` (last-resort timeout). SPEC D8 adds `-o/--timeout` and refuses
`-c/--connection-test`.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasker import __version__
from tasker.errors import UsageError
from tasker.sizes import parse_size

LOG_LEVELS = ("ERROR", "WARN", "INFO", "DEBUG")
MAX_TIMEOUT = 604800
VERSION_TEXT = f"TASKER v2.2.0 (tasker {__version__})"
CONNECTION_TEST_REFUSED = (
    "-c/--connection-test is not supported: connection tests are part of host validation "
    "and run for every remote exec type (use --skip-host-validation to skip them)")
_JSON_DEFAULT = ""  # `--output-json` given without a path

DEFAULTS: dict[str, Any] = {
    "run": False, "log_dir": None, "log_level": "INFO", "debug": False, "type": None,
    "project": None, "start_from": None, "auto_recovery": False, "show_recovery_info": False,
    "yes": False, "skip_task_validation": False, "skip_host_validation": False,
    "skip_unresolved_host_validation": False, "skip_command_validation": False,
    "skip_security_validation": False, "strict_env_validation": False,
    "skip_subtask_range_validation": False, "skip_validation": False, "validate_only": False,
    "fire_and_forget": False, "no_task_backup": False, "instance_check": False,
    "force_instance": False, "show_plan": False, "alert_on_failure": None,
    "output_json": None, "show_effective_args": False, "timeout": None,
    "memory_limit": None, "kill_grace": 5.0, "in_doubt": "rerun", "allow_changed": False,
    "keep_output": False,
}


@dataclass(frozen=True)
class Options:
    """Every flag after merging file header, CLI and environment (INTERFACES §7)."""

    task_file: str
    run: bool = False
    log_dir: str | None = None
    base_dir: Path = field(default_factory=lambda: Path.home() / "TASKER")
    log_level: str = "INFO"
    debug: bool = False
    type: str | None = None
    project: str | None = None
    start_from: int | None = None
    auto_recovery: bool = False
    show_recovery_info: bool = False
    yes: bool = False
    skip_task_validation: bool = False
    skip_host_validation: bool = False
    skip_unresolved_host_validation: bool = False
    skip_command_validation: bool = False
    skip_security_validation: bool = False
    strict_env_validation: bool = False
    skip_subtask_range_validation: bool = False
    skip_validation: bool = False
    validate_only: bool = False
    fire_and_forget: bool = False
    no_task_backup: bool = False
    instance_check: bool = False
    force_instance: bool = False
    show_plan: bool = False
    alert_on_failure: str | None = None
    output_json: str | None = None
    show_effective_args: bool = False
    timeout: int | None = None
    memory_limit: int | None = None
    kill_grace: float = 5.0
    in_doubt: str = "rerun"
    allow_changed: bool = False
    keep_output: bool = False
    env_timeout: int | None = None
    file_args: list[str] = field(default_factory=list)
    cli_args: list[str] = field(default_factory=list)
    validation_warnings: tuple[str, ...] = ()  # the validator's, for the JSON document


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, usage=self.format_usage())


class _Refused(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        parser.error(CONNECTION_TEST_REFUSED)


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _timeout_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r} (whole seconds)") from None
    if not 1 <= value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"timeout must be 1-{MAX_TIMEOUT} seconds: {value}")
    return value


def _path_arg(text: str) -> str:
    """A path or name used for files: a NUL byte can never be part of one."""
    if "\x00" in text:
        raise argparse.ArgumentTypeError(f"contains a NUL byte: {text!r}")
    return text


def _grace_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid grace period {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"grace period must be >= 0 seconds: {text[:40]}")
    return value


def build_parser(exec_types: list[str], *, for_file: bool = False) -> argparse.ArgumentParser:
    """The argparse parser; defaults are suppressed so only given options appear."""
    parser = _Parser(prog="tasker", argument_default=argparse.SUPPRESS,
                     allow_abbrev=not for_file,
                     description="Run a TASKER-format task file (dry run unless -r).")
    if not for_file:
        parser.add_argument("task_file", type=_path_arg, help="path to the task file")
        parser.add_argument("-V", "--version", action="version", version=VERSION_TEXT)
        parser.add_argument("-c", "--connection-test", action=_Refused, nargs=0,
                            help="refused: connection tests are part of host validation")
    _add_run_options(parser, exec_types)
    _add_validation_options(parser)
    _add_hardening_options(parser)
    return parser


def _flag(parser: argparse.ArgumentParser, *names: str, help: str) -> None:
    parser.add_argument(*names, action="store_true", help=help)


def _add_run_options(parser: argparse.ArgumentParser, exec_types: list[str]) -> None:
    _flag(parser, "-r", "--run", help="run for real (default: dry run)")
    parser.add_argument("-l", "--log-dir", type=_path_arg, metavar="DIR",
                        help="base directory (~/TASKER)")
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="verbosity (default INFO)")
    _flag(parser, "-d", "--debug", help="DEBUG level when the level is INFO")
    parser.add_argument("-t", "--type", choices=exec_types, type=str.lower,
                        help="exec type of tasks without exec=")
    parser.add_argument("-p", "--project", type=_path_arg, metavar="NAME",
                        help="append to a project summary")
    parser.add_argument("--start-from", type=int, metavar="ID", help="start at task ID")
    _flag(parser, "--auto-recovery", help="resume an unfinished run of this file")
    _flag(parser, "--show-recovery-info", help="print the recovery state and exit")
    _flag(parser, "-y", "--yes", help="answer recovery prompts automatically")
    _flag(parser, "--fire-and-forget", help="failed tasks without routing do not stop the run")
    _flag(parser, "--no-task-backup", help="do not back up the task file")
    _flag(parser, "--instance-check", help="refuse to run twice the same workflow")
    _flag(parser, "--force-instance", help="bypass the instance check")
    _flag(parser, "--show-plan", help="print the plan and ask before running")
    parser.add_argument("--alert-on-failure", type=_path_arg, metavar="SCRIPT",
                        help="run SCRIPT on failure")
    parser.add_argument("--output-json", nargs="?", const=_JSON_DEFAULT, type=_path_arg,
                        metavar="PATH",
                        help="write a JSON summary (default <base>/output/<stem>_<ts>.json)")
    _flag(parser, "--show-effective-args", help="print the merged arguments and exit")


def _add_validation_options(parser: argparse.ArgumentParser) -> None:
    _flag(parser, "--skip-task-validation", help="skip the task-file validator")
    _flag(parser, "--skip-host-validation", help="skip DNS, ping and connection tests")
    _flag(parser, "--skip-unresolved-host-validation", help="allow @VAR@ in hostnames")
    _flag(parser, "--skip-command-validation", help="skip command/binary existence checks")
    _flag(parser, "--skip-security-validation", help="skip the sanitizer (CLI only)")
    _flag(parser, "--strict-env-validation", help="globals may use only $TASKER_* variables")
    _flag(parser, "--skip-subtask-range-validation", help="no subtask-ID range warnings")
    _flag(parser, "--skip-validation", help="all four skips above (CLI only)")
    _flag(parser, "--validate-only", help="validate everything, then exit")


def _add_hardening_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--timeout", type=_timeout_arg, metavar="N",
                        help=f"default task timeout, seconds (1-{MAX_TIMEOUT})")
    parser.add_argument("--memory-limit", type=_size_arg, metavar="SIZE",
                        help="default memory cap per task, e.g. 512M or 2G")
    parser.add_argument("--kill-grace", type=_grace_arg, metavar="SECONDS",
                        help="seconds between SIGTERM and SIGKILL (default 5)")
    parser.add_argument("--in-doubt", choices=("rerun", "fail"),
                        help="resume: an attempt lost with its shim (default rerun)")
    _flag(parser, "--allow-changed", help="resume even if the task file changed")
    _flag(parser, "--keep-output", help="keep spilled output after a successful run")


def parse_cli(argv: list[str], exec_types: list[str]) -> dict[str, Any]:
    """The options given on the command line (UsageError on bad ones; help/version exit)."""
    return vars(build_parser(exec_types).parse_args(argv))


def parse_file_tokens(tokens: list[str], exec_types: list[str], source: str) -> dict[str, Any]:
    """The options of the file header; unknown flags are ignored, bad values UsageError."""
    parser = build_parser(exec_types, for_file=True)
    try:
        namespace, _unknown = parser.parse_known_args(tokens)
    except UsageError as exc:
        raise UsageError(f"in the header of {source}: {exc.message}", **exc.context) from exc
    return vars(namespace)


def merge(file_values: Mapping[str, Any], cli_values: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults < file < CLI; flags are True if set anywhere (REFERENCE §1.3)."""
    merged = {**DEFAULTS, **file_values, **cli_values}
    if cli_values.get("output_json") == _JSON_DEFAULT and file_values.get("output_json"):
        merged["output_json"] = file_values["output_json"]
    return merged


def parse_options(argv: list[str], env: Mapping[str, str], file_text: str | None,
                  exec_types: list[str]) -> Options:
    """Options from the CLI `argv` merged with the header of `file_text` and `env`."""
    from tasker.cli.fileargs import read_file_args

    cli_values = parse_cli(argv, exec_types)
    task_file = cli_values.pop("task_file")
    file_tokens: list[str] = []
    if file_text is not None:
        file_tokens = read_file_args(file_text, task_file).tokens()
    file_values = parse_file_tokens(file_tokens, exec_types, task_file)
    return make_options(task_file, merge(file_values, cli_values), env,
                        file_args=file_tokens, cli_args=list(argv))


def make_options(task_file: str, merged: Mapping[str, Any], env: Mapping[str, str], *,
                 file_args: list[str], cli_args: list[str],
                 now: float | None = None) -> Options:
    """Apply the environment defaults and the derived values to merged option values."""
    values = {k: v for k, v in merged.items() if k in DEFAULTS and k != "task_file"}
    base_dir = base_directory(values["log_dir"], env)
    skip_all = values["skip_validation"]
    for name in ("skip_task_validation", "skip_host_validation", "skip_command_validation",
                 "skip_security_validation"):
        values[name] = values[name] or skip_all
    if values["debug"] and values["log_level"] == "INFO":
        values["log_level"] = "DEBUG"
    values["type"] = values["type"] or (env.get("TASK_EXECUTOR_TYPE") or "").lower() or None
    values["output_json"] = _json_path(values["output_json"], task_file, base_dir, now)
    values["auto_recovery"] = values["auto_recovery"] or values["output_json"] is not None
    if values["alert_on_failure"]:
        values["alert_on_failure"] = absolute(values["alert_on_failure"])
    return Options(task_file=task_file, base_dir=base_dir, env_timeout=_env_int(
        env.get("TASK_EXECUTOR_TIMEOUT")), file_args=list(file_args), cli_args=list(cli_args),
        **values)


def base_directory(log_dir: str | None, env: Mapping[str, str]) -> Path:
    """`-l`, else `TASK_EXECUTOR_LOG`, else `~/TASKER` (HOME from `env`)."""
    chosen = log_dir or env.get("TASK_EXECUTOR_LOG")
    if chosen:
        return Path(absolute(chosen))
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / "TASKER"


def absolute(path: str) -> str:
    """`~` expanded, made absolute and normalised, symlinks NOT resolved."""
    return os.path.abspath(os.path.expanduser(path))  # noqa: PTH100, PTH111


def run_timestamp(now: float | None = None) -> str:
    """`YYYYmmdd_HHMMSS_ffffff`, the stamp of log, backup and JSON file names."""
    now = time.time() if now is None else now
    micros = round((now % 1) * 1_000_000) % 1_000_000
    return time.strftime("%Y%m%d_%H%M%S", time.localtime(now)) + f"_{micros:06d}"


def _json_path(value: str | None, task_file: str, base_dir: Path,
               now: float | None) -> str | None:
    if value is None:
        return None
    if value == _JSON_DEFAULT:
        from tasker.report.console import sanitize_stem

        name = f"{sanitize_stem(task_file)}_{run_timestamp(now)}.json"
        return str(base_dir / "output" / name)
    return absolute(value)


def _env_int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None
