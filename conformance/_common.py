"""Pieces shared by the function-level checks: comparing, describing and reproducing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import errormodel
from .calling import as_array, call, is_overflow_warning
from .implementation import Namespace
from .results import CheckResult, Measurement, Outcome, Timer, Violation, Worst, run_property


@dataclass
class Ctx:
    """Where a check runs: the implementation, the profile and the dtype under test."""

    ns: Namespace
    profile: str
    dtype: str

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)


def literal(x: np.ndarray) -> str:
    """A copy-paste literal that rebuilds ``x`` bit for bit."""
    x = np.asarray(x)
    return f"np.array({x.tolist()!r}, dtype=np.{x.dtype})"


def reproducer(ns: Namespace, fn: str, args: dict[str, np.ndarray], note: str = "") -> str:
    lines = ["import numpy as np", ns.import_line(fn)]
    lines += [f"{k} = {literal(v)}" for k, v in args.items()]
    call_line = f"print({fn}({', '.join(args)}))"
    lines.append(call_line + (f"  # {note}" if note else ""))
    return "\n".join(lines)


def worst_of(
    cmp: errormodel.Comparison,
    inputs: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
    *,
    rows: bool = False,
) -> Worst | None:
    """The worst element of a comparison with the input and output values around it.

    ``rows``: inputs are vector-valued along the last axis; report the whole input row.
    """
    idx = cmp.worst_index
    if idx is None:
        return None
    at_inputs = {}
    for k, v in inputs.items():
        v = np.asarray(v)
        if cmp.units.shape == () and v.shape != ():  # a reduced (scalar) output
            at_inputs[k] = v
        elif rows:
            sel = idx[: v.ndim - 1]
            at_inputs[k] = v[sel] if v.ndim else v
        else:
            at_inputs[k] = np.broadcast_to(v, cmp.units.shape)[idx].item()
    at_values = {k: float(np.broadcast_to(v, cmp.units.shape)[idx]) for k, v in values.items()}
    return Worst(idx, cmp.worst_units, cmp.budget, at_inputs, at_values)


def element_args(worst: Worst, args: dict[str, np.ndarray], dtype: np.dtype) -> dict:
    """The failing element alone (elementwise functions) as arrays, for the reproducer."""
    out = {}
    for k, v in args.items():
        w = worst.inputs.get(k)
        out[k] = np.asarray([w] if np.ndim(w) == 0 else w, dtype=np.asarray(v).dtype or dtype)
    return out


def compare_call(
    ctx: Ctx,
    fn: str,
    args: Sequence[np.ndarray],
    names: Sequence[str],
    reference: np.ndarray,
    scale: np.ndarray,
    budget: float,
    *,
    expect_shape: tuple[int, ...] | None = None,
    allowance: np.ndarray | float = 0.0,
    mask: np.ndarray | None = None,
    rows: bool = False,
    reference_label: str = "truth",
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Measurement:
    """Call ``fn(*args)`` and compare it with ``reference`` in units of eps * scale."""
    rec: list[str] = []
    shape = expect_shape if expect_shape is not None else np.shape(reference)
    out = as_array(fn, call(ctx.ns, fn, *args, record=rec), shape)
    if transform is not None:
        out = transform(out)
    cmp = errormodel.compare(
        out, reference, scale, ctx.np_dtype, budget, allowance=allowance, mask=mask
    )
    values = {reference_label: reference, "actual": out}
    if not np.isscalar(allowance) or allowance:
        values["reference error estimate"] = np.broadcast_to(allowance, np.shape(reference))
    worst = worst_of(cmp, dict(zip(names, args, strict=True)), values, rows=rows)
    return Measurement(worst, rec)


def finish(
    ctx: Ctx,
    check: str,
    subject: str,
    outcome: Outcome,
    timer: Timer,
    repro: Callable[[Violation], str] | None = None,
    note: str = "",
) -> CheckResult:
    """Turn a property's outcome into a CheckResult (warnings: status warn, not fail)."""
    res = CheckResult(
        check,
        subject,
        ctx.dtype,
        "pass",
        examples=outcome.examples,
        seconds=timer.seconds,
        worst=outcome.worst,
    )
    if outcome.failure is not None:
        v = outcome.failure
        res.status = "fail"
        res.message = v.message
        res.worst = v.worst or outcome.worst
        res._example = v.inputs  # the minimal failing example, for post-mortem localisation
        if repro is not None and v.inputs is not None:
            try:
                res.reproducer = repro(v)
            except Exception:  # a reproducer is a courtesy; never fail the run over it
                res.reproducer = ""
    elif outcome.warnings:
        numeric = [w for w in outcome.warnings if is_overflow_warning(w)]
        res.status = "warn"
        res.message = "; ".join((numeric or outcome.warnings)[:3])
    if note and not res.message:
        res.message = note
    return res


def working_eps(ctx: Ctx, fn: str, *args: np.ndarray) -> float:
    """The eps a function really computes in when handed float64 inputs: a candidate whose
    forward works in float32 internally rounds its values to float32 spacing, and numeric
    differences of it carry that noise."""
    out = call(ctx.ns, fn, *[np.asarray(a, dtype=np.float64) for a in args])
    dt = np.asarray(out).dtype
    if dt.kind != "f":
        return errormodel.eps(np.float64)
    return max(errormodel.eps(dt), errormodel.eps(np.float64))


def single(ctx: Ctx, check: str, subject: str, body: Callable[[], Measurement]) -> CheckResult:
    """Run a check that has no generated inputs (fixed points: kinks, extremes, shapes)."""
    with Timer() as t:
        try:
            m = body()
        except Violation as v:
            return CheckResult(
                check, subject, ctx.dtype, "fail", v.message, v.worst, examples=1, seconds=0.0
            )
    outcome = Outcome(
        None if m.ok else Violation(f"error {m.worst.describe()}", m.worst),
        m.worst,
        1,
        m.warnings,
    )
    return finish(ctx, check, subject, outcome, t)


def run(
    ctx: Ctx,
    check: str,
    subject: str,
    strategy: Any,
    measure: Callable[[Any], Measurement],
    repro: Callable[[Violation], str] | None = None,
) -> CheckResult:
    with Timer() as t:
        outcome = run_property(strategy, measure, ctx.profile)
    return finish(ctx, check, subject, outcome, t, repro)


def skip(ctx: Ctx, check: str, subject: str, why: str) -> CheckResult:
    return CheckResult(check, subject, ctx.dtype, "skip", why)
