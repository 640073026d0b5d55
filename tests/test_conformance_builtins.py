"""The conformance suite as pytest items: every check of the built-in implementations, at the
quick profile (``gradspec verify`` runs the same checks at the ci profile)."""

from __future__ import annotations

import pytest

from gradspec.conformance.runner import plan
from gradspec.conformance.targets.builtins import builtin
from gradspec.conformance.targets.namespace import bind


def _items(backend: str) -> list:
    target = builtin(backend)
    checks = plan(
        target.namespace, bind(target.namespace), profile="quick", networks=target.networks
    )
    return [pytest.param(pc, id=f"{backend}:{pc.id}") for pc in checks]


@pytest.mark.parametrize("check", _items("numpy"))
def test_numpy_reference_conforms(check):
    res = check.run()
    assert res.status in ("pass", "skip"), (
        f"{res.id}: {res.status}: {res.message}\n{res.reproducer}"
    )


@pytest.mark.parametrize("check", _items("jax"))
def test_jax_backend_conforms(check):
    res = check.run()
    assert res.status in ("pass", "skip"), (
        f"{res.id}: {res.status}: {res.message}\n{res.reproducer}"
    )


def test_every_registry_entry_is_checked_on_the_reference():
    from gradspec import spec

    target = builtin("numpy")
    subjects = {
        pc.subject for pc in plan(target.namespace, bind(target.namespace), profile="quick")
    }
    assert {a.name for a in spec.ACTIVATIONS} <= subjects
    assert {c.name for c in spec.COSTS} <= subjects
    assert {p.name for p in spec.PAIRS if p.valid} <= subjects
