"""Small builders shared by the condition tests."""

from __future__ import annotations

from tasker.conditions import AllOf, AnyOf, Atom, BlockCounts, EvalContext, Node, OutputView
from tasker.variables import ResultView, substitute

GLOBALS = {"ENV": "prod", "LEVEL": "7", "EMPTY": "", "FLAG": "true", "WORD": "x|y"}
RESULTS = {
    0: ResultView(exit_code=2, stdout="x&y\n", stderr="", success=True),
    1: ResultView(exit_code=0, stdout="42\n", stderr="", success=False),
    2: ResultView(exit_code=0, stdout="@ENV@\n", stderr="", success=True),
    3: ResultView(exit_code=0, stdout="true|x\n", stderr="", success=True,
                  success_count=2, failed_count=1, total_count=3),
    4: ResultView(exit_code=0, stdout="a) | exit_0 AND (b\n", stderr="", success=True),
}


def resolve(text: str) -> str:
    """The resolver the engine would pass: substitute with the globals and results above."""
    return substitute(text, GLOBALS, RESULTS)


def make_ctx(exit_code: int = 0, stdout: str | OutputView = "", stderr: str | OutputView = "",
             *, success: bool | None = None, block: tuple[int, int, int] | None = None
             ) -> EvalContext:
    """An EvalContext from plain values; `block` is (success, failed, total)."""
    out = stdout if isinstance(stdout, OutputView) else OutputView(stdout)
    err = stderr if isinstance(stderr, OutputView) else OutputView(stderr)
    counts = BlockCounts(*block) if block else None
    return EvalContext(exit_code, out, err, resolve, success=success, block=counts)


def shape(node: Node) -> str:
    """A compact rendering of a tree: atoms as written, groups in parentheses."""
    if isinstance(node, Atom):
        return node.text
    joiner = " & " if isinstance(node, AllOf) else " | "
    assert isinstance(node, AllOf | AnyOf)
    return "(" + joiner.join(shape(item) for item in node.items) + ")"
