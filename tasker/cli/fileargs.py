"""File-defined arguments: the `--flag` lines at the top of a task file (REFERENCE §1.2).

The header is scanned from the top. Blank and `#` lines are skipped; a line starting with
`-` is an argument written as on the command line (`--flag` or `--opt=value`); a line with
`=` that does not start with `-` ends the header; any other line is skipped.

- CLI-only names (`--help`, `-h`, `--version`, `-V`, `--force-instance`) stop the run:
  FileArgumentError, exit 20, naming file and line.
- Security-sensitive names (`--skip-security-validation`, `--skip-validation`,
  `--fire-and-forget`) are dropped with a warning: the file cannot lower the checks.
- A single dash before a long name (`-auto-recovery`) is a UsageError (exit 2); a short flag
  with its value attached (`-o60`) is not.
Unknown flags are kept here; the option parser ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasker.errors import FileArgumentError, Location, UsageError
from tasker.model import FileArg

CLI_ONLY = frozenset({"--help", "-h", "--version", "-V", "--force-instance"})
SECURITY_SENSITIVE = frozenset({"--skip-security-validation", "--skip-validation",
                                "--fire-and-forget"})
DROP_REASON = "security-sensitive flags cannot be set via file configuration"


@dataclass(frozen=True)
class FileArgs:
    """The accepted header lines, and the dropped ones with the reason."""

    source: str
    accepted: list[FileArg] = field(default_factory=list)
    dropped: list[tuple[FileArg, str]] = field(default_factory=list)

    def tokens(self) -> list[str]:
        """The accepted lines as command-line tokens."""
        return [arg.text for arg in self.accepted]


def read_file_args(text: str, source: str) -> FileArgs:
    """Scan the header of a task file (pure); raises FileArgumentError or UsageError."""
    result = FileArgs(source=source)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("-"):
            if "=" in line:
                break
            continue
        arg = FileArg(text=line, line=number)
        reason = _check(arg, source)
        if reason:
            result.dropped.append((arg, reason))
        elif line not in ("-", "--"):
            result.accepted.append(arg)
    return result


def flag_name(text: str) -> str:
    """The flag part of `--opt=value`."""
    return text.split("=", 1)[0]


def _check(arg: FileArg, source: str) -> str | None:
    name = flag_name(arg.text)
    where = Location(file=source, line=arg.line)
    if name in CLI_ONLY:
        raise FileArgumentError(
            f"File-defined argument '{name}' is not allowed (CLI-only flag)", where)
    if not name.startswith("--") and len(name) > 2 and name[2].isalpha():
        raise UsageError(
            f"Invalid argument syntax '{arg.text}': long options need two dashes "
            f"(--{name.lstrip('-')})", where)
    if name in SECURITY_SENSITIVE:
        return DROP_REASON
    return None


def dropped_warning(arg: FileArg, source: str) -> list[str]:
    """TASKER's three-line stdout warning for a dropped security-sensitive flag."""
    return [
        f"WARNING: Security-sensitive flag '{flag_name(arg.text)}' in task file "
        f"'{source}' (line {arg.line}) is ignored.",
        "         Action: BLOCKED. Security flags cannot be set via file configuration.",
        "         Give the flag on the command line if it is intended.",
    ]
