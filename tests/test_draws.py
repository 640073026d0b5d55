"""The generator: element plans decoded from bytes (gradspec.draws) and the registry-driven
strategies built on them (gradspec.strategies).

Every generated input must lie in its entry's domain, off its kinks, be finite, of the
requested dtype and never subnormal; the all-zero byte string (where hypothesis' shrinking
ends) must decode to each piece's simplest value; and a failure must shrink to one
offending element among simple ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from gradspec import draws, dtypes
from gradspec import strategies as gst
from gradspec.draws import Near, Plan, Points, Span
from gradspec.spec import ACTIVATIONS, COSTS, PAIRS, activation

DTYPES = dtypes.NAMES
_DRAWN = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _collect(strategy) -> list:
    out: list = []

    @_DRAWN
    @given(strategy)
    def run(x) -> None:
        out.append(x)

    run()
    return out


def _valid(values: np.ndarray, domain, dtype: str) -> None:
    v = values.astype(np.float64).ravel()
    assert np.isfinite(v).all()
    outside = [x for x in v if not domain.contains(float(x))]
    assert not outside, f"outside {domain}: {outside[:3]}"
    tiny = float(dtypes.finfo(dtype).tiny)
    assert not ((v != 0) & (np.abs(v) < tiny)).any(), "subnormal value drawn"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: a.name)
def test_activation_inputs_in_domain_and_off_kinks(act, dtype):
    margin = 1e-6
    for z in _collect(gst.activation_inputs(act, dtype=dtype, shape=(3, 4))):
        assert z.dtype == np.dtype(dtype) and z.shape == (3, 4)
        _valid(z, act.domain, dtype)
        z64 = z.astype(np.float64)
        for k in act.kinks:
            # off by the margin (float16/bfloat16: two ulps at least) and never on it
            assert (z64 != k.at).all()
            gap = np.abs(z64 - k.at) / max(1.0, abs(k.at))
            assert (gap >= 0.5 * max(margin, 2 * float(dtypes.finfo(dtype).eps))).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", [c for c in COSTS if c.inputs == "prediction"], ids=lambda c: c.name)
def test_cost_inputs_in_domain(c, dtype):
    shape = (4, 3) if c.vector else (8,)
    labels = 0
    for a, y in _collect(gst.cost_inputs(c, dtype=dtype, shape=shape)):
        assert a.dtype == np.dtype(dtype) and y.dtype == np.dtype(dtype)
        _valid(a, c.pred_domain, dtype)
        _valid(y, c.target_domain, dtype)
        if c.target_simplex and c.vector:
            np.testing.assert_allclose(y.astype(np.float64).sum(-1), 1.0, rtol=0.05)
        if c.target_labels:
            labels += int(np.isin(y.astype(np.float64), c.target_labels).sum())
    if c.target_labels:  # the classic labels are drawn, as often as anything else
        assert labels > 0


@pytest.mark.parametrize("p", PAIRS[::7], ids=lambda p: p.name)
def test_pair_inputs_valid(p):
    for z, y in _collect(gst.pair_inputs(p)):
        _valid(z, p.activation.domain, "float64")
        _valid(y, p.cost.target_domain, "float64")


def test_network_batch_away_from_zero_and_targets_in_range():
    for x, y in _collect(gst.network_batch(3, 2, max_rows=5)):
        assert 1 <= x.shape[0] <= 5 and x.shape[1] == 3 and y.shape == (x.shape[0], 2)
        assert ((np.abs(x) >= 0.05) & (np.abs(x) <= 3)).all()
        assert (np.abs(y) <= 2).all()


def test_zero_bytes_decode_to_each_pieces_simplest_value():
    # the shrink target: 0 if the piece holds it, else its end nearest 0
    for piece, simplest in [
        (Span(-10.0, 10.0), 0.0),
        (Span(1e-6, 1e4, lo_open=True), float(np.nextafter(1e-6, 1.0))),
        (Span(-1e4, -2.0), -2.0),
        (Points((0.25, 0.5)), 0.25),
    ]:
        out = draws.decode(Plan.uniform([piece]), bytes(draws.BYTES * 3), 3, "float64")
        assert (out == simplest).all(), (piece, out)
    near = Plan.uniform([Near((1.0,), 1e-5, 1e-3, 4e-16)])
    assert (draws.decode(near, bytes(draws.BYTES), 1, "float64") < 1.0).all()


def test_short_blob_is_padded_not_an_error():
    out = draws.decode(Plan.uniform([Span(-1.0, 1.0)]), b"\x07", 4, "float32")
    assert out.shape == (4,) and out.dtype == np.float32


def test_every_piece_can_be_drawn_in_proportion_to_its_weight():
    plan = Plan(tuple((w, Points((float(i),))) for i, w in enumerate([2.0, 1.0, 1.0, 1e-6])))
    edges = plan.edges
    assert len(edges) == 3 and (np.diff(edges) > 0).all()
    which = np.searchsorted(edges, np.arange(256), side="right")
    counts = np.bincount(which, minlength=4)
    assert counts[3] >= 1  # even a tiny weight gets a selector byte
    assert abs(counts[0] / 256 - 0.5) < 0.01 and abs(counts[1] / 256 - 0.25) < 0.01


def test_span_distribution_is_uniform_with_tiny_magnitudes_and_zeros():
    rng = np.random.default_rng(0)
    n = 20_000
    blob = rng.integers(0, 256, size=draws.BYTES * n, dtype=np.uint8).tobytes()
    v = draws.decode(Plan.uniform([Span(-10.0, 10.0)]), blob, n, "float64")
    tiny = (np.abs(v) < 1e-3) & (v != 0)
    zero = v == 0
    ends = np.abs(v) == 10.0
    p_tiny = (draws._ZERO_MODE - draws._TINY_MODE) / 256
    p_zero = (256 - draws._ZERO_MODE) / 256
    p_ends = (draws._TINY_MODE - draws._END_MODE) / 256
    assert abs(tiny.mean() - p_tiny) < 0.01 and abs(zero.mean() - p_zero) < 0.005
    assert abs(ends.mean() - p_ends) < 0.01 and (v == -10.0).any() and (v == 10.0).any()
    rest = v[~tiny & ~zero & ~ends]
    # uniform on [-10, 10]: a tenth in each of ten equal bins, both signs equally often
    hist = np.histogram(rest, bins=10, range=(-10, 10))[0] / rest.size
    assert np.abs(hist - 0.1).max() < 0.01
    # tiny magnitudes reach down to the smallest normal (where x**2 underflows)
    assert np.abs(v[tiny]).min() < 1e-250


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_values_stay_inside_open_bounds(dtype):
    rng = np.random.default_rng(1)
    n = 5000
    blob = rng.integers(0, 256, size=draws.BYTES * n, dtype=np.uint8).tobytes()
    lo, hi = dtypes.inward(0.1, 0.3, dtype)
    v = draws.decode(Plan.uniform([Span(lo, hi, True, True)]), blob, n, dtype).astype(float)
    assert (v > lo).all() and (v < hi).all()


def test_a_failure_shrinks_to_one_offending_element_among_zeros():
    strategy = gst.activation_inputs(activation("identity"), shape=(8,))
    x = find(
        strategy,
        lambda a: bool((a > 5).any()),
        settings=settings(
            database=None,
            max_examples=500,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert (x > 5).sum() == 1 and (x[x <= 5] == 0).all()
    assert x.max() < 5.5
