"""`python -m executor_shim [--status-fd N] SPEC_PATH|-`: run one attempt (spec on stdin: -)."""

from __future__ import annotations

import json
import os
import sys

from executor_shim.shim import run_shim
from executor_shim.spec import load_spec, spec_from_dict


def main(argv: list[str]) -> int:
    """Parse the tiny command line and run the shim."""
    status_fd = None
    if len(argv) >= 2 and argv[0] == "--status-fd":
        status_fd = int(argv[1])
        os.set_inheritable(status_fd, False)  # passed to us inheritable: no command may hold it
        argv = argv[2:]
    if len(argv) != 1:
        sys.stderr.write("usage: python -m executor_shim [--status-fd N] SPEC_PATH|-\n")
        return 2
    if argv[0] == "-":
        spec = spec_from_dict(json.loads(sys.stdin.buffer.read()))
    else:
        spec = load_spec(argv[0])
    return run_shim(spec, status_fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
