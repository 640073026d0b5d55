"""Parameterised registry entries: binding, ids, validation, truth at the bound values, the
implementations' keyword arguments, verify's drawn values and the parameter fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import gradspec.reference as R
from gradspec import spec
from gradspec.conformance.diagnosis import params as P
from gradspec.conformance.options import Options
from gradspec.conformance.runner import plan
from gradspec.conformance.targets.builtins import builtin
from gradspec.conformance.targets.namespace import DRAWS, draw_values
from gradspec.derivations import load
from gradspec.derivations import truth as T

PARAMETERISED = {
    "leaky_relu": "slope",
    "softplus": "beta",
    "elu": "alpha",
    "celu": "alpha",
    "hard_sigmoid": "slope",
    "huber": "delta",
    "smooth_l1": "beta",
    "focal": "gamma",
}


def test_the_parameterised_entries_and_their_defaults():
    got = {e.name: tuple(p.name for p in e.params) for e in spec.parameterised()}
    assert got == {k: (v,) for k, v in PARAMETERISED.items()}
    # torch's defaults (hard_sigmoid: relu6(z + 3) / 6; focal: the paper's gamma)
    defaults = [spec.default(n, p) for n, p in PARAMETERISED.items()]
    assert defaults == [0.01, 1.0, 1.0, 1.0, 1 / 6, 1.0, 1.0, 2.0]
    assert "lambda" in spec.activation("selu").constants and not spec.activation("selu").params


def test_bind_evaluates_expression_kinks_and_range_at_the_values():
    e = spec.activation("leaky_relu").bind({"slope": 0.2})
    assert e.id == "leaky_relu[slope=0.2]" and e.values == {"slope": 0.2}
    assert e.expr.subs(spec.Z, -1) == sp.Rational(-1, 5)  # the fraction 0.2 is the float of
    assert e.kinks[0].accepted == (0.2, 1.0)
    assert spec.activation("leaky_relu[slope=0.2]").kinks == e.kinks
    elu = spec.activation("elu[alpha=0.5]")
    assert elu.range.lo == -0.5
    # alpha != 1: f' itself jumps at 0 (from alpha to 1); alpha = 1: only f'' does
    assert (elu.kinks[0].order, elu.kinks[0].accepted) == (1, (0.5, 1.0))
    assert spec.activation("elu").kinks[0].order == 2
    assert spec.cost("huber[delta=2]").kinks[1].at == 2.0
    # unbound: the defaults, the plain name; the declaration stays symbolic
    lr = spec.activation("leaky_relu")
    assert lr.id == "leaky_relu" and lr.declared("expr").has(sp.Symbol("slope", positive=True))


@pytest.mark.parametrize(
    "text, match",
    [
        ("leaky_relu[slope=1.5]", "outside its valid range"),
        ("leaky_relu[slope=0]", "outside its valid range"),
        ("leaky_relu[slope=nan]", "outside its valid range"),
        ("leaky_relu[alpha=0.2]", "no parameter 'alpha'"),
        ("softplus[beta=x]", "must be a number"),
        ("relu[slope=0.1]", "no parameters"),
    ],
)
def test_invalid_values_are_one_line_errors(text, match):
    with pytest.raises(spec.InvalidParameter, match=match) as info:
        spec.activation(text)
    assert "\n" not in str(info.value)


def test_derivations_are_symbolic_and_truth_is_at_the_bound_value():
    d = load()
    assert d.activations["leaky_relu"]["d1"].has(sp.Symbol("slope", positive=True))
    z = np.array([-1.5, 0.5])
    assert T.activation_value("leaky_relu[slope=0.2]", z, 1).tolist() == [0.2, 1.0]
    assert T.activation_value("leaky_relu", z, 1).tolist() == [0.01, 1.0]
    beta = 2.0
    want = [math.log1p(math.exp(beta * v)) / beta for v in z]
    np.testing.assert_allclose(T.activation_value("softplus[beta=2]", z, 0), want, rtol=1e-15)
    r = T.cost_value("huber[delta=0.5]", np.array([3.0]), np.array([0.0]), 1)
    assert r.tolist() == [0.5]


def test_implementations_take_the_parameters_as_keywords():
    z = np.array([-2.0, -0.5, 1.0])
    for fn, kw in [
        ("leaky_relu", {"slope": 0.3}),
        ("elu", {"alpha": 0.5}),
        ("softplus", {"beta": 3.0}),
    ]:
        bound = f"{fn}[{next(iter(kw))}={spec.format_value(next(iter(kw.values())))}]"
        np.testing.assert_allclose(
            getattr(R, fn)(z, **kw), T.activation_value(bound, z, 0), rtol=1e-14
        )
        np.testing.assert_allclose(
            getattr(R, fn + "_der")(z, **kw), T.activation_value(bound, z, 1), rtol=1e-14
        )
    a, y = np.array([3.0, 0.2]), np.array([0.0, 0.0])
    np.testing.assert_allclose(
        R.huber(a, y, delta=2.0), T.cost_value("huber[delta=2]", a, y), rtol=1e-15
    )


def test_verify_checks_drawn_values_besides_the_defaults():
    for profile in ("quick", "ci"):
        drawn = [draw_values(spec.activation("leaky_relu"), profile) for _ in range(2)]
        assert drawn[0] == drawn[1] and len(drawn[0]) == DRAWS[profile]  # derandomized
        for values in drawn[0]:
            assert spec.activation("leaky_relu").params[0].valid.contains(values["slope"])
    planned = plan(builtin("numpy"), Options.make(profile="quick"))
    subjects = {pc.subject for pc in planned if pc.group != "pairs"}
    for name in PARAMETERISED:
        bound = [s for s in subjects if s.startswith(name + "[")]
        assert len(bound) == DRAWS["quick"], (name, bound)


def test_the_fit_names_the_value_the_code_uses_and_nothing_else():
    entry = spec.activation("leaky_relu[slope=0.2]")
    z = np.linspace(-2.0, 2.0, 9)
    found = P.estimate(
        entry, np.where(z >= 0, z, 0.01 * z), lambda v: R.leaky_relu(z, **v), np.float64
    )
    assert found == ("slope", 0.01)
    # the bound value itself, or a function no slope gives: no claim
    assert (
        P.estimate(entry, R.leaky_relu(z, slope=0.2), lambda v: R.leaky_relu(z, **v), np.float64)
        is None
    )
    assert P.estimate(entry, np.tanh(z), lambda v: R.leaky_relu(z, **v), np.float64) is None
