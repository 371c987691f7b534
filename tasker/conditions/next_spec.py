"""The `next=` field: its special forms (REFERENCE §5.4, SPEC D3, D4) or a condition."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tasker.conditions.nodes import Condition
from tasker.conditions.parser import parse_condition, parse_condition_tail

NEXT_KINDS = ("never", "always", "loop", "success", "condition")
_KEYWORDS = frozenset({"never", "always", "loop", "success"})
# `loop&COND` / `loop AND COND` (seed syntax, D4): everything after the operator is COND.
_LOOP_WITH_CONDITION = re.compile(r"\s*(?i:loop)(?:\s*&|\s+AND(?=\s))")


@dataclass(frozen=True)
class NextSpec:
    """What a `next=` value asks for.

    kind "never" / "always" / "success": the keyword; "loop": repeat (with `condition`, repeat
    while it holds: D4); "condition": route on `condition`.
    """

    kind: str
    text: str
    condition: Condition | None = None


def is_loop(text: str) -> bool:
    """`next=loop` or the seed form `next=loop&COND` / `loop AND COND` (SPEC D4)."""
    return text.lower() == "loop" or _LOOP_WITH_CONDITION.match(text) is not None


@lru_cache(maxsize=1024)
def parse_next(text: str) -> NextSpec:
    """Read a `next=` value; keywords are case-insensitive. Raises ConditionSyntaxError."""
    keyword = text.strip().lower()
    if keyword in _KEYWORDS:
        return NextSpec(keyword, text)
    loop = _LOOP_WITH_CONDITION.match(text)
    if loop:
        return NextSpec("loop", text, parse_condition_tail(text, loop.end()))
    return NextSpec("condition", text, parse_condition(text))
