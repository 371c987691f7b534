"""The chaos test of stress/chaos_kill.py, shortened for CI (a few SIGKILLs per mode)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "stress" / "chaos_kill.py"


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_sigkilled_supervisors_resume_without_repeating_or_losing_a_line():
    done = subprocess.run([sys.executable, str(SCRIPT), "--kills", "5", "--seed", "11",
                           "--json"], capture_output=True, text=True, timeout=85, check=False)
    figures = json.loads(done.stdout.splitlines()[-1])
    assert [f["mode"] for f in figures] == ["sequential", "parallel"]
    for mode in figures:
        assert mode["kills"] == 5 and mode["failures"] == [], mode
    assert done.returncode == 0
