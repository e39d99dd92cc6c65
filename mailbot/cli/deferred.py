"""typer's coercion of an option's value, built once the option has a value.

    defer_coercion()   every command from then on builds an option's coercion only for a value to coerce

typer (0.29) builds the coercion of each of a command's options (a pydantic TypeAdapter) before it
looks at the value: every command paid for pydantic's import and one validator per option, about
0.1 s of CPU before it did anything, for options not given whose value (None) no validator reads.
Here the build waits for a value. An option not given comes out as typer's own coercion makes it:
None, or () for one that takes several values (tests/cli/test_deferred_coercion.py compares the two
for every option of every command). A typer that has no typer.core.build_runtime_param is left as it is.
"""

from __future__ import annotations

from typing import Any

import typer.core

_build = getattr(typer.core, "build_runtime_param", None)


class DeferredCoercion:
    """What typer's build_runtime_param gives, built at the first value that is not None."""

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        self.built: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        if self.built is None:
            assert _build is not None  # installed only where typer has it
            self.built = _build(self.descriptor)
        return self.built.coerce(value, param=param, ctx=ctx)


def defer_coercion() -> None:
    if _build is not None:
        typer.core.build_runtime_param = DeferredCoercion  # type: ignore[attr-defined,assignment]
