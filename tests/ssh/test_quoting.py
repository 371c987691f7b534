"""What `{arguments_quoted}` must do: quote each argument for the remote shell (issue 6)."""

from __future__ import annotations

import shlex

import pytest

from tests.sshhosts import SshHosts

pytestmark = [pytest.mark.ssh, pytest.mark.slow]

NASTY = """it's a "quoted" $HOME `id` arg; with * \\ and\ttab | > x"""


def remote_argv(hosts: SshHosts, name: str, remote_command: str) -> list[str]:
    """The argument list the remote shell built, as printed NUL-separated by printf."""
    result = hosts.run(name, remote_command)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\0")[:-1]


def test_quoted_argument_with_spaces_and_both_quotes_arrives_unchanged(
        ssh_hosts: SshHosts) -> None:
    remote = shlex.join(["printf", "%s\\0", NASTY])
    assert remote_argv(ssh_hosts, "host001", remote) == [NASTY]


def test_each_argument_quoted_separately_stays_a_separate_argument(
        ssh_hosts: SshHosts) -> None:
    arguments = """plain "two words" 'single '"'"'quote' "" ünïcode"""
    split = shlex.split(arguments)
    quoted = " ".join(shlex.quote(argument) for argument in split)
    assert remote_argv(ssh_hosts, "host002", f"printf '%s\\0' {quoted}") == split


def test_separate_ssh_arguments_are_joined_and_resplit_by_the_remote_shell(
        ssh_hosts: SshHosts) -> None:
    result = ssh_hosts.run("host003", "printf", "'%s\\0'", "two words")
    assert result.stdout.split("\0")[:-1] == ["two", "words"]


def test_unquoted_arguments_let_the_remote_shell_expand_variables(
        ssh_hosts: SshHosts) -> None:
    result = ssh_hosts.run("host004", "printf", "'%s\\0'", "$HOME")
    assert result.stdout.split("\0")[:-1] == ["/root"]
