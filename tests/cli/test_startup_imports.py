"""Start-up cost: modules that only some paths need are not imported on the common ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ONE_TASK = "task=0\nhostname=localhost\ncommand=true\nexec=local\n"
# resume, failure snapshot, subcommands, YAML (the shipped config is pre-parsed); asyncio and
# importlib.metadata only ever came in through pydantic (tasker.cli.startup keeps them out)
NOT_FOR_A_PLAIN_RUN = ("yaml", "psutil", "asyncio", "importlib.metadata",
                       "tasker.journal.recovery", "tasker.journal.snapshot",
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


def test_asyncio_left_out_at_start_up_is_the_real_package_when_imported_later():
    code = ("import sys; from tasker.cli.startup import import_pydantic; import_pydantic(); "
            "assert 'asyncio' not in sys.modules; import asyncio, asyncio.coroutines; "
            "assert asyncio.run(asyncio.sleep(0, 'ok')) == 'ok'; "
            "from pydantic import BaseModel\n"
            "class M(BaseModel):\n    x: int\n"
            "print(M(x='3').x)")
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "3", proc.stderr


def test_the_console_entry_collects_garbage_again_once_the_run_starts(tmp_path):
    """`tasker` holds the collector off during start-up only (a long run must not grow)."""
    (tmp_path / "f.txt").write_text(ONE_TASK)
    code = ("import gc, sys; from tasker.cli import pipeline\n"
            "seen = []\n"
            "original = pipeline.Pipeline._execute\n"
            "def spy(self, wf):\n"
            "    seen.append(gc.isenabled()); code = original(self, wf)\n"
            "    seen.append(gc.isenabled()); return code\n"
            "pipeline.Pipeline._execute = spy\n"
            "import atexit; atexit.register(lambda: print('GC', *seen))\n"
            "sys.argv = ['tasker', 'f.txt', '-r', '-l', 'base']\n"
            "from tasker.cli.startup import console; console()")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "GC False True" in proc.stdout
