"""Which function-level checks apply to which subject, and the planned list for one
implementation.

:data:`TABLE` is the one place a check's name is written: each row gives the id the result
carries, the generic body of :mod:`.elementwise` that runs it, the kinds of subject it is for
and the rule saying when it applies.  :func:`plan` turns the table into the report-ordered
list: per dtype every bound activation, every bound cost, the reductions when the
implementation has ``reduce``, every valid pair when it has ``delta`` (at the declared
values, then at the drawn ones: :func:`.pairs.subjects`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gradspec.conformance.checks import elementwise as E
from gradspec.conformance.checks import pairs, reductions
from gradspec.conformance.checks.activation import ActivationSubject
from gradspec.conformance.checks.common import Ctx, skip, with_notes
from gradspec.conformance.checks.cost import CostSubject
from gradspec.conformance.checks.plan import PlannedCheck
from gradspec.conformance.checks.subject import FunctionSubject, Subject
from gradspec.conformance.engine.results import CheckResult
from gradspec.conformance.targets import convention
from gradspec.conformance.targets.namespace import Bindings, Namespace

ACTIVATION, COST, PAIR = ActivationSubject, CostSubject, pairs.PairSubject
FUNCTIONS = (ACTIVATION, COST)


@dataclass(frozen=True)
class Skip:
    """A row that is planned but not run: the result is ``skip`` with this reason."""

    reason: str


@dataclass(frozen=True)
class Rule:
    """One check: its id, its body, the subject kinds it is for, when it applies (True: run,
    False: no row, a :class:`Skip`: a skip row) and whether it calls the derivative (then an
    inferred derivative convention's warning is attached to its result)."""

    check: str
    body: E.Body
    kinds: tuple[type, ...]
    applies: Callable[[Subject], bool | Skip]
    uses_der: bool = False


def _has(*orders: int | str) -> Callable[[Subject], bool]:
    """Applies when the implementation defines any of the functions of ``orders``."""
    return lambda s: any(s.fn(o) is not None for o in orders)


def _differences(s: Subject) -> bool | Skip:
    """Numeric differences need a forward to difference and a derivative to compare; an
    activation with a derivative but no forward says so in a skip row."""
    if s.fn(1) is None:
        return False
    if s.fn(0) is not None:
        return True
    return Skip(f"no {s.name}(z) to difference") if isinstance(s, ACTIVATION) else False


def _second(s: FunctionSubject) -> bool:
    """Elementwise unreduced functions only (no Hessian of a row, of a reduced cost)."""
    return s.fn(2) is not None and not s.rows and not s.reduced


def _kinks(s: FunctionSubject) -> bool:
    """Declared kinks, a derivative to test there, and elements to test (not reduced)."""
    return bool(s.kinks) and not s.reduced and _has(1, 2)(s)


TABLE: tuple[Rule, ...] = (
    Rule("value", E.against_truth(0), FUNCTIONS, _has(0)),
    Rule("derivative", E.against_truth(1), FUNCTIONS, _has(1), uses_der=True),
    Rule("derivative_numeric", E.derivative_numeric, FUNCTIONS, _differences, uses_der=True),
    Rule("second_derivative", E.against_truth(2), FUNCTIONS, _second),
    Rule("output_form", E.output_form, (ACTIVATION,), _has("output")),
    Rule("kinks", E.kinks, FUNCTIONS, _kinks, uses_der=True),
    Rule("extremes", E.extremes, FUNCTIONS, _has(0, 1), uses_der=True),
    Rule("shape_dtype", E.shape_dtype, FUNCTIONS, _has(0, 1), uses_der=True),
    Rule("determinism_mutation", E.determinism_mutation, FUNCTIONS, _has(0, 1)),
    Rule("composed", E.against_truth(1), (PAIR,), _has(1)),
)

#: What an extra subject (an autodiff derivative next to the candidate's own) is checked by.
DERIVATIVE_CHECKS = ("derivative", "derivative_numeric", "second_derivative", "kinks")


def _thunk(ctx: Ctx, rule: Rule, s: Subject, verdict: bool | Skip) -> Callable[[], CheckResult]:
    if isinstance(verdict, Skip):
        return lambda: skip(ctx, rule.check, s.label, verdict.reason)
    return lambda: rule.body(ctx, s, rule.check)


def planned(ctx: Ctx, group: str, s: Subject, notes: list[str] | None = None) -> list[PlannedCheck]:
    """The table's rows for subject ``s`` in ``group``, in table order; ``notes`` (an
    inferred convention) are attached to the checks that call the derivative."""
    out = []
    for rule in TABLE:
        if not isinstance(s, rule.kinds):
            continue
        if s.derivatives_only and rule.check not in DERIVATIVE_CHECKS:
            continue
        verdict = rule.applies(s)
        if verdict is False:
            continue
        thunk = _thunk(ctx, rule, s, verdict)
        if notes and rule.uses_der:
            thunk = _noted(thunk, notes)
        out.append(PlannedCheck(group, rule.check, s.label, ctx.dtype, thunk))
    return out


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
    acts = [ActivationSubject(b) for b in bindings.activations]
    costs = [CostSubject(cb) for cb in bindings.costs]
    pair_subjects = pairs.subjects(bindings, profile)
    for dtype in dtypes:
        ctx = Ctx(ns, profile, dtype)
        if "activations" in groups:
            for s in acts:
                notes = [convention.note(s.b)] if s.b.wrt_inferred else []
                out += planned(ctx, "activations", s, notes)
        if "costs" in groups:
            for s in costs:
                out += planned(ctx, "costs", s)
            if ns.names() >= reductions.NEEDS:
                out.append(
                    PlannedCheck(
                        "costs",
                        reductions.CHECK,
                        reductions.SUBJECT,
                        dtype,
                        lambda ctx=ctx: reductions.reductions(ctx),
                    )
                )
        if "pairs" in groups:
            for s in pair_subjects:
                out += planned(ctx, "pairs", s)
    return out
