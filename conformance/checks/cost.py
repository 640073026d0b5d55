"""Checks of one cost binding (values, derivatives, numeric consistency with the cost itself,
second derivatives, kinks, extremes, shapes/dtypes, determinism/mutation), of the composed
dC/dz of output activation + cost pairs, and of reductions.

Check ids read ``<check>[<cost>:<dtype>]`` and ``composed[<activation>+<cost>:<dtype>]``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gradspec import spec
from gradspec import strategies as gst
from gradspec.conformance.checks.common import (
    Ctx,
    compare_call,
    compare_numeric,
    element_args,
    forward_noise,
    nan_probe,
    precision,
    reproducer,
    run,
    single,
    working_eps,
    worst_at,
    worst_of,
)
from gradspec.conformance.engine import natural as N
from gradspec.conformance.engine import numeric
from gradspec.conformance.engine.calling import as_array, call
from gradspec.conformance.engine.errormodel import BUDGETS, compare, eps, scale_two
from gradspec.conformance.engine.results import CheckResult, Measurement, Violation, Worst
from gradspec.conformance.targets.namespace import CostBinding
from gradspec.derivations import truth as T

SHAPE = (8,)
VECTOR_SHAPE = (3, 4)
REDUCED_SHAPE = (2, 4)


def _shape(c: spec.Cost) -> tuple[int, ...]:
    return VECTOR_SHAPE if c.vector else SHAPE


def _softmax_rows(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softmax(z) (truth) and its per-element rounding scale s (see checks_activation)."""
    a = T.activation_value("softmax", z, 0)
    zabs = np.abs(np.asarray(z, np.float64))
    return a, a * (1 + zabs + np.sum(a * zabs, axis=-1, keepdims=True))


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return values
    total = np.sum(values)
    return np.asarray(total / values.size if reduction == "mean" else total)


def _truth_and_scale(c: spec.Cost, a: np.ndarray, y: np.ndarray, order: int, reduction: str):
    """Truth of C (order 0) or dC/da (order 1) under ``reduction``, with its rounding scale."""
    if c.vector:  # categorical cross-entropy on logits, per row
        t = T.cost_value(c.name, a, y, order)
        sm, s = _softmax_rows(a)
        if order == 0:
            scale = np.abs(t) + np.sum(np.abs(a) * (sm + np.abs(y)), axis=-1)
        else:
            scale = np.abs(t) + np.abs(y) + s
    else:
        t = T.cost_value(c.name, a, y, order)
        slope = T.cost_value(c.name, a, y, order + 1)
        slope_y = T.cost_value(c.name, a, y, "y" if order == 0 else "1y")
        scale = scale_two(t, a, slope, y, slope_y)
        if _binary_target(c):
            # A probability target enters through its complement 1 - y as well (torch's
            # (1 - y) z + max(-z, 0) + ...): rounding 1 - y moves C by |(1 - y) dC/dy| eps.
            with np.errstate(invalid="ignore"):
                scale = scale + np.abs((1 - np.asarray(y, np.float64)) * slope_y)
    if reduction == "none" or order == 1:
        # A mean is over the cost's values: elements, or rows for a per-row cost.
        n_values = max(int(np.prod(np.shape(a)[:-1])), 1) if c.vector else t.size
        factor = 1.0 / n_values if reduction == "mean" else 1.0
        return t * factor, scale * factor
    # A sum of n terms adds up to (n - 1) eps * sum|terms| of its own rounding.
    n = t.size
    factor = 1.0 / n if reduction == "mean" else 1.0
    return _reduce(t, reduction), np.asarray((np.sum(scale) + (n - 1) * np.sum(np.abs(t))) * factor)


def _binary_target(c: spec.Cost) -> bool:
    return not c.vector and c.target_domain.lo == 0.0 and c.target_domain.hi == 1.0


def _unit(b: CostBinding, ctx: Ctx) -> list[tuple[np.ndarray, np.ndarray]]:
    """Unit inputs, run before the drawn ones: predictions across the unit part of the
    domain, targets across theirs (off every kink: a - y never an integer), where every cost
    is of its natural size.  None for per-row costs and simplex targets (their own draws)."""
    c = b.entry
    if c.vector or c.target_simplex:
        return []
    shape = REDUCED_SHAPE if b.reduction != "none" else SHAPE
    n = int(np.prod(shape))
    if c.pred_domain.lo == 0.0 and c.pred_domain.hi == 1.0:
        a = np.linspace(0.1, 0.9, n)
    else:
        a = np.linspace(-2.0, 2.0, n)
    y = np.linspace(0.0, 1.0, n)[::-1] if _binary_target(c) else np.linspace(1.5, -1.5, n)
    if not (all(c.pred_domain.contains(float(v)) for v in a)
            and all(c.target_domain.contains(float(v)) for v in y)):  # fmt: skip
        return []
    dt = ctx.np_dtype
    return [(a.reshape(shape).astype(dt), y.reshape(shape).astype(dt))]


def _strategy(b: CostBinding, ctx: Ctx):
    # A reduced cost is fed a matrix, so that a mean over rows (N) instead of over the
    # elements (N K) shows.
    shape = REDUCED_SHAPE if b.reduction != "none" and not b.entry.vector else _shape(b.entry)
    return gst.cost_inputs(b.entry, dtype=ctx.dtype, shape=shape)


def _out_shape(b: CostBinding, a: np.ndarray, order: int) -> tuple[int, ...]:
    if order == 0 and b.reduction != "none":
        return ()
    if order == 0 and b.entry.vector:
        return a.shape[:-1]
    return a.shape


def _repro(ctx: Ctx, fn: str, b: CostBinding):
    def make(v: Violation) -> str:
        a, y = (np.asarray(x) for x in v.inputs)
        if v.worst is not None and not b.entry.vector and b.reduction == "none":
            args = element_args(v.worst, {"a": a, "y": y}, ctx.np_dtype)
            a, y = args["a"], args["y"]
        note = "" if v.worst is None else f"spec: {v.worst.values.get('truth')!r}"
        return reproducer(ctx.ns, fn, {"a": a, "y": y}, note)

    return make


def _budget(b: CostBinding) -> float:
    return BUDGETS["vector"] if b.entry.vector else BUDGETS["value"]


def _natural(b: CostBinding, a: np.ndarray, order: int) -> float:
    """N of the cost (order 0) or its gradient (1) as the binding returns it: a sum over n
    elements is n times the size of one, a mean's gradient 1/n of it."""
    n = max(int(np.prod(np.shape(a)[:-1] if b.entry.vector else np.shape(a))), 1)
    n0 = N.cost(b.entry.name, order)
    if b.reduction == "sum" and order == 0:
        return n0 * n
    if b.reduction == "mean" and order == 1:
        return n0 / n
    return n0


def value(ctx: Ctx, b: CostBinding) -> CheckResult:
    def measure(ay: tuple[np.ndarray, np.ndarray]) -> Measurement:
        a, y = ay
        t, scale = _truth_and_scale(b.entry, a, y, 0, b.reduction)
        return compare_call(
            ctx,
            b.value,
            [a, y],
            ["a", "y"],
            t,
            scale,
            _budget(b),
            expect_shape=_out_shape(b, a, 0),
            rows=b.entry.vector,
            natural=_natural(b, a, 0),
        )

    return run(
        ctx,
        "value",
        b.entry.name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.value, b),
        explicit=_unit(b, ctx),
    )


def derivative(ctx: Ctx, b: CostBinding) -> CheckResult:
    def measure(ay: tuple[np.ndarray, np.ndarray]) -> Measurement:
        a, y = ay
        t, scale = _truth_and_scale(b.entry, a, y, 1, b.reduction)
        return compare_call(
            ctx,
            b.der,
            [a, y],
            ["a", "y"],
            t,
            scale,
            _budget(b),
            expect_shape=a.shape,
            rows=b.entry.vector,
            natural=_natural(b, a, 1),
        )

    return run(
        ctx,
        "derivative",
        b.entry.name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.der, b),
        explicit=_unit(b, ctx),
    )


def _kink_arrays(c: spec.Cost, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kinks of C as a function of a, per element: a = y + r_k."""
    return tuple(np.asarray(y, np.float64) + k.at for k in c.kinks)


def derivative_numeric(ctx: Ctx, b: CostBinding) -> CheckResult:
    """dC/da against differences of the implementation's own cost: a cost and its derivative
    that disagree with each other are caught even when one of them matches the spec."""
    c = b.entry

    def value_of(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return as_array(b.value, call(ctx.ns, b.value, a, y), _out_shape(b, a, 0))

    def measure(ay: tuple[np.ndarray, np.ndarray]) -> Measurement:
        a, y = ay
        y64 = y.astype(np.float64)
        _, scale = _truth_and_scale(c, a, y, 1, b.reduction)
        w_eps = working_eps(ctx, b.value, a, y)
        if c.vector or b.reduction != "none":
            _, f_scale = _truth_and_scale(c, a, y, 0, b.reduction)
            f_err = BUDGETS["value"] * w_eps * f_scale
            num, err = _numeric_gradient(lambda x: value_of(x, y64), a, c, y64, b.reduction, f_err)
        else:
            _, f_scale = _truth_and_scale(c, a, y, 0, "none")
            return compare_numeric(
                ctx,
                b.der,
                [a, y],
                ["a", "y"],
                lambda x: value_of(x, y64),
                a,
                scale,
                _budget(b),
                kinks=_kink_arrays(c, y64),
                lo=c.pred_domain.lo,
                hi=c.pred_domain.hi,
                f_error=forward_noise(
                    lambda x: value_of(x, y64),
                    a,
                    BUDGETS["value"] * w_eps * f_scale,
                    c.pred_domain.lo,
                    c.pred_domain.hi,
                ),
                natural=_natural(b, a, 1),
                truth=T.cost_value(c.name, a, y, 1),
            )
        return compare_call(
            ctx,
            b.der,
            [a, y],
            ["a", "y"],
            num,
            scale,
            _budget(b),
            expect_shape=a.shape,
            allowance=err,
            mask=~np.isnan(num),
            rows=c.vector,
            reference_label="numeric",
            natural=_natural(b, a, 1),
        )

    return run(
        ctx,
        "derivative_numeric",
        c.name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.der, b),
        explicit=_unit(b, ctx),
    )


def _numeric_gradient(
    f, a: np.ndarray, c: spec.Cost, y64: np.ndarray, reduction: str, f_err: np.ndarray
):
    """Gradient of a row-wise or reduced cost, one coordinate direction at a time but all
    elements of that direction at once (per class j for rows, per element for reductions)."""
    a64 = np.asarray(a, dtype=np.float64)
    grad = np.full(a64.shape, np.nan)
    err = np.full(a64.shape, np.nan)
    kinks = _kink_arrays(c, y64)
    h_all = numeric.initial_step(a64, kinks, c.pred_domain.lo, c.pred_domain.hi)
    skip = numeric.near_kink(a64, kinks)
    if c.vector and reduction == "none":
        for j in range(a64.shape[-1]):
            e = np.zeros(a64.shape[-1])
            e[j] = 1.0
            h0 = h_all[..., j]
            d, er = numeric.ridders(lambda t, e=e: f(a64 + t[..., None] * e), h0, f_error=f_err)
            grad[..., j], err[..., j] = d, er
    else:
        for idx in np.ndindex(a64.shape):
            if skip[idx] or h_all[idx] <= 0:
                continue
            e = np.zeros(a64.shape)
            e[idx] = 1.0
            d, er = numeric.ridders(
                lambda t, e=e: np.asarray(np.sum(f(a64 + float(t) * e))), np.asarray(h_all[idx])
            )
            grad[idx], err[idx] = d, er
    return grad, err


def second_derivative(ctx: Ctx, b: CostBinding) -> CheckResult:
    def measure(ay: tuple[np.ndarray, np.ndarray]) -> Measurement:
        a, y = ay
        t = T.cost_value(b.entry.name, a, y, 2)
        scale = scale_two(
            t, a, T.cost_value(b.entry.name, a, y, 3), y, T.cost_value(b.entry.name, a, y, "2y")
        )
        return compare_call(
            ctx,
            b.der2,
            [a, y],
            ["a", "y"],
            t,
            scale,
            BUDGETS["derivative"],
            natural=N.cost(b.entry.name, 1),
        )

    return run(
        ctx,
        "second_derivative",
        b.entry.name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.der2, b),
        explicit=_unit(b, ctx),
    )


def kinks(ctx: Ctx, b: CostBinding) -> CheckResult:
    """At a - y = kink: the derivative lies in the accepted interval, bracketed by the
    one-sided differences of the lower derivative."""
    c = b.entry
    dt = ctx.np_dtype

    def body() -> Measurement:
        rec: list[str] = []
        lo_t = max(c.target_domain.lo, -2.0)
        hi_t = min(c.target_domain.hi, 2.0)
        ys = np.array([lo_t + 0.3 * (hi_t - lo_t), lo_t + 0.75 * (hi_t - lo_t)], dtype=dt)
        for k in c.kinks:
            order = k.derivative_order
            fn, lower = (b.der, b.value) if order == 1 else (b.der2, b.der)
            if fn is None or b.reduction != "none":
                continue
            a = (ys.astype(np.float64) + k.at).astype(dt)
            exact = a.astype(np.float64) - ys.astype(np.float64) == k.at
            a, y = a[exact], ys[exact]
            if a.size == 0:
                continue
            got = as_array(fn, call(ctx.ns, fn, a, y, record=rec), a.shape)
            lo, hi = k.accepted
            tol = BUDGETS["derivative"] * eps(dt) * max(1.0, abs(lo), abs(hi))
            outside = (got < lo - tol) | (got > hi + tol)
            if outside.any():
                i = int(np.argmax(outside))
                raise Violation(
                    f"{fn}(a={a[i]!r}, y={y[i]!r}) at a - y = {k.at:g} returned {got[i]!r}, "
                    f"outside the accepted interval [{lo:g}, {hi:g}]",
                    Worst(
                        (i,),
                        np.inf,
                        0.0,
                        {"a": float(a[i]), "y": float(y[i])},
                        {"actual": float(got[i])},
                    ),
                )
            if lower is None:
                continue
            y64 = y.astype(np.float64)

            def f(x: np.ndarray, lower: str = lower, y64: np.ndarray = y64) -> np.ndarray:
                return as_array(lower, call(ctx.ns, lower, x, y64), x.shape)

            h = 1e-5
            left, right = numeric.one_sided(f, a.astype(np.float64), h)
            # one-sided differences err by ~h/2 |C''| (|C''| <= 1 for these costs) + rounding
            slack = h + tol + 8 * np.finfo(np.float64).eps * 4 / h
            inside = (got >= np.minimum(left, right) - slack) & (
                got <= np.maximum(left, right) + slack
            )
            if not inside.all():
                i = int(np.argmin(inside))
                raise Violation(
                    f"{fn}(a={a[i]!r}, y={y[i]!r}) = {got[i]!r} is not between the one-sided "
                    f"differences {left[i]!r} and {right[i]!r} of {lower}"
                )
        return Measurement(None, rec)

    return single(ctx, "kinks", c.name, body)


def _extreme_inputs(c: spec.Cost, dt: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    if c.pred_domain.lo == 0.0 and c.pred_domain.hi == 1.0:
        preds = [1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-12]
        if c.pred_domain.hi_closed:
            preds.append(1.0)
        targets = [0.0, 1.0, 0.5]
    elif c.inputs == "logits":
        preds = [-1e4, -1e3, -50.0, 0.0, 50.0, 1e3, 1e4]
        targets = [0.0, 1.0, 0.5]
    else:
        preds = [-1e4, -1e3, 0.5, 1e3, 1e4]
        targets = [-1e4, 0.0, 1.0, 1e4]
    a, y = np.meshgrid(np.array(preds, dt), np.array(targets, dt))
    a, y = a.ravel(), y.ravel()
    keep = np.array([c.pred_domain.contains(float(v)) for v in a])
    for k in c.kinks:  # kinks have their own check
        keep &= a.astype(np.float64) - y.astype(np.float64) != k.at
    a, y = a[keep], y[keep]
    if c.vector:  # rows of 3 classes, one-hot and uniform targets
        rows = np.stack([a, -a, np.zeros_like(a)], axis=-1)
        tgt = np.zeros_like(rows)
        tgt[::2, 0] = 1.0
        tgt[1::2] = 1.0 / 3.0
        return rows, tgt.astype(dt)
    return a, y


def extremes(ctx: Ctx, b: CostBinding) -> CheckResult:
    """Probabilities at 1e-12 and 1 - 1e-12, logits at +-1e4, large residuals: finite and
    accurate where the math is finite, no overflow warnings; NaN in gives NaN out."""
    c = b.entry
    dt = ctx.np_dtype

    def body() -> Measurement:
        rec: list[str] = []
        a, y = _extreme_inputs(c, dt)
        worst = None
        for fn, order in ((b.value, 0), (b.der, 1)):
            if fn is None:
                continue
            t, scale = _truth_and_scale(c, a, y, order, b.reduction)
            raw = call(ctx.ns, fn, a, y, record=rec)
            got = as_array(fn, raw, _out_shape(b, a, order))
            wdt, held = precision(fn, dt, raw, got, t, [a, y], rec)
            cmp = compare(got, t, scale, wdt, _budget(b), natural=_natural(b, a, order), mask=held)
            if not cmp.ok:
                i = cmp.worst_index
                ai = a[i[: a.ndim]] if a.ndim == len(i) else a[i[: a.ndim - 1]]
                yi = y[i[: y.ndim]] if y.ndim == len(i) else y[i[: y.ndim - 1]]
                raise Violation(
                    f"{fn}(a={np.asarray(ai).tolist()}, y={np.asarray(yi).tolist()}) returned "
                    f"{np.asarray(got)[i]!r}, spec {np.asarray(t)[i]!r} "
                    f"({cmp.worst_units:.3g} eps-units)",
                    Worst(
                        i,
                        cmp.worst_units,
                        cmp.budget,
                        {"a": np.asarray(ai).tolist(), "y": np.asarray(yi).tolist()},
                        {"truth": float(np.asarray(t)[i]), "actual": float(np.asarray(got)[i])},
                    ),
                )
            if worst is None or cmp.worst_units > worst.units:
                i = cmp.worst_index
                worst = worst_at(cmp, i)
                if i is not None:
                    ai = a[i[: a.ndim]] if a.ndim == len(i) else a[i[: a.ndim - 1]]
                    yi = y[i[: y.ndim]] if y.ndim == len(i) else y[i[: y.ndim - 1]]
                    worst.inputs = {"a": np.asarray(ai).tolist(), "y": np.asarray(yi).tolist()}
                    worst.values = {
                        "truth": float(np.asarray(t)[i]),
                        "actual": float(np.asarray(got)[i]),
                    }
        if b.value is not None and b.reduction == "none" and not c.vector:
            nan_probe(ctx, b.value, [np.array([np.nan, 0.5], dt), np.array([0.5, 0.5], dt)], rec)
        return Measurement(worst, rec)

    return single(ctx, "extremes", c.name, body)


def shapes_dtype(ctx: Ctx, b: CostBinding) -> CheckResult:
    """Shapes, broadcasting of a target row over a batch, and dtype preservation.

    Equal shapes must work.  A target that broadcasts against the prediction ((1, K) or (K,)
    against (N, K)) may be refused with an error (the JAX backend does, rather than promote
    silently) or computed; what is returned must have the prediction's shape.  A changed
    dtype (float32 in, float64 out) is a warning."""
    c = b.entry
    dt = ctx.np_dtype

    def body() -> Measurement:
        rng = np.random.default_rng(0)
        notes: list[str] = []
        lo = max(c.pred_domain.lo, -3.0) + 0.01
        hi = min(c.pred_domain.hi, 3.0) - 0.01
        for shape, yshape in (((5,), (5,)), ((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 4), (4,))):
            a = rng.uniform(lo, hi, size=shape).astype(dt)
            if c.target_simplex:
                y = np.full(yshape, 1.0 / yshape[-1], dtype=dt)
            else:
                y = rng.uniform(
                    max(c.target_domain.lo, -1), min(c.target_domain.hi, 1), size=yshape
                ).astype(dt)
            for fn, order in ((b.value, 0), (b.der, 1)):
                if fn is None:
                    continue
                try:
                    out = call(ctx.ns, fn, a, y)
                except Violation:
                    if yshape == shape:
                        raise
                    continue  # broadcasting y may be refused (with an error), not botched
                want = _out_shape(b, a, order)
                if np.shape(out) != want:
                    raise Violation(
                        f"{fn}(a of shape {shape}, y of shape {yshape}) returned "
                        f"shape {np.shape(out)}, expected {want}"
                    )
                if np.asarray(out).dtype != dt:
                    note = (
                        f"{fn} returns {np.asarray(out).dtype} for {dt} inputs (the dtype changes)"
                    )
                    if note not in notes:
                        notes.append(note)
        return Measurement(None, notes)

    return single(ctx, "shape_dtype", c.name, body)


def determinism_mutation(ctx: Ctx, b: CostBinding) -> CheckResult:
    c = b.entry
    dt = ctx.np_dtype

    def body() -> Measurement:
        a = np.linspace(0.1, 0.9, 12, dtype=dt).reshape(3, 4)
        y = np.full((3, 4), 0.25, dtype=dt)
        for fn in (b.value, b.der):
            if fn is None:
                continue
            a0, y0 = a.copy(), y.copy()
            first = np.asarray(ctx.ns.call(fn, a, y))
            if not (np.array_equal(a, a0) and np.array_equal(y, y0)):
                raise Violation(f"{fn} mutated its input in place")
            second = np.asarray(ctx.ns.call(fn, a, y))
            if not np.array_equal(first, second, equal_nan=True):
                raise Violation(f"{fn} is not deterministic: two calls on the same input differ")
        return Measurement(None)

    try:
        return single(ctx, "determinism_mutation", c.name, body)
    except Exception as exc:
        return CheckResult(
            "determinism_mutation", c.name, ctx.dtype, "fail", f"{type(exc).__name__}: {exc}"
        )


def all_checks(ctx: Ctx, b: CostBinding) -> list:
    out = []
    if b.value:
        out.append(("value", lambda: value(ctx, b)))
    if b.der:
        out.append(("derivative", lambda: derivative(ctx, b)))
        if b.value:
            out.append(("derivative_numeric", lambda: derivative_numeric(ctx, b)))
    if b.der2 and not b.entry.vector and b.reduction == "none":
        out.append(("second_derivative", lambda: second_derivative(ctx, b)))
    if b.entry.kinks and b.reduction == "none" and (b.der or b.der2):
        out.append(("kinks", lambda: kinks(ctx, b)))
    if b.value or b.der:
        out.append(("extremes", lambda: extremes(ctx, b)))
        out.append(("shape_dtype", lambda: shapes_dtype(ctx, b)))
        out.append(("determinism_mutation", lambda: determinism_mutation(ctx, b)))
    return out


# --- composed dC/dz --------------------------------------------------------------------------


def _pair_scale(p: spec.Pair, z: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
    if p.activation.vector and p.closed_form:  # a - y with a from softmax
        return np.abs(g) + np.abs(y) + _softmax_rows(z)[1]
    if not p.activation.vector:
        from gradspec.conformance.checks.activation import output_form_allowance

        base = scale_two(
            g,
            z,
            T.pair_value(p.activation.name, p.cost.name, z, y, 2),
            y,
            T.pair_value(p.activation.name, p.cost.name, z, y, "1y"),
        )
        # dC/da * f'(z) with f' taken through the rounded output (1 - a^2 for tanh) is
        # accepted, as for the activation's own derivative.
        a = T.activation_value(p.activation.name, z, 0)
        c1 = np.abs(T.cost_value(p.cost.name, a, y, 1))
        with np.errstate(invalid="ignore"):
            return base + np.nan_to_num(c1 * output_form_allowance(p.activation.name, z, 1))
    # softmax pairs: g_j = sum_i C'(a_i, y_i) J_ij.  Each term carries the rounding of J_ij
    # (its softmax scale) times the size of C' and of its change with a and y.
    a, s = _softmax_rows(z)
    c1 = np.abs(T.cost_value(p.cost.name, a, y, 1))
    c2 = np.abs(T.cost_value(p.cost.name, a, y, 2)) * a
    c3 = np.abs(T.cost_value(p.cost.name, a, y, "1y") * y)
    weight = c1 + c2 + c3
    return np.abs(g) + np.abs(y) + (s + a) * np.sum(weight, axis=-1, keepdims=True) + s * weight


def _in_cost_domain(p: spec.Pair, z: np.ndarray, ctx: Ctx) -> np.ndarray:
    """Elements whose activation output, rounded to the dtype, is a valid cost input.

    Where f(z) rounds onto the edge of the cost's domain (sigmoid(-104) = 0 in float32, then
    -y/a) the pair is evaluated outside the spec; only fused forms survive there, and the
    spec asks for them through the costs on logits.  Such inputs are replaced by 0.
    """
    if p.closed_form:
        return np.ones(np.shape(z), dtype=bool)
    a = T.activation_value(p.activation.name, z, 0).astype(ctx.np_dtype).astype(np.float64)
    dom = p.cost.pred_domain
    ok = (a > dom.lo) | ((a == dom.lo) & dom.lo_closed)
    ok &= (a < dom.hi) | ((a == dom.hi) & dom.hi_closed)
    if p.activation.vector:  # a row is only as valid as its worst component
        ok = np.broadcast_to(ok.all(axis=-1, keepdims=True), ok.shape)
    return ok


def composed(ctx: Ctx, p: spec.Pair, fn: str = "delta") -> CheckResult:
    """``delta(activation, cost, z, y)`` against the derived dC/dz of the pair."""
    shape = (2, 4) if p.activation.vector else SHAPE

    def measure(zy: tuple[np.ndarray, np.ndarray]) -> Measurement:
        z, y = zy
        z = np.where(_in_cost_domain(p, z, ctx), z, 0).astype(z.dtype)
        g = T.pair_value(p.activation.name, p.cost.name, z, y, 1)
        scale = _pair_scale(p, z, y, g)
        budget = BUDGETS["vector"] if p.activation.vector else BUDGETS["derivative"]
        rec: list[str] = []
        raw = call(ctx.ns, fn, p.activation.name, p.cost.name, z, y, record=rec)
        out = as_array(fn, raw, z.shape)
        wdt, held = precision(fn, ctx.np_dtype, raw, out, g, [z, y], rec)
        natural = N.pair(p.activation.name, p.cost.name)
        cmp = compare(out, g, scale, wdt, budget, natural=natural, mask=held)

        worst = worst_of(
            cmp, {"z": z, "y": y}, {"truth": g, "actual": out}, rows=p.activation.vector
        )
        return Measurement(worst, rec)

    def repro(v: Violation) -> str:
        z, y = (np.asarray(x) for x in v.inputs)
        note = "" if v.worst is None else f"spec: {v.worst.values.get('truth')!r}"
        lines = [
            "import numpy as np",
            ctx.ns.import_line(fn),
            f"z = np.array({z.tolist()!r}, dtype=np.{z.dtype})",
            f"y = np.array({y.tolist()!r}, dtype=np.{y.dtype})",
            f"print({fn}({p.activation.name!r}, {p.cost.name!r}, z, y))  # {note}",
        ]
        return "\n".join(lines)

    return run(
        ctx, "composed", p.name, gst.pair_inputs(p, dtype=ctx.dtype, shape=shape), measure, repro
    )


def reductions(ctx: Ctx) -> CheckResult:
    """``reduce``/``reduce_der``: none, sum and mean (whose gradient carries 1/N)."""
    dt = ctx.np_dtype
    vals = st.integers(1, 12)

    def measure(n: int) -> Measurement:
        rng = np.random.default_rng(n)
        v = rng.normal(size=(n,)).astype(dt)
        g = rng.normal(size=(n,)).astype(dt)
        for red in ("none", "sum", "mean"):
            got = as_array(
                "reduce", call(ctx.ns, "reduce", v, red), v.shape if red == "none" else ()
            )
            want = _reduce(v.astype(np.float64), red)
            scale = np.abs(v.astype(np.float64)).sum() * n / (n if red == "mean" else 1)
            cmp = compare(got, want, np.maximum(scale, np.abs(want)), dt, BUDGETS["value"])
            if not cmp.ok:
                raise Violation(
                    f"reduce(values, {red!r}) = {got.tolist()}, expected "
                    f"{np.asarray(want).tolist()}",
                    inputs=n,
                )
            dg = as_array("reduce_der", call(ctx.ns, "reduce_der", g, red), g.shape)
            want = g.astype(np.float64) * (1.0 / n if red == "mean" else 1.0)
            cmp = compare(dg, want, np.abs(want), dt, BUDGETS["value"])
            if not cmp.ok:
                i = cmp.worst_index
                raise Violation(
                    f"reduce_der(grad, {red!r}) over {n} elements: element {i} is "
                    f"{dg[i]!r}, expected {want[i]!r} (the mean's gradient is "
                    "grad / N)",
                    inputs=n,
                )
        return Measurement(None)

    return run(ctx, "reduction", "none|sum|mean", vals, measure)
