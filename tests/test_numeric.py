"""The numeric differentiator's accuracy and the error model's arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradspec.conformance.engine import errormodel, numeric


def test_ridders_reaches_1e_12_relative_on_smooth_float64_functions():
    x = np.linspace(-4, 4, 41)
    for f, df in [
        (np.sin, np.cos),
        (np.exp, np.exp),
        (np.tanh, lambda t: 1 - np.tanh(t) ** 2),
        (lambda t: np.log1p(t * t), lambda t: 2 * t / (1 + t * t)),
    ]:
        d, err = numeric.derivative(f, x)
        rel = np.abs(d - df(x)) / np.maximum(np.abs(df(x)), 1e-300)
        # ~1e-12 is what the method attains; the aim is 1e-10 at smooth points.
        assert np.max(rel) < 1e-10, np.max(rel)
        # the error estimate bounds the true error
        assert np.all(np.abs(d - df(x)) <= 10 * err + 1e-15)


def test_steps_never_cross_a_kink():
    x = np.array([-1e-3, 1e-3, 0.5, -0.5])
    d, _ = numeric.derivative(lambda t: np.maximum(t, 0.0), x, kinks=(0.0,))
    np.testing.assert_allclose(d, [0.0, 1.0, 1.0, 0.0], rtol=1e-14, atol=1e-14)
    d, _ = numeric.derivative(lambda t: np.maximum(t, 0.0), np.array([0.0, 1e-12]), kinks=(0.0,))
    assert np.isnan(d).all()  # too close to the kink: kept out


def test_steps_stay_inside_the_domain():
    a = np.array([1e-9, 0.5, 1 - 1e-9])
    d, _ = numeric.derivative(np.log, a, lo=0.0, hi=1.0)
    np.testing.assert_allclose(d, 1 / a, rtol=1e-8)


def test_directional_check_and_localisation_find_a_planted_error():
    rng = np.random.default_rng(0)
    n = 1000
    x = rng.normal(size=n)

    def loss(p):
        return float(np.sum(np.sin(p) * p))

    grad = np.sin(x) + x * np.cos(x)
    v = numeric.random_direction(n, rng)
    assert numeric.directional(loss, x, grad, v).units(np.float64) < 16
    bad = grad.copy()
    bad[123] += 1e-3
    r = numeric.directional(loss, x, bad, v)
    assert r.units(np.float64) > 16
    assert numeric.localise(loss, x, bad, v, np.float64, 16) == [123]


def test_compare_units():
    two_ulps = np.nextafter(np.nextafter(1.0, 2.0), 2.0)
    c = errormodel.compare(
        np.array([two_ulps, 2.0, np.inf]),
        np.array([1.0, 2.0 + 1e-10, 3.0]),
        np.array([1.0, 2.0, 3.0]),
        np.float64,
        16,
    )
    assert c.units[0] == pytest.approx(2.0, rel=1e-6)
    assert c.units[1] > 1e5
    assert c.units[2] == np.inf
    assert c.worst_index == (2,)
    # 1e-10 on 2 is beyond the ulp budget but no wrong math (a warning); inf is wrong
    assert c.failing == 1
    assert c.ratio[1] < 1 < c.units[1] / c.budget


@pytest.mark.parametrize("f_error", [None, 1e-9])
@pytest.mark.parametrize(
    "phi",
    [
        np.exp,
        np.tanh,
        np.sin,
        lambda t: np.log1p(t + 0.3),
        lambda t: np.abs(t - 1e-3),
        lambda t: 1e8 * np.cos(t),
        lambda t: np.float32(np.tanh(t + 0.5)),
    ],
)
def test_scalar_ridders_gives_the_array_ridders_bits(phi, f_error):
    """The directional checks use ridders_scalar; it must be the same computation."""
    for h0 in (0.25, 1e-2, 1e-4, 3.7e-7):
        want = numeric.ridders(lambda t: np.asarray(phi(t), np.float64), np.asarray(h0),
                               f_error=f_error)  # fmt: skip
        got = numeric.ridders_scalar(lambda t: float(phi(t)), h0, f_error)
        assert got == (float(want[0]), float(want[1]))


def test_scalar_ridders_hands_non_finite_evaluations_to_the_array_ridders():
    def phi(t):
        return np.nan if t < -1e-3 else float(np.exp(t))

    want = numeric.ridders(lambda t: np.asarray(phi(float(t))), np.asarray(1e-2))
    got = numeric.ridders_scalar(phi, 1e-2)
    assert np.array_equal(np.array(got), np.array([float(want[0]), float(want[1])]),
                          equal_nan=True)  # fmt: skip


@pytest.mark.parametrize("n", [1, 7, 8, 9, 1608, 60430])
def test_random_direction_is_a_seeded_rademacher_draw(n):
    """Every coordinate is exactly +-weight, the draw is a function of the generator's state
    (so a network example's directions are reproduced from its seed), fair, and consumes
    the same stream whatever the weight."""
    w = 1 / np.sqrt(n)
    r1, r2 = np.random.default_rng(n), np.random.default_rng(n)
    a, b = numeric.random_direction(n, r1, w), numeric.random_direction(n, r2)
    assert a.shape == (n,) and a.dtype == np.float64
    assert set(np.unique(b)) <= {-1.0, 1.0}
    assert np.array_equal(a, np.where(b > 0, w, -w))  # the same signs, exactly +-w
    assert r1.random() == r2.random()
    if n >= 1608:  # fair: the mean of n signs within 5 standard deviations of 0
        assert abs(float(np.mean(b))) < 5 / np.sqrt(n)
        c = numeric.random_direction(n, np.random.default_rng(n + 1))
        assert 0.4 < float(np.mean(b == c)) < 0.6  # another seed, other signs


def test_directional_analytic_slope_is_the_exact_dot_product():
    """<g, v> and its rounding scale, summed without BLAS, agree with the correctly rounded
    sums to a few float64 ulps."""
    rng = np.random.default_rng(1)
    n = 60_430
    g = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 0, size=n)
    v = numeric.random_direction(n, rng, 1 / np.sqrt(n))
    d = numeric.directional(lambda p: 0.0, np.zeros(n), g, v, h0=1e-2)
    exact = math.fsum(g * v)
    assert abs(d.analytic - exact) <= 4 * np.finfo(float).eps * math.fsum(np.abs(g * v))
    assert d.scale == pytest.approx(math.fsum(np.abs(g * v)), rel=1e-12)


def test_projection_with_a_known_scale_is_within_an_ulp_of_the_exact_dot_product():
    """The one-pass dot product taken when the caller knows sum |g_i v_i| (a Rademacher
    direction) is not pairwise: it stays within one eps-unit of that scale at every size the
    network checks meet, far inside the network budget."""
    rng = np.random.default_rng(2)
    for n in (7, 1_608, 60_430, 400_000):
        g = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 0, size=n) + 3.0
        v = numeric.random_direction(n, rng, 1 / np.sqrt(n))
        scale = math.fsum(np.abs(g * v))
        analytic, s = numeric.projection(g, v, scale)
        assert s == scale
        assert abs(analytic - math.fsum(g * v)) <= np.finfo(float).eps * scale


def test_scratch_buffers_are_kept_and_never_lent_twice():
    """A buffer comes back on the next call of the same size (no new allocation to fault
    in), a nested lease gets other buffers, and a new size drops the old ones."""
    with numeric.scratch(1000, 2) as (a, b):
        assert a.shape == b.shape == (1000,) and a is not b
        with numeric.scratch(1000, 1) as (c,):
            assert c is not a and c is not b
    with numeric.scratch(1000, 3) as again:
        assert {id(a), id(b), id(c)} == {id(x) for x in again}
    with numeric.scratch(10, 1) as (small,):
        assert small.shape == (10,)
    with numeric.scratch(1000, 1) as (fresh,):
        assert fresh is not a and fresh is not b and fresh is not c


def test_directional_evaluates_the_loss_at_x_plus_and_minus_each_step():
    """The points handed to the loss are x + t v and x - t v for Ridders' steps t = h0,
    h0 / 1.4, ...: both correctly rounded from the one rounded product t v (the second is
    not derived from the first, which would round twice)."""
    rng = np.random.default_rng(3)
    n = 500
    x = rng.normal(size=n)
    v = numeric.random_direction(n, rng, 1 / np.sqrt(n))
    seen = []

    def loss(p):
        seen.append(p.copy())
        return float(np.sum(np.cos(p)))

    numeric.directional(loss, x, -np.sin(x), v, h0=1e-2, rows=3)
    assert len(seen) == 6
    t = 1e-2
    for up, down in zip(seen[::2], seen[1::2], strict=True):
        tv = v * t
        assert np.array_equal(up, x + tv) and np.array_equal(down, x - tv)
        t /= numeric.CON
