"""Pairs (output activation + cost) at parameter values other than the defaults: ``delta``
with bound ids in the built-ins, the planned pairs and their ids (declared, drawn), the
strategy's kinks, what a candidate's delta receives, and the diagnosis of a delta at another
value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, find, settings

import gradspec.reference as R
from gradspec import spec
from gradspec import strategies as gst
from gradspec.conformance import api
from gradspec.conformance.checks import pairs as P
from gradspec.conformance.diagnosis.pairs import probe_inputs
from gradspec.conformance.options import Options
from gradspec.conformance.runner import plan
from gradspec.conformance.targets.builtins import builtin
from gradspec.conformance.targets.namespace import draw_values
from gradspec.conformance.targets.target import in_process
from gradspec.derivations import truth as T


def _bound(e: spec.Activation | spec.Cost) -> spec.Activation | spec.Cost:
    """``e`` at its first quick draw (never the defaults), unchanged without parameters."""
    return e.bind(draw_values(e, "quick")[0]) if e.params else e


#: Every valid pair with a parameterised entry, both entries at a drawn value.
BOUND_PAIRS = [
    spec.pair(_bound(p.activation).id, _bound(p.cost).id)
    for p in spec.PAIRS
    if p.valid and (p.activation.params or p.cost.params)
]


def _impls() -> dict:
    from gradspec import jaxbackend as J
    from gradspec.jaxbackend import autodiff as JA

    return {"numpy": R, "jax": J, "jax-autodiff": JA}


@pytest.mark.parametrize("impl", ["numpy", "jax", "jax-autodiff"])
def test_delta_at_bound_ids_is_the_truth_there(impl: str) -> None:
    delta = _impls()[impl].delta
    moved = 0
    for p in BOUND_PAIRS:
        z, y = probe_inputs(p, np.dtype(np.float64))
        t = T.pair_value(p.activation.id, p.cost.id, z, y)
        got = delta(p.activation.id, p.cost.id, z, y)
        np.testing.assert_allclose(got, t, rtol=1e-12, atol=1e-13, err_msg=f"{impl} {p.id}")
        moved += not np.allclose(t, T.pair_value(p.activation.name, p.cost.name, z, y))
    # the values matter on the probe: a delta ignoring them would fail above
    assert len(BOUND_PAIRS) == 77 and moved >= 70


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_bound_stable_forms_stay_finite_at_huge_logits(dtype) -> None:
    """The JAX backend's stable deltas of parameterised pairs (focal's gamma, softplus's
    beta) are the ones at the bound values: finite at |z| up to 1e4, as at the defaults
    (tests/test_jax_functions.py::test_finite_at_huge_inputs)."""
    z = np.array([-1e4, -300.0, -60.0, 0.5, 60.0, 300.0, 1e4, -1e4], dtype)
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], dtype)
    rows, onehot = z.reshape(2, 4), np.eye(4, dtype=dtype)[[0, 3]]
    for impl, mod in _impls().items():
        if impl == "numpy":  # the reference's stable forms are not a JAX backend's
            continue
        for act, cost, zz, yy in [
            ("sigmoid", "focal[gamma=3]", z, y),
            ("softmax", "focal[gamma=0.5]", rows, onehot),
            ("softplus[beta=2.5]", "poisson_nll", z, np.full_like(z, 2.0)),
        ]:
            assert np.all(np.isfinite(mod.delta(act, cost, zz, yy))), (impl, act, cost)


def test_pair_ids_carry_the_drawn_values_one_partner_each() -> None:
    pcs = [
        pc for pc in plan(builtin("numpy"), Options.make(profile="quick")) if pc.group == "pairs"
    ]
    bound = [pc for pc in pcs if "[" in pc.subject]
    drawn = {e.bind(v).id: e for e in spec.parameterised() for v in draw_values(e, "quick")}
    for dtype in {pc.dtype for pc in pcs}:
        here = [pc.subject for pc in bound if pc.dtype == dtype]
        # each drawn entry in PARTNERS["quick"] pairs, the partner at its defaults
        assert sorted(s for s in here) == sorted(set(here))
        used = [part for s in here for part in P.split_id(s) if part in drawn]
        assert sorted(used) == sorted(drawn) and len(here) == len(drawn) * P.PARTNERS["quick"]
        for s in here:
            act, cost = P.split_id(s)
            assert spec.pair(act, cost).valid and ("[" in act) != ("[" in cost)
    assert bound[0].id == f"composed[{bound[0].subject}:{bound[0].dtype}]"
    assert "composed[softplus+squared:float64]" in {pc.id for pc in pcs}


def test_partners_are_derandomized_and_thorough_draws_more() -> None:
    e = spec.activation("softplus[beta=2]")
    formed = [spec.pair(e.id, c.id) for c in spec.COSTS if spec.pair(e.id, c.id).valid]
    assert P.partners(e, formed, "ci") == P.partners(e, formed, "ci")
    assert len(P.partners(e, formed, "thorough")) == P.PARTNERS["thorough"] > 1


def test_pair_id_split_and_entry_names() -> None:
    assert P.split_id("softplus[beta=2]+huber[delta=1e+20]") == (
        "softplus[beta=2]",
        "huber[delta=1e+20]",
    )
    assert P.entry_names("softplus[beta=2]+huber") == ("softplus", "huber")
    assert P.entry_names("sigmoid+log_loss") == ("sigmoid", "log_loss")


def test_the_pair_strategy_uses_the_bound_kinks() -> None:
    """hard_sigmoid's corners move with the slope (z = +-1/(2 slope)): the pair's inputs are
    drawn near the bound ones (+-2 at slope 1/4), not only near the defaults' +-3."""
    p = spec.pair("hard_sigmoid[slope=0.25]", "squared")
    assert sorted(k.at for k in p.activation.kinks) == [-2.0, 2.0]
    near = find(
        gst.pair_inputs(p),
        lambda t: bool(np.any(np.abs(np.abs(t[0]) - 2.0) < 1e-3)),
        settings=settings(max_examples=2000, suppress_health_check=list(HealthCheck)),
    )
    assert np.all(np.abs(np.abs(near[0]) - 2.0) > 0)  # near, never on


def _candidate(huber_delta_in_delta: float) -> dict:
    """A candidate declaring huber's delta = 2, with a delta that composes huber at
    ``huber_delta_in_delta`` (2: consistent; 1: torch's default, the declared value
    ignored).  It records the names it is called with."""
    calls: set[tuple[str, str]] = set()

    def delta(activation, cost, z, y):
        calls.add((activation, cost))
        if cost == "huber":
            cost = f"huber[delta={spec.format_value(huber_delta_in_delta)}]"
        return R.delta(activation, cost, z, y)

    return {"PARAMS": {"huber": {"delta": 2.0}}, "delta": delta, "calls": calls}


def test_a_candidates_params_bind_its_pairs_and_delta_gets_names() -> None:
    cand = _candidate(2.0)
    target = in_process(cand)
    pcs = plan(target, Options.make(profile="quick", dtypes=["float64"]))
    ids = {pc.id for pc in pcs}
    assert "composed[identity+huber[delta=2]:float64]" in ids
    assert "composed[identity+huber:float64]" not in ids
    # the declared value only: no drawn pairs for third-party code
    bound = {part for pc in pcs for part in P.split_id(pc.subject) if "[" in part}
    assert bound == {"huber[delta=2]"} and len(pcs) == 187
    assert any("pairs of huber checked at the PARAMS values" in n for n in target.notes)
    rep = api.check(cand, only="pairs", dtypes=["float64"], profile="quick")
    assert rep.ok, [(r.id, r.message) for r in rep.failed]
    assert ("identity", "huber") in cand["calls"]
    assert all("[" not in a + c for a, c in cand["calls"])


def test_a_delta_ignoring_the_declared_value_fails_and_is_named() -> None:
    rep = api.check(_candidate(1.0), only="pairs", dtypes=["float64"], profile="quick")
    failed = {r.id: r.diagnosis for r in rep.failed}
    assert "composed[identity+huber[delta=2]:float64]" in failed
    assert all("huber[delta=2]" in i for i in failed)
    assert failed["composed[identity+huber[delta=2]:float64]"] == [
        "parameter_mismatch: the huber in delta('identity', 'huber', z, y) behaves as "
        "delta = 1 (checked at delta = 2)"
    ]
