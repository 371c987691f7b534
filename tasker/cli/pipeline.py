"""The run pipeline after the options are known (REFERENCE §5.1, adapted).

    banner, log file, backup (real runs)
    --show-recovery-info            -> print, exit 0
    parse                           -> TaskFileError 20 / NoTasksError 24
    task validation (unless skipped)-> ValidationFailed 20
    --show-plan prompt              -> cancelled: exit 0
    --start-from check              -> StartFromError 12
    host validation (unless skipped)-> HostValidationError 21/60/61, ExecConfigError 20
    --validate-only                 -> exit 0
    run_workflow                    -> RunOutcome
    summary row, end banner, alert  -> exit code

A failure before any task runs prints its error, writes the summary row (Task_ID -1 and the
phase name), the JSON document when `--output-json` is set, runs the alert and exits with
the error's code (`tasker.errors.exit_code_for`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tasker.cli.interrupts import Interrupted, signals_raise
from tasker.cli.options import Options, run_timestamp
from tasker.errors import (
    ExecConfigError,
    HostValidationError,
    InstanceLockedError,
    NoTasksError,
    StartFromError,
    TaskerError,
    ValidationFailed,
    exit_code_for,
)
from tasker.report.console import RunLog, log_file_path, safe_print

REASONS = {
    "exec_config": "Execution type configuration invalid",
    "task_file_parsing": "Task file parsing failed",
    "env_var_validation": "Environment variable validation failed",
    "task_validation": "Task file validation failed",
    "start_from_validation": "Start task not found",
    "host_validation": "Host validation failed",
    "execution": "Execution failed",
}


class Pipeline:
    """One tasker run from parsing to the final report; `run()` returns the exit code."""

    def __init__(self, options: Options, config: Any, config_error: ExecConfigError | None,
                 text: str, env: Mapping[str, str]):
        self.options = options
        self.config = config
        self.config_error = config_error
        self.text = text
        self.env = env
        self.started = time.time()
        self.stamp = run_timestamp(self.started)
        self.log = RunLog(options.log_level)
        self.phase = "exec_config"
        self.wf: Any = None
        self.launcher: Any = None  # tasker.shim_launcher once a real run pre-starts one
        self.summary_written = False

    def run(self) -> int:
        """Run every step; an unexpected exception is one ERROR line and exit 1."""
        try:
            return self._run()
        except Exception as exc:
            return self._crash(exc)
        finally:
            if self.launcher is not None:
                self.launcher.discard_prestarted()

    def _run(self) -> int:
        opts = self.options
        if opts.run and not (opts.validate_only or opts.show_recovery_info):
            from tasker import shim_launcher

            self.launcher = shim_launcher
            shim_launcher.prestart(Path(opts.base_dir))  # spares start while we validate
        self._start()
        if self.launcher is not None:
            self.log.debug(self.launcher.prestarted_note())
        if self.options.show_recovery_info:
            return self._show_recovery_info()
        try:
            with signals_raise():
                wf = self._prepare()
        except TaskerError as exc:
            return self._fail(exc)
        except Interrupted as interrupt:
            return self._interrupted(interrupt)
        if wf is None:
            return 0
        if self.options.validate_only:
            self.log.info("# All validations completed successfully")
            return 0
        return self._execute(wf)

    # ------------------------------------------------------------------ start-up
    def _start(self) -> None:
        opts = self.options
        if opts.run:
            self.log.open_file(log_file_path(opts.base_dir, opts.task_file, self.stamp))
        stamp = time.strftime("%d%b%y_%H%M%S", time.localtime(self.started))
        self.log.info(f"=== Task Execution Start: {stamp} ===")
        self.log.info(f"# Task file: {opts.task_file}")
        self.log.info(f"# Log level: {opts.log_level}")
        if not opts.run:
            self.log.info("# Dry run mode")
        source = self.config.source or "none found (only exec=local is available)"
        self.log.debug(f"Execution types configuration: {source}")
        if opts.run and not opts.no_task_backup:
            from tasker.report.backup import backup_task_file

            backup_task_file(Path(opts.task_file), opts.base_dir, self.stamp, self.log)

    def _show_recovery_info(self) -> int:
        from tasker.cli.recovery_info import recovery_info_lines

        for line in recovery_info_lines(self.options.task_file, self.options.base_dir,
                                        self.text):
            safe_print(line)
        return 0

    # ------------------------------------------------------------------ checks
    def _prepare(self) -> Any:
        """Parse and validate; None when the user cancelled at the plan prompt."""
        if self.config_error is not None:
            raise self.config_error
        wf = self._parse()
        self._validate(wf)
        if self.options.show_plan and not self._confirm_plan(wf):
            return None
        self._check_start_from(wf)
        self._dependency_warnings(wf)
        return self._validate_hosts(wf)

    def _parse(self) -> Any:
        from tasker.taskfile.parser import ParseOptions, parse_workflow

        self.phase = "task_file_parsing"
        opts = self.options
        self.log.info(f"# Parsing global variables from '{opts.task_file}'")
        notes: list[str] = []
        parse_options = ParseOptions(env=self.env, strict_env=opts.strict_env_validation,
                                     skip_security=opts.skip_security_validation,
                                     skip_task_validation=opts.skip_task_validation,
                                     notes=notes)
        try:
            wf = parse_workflow(self.text, opts.task_file, parse_options)
        finally:
            for note in notes:  # lines read up to a parse error included
                self.log.debug(note)
        for task in wf.tasks.values():  # REFERENCE §2.3
            for key in task.unknown_fields:
                self.log.debug(f"Task {task.id}: Ignoring unknown task field '{key}'")
        self.wf = wf
        if self.launcher is not None:  # size the pre-started launcher's pool
            from tasker.runner import spare_count

            self.launcher.grow_prestarted(spare_count(wf))
        self.log.info(f"# Found {len(wf.globals)} global variables")
        self.log.info(f"# Successfully parsed {len(wf.task_ids())} valid tasks from "
                      f"'{opts.task_file}'")
        return wf

    def _validate(self, wf: Any) -> None:
        from tasker.cli.validation_options import validation_options
        from tasker.validation import validate_workflow

        self.phase = "task_validation"
        if self.options.skip_task_validation:
            return
        self.log.info(f"# Validating task file: {self.options.task_file}")
        report = validate_workflow(wf, validation_options(self.options, self.config))
        for finding in report.warnings:
            self.log.debug(f"# WARNING: {finding}")
        if report.warnings:
            self.options = replace(self.options, validation_warnings=tuple(
                str(finding) for finding in report.warnings))
        if report.errors:
            self.log.info("# Task validation FAILED.")
            for finding in report.errors:
                self.log.error(str(finding))
            raise ValidationFailed(list(report.errors))
        self.log.info("# Task validation passed successfully.")

    def _dependency_warnings(self, wf: Any) -> None:
        """REFERENCE §5.1 step 9: forward references in conditions and arguments (non-fatal;
        skipped with the task validation)."""
        if self.options.skip_task_validation:
            return
        from tasker.validation.findings import written_tasks
        from tasker.validation.references import dependency_issues

        issues = dependency_issues(written_tasks(wf), wf)
        if issues:
            self.log.info("# WARNING: Task dependency issues detected:")
            for issue in issues:
                self.log.info(f"#   {issue}")

    def _confirm_plan(self, wf: Any) -> bool:
        from tasker.report.plan import CANCELLED, confirm, plan_lines

        for line in plan_lines(wf, self.options.start_from):
            safe_print(line)
        if confirm(sys.stdin, sys.stdout):
            return True
        safe_print(CANCELLED)
        return False

    def _check_start_from(self, wf: Any) -> None:
        self.phase = "start_from_validation"
        start = self.options.start_from
        if start is None:
            return
        ids = wf.task_ids()
        if start not in wf.tasks:
            self.log.error(f"Start task {start} not found")
            self.log.info(f"Available task IDs: {ids}")
            raise StartFromError(f"Start task {start} not found")
        skipped = [tid for tid in ids if tid < start]
        self.log.info(f"# Start-from validation passed: starting from Task {start}")
        if skipped:
            self.log.info(f"# Skipped tasks: {skipped}")
            self.log.warn(f"Starting from Task {start}: result variables (@N_stdout@ ...) of "
                          f"the skipped tasks {skipped} stay unresolved")

    def _validate_hosts(self, wf: Any) -> Any:
        self.phase = "host_validation"
        if self.options.skip_host_validation:
            return wf
        from tasker.validation.hosts import validate_hosts

        validated = validate_hosts(wf, self.config, self.options, self.log)
        return apply_validated_hosts(wf, validated)

    # ------------------------------------------------------------------ outcome
    def _execute(self, wf: Any) -> int:
        from tasker.cli.startup import collector_on
        from tasker.runner import run_workflow

        collector_on()
        self.phase = "execution"
        try:
            with self._instance_lock(wf):
                outcome = run_workflow(wf, self.options, self.config, self.log)
        except TaskerError as exc:
            return self._fail(exc)
        command = outcome.last_command
        if outcome.signal_name:
            command = f"{command} [GRACEFUL_SHUTDOWN_{outcome.signal_name}]"
        self._summary(outcome.exit_code, outcome.last_task, outcome.last_hostname, command)
        self._end_banner()
        self._alert(outcome.exit_code, outcome.reason, outcome.last_task)
        self.log.close()
        return outcome.exit_code

    def _instance_lock(self, wf: Any) -> contextlib.AbstractContextManager[Any]:
        """TASKER's hash lock (file content + globals) when `--instance-check` is given."""
        if not self.options.instance_check:
            return contextlib.nullcontext()
        from tasker.instance import InstanceLock, instance_hash

        digest = instance_hash(self.text.encode("utf-8", "surrogateescape"), wf.global_values())
        return InstanceLock(Path.home(), self.options.task_file, digest, self.options.project,
                            wf.global_values(), self.log, force=self.options.force_instance)

    def _fail(self, exc: TaskerError) -> int:
        code = exit_code_for(exc)
        phase = self._phase_of(exc)
        self._report_error(exc)
        self._summary(code, -1, "localhost", phase)
        self._write_json(code, REASONS[phase])
        self._end_banner()
        if not isinstance(exc, InstanceLockedError):
            self._alert(code, REASONS[phase], None)
        self.log.close()
        return code

    def _interrupted(self, interrupt: Interrupted) -> int:
        code, name = interrupt.exit_code, interrupt.name
        self.log.warn(f"Received {name}, initiating graceful shutdown...")
        self._summary(code, -1, "localhost", f"{self.phase} [GRACEFUL_SHUTDOWN_{name}]")
        self._write_json(code, f"Interrupted by {name}")
        self._end_banner()
        self._alert(code, f"Interrupted by {name}", None)
        self.log.close()
        return code

    def _crash(self, exc: Exception) -> int:
        state = None
        with contextlib.suppress(Exception):
            state = self._state_file()
        where = f" (journal: {state})" if state else ""
        self.log.error(f"internal error: {type(exc).__name__}: {exc}{where}")
        with contextlib.suppress(Exception):
            self._summary(1, -1, "localhost", "internal_error")
            self._alert(1, "Internal error", None)
        self.log.close()
        return 1

    def _phase_of(self, exc: TaskerError) -> str:
        if self.phase == "task_file_parsing" and "nvironment variable" in exc.message:
            return "env_var_validation"
        return self.phase

    def _report_error(self, exc: TaskerError) -> None:
        if isinstance(exc, ValidationFailed | StartFromError) or (
                isinstance(exc, HostValidationError) and exc.failures):
            return  # their lines are printed already (REFERENCE §7.4's two for hosts)
        if isinstance(exc, NoTasksError):  # REFERENCE §8.2: the globals were parsed first
            self.log.info(f"# Found {exc.globals_found} global variables")
            self.log.warn("No valid tasks found. Exiting.")
        else:
            for line in str(exc).splitlines():
                self.log.error(line)

    def _summary(self, code: int, task: int | None, host: str | None, command: str) -> None:
        opts = self.options
        if not opts.project or self.summary_written:
            return
        self.summary_written = True
        from tasker.report.summary import SummaryRow, append_row, lock_wait, summary_path

        log_path = str(self.log.log_path) if self.log.log_path else None
        row = SummaryRow(code, opts.task_file, task, host, command, log_path)
        path = summary_path(opts.base_dir, opts.project)
        try:
            append_row(path, row, lock_wait(self.env))
        except OSError as exc:
            self.log.warn(f"Project summary not written to {path}: {exc}")

    def _write_json(self, code: int, reason: str) -> None:
        if not self.options.output_json:
            return
        try:
            from tasker.report.output_json import write_preexecution_json

            log_path = getattr(self.log, "log_path", None)
            write_preexecution_json(self.options.output_json, self.options.task_file, code,
                                    reason, self.wf,
                                    log_file=str(log_path) if log_path else None)
        except (ImportError, OSError) as exc:
            self.log.warn(f"JSON output not written to {self.options.output_json}: {exc}")
            return
        self.log.info(f"# Workflow output written to: {self.options.output_json}")

    def _end_banner(self) -> None:
        if not self.options.run:
            return
        if self.log.log_path:
            self.log.always(f"# Log file: {self.log.log_path}")
        if self.options.project:
            from tasker.report.summary import summary_path

            self.log.always(f"# Project file: "
                            f"{summary_path(self.options.base_dir, self.options.project)}")
        stamp = time.strftime("%d%b%y_%H%M%S")
        self.log.always(f"=== Task Execution End: {stamp} ===")

    def _alert(self, code: int, reason: str, task: int | None) -> None:
        script = self.options.alert_on_failure
        if not script or code == 0:
            return
        from tasker.report.alert import AlertInfo, run_alert

        info = AlertInfo(code, reason, task, self.options.task_file,
                         str(self.log.log_path) if self.log.log_path else None,
                         self._state_file())
        run_alert(script, info, self.log, self.env, dry_run=not self.options.run)

    def _state_file(self) -> str | None:
        from tasker.journal.paths import journal_paths

        paths = journal_paths(self.options.base_dir, self.options.task_file)
        for path in (paths.recovery_json, paths.journal):
            if path.is_file():
                return str(path)
        return None


def apply_validated_hosts(wf: Any, validated: Mapping[str, str]) -> Any:
    """`wf` with each hostname replaced by its validated name (FQDN) where they differ."""
    changed = {tid: task.model_copy(update={"hostname": validated[task.hostname]})
               for tid, task in wf.tasks.items()
               if task.hostname in validated and validated[task.hostname] != task.hostname}
    if not changed:
        return wf
    return wf.model_copy(update={"tasks": {**wf.tasks, **changed}})
