"""Bring up or remove throwaway ssh test hosts (network namespaces with their own sshd).

    python stress/ssh_hosts.py up N           # leaves N hosts running, prints their config
    python stress/ssh_hosts.py up N --wait    # keeps them until Ctrl-C / SIGTERM, then removes
    python stress/ssh_hosts.py down [--prefix tkr-]   # removes every leftover of any run

After `up`, `ssh -F <ssh_config> host001 hostname` answers `host001`. Needs root, `ip`, `sshd`
(install with .ci/install-ssh-deps). See tests/sshhosts.py for the layout.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sshhosts import (
    PREFIX,
    SshHosts,
    SshHostsError,
    cleanup_leftovers,
    unavailable_reason,
)


def up(count: int, wait: bool) -> int:
    """Start `count` hosts and print their config; detach unless `wait`."""
    reason = unavailable_reason()
    if reason is not None:
        print(f"cannot create ssh test hosts: {reason}", file=sys.stderr)
        return 2
    hosts = SshHosts(count).start()
    print(json.dumps({"prefix": hosts.prefix, "ssh_config": hosts.ssh_config_path,
                      "hosts": hosts.names, "setup_seconds": round(hosts.setup_seconds or 0, 3),
                      "remove_with": f"{sys.argv[0]} down --prefix {hosts.prefix}"}, indent=1))
    if not wait:
        hosts.detach()
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print("hosts are up; Ctrl-C removes them", file=sys.stderr, flush=True)
    stop.wait()
    hosts.close()
    return 0


def down(prefix: str) -> int:
    """Remove every namespace, link, sshd and temp dir carrying `prefix`."""
    removed = cleanup_leftovers(prefix)
    print(json.dumps({"removed": removed}))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: `up N [--wait]` or `down [--prefix P]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="action", required=True)
    up_parser = commands.add_parser("up", help="start N hosts")
    up_parser.add_argument("count", type=int)
    up_parser.add_argument("--wait", action="store_true", help="remove them on Ctrl-C")
    down_parser = commands.add_parser("down", help="remove leftovers by name prefix")
    down_parser.add_argument("--prefix", default=PREFIX)
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            return up(args.count, args.wait)
        return down(args.prefix)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SshHostsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
