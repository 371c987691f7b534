"""The shim protocol: schemas are current, both sides agree on fields, the shim is stdlib-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from executor_shim.spec import FIELDS
from tasker.shim_protocol import AttemptResult, AttemptSpec, schema_documents

ROOT = Path(__file__).resolve().parents[2]


def test_committed_protocol_schemas_are_up_to_date():
    for name, text in schema_documents().items():
        assert (ROOT / "schemas" / name).read_text() == text, (
            f"schemas/{name} is stale: run `python -m tasker.shim_protocol`")


def test_shim_spec_fields_match_the_supervisor_model():
    assert set(FIELDS) == set(AttemptSpec.model_fields)


def test_shim_result_has_exactly_the_model_fields(run, tmp_path):
    run(["echo", "x"])  # with output: result.json is durable when run() returns
    raw = json.loads(next((tmp_path / "attempts").glob("*/result.json")).read_text())
    assert set(raw) == set(AttemptResult.model_fields)


def modules_loaded(statements: str, wanted: str) -> str:
    """sorted(m for m in sys.modules if <wanted>) after `statements`, in a bare interpreter."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); {statements}; "
            f"print(sorted(m for m in sys.modules if {wanted}))")
    return subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_shim_and_launcher_import_only_the_standard_library():
    assert modules_loaded("import executor_shim.launcher, executor_shim.__main__",
                          "m.startswith(('tasker', 'pydantic', 'psutil', 'yaml'))") == "[]"


def test_spec_on_stdin_runs_the_shim_directly(tmp_path):
    spec = {"argv": ["echo", "stdin-spec"], "attempt_dir": str(tmp_path / "a")}
    (tmp_path / "a").mkdir()
    subprocess.run([sys.executable, "-m", "executor_shim", "-"], input=json.dumps(spec),
                   text=True, check=True, cwd=ROOT, timeout=30)
    result = AttemptResult.model_validate_json((tmp_path / "a" / "result.json").read_text())
    assert result.stdout.text == "stdin-spec\n"


def test_launcher_heap_leaves_out_heavy_modules():
    """Every page of the launcher's heap is mapped into (and torn down with) each forked shim,
    and `warnings` used to be imported afresh by every attempt's PATH lookup."""
    statements = ("import executor_shim.launcher; from executor_shim import spawn; "
                  "spawn.resolve('true', {'PATH': '/usr/bin:/bin'})")
    assert modules_loaded(statements, "m in ('dataclasses', 'inspect', 'ast', 'threading', "
                                      "'queue', 'traceback', 'warnings')") == "[]"


def test_a_shim_that_fails_inside_the_attempt_still_commits_a_result(tmp_path):
    """An unexpected error in the shim (here: a spec the supervisor's model would refuse)
    is reported with its traceback in shim.err, and result.json is written all the same,
    also when the result went out early over the status pipe first."""
    attempt = tmp_path / "a.1"
    attempt.mkdir()
    spec = {"argv": ["echo", "hi"], "attempt_dir": str(attempt), "output_threshold": "x"}
    read_end, write_end = os.pipe()
    proc = subprocess.run([sys.executable, "-m", "executor_shim", "--status-fd", str(write_end),
                           "-"], input=json.dumps(spec).encode(), pass_fds=(write_end,),
                          cwd=ROOT, capture_output=True, timeout=60, check=False)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as status:
        lines = status.read().decode().splitlines()
    assert proc.returncode == 0, proc.stderr
    assert lines[-1] == "OK"
    assert any(line.startswith("RES ") for line in lines)
    result = AttemptResult.model_validate_json((attempt / "result.json").read_bytes())
    assert result.exit_code == 1
    assert result.shim_error.startswith("executor shim failed")
    assert "Traceback" in (attempt / "shim.err").read_text()
