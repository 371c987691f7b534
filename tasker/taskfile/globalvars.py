"""Global variables of a task file (REFERENCE §2.2, SPEC D13/D14), pure.

`NAME=value` lines before the first `task=` define globals. Values get `$X`/`${X}` expanded
from the environment passed in (expandvars semantics: unset stays literal), then `@OTHER@`
chains are expanded by up to ten passes over the templates, so `SELF=a@SELF@b` holds eleven
`a`s once the run substitutes it into a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from tasker.errors import Location, TaskFileError
from tasker.model import TASK_FIELD_NAMES, GlobalVar
from tasker.taskfile.lexer import Entry
from tasker.taskfile.syntax import ENV_REF as _ENV
from tasker.taskfile.syntax import GLOBAL_REF, global_refs
from tasker.validation.security import check_global_value
from tasker.variables import expand_env

MAX_NAME_LENGTH = 64
CHAIN_PASSES = 10
MAX_EXPANDED_LENGTH = 65536
RESERVED_NAMES = frozenset(TASK_FIELD_NAMES) - {"hostnames"}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_names(text: str) -> list[str]:
    """Every environment variable name referenced by `$X` or `${X}` in the text."""
    return [m.group(1).strip("{}") for m in _ENV.finditer(text)]


def parse_globals(entries: Iterable[Entry], env: Mapping[str, str], source: str,
                  strict_env: bool = False, skip_security: bool = False
                  ) -> tuple[dict[str, GlobalVar], dict[str, list[str]]]:
    """Build the globals from the entries before the first task.

    Returns the globals and, per name, the environment variables its value left unexpanded.
    Raises TaskFileError for a bad or reserved name, a strict-env violation, a security issue
    (unless `skip_security`) or an expansion that grows beyond 64 KiB.
    """
    templates: dict[str, tuple[str, int, str]] = {}   # name -> (expanded template, line, raw)
    unexpanded: dict[str, list[str]] = {}
    for entry in entries:
        location = Location(file=source, line=entry.line, field=entry.key)
        _check_name(entry.key, location)
        if strict_env:
            _check_strict_env(entry, location)
        expanded, missing = expand_env(entry.value, env)
        templates[entry.key] = (expanded, entry.line, entry.value)
        unexpanded[entry.key] = missing
    values = _chain(templates, source)
    result = {}
    for name, (expanded, line, raw) in templates.items():
        if not skip_security:
            _sanitize(name, values[name], expanded, Location(file=source, line=line))
        result[name] = GlobalVar.model_construct(name=name, template=raw, value=values[name],
                                                 line=line, from_env=_ENV.search(raw) is not None)
    return result, {name: names for name, names in unexpanded.items() if names}


def check_used_env(globals_: Mapping[str, GlobalVar], unexpanded: Mapping[str, list[str]],
                   used: Iterable[str], source: str) -> None:
    """Raise when a used global (directly or through a chain) kept an unset `$VAR`."""
    pending, seen = [n for n in used if n in globals_], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if unexpanded.get(name):
            line = globals_[name].line
            raise TaskFileError(
                f"Environment variable expansion failed for used global variable '{name}' "
                f"(unset: {', '.join(unexpanded[name])})",
                Location(file=source, line=line, field=name),
            )
        pending.extend(n for n in global_refs(globals_[name].template) if n in globals_)


def _check_name(name: str, location: Location) -> None:
    if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        raise TaskFileError(
            f"Global variable security error: Invalid global variable name '{name[:80]}' "
            f"(letters, digits and '_', not starting with a digit, at most {MAX_NAME_LENGTH})",
            location,
        )
    if name in RESERVED_NAMES:
        raise TaskFileError(
            f"Cannot use task field name '{name}' as a global variable name "
            "(a task field before the first 'task=' line?)",
            location,
        )


def _check_strict_env(entry: Entry, location: Location) -> None:
    for name in env_names(entry.value):
        if not name.startswith("TASKER_"):
            raise TaskFileError(
                f"Strict environment validation: global '{entry.key}' uses ${name}; "
                "only variables starting with TASKER_ are allowed",
                location,
            )


def _chain(templates: Mapping[str, tuple[str, int, str]], source: str) -> dict[str, str]:
    """Expand `@NAME@` between globals: up to CHAIN_PASSES passes over the templates."""
    plain = {name: spec[0] for name, spec in templates.items()}

    def replace(match: re.Match[str]) -> str:
        return plain.get(match.group(1), match.group(0))

    values = {}
    for name, template in plain.items():
        text = template
        for _ in range(CHAIN_PASSES):
            new = GLOBAL_REF.sub(replace, text) if "@" in text else text
            if new == text:
                break
            if len(new) > MAX_EXPANDED_LENGTH:
                raise TaskFileError(
                    f"Global variable '{name}' expands to more than {MAX_EXPANDED_LENGTH} "
                    "characters",
                    Location(file=source, line=templates[name][1], field=name),
                )
            text = new
        values[name] = text
    return values


def _sanitize(name: str, value: str, template: str, location: Location) -> None:
    for issue in check_global_value(name, value, template):
        if issue.severity == "error":
            raise TaskFileError(f"Global variable security error: {issue.reason}", location)
