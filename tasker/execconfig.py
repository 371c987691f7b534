"""Execution types: the `execution_types.yaml` model, its lookup and the argv templates.

`local` is built in: argv = [command] + shlex.split(expandvars(arguments)), no shell.
Every other type comes from the YAML file (REFERENCE §6): `platforms.<os>` holds the
platform defaults and one entry per type (`binary`, `command_template`, `timeout`,
`validation_test`); a top-level `aliases:` map names alternatives. Type names and the
names looked up are lower-cased.

Lookup (SPEC §B): `$TASKER_EXEC_CONFIG`, then `./cfg/execution_types.yaml` in the working
directory, then the copy shipped in `tasker/data/`.

Placeholders: `{binary}`, `{hostname}`, `{command}`, `{arguments}` (env-expanded string) and
`{arguments_split}` (whole element, one argv entry per word) as in TASKER; for remote shells
(ssh) also `{command_quoted}` (the command quoted as one shell word), `{arguments_quoted}` (the
split words, each quoted for a POSIX shell, joined by spaces) and `{timeout}` (the attempt's
timeout in whole seconds, rounded up, at least 1; without one from the caller the type's or
platform default).
"""

from __future__ import annotations

import math
import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasker.errors import ExecConfigError, Location, TaskerError
from tasker.variables import expand_env

LOCAL = "local"
CONFIG_ENV = "TASKER_EXEC_CONFIG"
BUILTIN_ALIASES = {"bash": "shell", "sh": "shell", "/bin/bash": "shell", "/bin/sh": "shell",
                   "cmd": "shell"}
CWD_CONFIG = Path("cfg") / "execution_types.yaml"
PACKAGED_CONFIG = Path(__file__).parent / "data" / "execution_types.yaml"
FALLBACK_TIMEOUT = 300
DEFAULT_TEMPLATE = ("{binary}", "{hostname}", "{command}", "{arguments_split}")

_PLACEHOLDER = re.compile(
    r"\{(binary|hostname|command|arguments|command_quoted|arguments_quoted|timeout)\}")


class ArgumentSplitError(TaskerError):
    """`arguments` cannot be split shell-style (for example an unclosed quote)."""

    exit_code = 20


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class ValidationTest(_Frozen):
    """The connection test of an exec type, run through the type's own template."""

    command: str
    arguments: str = ""
    expected_exit: int | None = None
    expected_output: str | None = None
    timeout: int | None = None


class ExecType(_Frozen):
    """One configured execution type."""

    name: str
    description: str = ""
    binary: str | None = None
    command_template: tuple[str, ...] = DEFAULT_TEMPLATE
    timeout: int | None = None
    validation_test: ValidationTest | None = None


class ExecConfig(_Frozen):
    """The execution types in force for a run; `source` is the file they came from."""

    source: str | None = None
    types: dict[str, ExecType] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)
    platform_default_type: str | None = None
    default_timeout: int | None = None
    default_validation_timeout: int | None = None

    def canonical(self, name: str) -> str | None:
        """The configured type `name` stands for (lower-cased, aliases applied), else None.

        The config's `aliases:` come first, then TASKER's own (`bash`, `sh`, `/bin/bash`,
        `/bin/sh` and `cmd` for `shell`, REFERENCE §6): a config without them still runs the
        task files written for TASKER's shipped one."""
        key = name.strip().lower()
        key = self.aliases.get(key, key)
        if key not in self.types:
            key = BUILTIN_ALIASES.get(key, key)
        if key == LOCAL or key in self.types:
            return key
        return None

    def type_names(self) -> list[str]:
        """`local` first, then the configured types in file order (the `-t` choices)."""
        return [LOCAL, *(name for name in self.types if name != LOCAL)]

    def default_exec_type(self) -> str:
        """The platform's `default_exec_type`, else `local`."""
        return self.platform_default_type or LOCAL

    def timeout_for(self, type_name: str) -> int | None:
        """The type's own timeout, else the platform `default_timeout`, else None."""
        exec_type = self.types.get(self.canonical(type_name) or "")
        if exec_type is not None and exec_type.timeout is not None:
            return exec_type.timeout
        return self.default_timeout

    def validation_test(self, type_name: str) -> ValidationTest | None:
        """The connection test of a type; None for `local`, unknown types or `null` tests."""
        exec_type = self.types.get(self.canonical(type_name) or "")
        return exec_type.validation_test if exec_type else None

    def get(self, type_name: str) -> ExecType:
        """The configured type; raises ExecConfigError naming the available ones."""
        key = self.canonical(type_name)
        if key is None or key == LOCAL:
            raise ExecConfigError(
                f"Execution types not found in configuration: {type_name}. "
                f"Available exec types: {', '.join(self.type_names())}"
            )
        return self.types[key]

    def build_argv(self, type_name: str, hostname: str, command: str, arguments: str,
                   env: Mapping[str, str], *, timeout: float | None = None) -> list[str]:
        """The argv that runs `command arguments` on `hostname` with this exec type.

        `timeout` fills `{timeout}`; without it the type's timeout_for() value is used.
        """
        expanded = expand_env(arguments, env)[0]
        if self.canonical(type_name) == LOCAL:
            return [command, *split_arguments(expanded)]
        exec_type = self.get(type_name)
        values = _Values(exec_type.binary or "", hostname, command, expanded,
                         self._timeout_text(type_name, timeout))
        argv: list[str] = []
        for element in exec_type.command_template:
            if element == "{arguments_split}":
                argv.extend(split_arguments(expanded))
            else:
                argv.append(_PLACEHOLDER.sub(lambda m: values.get(m.group(1)), element))
        return argv

    def _timeout_text(self, type_name: str, timeout: float | None) -> str:
        value = timeout if timeout is not None else self.timeout_for(type_name)
        # at least 1: `timeout 0 ...` would mean no limit at all
        return str(max(1, math.ceil(value if value is not None else FALLBACK_TIMEOUT)))


class _Values:
    """Placeholder values; the quoted forms are computed only when a template uses them."""

    def __init__(self, binary: str, hostname: str, command: str, arguments: str,
                 timeout: str) -> None:
        self._plain = {"binary": binary, "hostname": hostname, "command": command,
                       "arguments": arguments, "timeout": timeout}

    def get(self, name: str) -> str:
        """The text of placeholder `name` (without braces)."""
        if name == "command_quoted":
            return shlex.quote(self._plain["command"])
        if name == "arguments_quoted":
            return quote_arguments(self._plain["arguments"])
        return self._plain[name]


def split_arguments(arguments: str) -> list[str]:
    """Shell-style split of `arguments`; raises ArgumentSplitError instead of ValueError."""
    try:
        return shlex.split(arguments)
    except ValueError as exc:
        raise ArgumentSplitError(f"cannot split arguments {arguments!r}: {exc}",
                                 Location(field="arguments")) from exc


def quote_arguments(arguments: str) -> str:
    """Split `arguments` shell-style, quote each word for a POSIX shell, join with spaces."""
    return " ".join(shlex.quote(word) for word in split_arguments(arguments))


def platform_key(platform: str = sys.platform) -> str:
    """The `platforms:` key for this OS: linux, darwin or windows."""
    if platform.startswith("win"):
        return "windows"
    return "darwin" if platform == "darwin" else "linux"


def find_config(env: Mapping[str, str], cwd: Path) -> Path | None:
    """The config file to use (SPEC §B order), or None when there is none at all."""
    explicit = env.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ExecConfigError(f"{CONFIG_ENV} names no readable file: {explicit}",
                                  Location(file=explicit))
        return path
    for path in (cwd / CWD_CONFIG, PACKAGED_CONFIG):
        if path.is_file():
            return path
    return None


def load_exec_config(env: Mapping[str, str], cwd: Path) -> ExecConfig:
    """Find and load the execution types; raises ExecConfigError naming file and line."""
    path = find_config(env, cwd)
    if path is None:
        return ExecConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExecConfigError(f"cannot read execution types: {exc}",
                              Location(file=str(path))) from exc
    return parse_exec_config(text, str(path))


def parse_exec_config(text: str, source: str) -> ExecConfig:
    """Build an ExecConfig from YAML text (pure); `source` names it in errors.

    The shipped file (or an unchanged copy) is not parsed: its pre-parsed form is used.
    """
    import hashlib

    from tasker import execconfig_data

    if hashlib.sha256(text.encode("utf-8")).hexdigest() == execconfig_data.SHA256:
        return config_from_data(execconfig_data.DATA, source)
    return config_from_data(_load_yaml(text, source), source)


def config_from_data(data: Any, source: str) -> ExecConfig:
    """Build an ExecConfig from the parsed YAML document `data`."""
    if data is None:
        return ExecConfig(source=source)
    if not isinstance(data, dict):
        raise ExecConfigError("the top level must be a mapping", Location(file=source))
    platforms = data.get("platforms") or {}
    platform = platforms.get(platform_key()) if isinstance(platforms, dict) else None
    platform = platform if isinstance(platform, dict) else {}
    try:
        return ExecConfig(
            source=source,
            types=_types(platform, source),
            aliases=_aliases(data.get("aliases"), source),
            platform_default_type=_lower(platform.get("default_exec_type")),
            default_timeout=platform.get("default_timeout"),
            default_validation_timeout=platform.get("default_validation_timeout"),
        )
    except ValidationError as exc:
        raise ExecConfigError(f"invalid execution types: {_first_error(exc)}",
                              Location(file=source)) from exc


def _load_yaml(text: str, source: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ExecConfigError(f"invalid YAML: {problem}",
                              Location(file=source, line=line)) from exc


def _types(platform: dict[str, Any], source: str) -> dict[str, ExecType]:
    types = {}
    for name, entry in platform.items():
        if isinstance(entry, dict) and ("binary" in entry or "command_template" in entry):
            key = str(name).lower()
            try:
                # YAML keys may be numbers or null: keyword arguments must be strings
                fields = {str(field): value for field, value in entry.items()}
                types[key] = ExecType(**{**fields, "name": key})
            except ValidationError as exc:
                raise ExecConfigError(f"exec type '{key}': {_first_error(exc)}",
                                      Location(file=source)) from exc
    return types


def _aliases(raw: Any, source: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ExecConfigError("'aliases' must be a mapping", Location(file=source))
    return {str(k).lower(): str(v).lower() for k, v in raw.items()}


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}"
