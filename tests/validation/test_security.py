"""The security sanitizer: strict vs shell mode, traversal, hostnames, limits, exemptions."""

from __future__ import annotations

import time

import pytest

from tasker.validation.security import SHELL, STRICT, check_field, check_hostname
from tests.validation.helpers import errors, task, validate, warnings


def severities(field: str, value: str, mode: str = STRICT) -> set[str]:
    return {issue.severity for issue in check_field(field, value, mode)}


@pytest.mark.parametrize("value", ["x; rm -f a", "a;curl x", "x ; wget y", "x; cat f",
                                   "a | nc host 1", "$(id)", "`id`", "a && rm b",
                                   "a || curl x", "x > /dev/sda", "x < /dev/zero",
                                   "x > /etc/hosts"])
def test_injection_patterns_are_errors_in_strict_mode(value):
    assert "error" in severities("arguments", value)
    assert "error" not in severities("arguments", value, SHELL)


@pytest.mark.parametrize("value", ["a;b", "foo | grep bar", "$HOME/x", "a && b", "x > out"])
def test_ordinary_shell_characters_are_fine_in_strict_mode(value):
    assert "error" not in severities("arguments", value)


@pytest.mark.parametrize("value", ["../x", "..\\x", "%2e%2e%2fx", "..%2Fx", "/etc/passwd",
                                   "/etc/shadow", "/proc/version", "C:\\Windows\\x"])
def test_path_traversal_is_an_error_even_in_shell_mode(value):
    assert "error" in severities("arguments", value, SHELL)


def test_shell_script_argument_is_exempt_from_injection_errors():
    assert severities("arguments", '-c "echo a; rm -f b"') == {"warning"}
    assert "error" in severities("arguments", "-c echo a; rm -f b")


@pytest.mark.parametrize(("field", "length"), [("arguments", 2001), ("command", 4097),
                                               ("hostname", 254)])
def test_length_limits_are_errors(field, length):
    value = ("a." * length)[:length] if field == "hostname" else "ab" * (length // 2) + "a"
    assert any("limit" in issue.reason for issue in check_field(field, value))


def test_length_is_not_checked_when_the_value_holds_a_placeholder():
    value = "x " * 1500 + "@X@"
    assert not any("limit" in i.reason for i in check_field("arguments", value))


def test_null_byte_is_an_error():
    assert "error" in severities("command", "ec\x00ho")


@pytest.mark.parametrize("value", ["rm -rf /", "chmod 777 x", "%n", "sudo rm x", "\\x41"])
def test_dangerous_looking_content_only_warns(value):
    assert severities("arguments", value) == {"warning"}


def test_repeated_characters_warn_in_long_fields():
    assert severities("arguments", "A" * 150) == {"warning"}


def test_command_with_spaces_or_privilege_tool_warns():
    assert severities("command", "ls -l") == {"warning"}
    assert severities("command", "/usr/bin/sudo") == {"warning"}


@pytest.mark.parametrize("host", ["web;rm", "a$b", "a`b`", "h(x)", "a|b", "a'b", "a b\nc"])
def test_hostname_metacharacters_are_errors(host):
    assert any(i.severity == "error" for i in check_hostname(host))


def test_hostname_rules_for_empty_and_unusual_names():
    assert [i.severity for i in check_hostname("")] == ["error"]
    assert [i.severity for i in check_hostname("web_01")] == ["warning"]
    assert check_hostname("@HOST@") == []
    assert check_hostname("db-1.example.com") == []


def test_validator_reports_security_errors_with_field_and_line():
    (finding,) = validate(task(0, "arguments=seq zero; rm -f x")).errors
    assert finding.message.startswith("Task field security error: command injection")
    assert (finding.location.field, finding.location.line) == ("arguments", 5)


@pytest.mark.parametrize("exec_line", ["exec=shell", "exec=bash", "exec=@MODE@"])
def test_shell_exec_types_accept_shell_syntax(exec_line):
    text = ("MODE=shell\ntask=0\nhostname=localhost\ncommand=echo\n"
            f"{exec_line}\narguments=a; echo b && echo c; rm -f x\n")
    assert errors(text) == []


def test_traversal_is_rejected_for_shell_exec_too():
    text = "task=0\nhostname=localhost\ncommand=cat\nexec=shell\narguments=../secret\n"
    assert any("path traversal" in m for m in errors(text))


def test_skip_security_skips_the_sanitizer():
    text = task(0, "arguments=seq ../../etc/passwd; rm -f x")
    assert errors(text, skip_security=True) == []


def test_unresolved_exec_placeholder_is_sanitized_strictly():
    text = task(0, "arguments=a; rm -f x").replace("exec=local", "exec=@0_stdout@")
    assert any("command injection" in m for m in errors(text))


def test_security_warnings_reach_the_report():
    assert any(m.startswith("Security warning") for m in warnings(task(0, "arguments=%n")))


@pytest.mark.parametrize("value", ["$(" * 100000, " dd" * 50000, "${" * 100000])
def test_pathological_values_are_checked_in_linear_time(value):
    started = time.perf_counter()
    check_field.cache_clear()
    check_field("arguments", "@X@" + value)
    validate(f"X=1\n{task(0, 'arguments=@X@' + value)}", skip_security=True)
    assert time.perf_counter() - started < 1.0
