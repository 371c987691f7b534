"""`python -m tasker`."""

from tasker.cli.startup import console

console()
