"""File-defined arguments: the header scan of REFERENCE §1.2."""

from __future__ import annotations

import pytest

from tasker.cli.fileargs import dropped_warning, read_file_args
from tasker.errors import FileArgumentError, UsageError


def test_comments_and_blank_lines_may_precede_the_header():
    args = read_file_args("# top\n\n--start-from=1\n# more\n--run\ntask=0\n", "f.txt")
    assert args.tokens() == ["--start-from=1", "--run"]
    assert [a.line for a in args.accepted] == [3, 5]


def test_first_key_value_line_ends_the_header():
    args = read_file_args("--run\nMODE=test\n--validate-only\ntask=0\n", "f.txt")
    assert args.tokens() == ["--run"]


def test_argument_inside_task_section_is_not_a_file_argument():
    args = read_file_args("task=0\nhostname=x\n--validate-only\n", "f.txt")
    assert args.tokens() == []


def test_line_without_equals_is_skipped_without_ending_the_header():
    args = read_file_args("just words\n--run\ntask=0\n", "f.txt")
    assert args.tokens() == ["--run"]


def test_indented_and_crlf_lines_are_stripped():
    args = read_file_args("  --run  \r\n--log-level=DEBUG\r\ntask=0\r\n", "f.txt")
    assert args.tokens() == ["--run", "--log-level=DEBUG"]


@pytest.mark.parametrize("flag", ["--help", "-h", "--version", "-V", "--force-instance"])
def test_cli_only_flag_is_refused_with_file_and_line(flag):
    with pytest.raises(FileArgumentError) as info:
        read_file_args(f"# c\n{flag}\ntask=0\n", "f.txt")
    assert info.value.exit_code == 20
    assert f"File-defined argument '{flag}' is not allowed (CLI-only flag)" in str(info.value)
    assert (info.value.location.file, info.value.location.line) == ("f.txt", 2)


@pytest.mark.parametrize("flag", ["--skip-security-validation", "--skip-validation",
                                  "--fire-and-forget"])
def test_security_sensitive_flag_is_dropped(flag):
    args = read_file_args(f"{flag}\n--run\ntask=0\n", "f.txt")
    assert args.tokens() == ["--run"]
    assert [(a.text, a.line) for a, _ in args.dropped] == [(flag, 1)]


def test_dropped_flag_warning_has_three_lines_and_says_blocked():
    args = read_file_args("--fire-and-forget\n", "f.txt")
    lines = dropped_warning(args.dropped[0][0], "f.txt")
    assert len(lines) == 3
    assert lines[0].startswith("WARNING:") and "'--fire-and-forget'" in lines[0]
    assert "Action: BLOCKED" in lines[1]


def test_single_dash_long_flag_is_a_usage_error():
    with pytest.raises(UsageError) as info:
        read_file_args("-auto-recovery\n", "f.txt")
    assert info.value.exit_code == 2
    assert "Invalid argument syntax" in str(info.value)
    assert info.value.location.line == 1


def test_single_dash_short_flag_with_value_is_accepted():
    assert read_file_args("-t=local\n-r\n", "f.txt").tokens() == ["-t=local", "-r"]


def test_unknown_flags_are_kept_for_the_option_parser_to_ignore():
    assert read_file_args("--timeout=60\n--no-such\n", "f.txt").tokens() == [
        "--timeout=60", "--no-such"]


def test_empty_text_gives_no_arguments():
    args = read_file_args("", "f.txt")
    assert args.tokens() == [] and args.dropped == []


def test_a_short_flag_with_its_value_attached_is_not_a_single_dash_long_name():
    assert read_file_args("-o60\n-l/tmp/x\n--run\ntask=0\n", "f.txt").tokens() == [
        "-o60", "-l/tmp/x", "--run"]
