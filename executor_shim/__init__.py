"""The executor shim: one process per command attempt (standard library only).

It starts the command in its own process group, enforces the timeout and memory cap on the
whole process tree, streams stdout/stderr to bounded memory and spill files, and writes
`result.json` atomically. Run it as `python -m executor_shim SPEC_PATH` or through the
pre-started launcher (`executor_shim.launcher`).
"""
