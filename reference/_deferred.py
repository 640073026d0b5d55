"""A module imported on first use: ``sc = deferred("scipy.special")`` reads like the module
and imports it the first time an attribute is looked up.

scipy.special takes ~0.3 s to import (its array-API layer pulls in numpy.f2py), a fifth of a
``gradspec check`` of a one-function file, which never calls the reference or the diagnosis
that need it.  Unlike ``importlib.util.LazyLoader`` this leaves ``sys.modules`` alone: other
importers get the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class deferred:
    """The module ``name``, imported at the first attribute lookup."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not yet imported"
        return f"<deferred module {self._name!r} ({state})>"
