"""Run and attempt states and their legal transitions (no dependencies).

    run:      (none) -> started -> [interrupted] -> finished
              started | interrupted | finished -> resumed   (--auto-recovery, a new segment)
              resumed behaves like started
    attempt:  (none) -> intent -> spawned -> finished
              (none) -> intent -> finished          (dry run, cannot start, cancelled early)
              (none) -> finished                    (skipped by its condition: attempt 0)
              intent | spawned -> abandoned         (in doubt after a crash, --in-doubt=rerun)
              intent | spawned -> in_doubt -> finished           (--in-doubt=fail)

The fold refuses an illegal transition; `tasker journal verify` uses the same tables.
"""

from __future__ import annotations

RUN_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"started"}),
    "started": frozenset({"interrupted", "finished", "resumed"}),
    "resumed": frozenset({"interrupted", "finished", "resumed"}),
    "interrupted": frozenset({"finished", "resumed"}),
    "finished": frozenset({"resumed"}),
}

ATTEMPT_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"intent", "finished"}),
    "intent": frozenset({"spawned", "finished", "abandoned", "in_doubt"}),
    "spawned": frozenset({"finished", "abandoned", "in_doubt"}),
    "in_doubt": frozenset({"finished"}),
    "abandoned": frozenset(),
    "finished": frozenset(),
}

IN_DOUBT_STATES = {"rerun": "abandoned", "fail": "in_doubt"}


class IllegalTransition(ValueError):
    """An event would move a run or an attempt into a state it cannot reach from here."""


def check_run(current: str | None, new: str) -> str:
    """Return `new` if the run may go from `current` to `new`, else raise IllegalTransition."""
    if new not in RUN_TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"run cannot go from {current or 'nothing'} to {new}")
    return new


def check_attempt(current: str | None, new: str, name: str = "attempt") -> str:
    """Return `new` if an attempt may go from `current` to `new`, else raise IllegalTransition."""
    if new not in ATTEMPT_TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"{name} cannot go from {current or 'nothing'} to {new}")
    return new
