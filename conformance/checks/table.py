"""Which elementwise checks apply to which subject, and the planned list for one
implementation: every bound activation and cost gets its family of checks per dtype,
reductions when it has ``reduce``, every valid pair a composed check when it has ``delta``."""

from __future__ import annotations

from collections.abc import Callable

from gradspec import spec
from gradspec.conformance.checks import activation as checks_activation
from gradspec.conformance.checks import cost as checks_cost
from gradspec.conformance.checks.common import Ctx, with_notes
from gradspec.conformance.checks.plan import PlannedCheck
from gradspec.conformance.engine.results import CheckResult
from gradspec.conformance.targets import convention
from gradspec.conformance.targets.namespace import Bindings, Namespace

#: Activation checks that call the derivative (they carry an inferred convention's warning).
_USES_DER = {"derivative", "derivative_numeric", "kinks", "extremes", "shape_dtype"}


def _noted(thunk: Callable[[], CheckResult], notes: list[str]) -> Callable[[], CheckResult]:
    return lambda: with_notes(thunk(), notes)


def plan(
    ns: Namespace,
    bindings: Bindings,
    *,
    profile: str,
    dtypes: tuple[str, ...],
    groups: set[str],
) -> list[PlannedCheck]:
    """The function-level checks (groups activations, costs, pairs), in report order."""
    out: list[PlannedCheck] = []
    if "activations" in groups:
        for b in bindings.activations:
            convention.infer(ns, b)
    for dtype in dtypes:
        ctx = Ctx(ns, profile, dtype)
        if "activations" in groups:
            for b in bindings.activations:
                notes = [convention.note(b)] if b.wrt_inferred else []
                for name, thunk in checks_activation.all_checks(ctx, b):
                    if notes and name in _USES_DER:
                        thunk = _noted(thunk, notes)
                    out.append(PlannedCheck("activations", name, b.entry.name, dtype, thunk))
        if "costs" in groups:
            for cb in bindings.costs:
                for name, thunk in checks_cost.all_checks(ctx, cb):
                    out.append(PlannedCheck("costs", name, cb.entry.name, dtype, thunk))
            if {"reduce", "reduce_der"} <= ns.names():
                out.append(
                    PlannedCheck(
                        "costs",
                        "reduction",
                        "none|sum|mean",
                        dtype,
                        lambda ctx=ctx: checks_cost.reductions(ctx),
                    )
                )
        if "pairs" in groups and bindings.delta:
            for p in spec.PAIRS:
                if p.valid:
                    out.append(
                        PlannedCheck(
                            "pairs",
                            "composed",
                            p.name,
                            dtype,
                            lambda ctx=ctx, p=p: checks_cost.composed(ctx, p),
                        )
                    )
    return out
