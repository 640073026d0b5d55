"""Per-tensor error summaries of a network gradient, for the report's figures.

A failing (or beyond-budget) network check records, per parameter tensor as the candidate
names it, the elementwise error of its gradient in eps-units against a reference gradient:

* ``reference``: the reference network's gradient of ``ARCH``, with the check's own scale
  (the gradient's rounding scale, :mod:`.netscale`);
* ``gradient``: the numeric gradient of the candidate's own loss, element by element (a
  Ridders difference along each coordinate, its error estimate allowed for), when the network
  has at most :data:`MAX_NUMERIC_ELEMENTS` parameters; beyond that only the per-tensor error of
  the random direction restricted to the tensor exists (one number per tensor).

The summary is bounded: a tensor larger than :data:`MAX_SIDE` along an axis is reduced by
block maxima (the figure says so); values are rounded to 3 significant digits.  It never
changes a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradspec.conformance.engine import numeric
from gradspec.conformance.engine.errormodel import compare

#: The largest side of a recorded tensor; a longer axis is reduced by block maxima.
MAX_SIDE = 64
#: Elementwise numeric gradients (a full Ridders table each: 20 loss evaluations, each a
#: round trip to the candidate's worker, ~1 ms) only up to this many parameters: the summary
#: follows a failure and must stay cheap (~2 s at this bound; 18 s at 1,008 parameters).
MAX_NUMERIC_ELEMENTS = 100


def _round3(a: np.ndarray) -> list:
    """3 significant digits; non-finite values as JSON strings."""
    out = []
    for v in np.asarray(a, dtype=np.float64).ravel().tolist():
        out.append(float(f"{v:.3g}") if np.isfinite(v) else str(v))
    return out


def block_max(a: np.ndarray, side: int = MAX_SIDE) -> tuple[np.ndarray, list[int]]:
    """``a`` (1-D or 2-D) reduced to at most ``side`` per axis by maxima over blocks of
    ``ceil(n / side)`` consecutive elements (NaN counts as the largest); the block sizes."""
    a = np.where(np.isnan(a), np.inf, a)
    blocks = []
    for axis, n in enumerate(a.shape):
        k = -(-n // side) if n > side else 1
        blocks.append(k)
        if k > 1:
            starts = np.arange(0, n, k)
            a = np.maximum.reduceat(a, starts, axis=axis)
    return a, blocks


def summary(name: str, units: np.ndarray, threshold: float, budget: float, kind: str) -> dict:
    """One tensor's record: its name and shape, the error grid (block maxima beyond
    :data:`MAX_SIDE`), its maximum, and the limits the check applied."""
    units = np.asarray(units, dtype=np.float64)
    shape = list(units.shape)
    grid = units.reshape(1) if units.ndim == 0 else units
    if grid.ndim > 2:  # a convolution kernel, say: its trailing axes flattened
        grid = grid.reshape(grid.shape[0], -1)
    reduced, blocks = block_max(grid)
    top = np.where(np.isnan(units), np.inf, units).max(initial=0.0)
    return {
        "name": name,
        "shape": shape,
        "kind": kind,
        "units": [_round3(row) for row in reduced] if reduced.ndim == 2 else _round3(reduced),
        "block": blocks,
        "max_units": _round3(np.array([top]))[0],
        "threshold": float(f"{threshold:.3g}"),
        "budget": float(budget),
    }


def against_reference(
    got: dict[str, np.ndarray],
    want: dict[str, np.ndarray],
    scales: dict[str, np.ndarray],
    dtype: np.dtype,
    budget: float,
) -> list[dict[str, Any]]:
    """Per tensor, the candidate's gradient against the reference network's, as the
    ``reference`` check compares them (``scales``: the gradient's rounding scale)."""
    out = []
    for k in got:
        w = np.asarray(want[k], dtype=np.float64)
        cmp = compare(got[k], w, scales[k], dtype, budget)
        thr = cmp.threshold[np.isfinite(cmp.threshold)]
        units = np.where(cmp.checked, cmp.units, 0.0)
        out.append(summary(k, units, float(np.median(thr)) if thr.size else np.inf, budget,
                           "reference network"))  # fmt: skip
    return out


def against_numeric(
    loss: Callable[[np.ndarray], float],
    flat: np.ndarray,
    gflat: np.ndarray,
    layout: list[tuple[str, tuple[int, ...]]],
    dtype: np.dtype,
    budget: float,
    threshold: float,
    h0: float,
    direction: np.ndarray,
    f_error: float | None = None,
) -> list[dict[str, Any]]:
    """Per tensor, ``gflat`` against the numeric gradient of ``loss``: element by element for
    a small network, else the random ``direction`` restricted to each tensor."""
    elementwise = flat.size <= MAX_NUMERIC_ELEMENTS
    out = []
    i = 0
    for k, shape in layout:
        n = int(np.prod(shape))
        if elementwise:
            num, err = np.empty(n), np.empty(n)
            for j in range(n):
                e = np.zeros_like(flat)
                e[i + j] = 1.0
                d = numeric.directional(loss, flat, gflat, e, h0, f_error)
                num[j], err[j] = d.numeric, d.error_estimate
            scale = np.abs(num) + np.max(np.abs(num), initial=0.0)
            cmp = compare(gflat[i : i + n], num, scale, dtype, budget, allowance=2 * err,
                          against="numeric")  # fmt: skip
            units = np.where(cmp.checked, cmp.units, 0.0).reshape(shape)
            out.append(summary(k, units, threshold, budget, "numeric gradient of its loss"))
        else:
            w = np.zeros_like(direction)
            w[i : i + n] = direction[i : i + n]
            units = np.array(numeric.directional(loss, flat, gflat, w, h0, f_error).units(dtype))
            out.append(summary(k, units, threshold, budget, "random direction in the tensor"))
            out[-1]["shape"] = list(shape)
        i += n
    return out
