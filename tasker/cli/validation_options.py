"""The task validator's options, built from the run's Options and exec config."""

from __future__ import annotations

from typing import Any

from tasker.cli.options import Options


def validation_options(options: Options, config: Any) -> Any:
    """A `tasker.validation.ValidationOptions` for this run."""
    from tasker.validation import ValidationOptions

    return ValidationOptions(
        skip_security=options.skip_security_validation,
        skip_command_validation=options.skip_command_validation,
        skip_subtask_range=options.skip_subtask_range_validation,
        default_exec_type=options.type or config.default_exec_type(),
        canonical_exec=config.canonical,
    )
