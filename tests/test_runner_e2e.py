"""The runner with the real executor shim: real commands, files, signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tasker.engine import events as ev
from tasker.execconfig import ExecConfig
from tasker.runner import run_workflow
from tasker.testing import RecordingLog, fake_options
from tests.engine.helpers import workflow

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.slow


def real_run(text: str, tmp_path: Path, **options):
    log = RecordingLog()
    events: list[ev.Event] = []
    opts = fake_options(base_dir=tmp_path / "base", output_json=str(tmp_path / "out.json"),
                        **options)
    outcome = run_workflow(workflow(text), opts, ExecConfig(), log, sinks=(events.append,))
    doc = json.loads((tmp_path / "out.json").read_text())
    return outcome, log, doc, events


def local(tid: int, command: str, arguments: str = "", *extra: str) -> str:
    lines = [f"task={tid}", "hostname=localhost", f"command={command}",
             f"arguments={arguments}", "exec=local", *extra]
    return "\n".join(lines) + "\n\n"


def test_real_commands_pass_output_between_tasks(tmp_path):
    text = local(0, "echo", "hello") + local(1, "echo", "@0_stdout@ world")
    outcome, _, doc, _ = real_run(text, tmp_path)
    assert outcome.exit_code == 0
    assert doc["task_results"]["1"]["stdout"] == "hello world\n"


def test_missing_command_is_exit_127_with_os_error(tmp_path):
    outcome, _, doc, _ = real_run(local(0, "no_such_command_xyz"), tmp_path)
    assert outcome.exit_code == 127
    assert "No such file or directory" in doc["task_results"]["0"]["stderr"]


def test_attempt_directories_are_named_after_task_and_attempt(tmp_path):
    text = local(0, "true", "", "next=loop", "loop=2")
    _, _, _, events = real_run(text, tmp_path)
    dirs = [Path(e.attempt_dir).name for e in events if isinstance(e, ev.AttemptIntent)]
    assert dirs == ["0.1", "0.2"]


def test_spilled_output_removed_after_success(tmp_path):
    text = local(0, "head", "-c 2000000 /dev/zero")
    _, _, doc, _ = real_run(text, tmp_path)
    entry = doc["task_results"]["0"]
    assert entry["stdout_truncated"] is True and entry["stdout_bytes"] == 2_000_000
    assert not Path(entry["stdout_file"]).exists()


def test_journal_is_archived_before_the_clean_up_after_success(tmp_path, monkeypatch):
    """A supervisor killed after its run_finished record but before the archive leaves a
    completed journal in recovery/, and `--auto-recovery` would run the workflow afresh:
    nothing may stand between the two (the spill clean-up comes after the archive)."""
    import tasker.runner

    seen = []
    real_remove = tasker.runner._remove_files

    def remove(paths):
        seen.append(sorted(p.name for p in (tmp_path / "base" / "recovery").glob("*.journal")))
        real_remove(paths)

    monkeypatch.setattr(tasker.runner, "_remove_files", remove)
    outcome, _, _, _ = real_run(local(0, "head", "-c 2000000 /dev/zero"), tmp_path)
    assert outcome.exit_code == 0
    assert seen == [[]]
    assert len(list((tmp_path / "base" / "journals").glob("*.journal"))) == 1


def test_spilled_output_kept_with_keep_output(tmp_path):
    _, _, doc, _ = real_run(local(0, "head", "-c 2000000 /dev/zero"), tmp_path, keep_output=True)
    assert Path(doc["task_results"]["0"]["stdout_file"]).exists()


def test_timeout_gives_124(tmp_path):
    started = time.monotonic()
    outcome, _, doc, _ = real_run(local(0, "sleep", "30", "timeout=5"), tmp_path,
                                  kill_grace=0.5)
    assert outcome.exit_code == 124 and time.monotonic() - started < 15
    assert doc["execution_summary"]["timeouts"] == 1


def test_parallel_block_honours_max_parallel_50(tmp_path):
    subtasks = "".join(local(100 + i, "sleep", "0.2") for i in range(200))
    ids = ",".join(str(100 + i) for i in range(200))
    text = f"task=0\ntype=parallel\ntasks={ids}\nmax_parallel=50\nnext=never\n\n" + subtasks
    started = time.monotonic()
    outcome, _, _, _ = real_run(text, tmp_path)
    elapsed = time.monotonic() - started
    assert outcome.exit_code == 0
    assert elapsed < 4.0, elapsed   # ideal 0.8 s; generous for loaded CI machines


def seed_dir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for name in ("increment_counter.sh", "toggle_exit.sh", "seed_workflow.txt"):
        shutil.copy2(FIXTURES / name, work / name)
    return work


def test_seed_example_takes_the_documented_path(tmp_path, monkeypatch):
    """Tasks 0-5 of the README example; `return 0` (no '=') is ignored, next=never ends it."""
    work = seed_dir(tmp_path)
    monkeypatch.chdir(work)
    outcome, _, doc, _ = real_run((work / "seed_workflow.txt").read_text(), tmp_path)
    assert outcome.exit_code == 0
    assert doc["execution_summary"]["execution_order"] == [0, 1, 2, 2, 3, 4, 5]
    assert (work / "counter.txt").read_text() == "2\n"
    assert doc["task_results"]["4"]["stdout"] == "hello world\n"
    assert doc["task_results"]["5"]["stdout"] == "task3 exit code =\n"


def test_seed_example_failure_branch(tmp_path, monkeypatch):
    """When toggle_exit fails, on_failure=6 runs; task 7's `return 1` is ignored (exit 0)."""
    work = seed_dir(tmp_path)
    (work / "toggle.txt").write_text("1\n")
    monkeypatch.chdir(work)
    outcome, _, doc, _ = real_run((work / "seed_workflow.txt").read_text(), tmp_path)
    assert outcome.exit_code == 0
    assert doc["execution_summary"]["execution_order"] == [0, 1, 2, 2, 3, 6, 7]
    assert doc["task_results"]["7"]["stdout"] == "task3 exit code = 1\n"


SIGNAL_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tasker.execconfig import ExecConfig
    from tasker.report.console import RunLog
    from tasker.runner import run_workflow
    from tasker.testing import fake_options
    from tasker.taskfile.parser import ParseOptions, parse_workflow
    text = "task=0\\nhostname=localhost\\ncommand=sleep\\narguments=30\\nexec=local\\n"
    wf = parse_workflow(text, "t.txt", ParseOptions(env={}))
    opts = fake_options(base_dir=Path(sys.argv[1]), kill_grace=1.0)
    outcome = run_workflow(wf, opts, ExecConfig(), RunLog())
    sys.exit(outcome.exit_code)
""")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_cancels_running_command_and_exits_128_plus_signal(tmp_path, signum, code):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", SIGNAL_SCRIPT, str(tmp_path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_line(proc, "Executing [local]: sleep 30")
    time.sleep(0.3)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == code, err
    assert f"WARN: Received {signal.Signals(signum).name}" in out
    assert "interrupted by signal - workflow stopping." in out


def _wait_for_line(proc: subprocess.Popen, text: str) -> None:
    deadline = time.monotonic() + 20
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if text in line:
            return
    raise AssertionError(f"never saw {text!r}: {seen}")
