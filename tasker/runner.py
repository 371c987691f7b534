"""The run loop: decide -> (journal) -> act -> fold, until the decision is to finish.

    WorkflowRunner.run():
        emit RunStarted
        repeat:
            a signal arrived?          -> emit RunInterrupted (decide then finishes 130/143)
            action = decide(wf, state) (pure; its log lines are printed here)
            Goto                       -> emit Routed
            RunAttempt / SkipTask      -> shim attempt (execute.run_attempt) / skipped result
            StoreReturn / MakeDecision -> store the result
            SleepAfter                 -> interruptible sleep, emit Slept
            RunBlock                   -> blocks.run_block (subtasks in worker threads)
            Finish                     -> emit RunFinished, stop
        remove spilled output after success (unless --keep-output), write the JSON document
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tasker.engine import actions as act
from tasker.engine import events as ev
from tasker.engine.context import Clock, RealClock, Recorder, RunContext, Sink
from tasker.engine.decide import DecideContext, decide
from tasker.engine.execute import AttemptPlan, run_attempt
from tasker.engine.outcome import RunOutcome
from tasker.engine.results import skipped_result, text_result
from tasker.engine.state import RunState
from tasker.errors import RunAbort
from tasker.journal.masking import secret_values
from tasker.journal.session import (
    JournalEnd,
    JournalSession,
    SessionSettings,
    new_run_id,
)
from tasker.report.backup import file_sha256
from tasker.report.output_json import new_execution_id, run_document, write_document
from tasker.report.progress import Progress, ProgressLog

SPILL_NAMES = ("stdout", "stderr")
MAX_SPARES = 64  # warm shims kept by the launcher at most (SPEC: max_parallel is capped at 100)


def run_workflow(wf: Any, options: Any, exec_config: Any, log: Any, shim: Any = None, *,
                 clock: Clock | None = None, env: dict[str, str] | None = None,
                 sinks: tuple[Sink, ...] = (), journal: bool | None = None) -> RunOutcome:
    """Run a validated workflow to its end; write the JSON document; return how it ended.

    A real run keeps a journal (`journal=None`: when the real shim is used; tests with a
    fake shim pass `journal=True` to get one) and resumes an unfinished one with
    `--auto-recovery`.
    """
    use_journal = bool(options.run) and (shim is None if journal is None else journal)
    session = open_session(wf, options, log) if use_journal else None
    runner = None
    try:
        runner = WorkflowRunner(wf, options, exec_config, log, clock=clock, env=env,
                                sinks=sinks, session=session)
        if shim is not None or not options.run:
            return runner.run(shim)
        from tasker.shim_client import ShimClient

        runner.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with ShimClient(runner.run_dir, spares=spare_count(wf), prestarted=True) as client:
            return runner.run(client)
    finally:
        if runner is not None:  # after an error: result.json durable before the last records
            with contextlib.suppress(Exception):
                runner.recorder.drain_barriers()
        if session is not None:
            session.abort()  # no-op after a normal finish; keeps the journal after an error


def spare_count(wf: Any) -> int:
    """How many warm shims the launcher keeps: the widest parallel block's concurrency
    (a burst of attempts then starts without waiting for forks), at least 2."""
    from tasker.engine.blocks import parallel_subtasks

    widths = [min(task.max_parallel, len(parallel_subtasks(wf, task)))
              for task in wf.tasks.values() if task.kind == "parallel"]
    return max(2, min(max(widths, default=0), MAX_SPARES))


def open_session(wf: Any, options: Any, log: Any) -> JournalSession:
    """Lock and open the task file's journal (fresh, or to resume with --auto-recovery)."""
    try:
        digest = file_sha256(options.task_file)
    except OSError as exc:  # run through the API on a workflow whose file is gone
        log.debug(f"Journal: task file {options.task_file} unreadable ({exc.strerror}); "
                  "its sha256 is not recorded")
        digest = ""
    settings = SessionSettings(base_dir=Path(options.base_dir), task_file=options.task_file,
                               task_sha256=digest, globals=wf.global_values(),
                               auto_recovery=bool(options.auto_recovery),
                               allow_changed=bool(options.allow_changed))
    return JournalSession.open(settings, info=log.info, debug=log.debug)


class WorkflowRunner:
    """One run of one workflow (see the module docstring for the loop)."""

    def __init__(self, wf: Any, options: Any, exec_config: Any, log: Any, *,
                 clock: Clock | None = None, env: dict[str, str] | None = None,
                 sinks: tuple[Sink, ...] = (), session: JournalSession | None = None):
        self.wf, self.options, self.exec_config = wf, options, exec_config
        self.session = session
        self.run_id = session.run_id if session is not None else new_run_id()
        self.run_dir = Path(options.base_dir) / "runs" / self.run_id
        self.progress = Progress(sys.stdout) if Progress.wanted(sys.stdout) else None
        self.log = ProgressLog(log, self.progress) if self.progress else log
        self.state = RunState()
        journal_sinks: tuple[Sink, ...] = (session,) if session is not None else ()
        all_sinks = (*journal_sinks, *sinks, *((self.progress,) if self.progress else ()))
        self.recorder = Recorder(self.state, all_sinks)
        self.clock = clock or RealClock()
        self.env = dict(os.environ if env is None else env)
        self.execution_id = new_execution_id()
        self.decide_ctx = DecideContext(fire_and_forget=options.fire_and_forget,
                                        start_from=options.start_from)

    def run(self, shim: Any) -> RunOutcome:
        """Drive the loop with this shim (None in a dry run)."""
        globals_ = self.wf.global_values()
        rc = RunContext(self.wf, self.options, self.exec_config, self.log, shim, self.recorder,
                        self.clock, self.env, None if not self.options.run else self.run_dir,
                        secret_values(globals_))
        resume = self.session.resume if self.session is not None else None
        if resume is not None:
            from tasker.journal.recovery import restore_outputs

            self.recorder.preload(restore_outputs(resume.events, self.wf, self.log.debug))
        if self.state.status is None:
            self.recorder.emit(ev.RunStarted(
                at=self.clock.now(), run_id=self.run_id, task_file=self.options.task_file,
                task_file_sha256=self.session.task_sha256 if self.session else "",
                args=tuple(self.options.cli_args), globals=globals_,
                dry_run=not self.options.run, start_from=self.options.start_from,
                fire_and_forget=bool(self.options.fire_and_forget)))
        else:
            self._resume(rc)
        if self.progress:
            self.progress.start()
        try:
            with _signal_handlers(rc):
                finish = self._loop(rc)
        finally:
            if self.progress:
                self.progress.close()
        return self._conclude(rc, finish)

    def _resume(self, rc: RunContext) -> None:
        """Continue the journal's run: new segment, in-flight attempts left to adopt."""
        from tasker.engine.adopt import abandon_pending
        from tasker.journal.recovery import resume_point, resumed_globals

        point = resume_point(self.state)
        globals_ = resumed_globals(self.wf, self.state.globals, self.env,
                                   yes=bool(self.options.yes), say=self.log.info)
        self.recorder.emit(ev.RunResumed(
            at=self.clock.now(), segment=new_run_id(), after=point.after,
            restart_task=point.restart_task, globals=globals_,
            start_from=self.options.start_from,
            fire_and_forget=bool(self.options.fire_and_forget), pid=os.getpid()))
        rc.pending = {(i.task_id, i.parent, i.iteration, i.retry): i
                      for i in self.state.open_intents()}
        if point.restart_task is not None:
            abandon_pending(rc, f"superseded: task {point.restart_task} runs again")
        visit = self.state.visit
        where = f"Task {visit.task_id}" if visit is not None else "the first task"
        self.log.info(f"# Auto-recovery: Starting execution from {where}")

    def _loop(self, rc: RunContext) -> act.Finish:
        while True:
            if rc.signal_name and not self.state.interrupted:
                self.recorder.emit(ev.RunInterrupted(at=self.clock.now(),
                                                     signal_name=rc.signal_name))
            action = decide(self.wf, self.state, self.decide_ctx)
            for level, msg in action.messages:
                getattr(self.log, level)(msg)
            if isinstance(action, act.Finish):
                return action
            try:
                self._perform(rc, action)
            except RunAbort as exc:
                self.log.error(exc.message)
                return act.Finish(exit_code=exc.exit_code, status="failed", reason=exc.message,
                                  last_task=self.state.visit.task_id if self.state.visit
                                  else self.state.last_task)

    def _perform(self, rc: RunContext, action: act.Action) -> None:
        now = self.clock.now()
        if isinstance(action, act.Goto):
            self.recorder.emit(ev.Routed(at=now, from_task=action.from_task,
                                         to_task=action.to_task, why=action.why))
        elif isinstance(action, act.RunAttempt):
            self._attempt(rc, action)
        elif isinstance(action, act.SkipTask):
            self._store(action.task_id, skipped_result(action.task_id), "skipped")
        elif isinstance(action, act.StoreReturn):
            result = text_result(action.task_id, action.code, action.code == 0)
            self._store(action.task_id, result, "success" if action.code == 0 else "failed")
        elif isinstance(action, act.SleepAfter):
            self.log.info(f"Task {action.task_id}: Sleeping for {action.seconds:g} seconds")
            if self.options.run:
                self.clock.sleep(action.seconds, rc.stop)
            self.recorder.emit(ev.Slept(at=self.clock.now(), task_id=action.task_id,
                                        seconds=action.seconds))
        elif isinstance(action, act.RunBlock):
            from tasker.engine.blocks import run_block

            run_block(rc, self.wf.tasks[action.task_id])
        elif isinstance(action, act.MakeDecision):
            word = "success" if action.passed else "failure"
            result = text_result(action.task_id, 0 if action.passed else 1, action.passed,
                                 f"Decision: {word}")
            self.recorder.emit(ev.DecisionMade(at=now, task_id=action.task_id,
                                               passed=action.passed, result=result))

    def _attempt(self, rc: RunContext, action: act.RunAttempt) -> None:
        if action.delay > 0 and self.options.run and not self.clock.sleep(action.delay, rc.stop):
            return
        task = self.wf.tasks[action.task_id]
        display = f"{task.id}.{action.iteration}" if action.iteration else str(task.id)
        run_attempt(rc, AttemptPlan(task, display, iteration=action.iteration,
                                    retry=action.retry))

    def _store(self, task_id: int, result: Any, outcome: str) -> None:
        self.recorder.emit(ev.AttemptFinished(at=self.clock.now(), task_id=task_id, attempt=0,
                                              outcome=outcome, result=result))

    def _conclude(self, rc: RunContext, finish: act.Finish) -> RunOutcome:
        state = self.state
        if rc.pending:
            from tasker.engine.adopt import abandon_pending

            abandon_pending(rc, "not reached by the resumed run")
        self.recorder.emit(ev.RunFinished(
            at=self.clock.now(), exit_code=finish.exit_code,
            status="success" if finish.status == "success" else "failed",
            reason=finish.reason, last_task=finish.last_task, signal_name=rc.signal_name))
        # Archive first: a supervisor killed between its run_finished record and the archive
        # leaves a completed journal in recovery/, and `--auto-recovery` would then start the
        # workflow afresh. Keep that window to the archive itself; clean-up comes after.
        journal_end = self._close_journal(finish)
        if finish.status == "success" and not self.options.keep_output:
            _remove_files(rc.spill_files | _spill_files(self.run_dir))
        host, command = self._last_command(finish.last_task)
        outcome = RunOutcome(exit_code=finish.exit_code, status=finish.status,
                             reason=finish.reason, last_task=finish.last_task,
                             last_hostname=host, last_command=command,
                             signal_name=rc.signal_name)
        if self.options.output_json:
            outcome.json_path = self._write_json(finish, state, journal_end)
        if journal_end is not None and journal_end.archived and self.options.auto_recovery:
            # REFERENCE §8.10, §5.1 step 15: TASKER deletes its recovery file last; here the
            # journal left recovery/ for journals/ (archived above)
            self.log.info("# Auto-recovery: Deleted recovery file (workflow completed "
                          "successfully)")
        return outcome

    def _close_journal(self, finish: act.Finish) -> JournalEnd | None:
        if self.session is None:
            return None
        if finish.status == "success":
            return self.session.finish(True)
        from tasker.journal.snapshot import SnapshotInfo, recovery_snapshot

        paths = self.session.paths
        info = SnapshotInfo(
            task_file=self.options.task_file, task_sha256=self.session.task_sha256,
            recovery_file=str(paths.recovery_json), journal=str(paths.journal),
            log_file=_log_path(self.log), exit_code=finish.exit_code,
            failed_task=finish.last_task)
        snapshot = recovery_snapshot(info, self.wf, self.state, self.clock.now())
        return self.session.finish(False, snapshot)

    def _last_command(self, task_id: int | None) -> tuple[str, str]:
        task = self.wf.tasks.get(task_id) if task_id is not None else None
        if task is not None and task.kind == "parallel":
            from tasker.engine.blocks import parallel_subtasks

            return "parallel", f"parallel execution of tasks {parallel_subtasks(self.wf, task)}"
        if task is not None and task.kind == "conditional":
            return "conditional", "conditional execution"
        intent = self.state.last_intent
        if intent is not None and intent.task_id == task_id:
            return intent.hostname or "localhost", intent.command_line
        return "localhost", ""

    def _write_json(self, finish: act.Finish, state: RunState,
                    journal: JournalEnd | None) -> str | None:
        path = self.options.output_json
        session = self.session
        metrics = {"attempts": sum(len(a) for a in state.attempts.values()),
                   "journal_ms": round(session.milliseconds, 3) if session else None,
                   "journal_records": session.records if session else 0,
                   "journal_fsyncs": session.writer.fsyncs if session else 0,
                   "journal_fsync_ms": round(session.writer.fsync_seconds * 1000, 3)
                   if session else None}
        meta = {"task_file": self.options.task_file, "execution_id": self.execution_id,
                "status": finish.status, "exit_code": finish.exit_code,
                "reason": finish.reason, "failed_task": finish.last_task,
                "start": state.started_at, "end": self.clock.now(),
                "log_file": _log_path(self.log),
                "journal": journal.path if journal else None,
                "journal_chain_head": journal.chain_head if journal else None,
                "validation_warnings": list(self.options.validation_warnings),
                "metrics": metrics}
        try:
            write_document(path, run_document(self.wf, state, meta))
        except OSError as exc:
            self.log.warn(f"JSON output not written to {path}: {exc}")
            return None
        self.log.info(f"# Workflow output written to: {path}")
        return path


def _log_path(log: Any) -> str | None:
    path = getattr(log, "log_path", None)
    return str(path) if path else None


def _spill_files(run_dir: Path) -> set[str]:
    """Every spill file of the run directory (those of attempts before a resume included)."""
    return {str(path) for name in SPILL_NAMES for path in run_dir.glob(f"attempts/*/{name}")}


def _remove_files(paths: set[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            Path(path).unlink()


@contextlib.contextmanager
def _signal_handlers(rc: RunContext):
    """SIGINT/SIGTERM: stop starting work and cancel running shims; a 2nd SIGINT skips grace."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if rc.signal_name is None:
            rc.signal_name = name
            rc.log.warn(f"Received {name}, initiating graceful shutdown...")
            rc.stop.set()
            rc.cancel_all(skip_grace=False)
        elif signum == signal.SIGINT:
            rc.skip_grace = True
            rc.cancel_all(skip_grace=True)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


__all__ = ["RunOutcome", "WorkflowRunner", "run_workflow"]
