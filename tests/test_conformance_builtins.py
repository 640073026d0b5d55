"""The conformance suite as pytest items: every check of the built-in implementations, at the
quick profile (``gradspec verify`` runs the same checks at the ci profile)."""

from __future__ import annotations

import pytest

from gradspec.conformance.options import Options
from gradspec.conformance.runner import plan
from gradspec.conformance.targets.builtins import builtin


def _items(backend: str) -> list:
    checks = plan(builtin(backend), Options.make(profile="quick"))
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

    subjects = {pc.subject for pc in plan(builtin("numpy"), Options.make(profile="quick"))}
    assert {a.name for a in spec.ACTIVATIONS} <= subjects
    assert {c.name for c in spec.COSTS} <= subjects
    assert {p.name for p in spec.PAIRS if p.valid} <= subjects
