"""Process-level start-up and exit of the `tasker` command (the console script's entry point).

Three costs of a short run have nothing to do with its work:
- the cyclic garbage collector: start-up allocates heavily (pydantic builds its validators)
  and frees little, so collections during it only cost time; it is off until the run loop
  starts, and at exit everything is frozen, so the interpreter's final collections skip it;
- `asyncio`: pydantic-core marks deprecated functions with `typing_extensions.deprecated`,
  which imports `asyncio.coroutines` (and with it all of asyncio, ~20 ms) only to ask
  whether each function is a coroutine function. For that one import a stand-in answers with
  `inspect.iscoroutinefunction`; it is removed right after, so a later `import asyncio` gets
  the real package. tasker itself never uses asyncio;
- pydantic plugins: before building its first validator pydantic scans every installed
  distribution's entry points for plugins (importing `importlib.metadata`, ~15 ms). tasker's
  models are internal to the process, so the command does not load third-party pydantic
  plugins at all.
"""

from __future__ import annotations

import gc
import inspect
import sys
import types


def console() -> None:
    """`tasker ...`: run the CLI with the collector held off during start-up."""
    from tasker.cli.main import main

    gc.disable()
    code = main()
    gc.freeze()
    sys.exit(code)


def collector_on() -> None:
    """Start collecting again, leaving what start-up built (frozen) out of every pass."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def import_pydantic() -> None:
    """Import pydantic (and pydantic-core's schema module) without pulling in asyncio."""
    if "pydantic_core.core_schema" in sys.modules or "asyncio" in sys.modules:
        return
    package = types.ModuleType("asyncio")
    package.__path__ = []
    coroutines = types.ModuleType("asyncio.coroutines")
    coroutines.iscoroutinefunction = inspect.iscoroutinefunction
    coroutines._is_coroutine = object()  # only read for coroutine functions, which these are not
    package.coroutines = coroutines
    sys.modules["asyncio"] = package
    sys.modules["asyncio.coroutines"] = coroutines
    try:
        import pydantic.main  # noqa: F401  (BaseModel and, through it, every module we use)
        import pydantic_core.core_schema  # noqa: F401
    finally:
        for name in ("asyncio.coroutines", "asyncio"):
            if sys.modules.get(name) in (package, coroutines):
                del sys.modules[name]
    loader = types.ModuleType("pydantic.plugin._loader")
    loader.get_plugins = tuple  # no plugins: see the module docstring
    sys.modules.setdefault("pydantic.plugin._loader", loader)
