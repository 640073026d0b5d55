"""Checks of one activation binding: values, derivatives (symbolic and numeric), second
derivatives, the output form, kinks, extremes, shapes/dtypes, determinism and mutation.

Every check id reads ``<check>[<activation>:<dtype>]``.
"""

from __future__ import annotations

import numpy as np

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
    skip,
    working_eps,
    worst_at,
)
from gradspec.conformance.engine import natural as N
from gradspec.conformance.engine import numeric
from gradspec.conformance.engine.calling import as_array, call
from gradspec.conformance.engine.errormodel import BUDGETS, Comparison, compare, eps, scale_one
from gradspec.conformance.engine.results import CheckResult, Measurement, Violation, Worst
from gradspec.conformance.targets.namespace import ActivationBinding
from gradspec.derivations import truth as T

SHAPE = (8,)
VECTOR_SHAPE = (2, 4)


def _strategy(b: ActivationBinding, ctx: Ctx):
    shape = VECTOR_SHAPE if b.entry.vector else SHAPE
    return gst.activation_inputs(b.entry, dtype=ctx.dtype, shape=shape)


def _unit(b: ActivationBinding, ctx: Ctx) -> list[np.ndarray]:
    """Unit inputs, run before the drawn ones: eight points of [-2, 2] (off the kink at 0),
    where every activation is of its natural size."""
    z = np.linspace(-2.0, 2.0, 8).astype(ctx.np_dtype)
    return [z.reshape(VECTOR_SHAPE) if b.entry.vector else z.reshape(SHAPE)]


def _softmax_scale(z: np.ndarray, order: int) -> np.ndarray:
    """Rounding scale of softmax (order 0) and its Jacobian (order 1), per element.

    a_i = exp(z_i - m) / sum_j exp(z_j - m): rounding z_j by eps moves a_i by a_i a_j |z_j|
    and a_i itself by a_i |z_i|, so S_i = a_i (1 + |z_i| + sum_j a_j |z_j|).  The Jacobian
    J_ij = a_i (delta_ij - a_j) is formed from those a's: S_ij = |J_ij| + S_i (delta_ij + a_j)
    + a_i S_j (the terms' own magnitudes carry the error, not their difference).
    """
    z = np.asarray(z, dtype=np.float64)
    a = T.activation_value("softmax", z, 0)
    s = a * (1 + np.abs(z) + np.sum(a * np.abs(z), axis=-1, keepdims=True))
    if order == 0:
        return s
    eye = np.eye(z.shape[-1])
    jac = a[..., :, None] * (eye - a[..., None, :])
    return (
        np.abs(jac) + s[..., :, None] * (eye + a[..., None, :]) + a[..., :, None] * s[..., None, :]
    )


def _vector_scale(value: np.ndarray, z: np.ndarray) -> np.ndarray:
    return _softmax_scale(z, 0 if np.ndim(value) == np.ndim(z) else 1)


def _repro(ctx: Ctx, fn: str, b: ActivationBinding, truth_order: int):
    def make(v: Violation) -> str:
        z = np.asarray(v.inputs)
        if v.worst is not None and not b.entry.vector:
            z = element_args(v.worst, {"z": z}, ctx.np_dtype)["z"]
        note = ""
        if v.worst is not None:
            note = f"spec: {v.worst.values.get('truth', v.worst.values.get('numeric'))!r}"
        return reproducer(ctx.ns, fn, {"z": z}, note)

    return make


def value(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    name = b.entry.name

    def measure(z: np.ndarray) -> Measurement:
        t0 = T.activation_value(name, z, 0)
        if b.entry.vector:
            scale = _vector_scale(t0, z)
            return compare_call(
                ctx,
                b.forward,
                [z],
                ["z"],
                t0,
                scale,
                BUDGETS["vector"],
                rows=True,
                natural=N.activation(name, 0),
            )
        scale = scale_one(t0, z, T.activation_value(name, z, 1))
        return compare_call(
            ctx,
            b.forward,
            [z],
            ["z"],
            t0,
            scale,
            BUDGETS["value"],
            natural=N.activation(name, 0),
        )

    return run(
        ctx,
        "value",
        name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.forward, b, 0),
        explicit=_unit(b, ctx),
    )


def _der_arg(ctx: Ctx, b: ActivationBinding, z: np.ndarray) -> np.ndarray:
    """What the derivative is called with: z, or a = f(z) from the implementation itself."""
    if b.der_wrt == "input":
        return z
    if b.forward is None:
        raise Violation(f"{b.der} takes the output but no {b.entry.name}(z) is defined")
    a = as_array(b.forward, call(ctx.ns, b.forward, z), np.shape(z))
    return a.astype(ctx.np_dtype)


def _der_scale(name: str, z: np.ndarray, d1: np.ndarray, wrt: str, a: np.ndarray) -> np.ndarray:
    """Rounding scale of f' at z.

    The classic evaluation of f' through the output, g(a) with a = f(z) rounded (sigmoid:
    a (1 - a)), is accepted whichever argument the function takes: its error is that of
    rounding a, |a g'(a)| eps with g'(a) = f''(z) / f'(z).  So activations with an output
    form get that term added to the input form's |f'| + |z f''|.
    """
    d2 = T.activation_value(name, z, 2)
    out = scale_one(d1, z, d2) if wrt == "input" else np.abs(d1)
    if wrt == "output" or spec.activation(name).output_derivative is not None:
        if wrt == "input":
            a = T.activation_value(name, z, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            g_prime = np.where(d1 != 0, d2 / d1, 0.0)
        out = out + np.abs(np.asarray(a, np.float64) * g_prime)
    return out


def derivative(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    name = b.entry.name

    def measure(z: np.ndarray) -> Measurement:
        arg = _der_arg(ctx, b, z)
        d1 = T.activation_value(name, z, 1)
        if b.entry.vector:
            return compare_call(
                ctx,
                b.der,
                [arg],
                ["z"],
                d1,
                _vector_scale(d1, z),
                BUDGETS["vector"],
                rows=True,
                natural=N.activation(name, 1),
            )
        scale = _der_scale(name, z, d1, b.der_wrt, arg)
        return compare_call(
            ctx,
            b.der,
            [arg],
            ["z" if b.der_wrt == "input" else "a"],
            d1,
            scale,
            BUDGETS["derivative"],
            natural=N.activation(name, 1),
        )

    return run(
        ctx,
        "derivative",
        name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.der, b, 1),
        explicit=_unit(b, ctx),
    )


def _numeric_jacobian(ctx: Ctx, fn: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d f_i / d z_j per row by Ridders, one column j at a time."""
    z64 = np.asarray(z, dtype=np.float64)
    k = z64.shape[-1]
    jac = np.empty((*z64.shape, k))
    err = np.empty_like(jac)

    def f(x: np.ndarray) -> np.ndarray:
        return as_array(fn, call(ctx.ns, fn, x), x.shape)

    for j in range(k):
        e = np.zeros(k)
        e[j] = 1.0
        h0 = numeric.initial_step(z64[..., j : j + 1]) * np.ones_like(z64)
        d, er = numeric.ridders(lambda t, e=e: f(z64 + t[..., :1] * e), h0)
        jac[..., :, j] = d
        err[..., :, j] = er
    return jac, err


def derivative_numeric(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    """The derivative against central differences of the implementation's own forward."""
    name = b.entry.name
    kinks = tuple(k.at for k in b.entry.kinks)

    def measure(z: np.ndarray) -> Measurement:
        arg = _der_arg(ctx, b, z)
        d1 = T.activation_value(name, z, 1)
        if b.entry.vector:
            num, err = _numeric_jacobian(ctx, b.forward, z)
            return compare_call(
                ctx,
                b.der,
                [arg],
                ["z"],
                num,
                _vector_scale(d1, z),
                BUDGETS["vector"],
                allowance=err,
                rows=True,
                reference_label="numeric",
                natural=N.activation(name, 1),
            )

        def f(x: np.ndarray) -> np.ndarray:
            return as_array(b.forward, call(ctx.ns, b.forward, x), x.shape)

        # Rounding of each forward evaluation, in the eps the forward really computes in.
        t0 = T.activation_value(name, z, 0)
        f_err = BUDGETS["value"] * working_eps(ctx, b.forward, z) * scale_one(t0, z, d1)
        # A forward less accurate than the budget (a precision warning of its own) makes
        # its differences noisier: its measured error at z is the noise floor then.
        f_err = forward_noise(f, z, f_err, b.entry.domain.lo, b.entry.domain.hi)
        scale = _der_scale(name, z, d1, b.der_wrt, arg)
        return compare_numeric(
            ctx,
            b.der,
            [arg],
            ["z" if b.der_wrt == "input" else "a"],
            f,
            z,
            scale,
            BUDGETS["derivative"],
            kinks=kinks,
            lo=b.entry.domain.lo,
            hi=b.entry.domain.hi,
            f_error=f_err,
            natural=N.activation(name, 1),
            truth=d1,
        )

    return run(
        ctx,
        "derivative_numeric",
        name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.der, b, 1),
        explicit=_unit(b, ctx),
    )


def output_form_allowance(name: str, z: np.ndarray, order: int) -> np.ndarray:
    """|a d f^(order)/da|: the rounding of a = f(z) carried into f^(order) evaluated through
    the output (autodiff of a(1 - a) gives f'' = a(1 - a)(1 - 2a)); zero without an output
    form.  d f^(n)/da = f^(n+1)(z) / f'(z)."""
    if spec.activation(name).output_derivative is None:
        return np.zeros(np.shape(z))
    a = T.activation_value(name, z, 0)
    d1 = T.activation_value(name, z, 1)
    nxt = T.activation_value(name, z, order + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(a * np.where(d1 != 0, nxt / d1, 0.0))


def second_derivative(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    name = b.entry.name

    def measure(z: np.ndarray) -> Measurement:
        d2 = T.activation_value(name, z, 2)
        scale = scale_one(d2, z, T.activation_value(name, z, 3))
        scale = scale + output_form_allowance(name, z, 2)
        return compare_call(
            ctx, b.der2, [z], ["z"], d2, scale, BUDGETS["derivative"], natural=N.activation(name, 2)
        )

    return run(
        ctx,
        "second_derivative",
        name,
        _strategy(b, ctx),
        measure,
        _repro(ctx, b.der2, b, 2),
        explicit=_unit(b, ctx),
    )


def output_form(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    """``<act>_der_output(f(z))`` against f'(z): the classic form in terms of the output."""
    name = b.entry.name

    def measure(z: np.ndarray) -> Measurement:
        a = T.activation_value(name, z, 0).astype(ctx.np_dtype)
        d1 = T.activation_value(name, z, 1)
        scale = _der_scale(name, z, d1, "output", a)
        return compare_call(
            ctx,
            b.der_output,
            [a],
            ["a"],
            d1,
            scale,
            BUDGETS["derivative"],
            natural=N.activation(name, 1),
        )

    return run(ctx, "output_form", name, _strategy(b, ctx), measure)


def kinks(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    """At each kink and its 1-ulp neighbours: the derivative lies in the accepted interval,
    bracketed by the one-sided differences of the lower derivative; next to it, it equals the
    one-sided value."""
    name = b.entry.name

    def body() -> Measurement:
        worst: Worst | None = None
        rec: list[str] = []
        dt = ctx.np_dtype
        for k in b.entry.kinks:
            order = k.derivative_order
            fn = b.der if order == 1 else b.der2
            lower = b.forward if order == 1 else b.der
            if fn is None or (order == 2 and b.der2 is None):
                continue
            x0 = dt.type(k.at)
            pts = np.array(
                [x0, np.nextafter(x0, dt.type(-np.inf)), np.nextafter(x0, dt.type(np.inf))],
                dtype=dt,
            )
            arg = pts if order == 2 else _der_arg(ctx, b, pts)
            got = as_array(fn, call(ctx.ns, fn, arg, record=rec), pts.shape)
            lo, hi = k.accepted
            tol = BUDGETS["derivative"] * eps(dt) * max(1.0, abs(lo), abs(hi))
            at = float(got[0])
            if not (lo - tol <= at <= hi + tol):
                raise Violation(
                    f"{fn}({k.at:g}) = {at!r}, outside the accepted interval [{lo:g}, {hi:g}]",
                    Worst((0,), np.inf, 0.0, {"z": float(x0)}, {"actual": at}),
                )
            if lower is not None and (order == 1 or b.der_wrt == "input"):

                def f(x: np.ndarray, lower: str = lower) -> np.ndarray:
                    return as_array(lower, call(ctx.ns, lower, x), x.shape)

                h = 1e-4 * max(1.0, abs(k.at))
                left, right = numeric.one_sided(f, np.array([k.at]), h)
                # One-sided differences err by ~h/2 * |f''| on each side (f'' from the truth).
                m2 = np.nanmax(
                    np.abs(
                        T.activation_value(name, np.array([k.at - h, k.at + h]), min(order + 1, 3))
                    )
                )
                slack = h * (m2 + 1.0) + tol
                blo, bhi = min(left[0], right[0]) - slack, max(left[0], right[0]) + slack
                if not (blo <= at <= bhi):
                    raise Violation(
                        f"{fn}({k.at:g}) = {at!r} is not between the one-sided differences "
                        f"{left[0]!r} and {right[0]!r} of {lower}",
                        Worst((0,), np.inf, 0.0, {"z": float(x0)}, {"actual": at}),
                    )
            # The neighbours are smooth points: the truth is defined there.  A subnormal
            # neighbour (1 ulp off 0) may be flushed to zero by the hardware (XLA on CPU),
            # which then answers exactly as at the kink (itself checked against the interval).
            t = T.activation_value(name, pts[1:], order)
            scale = np.abs(t) + 1.0
            flushed = (np.abs(pts[1:].astype(np.float64)) < np.finfo(dt).smallest_normal) & (
                got[1:] == got[0]
            )
            t = np.where(flushed, got[1:], t)
            cmp: Comparison = compare(got[1:], t, scale, dt, BUDGETS["derivative"])
            if not cmp.ok:
                i = cmp.worst_index
                raise Violation(
                    f"{fn} next to the kink at {k.at:g}: {fn}({float(pts[1:][i])!r}) = "
                    f"{float(got[1:][i])!r}, spec {float(t[i])!r}",
                    worst_at(cmp, i, {"z": float(pts[1:][i])}, {"truth": float(t[i])}),
                )
            if worst is None or cmp.worst_units > worst.units:
                i = cmp.worst_index
                worst = worst_at(
                    cmp,
                    i,
                    {"z": float(pts[1:][i])},
                    {"truth": float(t[i]), "actual": float(got[1:][i])},
                )
                worst.index = (i[0] + 1,)
        return Measurement(worst, rec)

    return single(ctx, "kinks", name, body)


def extreme_points(dtype: np.dtype) -> np.ndarray:
    big = [1e3, 1e4, 30.0, 50.0, 88.0, 89.0, 100.0, 710.0, 745.0, 1e-30, 0.0]
    if dtype == np.float64:
        big += [1e-300]  # huge |z| like 1e300 cost mpmath seconds and test nothing new
    pts = np.array(big + [-v for v in big if v], dtype=np.float64)
    return pts.astype(dtype)


def _off_kinks(z: np.ndarray, b: ActivationBinding) -> np.ndarray:
    """Kinks have their own check; extremes keep to points where the truth is defined."""
    keep = np.ones(z.shape, dtype=bool)
    for k in b.entry.kinks:
        keep &= z != k.at
    return z[keep]


def extremes(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    """Large |z| and tiny values: finite and accurate where the math is finite, no overflow
    warnings (a warning with right values is reported as warn), NaN in gives NaN out."""
    name = b.entry.name
    dt = ctx.np_dtype

    def body() -> Measurement:
        rec: list[str] = []
        z = _off_kinks(extreme_points(dt), b)
        if b.entry.vector:
            z = np.stack([z, -z, np.zeros_like(z)], axis=-1)  # rows of 3
        worst = None
        fns = [(b.forward, 0), (b.der, 1)]
        for fn, order in fns:
            if fn is None:
                continue
            arg = z if order == 0 else _der_arg(ctx, b, z)
            out_shape = z.shape if not (b.entry.vector and order == 1) else (*z.shape, z.shape[-1])
            raw = call(ctx.ns, fn, arg, record=rec)
            got = as_array(fn, raw, out_shape)
            t = T.activation_value(name, z, order)
            natural = N.activation(name, order)
            if b.entry.vector:
                scale = _vector_scale(t, z)
                budget = BUDGETS["vector"]
            elif order == 0:
                scale = scale_one(t, z, T.activation_value(name, z, 1))
                budget = BUDGETS["value"]
            else:
                scale = _der_scale(name, z, t, b.der_wrt, arg)
                budget = BUDGETS["derivative"]
            bad = np.isfinite(t) & ~np.isfinite(got)
            if bad.any():
                i = tuple(int(j) for j in np.argwhere(bad)[0])
                raise Violation(
                    f"{fn} returned {got[i]} where the spec value is {t[i]!r} "
                    f"(input {float(z[i[: z.ndim]]) if z.ndim == 1 else z[i[:-1]].tolist()})"
                )
            wdt, held = precision(fn, dt, raw, got, t, [z], rec)
            cmp = compare(got, t, scale, wdt, budget, natural=natural, mask=held)
            i = cmp.worst_index
            if i is not None:
                zi = z[i] if z.ndim == len(i) else z[i[: z.ndim]]
                w = worst_at(
                    cmp,
                    i,
                    {"z": np.asarray(zi).tolist()},
                    {"truth": float(t[i]), "actual": float(got[i])},
                )
                if not cmp.ok:
                    raise Violation(
                        f"{fn} at z={np.asarray(zi).tolist()}: {got[i]!r}, spec {t[i]!r} "
                        f"({cmp.worst_units:.3g} eps-units)",
                        w,
                    )
                if worst is None or w.units > worst.units:
                    worst = w
            if not b.entry.vector and order == 0:  # elementwise: NaN in, NaN out
                nan_probe(ctx, fn, [np.array([np.nan, 1.0], dtype=dt)], rec)
        return Measurement(worst, rec)

    return single(ctx, "extremes", name, body)


def shapes_dtype(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    """Output shape equals input shape (softmax: along the last axis; its Jacobian adds a
    trailing K); a changed dtype (float32 in, float64 out) is a warning, not a failure."""
    name = b.entry.name
    dt = ctx.np_dtype
    shapes = [(5,), (3, 4), (2, 3, 4)] if b.entry.vector else [(), (5,), (3, 4), (2, 3, 4)]

    def body() -> Measurement:
        rng = np.random.default_rng(0)
        notes: list[str] = []
        for shape in shapes:
            z = rng.uniform(-3, 3, size=shape).astype(dt)
            for fn, order in ((b.forward, 0), (b.der, 1), (b.der2, 2)):
                if fn is None:
                    continue
                arg = z if order != 1 else _der_arg(ctx, b, z)
                out = call(ctx.ns, fn, arg)
                want = shape if not (b.entry.vector and order == 1) else (*shape, shape[-1])
                got_shape = np.shape(out)
                if got_shape != want:
                    raise Violation(
                        f"{fn} on shape {shape} returned shape {got_shape}, expected {want}"
                    )
                got_dtype = np.asarray(out).dtype
                if got_dtype != dt:
                    note = f"{fn} returns {got_dtype} for {dt} input (the dtype changes)"
                    if note not in notes:
                        notes.append(note)
        return Measurement(None, notes)

    return single(ctx, "shape_dtype", name, body)


def determinism_mutation(ctx: Ctx, b: ActivationBinding) -> CheckResult:
    """Same input twice gives the same bits, and the caller's array is left untouched."""
    name = b.entry.name
    dt = ctx.np_dtype

    def body() -> Measurement:
        z = np.linspace(-3, 3, 15, dtype=dt)
        if b.entry.vector:
            z = z.reshape(3, 5)
        for fn, order in ((b.forward, 0), (b.der, 1)):
            if fn is None:
                continue
            arg = z if order == 0 else _der_arg(ctx, b, z)
            original = arg.copy()
            first = np.asarray(ctx.ns.call(fn, arg))
            if not np.array_equal(arg, original, equal_nan=True):
                raise Violation(f"{fn} mutated its input in place")
            second = np.asarray(ctx.ns.call(fn, arg))
            if not np.array_equal(first, second, equal_nan=True):
                raise Violation(f"{fn} is not deterministic: two calls on the same input differ")
        return Measurement(None)

    try:
        return single(ctx, "determinism_mutation", name, body)
    except Exception as exc:  # raised by the candidate outside call(): still a failed check
        return CheckResult(
            "determinism_mutation", name, ctx.dtype, "fail", f"{type(exc).__name__}: {exc}"
        )


def all_checks(ctx: Ctx, b: ActivationBinding) -> list:
    """The (check name, thunk) list for one binding, in report order."""
    name = b.entry.name
    out = []
    if b.forward:
        out.append(("value", lambda: value(ctx, b)))
    if b.der:
        out.append(("derivative", lambda: derivative(ctx, b)))
        if b.forward:
            out.append(("derivative_numeric", lambda: derivative_numeric(ctx, b)))
        else:
            out.append(
                (
                    "derivative_numeric",
                    lambda: skip(ctx, "derivative_numeric", name, f"no {name}(z) to difference"),
                )
            )
    if b.der2 and not b.entry.vector:
        out.append(("second_derivative", lambda: second_derivative(ctx, b)))
    if b.der_output:
        out.append(("output_form", lambda: output_form(ctx, b)))
    if b.entry.kinks and (b.der or b.der2):
        out.append(("kinks", lambda: kinks(ctx, b)))
    if b.forward or b.der:
        out.append(("extremes", lambda: extremes(ctx, b)))
        out.append(("shape_dtype", lambda: shapes_dtype(ctx, b)))
        out.append(("determinism_mutation", lambda: determinism_mutation(ctx, b)))
    return out
