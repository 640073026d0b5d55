"""The tolerance model: errors are measured in units of the dtype's rounding, scaled by the
condition of the function at the input.

For a value v = f(x) computed in a floating-point type with unit roundoff ``eps`` (numpy's
``finfo(dtype).eps``), a backward-stable implementation returns f(x (1 + d1)) (1 + d2) with
|d1|, |d2| bounded by a small multiple of eps.  To first order its error is at most

    eps * S,   S = |f(x)| + |x f'(x)|          (one input)
               S = |C| + |a dC/da| + |y dC/dy|  (two inputs)

so we report ``units = |actual - truth| / (eps * S + tiny)``, where ``tiny`` is the smallest
normal number of the dtype (results in the subnormal range carry an absolute error).  An
implementation conforms when ``units <= budget`` for every element.  The budget (the multiple
of eps) lives in :data:`BUDGETS`, one table, and is justified there.  Because S grows with the
condition number, a float32 implementation is judged by float32's eps at its own inputs and is
not falsely rejected where the function is ill-conditioned (tanh near its saturation, log loss
near a = 1), while float64 implementations are held to float64's eps.

Numeric (finite-difference) references carry their own error estimate (Ridders' extrapolation
table, see :mod:`.numeric`); comparisons against them add that estimate to the allowance rather
than any constant scaled by array size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Multiples of eps allowed, per check family.  Why these numbers:
#: * ``value`` / ``derivative``: elementwise formulas are a handful of correctly rounded
#:   operations (exp, log1p, a division, a product) each adding <= 1 eps relative error, and
#:   the condition term already covers input rounding.  16 covers ~10 chained operations with
#:   room for library exp/log/erf that are accurate to a few ulps, not 0.5 ulp.
#: * ``vector``: softmax-style rows add a sum of K terms (error ~K eps); 64 covers K <= 32.
#: * ``network``: a dense layer's gradient is a sum over the batch and fan-in; its rounding
#:   grows like sqrt(n) eps for random signs and n eps in the worst case.  The scale used for
#:   networks is the sum of |terms| (see :func:`network_scale`), so the budget stays a small
#:   multiple.
BUDGETS: dict[str, float] = {
    "value": 16.0,
    "derivative": 16.0,
    "vector": 64.0,
    "network": 64.0,
}


def eps(dtype: np.dtype | type) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def tiny(dtype: np.dtype | type) -> float:
    """The absolute error floor: smallest normal / eps (1e-292 in float64, 1e-31 in float32).

    Flush-to-zero arithmetic (XLA on CPU, GPUs) drops intermediates below the smallest
    normal; a later factor of up to 1/eps (z * sigmoid(z) at z = -710) carries that loss
    into the result.  Results this small are compared absolutely.
    """
    info = np.finfo(np.dtype(dtype))
    return float(info.smallest_normal / info.eps)


@dataclass
class Comparison:
    """Element-by-element comparison of an implementation's output with the truth."""

    units: np.ndarray  # error in units of eps * scale; inf for a non-finite where truth is finite
    checked: np.ndarray  # bool mask: elements that were compared (finite truth, in domain)
    budget: float

    @property
    def worst_index(self) -> tuple[int, ...] | None:
        if not self.checked.any():
            return None
        masked = np.where(self.checked, self.units, -1.0)
        return tuple(int(i) for i in np.unravel_index(int(np.argmax(masked)), masked.shape))

    @property
    def worst_units(self) -> float:
        if not self.checked.any():
            return 0.0
        return float(np.max(np.where(self.checked, self.units, 0.0)))

    @property
    def ok(self) -> bool:
        return self.worst_units <= self.budget

    @property
    def failing(self) -> int:
        return int(np.count_nonzero(self.checked & (self.units > self.budget)))


def compare(
    actual: np.ndarray,
    truth: np.ndarray,
    scale: np.ndarray,
    dtype: np.dtype | type,
    budget: float,
    *,
    allowance: np.ndarray | float = 0.0,
    mask: np.ndarray | None = None,
) -> Comparison:
    """Compare ``actual`` with ``truth`` in units of eps(dtype) * scale.

    ``allowance`` is an absolute error already known to be in the reference (e.g. the numeric
    differentiator's own error estimate); it is subtracted before converting to units.
    Elements whose truth is NaN (outside the domain) are not compared; where truth is +-inf
    the implementation must return the same infinity.
    """
    actual = np.asarray(actual, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    # An undefined condition (0 * inf in the scale) makes no claim: treat it as infinite.
    scale = np.nan_to_num(np.abs(np.asarray(scale, dtype=np.float64)), nan=np.inf)
    actual, truth, scale = np.broadcast_arrays(actual, truth, scale)
    checked = ~np.isnan(truth)
    if mask is not None:
        checked &= np.broadcast_to(mask, checked.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(actual - truth)
        diff = np.maximum(diff - np.abs(allowance), 0.0)
        units = diff / (eps(dtype) * np.where(np.isfinite(scale), scale, 0.0) + tiny(dtype))
    both_inf = np.isinf(truth) & (actual == truth)
    # An infinite condition (scale) means no finite answer is more right than another.
    units = np.where(both_inf | (np.isinf(scale) & np.isfinite(actual)), 0.0, units)
    units = np.where(np.isnan(units) | (~np.isfinite(actual) & ~both_inf), np.inf, units)
    return Comparison(units=units, checked=checked, budget=budget)


def scale_one(value: np.ndarray, x: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """S = |v| + |x v'|: the first-order effect of rounding v's input and output."""
    return np.abs(value) + np.abs(np.asarray(x, dtype=np.float64) * slope)


def scale_two(
    value: np.ndarray, a: np.ndarray, da: np.ndarray, y: np.ndarray, dy: np.ndarray
) -> np.ndarray:
    """S = |v| + |a dv/da| + |y dv/dy|, for functions of a prediction and a target."""
    a = np.asarray(a, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(value) + np.abs(a * da) + np.abs(y * dy)


def network_scale(grad: np.ndarray, direction: np.ndarray) -> float:
    """Rounding scale of <grad, v>: the sum of |g_i v_i| (no cancellation credit)."""
    return float(np.sum(np.abs(np.asarray(grad, np.float64) * np.asarray(direction, np.float64))))
