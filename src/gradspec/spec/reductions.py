"""The reduction entries: how per-element costs become the scalar that is differentiated."""

from __future__ import annotations

from ._types import Reduction

REDUCTIONS: tuple[Reduction, ...] = (
    Reduction("none", "L_i = C(a_i, y_i)  (no reduction)", "dL_i/da_i = C'(a_i, y_i)"),
    Reduction("sum", "L = sum_i C(a_i, y_i)", "dL/da_i = C'(a_i, y_i)"),
    Reduction("mean", "L = (1/N) sum_i C(a_i, y_i)", "dL/da_i = C'(a_i, y_i) / N"),
)
