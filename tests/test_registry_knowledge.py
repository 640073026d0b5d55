"""The pair and protocol knowledge the registry declares, and the implementations reading it."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import gradspec.jaxbackend as J
import gradspec.reference as R
from gradspec import spec
from gradspec.derivations import load
from gradspec.jaxbackend import autodiff as AD

WITH_INVERSE = [a for a in spec.ACTIVATIONS if a.inverse is not None]


def _points(act: spec.Activation) -> list[float]:
    """Outputs a = f(z) at a few z on both sides of 0 (off the kinks)."""
    f = sp.lambdify(spec.Z, act.expr, modules="mpmath")
    return [float(f(mpmath.mpf(z))) for z in (-3.0, -0.7, 0.4, 2.5)]


@pytest.mark.parametrize("act", WITH_INVERSE, ids=lambda a: a.name)
def test_inverse_gives_the_output_form(act):
    """f'(f^-1(a)) = output_derivative(a): the preimage the autodiff backend evaluates at."""
    d1 = sp.lambdify(spec.Z, sp.diff(act.expr, spec.Z), modules="mpmath")
    inv = sp.lambdify(spec.A, act.inverse, modules="mpmath")
    out = sp.lambdify(spec.A, act.output_derivative, modules="mpmath")
    kinks = [k.at for k in act.kinks]
    with mpmath.workdps(40):
        for a in _points(act):
            z = inv(mpmath.mpf(a))
            if any(abs(z - k) < 1e-30 for k in kinks):
                continue  # relu's a = 0: the convention at the kink is the backend's rule
            assert float(d1(z)) == pytest.approx(float(out(mpmath.mpf(a))))


def test_every_activation_with_an_inverse_has_an_autodiff_output_form():
    have = {a.name for a in spec.ACTIVATIONS if hasattr(AD, f"{a.name}_der_output")}
    assert have == {a.name for a in WITH_INVERSE}


def test_an_inverse_needs_an_output_form():
    with pytest.raises(ValueError, match="output_derivative"):
        spec.Activation("x", "f(z) = z", spec.Z, spec.REALS, inverse=spec.A)


def test_costs_on_logits_name_what_they_fuse():
    fused = {c.name: c.fuses for c in spec.COSTS if c.inputs == "logits"}
    assert {"log_loss_logits": "sigmoid", "cross_entropy_logits": "softmax"}.items() <= (
        fused.items()
    )
    assert fused["poisson_nll_log"] == "exp"
    for c in spec.COSTS:
        if c.inputs == "logits":  # a registry activation, or a link with no activation entry
            assert c.fuses in spec.FUSED_LINKS or spec.activation(c.fuses).name == c.fuses
    with pytest.raises(ValueError, match="fuses"):
        spec.Cost("x", "C", spec.Z, spec.REALS, spec.REALS, inputs="logits")


def test_closed_forms_are_declared_on_the_costs():
    claimed = {p.name: p.closed_form for p in spec.PAIRS if p.closed_form}
    classic = {
        "identity+half_squared": "a - y",
        "identity+squared": "2*(a - y)",
        "sigmoid+log_loss": "a - y",
        "softmax+cross_entropy": "a - y",
        "softmax+kl_div": "a - y",
    }
    assert classic.items() <= claimed.items()
    # every claim, classic or not, is proved by the derivations
    proved = load().closed_forms
    assert {name: proved.get(name) for name in claimed} == dict.fromkeys(claimed, True)
    # evaluate=False keeps the written order of operations, the one implementations round
    unevaluated = spec.closed_form_expr(spec.pair("identity", "squared"), evaluate=False)
    assert str(unevaluated) == "2*(a - y)"


@pytest.mark.parametrize(
    ("activation", "cost", "match"),
    [
        ("sigmoid", "log_loss_logits", r"includes its output activation \(sigmoid\).*identity"),
        ("softmax", "cross_entropy_logits", r"\(softmax\); use output activation 'identity'"),
        ("relu", "log_loss", "pair relu[+]log_loss is not valid: .*prediction domain"),
    ],
)
def test_one_output_layer_rule_and_message_everywhere(activation, cost, match):
    with pytest.raises(ValueError, match=match) as expected:
        spec.validate_output_layer(activation, cost)
    z = np.zeros((2, 3))
    for delta in (R.delta, J.delta, AD.delta):
        with pytest.raises(ValueError) as got:
            delta(activation, cost, z, z)
        assert str(got.value) == str(expected.value)


def test_valid_output_layers_resolve_to_entries():
    act, c = spec.validate_output_layer("identity", "softmax_cross_entropy")
    assert (act.name, c.name) == ("identity", "cross_entropy_logits")
    act, c = spec.validate_output_layer("silu", "half_squared")
    assert (act.name, c.name) == ("swish", "half_squared")
    with pytest.raises(spec.UnknownName):
        spec.validate_output_layer("nope", "half_squared")


def test_alias_names_follow_protocol_names():
    assert spec.alias_names(spec.activation("swish")) == {
        "silu": "swish",
        "silu_der": "swish_der",
        "silu_der2": "swish_der2",
    }


def test_reference_implements_every_protocol_name():
    """The reference exports what its modules define; all of the registry must be there."""
    exported = set(R.__all__)
    assert set(spec.all_protocol_names()) <= exported
    for e in (*spec.ACTIVATIONS, *spec.COSTS):
        for alias, name in spec.alias_names(e).items():
            assert getattr(R, alias) is getattr(R, name)


def test_jax_backends_implement_every_protocol_name():
    assert set(J.protocol_names()) == set(spec.all_protocol_names())
    assert set(J.protocol_names("autodiff")) == set(spec.all_protocol_names())


@pytest.mark.parametrize("p", [p for p in spec.PAIRS if p.closed_form], ids=lambda p: p.name)
def test_reference_delta_is_the_closed_form(p):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 3)) * 3
    y = rng.uniform(size=(5, 3))
    if p.cost.target_simplex:
        y = y / y.sum(axis=-1, keepdims=True)
    a = getattr(R, p.activation.name)(z)
    expected = sp.lambdify(
        (spec.A, spec.Y), spec.closed_form_expr(p, evaluate=False), modules="numpy"
    )(a, y)
    np.testing.assert_array_equal(R.delta(p.activation.name, p.cost.name, z, y), expected)


def test_expressions_in_a_stable_form_equal_their_definition():
    """mish is written as a rational function of e^z (the log form lets the mpmath truth lose
    the e^z term of f' for z << 0); it must still be z tanh(softplus(z))."""
    z = spec.Z
    definition = z * sp.tanh(sp.log(1 + sp.exp(z)))
    assert sp.simplify(spec.activation("mish").expr - definition.rewrite(sp.exp)) == 0


def test_selu_constants_are_the_published_ones_exactly():
    """The 31 digits of Klambauer et al. as exact rationals; the floats every library uses."""
    assert (spec.SELU_LAMBDA, spec.SELU_ALPHA) == (1.0507009873554805, 1.6732632423543772)
    lam, alpha = (
        sp.Rational(d)
        for d in ("1.0507009873554804934193349852946", "1.6732632423543772848170429916717")
    )
    negative = spec.activation("selu").expr.subs(spec.Z, -1)
    assert sp.simplify(negative - lam * alpha * (sp.exp(-1) - 1)) == 0
