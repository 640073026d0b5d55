"""Estimating the parameter value a candidate really uses (``parameter_mismatch``).

A parameterised entry checked at its declared (or default) values fails; if the candidate is
the registry's function at *another* value of one parameter (torch's slope 0.2 declared as
the default 0.01, ``PARAMS`` saying 0.2 where the code has 0.01), that value is estimated by
a bounded scalar fit of the reference over the parameter's valid range on the probe
(a log-spaced grid, then :func:`scipy.optimize.minimize_scalar` around the best point), and
claimed only when the candidate at the fitted value is within the pass budget of the
reference there.  Otherwise nothing is said.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from gradspec import dtypes, spec
from gradspec.conformance.engine.errormodel import BUDGETS

#: Grid points tried before refining (log-spaced over the fit range).
GRID = 160


def fit_range(p: spec.Param) -> tuple[float, float]:
    """Where a value is searched: the valid range, an unbounded side cut at 100 times the
    draw range (a parameter beyond it is no plausible library default)."""
    lo = p.valid.lo if math.isfinite(p.valid.lo) else p.draw[0] / 100
    hi = p.valid.hi if math.isfinite(p.valid.hi) else p.draw[1] * 100
    lo = max(lo, 1e-6) if lo <= 0 else lo  # open at 0: log spacing needs lo > 0
    span = hi - lo
    # stay strictly inside open ends
    return (lo + 1e-9 * span if not p.valid.lo_closed else lo, hi - 1e-9 * span)


def _error(got: np.ndarray, want: np.ndarray) -> float:
    ok = np.isfinite(got) & np.isfinite(want)
    if not ok.all():
        return math.inf
    return float(np.max(np.abs(got - want)))


def estimate(
    entry: spec.Activation | spec.Cost,
    got: object,
    reference: Callable[[Mapping[str, float]], np.ndarray],
    dtype: np.dtype,
) -> tuple[str, float] | None:
    """(parameter, value) the candidate's ``got`` is the reference at, other than the bound
    value, or None.  ``reference(values)`` evaluates the reference at parameter values."""
    if not entry.params:
        return None
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    eps = float(dtypes.finfo(dtype).eps)
    for p in entry.params:
        base = dict(entry.values)

        def err(v: float, p: spec.Param = p, base: dict = base) -> float:
            try:
                want = np.asarray(reference({**base, p.name: float(v)}), np.float64)
            except (ValueError, FloatingPointError, ZeroDivisionError):
                return math.inf
            return _error(got, want) if want.shape == got.shape else math.inf

        lo, hi = fit_range(p)
        grid = np.geomspace(lo, hi, GRID)
        errs = [err(v) for v in grid]
        i = int(np.argmin(errs))
        if not math.isfinite(errs[i]):
            continue
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, GRID - 1)]
        from scipy.optimize import minimize_scalar  # ~0.2 s to import; only a failure needs it

        res = minimize_scalar(err, bounds=(a, b), method="bounded", options={"xatol": 1e-14})
        v = float(res.x) if res.fun <= errs[i] else float(grid[i])
        v = _at_budget(err, v, reference, base, p.name, eps, dtype)
        if v is None:
            continue
        if math.isclose(v, entry.values[p.name], rel_tol=1e-6):
            continue  # the bound value itself: the failure is something else
        return p.name, v
    return None


def _at_budget(
    err: Callable[[float], float],
    v: float,
    reference: Callable[[Mapping[str, float]], np.ndarray],
    base: dict,
    name: str,
    eps: float,
    dtype: np.dtype,
) -> float | None:
    """The simplest value near the fit at which the candidate is within the pass budget
    (the value budget, relative to the largest element), or None.

    The bounded search stops at a relative precision of ~1e-8 (scipy's sqrt(eps)), coarser
    than float64 rounding; code writes its constants as short decimals (0.01, 0.3, 2.0), so
    the fit rounded to 1, 2, ... 12 significant digits is tried before the fit itself."""
    want = np.asarray(reference({**base, name: v}), np.float64)
    scale = max(float(np.max(np.abs(want))), float(dtypes.finfo(dtype).tiny))
    limit = BUDGETS["value"] * eps * scale
    for digits in range(1, 13):
        short = float(f"{v:.{digits}g}")
        if err(short) <= limit:
            return short
    return v if err(v) <= limit else None


def text(name: str, value: float, entry: spec.Activation | spec.Cost) -> str:
    """``behaves as slope = 0.01 (checked at slope = 0.2)``."""
    shown = spec.format_value(float(f"{value:.4g}"))
    return (
        f"behaves as {name} = {shown} (checked at {name} = {spec.format_value(entry.values[name])})"
    )


def detect(
    entry: spec.Activation | spec.Cost,
    got: object,
    reference: Callable[[Mapping[str, float]], np.ndarray],
    dtype: np.dtype,
    where: str,
) -> Iterator[str]:
    """The one diagnosis text, if the fit finds a value."""
    found = estimate(entry, got, reference, dtype)
    if found is not None:
        yield f"{where} {text(*found, entry)}"
