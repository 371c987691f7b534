"""Pure condition evaluation for the engine: on an attempt's output, on dummy inputs, on blocks.

Conditions come from `tasker.conditions`; `@...@` in operands is resolved at evaluation time
through `resolver` (task results and globals folded so far). A condition that cannot be
parsed at run time (validation skipped) is false, as in TASKER.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tasker.conditions import (
    BlockCounts,
    EvalContext,
    NextSpec,
    OutputView,
    evaluate,
    output_patterns,
    parse_condition,
    parse_next,
)
from tasker.errors import TaskerError
from tasker.variables import ResultView, substitute

Resolve = Callable[[str], str]
EMPTY_OUTPUT = OutputView(text="")


def resolver(globals_: Mapping[str, str], views: Mapping[int, ResultView],
             task_id: int | None = None) -> Resolve:
    """A function substituting `@...@` from these globals and results (SPEC D1: one pass)."""
    return lambda text: substitute(text, globals_, views, task_id)


def condition_value(text: str, ctx: EvalContext) -> bool:
    """Evaluate a condition; a malformed one is false at run time."""
    try:
        return bool(evaluate(parse_condition(text), ctx))
    except TaskerError:
        return False


def dummy_context(resolve: Resolve, block: BlockCounts | None = None) -> EvalContext:
    """Inputs of pre-execution conditions and decisions: exit 0, empty outputs (REFERENCE §3.1)."""
    return EvalContext(exit_code=0, stdout=EMPTY_OUTPUT, stderr=EMPTY_OUTPUT, resolve=resolve,
                       block=block)


def precondition_true(text: str, resolve: Resolve) -> bool:
    """Value of a task's `condition=` (or a conditional block's selector)."""
    return condition_value(text, dummy_context(resolve))


def next_spec(next_text: str | None) -> NextSpec | None:
    """The parsed `next=` value; None when absent. A malformed condition is always false."""
    text = (next_text or "").strip()
    if not text:
        return None
    try:
        return parse_next(text)
    except TaskerError:
        return NextSpec("condition", text, None)


def next_kind(next_text: str | None) -> str:
    """never / always / loop / success / condition, or "" when `next` is absent."""
    spec = next_spec(next_text)
    return spec.kind if spec else ""


def is_loop(next_text: str | None) -> bool:
    """True when `next` makes the task loop (`loop` or `loop&COND`)."""
    return next_kind(next_text) == "loop"


def next_value(spec: NextSpec, ctx: EvalContext) -> bool:
    """Value of a `next` condition (or of a loop's COND) on an output."""
    if spec.kind == "success":
        return bool(ctx.success)
    if spec.condition is None:
        return False
    return bool(evaluate(spec.condition, ctx))


def patterns_for(conditions: list[str], resolve: Resolve) -> dict[str, list[str]]:
    """Resolved `~`/`!~` operands of these conditions, per stream, for the shim to scan."""
    found: dict[str, list[str]] = {"stdout": [], "stderr": []}
    for text in conditions:
        try:
            raw = output_patterns(parse_condition(text))
        except TaskerError:
            continue
        for stream, items in raw.items():
            known = found.setdefault(stream, [])
            for value in map(resolve, items):
                if value not in known:
                    known.append(value)
    return {k: v for k, v in found.items() if v}


@dataclass(frozen=True)
class OutputInputs:
    """An attempt's output as conditions see it."""

    exit_code: int
    stdout: OutputView
    stderr: OutputView


def output_context(inputs: OutputInputs, resolve: Resolve, success: bool | None = None,
                   block: BlockCounts | None = None) -> EvalContext:
    """Evaluation context for `success`, `failure`, `next`, `loop_break` on an output."""
    return EvalContext(exit_code=inputs.exit_code, stdout=inputs.stdout, stderr=inputs.stderr,
                       resolve=resolve, success=success, block=block)
