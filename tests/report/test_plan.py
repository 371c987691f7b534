"""--show-plan: the plan text and the y/N prompt."""

from __future__ import annotations

import io

from tasker.model import (
    CommandTask,
    ConditionalTask,
    DecisionTask,
    ParallelTask,
    ReturnTask,
    Workflow,
)
from tasker.report.plan import PROMPT, confirm, plan_lines


def workflow():
    tasks = [
        CommandTask(id=0, line=1, hostname="web1", command="deploy", on_success=2,
                    on_failure=9),
        CommandTask(id=1, line=2, hostname="h", command="ls", next="never"),
        ParallelTask(id=2, line=3, tasks=(10, 11)),
        ConditionalTask(id=3, line=4, condition="exit_0", if_true_tasks=(12,),
                        if_false_tasks=(13,), next="all_success"),
        DecisionTask(id=4, line=5, success="exit_0"),
        CommandTask(id=5, line=6, hostname="h", command="x", next="loop", loop=3),
        CommandTask(id=6, line=7, hostname="h", command="y"),
        ReturnTask(id=9, line=8, return_value="3"),
    ]
    return Workflow(source="f.txt", tasks={t.id: t for t in tasks})


def test_plan_lists_each_kind_with_its_routing():
    lines = plan_lines(workflow())
    assert lines[0] == "=== EXECUTION PLAN ==="
    assert "  Task 0: web1 -> deploy" in lines
    assert "            -> on success: task 2" in lines
    assert "            -> on failure: task 9" in lines
    assert "            -> default: stop execution" in lines
    assert "  Task 2: PARALLEL -> execute [10, 11]" in lines
    assert "  Task 3: CONDITIONAL [exit_0]" in lines
    assert "            -> if TRUE: execute [12]" in lines
    assert "            -> then continue based on 'next=all_success'" in lines
    assert "  Task 4: DECISION" in lines
    assert "            -> default: loop back to task 5" in lines
    assert "            -> default: continue to task 7" in lines
    assert "  Task 9: RETURN 3" in lines
    assert lines[-2:] == ["# Total: 8 tasks to execute", "=" * 50]


def test_plan_omits_tasks_below_start_from():
    lines = plan_lines(workflow(), start_from=5)
    assert "  Task 4: DECISION" not in lines
    assert lines[-2] == "# Total: 3 tasks to execute"


def test_only_y_or_yes_proceeds():
    for answer, expected in (("y\n", True), ("YES\n", True), ("n\n", False), ("\n", False),
                             ("", False), ("yess\n", False)):
        out = io.StringIO()
        assert confirm(io.StringIO(answer), out) is expected
        assert out.getvalue().startswith(PROMPT)


def test_eof_ends_the_prompt_line():
    out = io.StringIO()
    confirm(io.StringIO(""), out)
    assert out.getvalue() == PROMPT + "\n"
