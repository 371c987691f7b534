"""Host validation (REFERENCE §7.4): DNS, ping and connection tests for remote exec types.

    pairs   <- (hostname, exec type) of every command task whose exec type is not `local`
    unresolved @...@ in a hostname  -> exit 20 (unless --skip-unresolved-host-validation)
    remote binaries found by `which` -> else exit 61 (unless --skip-command-validation)
    per host: /etc/hosts, then DNS (5 s)          -> failures give 21
              `ping -c 1 -W 1 HOST` (5 s)          -> failures give 60
    per (host, type): the type's validation_test  -> failures give 61
Every probe is a command attempt run through the executor shim, with the isolation and kill
discipline of tasks. Returns {hostname as written: validated name}.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tasker.errors import HostValidationError
from tasker.validation.findings import etc_hosts_entries, read_etc_hosts
from tasker.variables import substitute

LOCAL = "local"
DNS_TIMEOUT = 5.0
FQDN_TIMEOUT = 10.0
PING_TIMEOUT = 5.0
DEFAULT_TEST_TIMEOUT = 10.0
PROBE_GRACE = 1.0
MAX_CONCURRENT_PROBES = 16
DNS_PROBE = "import socket, sys; socket.getaddrinfo(sys.argv[1], None)"


@dataclass(frozen=True)
class Probe:
    """One command to run for validation."""

    argv: tuple[str, ...]
    timeout: float


@dataclass(frozen=True)
class ProbeResult:
    """What validation needs of a finished probe."""

    exit_code: int
    stdout: str


class ProbeRunner(Protocol):
    """Runs probes (concurrently) and returns their results in order."""

    def run(self, probes: list[Probe]) -> list[ProbeResult]: ...


@dataclass(frozen=True)
class RemoteTarget:
    """A (host, exec type) pair to validate; `written` is the hostname as in the file."""

    written: str
    host: str
    exec_type: str
    task_id: int


def validate_hosts(wf: Any, exec_config: Any, options: Any, log: Any, *,
                   runner: ProbeRunner | None = None,
                   env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Validate every remote host of `wf`; raise HostValidationError (20/21/60/61)."""
    env = dict(os.environ if env is None else env)
    targets = _resolved_targets(wf, exec_config, options, log)
    if not targets:
        return {}
    if not options.skip_command_validation:
        check_binaries(targets, exec_config, env)
    hosts = sorted({t.host for t in targets})
    tests = sorted({(t.host, t.exec_type) for t in targets
                    if exec_config.validation_test(t.exec_type) is not None})
    log.info(f"# Validating {len(hosts)} unique hosts with {len(tests)} connection tests...")
    with contextlib.ExitStack() as stack:
        if runner is None:
            runner = stack.enter_context(ShimProbeRunner(env))
        names, failures, code = _probe_all(hosts, tests, exec_config, env, runner)
    if failures:
        _report_failures(failures, log)
        raise HostValidationError(f"Host validation failed ({len(failures)} failures)", code,
                                  failures=sorted({host for host, _ in failures}))
    log.info(f"# All {len(tests)} host connectivity tests passed successfully.")
    return {t.written: names.get(t.host, t.host) for t in targets}


def remote_targets(wf: Any, exec_config: Any, default_type: str | None) -> list[RemoteTarget]:
    """(host, canonical exec type) of every command task not run locally (pure).

    Raises HostValidationError(20) naming exec types missing from the configuration.
    """
    globals_ = wf.global_values()
    targets, unknown = [], []
    for task in sorted(wf.tasks.values(), key=lambda t: t.id):
        if task.kind != "command" or not task.hostname:
            continue
        name = substitute(task.exec, globals_, {}) if task.exec else (
            default_type or exec_config.default_exec_type())
        canonical = exec_config.canonical(name) if "@" not in name else LOCAL
        if canonical is None:
            unknown.append(name)
        elif canonical != LOCAL:
            host = substitute(task.hostname, globals_, {})
            targets.append(RemoteTarget(task.hostname, host, canonical, task.id))
    if unknown:
        raise HostValidationError(
            f"Execution types not found in configuration: {', '.join(dict.fromkeys(unknown))}."
            f" Available exec types: {', '.join(exec_config.type_names())}", 20)
    return targets


def _resolved_targets(wf: Any, exec_config: Any, options: Any, log: Any) -> list[RemoteTarget]:
    targets = remote_targets(wf, exec_config, getattr(options, "type", None))
    unresolved = [t for t in targets if "@" in t.host]
    if unresolved and not options.skip_unresolved_host_validation:
        for target in unresolved:
            log.error(f"Task {target.task_id}: hostname '{target.written}' has unresolved "
                      "variables")
        raise HostValidationError("Unresolved hostname variables: " + ", ".join(
            sorted({t.written for t in unresolved})), 20)
    for target in unresolved:
        log.info(f"# Task {target.task_id}: skipping host validation of unresolved hostname "
                 f"'{target.written}' (resolved at run time)")
    return [t for t in targets if "@" not in t.host]


def check_binaries(targets: Iterable[RemoteTarget], exec_config: Any,
                   env: Mapping[str, str]) -> None:
    """Every remote type's binary must be configured (20) and on PATH (61)."""
    missing = []
    for exec_type in sorted({t.exec_type for t in targets}):
        binary = getattr(exec_config.get(exec_type), "binary", None)
        if not binary:
            raise HostValidationError(f"Execution type {exec_type} has no binary configured", 20)
        if shutil.which(binary, path=env.get("PATH", os.defpath)) is None:
            missing.append(f"{binary} ({exec_type})")
    if missing:
        raise HostValidationError(
            f"Required remote execution commands not found: {', '.join(missing)}", 61)


def _probe_all(hosts: list[str], tests: list[tuple[str, str]], exec_config: Any,
               env: Mapping[str, str], runner: ProbeRunner,
               ) -> tuple[dict[str, str], list[tuple[str, str]], int]:
    names, dns_failed = resolve_hosts(hosts, env, runner)
    reachable = [h for h in hosts if h not in dns_failed]
    pings = runner.run([Probe(("ping", "-c", "1", "-W", "1", h), PING_TIMEOUT)
                        for h in reachable])
    unreachable = {h for h, r in zip(reachable, pings, strict=True) if r.exit_code != 0}
    live = [(h, t) for h, t in tests if h not in dns_failed and h not in unreachable]
    test_failures = run_connection_tests(live, exec_config, env, runner)
    failures = ([(h, "DNS resolution failed") for h in sorted(dns_failed)]
                + [(h, "host unreachable (ping failed)") for h in sorted(unreachable)]
                + test_failures)
    code = 61 if test_failures else 60 if unreachable else 21
    return names, failures, code


def resolve_hosts(hosts: list[str], env: Mapping[str, str],
                  runner: ProbeRunner) -> tuple[dict[str, str], set[str]]:
    """Validated names and the hosts that failed: /etc/hosts, DNS, then `op` for an FQDN."""
    known = etc_hosts_names(read_etc_hosts())
    pending = [h for h in hosts if h.lower() not in known]
    dns = runner.run([Probe((sys.executable, "-I", "-S", "-c", DNS_PROBE, h), DNS_TIMEOUT)
                      for h in pending])
    failed = [h for h, r in zip(pending, dns, strict=True) if r.exit_code != 0]
    names: dict[str, str] = {}
    if failed and shutil.which("op", path=env.get("PATH", os.defpath)):
        looked_up = runner.run([Probe(("op", "mc_isac", "-f", h), FQDN_TIMEOUT)
                                for h in failed])
        for host, result in zip(list(failed), looked_up, strict=True):
            fqdn = result.stdout.strip().splitlines()[0].strip() if result.stdout.strip() else ""
            if result.exit_code == 0 and fqdn:
                names[host] = fqdn
                failed.remove(host)
    return names, set(failed)


def etc_hosts_names(text: str) -> set[str]:
    """Lower-cased names and addresses listed in an /etc/hosts text (pure)."""
    return {word for words in etc_hosts_entries(text) for word in words}


def run_connection_tests(pairs: list[tuple[str, str]], exec_config: Any,
                         env: Mapping[str, str], runner: ProbeRunner) -> list[tuple[str, str]]:
    """Run each type's validation_test through its template; return (host, reason) failures."""
    probes = []
    for host, exec_type in pairs:
        test = exec_config.validation_test(exec_type)
        argv = exec_config.build_argv(exec_type, host, test.command, test.arguments or "", env)
        probes.append(Probe(tuple(argv), test_timeout(exec_config, exec_type, env)))
    failures = []
    for (host, exec_type), result in zip(pairs, runner.run(probes), strict=True):
        reason = judge_test(exec_config.validation_test(exec_type), result)
        if reason:
            failures.append((host, f"connection test ({exec_type}) failed: {reason}"))
    return failures


def judge_test(test: Any, result: ProbeResult) -> str | None:
    """Why a validation test failed, or None when it passed (pure)."""
    if test.expected_exit is None and test.expected_output is None:
        return "the test defines neither expected_exit nor expected_output"
    expected_exit = 0 if test.expected_exit is None else test.expected_exit
    if result.exit_code != expected_exit:
        return f"exit code {result.exit_code}, expected {expected_exit}"
    if test.expected_output is not None and test.expected_output not in result.stdout:
        return f"output does not contain '{test.expected_output}'"
    return None


def test_timeout(exec_config: Any, exec_type: str, env: Mapping[str, str]) -> float:
    """VALIDATION_TEST_TIMEOUT (a positive whole number of seconds; anything else is ignored,
    REFERENCE §1.4), else the test's, else the platform's, else 10 seconds."""
    with contextlib.suppress(ValueError):
        override = int(env.get("VALIDATION_TEST_TIMEOUT", "").strip())
        if override > 0:
            return float(override)
    test = exec_config.validation_test(exec_type)
    for value in (getattr(test, "timeout", None),
                  getattr(exec_config, "default_validation_timeout", None)):
        if value:
            return float(value)
    return DEFAULT_TEST_TIMEOUT


def _report_failures(failures: list[tuple[str, str]], log: Any) -> None:
    for host, reason in failures:
        log.error(f"Host {host}: {reason}")
    hosts = sorted({host for host, _ in failures})
    shown = ", ".join(hosts[:10]) + (", ..." if len(hosts) > 10 else "")
    log.info(f"# ERROR: Host validation failed ({len(failures)} failures)")
    log.error(f"Host validation failed for: {shown} ({len(hosts)} total). Exiting.")


class ShimProbeRunner:
    """Runs probes as shim attempts in a private temporary directory (removed afterwards)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        from tasker.shim_client import ShimClient

        self._env = dict(env)
        self._dir = Path(tempfile.mkdtemp(prefix="tasker-hostcheck-"))
        self._client = ShimClient(self._dir)
        self._count = 0

    def __enter__(self) -> ShimProbeRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def run(self, probes: list[Probe]) -> list[ProbeResult]:
        """Run the probes, at most MAX_CONCURRENT_PROBES at a time."""
        results: list[ProbeResult] = []
        for start in range(0, len(probes), MAX_CONCURRENT_PROBES):
            results.extend(self._batch(probes[start:start + MAX_CONCURRENT_PROBES]))
        return results

    def _batch(self, probes: list[Probe]) -> list[ProbeResult]:
        from tasker.shim_protocol import AttemptSpec

        handles = []
        for probe in probes:
            self._count += 1
            spec = AttemptSpec(argv=list(probe.argv), timeout=probe.timeout, env=self._env,
                               kill_grace=PROBE_GRACE, cwd=str(Path.cwd()),
                               attempt_dir=str(self._dir / f"probe.{self._count}"))
            handles.append(self._client.start(spec))
        results = []
        try:
            for handle in handles:
                result = handle.wait()
                results.append(ProbeResult(result.exit_code, result.stdout.text))
        except BaseException:  # a signal (Interrupted) ends validation: stop the probes too
            for handle in handles:
                with contextlib.suppress(OSError):
                    handle.cancel()
            raise
        return results
