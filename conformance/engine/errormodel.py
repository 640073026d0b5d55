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

import functools
from dataclasses import dataclass

import numpy as np

from gradspec.dtypes import finfo

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

#: The budgets in float16 and bfloat16 (docs/tolerances.md, "Low precision").  Their inputs
#: are exact (every value of theirs is a float64, the truth is taken at it), and their
#: kernels compute in float32 and round once (XLA, torch's CPU and CUDA kernels, the NumPy
#: reference): the error is <= eps/2 plus float32's own, 2**-13 (float16) or 2**-16
#: (bfloat16) of an eps.  4 allows a few more roundings in the dtype itself (NumPy's
#: float16 ufuncs round after every operation: tanh'(z) = 1 - tanh(z)**2 rounds three
#: times); 8 for rows, whose sums a float32 accumulator holds.  Beyond them precision is
#: lost beyond rounding: a warning, up to :data:`FAIL_UNITS`.
LOW_BUDGETS: dict[str, float] = {
    "value": 4.0,
    "derivative": 4.0,
    "vector": 8.0,
    "network": 8.0,
}

#: The wrong-math threshold, in eps-units of the dtype the candidate computes in.  An error
#: between the budget above and this threshold is a *warning* (the math is right, precision is
#: lost); beyond it, the check *fails*.  The threshold is applied to ``eps * max(S, N)``: the
#: condition-scaled rounding S of the element, floored at the function's natural scale N (its
#: typical size at unit inputs, :func:`natural_scale`), so an absolute error far below the
#: dtype's resolution at the function's own scale (1e-19 where elu(-0.002) loses relative
#: digits, 6e-17 where 1 + erf(z) cancels) never fails.  Why these numbers (docs/tolerances.md):
#: * float64: 2**24 eps = 3.7e-9 relative, 16 times finer than rounding to float32 (2**-24):
#:   a float64 function that is only float32-accurate (a constant rounded to float32 inside
#:   it) fails, while library cut-offs whose effect is below 2e-9 (torch's softplus switching
#:   to the identity at z = 20: relative 2.1e-9 in the derivative) warn.
#: * float32: 2**8 eps = 3.1e-5 relative: 8 of float32's 24 bits beyond the budget, still 15
#:   times finer than the tanh approximation of GELU (4.7e-4 absolute at z = 2.7).
#: Against numeric differences of the implementation's *own* function (derivative_numeric,
#: a network's gradient against its own loss) an approximation the implementation makes
#: consistently cancels out (torch's softplus is z, its derivative 1, above 20; a clip
#: clips both), so what is left is rounding and inconsistency.  float64 then fails beyond
#: 2**16 eps = 1.5e-11 relative: a central difference with step 1e-4 posing as the exact
#: derivative (relative error ~1e-9) fails there while it only warns against the spec.
#: * float16 (eps = 2**-10) and bfloat16 (eps = 2**-7): docs/tolerances.md, "Low precision".
FAIL_UNITS: dict[str, float] = {
    "float64": 2.0**24,
    "float32": 2.0**8,
    "float16": 2.0**5,
    "bfloat16": 2.0**4,
}
FAIL_UNITS_SELF: dict[str, float] = {
    "float64": 2.0**16,
    "float32": 2.0**8,
    "float16": 2.0**5,
    "bfloat16": 2.0**4,
}


# eps, tiny and the tables below are asked for on every comparison: looked up once per dtype
@functools.cache
def eps(dtype: np.dtype | type) -> float:
    return float(finfo(dtype).eps)


@functools.cache
def tiny(dtype: np.dtype | type) -> float:
    """The absolute error floor: smallest normal / eps (1e-292 in float64, 1e-31 in float32).

    Flush-to-zero arithmetic (XLA on CPU, GPUs) drops intermediates below the smallest
    normal; a later factor of up to 1/eps (z * sigmoid(z) at z = -710) carries that loss
    into the result.  Results this small are compared absolutely.

    float16 and bfloat16 kernels compute in float32 inside, so their intermediates flush at
    float32's edge (float32's floor, 1e-31, carries that); what is left in the dtype itself
    is the result: a subnormal result flushed to zero errs by less than the smallest normal
    (float16: 6.1e-5, bfloat16: 1.2e-38).  The floor is the larger of the two, not float16's
    smallest normal / eps = 0.0625, which would hide any error below 6 % of 1.
    """
    dt = np.dtype(dtype)
    info = finfo(dt)
    if dt.name in LOW_BUDGETS_DTYPES:
        return max(float(info.smallest_normal), tiny(np.float32))
    return float(info.smallest_normal / info.eps)


#: The dtypes whose budgets are :data:`LOW_BUDGETS`.
LOW_BUDGETS_DTYPES = ("float16", "bfloat16")


def budget(family: str, dtype: np.dtype | type) -> float:
    """The ulp budget of a check family (``value``, ``derivative``, ``vector``, ``network``)
    in ``dtype``: :data:`BUDGETS`, or :data:`LOW_BUDGETS` in float16 and bfloat16."""
    table = LOW_BUDGETS if np.dtype(dtype).name in LOW_BUDGETS_DTYPES else BUDGETS
    return table[family]


@functools.cache
def in_dtype(budget_: float, dtype: np.dtype | type) -> float:
    """A float64/float32 family budget (a value of :data:`BUDGETS`) as ``dtype``'s own
    (:func:`budget`): the checks name budgets by family once, and the comparison, which knows
    the dtype the candidate computes in, translates.  Other values pass unchanged."""
    if np.dtype(dtype).name not in LOW_BUDGETS_DTYPES:
        return budget_
    for family, b in BUDGETS.items():
        if b == budget_:
            return LOW_BUDGETS[family]
    return budget_


@functools.cache
def fail_units(dtype: np.dtype | type, against: str = "truth") -> float:
    """The wrong-math threshold for ``dtype`` (eps-units): :data:`FAIL_UNITS` against the
    spec's truth, :data:`FAIL_UNITS_SELF` against differences of the implementation's own
    function (``against="numeric"``)."""
    table = FAIL_UNITS_SELF if against == "numeric" else FAIL_UNITS
    return table.get(np.dtype(dtype).name, table["float32"])


@dataclass
class Comparison:
    """Element-by-element comparison of an implementation's output with the truth.

    ``units`` is the error in eps-units (pass when <= ``budget``); ``ratio`` is the error over
    the wrong-math threshold (fail when > 1).  In between, the math is right and precision is
    lost: a warning.
    """

    units: np.ndarray  # error in units of eps * scale; inf for a non-finite where truth is finite
    checked: np.ndarray  # bool mask: elements that were compared (finite truth, in domain)
    budget: float
    ratio: np.ndarray | None = None  # error / fail threshold; inf for a non-finite result
    threshold: np.ndarray | None = None  # the fail threshold per element, in eps-units
    dtype: str = ""  # the dtype whose eps the units count

    def __post_init__(self) -> None:
        if self.ratio is None:
            self.ratio = np.where(np.isfinite(self.units), 0.0, np.inf) * np.ones_like(self.units)
        if self.threshold is None:
            self.threshold = np.full(np.shape(self.units), np.inf)

    def _argmax(self, values: np.ndarray) -> tuple[int, ...]:
        masked = np.where(self.checked, values, -1.0)
        return tuple(int(i) for i in np.unravel_index(int(np.argmax(masked)), masked.shape))

    @property
    def worst_index(self) -> tuple[int, ...] | None:
        """The element to report: the one furthest beyond the fail threshold when any is,
        else the one with the largest error in eps-units."""
        if not self.checked.any():
            return None
        if self.worst_ratio > 1:
            return self._argmax(self.ratio)
        return self._argmax(self.units)

    @property
    def worst_units(self) -> float:
        if not self.checked.any():
            return 0.0
        return float(np.max(np.where(self.checked, self.units, 0.0)))

    @property
    def worst_ratio(self) -> float:
        if not self.checked.any():
            return 0.0
        return float(np.max(np.where(self.checked, self.ratio, 0.0)))

    @property
    def ok(self) -> bool:
        """No element beyond the wrong-math threshold (it may still warn)."""
        return self.worst_ratio <= 1

    @property
    def within_budget(self) -> bool:
        return self.worst_units <= self.budget

    @property
    def status(self) -> str:
        return "fail" if not self.ok else ("pass" if self.within_budget else "warn")

    @property
    def failing(self) -> int:
        return int(np.count_nonzero(self.checked & (self.ratio > 1)))


def compare(
    actual: np.ndarray,
    truth: np.ndarray,
    scale: np.ndarray,
    dtype: np.dtype | type,
    budget: float,
    *,
    allowance: np.ndarray | float = 0.0,
    mask: np.ndarray | None = None,
    natural: float = 0.0,
    against: str = "truth",
) -> Comparison:
    """Compare ``actual`` with ``truth`` in units of eps(dtype) * scale.

    ``allowance`` is an absolute error already known to be in the reference (e.g. the numeric
    differentiator's own error estimate); it is subtracted before converting to units.
    ``natural`` is the function's natural scale N: the fail threshold is
    ``FAIL_UNITS * eps * max(scale, N)`` (see :data:`FAIL_UNITS`); ``against="numeric"``
    when the reference differences the implementation's own function.
    Elements whose truth is NaN (outside the domain) are not compared; where truth is +-inf
    the implementation must return the same infinity.  In float16/bfloat16 ``budget`` (a
    family's value in :data:`BUDGETS`) becomes the dtype's own (:func:`in_dtype`), and a
    finite truth that rounds to +-inf there is judged as that infinity (:func:`overflow_in`).
    """
    budget = in_dtype(budget, dtype)
    actual = np.asarray(actual, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    # An undefined condition (0 * inf in the scale) makes no claim: treat it as infinite.
    scale = np.nan_to_num(np.abs(np.asarray(scale, dtype=np.float64)), nan=np.inf)
    actual, truth, scale = np.broadcast_arrays(actual, truth, scale)
    checked = ~np.isnan(truth)
    overflows = overflow_in(truth, dtype)
    if mask is not None:
        checked &= np.broadcast_to(mask, checked.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(actual - truth)
        diff = np.maximum(diff - np.abs(allowance), 0.0)
        finite_scale = np.where(np.isfinite(scale), scale, 0.0)
        units = diff / (eps(dtype) * finite_scale + tiny(dtype))
        floor = np.maximum(finite_scale, abs(float(natural)))
        limit = fail_units(dtype, against) * eps(dtype) * floor + tiny(dtype)
        ratio = diff / limit
        threshold = limit / (eps(dtype) * finite_scale + tiny(dtype))
    both_inf = np.isinf(truth) & (actual == truth)
    # A finite truth that rounds to +-inf in float16/bfloat16 (float16 overflows at 65504):
    # the spec's value in the dtype is that infinity; it, or the largest finite value of the
    # same sign (a saturating kernel), is right; anything else (NaN, a smaller value) is not.
    big = float(finfo(dtype).max)
    with np.errstate(invalid="ignore"):
        saturated = overflows & (np.abs(actual) >= big) & (np.sign(actual) == np.sign(truth))
    both_inf |= saturated
    # An infinite condition (scale) means no finite answer is more right than another.
    exempt = both_inf | (np.isinf(scale) & np.isfinite(actual))
    units = np.where(exempt, 0.0, units)
    ratio = np.where(exempt, 0.0, ratio)
    bad = (~np.isfinite(actual) & ~both_inf) | (overflows & ~saturated)
    units = np.where(np.isnan(units) | bad, np.inf, units)
    ratio = np.where(np.isnan(ratio) | bad, np.inf, ratio)
    return Comparison(
        units=units,
        checked=checked,
        budget=budget,
        ratio=ratio,
        threshold=threshold,
        dtype=np.dtype(dtype).name,
    )


def overflow_in(truth: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """Finite truths that round to +-inf in ``dtype``, a float16 or bfloat16 (round to
    nearest overflows at max + ulp(max) / 2: 65520 in float16); all False in float32 and
    float64, whose checks stay inside their range."""
    truth = np.asarray(truth, dtype=np.float64)
    dt = np.dtype(dtype)
    if dt.name not in LOW_BUDGETS_DTYPES:
        return np.zeros(truth.shape, dtype=bool)
    big = np.array(finfo(dt).max, dtype=dt)
    below = np.nextafter(big, np.array(0, dtype=dt))
    edge = float(big) + (float(big) - float(below)) / 2
    with np.errstate(invalid="ignore"):
        return np.isfinite(truth) & (np.abs(truth) >= edge)


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
