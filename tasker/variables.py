"""`@...@` placeholders, `$ENV` expansion and output splitting (REFERENCE §4, SPEC D1, D6, D10).

Substitution is one left-to-right pass over the text: a recognised reference is replaced and
the scan continues *after* the replacement, so task output holding `@X@` is never expanded
again (D1; TASKER 2.2 does expand it). An unknown or not-yet-available reference stays literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# @N_field@ (field case-insensitive) or @NAME@ (globals, @task@).
# Task IDs are bounded (0-9999, generated 100000+); a longer digit run is no reference and
# must never reach int() (Python refuses strings over 4300 digits).
_REFERENCE = re.compile(r"@(?:(\d{1,18})_([A-Za-z_]+)|([A-Za-z_][A-Za-z0-9_]*))@", re.ASCII)
_ENV = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)   # the pattern of os.path.expandvars


@dataclass(frozen=True)
class ResultView:
    """What `@N_field@` can read of task N."""

    exit_code: int
    stdout: str               # after split; first 100 KiB when spilled; trailing \n stripped on use
    stderr: str
    success: bool
    stdout_file: str = ""
    stderr_file: str = ""
    hostname: str = ""
    duration: float = 0.0
    success_count: int | None = None   # blocks only
    failed_count: int | None = None
    total_count: int | None = None


def _optional(value: int | None) -> str | None:
    return None if value is None else str(value)


_FIELDS: dict[str, Callable[[ResultView], str | None]] = {
    "stdout": lambda r: r.stdout.rstrip("\r\n"),
    "stderr": lambda r: r.stderr.rstrip("\r\n"),
    "exit": lambda r: str(r.exit_code),
    "exit_code": lambda r: str(r.exit_code),
    "success": lambda r: "True" if r.success else "False",
    "stdout_file": lambda r: r.stdout_file,
    "stderr_file": lambda r: r.stderr_file,
    "hostname": lambda r: r.hostname,
    "duration": lambda r: f"{r.duration:.3f}",
    "success_count": lambda r: _optional(r.success_count),
    "failed_count": lambda r: _optional(r.failed_count),
    "total_count": lambda r: _optional(r.total_count),
}
RESULT_FIELDS: frozenset[str] = frozenset(_FIELDS)


@dataclass(frozen=True)
class Reference:
    """One `@...@` in a text. kind: "result" (`@N_field@`), "task" (`@task@`) or "global"."""

    text: str                  # as written, with the @s
    kind: str
    name: str                  # between the @s
    start: int                 # 0-based offset in the text
    task_id: int | None = None
    field: str | None = None   # lower-cased; may be outside RESULT_FIELDS (the validator's call)


def substitute(text: str, globals: Mapping[str, str], results: Mapping[int, ResultView],
               task_id: int | None = None) -> str:
    """Replace every known `@...@` in one left-to-right pass; unknown ones stay literal.

    `@N_field@` reads `results[N]`, `@task@` gives `task_id` when given, `@NAME@` reads
    `globals` (already chain-expanded). Replacement text is never rescanned (SPEC D1).
    """
    if "@" not in text:
        return text
    parts: list[str] = []
    pos = 0
    while (match := _REFERENCE.search(text, pos)) is not None:
        value = _lookup(match, globals, results, task_id)
        if value is None:
            # Keep the opening '@' literal; its closing '@' may open a known reference.
            parts.append(text[pos:match.start() + 1])
            pos = match.start() + 1
        else:
            parts.append(text[pos:match.start()])
            parts.append(value)
            pos = match.end()
    parts.append(text[pos:])
    return "".join(parts)


def _lookup(match: re.Match[str], globals: Mapping[str, str],
            results: Mapping[int, ResultView], task_id: int | None) -> str | None:
    number, field, name = match.groups()
    if name is None:
        result = results.get(int(number))
        getter = _FIELDS.get(field.lower())
        return None if result is None or getter is None else getter(result)
    if name == "task" and task_id is not None:
        return str(task_id)
    return globals.get(name)


def references(text: str) -> list[Reference]:
    """Every `@...@` reference in `text`, left to right (for validation)."""
    found = []
    for match in _REFERENCE.finditer(text):
        number, field, name = match.groups()
        if name is None:
            found.append(Reference(match.group(0), "result", match.group(0)[1:-1],
                                   match.start(), int(number), field.lower()))
        else:
            kind = "task" if name == "task" else "global"
            found.append(Reference(match.group(0), kind, name, match.start()))
    return found


def expand_env(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Expand `$X` and `${X}` from `env` like os.path.expandvars (unset ones stay literal).

    Returns the text and the names left unexpanded, each once, in order of appearance.
    """
    if "$" not in text:
        return text, []
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("{") and name.endswith("}"):
            name = name[1:-1]
        if name in env:
            return env[name]
        if name not in missing:
            missing.append(name)
        return match.group(0)

    return _ENV.sub(replace, text), missing


_SPLIT_KEYWORDS = {
    "space": " +", "whitespace": r"\s+", "tab": "\t+", "newline": "\n+", "comma": ",",
    "semicolon": ";", "semi": ";", "colon": ":", "pipe": r"\|",
}


def apply_split(text: str, spec: str) -> str:
    """Apply a `stdout_split`/`stderr_split` spec `DELIM,INDEX` (REFERENCE §4.4, SPEC D10).

    DELIM is a keyword (space, whitespace, tab, newline, comma, semicolon/semi, colon, pipe;
    any case) or else a raw regex; INDEX is 0-based. The text is returned unchanged when the
    spec is malformed, the regex invalid, or the index negative or out of range. A trailing
    newline stays on the last element.
    """
    delimiter, comma, index_text = spec.rpartition(",")
    delimiter = delimiter.strip()
    if not comma or not delimiter or not re.fullmatch(r"\s*\d{1,9}\s*", index_text):
        return text
    pattern = _SPLIT_KEYWORDS.get(delimiter.lower(), delimiter)
    try:
        parts = re.split(pattern, text)
    except re.error:
        return text
    index = int(index_text)
    return parts[index] if index < len(parts) else text
