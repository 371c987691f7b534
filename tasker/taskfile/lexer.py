"""Pure lexer of the task-file format (REFERENCE §2.1): text -> (line, key, value) entries.

Every line is stripped. Blank lines, `#` comment lines and header-argument lines (starting
with `-`) are skipped wherever they appear. A line is split on its first `=`; key and value are
stripped. A non-blank line without `=` is ignored and leaves a debug note.

The inline-comment rule (a value holding whitespace, `#`, then text) is applied by the parser
to task fields only, through `split_inline_comment` (global values keep ` # text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from tasker.errors import Location, TaskFileError

# Whitespace, '#', then at least one non-blank character somewhere after it.
_INLINE_COMMENT = re.compile(r"\s#.*\S")
_NEWLINES = re.compile(r"\r\n?")


class Entry(NamedTuple):
    """One `key=value` line of the task file (1-based line number)."""

    line: int
    key: str
    value: str


@dataclass(frozen=True)
class LexResult:
    """The entries of a task file plus debug notes about ignored lines."""

    entries: list[Entry]
    notes: list[str] = field(default_factory=list)


def lex(text: str) -> LexResult:
    """Split task-file text into `key=value` entries, skipping comments and header lines."""
    notes: list[str] = []
    return LexResult(list(iter_entries(text, notes)), notes)


def iter_entries(text: str, notes: list[str] | None = None) -> Iterator[Entry]:
    """Yield the `key=value` entries of the text lazily; ignored lines go to `notes`."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    make = tuple.__new__   # Entry(...) without the Python-level __new__: the lexer is hot
    number = 0
    for raw in text.split("\n"):
        number += 1
        line = raw.strip()
        if not line or line[0] in "#-":
            continue
        key, sep, value = line.partition("=")
        if sep:
            yield make(Entry, (number, key.rstrip(), value.lstrip()))
        elif notes is not None:
            notes.append(f"Line {number}: Line does not contain a key=value pair: {line!r}")


def split_inline_comment(entry: Entry, numeric: bool, source: str | None = None,
                         task: int | None = None) -> str:
    """The entry's value with the inline-comment rule applied (SPEC D5).

    Numeric fields lose a trailing ` # comment`; any other field holding one is an error
    naming file, line, task and field.
    """
    if "#" not in entry.value:
        return entry.value
    match = _INLINE_COMMENT.search(entry.value)
    if match is None:
        return entry.value
    if numeric:
        return entry.value[: match.start()].rstrip()
    raise TaskFileError(
        f"contains inline comment: '{entry.value}' (move the comment to its own line)",
        Location(file=source, line=entry.line, task=task, field=entry.key),
    )
