"""gradspec: the reference specification and conformance suite for neural-network cost
functions, activation functions and backpropagation gradients."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "check"]


def __getattr__(name: str) -> Any:
    if name == "check":  # lazy: ``import gradspec`` stays cheap
        from gradspec.conformance.api import check

        return check
    raise AttributeError(f"module 'gradspec' has no attribute {name!r}")
