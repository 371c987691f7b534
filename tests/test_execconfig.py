"""Execution types: lookup order, YAML errors, argv templates, aliases, timeouts."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from tasker.errors import ExecConfigError
from tasker.execconfig import (
    PACKAGED_CONFIG,
    ArgumentSplitError,
    load_exec_config,
    parse_exec_config,
)

REPO = Path(__file__).resolve().parents[1]

WRAPPERS = """
platforms:
  linux:
    default_exec_type: pbrun
    default_timeout: 120
    pbrun:
      binary: pbrun
      timeout: 30
      command_template: ["{binary}", "-n", "-h", "{hostname}", "{command}", "{arguments_split}"]
      validation_test: {command: pbtest, expected_exit: 0, expected_output: OK}
    one:
      binary: wrap
      command_template: ["{binary}", "{hostname}", "{command} {arguments}"]
      validation_test: null
aliases:
  PB: pbrun
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_packaged_copy_is_identical_to_cfg():
    assert filecmp.cmp(REPO / "cfg" / "execution_types.yaml", PACKAGED_CONFIG, shallow=False)


def test_shipped_config_defaults_to_local_with_the_spec_types(tmp_path):
    config = load_exec_config({}, tmp_path)
    assert config.source == str(PACKAGED_CONFIG)
    assert config.default_exec_type() == "local"
    assert config.type_names() == ["local", "shell", "pbrun", "p7s", "wwrs", "ssh"]
    assert config.timeout_for("ssh") == 300


@pytest.mark.parametrize("alias", ["bash", "sh", "/bin/bash", "/bin/sh", "SH", "Shell"])
def test_shell_aliases_are_case_insensitive(alias, tmp_path):
    assert load_exec_config({}, tmp_path).canonical(alias) == "shell"


def test_shipped_templates_build_the_reference_argv(tmp_path):
    config = load_exec_config({}, tmp_path)
    build = config.build_argv
    assert build("shell", "h", "ls", "-l | wc", {}) == ["/bin/bash", "-c", "ls -l | wc"]
    assert build("pbrun", "h", "ls", "-l 'a b'", {}) == ["pbrun", "-n", "-h", "h", "ls", "-l",
                                                         "a b"]
    assert build("wwrs", "h", "ls", "x", {}) == ["wwrs_clir", "h", "ls", "x"]
    assert build("ssh", "h", "ls", "-l 'a b'", {}) == [
        "ssh", "-o", "BatchMode=yes", "h", "ls", "-l 'a b'"]


def test_cwd_config_outranks_packaged_copy(tmp_path):
    write(tmp_path / "cfg" / "execution_types.yaml", WRAPPERS)
    config = load_exec_config({}, tmp_path)
    assert config.source == str(tmp_path / "cfg" / "execution_types.yaml")
    assert config.default_exec_type() == "pbrun"


def test_env_config_outranks_cwd_config(tmp_path):
    write(tmp_path / "cfg" / "execution_types.yaml", WRAPPERS)
    explicit = write(tmp_path / "other.yaml", "platforms: {linux: {default_timeout: 7}}\n")
    config = load_exec_config({"TASKER_EXEC_CONFIG": str(explicit)}, tmp_path)
    assert config.source == str(explicit)
    assert config.type_names() == ["local"]
    assert config.timeout_for("local") == 7


def test_env_config_naming_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(ExecConfigError, match="TASKER_EXEC_CONFIG"):
        load_exec_config({"TASKER_EXEC_CONFIG": str(tmp_path / "nope.yaml")}, tmp_path)


def test_invalid_yaml_names_file_and_line():
    with pytest.raises(ExecConfigError) as info:
        parse_exec_config("platforms:\n  linux:\n    shell: [unclosed\n", "x.yaml")
    assert info.value.location.file == "x.yaml"
    assert info.value.location.line is not None
    assert str(info.value).startswith("x.yaml:")


def test_wrong_types_in_yaml_are_a_clear_error():
    text = "platforms:\n  linux:\n    bad:\n      binary: b\n      command_template: 5\n"
    with pytest.raises(ExecConfigError, match="exec type 'bad'"):
        parse_exec_config(text, "x.yaml")


def test_non_mapping_yaml_is_an_error():
    with pytest.raises(ExecConfigError, match="mapping"):
        parse_exec_config("- a\n- b\n", "x.yaml")


def test_empty_yaml_gives_only_local():
    config = parse_exec_config("", "x.yaml")
    assert config.type_names() == ["local"]
    assert config.default_exec_type() == "local"


def test_type_timeout_outranks_platform_default():
    config = parse_exec_config(WRAPPERS, "x.yaml")
    assert config.timeout_for("pbrun") == 30
    assert config.timeout_for("one") == 120
    assert config.timeout_for("local") == 120


def test_validation_test_is_none_for_local_and_null_tests():
    config = parse_exec_config(WRAPPERS, "x.yaml")
    assert config.validation_test("PB").command == "pbtest"
    assert config.validation_test("one") is None
    assert config.validation_test("local") is None


def test_arguments_placeholder_inside_an_element_is_one_string():
    config = parse_exec_config(WRAPPERS, "x.yaml")
    argv = config.build_argv("one", "h", "ls", "-l $HOME", {"HOME": "/home/u"})
    assert argv == ["wrap", "h", "ls -l /home/u"]


def test_substituted_values_are_not_expanded_again():
    config = parse_exec_config(WRAPPERS, "x.yaml")
    argv = config.build_argv("one", "{command}", "{binary}", "", {})
    assert argv == ["wrap", "{command}", "{binary} "]


def test_local_splits_like_a_shell_and_expands_env():
    config = parse_exec_config("", "x.yaml")
    argv = config.build_argv("local", "ignored", "echo", '"/var/log dir" $HOME ${U}x $NOPE',
                             {"HOME": "/h", "U": "u"})
    assert argv == ["echo", "/var/log dir", "/h", "ux", "$NOPE"]


def test_unclosed_quote_is_a_clear_error():
    with pytest.raises(ArgumentSplitError, match="No closing quotation"):
        parse_exec_config("", "x.yaml").build_argv("local", "h", "echo", "'open", {})


def test_unknown_type_lists_available_types():
    config = parse_exec_config(WRAPPERS, "x.yaml")
    assert config.canonical("nope") is None
    with pytest.raises(ExecConfigError, match=r"not found.*nope.*local, pbrun, one"):
        config.build_argv("nope", "h", "ls", "", {})
