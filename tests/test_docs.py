"""The README documents every CLI flag and every task-file key, and opens with two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasker.cli.options import build_parser
from tasker.model import TASK_FIELD_NAMES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def all_flags() -> list[str]:
    parser = build_parser(["local"])
    return sorted({flag for action in parser._actions for flag in action.option_strings})


@pytest.mark.parametrize("flag", all_flags())
def test_every_cli_flag_is_documented(flag):
    assert re.search(rf"`{re.escape(flag)}[` ]", README), f"{flag} missing from README.md"


@pytest.mark.parametrize("key", TASK_FIELD_NAMES)
def test_every_task_file_key_is_documented(key):
    assert f"`{key}`" in README, f"task-file key {key} missing from README.md"


def test_readme_opens_with_the_install_and_test_commands():
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert block == ["pip install -e . && tasker examples/hello.txt -r",
                     "pip install -e '.[test]' && python -m pytest -q"]
    assert README.index("```bash") < README.index("## ")
