"""Derandomized checks drawn straight from a strategy's byte layout, and their shrinking.

gradspec's array strategies read one example from one byte string
(:class:`gradspec.strategies.Sampler`).  Under the derandomized profiles (quick, ci) a check
draws those byte strings itself, from a fixed seed, instead of through hypothesis' engine,
whose bookkeeping (spans, mutations, the target phase, saving and restoring the global
random state) cost ~0.5-1 ms an example: as much as the measurement of a cheap check, and
close to half of a ``verify``.  The first example is the all-zero string (every element its
piece's simplest value, as hypothesis tries first); the others are random bytes, which the
element plans turn into the distribution hypothesis drew (:mod:`gradspec.draws`), their
piece and mode bytes stratified (:func:`blobs`).

A failing example is shrunk here too, on the same layout, in three passes, each keeping a
change only if the example still fails:

1. chunks (one array element, or a selector byte) set to all-zero bytes, in halves first
   (group testing: ~2 log2(n) tries for one offending element among n);
2. per remaining element, its piece byte and mode byte toward 0, bit by bit from the top;
3. its fraction (bytes 2-7) toward 0: all of it, then its top 16 bits one by one, then the
   rest at once.

The result is an example where no single element can be zeroed and no piece, mode or
leading fraction bit lowered: one offending element among zeros, usually at its piece's
simplest value.  It costs tens of measurements where hypothesis' byte shrinker took
hundreds (272 for one Ridders-table check), which matters when every measurement runs a
candidate.  The thorough profile, random by design, still runs hypothesis' engine with its
targeting and shrinking.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from gradspec import draws
from gradspec.strategies import Sampler

#: The seed of every derandomized check: the same byte strings in every run, process and
#: installation, so the persistent truth memo hits.
SEED = 20_230_901


class _OutOfTime(Exception):
    pass


def blobs(sampler: Sampler, n: int) -> list[bytes]:
    """The ``n`` byte strings a derandomized check draws: all zeros, then seeded random.

    The fractions are uniform bytes.  The piece and mode bytes of the elements are
    *stratified* over all the elements of all the examples (a Latin hypercube in each): of
    m elements, each 1/m of the byte's range is drawn exactly once, so every piece and mode
    gets its share of a dozen examples up to one element (12.5% of them at a span's ends, a
    rate at its smallest bound among them), where independent bytes could give a third of
    it."""
    rng = np.random.default_rng(SEED)
    drawn = np.frombuffer(rng.bytes(sampler.size * (n - 1)), np.uint8)
    drawn = drawn.reshape(n - 1, sampler.size).copy()
    starts = [a for a, b in sampler.chunks if b - a == draws.BYTES]
    m = (n - 1) * len(starts)
    for byte in (0, 1) if m else ():  # the piece, the mode
        strata = (rng.permutation(m) + rng.random(m)) * (256 / m)
        drawn[:, [a + byte for a in starts]] = strata.astype(np.uint8).reshape(n - 1, -1)
    return [bytes(sampler.size)] + [row.tobytes() for row in drawn]


def shrink(
    sampler: Sampler,
    blob: bytes,
    failure: Any,
    fails: Callable[[Any], Any],
    seconds: float,
) -> Any:
    """The failure of the smallest example found from ``blob`` (which gave ``failure``) in
    ``seconds``; ``fails(example)`` returns a failure or None."""
    best = bytearray(blob)
    found = failure
    deadline = time.perf_counter() + seconds

    def attempt(candidate: bytearray) -> bool:
        nonlocal best, found
        if candidate == best:
            return False
        if time.perf_counter() > deadline:
            raise _OutOfTime
        result = fails(sampler.build(bytes(candidate)))
        if result is None:
            return False
        best, found = candidate, result
        return True

    def zeroed(chunks: list[tuple[int, int]]) -> bytearray:
        out = bytearray(best)
        for a, b in chunks:
            out[a:b] = bytes(b - a)
        return out

    def zero_groups(chunks: list[tuple[int, int]]) -> None:
        live = [c for c in chunks if any(best[c[0] : c[1]])]
        if not live or attempt(zeroed(live)) or len(live) == 1:
            return
        half = len(live) // 2
        zero_groups(live[:half])
        zero_groups(live[half:])

    def lower_bits(a: int, b: int, top: int) -> None:
        """Clear the bits of best[a:b] (big-endian), from the highest, among its ``top``
        leading bits; then the rest at once."""
        width = 8 * (b - a)
        for bit in range(width - 1, width - 1 - min(top, width), -1):
            value = int.from_bytes(best[a:b], "big")
            if value >> bit & 1:
                candidate = bytearray(best)
                candidate[a:b] = (value & ~(1 << bit)).to_bytes(b - a, "big")
                attempt(candidate)
        if top < width:
            value = int.from_bytes(best[a:b], "big")
            rest = value & ((1 << (width - top)) - 1)
            if rest:
                candidate = bytearray(best)
                candidate[a:b] = (value - rest).to_bytes(b - a, "big")
                attempt(candidate)

    try:
        zero_groups(list(sampler.chunks))
        for a, b in sampler.chunks:
            if not any(best[a:b]):
                continue
            if b - a != draws.BYTES:  # a selector: its bytes toward 0
                for i in range(a, b):
                    lower_bits(i, i + 1, 8)
                continue
            lower_bits(a, a + 1, 8)  # the piece
            lower_bits(a + 1, a + 2, 8)  # the mode
            if any(best[a + 2 : b]):
                candidate = bytearray(best)
                candidate[a + 2 : b] = bytes(b - a - 2)
                if not attempt(candidate):
                    lower_bits(a + 2, b, 16)
    except _OutOfTime:
        pass
    return found
