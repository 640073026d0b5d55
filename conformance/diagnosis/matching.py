"""When a candidate's output *is* a wrong formula: the closeness predicates of diagnosis.

A wrong formula ``w`` matches the candidate ``c`` when ``c`` is much closer to ``w`` than to
the truth ``t`` (:func:`matches`); :func:`same` and :func:`close` compare two arrays at a
tolerance for parameter tensors and for self-consistency respectively.  Inputs that cannot be
read as float arrays of one shape never match.
"""

from __future__ import annotations

from typing import Any

import numpy as np


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
    tol = slack * float(np.finfo(dtype).eps) * scale
    d_w = float(np.max(np.abs(c[ok] - w[ok])))
    d_t = float(np.max(np.abs(c[ok] - t[ok])))
    return d_t > tol and d_w <= max(tol, ratio * d_t)


def same(c: Any, w: Any, dtype: np.dtype) -> bool:
    """``c`` equals ``w`` within 1e4 eps of the dtype relative to max |w| (parameter tensors)."""
    arrays = _f64(c, w)
    if arrays is None:
        return False
    c, w = arrays
    if c.shape != w.shape:
        return False
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    return bool(np.all(np.abs(c - w) <= 1e4 * float(np.finfo(dtype).eps) * (scale + 1e-300)))


def close(c: Any, w: Any, rtol: float = 1e-6) -> bool:
    """``c`` equals ``w`` within ``rtol`` (per element and relative to max |w|), whatever the
    dtype: loose enough for a numeric derivative, tight enough to tell two functions apart."""
    c, w = np.asarray(c, np.float64), np.asarray(w, np.float64)
    if c.shape != w.shape:
        return False
    return bool(np.all(np.abs(c - w) <= rtol * (np.abs(w) + np.max(np.abs(w)) + 1e-300)))
