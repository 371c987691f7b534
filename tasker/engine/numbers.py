"""Numeric task fields resolved at run time (`sleep`, `return`, `retry_*`, `timeout`). Pure.

Values may hold `@VAR@` placeholders and, per SPEC D5, a trailing ` # comment`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from tasker import sizes
from tasker.model import TaskBase

_COMMENT = re.compile(r"\s+#.*$")
DEFAULT_RETRY_COUNT = 1
DEFAULT_RETRY_DELAY = 1.0
MAX_RETRY_COUNT = 1000
MAX_RETRY_DELAY = 300.0


def _clean(text: str | None, resolve: Callable[[str], str]) -> str | None:
    if text is None:
        return None
    return _COMMENT.sub("", resolve(text)).strip()


def parse_int(text: str | None, resolve: Callable[[str], str]) -> int | None:
    """The integer value of a field after substitution, or None when absent or not an int."""
    value = _clean(text, resolve)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def return_code(task: object) -> int | None:
    """A task's `return=` as an integer, None when absent or not an int. Never substituted:
    REFERENCE §4.2 does not count `return` among the resolved fields."""
    return parse_int(getattr(task, "return_value", None), _as_written)


def _as_written(text: str) -> str:
    return text


def parse_float(text: str | None, resolve: Callable[[str], str]) -> float | None:
    """The float value of a field after substitution, or None when absent or not a number."""
    value = _clean(text, resolve)
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is None or math.isfinite(number) else None


def retry_enabled(task: TaskBase) -> bool:
    """Retry is on when `retry_count` is present or `retry_failed=true` (REFERENCE §5.12)."""
    return task.retry_count is not None or bool(task.retry_failed)


def retry_settings(task: TaskBase, resolve: Callable[[str], str]) -> tuple[int, float]:
    """(extra attempts, delay seconds); out-of-range values fall back to 1 (REFERENCE §2.4)."""
    if not retry_enabled(task):
        return 0, 0.0
    count = parse_int(task.retry_count, resolve)
    if count is None or not 1 <= count <= MAX_RETRY_COUNT:
        count = DEFAULT_RETRY_COUNT
    delay = parse_float(task.retry_delay, resolve)
    if delay is None or not 0 <= delay <= MAX_RETRY_DELAY:
        delay = DEFAULT_RETRY_DELAY
    return count, delay


def parse_size(text: str | None, resolve: Callable[[str], str]) -> int | None:
    """`memory_limit` after substitution in bytes; None when absent or not a valid size."""
    value = _clean(text, resolve)
    try:
        return sizes.parse_size(value) if value else None
    except ValueError:
        return None
