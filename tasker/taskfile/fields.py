"""Conversion of raw task-field text to model values, pure; bad values raise TaskFileError."""

from __future__ import annotations

from collections.abc import Mapping

from tasker.errors import Location, TaskFileError
from tasker.taskfile.syntax import GLOBAL_REF, global_refs, parse_int


def to_int(text: str, location: Location) -> int:
    """`text` as an integer, or a TaskFileError naming the field."""
    value = parse_int(text)
    if value is None:
        raise TaskFileError(f"value '{text[:80]}' is not a valid integer", location)
    return value


def to_int_list(text: str, location: Location) -> tuple[int, ...]:
    """A comma-separated list of task IDs; an empty value is the empty tuple."""
    if not text.strip():
        return ()
    values = [parse_int(part) for part in text.split(",")]
    if any(value is None for value in values):
        raise TaskFileError(
            f"invalid task list '{text[:80]}' (comma-separated task IDs expected)", location)
    return tuple(v for v in values if v is not None)


def to_bool(text: str, location: Location) -> bool:
    """`true` or `false` (any case)."""
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise TaskFileError(f"value '{text[:80]}' must be true or false", location)
    return lowered == "true"


def resolve_int(text: str, globals_: Mapping[str, str], location: Location) -> int:
    """An integer field that may be a `@GLOBAL@` placeholder, resolved now (SPEC D13)."""
    if "@" not in text:
        return to_int(text, location)
    missing = [name for name in global_refs(text) if name not in globals_]
    if missing:
        raise TaskFileError(
            f"value '{text[:80]}' uses undefined global variable '{missing[0]}'", location)
    resolved = GLOBAL_REF.sub(lambda m: globals_[m.group(1)], text)
    value = parse_int(resolved)
    if value is None:
        raise TaskFileError(
            f"value '{text[:80]}' resolves to '{resolved[:80]}', which is not a valid integer",
            location)
    return value


def to_hostnames(text: str) -> tuple[str, ...]:
    """The names of a `hostnames=` list, trimmed; duplicates are kept."""
    return tuple(part.strip() for part in text.split(","))
