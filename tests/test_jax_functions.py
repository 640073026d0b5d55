"""gradspec.jaxbackend (hand-written) and gradspec.jaxbackend.autodiff against the NumPy
reference, the mpmath ground truth, each other, the registry's kinks, and the dtype rules."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import gradspec.jaxbackend as J
import gradspec.jaxbackend.autodiff as AD
import gradspec.reference as R
from gradspec import spec
from gradspec.derivations import truth
from gradspec.reference import chain

IMPLS = {"hand": J, "autodiff": AD}
DTYPES = [np.float32, np.float64]

#: Allowed error in units of the dtype's eps, measured as |x - ref| / (eps * (|ref| + 1)): a
#: mixed relative/absolute error on the unit scale (values near 0 come from cancellation or
#: underflow, where an absolute error of a few eps is the honest measure).  Why these numbers:
#: * reference: two implementations of the same stable formulas that differ only in operation
#:   order and library exp/log/erf (a few ulp each): 64 eps.
#: * truth: the correctly rounded float64 value of the exact expression at the same inputs;
#:   float32 results carry the float32 rounding of ~10 chained operations: 64 eps.
#: * autodiff: jvp of the forward vs the hand formula, e.g. tanh' as (1-t)(1+t) vs sech^2 from
#:   exp(-2|z|), the forms differ by a few roundings of O(1) quantities: 64 eps.
#: * mlp: gradients are sums over the batch and fan-in (n <= 64 terms here) evaluated in a
#:   different order by XLA and OpenBLAS; normwise error <= n eps, so 1e3 eps (normwise).
TOL = {"reference": 64.0, "truth": 64.0, "autodiff": 64.0, "mlp": 1e3}


def assert_close(actual, expected, dtype, kind: str, what: str) -> None:
    eps = float(np.finfo(dtype).eps)
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    err = np.abs(actual - expected) / (eps * (np.abs(expected) + 1.0))
    both_nan = np.isnan(actual) & np.isnan(expected)
    err = np.where(both_nan, 0.0, err)
    worst = np.unravel_index(np.nanargmax(np.where(np.isnan(err), np.inf, err)), err.shape)
    assert np.all(err <= TOL[kind]), (
        f"{what} vs {kind}: {err[worst]:.3g} eps at index {worst}: got {actual[worst]!r}, "
        f"expected {expected[worst]!r} (budget {TOL[kind]} eps)"
    )


# ------------------------------------------------------------------ inputs per function
RNG = np.random.default_rng(20240601)
Z = np.concatenate([np.linspace(-6, 6, 13), [-30.0, -0.3, 0.7, 30.0]]).reshape(17)
PROB = RNG.uniform(0.02, 0.98, size=Z.shape)
TARGET = RNG.uniform(0.0, 1.0, size=Z.shape)
ROWS = RNG.normal(size=(4, 3)) * 3
SIMPLEX = RNG.uniform(0.1, 1.0, size=(4, 3))
SIMPLEX /= SIMPLEX.sum(-1, keepdims=True)


def entry(name: str):
    base = name
    for suffix in ("_der_output", "_der2", "_der", "_vjp"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    try:
        return spec.activation(base)
    except spec.UnknownName:
        return spec.cost(base)


def inputs(name: str, dtype) -> tuple:
    """Arguments inside the function's domain, in ``dtype``."""
    e = entry(name)
    if e.kind == "activation":
        if name.endswith("_vjp"):
            args = (ROWS, SIMPLEX)
        elif name.endswith("_der_output"):
            args = (getattr(R, e.name)(Z),)
        else:
            args = (ROWS,) if e.vector else (Z,)
    elif e.vector:
        args = (ROWS, SIMPLEX)
    else:
        args = (_in(e.pred_domain, Z, PROB), _in(e.target_domain, TARGET * 4 - 2, TARGET))
    return tuple(np.asarray(a, dtype=dtype) for a in args)


def _in(domain: spec.Interval, wide: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """``wide`` (values around 0) where the registry domain holds them all, else ``unit``
    (values in (0, 1)) mapped into the domain: a probability, a rate, a label in [-1, 1]."""
    if all(domain.contains(float(v)) for v in wide):
        return wide
    lo, hi = max(domain.lo, -1.0), min(domain.hi, 4.0)
    return lo + (hi - lo) * unit


FUNCS = [n for n in J.protocol_names() if n not in ("reduce", "reduce_der", "delta")]


def test_every_reference_function_exists_in_both_backends():
    names = [
        n
        for m in (R.activations, R.costs)
        for n, f in vars(m).items()
        if callable(f)
        and not n.startswith("_")
        and getattr(f, "__module__", "") == m.__name__
        and n not in ("cost_value", "cost_grad")
    ]
    assert len(names) > 60
    for impl, mod in IMPLS.items():
        missing = [n for n in names if not callable(getattr(mod, n, None))]
        assert not missing, f"{impl} lacks {missing}"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name", FUNCS)
def test_matches_reference_and_keeps_dtype(name, impl, dtype):
    args = inputs(name, dtype)
    out = getattr(IMPLS[impl], name)(*args)
    assert isinstance(out, np.ndarray) and out.dtype == dtype, f"{name}: {type(out)} {out.dtype}"
    assert_close(
        out, getattr(R, name)(*args), dtype, "reference", f"{impl}.{name}[{dtype.__name__}]"
    )


def _truth(name: str, args: tuple) -> np.ndarray:
    e = entry(name)
    a64 = [np.asarray(a, np.float64) for a in args]
    if name.endswith("_vjp"):
        jac = truth.activation_value(e.name, a64[0], 1)
        return np.einsum("...ij,...i->...j", jac, a64[1])
    order = 2 if name.endswith("_der2") else 1 if "_der" in name else 0
    if name.endswith("_der_output"):  # f' at the z whose output is a: take a = f(Z)
        return truth.activation_value(e.name, np.asarray(Z, args[0].dtype), 1)
    if e.kind == "activation":
        return truth.activation_value(e.name, a64[0], order)
    return truth.cost_value(e.name, a64[0], a64[1], order)


def off_kinks(kinks, at, out, expected):
    """out and expected with points on a kink replaced by the truth (kinks: own test below):
    there SymPy's value (e.g. Heaviside(0) = 1/2) is one convention, not the spec's interval."""
    on = np.zeros(np.shape(at), bool)
    for k in kinks:
        on |= np.asarray(at) == k.at
    if out.shape != on.shape:  # vector activations have no kinks
        return out, expected
    return np.where(on, expected, out), expected


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name", FUNCS)
def test_matches_ground_truth_float64(name, impl):
    args = inputs(name, np.float64)
    if name.endswith("_der_output"):
        args = (getattr(R, entry(name).name)(Z),)
    out = getattr(IMPLS[impl], name)(*args)
    e = entry(name)
    at = Z if e.kind == "activation" else args[0] - args[1]
    out, expected = off_kinks(e.kinks, at, out, _truth(name, args))
    assert_close(out, expected, np.float64, "truth", f"{impl}.{name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", [n for n in FUNCS if "_der" in n or n.endswith("_vjp")])
def test_hand_and_autodiff_agree(name, dtype):
    args = inputs(name, dtype)
    assert_close(AD.functions[name](*args), J.functions[name](*args), dtype, "autodiff", name)


def test_float32_ground_truth_for_derivatives():
    """float32 derivatives against truth at the float32 inputs (judged by float32's eps)."""
    for name in ("sigmoid_der", "tanh_der", "softplus_der2", "gelu_der", "swish_der2"):
        for impl, mod in IMPLS.items():
            (z,) = inputs(name, np.float32)
            assert_close(
                getattr(mod, name)(z), _truth(name, (z,)), np.float32, "truth", impl + name
            )


# ------------------------------------------------------------------ kinks
def _kink_cases():
    for act in spec.ACTIVATIONS:
        for k in act.kinks:
            yield act.name, k
    for c in spec.COSTS:
        for k in c.kinks:
            yield c.name, k


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(
    ("name", "kink"), list(_kink_cases()), ids=lambda v: str(getattr(v, "at", v))
)
def test_kink_values_lie_in_accepted_interval(name, kink, impl):
    mod = IMPLS[impl]
    suffix = "_der2" if kink.order == 2 else "_der"  # order 0 (a jump): f' must be the value
    lo, hi = kink.accepted
    for dtype in DTYPES:
        if entry(name).kind == "activation":
            val = getattr(mod, name + suffix)(np.array([kink.at], dtype))
        else:
            y = np.array([0.5], dtype)
            val = getattr(mod, name + suffix)(y + dtype(kink.at), y)
        assert lo <= float(val[0]) <= hi, f"{impl}.{name}{suffix} at kink {kink.at}: {val}"


def test_relu_and_abs_choose_zero_at_kink():
    for mod in IMPLS.values():
        assert mod.relu_der(np.zeros(1))[0] == 0.0
        assert mod.absolute_der(np.zeros(1), np.zeros(1))[0] == 0.0
        assert mod.step_der(np.zeros(1))[0] == 0.0


# ------------------------------------------------------------------ extremes: no NaN/inf
# same shapes as Z and ROWS, so the compilations of the tests above are reused
BIG = np.resize([-1e4, -1e3, -100.0, 0.0, 100.0, 1e3, 1e4, -50.0, 50.0], Z.shape)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("impl", IMPLS)
def test_finite_at_huge_inputs(impl, dtype):
    mod = IMPLS[impl]
    z = BIG.astype(dtype)
    rows = np.stack([z[:4], z[4:8], z[8:12]], -1)
    bad = []
    for act in spec.ACTIVATIONS:
        x = rows if act.vector else z
        for name in [act.name, act.name + "_der"] + ([] if act.vector else [act.name + "_der2"]):
            if not np.all(np.isfinite(getattr(mod, name)(x))):
                bad.append(name)
    y = np.full_like(z, 0.25)
    for name in ("log_loss_logits", "log_loss_logits_der", "log_loss_logits_der2"):
        if not np.all(np.isfinite(getattr(mod, name)(z, y))):
            bad.append(name)
    ysim = np.full_like(rows, 1 / 3)
    for name in ("cross_entropy_logits", "cross_entropy_logits_der", "cross_entropy_logits_der2"):
        if not np.all(np.isfinite(getattr(mod, name)(rows, ysim))):
            bad.append(name)
    for p in spec.PAIRS:
        if p.valid:
            x, yy = (rows, ysim) if p.activation.vector else (z, y)
            if not np.all(np.isfinite(mod.delta(p.activation.name, p.cost.name, x, yy))):
                bad.append("delta " + p.name)
    assert not bad, f"{impl} [{dtype.__name__}] not finite at |z| up to 1e4: {bad}"


def test_elu_gradient_at_800_is_one_not_nan():
    for dtype in DTYPES:
        assert AD.elu_der(np.array([800.0, 1e4], dtype)).tolist() == [1.0, 1.0]
        assert AD.elu_der2(np.array([800.0], dtype)).tolist() == [0.0]


def test_stable_values_in_the_tails():
    z = np.array([-1e3, 1e3])
    np.testing.assert_array_equal(J.softplus(z), [0.0, 1e3])
    np.testing.assert_array_equal(AD.softplus_der(z), [0.0, 1.0])
    assert J.sigmoid_der(np.array([-40.0]))[0] == pytest.approx(4.248354255291589e-18, rel=1e-14)
    # log loss on logits: C(-40, 1) = 40 + log1p(e^-40), its derivative sigmoid(-40) - 1
    assert J.log_loss_logits(np.array([-40.0]), np.array([1.0]))[0] == 40.0
    d = J.delta("softmax", "cross_entropy", np.array([[1e4, 0.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(d, [[1.0, -1.0]])


# ------------------------------------------------------------------ delta and reductions
VALID_PAIRS = [p for p in spec.PAIRS if p.valid]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("p", VALID_PAIRS, ids=lambda p: p.name)
def test_delta_matches_reference_and_truth(p, impl):
    mod = IMPLS[impl]
    if p.activation.vector:
        z, y = ROWS, SIMPLEX
    else:
        z, y = Z, (PROB if p.cost.name in ("log_loss", "cross_entropy") else TARGET)
    for dtype in DTYPES:
        zz, yy = z.astype(dtype), y.astype(dtype)
        out = mod.delta(p.activation.name, p.cost.name, zz, yy)
        assert out.dtype == dtype
        ref = chain.delta(p.activation.name, p.cost.name, zz, yy)
        assert_close(out, ref, dtype, "reference", f"{impl}.delta {p.name}")
    tru = truth.pair_value(p.activation.name, p.cost.name, z, y, 1)
    out, tru = off_kinks(
        p.activation.kinks, z, mod.delta(p.activation.name, p.cost.name, z, y), tru
    )
    assert_close(out, tru, np.float64, "truth", p.name)


@pytest.mark.parametrize("impl", IMPLS)
def test_delta_on_logits_needs_identity(impl):
    mod = IMPLS[impl]
    z, y = Z[:4], TARGET[:4]
    np.testing.assert_array_equal(
        mod.delta("identity", "log_loss_logits", z, y), J.log_loss_logits_der(z, y)
    )
    with pytest.raises(ValueError, match="identity"):
        mod.delta("sigmoid", "log_loss_logits", z, y)
    with pytest.raises(ValueError, match="not valid"):
        mod.delta("relu", "log_loss", z, y)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_reductions(impl, reduction):
    mod = IMPLS[impl]
    for dtype in DTYPES:
        v = ROWS.astype(dtype)
        for name, kw in (("reduce", {}), ("reduce_der", {}), ("reduce_der", {"n": 4})):
            out = getattr(mod, name)(v, reduction, **kw)
            assert out.dtype == dtype
            assert_close(out, getattr(R, name)(v, reduction, **kw), dtype, "reference", name)


# ------------------------------------------------------------------ dtypes and x64 scoping
def test_float64_is_computed_in_float64():
    """Values that float32 cannot represent: a demotion to float32 would lose them."""
    x64 = jax.config.jax_enable_x64
    for mod in IMPLS.values():
        s = mod.sigmoid(np.array([1e-10]))
        assert s.dtype == np.float64 and s[0] - 0.5 == pytest.approx(2.5e-11, rel=1e-6)
        c = mod.half_squared(np.array([1.0 + 2**-40]), np.array([1.0]))
        assert c[0] == 2.0**-81
        d = mod.half_squared_der(np.array([1.0 + 2**-40]), np.array([1.0]))
        assert d[0] == 2.0**-40
        assert mod.tanh_der(np.array([1e-5]))[0] == pytest.approx(1 - 1e-10, rel=1e-15, abs=0)
        assert mod.tanh_der(np.array([1e-5]))[0] != 1.0
    assert jax.config.jax_enable_x64 == x64, "a float64 call changed the global x64 flag"


def test_float32_stays_float32_even_with_global_x64_on():
    z = Z.astype(np.float32)
    with jax.enable_x64(True):
        for mod in IMPLS.values():
            for name in ("sigmoid", "elu_der", "leaky_relu", "huber_der2", "gelu_der2"):
                args = inputs(name, np.float32)
                assert getattr(mod, name)(*args).dtype == np.float32, name
            assert (
                mod.delta(
                    "softmax", "cross_entropy", ROWS.astype(np.float32), SIMPLEX.astype(np.float32)
                ).dtype
                == np.float32
            )
    assert J.sigmoid(z).dtype == np.float32


def test_x64_flag_untouched_by_every_kind_of_call():
    before = jax.config.jax_enable_x64
    J.delta("sigmoid", "log_loss", PROB, TARGET)
    J.reduce(ROWS, "mean")
    AD.softmax_der(ROWS)
    assert jax.config.jax_enable_x64 == before


def test_jax_arrays_in_numpy_out():
    z = jax.numpy.asarray(Z, dtype=jax.numpy.float32)
    out = J.sigmoid(z)
    assert type(out) is np.ndarray and out.dtype == np.float32


def test_python_numbers_and_ints():
    assert J.sigmoid(0.0).dtype == np.float64
    assert J.relu(np.arange(3)).dtype == np.float64  # integers become float64, as in reference
    out = J.half_squared(np.ones(3, np.float32), 0.5)  # a Python number takes the array's dtype
    assert out.dtype == np.float32 and out.shape == (3,)


def test_mixed_dtypes_raise_one_line_type_error():
    a = np.ones(3, np.float32)
    y = np.ones(3, np.float64)
    for call in (
        lambda: J.half_squared(a, y),
        lambda: AD.log_loss_der(a, y),
        lambda: J.delta("sigmoid", "log_loss", a, y),
        lambda: J.softmax_vjp(a, y),
    ):
        with pytest.raises(TypeError, match="mixed dtypes") as exc:
            call()
        assert "\n" not in str(exc.value)
    with pytest.raises(TypeError, match="complex"):
        J.sigmoid(np.ones(2, np.complex64))


def test_bad_shapes_raise_value_error():
    with pytest.raises(ValueError, match="shapes differ"):
        J.half_squared(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="shapes differ"):
        J.half_squared(np.ones((2, 3)), np.ones(3))  # no broadcasting
    with pytest.raises(ValueError, match="last axis"):
        J.softmax(np.float64(1.0))
    with pytest.raises(ValueError, match="shapes differ"):
        J.delta("softmax", "cross_entropy", np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(spec.UnknownName):
        J.reduce(np.ones(3), "median")


def test_raw_jitted_functions_are_exposed():
    z = jax.numpy.linspace(-2.0, 2.0, 5)
    assert isinstance(J.jaxfns.sigmoid(z), jax.Array)
    assert isinstance(AD.jaxfns.tanh_der(z), jax.Array)
    assert J.raw["delta"]("sigmoid", "log_loss", z, jax.numpy.zeros(5)).shape == (5,)
