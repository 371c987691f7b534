"""Execution types: lookup order, YAML errors, argv templates, aliases, timeouts."""

from __future__ import annotations

import filecmp
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tasker import execconfig_data
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


def test_preparsed_shipped_config_is_in_sync_with_the_yaml():
    generated = execconfig_data.render(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    assert Path(execconfig_data.__file__).read_text(encoding="utf-8") == generated, \
        "run `python -m tasker.execconfig_data` after editing tasker/data/execution_types.yaml"


def test_shipped_config_loads_without_importing_yaml(tmp_path):
    code = ("import sys; from pathlib import Path; from tasker.execconfig import load_exec_config;"
            " c = load_exec_config({}, Path(sys.argv[1])); assert 'ssh' in c.types, c;"
            " assert 'yaml' not in sys.modules, 'yaml imported'")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_an_edited_copy_of_the_shipped_config_is_parsed_from_its_yaml(tmp_path):
    text = PACKAGED_CONFIG.read_text(encoding="utf-8").replace("default_timeout: 300",
                                                               "default_timeout: 77")
    write(tmp_path / "cfg" / "execution_types.yaml", text)
    assert load_exec_config({}, tmp_path).timeout_for("ssh") == 77


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
    assert build("ssh", "h", "ls", "-l 'a b'", {}, timeout=60) == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "--", "h",
        "timeout", "-k", "5", "60", "ls", "-l 'a b'"]


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


def ssh_argv(arguments, command="printf", **kwargs):
    return load_exec_config({}, REPO).build_argv("ssh", "h1", command, arguments,
                                                 {"HOME": "/home/u"}, **kwargs)


def test_shipped_ssh_runs_the_command_under_the_remote_timeout():
    assert ssh_argv("-s", command="hostname", timeout=42) == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "--", "h1",
        "timeout", "-k", "5", "42", "hostname", "-s"]


def test_timeout_placeholder_rounds_up_to_whole_seconds():
    assert ssh_argv("", timeout=5.2)[10] == "6"
    assert ssh_argv("", timeout=0.2)[10] == "1"
    assert ssh_argv("", timeout=0)[10] == "1"


def test_timeout_placeholder_without_a_timeout_uses_the_type_default():
    assert ssh_argv("")[10] == "300"
    config = parse_exec_config(WRAPPERS.replace("{command} {arguments}", "{timeout}"), "x")
    assert config.build_argv("one", "h", "ls", "", {}) == ["wrap", "h", "120"]
    assert parse_exec_config(
        "platforms: {linux: {t: {binary: b, command_template: ['{timeout}']}}}", "x"
    ).build_argv("t", "h", "c", "", {}) == ["300"]


def test_arguments_quoted_is_one_element_that_a_shell_splits_back_unchanged():
    arguments = """'it'"'"'s' "a \\"quoted\\" word; with * | > x" $HOME ${NOPE} ''"""
    element = ssh_argv(arguments)[-1]
    assert shlex.split(element) == ["it's", 'a "quoted" word; with * | > x', "/home/u",
                                    "${NOPE}", ""]
    assert element.count(" ") >= 4


def test_arguments_quoted_keeps_metacharacters_from_the_remote_shell():
    element = ssh_argv("'$(id)' '`id`' ';' '>x'")[-1]
    assert element == "'$(id)' '`id`' ';' '>x'"


def test_command_quoted_is_one_shell_word():
    assert ssh_argv("", command="my prog")[11] == "'my prog'"
    assert ssh_argv("", command="hostname")[11] == "hostname"


def test_arguments_quoted_with_an_unclosed_quote_is_a_clear_error():
    with pytest.raises(ArgumentSplitError, match="No closing quotation"):
        ssh_argv("'open")


def test_arguments_and_arguments_split_are_unchanged_next_to_the_new_placeholders(tmp_path):
    config = load_exec_config({}, tmp_path)
    assert config.build_argv("pbrun", "h", "ls", "'a b' $HOME", {"HOME": "/h"}) == [
        "pbrun", "-n", "-h", "h", "ls", "a b", "/h"]
    assert config.build_argv("shell", "h", "echo", "'a b' | wc", {}) == [
        "/bin/bash", "-c", "echo 'a b' | wc"]


def test_shipped_ssh_connection_test_runs_true_remotely(tmp_path):
    config = load_exec_config({}, tmp_path)
    test = config.validation_test("ssh")
    assert (test.command, test.arguments, test.expected_exit) == ("true", "", 0)
    argv = config.build_argv("ssh", "h", test.command, test.arguments, {})
    assert argv[6:] == ["h", "timeout", "-k", "5", "300", "true", ""]


def test_shipped_ssh_puts_the_hostname_after_end_of_options(tmp_path):
    argv = load_exec_config({}, tmp_path).build_argv("ssh", "-oProxyCommand=x", "c", "", {})
    assert argv[argv.index("--") + 1] == "-oProxyCommand=x"


def test_tasker_s_own_shell_aliases_hold_without_the_config_s(tmp_path):
    """REFERENCE §6: bash, sh, /bin/bash, /bin/sh and cmd stand for shell (TASKER 2.2 reads its
    own shipped file); a config's own alias or type of that name still wins."""
    shell = ("platforms:\n  linux:\n    shell:\n      binary: /bin/bash\n"
             "      command_template: ['{binary}', '-c', '{command}']\n")
    config = parse_exec_config(shell, "c.yaml")
    assert [config.canonical(a) for a in ("/bin/bash", "/BIN/SH", "cmd", "bash", "sh")] == [
        "shell"] * 5
    own = parse_exec_config(shell + "    cmd:\n      binary: cmd.exe\n"
                            "      command_template: ['{binary}', '/c', '{command}']\n"
                            "aliases:\n  sh: cmd\n", "c.yaml")
    assert (own.canonical("cmd"), own.canonical("sh"), own.canonical("bash")) == (
        "cmd", "cmd", "shell")
    assert parse_exec_config("platforms: {}\n", "c.yaml").canonical("bash") is None
