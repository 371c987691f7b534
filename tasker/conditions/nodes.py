"""The condition AST: frozen nodes built by the parser and walked by the evaluator.

A `Condition` wraps the source text and a root node. Nodes are `Atom` (one test such as
`stdout~ok`), `AllOf` (`&` / `AND`) and `AnyOf` (`|` / `OR`). Operands and values keep their
`@...@` references unresolved: they are substituted only when the condition is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


class AtomKind:
    """The kinds of atom (REFERENCE §3.2, §3.3 and SPEC D2, D6)."""

    EXIT_CODE = "exit_code"            # exit_N                      value = "N"
    EXIT_NOT_0 = "exit_not_0"          # exit_not_0
    EXIT_COMPARE = "exit_compare"      # exit=N, exit!=N, exit<N ...
    LITERAL = "literal"                # true / false (any case)     value = "true"/"false"
    SUCCESS = "success"                # success (the task's own result, in next=)
    STREAM = "stream"                  # stdout~T, stderr!=V, stdout>N ...
    COUNT = "count"                    # stdout_count=N, stderr_count>=N ...
    CONTAINS = "contains"              # contains:X      (legacy stdout substring)
    NOT_CONTAINS = "not_contains"      # not_contains:X
    MULTI = "multi"                    # all_success, any_success, majority_success
    MULTI_COMPARE = "multi_compare"    # min_success=N, max_failed=N, max_success=N, min_failed=N
    REFERENCE = "reference"            # a bare @X@ that must resolve to true/false
    COMPARE = "compare"                # generic LEFT op RIGHT, both sides resolved
    UNKNOWN = "unknown"                # anything else: False at run time


@dataclass(frozen=True)
class Atom:
    """One test. `op` is normalised (`==` becomes `=`); `value` has its quotes removed."""

    text: str                  # the atom as written (stripped)
    column: int                # 1-based column of its first character in the condition
    kind: str                  # an AtomKind
    operand: str = ""          # left side as written (stripped), e.g. "stdout" or "@0_exit@"
    op: str = ""               # one of ~ !~ = != < <= > >= (empty for keywords)
    value: str = ""            # right side, unresolved
    quoted: bool = False       # the value was written in quotes
    stream: str | None = None  # "stdout" / "stderr" for STREAM and COUNT atoms


@dataclass(frozen=True)
class AllOf:
    """True when every item is true (`&`, `AND`)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """True when any item is true (`|`, `OR`)."""

    items: tuple[Node, ...]


Node = Atom | AllOf | AnyOf


@dataclass(frozen=True)
class Condition:
    """A parsed condition: the source text and its AST."""

    text: str
    root: Node

    def atoms(self) -> Iterator[Atom]:
        """Every atom, left to right."""
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Atom):
                yield node
            else:
                stack.extend(reversed(node.items))
