"""Memory sizes as operators write them: `512M`, `2G`, `1.5g`, `64MiB`, `4096` (bytes). Pure.

One parser for `--memory-limit`, the `memory_limit=` task key (validation and run time), so a
value the validator accepts is the value the executor enforces. Units are binary multiples.
"""

from __future__ import annotations

import math
import re

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """Bytes of a size such as `512M`; raises ValueError with a message for a bad one."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"invalid size {text[:40]!r} (use e.g. 512M or 2G)")
    number = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not math.isfinite(number):
        raise ValueError(f"size too large: {text[:40]!r}")
    size = int(number)
    if size <= 0:
        raise ValueError(f"size must be positive: {text[:40]!r}")
    return size
