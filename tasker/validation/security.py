"""The security sanitizer (REFERENCE §7.3): pure checks of field values, returning issues.

Two modes: `strict` (every exec type except shell) rejects command-injection patterns;
`shell` allows them (the command line is a shell script there). Path traversal and null bytes
are errors in both modes and in global values. Length limits are not applied to values that
hold a `@VAR@` placeholder (their final length is only known at run time).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

STRICT = "strict"
SHELL = "shell"

# Patterns are written so that a search stays linear in the value's length.
# Field -> maximum length (characters); exceeding it is an error.
MAX_LENGTHS = {"hostname": 253, "command": 4096, "arguments": 2000, "global": 1024}

_PLACEHOLDER = re.compile(r"@[^@\s]+@")
_INJECTION = re.compile(
    r";\s*(?:rm|curl|wget|cat)\b|\|\s*nc\b|\$\(|`[^`]*`|&&\s*rm\b|\|\|\s*curl\b"
    r"|[<>]\s*/dev/|>\s*/etc/"
)
_TRAVERSAL = re.compile(
    r"\.\./|\.\.\\|%2e%2e(?:%2f|%5c|/|\\)|\.\.%2f|\.\.%5c"
    r"|/etc/passwd|/etc/shadow|/proc/version|c:\\windows\\",
    re.IGNORECASE,
)
_DANGEROUS = re.compile(
    r"rm\s+-rf\s+/|chmod\s+777|eval\(|exec\(|sudo\s+rm|mkfs\.|\bdd\b[^\n]{0,200}?\bof=/dev/"
    r"|%[sxdn]|%[0-9a-fA-F]{2}|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}"
    r"|\bpython\s|\bperl\s|/bin/bash|\bsudo\s|\bsu\s|\bchmod\s+\d|\bchown\b"
)
# Anything that could produce an issue: a value without a match (and without a null byte, and
# within its length limit) is clean. Checked first because it is the common case.
_SUSPICIOUS = re.compile("|".join(
    f"(?:{p.pattern})" if not p.flags & re.IGNORECASE else f"(?i:{p.pattern})"
    for p in (_INJECTION, _TRAVERSAL, _DANGEROUS)))
_HOST_METACHARS = re.compile(r"[;&|$`()<>\\\"'\n]")
_HOST_UNUSUAL = re.compile(r"[^A-Za-z0-9.\-]")
_SHELL_SCRIPT_ARG = re.compile(r"-c\s.*[\"']", re.DOTALL)
_PRIVILEGED = frozenset({"sudo", "su", "doas", "pkexec", "runas"})


@dataclass(frozen=True, slots=True)
class Issue:
    """One sanitizer finding: `severity` is 'error' or 'warning'."""

    severity: str
    reason: str


def has_placeholder(value: str) -> bool:
    """True when the value holds a `@...@` placeholder."""
    return "@" in value and _PLACEHOLDER.search(value) is not None


@lru_cache(maxsize=4096)
def check_field(field: str, value: str, mode: str = STRICT) -> tuple[Issue, ...]:
    """Sanitize one of `hostname`, `command` or `arguments` (or `global`) in the given mode."""
    if field == "hostname":
        return tuple(check_hostname(value))
    if _is_clean(field, value):
        return ()
    issues = _common(field, value)
    issues += _injection(field, value, mode)
    if field == "command":
        issues += _command_warnings(value)
    return tuple(issues)


def _is_clean(field: str, value: str) -> bool:
    """Fast path: nothing in the value can raise an issue."""
    return (len(value) <= min(MAX_LENGTHS.get(field, 100), 100) and "\x00" not in value
            and (field != "command" or (" " not in value.strip()
                                        and value.rsplit("/", 1)[-1] not in _PRIVILEGED))
            and _SUSPICIOUS.search(value) is None)


def check_global_value(name: str, value: str, template: str) -> list[Issue]:
    """Sanitize a global variable value (strict mode, 1024 characters, REFERENCE §2.2)."""
    issues = _common("global", value, length_of=template)
    issues += _injection("global", value, STRICT)
    return [Issue(i.severity, f"global variable '{name}': {i.reason}") for i in issues]


def check_hostname(value: str) -> list[Issue]:
    """Hostname rules: non-empty, no shell metacharacters, no injection; odd characters warn."""
    if not value:
        return [Issue("error", "hostname is empty")]
    issues = _common("hostname", value)
    match = _HOST_METACHARS.search(value)
    if match:
        issues.append(Issue("error", f"hostname contains shell metacharacter {match.group()!r}"))
    elif _INJECTION.search(value):
        issues.append(Issue("error", "hostname contains a command-injection pattern"))
    if _HOST_UNUSUAL.search(_PLACEHOLDER.sub("", value)):
        issues.append(Issue("warning", f"hostname {value!r} contains unusual characters"))
    return issues


def _common(field: str, value: str, length_of: str | None = None) -> list[Issue]:
    """Checks shared by every field: null bytes, length, path traversal, warnings."""
    issues: list[Issue] = []
    if "\x00" in value:
        issues.append(Issue("error", f"{field} contains a null byte"))
    limit = MAX_LENGTHS.get(field)
    measured = value if length_of is None else length_of
    if limit is not None and len(measured) > limit and not has_placeholder(measured):
        issues.append(Issue("error", f"{field} is {len(measured)} characters (limit {limit})"))
    match = _TRAVERSAL.search(value)
    if match:
        issues.append(Issue("error", f"path traversal pattern {match.group()!r} in {field}"))
    issues += _warnings(field, value)
    return issues


def _injection(field: str, value: str, mode: str) -> list[Issue]:
    """Command-injection patterns: errors in strict mode, warnings in shell mode."""
    match = _INJECTION.search(value)
    if match is None:
        return []
    reason = f"command injection pattern {match.group()!r} in {field}"
    exempt = field == "arguments" and _SHELL_SCRIPT_ARG.match(value) is not None
    if mode == SHELL or exempt:
        return [Issue("warning", reason)]
    return [Issue("error", reason)]


def _warnings(field: str, value: str) -> list[Issue]:
    """Suspicious but legal content: dangerous commands, encodings, repetition."""
    issues = []
    match = _DANGEROUS.search(value)
    if match:
        issues.append(Issue("warning", f"suspicious pattern {match.group()!r} in {field}"))
    if len(value) > 100:
        _char, count = Counter(value).most_common(1)[0]
        if count > 0.8 * len(value):
            issues.append(Issue("warning", f"{field} consists mostly of one repeated character"))
    return issues


def _command_warnings(command: str) -> list[Issue]:
    """`command` should be one program: spaces and privilege tools warn."""
    issues = []
    if " " in command.strip():
        issues.append(Issue("warning", "command contains spaces; put parameters in arguments"))
    first = command.strip().split(" ", 1)[0].rsplit("/", 1)[-1]
    if first in _PRIVILEGED:
        issues.append(Issue("warning", f"command uses privilege tool '{first}'"))
    return issues
