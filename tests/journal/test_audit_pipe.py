"""`tasker journal show J | head` ends quietly when the reader has what it wanted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_show_into_a_closed_pipe_exits_0_without_an_error():
    golden = REPO / "tests" / "golden" / "sequential.journal"
    shell = (f"set -o pipefail; {sys.executable} -m tasker journal show {golden} "
             "| head -c 1 > /dev/null")
    proc = subprocess.run(["bash", "-c", shell], cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
