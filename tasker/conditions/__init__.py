"""The condition language: parser (SPEC §E), evaluator (REFERENCE §3, SPEC D1/D2/B3) and
the `next=` special forms.

    cond = parse_condition("exit_0&(stdout~ok|stderr~)")   # cached; ConditionSyntaxError
    evaluate(cond, EvalContext(exit_code=0, stdout=OutputView("ok\\n"), ...))
"""

from tasker.conditions.atoms import atom_is_recognized
from tasker.conditions.evaluator import BlockCounts, EvalContext, OutputView, evaluate
from tasker.conditions.next_spec import NEXT_KINDS, NextSpec, parse_next
from tasker.conditions.nodes import AllOf, AnyOf, Atom, AtomKind, Condition, Node
from tasker.conditions.parser import parse_condition
from tasker.conditions.queries import (
    output_patterns,
    unrecognized_atoms,
    uses_multi_task_keywords,
)

__all__ = [
    "NEXT_KINDS",
    "AllOf",
    "AnyOf",
    "Atom",
    "AtomKind",
    "BlockCounts",
    "Condition",
    "EvalContext",
    "NextSpec",
    "Node",
    "OutputView",
    "atom_is_recognized",
    "evaluate",
    "output_patterns",
    "parse_condition",
    "parse_next",
    "unrecognized_atoms",
    "uses_multi_task_keywords",
]
