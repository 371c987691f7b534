"""Evaluate a parsed condition against a task's result (REFERENCE §3.2-3.3, SPEC D1, D2, B3).

Operands and values are resolved through `ctx.resolve` here, after parsing, so substituted text
can never change the shape of the expression. Evaluation never raises: anything that cannot be
decided (non-numeric value, unknown atom, missing block counts) is False.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tasker.conditions.nodes import AllOf, Atom, AtomKind, Condition, Node


@dataclass(frozen=True)
class OutputView:
    """One output stream as conditions see it (split already applied)."""

    text: str                  # decoded text; only the first 1 MiB when the stream spilled
    complete: bool = True      # False when `text` is only the head of a larger stream
    total_bytes: int | None = None
    line_count: int | None = None          # line count of the whole stream (shim's count)
    matches: Mapping[str, bool] = field(default_factory=dict)  # resolved pattern -> found


@dataclass(frozen=True)
class BlockCounts:
    """Subtask counts of a parallel or conditional block."""

    success: int
    failed: int                # not success: timeouts and skips included
    total: int


@dataclass(frozen=True)
class EvalContext:
    """Everything an atom may look at."""

    exit_code: int
    stdout: OutputView
    stderr: OutputView
    resolve: Callable[[str], str]          # substitutes @...@ in an operand
    success: bool | None = None            # value of the `success` atom (in next=)
    block: BlockCounts | None = None       # for all_success, min_success=N, ...


Number = int | float
_COMPARISONS: dict[str, Callable[[Number, Number], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)
_INTEGER = re.compile(r"\s*[+-]?\d{1,18}\s*", re.ASCII)


def evaluate(cond: Condition, ctx: EvalContext) -> bool:
    """The truth of `cond` for `ctx`."""
    return _node(cond.root, ctx)


def _node(node: Node, ctx: EvalContext) -> bool:
    if isinstance(node, Atom):
        return _ATOMS[node.kind](node, ctx)
    if isinstance(node, AllOf):
        return all(_node(item, ctx) for item in node.items)
    return any(_node(item, ctx) for item in node.items)


def to_number(text: str) -> Number | None:
    """`text` as an int or float when it is a plain decimal number, else None."""
    if not _NUMBER.fullmatch(text):
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    return float(text)


def compare_numbers(left: Number, op: str, right: Number) -> bool:
    """`left op right` for op in = != < <= > >=."""
    return _COMPARISONS[op](left, right)


def _strip_newlines(text: str) -> str:
    return text.rstrip("\r\n")


def _is_empty(stream: str, view: OutputView) -> bool:
    # stdout is tested with strip(), stderr with only its trailing newlines removed (TASKER).
    return not (view.text.strip() if stream == "stdout" else view.text.rstrip("\n"))


def _contains(view: OutputView, pattern: str) -> bool:
    if not view.complete and pattern in view.matches:
        return bool(view.matches[pattern])
    return pattern in view.text


def _line_count(view: OutputView) -> int:
    if not view.complete and view.line_count is not None:
        return view.line_count
    text = view.text.strip()
    return text.count("\n") + 1 if text else 0


def _texts_equal(left: str, right: str) -> bool:
    if left == right:
        return True
    a, b = to_number(left), to_number(right)
    return a is not None and b is not None and a == b


def _stream_atom(atom: Atom, ctx: EvalContext) -> bool:
    view = ctx.stdout if atom.stream == "stdout" else ctx.stderr
    value = ctx.resolve(atom.value)
    if atom.op in ("~", "!~"):
        found = _is_empty(atom.stream or "stdout", view) if value == "" else _contains(view, value)
        return found if atom.op == "~" else not found
    if atom.op in ("=", "!="):
        equal = view.complete and _texts_equal(_strip_newlines(view.text), value)
        return equal if atom.op == "=" else not equal
    if not view.complete:
        return False
    left, right = to_number(view.text), to_number(value)
    return left is not None and right is not None and compare_numbers(left, atom.op, right)


def _count_atom(atom: Atom, ctx: EvalContext) -> bool:
    view = ctx.stdout if atom.stream == "stdout" else ctx.stderr
    right = to_number(ctx.resolve(atom.value))
    return right is not None and compare_numbers(_line_count(view), atom.op, right)


def _exit_compare(atom: Atom, ctx: EvalContext) -> bool:
    right = to_number(ctx.resolve(atom.value))
    return right is not None and compare_numbers(ctx.exit_code, atom.op, right)


def _generic_value(text: str) -> bool | Number | str:
    """TASKER's conversion of a generic operand: true/false -> bool, numbers -> int/float."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    number = to_number(text)
    return text if number is None else number


def _generic_equal(left_text: str, right_text: str) -> bool:
    if left_text == right_text:
        return True
    left, right = _generic_value(left_text), _generic_value(right_text)
    if isinstance(left, str) or isinstance(right, str):
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return left == right


def _compare_atom(atom: Atom, ctx: EvalContext) -> bool:
    left_text, right_text = ctx.resolve(atom.operand), ctx.resolve(atom.value)
    if atom.op in ("~", "!~"):
        found = (not left_text.strip()) if right_text == "" else right_text in left_text
        return found if atom.op == "~" else not found
    if atom.op in ("=", "!="):
        equal = _generic_equal(left_text, right_text)
        return equal if atom.op == "=" else not equal
    left, right = to_number(left_text), to_number(right_text)
    return left is not None and right is not None and compare_numbers(left, atom.op, right)


def _multi_atom(atom: Atom, ctx: EvalContext) -> bool:
    block = ctx.block
    if block is None:
        return False
    if atom.operand == "all_success":
        return block.success == block.total
    if atom.operand == "any_success":
        return block.success > 0
    return 2 * block.success > block.total   # majority_success: a tie is False


def _multi_compare_atom(atom: Atom, ctx: EvalContext) -> bool:
    block = ctx.block
    text = ctx.resolve(atom.value)
    if block is None or not _INTEGER.fullmatch(text):
        return False
    n = int(text)
    return {
        "min_success": block.success >= n, "max_success": block.success <= n,
        "max_failed": block.failed <= n, "min_failed": block.failed >= n,
    }[atom.operand]


def _legacy_atom(atom: Atom, ctx: EvalContext) -> bool:
    found = _contains(ctx.stdout, ctx.resolve(atom.value))
    return found if atom.kind == AtomKind.CONTAINS else not found


def _reference_atom(atom: Atom, ctx: EvalContext) -> bool:
    return ctx.resolve(atom.operand).strip().lower() == "true"


_ATOMS: dict[str, Callable[[Atom, EvalContext], bool]] = {
    AtomKind.EXIT_CODE: lambda a, c: c.exit_code == int(a.value),
    AtomKind.EXIT_NOT_0: lambda a, c: c.exit_code != 0,
    AtomKind.EXIT_COMPARE: _exit_compare,
    AtomKind.LITERAL: lambda a, c: a.value == "true",
    AtomKind.SUCCESS: lambda a, c: c.success is True,
    AtomKind.STREAM: _stream_atom,
    AtomKind.COUNT: _count_atom,
    AtomKind.CONTAINS: _legacy_atom,
    AtomKind.NOT_CONTAINS: _legacy_atom,
    AtomKind.MULTI: _multi_atom,
    AtomKind.MULTI_COMPARE: _multi_compare_atom,
    AtomKind.REFERENCE: _reference_atom,
    AtomKind.COMPARE: _compare_atom,
    AtomKind.UNKNOWN: lambda a, c: False,
}
