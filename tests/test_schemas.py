"""The committed JSON Schemas match the models (regenerate: python -m tasker.schemas_gen)."""

from __future__ import annotations

import json

import pytest

from tasker.schemas_gen import DEFAULT_DIR, SCHEMAS, main, render_schema, write_schemas


@pytest.mark.parametrize(("name", "spec"), sorted(SCHEMAS.items()))
def test_committed_schema_is_up_to_date(name, spec):
    committed = (DEFAULT_DIR / name).read_text(encoding="utf-8")
    assert committed == render_schema(spec), (
        f"schemas/{name} is stale: run `python -m tasker.schemas_gen`")


def test_write_schemas_writes_every_listed_schema(tmp_path):
    written = write_schemas(tmp_path)
    assert sorted(p.name for p in written) == sorted(SCHEMAS)
    schema = json.loads((tmp_path / "workflow.schema.json").read_text())
    assert schema["title"] == "Workflow"
    assert set(schema["$defs"]) >= {"CommandTask", "ParallelTask", "GlobalVar"}


def test_command_line_writes_into_the_given_directory(tmp_path, capsys):
    assert main([str(tmp_path)]) == 0
    assert (tmp_path / "workflow.schema.json").is_file()
    assert "workflow.schema.json" in capsys.readouterr().out
