"""Fixtures for the ssh tests: real hosts in network namespaces (tests/sshhosts.py)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from tests.sshhosts import SshHosts, unavailable_reason

SHARED_HOSTS = 20


@functools.cache
def _reason() -> str | None:
    return unavailable_reason()


@pytest.fixture(autouse=True)
def _needs_namespaces() -> None:
    """Skip (never pass) every ssh test where namespace hosts cannot be made."""
    reason = _reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def ssh_hosts() -> Iterator[SshHosts]:
    """20 hosts shared by the session; tests that stop or hang one restore it."""
    reason = _reason()
    if reason is not None:
        pytest.skip(reason)
    hosts = SshHosts(SHARED_HOSTS)
    try:
        hosts.start()
        yield hosts
    finally:
        hosts.close()
