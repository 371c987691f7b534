"""tasker: a hardened runner for TASKER-format workflows."""

__version__ = "0.1.0"
