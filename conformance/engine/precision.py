"""Which precision an implementation really computes in: evidence of float32 arithmetic
behind a float64 interface, and which float64 inputs a float32 computation can hold."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def float32_holds(args: Sequence[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Elements whose float64 inputs a float32 computation can hold: in float32's normal
    range (or zero), and not rounded onto 0 or +-1, where kinks and domain edges sit
    (relu'(1e-300) of a float32 code is relu'(0); float32(1 - 2e-12) = 1 ends a log loss's
    domain).  Elsewhere a float32 implementation answers for another input."""
    ok = np.ones(shape, dtype=bool)
    info = np.finfo(np.float32)
    for a in args:
        x = np.asarray(a, dtype=np.float64)
        if x.shape != tuple(shape):
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            x32 = x.astype(np.float32).astype(np.float64)
        ax = np.abs(x)
        ok &= (x == 0) | ((ax >= info.smallest_normal) & (ax <= info.max))
        ok &= ~(np.isin(x32, (0.0, 1.0, -1.0)) & (x32 != x))
    return ok


def float32_exact(x: np.ndarray) -> np.ndarray:
    """Elements of a float64 array that are exactly float32 values."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return x.astype(np.float32).astype(np.float64) == x


def working_dtype(
    fn: str, asked: np.dtype, raw: object, out: np.ndarray, reference: np.ndarray | None = None
) -> tuple[np.dtype, str]:
    """The precision ``fn`` really computed in, and a warning when it is not ``asked``.

    Evidence of float32 computation on float64 inputs, never the size of the error: float32
    outputs, or float64 outputs that are all exactly float32 values where at least one truth
    is not.  One such element is evidence enough: a float64 result lands on the float32 grid
    by chance once in 2^29, and judging against float32 rounding still fails any error of
    wrong math (a derivative that is 0 or 1/6 in float32 elsewhere, as torch's hardsigmoid
    backward, gave one telling element in some draws and two in others).  A float64
    function that is merely inaccurate returns values off the float32 grid and stays judged
    as float64.
    """
    asked = np.dtype(asked)
    if asked != np.float64:
        return asked, ""
    got = getattr(raw, "dtype", None)
    if got is not None and np.dtype(got) in (np.float32, np.float16):
        return np.dtype(np.float32), (
            f"{fn}: computes in float32 (returns {np.dtype(got)} for float64 input); "
            "judged against float32 rounding"
        )
    if reference is None:
        return asked, ""
    o = np.asarray(out, dtype=np.float64).ravel()
    t = np.broadcast_to(np.asarray(reference, dtype=np.float64), np.shape(out)).ravel()
    live = np.isfinite(o) & np.isfinite(t) & (o != 0)
    if not live.any() or not float32_exact(o[live]).all():
        return asked, ""
    telling = live & ~float32_exact(t)
    if telling.any():
        return np.dtype(np.float32), (
            f"{fn}: computes in float32 (its float64 results are all float32 values); "
            "judged against float32 rounding"
        )
    return asked, ""
