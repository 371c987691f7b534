"""Masking of secret global values in journal payloads (REFERENCE §2.2 naming rules).

A global is secret when its name starts with SECRET_, MASK_, HIDE_, PASSWORD_ or TOKEN_, or ends
with _PASSWORD, _TOKEN, _SECRET or _KEY (case-insensitive). Its value is replaced by
``<masked len=N>`` wherever it appears inside a string of the payload. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SECRET_PREFIXES = ("SECRET_", "MASK_", "HIDE_", "PASSWORD_", "TOKEN_")
SECRET_SUFFIXES = ("_PASSWORD", "_TOKEN", "_SECRET", "_KEY")


def is_secret_name(name: str) -> bool:
    """True when a global of this name must be masked."""
    upper = name.upper()
    return upper.startswith(SECRET_PREFIXES) or upper.endswith(SECRET_SUFFIXES)


def secret_values(globals_: Mapping[str, str]) -> tuple[str, ...]:
    """The non-empty values of secret globals, longest first (so overlaps mask whole values)."""
    values = {v for k, v in globals_.items() if is_secret_name(k) and isinstance(v, str) and v}
    return tuple(sorted(values, key=lambda v: (-len(v), v)))


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret value replaced by ``<masked len=N>``."""
    for value in secrets:
        if value in text:
            text = text.replace(value, f"<masked len={len(value)}>")
    return text


def mask_secrets(payload: Any, secrets: Iterable[str]) -> Any:
    """A copy of a JSON-able value with secret values masked in every string (keys kept).

    `secrets` is a sequence of values, e.g. from `secret_values(globals)`.
    """
    secrets = tuple(secrets)
    if not secrets:
        return payload
    return _mask(payload, secrets)


def _mask(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {k: _mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, secrets) for v in value]
    return value
