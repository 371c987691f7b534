"""Generate the JSON Schemas of tasker's pydantic models into `schemas/`.

    python -m tasker.schemas_gen [DIR]     # default: the repository's schemas/ directory

Each entry of SCHEMAS names a file and the model it describes; add a line there to publish
another model. `tests/test_schemas.py` fails when a committed schema differs from the output.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from pydantic import BaseModel

# file name -> "module:Model"
SCHEMAS: dict[str, str] = {
    "workflow.schema.json": "tasker.model:Workflow",
}

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "schemas"


def load_model(spec: str) -> type[BaseModel]:
    """The model class named by `module:Model`."""
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def render_schema(spec: str) -> str:
    """The JSON Schema text of one model: sorted keys, two-space indent, final newline
    (the same rendering as `tasker.shim_protocol.schema_documents`)."""
    return json.dumps(load_model(spec).model_json_schema(), indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path | str = DEFAULT_DIR) -> list[Path]:
    """Write every schema of SCHEMAS into `directory`; return the paths written."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in SCHEMAS.items():
        path = target / name
        path.write_text(render_schema(spec), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write the schemas and list them."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_schemas(args[0] if args else DEFAULT_DIR):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
