"""Where the elements of a generated array come from: element *plans*, decoded from bytes.

A plan is a weighted list of pieces, each a distribution of one element:

* :class:`Span`: uniform over an interval (open ends excluded), its two ends (a rate at
  its smallest, an input at its widest), and tiny magnitudes down to the dtype's smallest
  normal and 0 itself when the interval holds 0 (where ``x**2`` underflows and ``1/x``
  overflows);
* :class:`Points`: one of a few fixed values (a probability 1e-12 from an edge, the labels
  -1 and +1);
* :class:`Near`: a little off a kink, on either side, never on it.

An array of ``n`` elements is read from **one** byte string of ``8 n`` bytes
(:func:`decode`): per element, byte 0 picks the piece (in proportion to the weights), byte 1
the mode (uniform, an end, tiny or zero) and bytes 2-7 a 48-bit fraction.  One hypothesis
choice per array instead of two to four per element made an example ~2-3x cheaper to draw
under hypothesis (0.4-0.5 ms against 0.9-1.6 ms for 8 to 15 elements), and the derandomized
checks draw the bytes without hypothesis at all
(``gradspec.conformance.engine.sampled``).  A failure shrinks byte by byte, under hypothesis
or gradspec's own shrinker: every byte toward 0, and the all-zero element is its piece's
simplest value (0 if the piece holds it, else its end nearest 0), in the first piece.

The values follow, roughly, ``hypothesis.strategies.floats`` between the same bounds
(uniform, with tiny magnitudes when 0 is inside) plus the ends and 0 itself: uniform; 12.5% at
the ends; ~12% tiny magnitudes and ~3% zeros when 0 is inside.  They are rounded to the
dtype and kept inside the bounds after rounding; never subnormal.  Unlike an array of
hypothesis floats with its default fill, elements are not repeated copies of one value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gradspec import dtypes

__all__ = ["BYTES", "Near", "Plan", "Points", "Span", "decode"]

#: Bytes drawn per element.
BYTES = 8
_FRACTION = float(2**48)
_PLACES = 256.0 ** np.arange(BYTES - 3, -1, -1)  # bytes 2-7, big-endian
#: Mode bytes from _END_MODE draw one of the span's two ends (32/256 = 12.5%: a check's
#: dozen examples of 8 elements must reach a rate at its smallest bound without hypothesis'
#: mutations and targeting, which used to find it from 6%); from
#: _TINY_MODE, when the span holds 0, a tiny magnitude (32/256 = 12.5%); from _ZERO_MODE
#: exactly 0 (8/256 ~ 3%).  Below _END_MODE (and for the modes a span cannot honour): uniform.
_END_MODE = 184
_TINY_MODE = 216
_ZERO_MODE = 248


@dataclass(frozen=True)
class Span:
    """Uniform over ``[lo, hi]`` (bounds already values of the dtype; an open end is
    excluded after rounding)."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def closed(self, dtype: str | np.dtype) -> tuple[float, float]:
        """The closed bounds as values of ``dtype``: an open end one step of ``dtype`` in."""
        return _closed(self, np.dtype(dtype))


@dataclass(frozen=True)
class Points:
    """One of ``values`` (values of the dtype), equally likely."""

    values: tuple[float, ...]


@dataclass(frozen=True)
class Near:
    """``at +- step`` for a kink ``at`` of ``points``, ``step = max(offset, ulps) max(1,
    |at|)`` with ``offset`` uniform in ``[lo, hi]``: off the kink by at least ``ulps``
    (relative), so rounding to the dtype cannot land on it."""

    points: tuple[float, ...]
    lo: float
    hi: float
    ulps: float


Piece = Span | Points | Near


@dataclass(frozen=True)
class Plan:
    """Pieces with their weights; the first piece holds the all-zero (simplest) element."""

    pieces: tuple[tuple[float, Piece], ...]

    @classmethod
    def uniform(cls, pieces: list[Piece]) -> Plan:
        """Each piece equally likely (hypothesis' ``one_of``)."""
        return cls(tuple((1.0, p) for p in pieces))

    def either(self, other: Plan) -> Plan:
        """This plan or ``other``, each half the time (``one_of(self, other)``)."""
        a = sum(w for w, _ in self.pieces)
        b = sum(w for w, _ in other.pieces)
        return Plan(
            tuple((w / a, p) for w, p in self.pieces) + tuple((w / b, p) for w, p in other.pieces)
        )

    @functools.cached_property
    def edges(self) -> np.ndarray:
        """Selector byte values at which each piece after the first starts (every piece
        gets at least one of the 256)."""
        w = np.array([w for w, _ in self.pieces], dtype=np.float64)
        cut = np.rint(np.cumsum(w)[:-1] / w.sum() * 256).astype(np.int64)
        for i in range(len(cut)):
            cut[i] = max(cut[i], (cut[i - 1] if i else 0) + 1)
        for i in reversed(range(len(cut))):  # the last pieces keep a byte value too
            cut[i] = min(cut[i], (cut[i + 1] if i + 1 < len(cut) else 256) - 1)
        return cut


def decode(plan: Plan, blob: bytes, n: int, dtype: str | np.dtype) -> np.ndarray:
    """``n`` elements of ``dtype`` drawn from ``plan`` by the bytes of ``blob`` (module doc;
    a short blob is padded with zeros)."""
    dt = np.dtype(dtype)
    raw = np.frombuffer(blob[: BYTES * n].ljust(BYTES * n, b"\0"), dtype=np.uint8)
    raw = raw.reshape(n, BYTES)
    mode = raw[:, 1]
    f = (raw[:, 2:] @ _PLACES) / _FRACTION  # in [0, 1), exact: 48 bits
    if len(plan.pieces) == 1:
        return _piece(plan.pieces[0][1], f, mode, dt).astype(dt)
    which = np.searchsorted(plan.edges, raw[:, 0], side="right")
    out = np.zeros(n)
    for i in np.unique(which):
        sel = which == i
        out[sel] = _piece(plan.pieces[i][1], f[sel], mode[sel], dt)
    return out.astype(dt)


def _piece(piece: Piece, f: np.ndarray, mode: np.ndarray, dt: np.dtype) -> np.ndarray:
    if isinstance(piece, Points):
        idx = np.minimum((f * len(piece.values)).astype(np.int64), len(piece.values) - 1)
        return np.asarray(piece.values, dtype=np.float64)[idx]
    if isinstance(piece, Near):
        return _near(piece, f, dt)
    return _span(piece, f, mode, dt)


@functools.cache
def _closed(s: Span, dt: np.dtype) -> tuple[float, float]:
    lo, hi = s.lo, s.hi
    if s.lo_open:
        lo = float(np.nextafter(np.array(lo, dt), np.array(np.inf, dt)))
    if s.hi_open:
        hi = float(np.nextafter(np.array(hi, dt), np.array(-np.inf, dt)))
    return lo, hi


@functools.cache
def _smallest(dt: np.dtype) -> float:
    """The smallest normal value of ``dt``."""
    return float(dtypes.finfo(dt).tiny)


def _span(s: Span, f: np.ndarray, mode: np.ndarray, dt: np.dtype) -> np.ndarray:
    lo, hi = _closed(s, dt)
    if lo < 0.0 < hi:
        # f = 0 is 0; the positive side first, each side in proportion to its length
        p = hi / (hi - lo)
        pos = f < p
        v = np.where(pos, f / p * hi, (f - p) / (1.0 - p) * lo)
        tiny = mode >= _TINY_MODE
        if tiny.any():
            # 10**-e, e uniform from 3 down to the smallest normal's exponent, sign kept
            smallest = _smallest(dt)
            e = 3.0 + f[tiny] % (1.0 / 64) * 64 * (-np.log10(smallest) - 3.0)
            mag = np.maximum(10.0**-e, smallest)
            v[tiny] = np.where(pos[tiny], np.minimum(mag, hi), np.maximum(-mag, lo))
            v[mode >= _ZERO_MODE] = 0.0
    elif lo >= 0.0:
        v = lo + f * (hi - lo)
    else:
        v = hi - f * (hi - lo)
    ends = (mode >= _END_MODE) & (mode < _TINY_MODE)
    if ends.any():  # a rate at its smallest, an input at the widest: where formulas break
        v[ends] = np.where(f[ends] < 0.5, lo, hi)
    return _round_into(v, lo, hi, dt)


def _round_into(v: np.ndarray, lo: float, hi: float, dt: np.dtype) -> np.ndarray:
    """``v`` rounded to ``dt``, clipped into ``[lo, hi]`` (values of ``dt``), subnormals
    moved to 0 (or the smallest normal, if 0 is outside)."""
    # no error state needed: every value is inside the dtype's range (|x| <= wide(dtype)),
    # and a cast reports only overflow
    r = np.clip(v.astype(dt).astype(np.float64), lo, hi)
    smallest = _smallest(dt)
    sub = (r != 0.0) & (np.abs(r) < smallest)
    if sub.any():
        r[sub] = 0.0 if lo <= 0.0 <= hi else np.clip(np.sign(r[sub]) * smallest, lo, hi)
    return r


def _near(n: Near, f: np.ndarray, dt: np.dtype) -> np.ndarray:
    k = len(n.points)
    scaled = f * k
    idx = np.minimum(scaled.astype(np.int64), k - 1)
    rest = scaled - idx  # in [0, 1): the lower half is below the kink
    above = rest >= 0.5
    offset = n.lo + (rest * 2.0 % 1.0) * (n.hi - n.lo)
    at = np.asarray(n.points, dtype=np.float64)[idx]
    step = np.maximum(offset, n.ulps) * np.maximum(1.0, np.abs(at))
    return np.where(above, at + step, at - step).astype(dt).astype(np.float64)
