"""Exec types and the existence of local commands (SPEC D11)."""

from __future__ import annotations

import os
import stat

from tasker.validation import command_on_path
from tests.validation.helpers import errors, task, validate, warnings


def never(_command: str) -> bool:
    return False


def test_missing_local_command_is_an_error_naming_task_and_line():
    (finding,) = validate(task(0) + task(1).replace("command=echo", "command=nope"),
                          command_exists=lambda c: c != "nope").errors
    assert finding.message.startswith("Command 'nope' not found (local execution)")
    assert (finding.location.task, finding.location.line, finding.location.field) == (
        1, 7, "command")


def test_commands_with_variables_are_not_checked():
    text = ("C=x\n" + task(0).replace("command=echo", "command=@C@")
            + task(1).replace("command=echo", "command=$TOOL"))
    assert errors(text, command_exists=never) == []


def test_only_local_commands_are_checked():
    text = task(0).replace("exec=local", "exec=shell")
    assert errors(text, command_exists=never) == []
    remote = "task=0\nhostname=node1\ncommand=record\n"
    assert errors(remote, command_exists=never, default_exec_type="pbrun",
                  canonical_exec=lambda name: name) == []


def test_default_exec_type_applies_to_tasks_without_exec():
    text = "task=0\nhostname=localhost\ncommand=gone\n"
    assert any("'gone' not found" in m for m in errors(text, command_exists=never))


def test_skip_command_validation_skips_the_check():
    assert errors(task(0), command_exists=never, skip_command_validation=True) == []


def test_hostnames_block_command_is_checked_once():
    text = "task=0\ntype=parallel\nhostnames=a,b\ncommand=gone\nexec=local\n"
    assert [m for m in errors(text, command_exists=never) if "not found" in m] == [
        "Command 'gone' not found (local execution); use --skip-command-validation if it "
        "is created at run time"]


def test_each_distinct_command_is_looked_up_once():
    seen: list[str] = []

    def exists(command: str) -> bool:
        seen.append(command)
        return True

    validate(task(0) + task(1) + task(2), command_exists=exists)
    assert seen == ["echo"]


def test_unknown_exec_type_warns():
    text = task(0).replace("exec=local", "exec=teleport")
    assert "Unknown execution type 'teleport'" in warnings(text)


def test_command_on_path_finds_programs_and_executable_files(tmp_path):
    assert command_on_path("sh")
    assert not command_on_path("surely-no-such-command-here")
    script = tmp_path / "tool.sh"
    script.write_text("#!/bin/sh\n")
    assert not command_on_path(str(script))
    os.chmod(script, script.stat().st_mode | stat.S_IXUSR)
    assert command_on_path(str(script))
    assert not command_on_path(str(tmp_path / "missing"))


def test_a_task_without_exec_naming_another_host_is_warned_about():
    """SPEC §B: the default exec type is local, so such a task runs on this machine."""
    def other(text: str) -> list[str]:
        return [w for w in warnings(text) if "is not this machine" in w]

    remote = "task=0\nhostname=db01\ncommand=echo\n"
    assert other(remote) == ["hostname 'db01' is not this machine, but the task has no exec= "
                             "and runs here with the default exec type local"]
    assert other(remote + "exec=local\n") == []  # said explicitly
    for host in ("localhost", "127.0.0.1", os.uname().nodename, "@H@"):
        assert other(f"H=x\ntask=0\nhostname={host}\ncommand=echo\n") == [], host
    block = "task=0\ntype=parallel\nhostnames=localhost,web1\ncommand=echo\n"
    assert len(other(block)) == 1 and "'web1'" in other(block)[0]


def test_names_etc_hosts_gives_to_a_loopback_address_are_this_machine():
    from tasker.validation.findings import loopback_aliases

    text = ("127.0.0.1 localhost\n127.0.1.1 Box box.lan  # this one\n::1 ip6-localhost\n"
            "10.0.0.5 db01\n# 127.0.0.1 commented\n")
    assert loopback_aliases(text) == {"localhost", "box", "box.lan", "ip6-localhost"}
