"""Tests of gradspec.reference.activations: stability, dtype, conventions, derivatives."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradspec import spec
from gradspec.reference import activations as R

EPS = np.finfo(np.float64).eps
ELEMENTWISE = [a.name for a in spec.ACTIVATIONS if not a.vector]
WITH_OUTPUT_FORM = [a.name for a in spec.ACTIVATIONS if a.output_derivative is not None]
KINKED = {a.name: a.kinks for a in spec.ACTIVATIONS if a.kinks}
DTYPES = [np.float32, np.float64]


def fn(name: str, suffix: str = ""):
    return getattr(R, f"{name}{suffix}")


def central_difference(f, x: float) -> tuple[float, float]:
    """(f(x+h) - f(x-h)) / 2h in float64 and its error bound.

    h = cbrt(eps) * max(1, |x|) balances the two error sources: truncation h^2 |f'''| / 6 and
    rounding ~ eps |f| / h, each then ~ eps^(2/3) (about 4e-11) times the function's scale.
    On the test range (|x| <= 6) every |f'''| here is <= 2 and max(1,|x|)^2 <= 36, so the
    truncation term is <= 12 eps^(2/3); the bound below allows 100 eps^(2/3) (1 + |f(x)|),
    a factor ~8 of headroom over the worst case, and is still ~4e-9: far below any real bug.
    """
    h = np.cbrt(EPS) * max(1.0, abs(x))
    xp, xm = x + h, x - h
    h2 = xp - xm  # the step actually taken, after rounding x +- h
    d = (float(f(np.float64(xp))) - float(f(np.float64(xm)))) / h2
    tol = 100 * EPS ** (2 / 3) * (1 + abs(float(f(np.float64(x)))))
    return d, tol


def away_from_kinks(name: str, x: float, order: int) -> bool:
    """True if x is 1e-3 away from every kink that spoils a difference quotient of f^(order).

    A kink of order ``order + 1`` (a jump in the next derivative) makes the central-difference
    truncation error O(h) instead of O(h^2), so it is avoided too.
    """
    return all(abs(x - k.at) > 1e-3 for k in KINKED.get(name, ()) if k.order <= order + 1)


# --------------------------------------------------------------------------- the protocol


def test_every_registry_activation_is_implemented():
    for entry in spec.ACTIVATIONS:
        assert callable(fn(entry.name))
        assert callable(fn(entry.name, "_der"))
        if not entry.vector:
            assert callable(fn(entry.name, "_der2"))
        has_output_form = hasattr(R, f"{entry.name}_der_output")
        assert has_output_form == (entry.output_derivative is not None), entry.name
        for alias in entry.aliases:
            assert fn(alias) is fn(entry.name)
            assert fn(alias, "_der") is fn(entry.name, "_der")


# --------------------------------------------------------------------------- stability

LARGE = [-1e4, -1e3, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e3, 1e4]
SUFFIXES = ["", "_der", "_der2"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_no_floating_point_errors_and_finite_at_large_inputs(name, dtype):
    z = np.array(LARGE, dtype=dtype)
    with np.errstate(all="raise"):
        for suffix in SUFFIXES:
            out = fn(name, suffix)(z)
            assert out.dtype == dtype, (suffix, out.dtype)
            assert out.shape == z.shape
            assert np.all(np.isfinite(out)), (suffix, out)
        if name in WITH_OUTPUT_FORM:
            out = fn(name, "_der_output")(fn(name)(z))
            assert out.dtype == dtype
            assert np.all(np.isfinite(out))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_stable_at_large_inputs(dtype):
    z = np.array([[1e4, -1e4, 0.0], [1e3, 1e3, -1e3], [-1e4, -1e4, -1e4]], dtype=dtype)
    g = np.array([1.0, -2.0, 0.5], dtype=dtype)
    with np.errstate(all="raise"):
        a = R.softmax(z)
        jac = R.softmax_der(z)
        vjp = R.softmax_vjp(z, np.broadcast_to(g, z.shape))
    for out in (a, jac, vjp):
        assert out.dtype == dtype
        assert np.all(np.isfinite(out))
    np.testing.assert_allclose(a, [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    assert jac.shape == (3, 3, 3)


def test_tails_keep_relative_accuracy():
    """The stable forms stay accurate where the textbook forms round to 0 or cancel.

    Compared with mpmath at 30 digits.  The allowed relative error is 8 eps times the
    condition number |x f'(x) / f(x)| of each value in its argument (rounding the argument
    alone costs that much): 2 x^2 for erfc at x = 30/sqrt2 (~900), ~|z| for the exp-based
    tails.  The naive formulas are off by 100% (they return 0) at these points.
    """
    mpmath.mp.dps = 30

    def close(got, want, cond):
        assert math.isclose(float(got), float(want), rel_tol=8 * EPS * max(1.0, cond))

    z = mpmath.mpf(-30)
    close(R.gelu(np.float64(-30.0)), z / 2 * mpmath.erfc(-z / mpmath.sqrt(2)), cond=900)
    s = 1 / (1 + mpmath.exp(-40))
    close(R.sigmoid_der(np.float64(40.0)), s * (1 - s), cond=40)
    close(R.tanh_der(np.float64(20.0)), 1 / mpmath.cosh(20) ** 2, cond=40)
    close(R.softplus(np.float64(-40.0)), mpmath.log1p(mpmath.exp(-40)), cond=40)
    close(R.elu(np.float64(-1e-10)), mpmath.expm1(mpmath.mpf("-1e-10")), cond=1)
    s = 1 / (1 + mpmath.exp(40))
    close(R.swish_der(np.float64(-40.0)), s + (-40) * s * (1 - s), cond=40)


# --------------------------------------------------------------------------- NaN, dtype, mutation


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_nan_in_nan_out(name):
    z = np.array([np.nan, 1.0, -1.0])
    for suffix in SUFFIXES:
        with np.errstate(invalid="ignore"):
            out = fn(name, suffix)(z)
        assert np.isnan(out[0]), suffix
        assert not np.isnan(out[1:]).any(), suffix
    with np.errstate(invalid="ignore"):
        assert np.isnan(R.softmax(np.array([np.nan, 1.0]))).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_dtype_preserved_and_input_not_mutated(name, dtype):
    z = np.array([[-2, -1, 0], [1, 2, 3]], dtype=dtype)
    before = z.copy()
    expected = np.float64 if dtype == np.int64 else dtype
    for suffix in [*SUFFIXES, *(["_der_output"] if name in WITH_OUTPUT_FORM else [])]:
        out = fn(name, suffix)(z)
        assert out.dtype == expected, suffix
        assert out.shape == z.shape
        assert not np.shares_memory(out, z), suffix
    np.testing.assert_array_equal(z, before)


def test_softmax_dtype_and_no_mutation():
    z = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    g = np.ones_like(z)
    before = z.copy()
    for out in (R.softmax(z), R.softmax_der(z), R.softmax_vjp(z, g)):
        assert out.dtype == np.float32
    np.testing.assert_array_equal(z, before)


# --------------------------------------------------------------------------- kink conventions


def test_kink_conventions():
    zero = np.array([0.0])
    assert R.step(zero)[0] == 1.0
    assert np.all(R.step_der(np.array([-1.0, 0.0, 1.0])) == 0.0)
    assert R.relu_der(zero)[0] == 0.0
    assert R.leaky_relu_der(zero)[0] == 1.0
    assert R.elu_der(zero)[0] == 1.0
    assert R.elu_der2(zero)[0] == 0.0


@pytest.mark.parametrize("name", sorted(KINKED))
def test_kink_values_inside_registry_interval(name):
    funcs = [fn(name), fn(name, "_der"), fn(name, "_der2")]
    for kink in KINKED[name]:
        # order 0 is a jump of f itself; its accepted value is then the derivative's (the
        # registry's note on the step: "the conventional value 0 is required").
        value = float(funcs[max(kink.order, 1)](np.array([kink.at]))[0])
        lo, hi = kink.accepted
        assert lo <= value <= hi, (name, kink.order, value, kink.accepted)


# --------------------------------------------------------------------------- derivatives

smooth_x = st.floats(-6.0, 6.0, allow_nan=False)


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=40, deadline=None)
@given(x=smooth_x)
def test_first_derivative_matches_central_difference(name, x):
    if name == "step" or not away_from_kinks(name, x, order=1):
        return  # the step's derivative is the required 0, not a limit of quotients
    d, tol = central_difference(fn(name), x)
    assert abs(float(fn(name, "_der")(np.float64(x))) - d) <= tol


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=40, deadline=None)
@given(x=smooth_x)
def test_second_derivative_matches_central_difference(name, x):
    if name == "step" or not away_from_kinks(name, x, order=2):
        return
    d, tol = central_difference(fn(name, "_der"), x)
    assert abs(float(fn(name, "_der2")(np.float64(x))) - d) <= tol


@pytest.mark.parametrize("name", WITH_OUTPUT_FORM)
def test_output_form_equals_input_form(name):
    """f'(z) from the output equals f'(z) from the input, kinks included.

    Both are evaluated from values <= 1 in magnitude with a handful of roundings, so they
    agree to a few ulps; 8 eps absolute + relative covers it (1 - a^2 vs 4e/(1+e)^2 differ
    by ~2 eps where tanh rounds near 1).
    """
    z = np.concatenate([np.linspace(-20, 20, 401), [0.0, -0.0, 1e-8, -1e-8]])
    got = fn(name, "_der_output")(fn(name)(z))
    want = fn(name, "_der")(z)
    np.testing.assert_allclose(got, want, rtol=8 * EPS, atol=8 * EPS)


# --------------------------------------------------------------------------- softmax


def test_softmax_rows_sum_to_one_and_shift_invariant():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5)) * 10
    a = R.softmax(z)
    np.testing.assert_allclose(a.sum(-1), 1.0, rtol=4 * EPS * 5)  # K additions of values <= 1
    np.testing.assert_allclose(R.softmax(z + 1000.0), a, rtol=1e-12, atol=1e-300)


@settings(max_examples=25, deadline=None)
@given(
    z=st.lists(st.floats(-6, 6), min_size=2, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_softmax_jacobian_and_vjp(z, seed):
    z = np.array(z)
    k = z.size
    jac = R.softmax_der(z)
    # Column j of J is d softmax / d z_j: central differences with the same step rule and
    # tolerance as ``central_difference`` (softmax components are <= 1, |f'''| <= 1).
    h = np.cbrt(EPS)
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        col = (R.softmax(z + e) - R.softmax(z - e)) / (2 * h)
        np.testing.assert_allclose(jac[:, j], col, atol=200 * EPS ** (2 / 3))
    np.testing.assert_allclose(jac, jac.T, atol=0)  # diag(a) - a a^T is symmetric exactly
    g = np.random.default_rng(seed).normal(size=(3, k))
    zz = np.broadcast_to(z, (3, k))
    # both are sums of K products of O(1) terms: agreement to ~K ulps of the largest term
    np.testing.assert_allclose(
        R.softmax_vjp(zz, g), g @ jac, atol=16 * k * EPS * (1 + abs(g).max())
    )


def test_softmax_jacobian_batch_shape():
    z = np.zeros((2, 3, 4))
    assert R.softmax_der(z).shape == (2, 3, 4, 4)
    assert R.softmax_vjp(z, np.ones_like(z)).shape == (2, 3, 4)
