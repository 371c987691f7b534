"""The run loop with the fake shim: what runs, what is logged, what the outcome and JSON say."""

from __future__ import annotations

import json
from pathlib import Path

from tasker.engine import events as ev
from tasker.execconfig import ExecConfig, parse_exec_config
from tasker.runner import run_workflow
from tasker.testing import FakeClock, FakeRun, FakeShim, RecordingLog, fake_options
from tests.engine.helpers import task, workflow

SHELL_CONFIG = """
platforms:
  linux:
    default_exec_type: local
    default_timeout: 300
    shell:
      binary: /bin/bash
      command_template: ["{binary}", "-c", "{command} {arguments}"]
aliases:
  bash: shell
"""


def run(text: str, shim: FakeShim | None = None, *, config: ExecConfig | None = None,
        tmp_path: Path | None = None, clock: FakeClock | None = None, **options):
    log = RecordingLog()
    shim = shim if shim is not None else FakeShim()
    base = tmp_path or Path("/nonexistent-base")
    opts = fake_options(base_dir=base, **options)
    events: list[ev.Event] = []
    outcome = run_workflow(workflow(text), opts, config or ExecConfig(), log, shim,
                           clock=clock or FakeClock(), env={"HOME": "/home/u"},
                           sinks=(events.append,))
    return outcome, log, shim, events


def test_sequential_tasks_run_in_id_order():
    outcome, _, shim, _ = run(task(1, command="b") + task(0, command="a") + task(2, command="c"))
    assert shim.commands() == ["a", "b", "c"] and outcome.exit_code == 0


def test_log_lines_of_one_task():
    _, log, _, _ = run(task(0, "arguments=x y"), FakeShim(default=FakeRun(stdout="hi\n")))
    assert log.messages("info")[:4] == [
        "Task 0: Executing [local]: cmd x y", "Task 0: Exit code: 0", "Task 0: STDOUT: hi",
        "Task 0: Completed - Success: True"]


def test_stdout_preview_is_cut_at_200_chars():
    _, log, _, _ = run(task(0), FakeShim(default=FakeRun(stdout="a\n" * 300)))
    line = next(m for m in log.messages() if "STDOUT" in m)
    assert line.endswith("... (599 chars total)") and "a\\na\\n" in line


def test_result_substituted_into_next_task_arguments():
    text = task(0, command="first") + task(1, "arguments=got @0_stdout@", command="second")
    _, _, shim, _ = run(text, FakeShim({"first": FakeRun(stdout="hello\n")}))
    assert shim.specs[1].argv == ["second", "got", "hello"]


def test_env_is_expanded_in_arguments():
    _, _, shim, _ = run(task(0, "arguments=$HOME/x"))
    assert shim.specs[0].argv == ["cmd", "/home/u/x"]


def test_secret_globals_are_masked_in_command_echo():
    text = "SECRET_PW=hunter2\n\n" + task(0, "arguments=--pw @SECRET_PW@")
    _, log, shim, _ = run(text)
    assert shim.specs[0].argv[-1] == "hunter2"
    assert "Task 0: Executing [local]: cmd --pw <masked len=7>" in log.messages()


def test_exec_type_shell_builds_bash_argv():
    text = task(0, "exec=bash", "arguments=1 | wc -l", command="lines").replace(
        "exec=local\n", "", 1)
    _, log, shim, _ = run(text, config=parse_exec_config(SHELL_CONFIG, "cfg"))
    assert shim.specs[0].argv == ["/bin/bash", "-c", "lines 1 | wc -l"]
    assert log.messages()[0].startswith("Task 0: Executing [shell]:")


def test_cli_type_is_used_without_task_exec():
    text = "task=0\nhostname=h\ncommand=c\n"
    _, _, shim, _ = run(text, config=parse_exec_config(SHELL_CONFIG, "cfg"), type="shell")
    assert shim.specs[0].argv[0] == "/bin/bash"


def test_unknown_exec_type_at_run_time_exits_20():
    outcome, log, shim, _ = run(task(0, "exec=nosuch").replace("exec=local\n", "", 1))
    assert outcome.exit_code == 20 and shim.specs == []
    assert any("nosuch" in m for m in log.messages("error"))


def test_task_timeout_outranks_cli_timeout():
    _, _, shim, _ = run(task(0, "timeout=10"), timeout=60)
    assert shim.specs[0].timeout == 10


def test_cli_timeout_outranks_config_default():
    config = parse_exec_config(SHELL_CONFIG, "cfg")
    _, _, shim, _ = run(task(0), config=config, timeout=7, env_timeout=9)
    assert shim.specs[0].timeout == 7


def test_env_timeout_applies_without_config_default():
    _, _, shim, _ = run(task(0), env_timeout=9)
    assert shim.specs[0].timeout == 9


def test_low_timeout_is_raised_to_5_with_warning():
    _, log, shim, _ = run(task(0, "timeout=2"))
    assert shim.specs[0].timeout == 5
    assert log.messages("warn") == ["Timeout 2 too low, using minimum 5"]


def test_timeout_above_1000_is_honoured():
    _, log, shim, _ = run(task(0, "timeout=1800"))
    assert shim.specs[0].timeout == 1800 and log.messages("warn") == []


def test_memory_limit_from_task_and_option():
    _, _, shim, _ = run(task(0, "memory_limit=512M") + task(1), memory_limit=1024)
    assert [s.memory_limit for s in shim.specs] == [512 * 1024**2, 1024]


def test_spilled_output_patterns_are_passed_to_shim():
    _, _, shim, _ = run(task(0, "success=stdout~END&stderr!~bad"))
    assert shim.specs[0].patterns == {"stdout": ["END"], "stderr": ["bad"]}


def test_success_on_spilled_stream_uses_shim_match():
    big = "x" * 5000 + "END\n"
    shim = FakeShim(default=FakeRun(stdout=big, spill_threshold=1000))
    outcome, _, _, events = run(task(0, "success=stdout~END"), shim)
    finished = next(e for e in events if isinstance(e, ev.AttemptFinished))
    assert finished.result.success and finished.result.stdout.truncated
    assert outcome.exit_code == 0


def test_cannot_start_is_exit_127_and_routed():
    shim = FakeShim({"cmd": FakeRun(spawn_error="No such file or directory")})
    text = task(0, "on_failure=1") + task(1, command="next")
    outcome, log, _, _ = run(text, shim)
    assert outcome.exit_code == 0 and shim.commands() == ["cmd", "next"]
    assert "Task 0: Exit code: 127" in log.messages()
    assert "Task 0: STDERR: No such file or directory" in log.messages()


def test_sequential_retry_runs_again_until_success():
    shim = FakeShim({"cmd": [FakeRun(exit_code=1), FakeRun(exit_code=1), FakeRun()]})
    clock = FakeClock()
    _outcome, log, _, _ = run(task(0, "retry_count=3", "retry_delay=2") + task(1, command="n"),
                             shim, clock=clock)
    assert shim.commands() == ["cmd", "cmd", "cmd", "n"] and clock.sleeps == [2.0, 2.0]
    assert "Task 0: SUCCESS after 2 retry attempt(s)" in log.messages()


def test_loop_runs_exactly_n_times_and_keeps_last_result():
    shim = FakeShim({"cmd": [FakeRun(stdout="1"), FakeRun(stdout="2"), FakeRun(stdout="3")]})
    text = task(0, "next=loop", "loop=3") + task(1, "arguments=@0_stdout@", command="n")
    _, log, _, _ = run(text, shim)
    assert shim.specs[-1].argv == ["n", "3"]
    assert "Task 0.3: Exit code: 0" in log.messages()


def test_skipped_task_result_and_log():
    outcome, _log, shim, events = run(task(0, "condition=false") + task(1, command="n"))
    assert shim.commands() == ["n"] and outcome.exit_code == 0
    skipped = next(e for e in events if isinstance(e, ev.AttemptFinished))
    assert skipped.result.exit_code == -1
    assert skipped.result.stderr.text == "Task skipped due to condition"


def test_dry_run_runs_nothing_and_logs_would_execute():
    outcome, log, shim, events = run(task(0, "sleep=3") + task(1), run=False)
    assert shim.specs == [] and outcome.exit_code == 0
    assert "Task 0: [DRY RUN] Would execute: cmd" in log.messages()
    assert "Task 0: Sleeping for 3 seconds" in log.messages()
    results = [e.result for e in events if isinstance(e, ev.AttemptFinished)]
    assert results[0].stdout.text == "DRY RUN STDOUT"


def test_parallel_block_runs_subtasks_and_stores_aggregate():
    text = ("task=0\ntype=parallel\ntasks=10,11,12\nnext=any_success\n\n"
            + task(1, "arguments=@0_stdout@|@0_success_count@|@0_exit@", command="after")
            + task(10, command="ok") + task(11, command="bad") + task(12, command="ok"))
    shim = FakeShim({"bad": FakeRun(exit_code=1)})
    outcome, log, _, _ = run(text, shim)
    assert outcome.exit_code == 0
    assert shim.specs[-1].argv == ["after", "Parallel", "execution:", "2/3", "successful,", "1",
                                   "failed|2|1"]
    assert "Task 0: Starting parallel execution of 3 tasks (max_parallel=8)" in log.messages()
    assert "Task 0-11: Completed - Success: False" in log.messages()


def test_parallel_subtask_retry_lines():
    text = ("task=0\ntype=parallel\ntasks=10\nretry_count=2\nretry_delay=0\n\n"
            + task(10, command="flaky"))
    shim = FakeShim({"flaky": [FakeRun(exit_code=1), FakeRun()]})
    _, log, _, _ = run(text, shim)
    assert "Task 0-10: FAILED - will retry as Task 0-10.2 in 0s" in log.messages()
    assert "Task 0-10.2: Exit code: 0" in log.messages()
    assert "Task 0-10: SUCCESS after 1 retry attempt(s)" in log.messages()


def test_parallel_timeout_is_not_retried():
    text = ("task=0\ntype=parallel\ntasks=10\nretry_count=2\nnext=always\n\n"
            + task(10, command="slow"))
    shim = FakeShim({"slow": FakeRun(timed_out=True)})
    _, log, _, _ = run(text, shim)
    assert shim.commands() == ["slow"]
    assert "Task 0-10.1: Completed - Success: False (timeout)" in log.messages()


def test_hostnames_block_runs_generated_subtasks_with_block_success():
    text = ("task=0\ntype=parallel\nhostnames=a,b,c\ncommand=deploy\narguments=@task@\n"
            "success=min_success=2\nmax_parallel=1\n\n")
    shim = FakeShim({"deploy": [FakeRun(exit_code=1), FakeRun(), FakeRun()]})
    outcome, _, _, _ = run(text, shim)
    assert [s.argv for s in shim.specs] == [["deploy", "100000"], ["deploy", "100001"],
                                            ["deploy", "100002"]]
    assert outcome.exit_code == 0


def test_conditional_block_runs_branch_in_order():
    text = ("task=0\ntype=conditional\ncondition=true\nif_true_tasks=12,10\nif_false_tasks=11\n"
            "\n" + "task=1\nreturn=0\n\n" + task(10, command="ten") + task(11, command="eleven")
            + task(12, command="twelve"))
    outcome, log, shim, _ = run(text)
    assert shim.commands() == ["twelve", "ten"] and outcome.exit_code == 0
    assert "Task 0: Executing TRUE branch with 2 tasks (sequential)" in log.messages()


def test_decision_result_is_stored_and_substituted():
    text = (task(0, command="emit") + "task=1\ntype=decision\nsuccess=@0_stdout@=go\n\n"
            + task(2, "arguments=@1_exit@ @1_success@ @1_stdout@", command="rec"))
    _, _, shim, _ = run(text, FakeShim({"emit": FakeRun(stdout="go\n")}))
    assert shim.specs[-1].argv == ["rec", "0", "True", "Decision:", "success"]


def test_output_json_written_after_exit_10(tmp_path):
    text = ("task=0\ntype=parallel\ntasks=10\n\n" + task(1) + task(10, command="bad"))
    out = tmp_path / "o.json"
    outcome, _, _, _ = run(text, FakeShim({"bad": FakeRun(exit_code=1)}), output_json=str(out))
    doc = json.loads(out.read_text())
    assert outcome.exit_code == 10 and outcome.json_path == str(out)
    assert doc["workflow_metadata"]["status"] == "failed"
    assert doc["task_results"]["10"]["exit_code"] == 1


def test_output_json_summary_fields(tmp_path):
    text = task(0, "on_success=5") + task(1) + task(2, "next=never") + task(5, "on_success=1")
    out = tmp_path / "o.json"
    run(text, output_json=str(out))
    summary = json.loads(out.read_text())["execution_summary"]
    assert summary["execution_path"] == [0, 1, 2, 5]
    assert summary["execution_order"] == [0, 5, 1, 2]
    assert summary["final_task"] == 5


def test_output_json_lists_attempts(tmp_path):
    out = tmp_path / "o.json"
    shim = FakeShim({"cmd": [FakeRun(exit_code=1), FakeRun()]})
    run(task(0, "retry_count=2", "retry_delay=0"), shim, output_json=str(out))
    attempts = json.loads(out.read_text())["task_results"]["0"]["attempts"]
    assert [a["outcome"] for a in attempts] == ["failed", "success"]


def test_output_json_truncates_spilled_output(tmp_path):
    out = tmp_path / "o.json"
    shim = FakeShim(default=FakeRun(stdout="y" * 300_000, spill_threshold=1000))
    run(task(0), shim, output_json=str(out))
    entry = json.loads(out.read_text())["task_results"]["0"]
    assert entry["stdout_truncated"] is True and entry["stdout_bytes"] == 300_000
    assert len(entry["stdout"]) == 100 * 1024 and entry["stdout_file"]


def test_execution_id_is_unique_per_run(tmp_path):
    ids = []
    for name in ("a.json", "b.json"):
        run(task(0), output_json=str(tmp_path / name))
        ids.append(json.loads((tmp_path / name).read_text())["workflow_metadata"]
                   ["execution_id"])
    assert ids[0] != ids[1]


def test_events_fold_to_the_same_state():
    from tasker.engine.state import fold

    text = task(0, "next=loop", "loop=2") + task(1, "retry_count=1", "retry_delay=0")
    shim = FakeShim({"cmd": [FakeRun(), FakeRun(), FakeRun(exit_code=1), FakeRun()]})
    _, _, _, events = run(text, shim)
    state = fold(events)
    assert state.execution_order == [0, 0, 1] and state.finished.exit_code == 0
    assert [a.outcome for a in state.attempts[1]] == ["failed", "success"]


def test_a_journal_failure_on_an_intent_stops_the_run_before_its_command_starts(tmp_path):
    """A journal error on the write-ahead intent is the run's error, not a failed task, and
    the command it announces is never started."""
    import pytest

    from tasker.errors import JournalWriteError

    def journal(event: ev.Event) -> None:
        if event.type == "attempt_intent" and event.task_id == 1:
            raise JournalWriteError("cannot fsync journal record 9: No space left on device")

    shim = FakeShim()
    opts = fake_options(base_dir=tmp_path)
    with pytest.raises(JournalWriteError):
        run_workflow(workflow(task(0, command="a") + task(1, command="b")), opts, ExecConfig(),
                     RecordingLog(), shim, clock=FakeClock(), env={}, sinks=(journal,))
    assert shim.commands() == ["a"]


def test_next_and_loop_break_read_the_task_s_own_result_of_this_attempt():
    """REFERENCE §5.3: the result is stored (step 8) before routing (step 11), so a task's own
    `@N_...@` in `next`, `loop_break` and `next=loop&COND` reads the attempt just run."""
    text = task(0, "next=@0_stdout@=hi", command="greet") + task(1, command="after")
    outcome, _, shim, _ = run(text, FakeShim({"greet": FakeRun(stdout="hi\n")}))
    assert shim.commands() == ["greet", "after"] and outcome.exit_code == 0
    counting = {"count": [FakeRun(stdout=f"{i}\n") for i in (1, 2, 3, 4)]}
    for routing in ("next=loop\nloop=4\nloop_break=@0_stdout@=2",
                    "next=loop&@0_stdout@!=2\nloop=4"):
        _, _, shim, _ = run(task(0, routing, command="count") + task(1, command="after"),
                            FakeShim(counting))
        assert shim.commands() == ["count", "count", "after"], routing


def test_next_always_with_on_success_jumps_there():
    """SPEC D3: `next` combined with `on_success`: a true `next` (always is) goes there."""
    text = (task(0, "next=always", "on_success=2", command="first") + task(1, command="skipped")
            + task(2, command="target"))
    for command in ("ok", "bad"):
        shim = FakeShim({"bad": FakeRun(exit_code=1)})
        outcome, _, shim, _ = run(text.replace("command=first", f"command={command}"), shim)
        assert shim.commands() == [command, "target"] and outcome.exit_code == 0


def test_a_loop_checks_its_condition_before_every_iteration():
    """REFERENCE §5.3: loop bookkeeping (step 2) comes before the `condition` check (step 3),
    so a false condition skips the iteration (stored as skipped) and flow goes to ID+1."""
    text = (task(0, "next=loop", "loop=5", "condition=@0_stdout@!=2", command="count")
            + task(1, "arguments=@0_exit@", command="after"))
    outcome, log, shim, _ = run(text, FakeShim({"count": [FakeRun(stdout=f"{i}\n")
                                                          for i in (1, 2, 3, 4, 5)]}))
    assert shim.commands() == ["count", "count", "after"] and outcome.exit_code == 0
    assert shim.specs[-1].argv[1:] == ["-1"]
    assert ("Task 0.3: Condition '@0_stdout@!=2' evaluated to FALSE, skipping task"
            in log.messages("info"))


def test_return_is_never_substituted():
    """REFERENCE §4.2: `return` is not among the substituted fields; with validation skipped
    a placeholder there is an invalid return value (exit 50)."""
    outcome, log, _, _ = run(task(0, "next=always") + "task=1\nreturn=@0_exit@\n",
                             FakeShim(default=FakeRun(exit_code=3)))
    assert outcome.exit_code == 50
    assert "Task 1: Invalid return value '@0_exit@' - exiting" in log.messages("error")


def test_a_parallel_next_condition_reads_the_summary_text():
    """REFERENCE §5.11: a non-keyword `next` on a parallel block is evaluated on the aggregate,
    whose stdout reads `Parallel execution summary: S successful, F failed`."""
    block = ("task=0\ntype=parallel\ntasks=10,11\n"
             "next=stdout~Parallel execution summary: 2 successful, 0 failed\n\n")
    text = block + task(1, "next=never", command="after") + task(10) + task(11)
    outcome, _, shim, _ = run(text)
    assert shim.commands()[-1] == "after" and outcome.exit_code == 0


def test_a_subtask_s_return_sets_its_exit_code_only():
    """REFERENCE §5.11: `return` in a subtask (with or without a command) sets the subtask's
    exit code; the run goes on."""
    block = "task=0\ntype=parallel\ntasks=10,11\nnext=always\n\n"
    text = (block + task(1, "arguments=@10_exit@ @11_exit@ @11_success@", command="after")
            + task(10, "return=7") + "task=11\nreturn=3\n\n")
    outcome, _, shim, _ = run(text)
    assert shim.commands() == ["cmd", "after"] and outcome.exit_code == 0
    assert shim.specs[-1].argv[1:] == ["7", "3", "False"]


def test_the_preview_of_spilled_output_gives_the_whole_stream_s_size():
    """REFERENCE §4.3: `... (N chars total)` counts the whole output, not the in-memory head."""
    _, log, _, _ = run(task(0), FakeShim(default=FakeRun(stdout="a" * 5000 + "\n",
                                                         spill_threshold=1000)))
    line = next(m for m in log.messages() if "STDOUT" in m)
    assert line.endswith("... (5001 chars total)")


def test_subtask_sleeps_are_timers_the_block_waits_for():
    """REFERENCE §5.7 (V): a subtask's sleep holds neither its worker nor the next branch
    task; the block waits once, for the last timer, before it is evaluated."""
    subs = task(10, "sleep=2") + task(11, "sleep=3")
    for block in ("task=0\ntype=parallel\nmax_parallel=1\ntasks=10,11\n\n",
                  "task=0\ntype=conditional\ncondition=true\nif_true_tasks=10,11\n"
                  "if_false_tasks=10\n\n"):
        clock = FakeClock()
        outcome, log, shim, _ = run(block + task(1, "next=never", command="after") + subs,
                                    clock=clock)
        assert outcome.exit_code == 0 and shim.commands() == ["cmd", "cmd", "after"]
        assert clock.sleeps == [3]
        assert "Task 0-10: Sleeping for 2 seconds" in log.messages("info")
