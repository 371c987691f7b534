"""Numeric task fields resolved at run time (`sleep`, `return`, `retry_*`, `timeout`). Pure.

Values may hold `@VAR@` placeholders and, per SPEC D5, a trailing ` # comment`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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


def parse_float(text: str | None, resolve: Callable[[str], str]) -> float | None:
    """The float value of a field after substitution, or None when absent or not a number."""
    value = _clean(text, resolve)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


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


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)[bB]?\s*$")
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str | None, resolve: Callable[[str], str]) -> int | None:
    """`512M`, `2G`, `4096` -> bytes (binary multiples); None when absent or malformed."""
    value = _clean(text, resolve)
    match = _SIZE.match(value) if value else None
    if match is None:
        return None
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    return size or None
