"""Diagnosis in isolation: results are diagnosed by their own check id, whatever their order;
the reference network's wrong variants; the catalog runner."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from gradspec import dtypes
from gradspec.conformance import runner
from gradspec.conformance.diagnosis import diagnose_report, matching
from gradspec.conformance.diagnosis.catalog import Signature, kind_of, run, texts
from gradspec.conformance.engine import numeric
from gradspec.conformance.engine.results import CheckResult
from gradspec.conformance.options import Options
from gradspec.conformance.report import Report
from gradspec.conformance.targets import candidate
from gradspec.reference import activations, mlp
from gradspec.reference.mlp import Arch, Variant

TWO_BUGS = """
import numpy as np

def tanh(z):
    return np.tanh(z)

def tanh_der(z):
    return np.tanh(z) ** 2 - 1  # sign flipped

def half_squared(a, y):
    return 0.5 * (a - y) ** 2

def half_squared_der(a, y):
    return 2 * (a - y)  # factor 2 too many
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    path = Path(tmp_path_factory.mktemp("cand")) / "two_bugs.py"
    path.write_text(TWO_BUGS)
    cand = candidate.load(str(path), timeout=10)
    options = Options.make(profile="quick", dtypes="float64", diagnose=False)
    report = Report(cand.ns.label, "quick")
    report.results = [runner.run_check(pc) for pc in runner.plan(cand, options)]
    yield cand, report
    cand.close()


def _ids(diagnosis: list[str]) -> set[str]:
    return {d.split(":", 1)[0] for d in diagnosis}


def test_diagnoses_follow_the_result_not_its_position(loaded) -> None:
    cand, report = loaded
    diagnose_report(cand, report)
    in_order = {r.id: list(r.diagnosis) for r in report.results}
    failed = [r for r in report.results if r.status == "fail"]
    assert {r.subject for r in failed} == {"tanh", "half_squared"}
    for r in failed:
        if r.check == "derivative":
            want = "sign_flipped" if r.subject == "tanh" else "factor2_extra"
            assert want in _ids(r.diagnosis), (r.id, r.diagnosis)

    shuffled = Report(report.implementation, report.profile)
    shuffled.results = [
        CheckResult(r.check, r.subject, r.dtype, r.status, r.message) for r in report.results
    ]
    random.Random(3).shuffle(shuffled.results)
    # a failure nothing in the catalog is about, in the middle: it stays undiagnosed
    shuffled.results.insert(2, CheckResult("composed", "sigmoid+log_loss", "float64", "fail"))
    diagnose_report(cand, shuffled)
    assert {r.id: r.diagnosis for r in shuffled.results[:2] + shuffled.results[3:]} == in_order
    assert shuffled.results[2].diagnosis == []


def test_kind_of_check() -> None:
    assert kind_of("value") == "value"
    assert kind_of("determinism_mutation") == "state"
    assert kind_of("derivative_numeric") == kind_of("reference") == "derivative"


def test_runner_tries_fallbacks_only_when_nothing_matched() -> None:
    entries = [
        Signature("a", "cost", lambda p: ["A"] if p else [], "a"),
        Signature("b", "cost", lambda p: ["B"], "b", fallback=True),
        Signature("c", "cost", lambda p: ["C"], "c", fallback=True),
        Signature("a", "cost", lambda p: ["A"], kinds=frozenset({"value"})),
    ]
    assert run(entries, True, "derivative") == ["a: A"]
    assert run(entries, False, "derivative") == ["b: B"]  # the first fallback ends the search
    assert run(entries, False, "value") == ["a: A"]
    assert texts(entries) == {"a": "a", "b": "b", "c": "c"}
    with pytest.raises(ValueError):
        texts([*entries, Signature("d", "cost", lambda p: [])])


ARCH = Arch((3, 4, 2), "tanh", "sigmoid", "log_loss", "mean", True)


def _batch():
    rng = np.random.default_rng(0)
    p = mlp.init_params(ARCH, 1)
    return p, rng.uniform(-1, 1, (5, 3)), rng.integers(0, 2, (5, 2)).astype(float)


def test_backprop_without_variant_is_grads() -> None:
    p, X, Y = _batch()
    g, deltas = mlp.backprop(ARCH, p, X, Y)
    ref = mlp.grads(ARCH, p, X, Y)
    assert all(np.array_equal(g[k], ref[k]) for k in p)
    assert [d.shape for d in deltas] == [(5, 4), (5, 2)]
    assert np.allclose(g["b1"], deltas[1].sum(axis=0))


def test_backprop_variant_substitutes_one_factor() -> None:
    p, X, Y = _batch()
    correct = mlp.grads(ARCH, p, X, Y)
    # the true factors substituted explicitly give the true gradient
    same = Variant(da_dz={0: lambda z, a: activations.tanh_der(z)})
    assert all(np.allclose(mlp.backprop(ARCH, p, X, Y, same)[0][k], correct[k]) for k in p)
    # 1 - a at the hidden layer changes only the gradient below the output layer
    wrong, _ = mlp.backprop(ARCH, p, X, Y, Variant(da_dz={0: lambda z, a: 1 - a}))
    assert np.array_equal(wrong["W1"], correct["W1"])
    assert not np.allclose(wrong["W0"], correct["W0"])
    # dC/da doubled at the output doubles every gradient
    twice, _ = mlp.backprop(ARCH, p, X, Y, Variant(dC_da=lambda a, y: 2 * (a - y) / (a * (1 - a))))
    assert all(np.allclose(twice[k], 2 * correct[k]) for k in p)


def test_numeric_gradient_of_a_network_loss() -> None:
    p, X, Y = _batch()
    flat, layout = mlp.flatten(p)
    g, err = numeric.gradient(lambda x: mlp.loss(ARCH, mlp.unflatten(x, layout), X, Y), flat, 1e-4)
    exact, _ = mlp.flatten(mlp.grads(ARCH, p, X, Y))
    assert np.allclose(g, exact, rtol=1e-8, atol=1e-11)
    assert np.all(err < 1e-8)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_matching_is_sized_for_low_precision(name: str) -> None:
    """A sign flip and a missing factor 2 are named in float16/bfloat16; the right answer
    rounded to the dtype matches no wrong formula, and equals itself."""
    dt = dtypes.resolve(name)
    t = np.linspace(-2, 2, 8) + 0.1
    rounded = t.astype(dt).astype(np.float64)
    assert matching.matches((-t).astype(dt), -t, t, dt)
    assert matching.matches((t / 2).astype(dt), t / 2, t, dt)
    assert not matching.matches(rounded, -t, t, dt)
    assert not matching.matches(rounded, t / 2, t, dt)
    assert matching.close(rounded, t, dtype=dt) and not matching.close(rounded, t)
    assert not matching.close(t / 2, t, dtype=dt)


def test_matching_in_float64_and_float32_unchanged() -> None:
    t = np.linspace(-2, 2, 8) + 0.1
    for dt in (np.dtype(np.float64), np.dtype(np.float32)):
        eps = float(np.finfo(dt).eps)
        assert matching.matches(-t, -t, t, dt)
        # 100 eps off the truth is not a wrong formula (slack 1e3 eps)
        assert not matching.matches(t * (1 + 100 * eps), -t, t, dt)
        assert matching.close(t * (1 + 2e-7), t, dtype=dt) == matching.close(t * (1 + 2e-7), t)


class _ReferenceLoss:
    """A namespace whose ``loss`` is the reference network's (so its own gradient is known)."""

    label = "reference loss"

    def __init__(self, arch: Arch, dtype: np.dtype) -> None:
        self.arch, self.dtype, self.calls = arch, dtype, 0

    def call(self, name: str, params: dict, X: np.ndarray, Y: np.ndarray) -> float:
        assert name == "loss"
        self.calls += 1
        return mlp.loss(self.arch, params, X.astype(self.dtype), Y.astype(self.dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_own_gradient_screen_keeps_the_own_gradient_and_turns_away_a_wrong_one(
    activation: str, dtype: type
) -> None:
    """The cheap screen before the network's numeric gradient (declared_function_differs):
    the loss's own gradient, even rounded to the dtype, is never turned away; a gradient with
    one entry off by a tenth of max|g| is, after one directional slope (at most 2 NTAB loss
    calls, not 2 NTAB n)."""
    from gradspec.conformance.diagnosis.networks import GradientProbe
    from gradspec.conformance.targets.networks import NetTarget

    arch = Arch((3, 4, 2), activation)
    dt = np.dtype(dtype)
    ns = _ReferenceLoss(arch, dt)
    target = NetTarget("net", ns, arch)
    p = mlp.init_params(arch, 0, dt)
    rng = np.random.default_rng(2)
    X, Y = rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, (5, 2))
    own, _ = mlp.flatten(mlp.grads(arch, {k: v.astype(np.float64) for k, v in p.items()}, X, Y))
    probe = GradientProbe(target, dt, p, X, Y, {}, {}, None)
    assert probe.may_be_own_gradient(own.astype(dt).astype(np.float64))
    wrong = own.copy()
    wrong[own.size // 2] += 0.1 * np.max(np.abs(own))
    ns.calls = 0
    assert not probe.may_be_own_gradient(wrong)
    assert ns.calls <= 2 * numeric.NTAB < own.size * 2 * numeric.NTAB
    assert not probe.may_be_own_gradient(own[:-1])  # the wrong size: no loss call, no error
