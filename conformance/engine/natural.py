"""Natural scales: how large a registry function (or one of its derivatives) typically is.

The wrong-math threshold of :mod:`.errormodel` is floored at ``eps * N``, with N the natural
scale of the function being compared: the largest |f^(k)| over a small grid of unit inputs,

    N(f^(k)) = max |f^(k)(x)|,  x in {-1, -0.75, ..., 1} (clipped into the domain)

(probabilities: {0.1, 0.2, ..., 0.9}; targets: a few values in [-1, 1] or [0, 1]).  An error
far below eps * N is below the resolution the dtype offers at the function's own size, so it
can lose relative digits (exp(z) - 1 near 0, 1 + erf(z) for z << 0) but never means wrong
math.  The grid is evaluated once per function and order from the mpmath truth.
"""

from __future__ import annotations

import functools

import numpy as np

from gradspec import spec
from gradspec.derivations import truth as T

_UNIT = np.linspace(-1.0, 1.0, 9)


def _grid(interval: spec.Interval) -> np.ndarray:
    """Unit inputs inside ``interval``: [-1, 1], or a probability-style grid for [0, 1]."""
    lo, hi = interval.lo, interval.hi
    if np.isfinite(lo) and np.isfinite(hi):
        return lo + (hi - lo) * np.linspace(0.1, 0.9, 9)
    pts = _UNIT
    if np.isfinite(lo):
        pts = lo + 1.0 + _UNIT  # e.g. (0, inf): 0 .. 2, off the edge
    elif np.isfinite(hi):
        pts = hi - 1.0 - _UNIT
    return pts


def _finite_max(values: np.ndarray) -> float:
    v = np.abs(np.asarray(values, dtype=np.float64))
    v = v[np.isfinite(v)]
    return float(v.max()) if v.size else 0.0


@functools.cache
def activation(name: str, order: int) -> float:
    """N of f^(order) for activation ``name`` (softmax: of the rows at unit logits)."""
    entry = spec.activation(name)
    z = _grid(entry.domain)
    if entry.vector:
        z = np.stack([z, -z, np.zeros_like(z)], axis=-1)
    with np.errstate(all="ignore"):
        return _finite_max(T.activation_value(name, z, order))


def _cost_grid(c: spec.Cost) -> tuple[np.ndarray, np.ndarray]:
    a = _grid(c.pred_domain)
    y = _grid(c.target_domain)[::4]  # three targets: low, middle, high
    aa, yy = np.meshgrid(a, y)
    aa, yy = aa.ravel(), yy.ravel()
    if c.vector:
        rows = np.stack([aa, -aa, np.zeros_like(aa)], axis=-1)
        tgt = np.zeros_like(rows)
        tgt[:, 0] = 1.0
        return rows, tgt
    return aa, yy


@functools.cache
def cost(name: str, order: int) -> float:
    """N of C (order 0) or dC/da (order 1) of cost ``name`` per element, at unit inputs."""
    c = spec.cost(name)
    a, y = _cost_grid(c)
    with np.errstate(all="ignore"):
        return _finite_max(T.cost_value(name, a, y, order))


@functools.cache
def pair(activation_name: str, cost_name: str) -> float:
    """N of dC/dz of an output activation + cost pair at unit logits."""
    p = spec.pair(activation_name, cost_name)
    z = _UNIT
    y = _grid(p.cost.target_domain)[::4]
    zz, yy = np.meshgrid(z, y)
    zz, yy = zz.ravel(), yy.ravel()
    if p.activation.vector:
        zz = np.stack([zz, -zz, np.zeros_like(zz)], axis=-1)
        yy = np.zeros_like(zz)
        yy[:, 0] = 1.0
    with np.errstate(all="ignore"):
        return _finite_max(T.pair_value(activation_name, cost_name, zz, yy, 1))


def reduced_cost(c: spec.Cost, reduction: str, shape: tuple[int, ...], order: int) -> float:
    """N of a cost (order 0) or its gradient (1) as a binding with ``reduction`` returns it on
    predictions of ``shape``: a sum over n values is n times the size of one, a mean's
    gradient 1/n of it (n: elements, or rows for a per-row cost)."""
    n = max(int(np.prod(shape[:-1] if c.vector else shape)), 1)
    n0 = cost(c.id, order)
    if reduction == "sum" and order == 0:
        return n0 * n
    if reduction == "mean" and order == 1:
        return n0 / n
    return n0
