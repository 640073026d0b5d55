"""Small helpers the HTML modules share: escaping, anchors, number formatting."""

from __future__ import annotations

import html
import re
from typing import Any


def esc(text: Any) -> str:
    """Text made safe for an element's content or a quoted attribute."""
    return html.escape(str(text), quote=True)


def slug(text: str) -> str:
    """An anchor fragment from a name: letters, digits, ``-`` and ``_`` only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def candidate_anchor(index: int, implementation: str) -> str:
    """The id of an implementation's section (the index keeps two same-named ones apart)."""
    return f"candidate-{index}-{slug(implementation)}"


def result_anchor(impl_index: int, result_index: int) -> str:
    """The id of one result's details."""
    return f"r{impl_index}-{result_index}"


def as_float(v: Any) -> float:
    """A JSON number back to a float (non-finite values are written as strings)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def units_text(v: Any) -> str:
    """An error in eps-units, short: 0.5, 16, 1.2e+07, inf."""
    x = as_float(v)
    if x != x:
        return "nan"
    return f"{x:.2g}" if abs(x) < 1e4 else f"{x:.1e}"


def short_dtype(dtype: str) -> str:
    return dtype.replace("bfloat", "bf").replace("float", "f")
