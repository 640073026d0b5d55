"""Hypothesis strategies for gradspec's inputs, driven by the spec registry.

Every strategy draws arrays of a given dtype and shape inside an entry's domain, mixing
moderate values, wide values (|x| up to 1e4), values next to each kink and values next to the
domain's edges, so one property test covers the regions where implementations go wrong.
Kinks are *excluded by construction* (the pieces of an element plan stop short of them), not
by ``filter``: filtering rejects too many draws and is ~3x slower.  Each array is one byte
string decoded by its plan (:mod:`gradspec.draws`): one hypothesis choice per array, not
several per element, and each example one byte string read by its :class:`Sampler`, which
gradspec's derandomized checks drive without hypothesis.

>>> from gradspec import strategies as gst
>>> from gradspec.spec import activation
>>> s = gst.activation_inputs(activation("relu"), dtype="float32", shape=(8,))
>>> s.example().dtype
dtype('float32')
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradspec import draws, dtypes
from gradspec.draws import Near, Piece, Plan, Points, Span
from gradspec.spec import Activation, Cost, Interval, Pair

__all__ = [
    "Sampler",
    "activation_inputs",
    "cost_inputs",
    "floats_in",
    "network_batch",
    "pair_inputs",
    "sampler_of",
    "simplex_rows",
]

#: How far from a kink (relative) an input counts as "near" it.
NEAR_KINK = 1e-3
#: The largest |x| drawn in float64 and float32 (and bfloat16); float16's is smaller,
#: :func:`gradspec.dtypes.wide`.
WIDE = 1e4


def _span(
    lo: float, hi: float, dtype: str | np.dtype, *, lo_open: bool, hi_open: bool
) -> Span | None:
    """A uniform piece on ``[lo, hi]`` with its bounds rounded inward to ``dtype`` (float32
    cannot hold 1e-5 exactly); an open end stays open only if rounding did not move it in."""
    dt = np.dtype(dtype)
    ilo, ihi = dtypes.inward(lo, hi, dt)
    s = Span(ilo, ihi, lo_open and ilo == lo, hi_open and ihi == hi)
    a, b = s.closed(dt)
    return s if a <= b else None


@dataclass(frozen=True)
class Sampler:
    """How one example is read from one byte string of ``size`` bytes: ``build(blob)``.

    ``chunks`` are the byte ranges ``(start, stop)`` that a shrinker treats as units: one
    element of an array (8 bytes, :mod:`gradspec.draws`), or a small selector.  The
    strategies below are ``st.binary`` of that size mapped by ``build``, and carry their
    sampler (:func:`sampler_of`), so that a derandomized check can draw its examples from
    the same layout without hypothesis' engine (``gradspec.conformance.engine.sampled``)."""

    size: int
    build: Callable[[bytes], Any]
    chunks: tuple[tuple[int, int], ...]


def sampler_of(strategy: st.SearchStrategy[Any]) -> Sampler | None:
    """The :class:`Sampler` behind one of this module's array strategies, else None."""
    return getattr(strategy, "gradspec_sampler", None)


def _strategy(sampler: Sampler) -> st.SearchStrategy[Any]:
    s = st.binary(min_size=sampler.size, max_size=sampler.size).map(sampler.build)
    s.gradspec_sampler = sampler
    return s


def _array_part(dtype: str | np.dtype, shape: tuple[int, ...], plan: Plan) -> Sampler:
    """An array of ``dtype`` whose elements follow ``plan``: 8 bytes an element."""
    n = math.prod(shape)
    b = draws.BYTES
    return Sampler(
        b * n,
        lambda blob: draws.decode(plan, blob, n, dtype).reshape(shape),
        tuple((b * i, b * (i + 1)) for i in range(n)),
    )


def _joined(parts: list[Sampler], combine: Callable[..., Any] = lambda *xs: xs) -> Sampler:
    """The parts side by side in one byte string, their values passed to ``combine``."""
    starts = list(itertools.accumulate((p.size for p in parts), initial=0))

    def build(blob: bytes) -> Any:
        return combine(
            *(p.build(blob[o : o + p.size]) for p, o in zip(parts, starts[:-1], strict=True))
        )

    chunks = tuple(
        (o + a, o + b) for p, o in zip(parts, starts[:-1], strict=True) for a, b in p.chunks
    )
    return Sampler(starts[-1], build, chunks)


def _arrays(
    dtype: str | np.dtype, shape: tuple[int, ...], plan: Plan
) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``dtype`` whose elements follow ``plan``: one byte string per array
    (:mod:`gradspec.draws`)."""
    return _strategy(_array_part(dtype, shape, plan))


def floats_in(
    interval: Interval,
    dtype: str | np.dtype = "float64",
    *,
    avoid: tuple[float, ...] = (),
    margin: float = 0.0,
) -> st.SearchStrategy[float]:
    """Floats of ``dtype`` inside ``interval`` (open ends excluded), moderate or wide, and
    never within ``margin`` (relative) of a point in ``avoid``."""
    plan = plan_in(interval, dtype, avoid=avoid, margin=margin)
    return st.binary(min_size=draws.BYTES, max_size=draws.BYTES).map(
        lambda blob: float(draws.decode(plan, blob, 1, dtype)[0])
    )


def plan_in(
    interval: Interval,
    dtype: str | np.dtype = "float64",
    *,
    avoid: tuple[float, ...] = (),
    margin: float = 0.0,
) -> Plan:
    """The element plan of :func:`floats_in`: the moderate range (|x| <= 10) and the wide one
    as pieces of their own, split at the points of ``avoid``; the edges of a bounded
    interval as fixed points."""
    tight = math.isfinite(interval.lo) and math.isfinite(interval.hi)
    # Two ulps at least: float16 and bfloat16 values within one ulp of a kink would round
    # onto it.  float32/float64 keep ``margin``.
    margin = max(margin, 2 * float(dtypes.finfo(dtype).eps)) if avoid else margin
    wide = dtypes.wide(dtype)
    lo = max(interval.lo, -wide)
    hi = min(interval.hi, wide)
    edge = dtypes.probability_edge(dtype)
    if tight:
        # Probabilities from 1e-12 to 1 - 1e-12 (float16: 0.0156): closer to an open edge the
        # derivatives overflow the dtype (1/a^2), which is the math, not the implementation.
        span = hi - lo
        if not interval.lo_closed:
            lo, interval = (
                lo + edge * span,
                Interval(lo + edge * span, interval.hi, True, interval.hi_closed),
            )
        if not interval.hi_closed:
            hi, interval = (
                hi - edge * span,
                Interval(interval.lo, hi - edge * span, interval.lo_closed, True),
            )
    elif math.isfinite(interval.lo) and not interval.lo_closed:
        # An open edge of a half-line (rates a > 0) is kept 1e-12 away too: closer, the
        # derivatives leave the dtype's range (y / a^2 overflows float32 below a ~ 1e-19).
        lo = interval.lo + 1e-12 * max(1.0, abs(interval.lo))
        interval = Interval(lo, interval.hi, True, interval.hi_closed)
    elif math.isfinite(interval.hi) and not interval.hi_closed:
        hi = interval.hi - 1e-12 * max(1.0, abs(interval.hi))
        interval = Interval(interval.lo, hi, interval.lo_closed, True)
    moderate: list[Span] = []
    full: list[Span] = []
    cuts = sorted(p for p in avoid if lo < p < hi)
    edges = [lo, *cuts, hi]
    for left, right in itertools.pairwise(edges):
        l_open = left != lo or (left == interval.lo and not interval.lo_closed)
        r_open = right != hi or (right == interval.hi and not interval.hi_closed)
        if left in cuts:
            left = left + margin * max(1.0, abs(left))
        if right in cuts:
            right = right - margin * max(1.0, abs(right))
        if left >= right:
            continue
        full.append(_span(left, right, dtype, lo_open=l_open, hi_open=r_open))
        if not tight:  # the moderate range, where most of the action is, gets its own piece
            mid_l, mid_r = max(left, -10.0), min(right, 10.0)
            if mid_l < mid_r:
                moderate.append(_span(mid_l, mid_r, dtype, lo_open=l_open, hi_open=r_open))
    # The moderate pieces first (a shrunk element is a moderate one), and twice as likely
    # as the wide ones: most of the action is there, the wide pieces are for overflow.
    weighted: list[tuple[float, Piece]] = [(2.0, p) for p in moderate if p is not None]
    weighted += [(1.0, p) for p in full if p is not None]
    if tight:
        # probabilities at the edges: 1e-12 and 1 - 1e-12 are where naive logs break
        span = interval.hi - interval.lo
        fractions = [f for f in (1e-12, 1e-6, 1e-3) if f >= edge] or [edge]
        near = [interval.lo + span * f for f in fractions]
        near += [interval.hi - span * f for f in fractions]
        cast = np.dtype(dtype).type
        near = [float(cast(v)) for v in near if interval.contains(float(cast(v)))]
        if near:
            weighted.append((1.0, Points(tuple(near))))
    return Plan(tuple(weighted))


def _near(points: tuple[float, ...], dtype: str | np.dtype) -> Plan:
    """Values a little off a kink (both sides), never on it: at least two ulps of the dtype
    away, so that rounding to float16 / bfloat16 cannot land on the kink."""
    ulps = 2 * float(dtypes.finfo(dtype).eps)
    return Plan.uniform([Near(points, 1e-2 * NEAR_KINK, NEAR_KINK, ulps)])


def _activation_part(
    act: Activation, dtype: str | np.dtype, shape: tuple[int, ...], margin: float
) -> Sampler:
    kinks = tuple(k.at for k in act.kinks)
    plan = plan_in(act.domain, dtype, avoid=kinks, margin=margin)
    if kinks:  # half the elements next to a kink
        plan = plan.either(_near(kinks, dtype))
    return _array_part(dtype, shape, plan)


def activation_inputs(
    act: Activation,
    *,
    dtype: str | np.dtype = "float64",
    shape: tuple[int, ...] = (8,),
    margin: float = 1e-6,
) -> st.SearchStrategy[np.ndarray]:
    """Arrays z for activation ``act``: in its domain, off its kinks by ``margin``."""
    return _strategy(_activation_part(act, dtype, shape, margin))


def _simplex_part(shape: tuple[int, ...], dtype: str | np.dtype) -> Sampler:
    """Rows on the simplex: byte 0 picks normalised weights (below 128) or a one-hot row
    (byte 1: the class, every row alike); the weights follow, 8 bytes each."""
    k = shape[-1]
    weights = _array_part(np.float64, shape, Plan.uniform([Span(0.0, 1.0)]))

    def build(blob: bytes) -> np.ndarray:
        if blob[0] >= 128:
            return np.broadcast_to(np.eye(k)[blob[1] % k], shape).astype(dtype)
        w = weights.build(blob[2:]) + 1e-3  # no all-zero rows
        return (w / w.sum(axis=-1, keepdims=True)).astype(dtype)

    chunks = ((0, 1), (1, 2), *((2 + a, 2 + b) for a, b in weights.chunks))
    return Sampler(2 + weights.size, build, chunks)


def simplex_rows(
    shape: tuple[int, ...], dtype: str | np.dtype = "float64"
) -> st.SearchStrategy[np.ndarray]:
    """Arrays whose last-axis rows are probability vectors (sum to 1), one-hot among them."""
    return _strategy(_simplex_part(shape, dtype))


def cost_inputs(
    c: Cost,
    *,
    dtype: str | np.dtype = "float64",
    shape: tuple[int, ...] = (8,),
    margin: float = 1e-6,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """(prediction, target) arrays for cost ``c``, predictions off the kinks (in a - y, or
    in the margin y a)."""
    preds = _array_part(dtype, shape, plan_in(c.pred_domain, dtype))
    if c.target_simplex and c.vector:
        targets = _simplex_part(shape, dtype)
    else:
        plan = plan_in(c.target_domain, dtype)
        if c.target_labels:  # the classic labels (hinge: -1, +1) as often as anything else
            plan = Plan.uniform([Points(tuple(map(float, c.target_labels)))]).either(plan)
        targets = _array_part(dtype, shape, plan)
    if not c.kinks:
        return _strategy(_joined([preds, targets]))
    kinks = tuple(k.at for k in c.kinks)

    def off_kinks(a: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Move any prediction that lands within `margin` of a kink (its variable r = a - y or
        # m = y a) to where that variable is 0.5 past it.
        a = a.astype(np.float64)
        y64 = y.astype(np.float64)
        for k in kinks:
            close = np.abs(c.kink_value(a, y64) - k) <= margin * np.maximum(1.0, np.abs(a))
            a = np.where(close, c.kink_prediction(k + 0.5, y64), a)
        return a.astype(dtype), y

    return _strategy(_joined([preds, targets], off_kinks))


def pair_inputs(
    p: Pair,
    *,
    dtype: str | np.dtype = "float64",
    shape: tuple[int, ...] = (8,),
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """(z, y) for an output activation + cost: z off the activation's kinks, y a valid target."""
    act_shape = shape if not p.activation.vector else (*shape[:-1], max(shape[-1], 2))
    z = _activation_part(p.activation, dtype, act_shape, 1e-6)
    if p.cost.target_simplex and p.activation.vector:
        y = _simplex_part(act_shape, dtype)
    else:
        y = _array_part(dtype, act_shape, plan_in(p.cost.target_domain, dtype))
    return _strategy(_joined([z, y]))


def network_batch(
    n_in: int,
    n_out: int,
    *,
    dtype: str | np.dtype = "float64",
    max_rows: int = 8,
    target: Interval | None = None,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """(X, Y) batches for a dense network: 1..max_rows examples, inputs in +-[0.05, 3].

    Inputs keep away from 0 so a shrunk example is not all zeros: with zero biases that puts
    every first-layer unit exactly on a ReLU/ELU kink, where a difference quotient measures
    the average of the one-sided slopes rather than the subgradient the network chose.
    """
    rows = st.integers(1, max_rows)
    tgt = target or Interval(-2.0, 2.0, True, True)
    lo, hi = max(tgt.lo, -2.0), min(tgt.hi, 2.0)

    signed = Plan.uniform(
        [
            _span(0.05, 3.0, dtype, lo_open=False, hi_open=False),
            _span(-3.0, -0.05, dtype, lo_open=False, hi_open=False),
        ]
    )
    targets = Plan.uniform([_span(lo, hi, dtype, lo_open=False, hi_open=False)])

    def batch(n: int) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
        return st.tuples(_arrays(dtype, (n, n_in), signed), _arrays(dtype, (n, n_out), targets))

    return rows.flatmap(batch)
