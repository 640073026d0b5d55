"""Proving the checker: planted bugs are rejected by the intended check, and correct
variants (float32, other subgradients at kinks) are accepted."""

from __future__ import annotations

import types

import numpy as np
import pytest

import gradspec.reference as R
from gradspec.conformance import runner
from gradspec.conformance.options import Options
from gradspec.conformance.targets.namespace import ModuleNamespace, bind
from gradspec.conformance.targets.target import in_process


def _run(functions: dict, dtypes=("float64",), only=None) -> dict[str, str]:
    """Run every applicable check on a namespace of ``functions``; {check id: status}."""
    target = in_process(functions, "candidate")
    options = Options.make(profile="quick", dtypes=dtypes, only=only, diagnose=False)
    rep = runner.run(target, options)
    return {r.id: r.status for r in rep.results}


def _failed(statuses: dict[str, str]) -> set[str]:
    return {k for k, v in statuses.items() if v in ("fail", "error")}


def _sigmoid64(z):
    return R.sigmoid(z)


BUGS = {
    # name: (functions, check ids that must fail)
    "error value used in place of its derivative": (
        {"half_squared": R.half_squared, "half_squared_der": lambda a, y: 0.5 * (a - y) ** 2},
        {"derivative[half_squared:float64]", "derivative_numeric[half_squared:float64]"},
    ),
    "wrong sign": (
        {"sigmoid": R.sigmoid, "sigmoid_der": lambda z: -R.sigmoid_der(z)},
        {"derivative[sigmoid:float64]", "derivative_numeric[sigmoid:float64]"},
    ),
    "missing factor 2": (
        {"squared": R.squared, "squared_der": lambda a, y: a - y},
        {"derivative[squared:float64]", "derivative_numeric[squared:float64]"},
    ),
    "mean without 1/N": (
        {"reduce": R.reduce, "reduce_der": lambda g, red: np.asarray(g, dtype=float)},
        {"reduction[none|sum|mean:float64]"},
    ),
    "tanh' as 1 - a": (
        {"tanh": R.tanh, "tanh_der": lambda z: 1 - np.tanh(z)},
        {"derivative[tanh:float64]", "derivative_numeric[tanh:float64]"},
    ),
    "leaky slope mismatch": (
        {
            "leaky_relu": R.leaky_relu,
            "leaky_relu_der": lambda z: np.where(np.asarray(z) < 0, 0.1, 1.0),
        },
        {
            "derivative[leaky_relu:float64]",
            "derivative_numeric[leaky_relu:float64]",
            "kinks[leaky_relu:float64]",
        },
    ),
    "sigma' applied to z when it expects a (declared as taking z)": (
        {"sigmoid": R.sigmoid, "sigmoid_der": lambda z: z * (1 - z), "SIGMOID_DER_WRT": "input"},
        {"derivative[sigmoid:float64]"},
    ),
    "coarse numeric derivative posing as exact": (
        {
            "sigmoid": R.sigmoid,
            "sigmoid_der": lambda z: (R.sigmoid(z + 1e-4) - R.sigmoid(z - 1e-4)) / 2e-4,
        },
        {"derivative_numeric[sigmoid:float64]"},
    ),
    "overflow-prone formula": (
        {"softplus": lambda z: np.log(1 + np.exp(z)), "softplus_der": R.softplus_der},
        {"extremes[softplus:float64]"},
    ),
    "activation derivative taken twice in the fused delta": (
        {
            "delta": lambda act, cost, z, y: (
                R.delta(act, cost, z, y)
                * (R.sigmoid_der(z) if (act, cost) == ("sigmoid", "log_loss") else 1.0)
            )
        },
        {"composed[sigmoid+log_loss:float64]"},
    ),
    "softmax Jacobian transposed sign": (
        {"softmax": R.softmax, "softmax_der": lambda z: -R.softmax_der(z)},
        {"derivative[softmax:float64]"},
    ),
    "log loss derivative without the (1 - y) term": (
        {"log_loss": R.log_loss, "log_loss_der": lambda a, y: -y / a},
        {"derivative[log_loss:float64]", "derivative_numeric[log_loss:float64]"},
    ),
    "relu derivative outside the subgradient at 0": (
        {
            "relu": R.relu,
            "relu_der": lambda z: np.where(
                np.asarray(z) > 0, 1.0, np.where(np.asarray(z) == 0, 2.0, 0.0)
            ),
        },
        {"kinks[relu:float64]"},
    ),
    "derivative mutates its input": (
        {"tanh": R.tanh, "tanh_der": lambda z: _mutating_tanh_der(z)},
        {"determinism_mutation[tanh:float64]"},
    ),
}


def _stable_sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # float32 in, float32 throughout
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _mutating_tanh_der(z):
    out = 1 - np.tanh(z) ** 2
    if isinstance(z, np.ndarray):
        z *= 0
    return out


@pytest.mark.parametrize("name", list(BUGS))
def test_planted_bug_is_rejected_by_the_intended_check(name):
    functions, must_fail = BUGS[name]
    dtypes = ("float32",) if any(":float32" in c for c in must_fail) else ("float64",)
    statuses = _run(functions, dtypes=dtypes)
    missing = must_fail - set(statuses)
    assert not missing, f"checks not run: {missing}"
    assert must_fail <= _failed(statuses), {k: statuses[k] for k in must_fail}


CORRECT = {
    "sigmoid computed in the input's dtype, derivative as s(1 - s)": {
        "sigmoid": lambda z: _stable_sigmoid(np.asarray(z)),
        "sigmoid_der": lambda z: (
            _stable_sigmoid(np.asarray(z)) * (1 - _stable_sigmoid(np.asarray(z)))
        ),
    },
    "relu' = 1 at the kink (a valid subgradient)": {
        "relu": R.relu,
        "relu_der": lambda z: (np.asarray(z) >= 0).astype(np.asarray(z).dtype),
    },
    "leaky relu' = slope at the kink": {
        "leaky_relu": R.leaky_relu,
        "leaky_relu_der": lambda z: np.where(np.asarray(z) > 0, 1.0, 0.01).astype(
            np.asarray(z).dtype
        ),
    },
    "absolute' = 0.5 at the kink": {
        "absolute": R.absolute,
        "absolute_der": lambda a, y: np.where(
            np.asarray(a) == np.asarray(y), 0.5, np.sign(np.asarray(a) - np.asarray(y))
        ).astype(np.asarray(a).dtype),
    },
    "tanh in float32 with the output form": {
        "tanh": lambda z: np.tanh(z),
        "tanh_der": lambda z: (1 - np.tanh(z) ** 2).astype(np.asarray(z).dtype),
    },
    "the whole NumPy reference": {n: getattr(R, n) for n in R.__all__},
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_variant_is_accepted(name):
    statuses = _run(
        CORRECT[name],
        dtypes=("float32", "float64"),
        only=None if name != "the whole NumPy reference" else ["activations"],
    )
    assert statuses, "no check ran"
    assert not _failed(statuses), {k: v for k, v in statuses.items() if v != "pass"}


def test_bindings_follow_the_protocol_names():
    ns = ModuleNamespace(
        types.SimpleNamespace(
            dsigmoid=R.sigmoid_der,
            SIGMOID_DER_WRT="output",
            cost=R.huber,
            dcost=R.huber_der,
            COST="huber",
        ),
        "x",
        None,
    )
    b = bind(ns)
    (act,) = b.activations
    assert (act.entry.name, act.der, act.der_wrt) == ("sigmoid", "dsigmoid", "output")
    (c,) = b.costs
    assert (c.entry.name, c.value, c.der, c.reduction) == ("huber", "cost", "dcost", "none")


#: Right math that a careful implementer wants to know about: each check must warn, not fail.
WARNS = {
    "float32 input returned as float64": (
        {"sigmoid": lambda z: R.sigmoid(np.asarray(z, dtype=np.float64))},
        {"shape_dtype[sigmoid:float32]"},
        ("float32",),
    ),
    "output form a (1 - a) without a declaration (inferred)": (
        {"sigmoid": R.sigmoid, "sigmoid_der": lambda a: a * (1 - a)},
        {"derivative[sigmoid:float64]", "derivative_numeric[sigmoid:float64]"},
        ("float64",),
    ),
    "relu(nan) = 0": (
        {"relu": lambda z: np.where(z >= 0, z, 0.0)},
        {"extremes[relu:float64]"},
        ("float64",),
    ),
}


@pytest.mark.parametrize("name", list(WARNS))
def test_right_math_with_a_remark_warns(name):
    functions, must_warn, dtypes = WARNS[name]
    statuses = _run(functions, dtypes=dtypes)
    assert not _failed(statuses), statuses
    assert {statuses[c] for c in must_warn} == {"warn"}, statuses
