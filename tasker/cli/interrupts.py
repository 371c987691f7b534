"""SIGINT/SIGTERM before any task runs: turn them into an exception the pipeline reports.

While the workflow is parsed and validated (host validation may wait on DNS and ping), a
signal must still give TASKER's ending: a WARN line, the summary row, the alert and exit
130/143. The engine installs its own handlers for the run itself, so the previous handlers
are restored when the block ends.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


class Interrupted(Exception):
    """A SIGINT or SIGTERM arrived; `exit_code` is 128 + the signal number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum


def _raise(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Inside the block SIGINT and SIGTERM raise Interrupted (main thread only)."""
    previous = {}
    with contextlib.suppress(ValueError):  # not the main thread: leave the handlers alone
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _raise)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
