"""The derivations: cache in step with the registry, closed forms proved, truth sound."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest

from gradspec import spec
from gradspec.derivations import cache, derive_all, render, truth


@pytest.fixture(scope="module")
def fresh():
    return derive_all()


def test_shipped_cache_is_in_step_with_registry(fresh):
    shipped = json.loads(cache.SHIPPED.read_text())
    assert shipped["fingerprint"] == cache.fingerprint(), (
        "derivations/derived.json is stale: run "
        "`python -c 'from gradspec.derivations import write_shipped; write_shipped()'`"
    )
    again = cache.to_json(fresh, cache.fingerprint())
    assert again == shipped


def test_every_entry_and_valid_pair_is_derived(fresh):
    assert set(fresh.activations) == {a.name for a in spec.ACTIVATIONS}
    assert set(fresh.costs) == {c.name for c in spec.COSTS}
    assert set(fresh.pairs) == {p.name for p in spec.PAIRS if p.valid}


def test_classic_closed_forms_are_proved(fresh):
    for name in ("sigmoid+log_loss", "softmax+cross_entropy", "identity+half_squared"):
        assert fresh.closed_forms[name] is True, name


def test_output_forms_are_proved(fresh):
    for act in spec.ACTIVATIONS:
        if act.output_derivative is not None or act.vector:
            assert fresh.output_forms[act.name] is True, act.name


def test_fingerprint_changes_with_the_registry(monkeypatch):
    before = cache.fingerprint()
    acts = list(spec.ACTIVATIONS)
    import dataclasses

    acts[2] = dataclasses.replace(acts[2], expr=acts[2].expr * 2)
    monkeypatch.setattr(cache, "ACTIVATIONS", tuple(acts))
    assert cache.fingerprint() != before


def test_spec_doc_is_current():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "spec.md"
    assert doc.read_text() == render.to_markdown(), (
        "docs/spec.md is stale: run `gradspec derive --out docs/spec.md`"
    )


def test_json_render_lists_everything():
    data = json.loads(render.to_json())
    assert {a["name"] for a in data["activations"]} == {a.name for a in spec.ACTIVATIONS}
    pairs = {p["name"]: p for p in data["pairs"]}
    assert pairs["sigmoid+log_loss"]["dC_dz"] == "a - y"
    assert all("dC_dz" in p for p in data["pairs"] if p["valid"])


# --- ground truth ---------------------------------------------------------------------------


def test_truth_matches_mpmath_written_independently():
    # Formulas typed here by hand, evaluated at 50 digits: an independent check of the
    # SymPy -> mpmath path.
    z = np.array([-30.0, -2.5, 0.1, 3.0, 40.0])
    with mpmath.workdps(50):
        sig = [mpmath.mpf(1) / (1 + mpmath.exp(-mpmath.mpf(x))) for x in z]
        sp1 = [mpmath.log(1 + mpmath.exp(mpmath.mpf(x))) for x in z]
        gelu = [mpmath.mpf(x) / 2 * mpmath.erfc(-mpmath.mpf(x) / mpmath.sqrt(2)) for x in z]
    np.testing.assert_array_equal(truth.activation_value("sigmoid", z), [float(v) for v in sig])
    np.testing.assert_array_equal(truth.activation_value("softplus", z), [float(v) for v in sp1])
    np.testing.assert_array_equal(truth.activation_value("gelu", z), [float(v) for v in gelu])


def test_truth_survives_total_cancellation():
    # 1 + erf(-30/sqrt 2) vanishes below ~200 digits; the truth must not be 0.
    v = float(truth.activation_value("gelu", np.array([-30.0]))[0])
    assert v < 0 and math.isfinite(v)
    assert v == pytest.approx(-15 * math.erfc(30 / math.sqrt(2)), rel=1e-12)


def test_truth_of_pairs_matches_chain_rule():
    z = np.linspace(-5, 5, 11)
    y = np.linspace(0, 1, 11)
    fused = truth.pair_value("sigmoid", "log_loss", z, y)
    a = truth.activation_value("sigmoid", z)
    np.testing.assert_allclose(fused, a - y, rtol=1e-15, atol=1e-16)
    zz = np.array([[0.3, -4.0, 2.0], [10.0, 0.0, -10.0]])
    yy = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    soft = truth.activation_value("softmax", zz)
    np.testing.assert_allclose(
        truth.pair_value("softmax", "cross_entropy", zz, yy), soft - yy, rtol=1e-14, atol=1e-16
    )


def test_softmax_jacobian_truth_has_output_form():
    z = np.array([[0.5, -1.0, 2.0, 0.0]])
    a = truth.activation_value("softmax", z)[0]
    jac = truth.activation_value("softmax", z, 1)[0]
    np.testing.assert_allclose(jac, np.diag(a) - np.outer(a, a), rtol=1e-14, atol=1e-17)


def test_invalid_pair_has_no_truth():
    with pytest.raises(ValueError, match="not a valid pair"):
        truth.pair_value("relu", "log_loss", np.zeros(2), np.zeros(2))


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(spec.UnknownName, match=r"known: .*sigmoid"):
        spec.activation("sigmoidd")
