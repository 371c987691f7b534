"""Condition fields (REFERENCE §3.4 with SPEC D1, D2, D4, D6): syntax through the real parser,
then the atoms TASKER's validator would not recognise, and block-only keywords."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tasker.conditions import (
    AtomKind,
    Condition,
    parse_condition,
    parse_next,
    unrecognized_atoms,
)
from tasker.conditions.nodes import Atom
from tasker.errors import ConditionSyntaxError
from tasker.model import ConditionalTask, ParallelTask, TaskBase
from tasker.taskfile.syntax import GLOBAL_REF
from tasker.validation.findings import Findings

CONDITION_KEYS = ("success", "failure", "condition", "loop_break", "next")
_COMMA_LIST = re.compile(r"\w+\s*,")


def check_conditions(task: TaskBase, out: Findings,
                     global_values: Mapping[str, str] | None = None) -> None:
    """Validate every condition-bearing field of a task."""
    block = isinstance(task, ParallelTask | ConditionalTask)
    for key in CONDITION_KEYS:
        text = getattr(task, key)
        if text is None:
            continue
        cond = _parse(task, key, text, block, out)
        if cond is not None:
            _check_atoms(task, key, cond, block and key in ("next", "success"), out)
            _check_global_operands(task, key, cond, global_values or {}, out)


def _check_global_operands(task: TaskBase, key: str, cond: Condition,
                           global_values: Mapping[str, str], out: Findings) -> None:
    """A bare `@NAME@` operand must hold true or false. A global holding condition text
    (`C=exit_0`, `success=@C@`) works in TASKER, which substitutes before it parses; here its
    value is data (SPEC D1), so the operand is simply false: say so."""
    if not global_values:
        return
    for atom in cond.atoms():
        match = GLOBAL_REF.fullmatch(atom.text)
        if atom.kind != AtomKind.REFERENCE or not match or match[1] not in global_values:
            continue
        value = global_values[match[1]]
        if value.strip().lower() not in ("true", "false"):
            out.warning(task, f"'{atom.text}' holds '{value}', which is neither true nor false: "
                        "this operand is false (a global's value is data, not condition "
                        "syntax: SPEC D1)", key)


def _parse(task: TaskBase, key: str, text: str, block: bool, out: Findings
           ) -> Condition | None:
    """The parsed condition, or None for a `next` keyword or a syntax error (reported)."""
    try:
        if key != "next":
            return parse_condition(text)
        if text.strip().isdigit():
            return None   # numeric next: reported by the structure rules
        spec = parse_next(text)
    except ConditionSyntaxError as error:
        out.error(task, f"invalid {key} condition: {error.message}", key,
                  column=error.location.column)
        return None
    if spec.kind == "success" and block:
        out.warning(task, "next=success on a block is treated as all_success", key)
    return spec.condition


def _check_atoms(task: TaskBase, key: str, cond: Condition, multi_ok: bool,
                 out: Findings) -> None:
    for atom in unrecognized_atoms(cond):
        hint = ""
        if _COMMA_LIST.match(atom.text):
            hint = " Did you mean to use '|' (OR) instead of ',' (comma)?"
        out.error(task, f"unrecognized {key}: '{atom.text}'.{hint}", key, column=atom.column)
    for atom in cond.atoms():
        _check_atom(task, key, atom, multi_ok, out)


def _check_atom(task: TaskBase, key: str, atom: Atom, multi_ok: bool, out: Findings) -> None:
    kind = atom.kind
    if kind == AtomKind.EXIT_COMPARE and atom.op == "=":
        out.error(task, f"unrecognized {key}: '{atom.text}'. Use 'exit_{atom.value.strip()}' "
                  "instead", key, column=atom.column)
    elif kind == AtomKind.EXIT_CODE and int(atom.value) > 255:
        out.warning(task, f"'{atom.text}' can never match: exit codes are 0-255", key)
    elif kind in (AtomKind.MULTI, AtomKind.MULTI_COMPARE) and not multi_ok:
        out.error(task, f"uses parallel/conditional-specific {key} condition '{atom.text}'",
                  key, column=atom.column)
    elif kind == AtomKind.MULTI_COMPARE and not atom.value.strip().isdigit():
        out.error(task, f"invalid {key}: '{atom.text}' ({atom.operand} needs an integer)",
                  key, column=atom.column)
