"""The function-level check bodies, written once over a :class:`~.subject.Subject`.

Each body takes the context, the subject and the check id the plan gives it (the result
carries that id, so a result can never name a different check from the plan).  Which body
applies to which subject is :mod:`.table`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradspec.conformance.checks.common import (
    Ctx,
    compare_call,
    compare_numeric,
    forward_noise,
    nan_probe,
    precision,
    run,
    single,
    working_eps,
)
from gradspec.conformance.checks.subject import FunctionSubject, Subject
from gradspec.conformance.engine.calling import as_array, call, call_rows
from gradspec.conformance.engine.errormodel import BUDGETS, compare, eps
from gradspec.conformance.engine.results import CheckResult, Measurement, Violation

#: A check body: (context, subject, the check id its result carries) -> result.
Body = Callable[[Ctx, Any, str], CheckResult]


def against_truth(order: int) -> Body:
    """The order-k function against the spec's truth on drawn inputs (after the unit ones):
    ``units = |actual - truth| / (eps S)``; value (0), derivative (1), second derivative (2),
    a pair's composed dC/dz (1)."""

    def body(ctx: Ctx, s: Subject, check: str) -> CheckResult:
        fn = s.fn(order)

        def measure(drawn: object) -> Measurement:
            inputs = s.prepare(ctx, drawn)
            args, names = s.call_args(ctx, inputs, order)
            e = s.expect(inputs, args, order)
            return compare_call(
                ctx,
                fn,
                args,
                names,
                e.truth,
                e.scale,
                e.budget,
                expect_shape=s.out_shape(inputs, order),
                rows=s.rows,
                natural=e.natural,
                prefix=s.prefix,
            )

        return run(
            ctx,
            check,
            s.name,
            s.strategy(ctx),
            measure,
            s.reproducer(ctx, fn),
            explicit=s.unit(ctx),
        )

    return body


def derivative_numeric(ctx: Ctx, s: FunctionSubject, check: str) -> CheckResult:
    """The derivative against Ridders differences of the implementation's own forward: a
    function and its derivative that disagree with each other are caught even when one of
    them matches the spec.  The noise of each forward evaluation is the value budget times
    the forward's working eps times its scale, or its measured roughness when larger."""
    fn = s.fn(1)

    def measure(drawn: object) -> Measurement:
        inputs = s.prepare(ctx, drawn)
        args, names = s.call_args(ctx, inputs, 1)
        e = s.expect(inputs, args, 1)
        if not s.elementwise:
            num, err = s.numeric_derivative(ctx, inputs)
            return compare_call(
                ctx,
                fn,
                args,
                names,
                num,
                e.scale,
                e.budget,
                expect_shape=s.out_shape(inputs, 1),
                allowance=err,
                mask=np.isfinite(num),
                rows=s.rows,
                reference_label="numeric",
                natural=e.natural,
            )
        x = s.variable(inputs)
        f = s.forward(ctx, inputs)
        lo, hi = s.domain()
        w_eps = working_eps(ctx, s.fn(0), *inputs)
        f_err = BUDGETS["value"] * w_eps * s.expect(inputs, inputs, 0).scale
        return compare_numeric(
            ctx,
            fn,
            args,
            names,
            f,
            x,
            e.scale,
            e.budget,
            kinks=s.numeric_kinks(inputs),
            lo=lo,
            hi=hi,
            f_error=forward_noise(f, x, f_err, lo, hi),
            natural=e.natural,
            truth=e.truth,
        )

    return run(
        ctx, check, s.name, s.strategy(ctx), measure, s.reproducer(ctx, fn), explicit=s.unit(ctx)
    )


def output_form(ctx: Ctx, s: FunctionSubject, check: str) -> CheckResult:
    """``<act>_der_output(a)`` with a = f(z) rounded to the dtype, against f'(z): the classic
    form in terms of the output, with the rounding of a in its scale."""
    fn = s.fn("output")

    def measure(drawn: object) -> Measurement:
        inputs = s.prepare(ctx, drawn)
        a = s.truth(inputs, 0).astype(ctx.np_dtype)
        e = s.expect(inputs, [a], 1, wrt="output")
        return compare_call(ctx, fn, [a], ["a"], e.truth, e.scale, e.budget, natural=e.natural)

    return run(ctx, check, s.name, s.strategy(ctx), measure)


def kinks(ctx: Ctx, s: FunctionSubject, check: str) -> CheckResult:
    """At each declared kink: the derivative it constrains lies in the registry's accepted
    interval (within 16 eps of its ends, ``tol``) and between the one-sided differences of the
    lower derivative; the subject says where the points are and what else holds there."""
    dt = ctx.np_dtype

    def body() -> Measurement:
        worst = None
        rec: list[str] = []
        for k in s.kinks:
            order = k.derivative_order
            fn, lower = s.fn(order), s.fn(order - 1)
            if fn is None:
                continue
            points = s.kink_points(ctx, k)
            if points is None:
                continue
            args, _ = s.call_args(ctx, points, order)
            shape = s.out_shape(points, order)
            raw = call_rows(ctx.ns, fn, tuple(args), shape, rec, rowwise=not s.reduced)
            got = as_array(fn, raw, shape)
            lo, hi = k.accepted
            tol = BUDGETS["derivative"] * eps(dt) * max(1.0, abs(lo), abs(hi))
            w = s.check_kink(ctx, k, fn, lower, points, got, tol)
            if w is not None and (worst is None or w.units > worst.units):
                worst = w
        return Measurement(worst, rec)

    return single(ctx, check, s.name, body)


def extremes(ctx: Ctx, s: FunctionSubject, check: str) -> CheckResult:
    """Large and tiny inputs: finite and accurate where the math is finite, no overflow
    warnings (a warning with right values is reported as warn), NaN in gives NaN out."""
    dt = ctx.np_dtype

    def body() -> Measurement:
        rec: list[str] = []
        inputs = s.extreme_inputs(dt)
        worst = None
        for order in (0, 1):
            fn = s.fn(order)
            if fn is not None:
                args, _ = s.call_args(ctx, inputs, order)
                shape = s.out_shape(inputs, order)
                raw = call_rows(ctx.ns, fn, tuple(args), shape, rec, rowwise=not s.reduced)
                got = as_array(fn, raw, shape)
                e = s.expect(inputs, args, order)
                wdt, held = precision(fn, dt, raw, got, e.truth, list(inputs), rec)
                cmp = compare(got, e.truth, e.scale, wdt, e.budget, natural=e.natural, mask=held)
                worst = s.judge_extremes(fn, inputs, got, e.truth, cmp, worst)
            probe = s.nan_probe(dt, order)
            if probe is not None:
                nan_probe(ctx, probe[0], probe[1], rec)
        return Measurement(worst, rec)

    return single(ctx, check, s.name, body)


def shape_dtype(ctx: Ctx, s: FunctionSubject, check: str) -> CheckResult:
    """Each function returns the shape the protocol gives (vector rows: along the last axis;
    a Jacobian adds a trailing K; a reduced cost is a scalar); a target that broadcasts may
    be refused with an error but not botched; a changed dtype (float32 in, float64 out) is a
    warning, not a failure."""
    dt = ctx.np_dtype
    inputs_word = "input" if len(s.names) == 1 else "inputs"

    def body() -> Measurement:
        notes: list[str] = []
        for case in s.shape_cases(dt):
            for order in s.shape_orders:
                fn = s.fn(order)
                if fn is None:
                    continue
                args, _ = s.call_args(ctx, case.inputs, order)
                try:
                    out = call(ctx.ns, fn, *args)
                except Violation:
                    if not case.may_refuse:
                        raise
                    continue
                want = s.out_shape(case.inputs, order)
                if np.shape(out) != want:
                    raise Violation(
                        f"{fn}{case.label} returned shape {np.shape(out)}, expected {want}"
                    )
                got_dtype = np.asarray(out).dtype
                if got_dtype != dt:
                    note = f"{fn} returns {got_dtype} for {dt} {inputs_word} (the dtype changes)"
                    if note not in notes:
                        notes.append(note)
        return Measurement(None, notes)

    return single(ctx, check, s.name, body)


def determinism_mutation(ctx: Ctx, s: FunctionSubject, check: str) -> CheckResult:
    """Same input twice gives the same bits, and the caller's arrays are left untouched."""
    dt = ctx.np_dtype

    def body() -> Measurement:
        inputs = s.fixed_inputs(dt)
        for order in (0, 1):
            fn = s.fn(order)
            if fn is None:
                continue
            args, _ = s.call_args(ctx, inputs, order)
            originals = [a.copy() for a in args]
            first = np.asarray(ctx.ns.call(fn, *args))
            if not all(
                np.array_equal(a, o, equal_nan=True) for a, o in zip(args, originals, strict=True)
            ):
                raise Violation(f"{fn} mutated its input in place")
            second = np.asarray(ctx.ns.call(fn, *args))
            if not np.array_equal(first, second, equal_nan=True):
                raise Violation(f"{fn} is not deterministic: two calls on the same input differ")
        return Measurement(None)

    try:
        return single(ctx, check, s.name, body)
    except Exception as exc:  # raised by the candidate outside call(): still a failed check
        return CheckResult(check, s.name, ctx.dtype, "fail", f"{type(exc).__name__}: {exc}")
