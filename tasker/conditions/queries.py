"""Questions other modules ask about a parsed condition (no evaluation)."""

from __future__ import annotations

from tasker.conditions.atoms import atom_is_recognized
from tasker.conditions.nodes import Atom, AtomKind, Condition

_PATTERN_KINDS = frozenset({AtomKind.STREAM, AtomKind.CONTAINS, AtomKind.NOT_CONTAINS})


def output_patterns(cond: Condition) -> dict[str, list[str]]:
    """Raw (unresolved) pattern texts of the `~`/`!~` atoms, per stream, without duplicates.

    The supervisor resolves them and asks the shim to decide them over a spilled stream.
    Empty patterns (the "is empty" test) are left out.
    """
    patterns: dict[str, list[str]] = {"stdout": [], "stderr": []}
    for atom in cond.atoms():
        if atom.kind in _PATTERN_KINDS and atom.op in ("~", "!~") and atom.value:
            found = patterns[atom.stream or "stdout"]
            if atom.value not in found:
                found.append(atom.value)
    return patterns


def uses_multi_task_keywords(cond: Condition) -> bool:
    """Whether the condition uses all_success, min_success=N and the like."""
    return any(a.kind in (AtomKind.MULTI, AtomKind.MULTI_COMPARE) for a in cond.atoms())


def unrecognized_atoms(cond: Condition) -> list[Atom]:
    """Atoms a validator should reject as "unrecognized" (see `atom_is_recognized`)."""
    return [atom for atom in cond.atoms() if not atom_is_recognized(atom)]
