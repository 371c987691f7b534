"""Start-up cost: modules that only some paths need are not imported on the common ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ONE_TASK = "task=0\nhostname=localhost\ncommand=true\nexec=local\n"
# resume, failure snapshot, subcommands, YAML (the shipped config is pre-parsed)
NOT_FOR_A_PLAIN_RUN = ("yaml", "psutil", "tasker.journal.recovery", "tasker.journal.snapshot",
                       "tasker.engine.adopt", "tasker.journal.audit",
                       "tasker.journal.html_report", "tasker.journal.replay")
NOT_FOR_VALIDATION = ("tasker.runner", "tasker.shim_client", "tasker.journal.session",
                      "filelock")

pytestmark = pytest.mark.slow


def imported_by_run(tmp_path: Path, *args: str) -> set[str]:
    """The modules loaded by `tasker f.txt ARGS` run in-process in a fresh interpreter."""
    (tmp_path / "f.txt").write_text(ONE_TASK)
    code = ("import sys; from tasker.cli.main import main; code = main(sys.argv[1:]);"
            " print('MODULES', *sorted(sys.modules)); sys.exit(code)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKER_", "TASK_EXEC"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code, "f.txt", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


def test_a_one_task_run_imports_no_resume_failure_or_yaml_modules(tmp_path):
    modules = imported_by_run(tmp_path, "-r", "-l", str(tmp_path / "base"))
    assert "tasker.runner" in modules
    assert modules.isdisjoint(NOT_FOR_A_PLAIN_RUN), modules & set(NOT_FOR_A_PLAIN_RUN)


def test_validate_only_imports_neither_the_engine_nor_the_journal(tmp_path):
    modules = imported_by_run(tmp_path, "--validate-only")
    assert modules.isdisjoint(NOT_FOR_VALIDATION + NOT_FOR_A_PLAIN_RUN)
