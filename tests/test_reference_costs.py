"""Tests of gradspec.reference.costs: values, derivatives, stability, reductions, lookup."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradspec import spec
from gradspec.reference import activations as act
from gradspec.reference import costs as C

EPS = np.finfo(np.float64).eps
ELEMENTWISE = [c.name for c in spec.COSTS if not c.vector]
#: A prediction range inside every elementwise cost's domain, away from log's singularities.
PROB = st.floats(0.05, 0.95)


def fn(name: str, suffix: str = ""):
    return getattr(C, f"{name}{suffix}")


def central_difference(f, x: float) -> tuple[float, float]:
    """Central difference in float64 and its error bound.

    Step h = cbrt(eps) max(1, |x|): truncation h^2 |f'''| / 6 and rounding eps |f| / h are
    both ~ eps^(2/3) (4e-11) times the function's scale.  For a in [0.05, 0.95] the log
    terms have |f'''| <= 2/0.05^3 = 16000, so truncation <= 16000/6 * 4e-11 ~ 1e-7 there;
    the bound 1e4 eps^(2/3) (1 + |f|) (~4e-7) covers that worst case with 4x headroom and is
    still far below any real error.
    """
    h = np.cbrt(EPS) * max(1.0, abs(x))
    h2 = (x + h) - (x - h)
    d = (float(f(np.float64(x + h))) - float(f(np.float64(x - h)))) / h2
    return d, 1e4 * EPS ** (2 / 3) * (1 + abs(float(f(np.float64(x)))))


def test_every_registry_cost_is_implemented():
    for entry in spec.COSTS:
        for suffix in ("", "_der", "_der2"):
            assert callable(fn(entry.name, suffix))
            for alias in entry.aliases:
                assert fn(alias, suffix) is fn(entry.name, suffix)


# --------------------------------------------------------------------------- derivatives


def _target(name: str, y: float) -> float:
    """y in [0, 1] mapped onto the entry's target domain, clipped to [-1, 2]."""
    domain = spec.cost(name).target_domain
    lo, hi = max(domain.lo, -1.0), min(domain.hi, 2.0)
    return lo + (hi - lo) * y


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=40, deadline=None)
@given(a=PROB, y=st.floats(0.0, 1.0))
def test_derivatives_match_central_differences(name, a, y):
    y = _target(name, y)
    entry = spec.cost(name)
    if any(abs(entry.kink_value(a, y) - k.at) < 1e-3 for k in entry.kinks):
        return  # at a kink the difference quotient straddles two pieces
    d, tol = central_difference(lambda t: fn(name)(t, y), a)
    assert abs(float(fn(name, "_der")(a, y)) - d) <= tol
    d, tol = central_difference(lambda t: fn(name, "_der")(t, y), a)
    assert abs(float(fn(name, "_der2")(a, y)) - d) <= tol


@settings(max_examples=30, deadline=None)
@given(z=st.lists(st.floats(-5, 5), min_size=2, max_size=4), data=st.data())
def test_cross_entropy_logits_gradient_and_hessian(z, data):
    z = np.array(z)
    k = z.size
    y = np.array(data.draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k)))
    y = y / y.sum()
    grad = C.cross_entropy_logits_der(z, y)
    np.testing.assert_allclose(grad, act.softmax(z) - y, atol=8 * EPS)
    hess = C.cross_entropy_logits_der2(z, y)
    h = np.cbrt(EPS)
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        fd = (C.cross_entropy_logits(z + e, y) - C.cross_entropy_logits(z - e, y)) / (2 * h)
        # C is O(|z|) <= ~12 here and |C'''| <= 1: 200 eps^(2/3) (1 + |C|) bounds both errors
        tol = 200 * EPS ** (2 / 3) * (1 + abs(C.cross_entropy_logits(z, y)))
        assert abs(fd - grad[j]) <= tol
        fd_col = (C.cross_entropy_logits_der(z + e, y) - C.cross_entropy_logits_der(z - e, y)) / (
            2 * h
        )
        np.testing.assert_allclose(hess[:, j], fd_col, atol=200 * EPS ** (2 / 3))


# --------------------------------------------------------------------------- logits forms


def test_logit_costs_agree_with_composed_forms():
    z = np.linspace(-8, 8, 33)
    y = np.linspace(0, 1, 33)
    # both sides are O(10) sums of a few correctly rounded terms: 64 eps relative suffices
    np.testing.assert_allclose(
        C.log_loss_logits(z, y), C.log_loss(act.sigmoid(z), y), rtol=64 * EPS, atol=64 * EPS
    )
    zz = z.reshape(3, 11)
    yy = np.random.default_rng(1).dirichlet(np.ones(11), size=3)
    composed = C.cross_entropy(act.softmax(zz), yy).sum(-1)
    np.testing.assert_allclose(C.cross_entropy_logits(zz, yy), composed, rtol=64 * EPS)
    lse = np.log(np.exp(zz).sum(-1))  # safe here: |z| <= 8
    np.testing.assert_allclose(
        C.cross_entropy_logits(zz, yy), lse - (yy * zz).sum(-1), rtol=64 * EPS
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logit_costs_stable_at_large_inputs(dtype):
    z = np.array([-1e4, -1e3, 0.0, 1e3, 1e4], dtype=dtype)
    y0, y1 = np.zeros_like(z), np.ones_like(z)
    with np.errstate(all="raise"):
        for suffix in ("", "_der", "_der2"):
            for y in (y0, y1):
                out = fn("log_loss_logits", suffix)(z, y)
                assert out.dtype == dtype
                assert np.all(np.isfinite(out))
        np.testing.assert_allclose(C.log_loss_logits(z, y0), [0, 0, np.log(2), 1e3, 1e4])
        zz = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
        yy = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]], dtype=dtype)
        loss = C.cross_entropy_logits(zz, yy)
        assert loss.dtype == dtype and loss.shape == (2,)
        np.testing.assert_allclose(loss, [2e4, np.log(2)], rtol=1e-6)
        for suffix in ("_der", "_der2"):
            assert np.all(np.isfinite(fn("cross_entropy_logits", suffix)(zz, yy)))


def test_log_loss_hard_targets_and_saturation():
    with np.errstate(all="raise"):
        assert C.log_loss(np.array([1e-300, 1 - 1e-16]), np.array([0.0, 1.0])).max() < 1e-15
        assert C.cross_entropy(np.array([0.0]), np.array([0.0]))[0] == 0.0  # 0 log 0 = 0
        # log1p(-a) keeps the tiny loss of a tiny prediction for y = 0 (log(1 - 1e-20) is 0)
        assert C.log_loss(np.array([1e-20]), np.array([0.0]))[0] == pytest.approx(1e-20)


# --------------------------------------------------------------------------- conventions


def test_kink_conventions_inside_registry_intervals():
    assert C.absolute_der(np.array([2.0]), np.array([2.0]))[0] == 0.0
    for d in (-1.0, 1.0):
        assert C.huber_der2(np.array([d]), np.array([0.0]))[0] == 1.0
    for entry in spec.COSTS:
        for kink in entry.kinks:
            func = fn(entry.name, "_der" if kink.order == 1 else "_der2")
            value = float(func(np.array([kink.at + 0.5]), np.array([0.5]))[0])
            assert kink.accepted[0] <= value <= kink.accepted[1], (entry.name, kink)


@pytest.mark.parametrize("name", [c.name for c in spec.COSTS])
def test_dtype_preserved_and_inputs_not_mutated(name):
    a = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], dtype=np.float32)
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    a0, y0 = a.copy(), y.copy()
    for suffix in ("", "_der", "_der2"):
        out = fn(name, suffix)(a, y)
        assert out.dtype == np.float32, suffix
        assert not np.shares_memory(out, a) and not np.shares_memory(out, y)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_nan_in_nan_out(name):
    a = np.array([np.nan, 0.5])
    y = np.array([0.5, 0.5])
    for suffix in ("", "_der", "_der2"):
        with np.errstate(invalid="ignore"):
            out = fn(name, suffix)(a, y)
        assert np.isnan(out[0]) and not np.isnan(out[1]), suffix


# --------------------------------------------------------------------------- reductions


def test_reduce_and_reduce_der():
    v = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(C.reduce(v, "none"), v)
    assert C.reduce(v, "sum") == 15.0
    assert C.reduce(v, "mean") == 2.5
    g = np.ones((2, 3))
    np.testing.assert_array_equal(C.reduce_der(g, "sum"), g)
    np.testing.assert_array_equal(C.reduce_der(g, "mean"), g / 6)
    np.testing.assert_array_equal(C.reduce_der(g, "mean", n=2), g / 2)
    with pytest.raises(spec.UnknownName):
        C.reduce(v, "median")


def test_cost_lookup_by_name_and_alias():
    a = np.array([0.2, 0.7])
    y = np.array([0.0, 1.0])
    np.testing.assert_array_equal(C.cost_value("bce", a, y), C.log_loss(a, y))
    assert C.cost_value("log_loss", a, y, "mean") == pytest.approx(C.log_loss(a, y).mean())
    np.testing.assert_array_equal(C.cost_grad("log_loss", a, y, "mean"), C.log_loss_der(a, y) / 2)
    with pytest.raises(spec.UnknownName):
        C.cost_value("no_such_cost", a, y)
    with pytest.raises(spec.UnknownName):
        C.cost_grad("no_such_cost", a, y)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_cost_grad_is_gradient_of_reduced_cost_value(reduction):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 3))
    y = rng.dirichlet(np.ones(3), size=4)
    for name in ("cross_entropy_logits", "half_squared", "log_loss_logits"):
        grad = C.cost_grad(name, z, y, reduction)
        h = np.cbrt(EPS)
        for idx in [(0, 0), (3, 2), (1, 1)]:
            e = np.zeros_like(z)
            e[idx] = h
            fd = (
                C.cost_value(name, z + e, y, reduction) - C.cost_value(name, z - e, y, reduction)
            ) / (2 * h)
            # the reduced cost is O(10) with |C'''| <= 1: same bound as the elementwise check
            assert abs(fd - grad[idx]) <= 200 * EPS ** (2 / 3) * 10, (name, idx)
