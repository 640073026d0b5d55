"""Derandomized checks drawn from the strategies' byte layout, and their shrinking
(gradspec.conformance.engine.sampled, gradspec.strategies.Sampler)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gradspec import draws
from gradspec import strategies as gst
from gradspec.conformance.engine import sampled
from gradspec.conformance.engine.results import Measurement, Violation, run_property
from gradspec.conformance.options import PROFILES
from gradspec.spec import COSTS, PAIRS, activation, cost, pair


def _identity_sampler(n: int = 8) -> gst.Sampler:
    sampler = gst.sampler_of(gst.activation_inputs(activation("identity"), shape=(n,)))
    assert sampler is not None
    return sampler


def test_array_strategies_carry_their_sampler_and_others_do_not():
    strategies = [
        gst.activation_inputs(activation("relu"), dtype="float32", shape=(3, 4)),
        gst.cost_inputs(cost("hinge")),
        gst.cost_inputs(cost("cross_entropy"), shape=(4, 3)),
        gst.pair_inputs(pair("softmax", "cross_entropy")),
        gst.simplex_rows((2, 5)),
    ]
    for s in strategies:
        sampler = gst.sampler_of(s)
        assert sampler is not None
        # the chunks tile the byte string exactly, in order
        ends = [b for _, b in sampler.chunks]
        starts = [a for a, _ in sampler.chunks]
        assert starts[0] == 0 and ends[-1] == sampler.size and starts[1:] == ends[:-1]
    assert gst.sampler_of(gst.network_batch(3, 2)) is None


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_sampled_examples_lie_in_the_domains(dtype):
    """What a derandomized check measures: every pair's and cost's sampled inputs valid."""
    for p in (p for p in PAIRS if p.valid):
        sampler = gst.sampler_of(gst.pair_inputs(p, dtype=dtype))
        for blob in sampled.blobs(sampler, 12):
            z, y = sampler.build(blob)
            assert z.dtype == y.dtype == np.dtype(dtype), p.name
            assert np.isfinite(z).all() and np.isfinite(y).all(), p.name
            assert all(p.activation.domain.contains(float(v)) for v in z.ravel()), p.name
            assert all(p.cost.target_domain.contains(float(v)) for v in y.ravel()), p.name
    for c in COSTS:
        sampler = gst.sampler_of(gst.cost_inputs(c, dtype=dtype))
        for blob in sampled.blobs(sampler, 12):
            a, y = sampler.build(blob)
            assert all(c.pred_domain.contains(float(v)) for v in a.ravel()), c.name
            for k in c.kinks:  # off the kinks, as the strategy promises
                assert not (c.kink_value(a.astype(float), y.astype(float)) == k.at).any()


def test_blobs_are_seeded_zeros_first_and_stratified():
    sampler = gst.sampler_of(gst.pair_inputs(pair("sigmoid", "log_loss")))
    n = PROFILES["ci"]["max_examples"]
    ci = sampled.blobs(sampler, n)
    assert ci[0] == bytes(sampler.size)
    assert sampled.blobs(sampler, n) == ci  # every run draws the same
    assert len(set(ci)) == len(ci) == n
    raw = np.frombuffer(b"".join(ci[1:]), np.uint8).reshape(-1, draws.BYTES)
    m = len(raw)
    # every 1/m of the piece and mode bytes' range drawn once: any range of byte values
    # (a piece, a mode: the ends are 32 of the 256) gets its share up to one element
    for byte in (0, 1):
        for lo in range(0, 256, 8):
            for hi in range(lo + 8, 257, 24):
                got = ((raw[:, byte] >= lo) & (raw[:, byte] < hi)).sum()
                assert abs(got - m * (hi - lo) / 256) <= 1, (byte, lo, hi)
    # the fractions stay uniform bytes
    assert 100 < raw[:, 2:].mean() < 155


def test_shrinking_leaves_one_offending_element_among_zeros():
    sampler = _identity_sampler()
    calls = []

    def fails(x: np.ndarray):
        calls.append(x)
        return "big" if (x > 5).any() else None

    blob = next(b for b in sampled.blobs(sampler, 50) if fails(sampler.build(b)))
    assert (sampler.build(blob) > 5).sum() >= 1
    calls.clear()
    found = sampled.shrink(sampler, blob, "big", fails, seconds=30)
    assert found == "big"
    # the smallest failing example is the last one that failed
    last = [c for c in calls if (c > 5).any()][-1]
    assert (last > 5).sum() == 1 and (last[last <= 5] == 0).all()
    # just past the threshold, or a piece's end (the moderate span's 10, the wide one's 1e4)
    assert last.max() < 5.01 or last.max() in (10.0, 1e4)
    assert len(calls) < 60, f"{len(calls)} measurements to shrink"


def test_shrinking_stops_at_its_time_budget():
    sampler = _identity_sampler(32)
    blob = np.random.default_rng(0).bytes(sampler.size)
    calls = []

    def slow(x):
        calls.append(1)
        time.sleep(0.05)
        return "always"

    t0 = time.perf_counter()
    assert sampled.shrink(sampler, blob, "first", slow, seconds=0.2) == "always"
    assert time.perf_counter() - t0 < 1.0 and 1 <= len(calls) <= 6


def _measure_bound(limit: float):
    """A measurement failing where any element exceeds ``limit``."""

    def measure(x: np.ndarray) -> Measurement:
        if (x > limit).any():
            raise Violation(f"element above {limit}")
        return Measurement(None)

    return measure


@pytest.mark.parametrize("profile", ["quick", "ci"])
def test_run_property_counts_every_drawn_example_of_a_passing_check(profile):
    strategy = gst.activation_inputs(activation("sigmoid"), shape=(8,))
    seen: list[np.ndarray] = []

    def measure(x):
        seen.append(x)
        return Measurement(None)

    out = run_property(strategy, measure, profile, explicit=[np.ones(8)])
    n = PROFILES[profile]["max_examples"]
    assert out.failure is None and out.examples == n + 1 == len(seen)
    assert np.array_equal(seen[0], np.ones(8))  # explicit examples first
    assert (seen[1] == 0).all()  # then the all-zero example


def test_run_property_reports_the_shrunk_failure():
    strategy = gst.activation_inputs(activation("identity"), shape=(8,))
    out = run_property(strategy, _measure_bound(5.0), "ci")
    assert out.failure is not None and "above 5.0" in out.failure.message
    x = out.failure.inputs
    assert (x > 5).sum() == 1 and (x[x <= 5] == 0).all()


def test_thorough_still_runs_under_hypothesis():
    """The random profile keeps hypothesis' engine: its shrinking ends at the same shape."""
    strategy = gst.activation_inputs(activation("identity"), shape=(8,))
    out = run_property(strategy, _measure_bound(5.0), "thorough")
    x = out.failure.inputs
    assert (x > 5).sum() == 1 and (x[x <= 5] == 0).all()
