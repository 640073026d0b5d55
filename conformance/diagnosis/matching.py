"""When a candidate's output *is* a wrong formula: the closeness predicates of diagnosis.

A wrong formula ``w`` matches the candidate ``c`` when ``c`` is much closer to ``w`` than to
the truth ``t`` (:func:`matches`); :func:`same` and :func:`close` compare two arrays at a
tolerance for parameter tensors and for self-consistency respectively.  Inputs that cannot be
read as float arrays of one shape never match.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradspec import dtypes

#: The largest relative tolerance a match is held to, whatever the dtype.  ``slack`` eps is
#: 1e-13 in float64 and 1.2e-4 in float32, but 0.98 in float16 and 7.8 in bfloat16, where
#: it would swallow every formula.  A tenth of the truth stays 12 bfloat16 eps (100 float16
#: eps) above an honest result's rounding and 5 times below the closest wrong formula
#: diagnosed (a missing factor 2: 50 % off).
MAX_RELATIVE = 0.1


def _eps(dtype: np.dtype) -> float:
    return float(dtypes.finfo(dtype).eps)


def _f64(*xs: Any) -> tuple[np.ndarray, ...] | None:
    try:
        return tuple(np.asarray(x, dtype=np.float64) for x in xs)
    except (TypeError, ValueError):
        return None


def matches(
    c: Any, w: Any, t: Any, dtype: np.dtype, *, slack: float = 1e3, ratio: float = 0.02
) -> bool:
    """Is ``c`` (candidate) the wrong formula ``w`` rather than the truth ``t``?

    ``c`` must be off the truth by more than ``slack`` eps of the dtype (relative to the
    larger of t and w), and within that tolerance, or within ``ratio`` of its distance to
    the truth, of ``w``.  A formula equal to the truth on the probe never matches.
    """
    arrays = _f64(c, w, t)
    if arrays is None:
        return False
    c, w, t = arrays
    if c.shape != w.shape or w.shape != t.shape:
        return False
    ok = np.isfinite(c) & np.isfinite(w) & np.isfinite(t)
    if not ok.any() or (np.isfinite(w) != np.isfinite(c)).any():
        return False
    scale = max(float(np.max(np.abs(t[ok]))), float(np.max(np.abs(w[ok]))), 1e-300)
    tol = min(slack * _eps(dtype), MAX_RELATIVE) * scale
    d_w = float(np.max(np.abs(c[ok] - w[ok])))
    d_t = float(np.max(np.abs(c[ok] - t[ok])))
    return d_t > tol and d_w <= max(tol, ratio * d_t)


def same(c: Any, w: Any, dtype: np.dtype) -> bool:
    """``c`` equals ``w`` within 1e4 eps of the dtype relative to max |w| (parameter tensors),
    at most :data:`MAX_RELATIVE` / 10 (float16 and bfloat16, where 1e4 eps exceeds 1)."""
    arrays = _f64(c, w)
    if arrays is None:
        return False
    c, w = arrays
    if c.shape != w.shape:
        return False
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    rel = min(1e4 * _eps(dtype), MAX_RELATIVE / 10)
    return bool(np.all(np.abs(c - w) <= rel * (scale + 1e-300)))


def close(c: Any, w: Any, rtol: float = 1e-6, dtype: np.dtype | None = None) -> bool:
    """``c`` equals ``w`` within ``rtol`` (per element and relative to max |w|): loose enough
    for a numeric derivative, tight enough to tell two functions apart.  ``c`` computed in
    ``dtype`` is held to at least 4 of its eps (float16: 3.9e-3, bfloat16: 3.1e-2; float32's
    4.8e-7 and float64's stay below the default): a right float16 forward is no closer."""
    if dtype is not None:
        rtol = max(rtol, 4 * _eps(dtype))
    c, w = np.asarray(c, np.float64), np.asarray(w, np.float64)
    if c.shape != w.shape:
        return False
    return bool(np.all(np.abs(c - w) <= rtol * (np.abs(w) + np.max(np.abs(w)) + 1e-300)))
