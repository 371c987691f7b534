"""The launcher's warm spares follow the widest parallel block of the workflow."""

from __future__ import annotations

from tasker.runner import MAX_SPARES, spare_count
from tasker.taskfile.parser import ParseOptions, parse_workflow


def workflow(text: str):
    return parse_workflow(text, "spares.txt", ParseOptions(env={}))


def block(n: int, width: int) -> str:
    ids = ",".join(str(100 + i) for i in range(n))
    parts = [f"task=0\ntype=parallel\ntasks={ids}\nmax_parallel={width}\nnext=never\n"]
    parts += [f"task={100 + i}\nhostname=localhost\ncommand=true\nexec=local\n"
              for i in range(n)]
    return "\n".join(parts)


def test_sequential_workflow_keeps_two_spares():
    assert spare_count(workflow("task=0\nhostname=localhost\ncommand=true\n")) == 2


def test_parallel_block_sizes_the_pool_to_its_concurrency():
    assert spare_count(workflow(block(200, 50))) == 50
    assert spare_count(workflow(block(5, 50))) == 5


def test_pool_size_is_capped():
    assert spare_count(workflow(block(100, 100))) == MAX_SPARES
