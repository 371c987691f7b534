"""The fuzz properties as plain functions, shared by `tests/fuzz` and `stress/fuzz_long.py`.

Each `check_*` function runs one input through the code under test and raises AssertionError
when the outcome breaks the project rule: bad input gets a clear error and a documented exit
code, never a traceback and never an "internal error" (an exception caught at the top).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings

from tasker.cli.fileargs import read_file_args
from tasker.cli.main import main
from tasker.cli.options import parse_file_tokens
from tasker.errors import FileArgumentError, TaskerError, UsageError
from tasker.execconfig import ExecConfig, load_exec_config, parse_exec_config

# REFERENCE §8.9 plus SPEC's 26 (journal write); 130/143 need a signal, which we never send.
EXIT_CODES = frozenset({0, 1, 2, 10, 12, 20, 21, 24, 25, 26, 50, 60, 61, 124})
_ENV_CLEARED = ("TASKER_EXEC_CONFIG", "TASK_EXECUTOR_TYPE", "TASK_EXECUTOR_TIMEOUT",
                "TASK_EXECUTOR_HIGH_LOAD")
_RETURN = re.compile(r"return", re.IGNORECASE)
DRY_RUN_SECONDS = 20


def fuzz_settings(examples: int) -> settings:
    """The settings of a CI fuzz test: `examples` examples, no deadline (CI derandomizes)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


class Hang(BaseException):
    """A dry run did not finish within DRY_RUN_SECONDS."""


@dataclass(frozen=True)
class Outcome:
    """What one in-process `tasker` call gave."""

    code: int
    stdout: str
    stderr: str


class Skip(Exception):
    """The input would make the run touch something outside the sandbox (e.g. `--run`)."""


@contextlib.contextmanager
def sandbox(workdir: Path) -> Iterator[None]:
    """cwd, HOME and TASK_EXECUTOR_LOG inside `workdir` for the block; restored afterwards."""
    saved = {name: os.environ.get(name) for name in ("HOME", "TASK_EXECUTOR_LOG",
                                                      *_ENV_CLEARED)}
    cwd = Path.cwd()
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    os.environ["HOME"] = str(workdir / "home")
    os.environ["TASK_EXECUTOR_LOG"] = str(workdir / "base")
    for name in _ENV_CLEARED:
        os.environ.pop(name, None)
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_main(argv: list[str], stdin_text: str = "n\n",
             seconds: float = DRY_RUN_SECONDS) -> Outcome:
    """Call `tasker.cli.main.main(argv)` with captured streams and a hang alarm."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    saved_in = sys.stdin
    sys.stdin = io.StringIO(stdin_text)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdin = saved_in
    return Outcome(code, out.getvalue(), err.getvalue())


def _alarm(_signum: int, _frame: object) -> None:
    raise Hang(f"tasker did not finish within {DRY_RUN_SECONDS} s")


def check_pipeline(data: bytes, workdir: Path, *, validate_only: bool) -> Outcome:
    """Write `data` as a task file and run it (validate-only, or a dry run); assert the rule."""
    path = workdir / "fuzz.txt"
    path.write_bytes(data)
    ensure_sandboxed(data, workdir)
    argv = [str(path), "--skip-host-validation", "-l", str(workdir / "base")]
    if validate_only:
        argv.append("--validate-only")
    with sandbox(workdir):
        outcome = run_main(argv)
    assert_clean(outcome)
    allowed = EXIT_CODES
    if not validate_only and _RETURN.search(data.decode("utf-8", "replace")):
        allowed = frozenset(range(256))  # `return=N` ends a dry run with N mod 256
    assert outcome.code in allowed, f"undocumented exit code {outcome.code}"
    return outcome


def assert_clean(outcome: Outcome) -> None:
    """No traceback and no internal-error line in either stream."""
    for name, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        assert "Traceback" not in text, f"traceback on {name}:\n{text[-3000:]}"
        bad = [line for line in text.splitlines() if "internal error" in line]
        assert not bad, f"internal error on {name}: {bad[0][:2000]}"


def ensure_sandboxed(data: bytes, workdir: Path) -> None:
    """Raise Skip when the file header would run for real or write/chmod outside `workdir`."""
    try:
        tokens = read_file_args(data.decode("utf-8"), "fuzz.txt").tokens()
    except (UnicodeDecodeError, TaskerError):
        return  # main stops at the same place, before anything runs
    if {"-r", "--run"} & {token.split("=", 1)[0] for token in tokens}:
        raise Skip("--run in the header")
    try:
        types = _packaged_types()
        values = parse_file_tokens(tokens, types, "fuzz.txt")
    except TaskerError:
        return
    for name in ("output_json", "alert_on_failure", "project", "log_dir"):
        value = values.get(name)
        if value and not _inside(workdir, value):
            raise Skip(f"--{name} outside the sandbox")


@functools.cache
def _packaged_types() -> list[str]:
    return load_exec_config({}, Path("/nonexistent")).type_names()


def _inside(workdir: Path, value: str) -> bool:
    if "/" in value or value.startswith((".", "~")):
        return False
    return (workdir / value).resolve().is_relative_to(workdir.resolve())


def check_exec_config(text: str) -> ExecConfig | None:
    """`parse_exec_config` gives an ExecConfig that answers every lookup, or a TaskerError."""
    try:
        config = parse_exec_config(text, "cfg.yaml")
    except TaskerError as error:
        assert str(error), "empty error message"
        config = None
    if config is not None:
        assert config.type_names()[0] == "local"
        for name in config.type_names():
            config.timeout_for(name)
            config.validation_test(name)
            with contextlib.suppress(TaskerError):
                config.build_argv(name, "host", "echo", "a 'b c' $HOME", {"HOME": "/h"})
    return config


def check_main_with_exec_config(text: str, workdir: Path) -> Outcome:
    """`text` as ./cfg/execution_types.yaml: a valid task validates, or exit 20, no crash."""
    path = workdir / "cfg" / "execution_types.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return check_pipeline(b"task=0\nhostname=localhost\ncommand=echo\n", workdir,
                          validate_only=True)


def check_header(text: str) -> dict | None:
    """The header reader and the option parser raise UsageError/FileArgumentError only."""
    try:
        tokens = read_file_args(text, "hdr.txt").tokens()
        return parse_file_tokens(tokens, ["local", "shell"], "hdr.txt")
    except (UsageError, FileArgumentError) as error:
        assert str(error), "empty error message"
        return None


def check_header_via_main(text: str, workdir: Path) -> Outcome:
    """A header on top of a valid task: main exits 0, 2 or 20 (or validates), never crashes."""
    data = (text + "\ntask=0\nhostname=localhost\ncommand=echo\n").encode("utf-8",
                                                                          "surrogatepass")
    return check_pipeline(data, workdir, validate_only=True)
