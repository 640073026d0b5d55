"""The floating dtypes gradspec checks, by name, and the facts about each that inputs and
tolerances are sized from.

float64, float32 and float16 are NumPy's own; bfloat16 (8 exponent bits like float32, 8
significand bits) comes from ``ml_dtypes``, whose import registers it with NumPy so that
``np.dtype("bfloat16")`` resolves.  That import is deferred until bfloat16 is asked for
(:func:`resolve`, :func:`finfo`, :data:`BFLOAT16`): it registers its casts and ufunc loops for
a dozen dtypes, ~0.6 s, more than the whole rest of ``gradspec check``'s start-up.

Every value of these four dtypes is exactly a float64, so the float64 truth of the mpmath
oracle is exact at their inputs.

Sizes derived from the dtype's range (``finfo.max``), so that no generated input has a true
result the dtype cannot hold (float16 overflows at 65504):

* :func:`wide`: the largest |x| of a generated input, ``min(1e4, sqrt(max) / 4)``.  The
  registry's fastest-growing results are the squared costs, ``(a - y)^2`` with
  ``|a - y| <= 2 wide``: at most ``max / 4``.  float64/float32/bfloat16: 1e4; float16: 64.
* :func:`probability_edge`: the closest a probability comes to 0 or 1,
  ``max(1e-12, 4 / sqrt(max))``.  Second derivatives of the costs on probabilities grow like
  ``1 / a^2``: at the edge at most ``max / 16``.  float64/float32/bfloat16: 1e-12 (rounded
  inward to the dtype: bfloat16 holds nothing between 1 - 2**-8 and 1); float16: 0.0156.
"""

from __future__ import annotations

import math
import sys

import numpy as np

#: Every dtype gradspec checks, in report order.
NAMES: tuple[str, ...] = ("float64", "float32", "float16", "bfloat16")
#: The low-precision dtypes: checked only when asked for.
LOW: tuple[str, ...] = ("float16", "bfloat16")

_NATIVE = frozenset(np.dtype(n) for n in NAMES if n != "bfloat16")
_FLOATS = set(_NATIVE)  # bfloat16 joins when ml_dtypes is imported
_LOW_DTYPES = {np.dtype(np.float16)}


def _bfloat16() -> np.dtype:
    """bfloat16's dtype, importing ``ml_dtypes`` (which registers it with NumPy) the first
    time."""
    import ml_dtypes

    dt = np.dtype(ml_dtypes.bfloat16)
    _FLOATS.add(dt)
    _LOW_DTYPES.add(dt)
    return dt


def __getattr__(name: str) -> np.dtype:
    # ``BFLOAT16`` on first use, so that importing this module does not import ml_dtypes
    if name == "BFLOAT16":
        return _bfloat16()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _known(dtype: object) -> None:
    """Make bfloat16 known, for ``dtype`` naming it or being it (a candidate's array: then
    ml_dtypes is imported already)."""
    named = isinstance(dtype, str) and dtype == "bfloat16"
    if len(_FLOATS) == len(_NATIVE) and (named or "ml_dtypes" in sys.modules):
        _bfloat16()


def resolve(dtype: str | np.dtype | type) -> np.dtype:
    """The NumPy dtype of ``dtype`` (a name such as ``"bfloat16"``, a type or a dtype)."""
    if isinstance(dtype, np.dtype):
        return dtype
    _known(dtype)
    return np.dtype(dtype)


def is_float(dtype: object) -> bool:
    """One of the four floating dtypes (bfloat16's NumPy kind is ``V``, not ``f``)."""
    if isinstance(dtype, np.dtype) and dtype in _FLOATS:
        return True
    _known(dtype)
    try:
        return np.dtype(dtype) in _FLOATS
    except TypeError:
        return False


def is_low(dtype: str | np.dtype | type) -> bool:
    """float16 or bfloat16."""
    # every reference call asks: a set lookup, not a dtype name built each time
    if isinstance(dtype, np.dtype):
        if dtype in _LOW_DTYPES:
            return True
        if dtype in _NATIVE:
            return False
    _known(dtype)
    return np.dtype(dtype) in _LOW_DTYPES


def finfo(dtype: str | np.dtype | type) -> np.finfo:
    """Machine limits of ``dtype`` (``ml_dtypes.finfo`` knows bfloat16 too)."""
    dt = resolve(dtype)
    if dt in _NATIVE:
        return np.finfo(dt)
    import ml_dtypes

    return ml_dtypes.finfo(dt)


def exact_in(x: np.ndarray, dtype: str | np.dtype | type) -> np.ndarray:
    """Elements of ``x`` (as float64) that are exactly values of ``dtype``."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return x.astype(np.dtype(dtype)).astype(np.float64) == x


def wide(dtype: str | np.dtype | type) -> float:
    """The largest |x| generated for ``dtype``: ``min(1e4, sqrt(max) / 4)`` (module doc)."""
    return min(1e4, math.sqrt(float(finfo(dtype).max)) / 4)


def probability_edge(dtype: str | np.dtype | type) -> float:
    """The closest distance to 0 or 1 of a generated probability (module doc)."""
    return max(1e-12, 4 / math.sqrt(float(finfo(dtype).max)))


def inward(lo: float, hi: float, dtype: str | np.dtype | type) -> tuple[float, float]:
    """``[lo, hi]`` rounded inward to values of ``dtype`` (float32 cannot hold 1e-5)."""
    dt = np.dtype(dtype)
    if dt == np.float64:
        return lo, hi
    lo_d, hi_d = np.array(lo).astype(dt), np.array(hi).astype(dt)
    if float(lo_d) < lo:
        lo_d = np.nextafter(lo_d, np.array(np.inf, dtype=dt))
    if float(hi_d) > hi:
        hi_d = np.nextafter(hi_d, np.array(-np.inf, dtype=dt))
    return float(lo_d), float(hi_d)
