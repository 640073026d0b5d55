"""Timing helpers: calibrated loops, median and inter-quartile range, a budget per sample."""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Stat:
    """Seconds per call: median and IQR over ``samples`` samples of ``loops`` calls each."""

    median: float
    iqr: float
    q1: float
    q3: float
    samples: int
    loops: int

    def as_dict(self) -> dict:
        return asdict(self)


def measure(
    fn: Callable[[], object],
    *,
    samples: int = 7,
    min_sample: float = 0.005,
    warmup: int = 1,
    max_loops: int = 100_000,
) -> Stat:
    """Time ``fn()`` (which must block until its work is done).

    One warm-up call, then the loop count is calibrated so that one sample lasts at least
    ``min_sample`` seconds (timer resolution and per-sample overhead stay below ~0.1%).
    The garbage collector is off while sampling.
    """
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-9)
    loops = int(min(max_loops, max(1, math.ceil(min_sample / once))))
    per_call = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(samples):
            t0 = time.perf_counter()
            for _ in range(loops):
                fn()
            per_call.append((time.perf_counter() - t0) / loops)
    finally:
        if enabled:
            gc.enable()
    q1, med, q3 = np.percentile(per_call, [25, 50, 75])
    return Stat(float(med), float(q3 - q1), float(q1), float(q3), samples, loops)


def once(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall time of a single call and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def single(seconds: float) -> Stat:
    """A Stat for a quantity measured once (IQR 0, one sample)."""
    return Stat(seconds, 0.0, seconds, seconds, 1, 1)


def paired(
    fns: dict[str, Callable[[], object]],
    *,
    rounds: int = 7,
    min_sample: float = 0.005,
    warmup: int = 1,
) -> tuple[dict[str, Stat], list[dict[str, float]]]:
    """Time several callables in interleaved rounds (A B C, A B C, ...).

    On a shared or throttling machine the speed drifts within seconds; interleaving puts
    every contender under the same conditions in each round, so the per-round ratios
    (second return value: one dict of seconds per call for each round) are much steadier
    than ratios of separately measured medians.
    """
    loops = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        t0 = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-9)
        loops[name] = int(max(1, math.ceil(min_sample / one)))
    per_round: list[dict[str, float]] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            r = {}
            for name, fn in fns.items():
                n = loops[name]
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                r[name] = (time.perf_counter() - t0) / n
            per_round.append(r)
    finally:
        if enabled:
            gc.enable()
    stats = {}
    for name in fns:
        xs = [r[name] for r in per_round]
        q1, med, q3 = np.percentile(xs, [25, 50, 75])
        stats[name] = Stat(float(med), float(q3 - q1), float(q1), float(q3), rounds, loops[name])
    return stats, per_round


def ratio(per_round: list[dict[str, float]], a: str, b: str) -> tuple[float, float]:
    """Median and IQR over rounds of time(a) / time(b)."""
    xs = [r[a] / r[b] for r in per_round]
    q1, med, q3 = np.percentile(xs, [25, 50, 75])
    return float(med), float(q3 - q1)
