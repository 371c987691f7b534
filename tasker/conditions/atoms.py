"""Classify the text of one atom into an `Atom` (which test it is), and say which atoms a
validator should accept.

The scanner (`parser.py`) has already split the atom into operand, operator and value.
Keywords are case-insensitive (`STDOUT~x`, `TRUE`, `EXIT_0`); values keep their case.
"""

from __future__ import annotations

import re

from tasker.conditions.nodes import Atom, AtomKind

STREAMS = ("stdout", "stderr")
MULTI_KEYWORDS = ("all_success", "any_success", "majority_success")
MULTI_COMPARE_KEYWORDS = ("min_success", "max_failed", "max_success", "min_failed")
ORDER_OPS = frozenset({"<", "<=", ">", ">="})
EQUALITY_OPS = frozenset({"=", "!="})
MATCH_OPS = frozenset({"~", "!~"})
LEGACY_PREFIXES = ("not_contains:", "contains:")

_EXIT_N = re.compile(r"exit_(\d{1,18})", re.IGNORECASE | re.ASCII)
_BARE_REFERENCE = re.compile(r"@[A-Za-z0-9_]+@")
_RECOGNIZED_OPERAND = re.compile(r"@[A-Za-z0-9_]+@|[A-Za-z_][A-Za-z0-9_]*")


def classify_keyword(text: str, column: int) -> Atom:
    """An atom written without a comparison operator (`exit_0`, `true`, `@0_success@`)."""
    lower = text.lower()
    match = _EXIT_N.fullmatch(text)
    if match:
        return Atom(text, column, AtomKind.EXIT_CODE, value=match.group(1))
    if lower == "exit_not_0":
        return Atom(text, column, AtomKind.EXIT_NOT_0)
    if lower in ("true", "false"):
        return Atom(text, column, AtomKind.LITERAL, value=lower)
    if lower == "success":
        return Atom(text, column, AtomKind.SUCCESS)
    if lower in MULTI_KEYWORDS:
        return Atom(text, column, AtomKind.MULTI, operand=lower)
    if _BARE_REFERENCE.fullmatch(text):
        return Atom(text, column, AtomKind.REFERENCE, operand=text)
    return Atom(text, column, AtomKind.UNKNOWN)


def classify_legacy(text: str, column: int, prefix: str, value: str, quoted: bool) -> Atom:
    """A `contains:X` / `not_contains:X` atom."""
    kind = AtomKind.NOT_CONTAINS if prefix == "not_contains:" else AtomKind.CONTAINS
    return Atom(text, column, kind, operand=prefix, op="~", value=value, quoted=quoted,
                stream="stdout")


def classify_comparison(text: str, column: int, operand: str, op: str, value: str, *,
                        quoted: bool) -> Atom:
    """An atom `operand op value`; `op` is already normalised (`==` -> `=`)."""
    lower = operand.lower()
    fields = {"operand": operand, "op": op, "value": value, "quoted": quoted}
    kind = _comparison_kind(lower, op)
    stream = None
    if kind == AtomKind.STREAM:
        stream = lower
    elif kind == AtomKind.COUNT:
        stream = lower.removesuffix("_count")
    if kind in (AtomKind.MULTI_COMPARE, AtomKind.STREAM, AtomKind.COUNT):
        fields["operand"] = lower
    return Atom(text, column, kind, stream=stream, **fields)


def _comparison_kind(lower: str, op: str) -> str:
    if not lower:
        return AtomKind.UNKNOWN
    if lower in STREAMS:
        return AtomKind.STREAM
    if lower in ("stdout_count", "stderr_count"):
        return AtomKind.UNKNOWN if op in MATCH_OPS else AtomKind.COUNT
    if lower == "exit":
        return AtomKind.UNKNOWN if op in MATCH_OPS else AtomKind.EXIT_COMPARE
    if lower in MULTI_COMPARE_KEYWORDS:
        return AtomKind.MULTI_COMPARE if op == "=" else AtomKind.UNKNOWN
    if lower in MULTI_KEYWORDS:
        return AtomKind.UNKNOWN
    return AtomKind.COMPARE


def atom_is_recognized(atom: Atom) -> bool:
    """Whether a validator should accept this atom (TASKER's rules plus SPEC D1/D2/D6).

    Unknown atoms are rejected, and so is a generic comparison whose left side is neither an
    identifier nor a single `@...@` reference (`exit_0 or stdout~a` is not a condition).
    """
    if atom.kind == AtomKind.UNKNOWN:
        return False
    if atom.kind == AtomKind.COMPARE:
        return bool(_RECOGNIZED_OPERAND.fullmatch(atom.operand))
    return True
