"""Small facts of the task-file syntax shared by the parser and the validator (a leaf module:
it imports nothing from tasker, so both sides can use it without an import cycle)."""

from __future__ import annotations

import re

# Fields whose value is a number (or a list of numbers): a trailing ` # comment` is allowed
# there (SPEC D5). Text fields still reject it.
NUMERIC_FIELDS = frozenset({
    "task", "timeout", "sleep", "loop", "on_success", "on_failure", "return", "max_parallel",
    "retry_count", "retry_delay", "tasks", "if_true_tasks", "if_false_tasks", "memory_limit",
})
# Task-file key -> model attribute, for keys stored as text.
TEXT_FIELDS = {
    "hostname": "hostname", "command": "command", "arguments": "arguments", "exec": "exec",
    "timeout": "timeout", "sleep": "sleep", "loop_break": "loop_break", "next": "next",
    "success": "success", "failure": "failure", "condition": "condition",
    "return": "return_value", "stdout_split": "stdout_split", "stderr_split": "stderr_split",
    "retry_count": "retry_count", "retry_delay": "retry_delay", "memory_limit": "memory_limit",
    "type": "type_text",
}
MAX_INT_DIGITS = 18

GLOBAL_REF = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)@")
# os.path.expandvars' pattern, with `${...}` bounded so a search stays linear.
ENV_REF = re.compile(r"\$(\w+|\{[^}]{0,255}\})", re.ASCII)
_INT = re.compile(r"[+-]?[0-9]+")


def parse_int(text: str) -> int | None:
    """The integer written in `text` (ASCII digits, optional sign), or None."""
    text = text.strip()
    if not _INT.fullmatch(text) or len(text.lstrip("+-")) > MAX_INT_DIGITS:
        return None
    return int(text)


def global_refs(text: str) -> list[str]:
    """Names of every `@NAME@` global reference in the text (left to right, no overlap)."""
    if "@" not in text:
        return []
    return GLOBAL_REF.findall(text)
