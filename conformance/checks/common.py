"""Pieces shared by the function-level checks: comparing, describing and reproducing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradspec import dtypes, spec
from gradspec.conformance.engine import errormodel, numeric
from gradspec.conformance.engine.calling import as_array, call, call_rows
from gradspec.conformance.engine.precision import float32_exact, float32_holds, working_dtype
from gradspec.conformance.engine.results import (
    CheckResult,
    Measurement,
    Outcome,
    Samples,
    Timer,
    Violation,
    Worst,
    run_property,
)
from gradspec.conformance.targets.namespace import Namespace


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
    # a built-in's function at drawn parameter values: leaky_relu_der[slope=0.2]
    base, values = spec.parse_id(fn)
    call_args = [*args, *(f"{k}={v}" for k, v in values.items())]
    call_line = f"print({base}({', '.join(call_args)}))"
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
    return worst_at(cmp, idx, at_inputs, at_values)


def worst_at(
    cmp: errormodel.Comparison,
    idx: tuple[int, ...] | None,
    inputs: dict | None = None,
    values: dict | None = None,
    dtype: str = "",
) -> Worst:
    """A :class:`Worst` for element ``idx`` of ``cmp`` (units, ratio and threshold there)."""
    if idx is None:
        return Worst(None, 0.0, cmp.budget, inputs or {}, values or {})
    units = np.broadcast_to(cmp.units, cmp.checked.shape)
    ratio = np.broadcast_to(cmp.ratio, cmp.checked.shape)
    thr = np.broadcast_to(cmp.threshold, cmp.checked.shape)
    return Worst(
        idx,
        float(units[idx]),
        cmp.budget,
        inputs or {},
        values or {},
        ratio=float(ratio[idx]),
        threshold=float(thr[idx]),
        dtype=dtype or cmp.dtype,
    )


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
    natural: float = 0.0,
    truth: np.ndarray | None = None,
    prefix: Sequence[Any] = (),
) -> Measurement:
    """Call ``fn(*prefix, *args)`` and compare it with ``reference`` in units of eps * scale.

    ``prefix``: leading arguments that are not inputs (the names of a pair for ``delta``);
    they are passed but not reported.

    The eps is that of the precision ``fn`` really computes in (:func:`working_dtype`): a
    float32 implementation fed float64 is judged against float32 rounding, with a warning,
    and only where float32 can hold its inputs (:func:`float32_holds`).  ``truth`` (default:
    ``reference`` unless it is a numeric difference) is what that detection compares with.
    """
    rec: list[str] = []
    shape = expect_shape if expect_shape is not None else np.shape(reference)
    raw = call(ctx.ns, fn, *prefix, *args, record=rec)
    out = as_array(fn, raw, shape)
    if transform is not None:
        out = transform(out)
    if truth is None and reference_label == "truth":
        truth = reference
    dtype, held = precision(fn, ctx.np_dtype, raw, out, truth, args, rec)
    if held is not None:
        mask = held if mask is None else mask & held
    cmp = errormodel.compare(
        out,
        reference,
        scale,
        dtype,
        budget,
        allowance=allowance,
        mask=mask,
        natural=natural,
        against="numeric" if reference_label == "numeric" else "truth",
    )
    values = {reference_label: reference, "actual": out}
    if not np.isscalar(allowance) or allowance:
        values["reference error estimate"] = np.broadcast_to(allowance, np.shape(reference))
    worst = worst_of(cmp, dict(zip(names, args, strict=True)), values, rows=rows)
    if worst is not None and worst.warns:
        rec.extend(stated_cause(ctx, fn))
    return Measurement(worst, rec, samples=samples_of(cmp, names, args, reference, out, rows))


def samples_of(
    cmp: errormodel.Comparison,
    names: Sequence[str],
    args: Sequence[np.ndarray],
    reference: np.ndarray,
    out: np.ndarray,
    rows: bool = False,
    reference_label: str = "truth",
) -> Samples | None:
    """The compared elements of an elementwise call, against its first input, for the
    report's plots; None when the output is not one value per input element (a reduction,
    a row of a vector function)."""
    if rows or not args or np.shape(args[0]) != cmp.units.shape or cmp.units.ndim == 0:
        return None
    return Samples.of(
        names[0],
        reference_label,
        args[0],
        reference,
        out,
        cmp.units,
        cmp.threshold,
        cmp.checked,
        others=tuple(names[1:]),
    )


def stated_cause(ctx: Ctx, fn: str) -> list[str]:
    """The implementation's own account of a precision loss in ``fn``: the optional protocol
    constant ``PRECISION_NOTES = {"<function>": "<cause>"}``."""
    notes = ctx.ns.constant("PRECISION_NOTES", None)
    cause = notes.get(fn) if isinstance(notes, dict) else None
    return [f"{fn}: cause (stated by the implementation): {cause}"] if cause else []


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
    notes = list(outcome.warnings)
    if outcome.failure is None and outcome.worst is not None and outcome.worst.warns:
        notes.insert(0, outcome.worst.precision_note() + _stable_form(subject))
    if outcome.failure is not None:
        v = outcome.failure
        res.status = "fail"
        res.message = v.message
        res.worst = v.worst or outcome.worst
        res.failing_example = v.inputs  # the minimal failing example, for localisation
        if repro is not None and v.inputs is not None:
            try:
                res.reproducer = repro(v)
            except Exception:  # a reproducer is a courtesy; never fail the run over it
                res.reproducer = ""
    elif notes:
        res.status = "warn"
        more = f" (+{len(notes) - 4} more)" if len(notes) > 4 else ""
        res.message = "; ".join(notes[:4]) + more
        res.warnings = notes
    if note and not res.message:
        res.message = note
    beyond_budget = res.worst is not None and not res.worst.units <= res.worst.budget
    if res.status == "fail" or (res.status == "warn" and beyond_budget):
        # What the report's figures show, kept only where an error is to see (a warning about
        # a working precision or a convention has none).
        res.samples = outcome.samples
        if outcome.steps is not None:
            try:
                res.steps = outcome.steps()
            except Exception:  # a plot's data is a courtesy; never fail the run over it
                res.steps = None
    return res


def _stable_form(subject: str) -> str:
    """The registry's note on stable evaluation of ``subject``, for precision warnings."""
    names = subject.split("+")
    notes = []
    for n in names:
        for lookup in (spec.activation, spec.cost):
            try:
                entry = lookup(n)
            except (spec.UnknownName, spec.InvalidParameter):  # not a registry name: a network
                continue
            if entry.stability:
                notes.append(f"{entry.name}: {entry.stability}")
            break
    return f"; stable form: {' '.join(notes)}" if notes else ""


def precision(
    fn: str,
    asked: np.dtype,
    raw: object,
    out: np.ndarray,
    truth: np.ndarray | None,
    args: Sequence[np.ndarray],
    rec: list[str],
) -> tuple[np.dtype, np.ndarray | None]:
    """The dtype to judge one call's output in, and the mask of inputs that dtype can hold
    (None: all).  A detected float32 working precision is noted in ``rec`` once."""
    dtype, note = working_dtype(fn, asked, raw, out, truth)
    if note and note not in rec:
        rec.append(note)
    if dtype == np.dtype(asked):
        return dtype, None
    return dtype, float32_holds(args, np.shape(out))


def nan_probe(ctx: Ctx, fn: str, args: Sequence[np.ndarray], rec: list[str]) -> None:
    """NaN in the first element must give NaN out.  Not propagating it (relu(nan) = 0) hides a
    bad input upstream, but the math is right: a warning, as is refusing NaN by raising."""
    shown = ", ".join("nan" if i == 0 else "..." for i in range(len(args)))
    try:
        shape = np.shape(args[0])
        got = as_array(fn, call_rows(ctx.ns, fn, tuple(args), shape), shape)
    except Violation as v:
        rec.append(f"{v.message} on a NaN input (NaN is refused, not propagated)")
        return
    if not np.isnan(got.ravel()[0]):
        rec.append(f"{fn}({shown}) returned {float(got.ravel()[0])!r}: NaN is not propagated")


def working_eps(ctx: Ctx, fn: str, *args: np.ndarray) -> float:
    """The eps a function really computes in when handed float64 inputs: a candidate whose
    forward works in float32 internally rounds its values to float32 spacing, and numeric
    differences of it carry that noise."""
    a64 = [np.asarray(a, dtype=np.float64) for a in args]
    out = call(ctx.ns, fn, *a64)
    dt = np.asarray(out).dtype
    if not dtypes.is_float(dt):
        return errormodel.eps(np.float64)
    if dt == np.float64:
        o = np.asarray(out, dtype=np.float64)
        live = np.isfinite(o) & (o != 0)
        if dtypes.is_low(ctx.dtype):
            # A float16/bfloat16 kernel behind a float64 interface answers on its own grid.
            # The drawn inputs are on that grid themselves, so the probe moves them off it
            # (toward 0: within every domain): its values on the grid tell.
            off = [a * (1 - 2.0**-30) for a in a64]
            p = np.asarray(call(ctx.ns, fn, *off), dtype=np.float64)
            alive = np.isfinite(p) & (p != 0)
            if alive.sum() >= min(2, p.size) and dtypes.exact_in(p[alive], ctx.dtype).all():
                return errormodel.eps(ctx.np_dtype)
        # float32-exact results from inputs that are not: a float32 computation
        inputs_exact = all(bool(float32_exact(a).all()) for a in a64)
        if live.sum() >= min(2, o.size) and float32_exact(o[live]).all() and not inputs_exact:
            return errormodel.eps(np.float32)
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
        None if m.ok else Violation(f"error {m.worst.describe()}", m.worst),  # wrong math
        m.worst,
        1,
        m.warnings,
        m.samples,
        m.steps,
    )
    return finish(ctx, check, subject, outcome, t)


def run(
    ctx: Ctx,
    check: str,
    subject: str,
    strategy: Any,
    measure: Callable[[Any], Measurement],
    repro: Callable[[Violation], str] | None = None,
    *,
    explicit: list[Any] | None = None,
) -> CheckResult:
    """Run one property check; ``explicit`` examples (unit inputs) run before any drawn one."""
    with Timer() as t:
        outcome = run_property(strategy, measure, ctx.profile, explicit=explicit)
    return finish(ctx, check, subject, outcome, t, repro)


def with_notes(res: CheckResult, notes: Sequence[str]) -> CheckResult:
    """Attach warnings that hold for the whole subject (a detected working precision, an
    inferred convention): a pass becomes a warn; a failure keeps its status."""
    notes = [n for n in notes if n not in res.warnings]
    if not notes or res.status in ("skip", "error"):
        return res
    if res.status == "pass":
        res.status = "warn"
        res.message = "; ".join(notes)
    elif res.status == "warn":
        res.message = "; ".join([*notes, res.message])
    res.warnings = [*notes, *res.warnings]
    return res


def skip(ctx: Ctx, check: str, subject: str, why: str) -> CheckResult:
    return CheckResult(check, subject, ctx.dtype, "skip", why)


def forward_noise(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    floor: np.ndarray,
    lo: float = -np.inf,
    hi: float = np.inf,
) -> np.ndarray:
    """The rounding noise of one evaluation of ``f`` near x: the budget's ``floor``, or the
    roughness ``f`` really shows when that is larger (a forward that loses digits, such as
    -log(1 - a) at a = 1e-12): the largest second difference
    |f(x + d) - 2 f(x) + f(x - d)| over d = (1, 2, 3) 1e-7 max(1, |x|) (kept inside the
    domain).  A smooth function's second differences are ~f'' d^2, negligible; rounding
    noise does not shrink with d.  A forward that is smooth but wrong (a biased constant)
    adds nothing, so its derivative is still held to the differences."""
    x = np.asarray(x, dtype=np.float64)
    room = np.minimum(np.abs(x - lo), np.abs(hi - x)) / 2
    base = np.minimum(1e-7 * np.maximum(1.0, np.abs(x)), room)
    rough = np.zeros_like(x)
    try:
        with np.errstate(all="ignore"):
            fx = np.asarray(f(x), dtype=np.float64)
            for k in (1.0, 2.0, 3.0):
                d = base * k
                d2 = np.asarray(f(x + d), np.float64) - 2 * fx + np.asarray(f(x - d), np.float64)
                rough = np.maximum(rough, np.where(np.isfinite(d2), np.abs(d2), 0.0))
    except Violation:
        return floor
    return np.maximum(floor, rough)


#: The first-step factors of compare_numeric's retries, in order.
RETRY_STEPS = (1 / 2, 1 / 8, 1e-3)


def compare_numeric(
    ctx: Ctx,
    fn: str,
    args: Sequence[np.ndarray],
    names: Sequence[str],
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    scale: np.ndarray,
    budget: float,
    *,
    kinks: tuple = (),
    lo: float = -np.inf,
    hi: float = np.inf,
    f_error: np.ndarray | float = 0.0,
    natural: float = 0.0,
    truth: np.ndarray | None = None,
) -> Measurement:
    """An elementwise derivative ``fn(*args)`` against Ridders differences of ``f`` at ``x``.

    ``truth`` (the symbolic derivative, when known) serves to detect a float32 working
    precision; a numeric difference is never exact, so it cannot.

    Where they disagree, the implementation's own function may not be smooth there (a clip, a
    threshold such as torch's softplus switching to the identity at 20): the difference is
    retried with first steps 2, 8 and 1000 times smaller (:data:`RETRY_STEPS`: a corner or jump
    within the default step is then left out); where the differences still change with the
    step, the element is left to the derivative check against the spec; and where the
    one-sided slopes of ``f`` still disagree at x itself, any derivative between them is
    accepted (:func:`numeric.own_corners`).
    """
    rec: list[str] = []
    raw = call(ctx.ns, fn, *args, record=rec)
    out = as_array(fn, raw, np.shape(x))
    num, err = numeric.derivative(f, x, kinks=kinks, lo=lo, hi=hi, f_error=f_error)
    dtype, held = precision(fn, ctx.np_dtype, raw, out, truth, args, rec)

    def cmp_of(num, err, mask):
        return errormodel.compare(
            out,
            num,
            scale,
            dtype,
            budget,
            allowance=err,
            mask=mask,
            natural=natural,
            against="numeric",
        )

    # Where the differences of the implementation's own function are not finite (its forward
    # leaves its domain within the step: float32(1 - 2**-24 + h) = 1 in a log loss), there is
    # no numeric reference; the derivative check against the truth still covers the point.
    mask = np.isfinite(num) if held is None else np.isfinite(num) & held
    cmp = cmp_of(num, err, mask)
    # A smaller step is noisier: its agreement counts only where its own error estimate
    # is too small to hide a wrong-math error (half the threshold).
    limit = (
        errormodel.fail_units(dtype, "numeric")
        * errormodel.eps(dtype)
        * np.maximum(np.abs(np.asarray(scale, np.float64)), abs(natural))
    )
    # First steps 2, 8 and 1000 times smaller, in turn: a jump a little way off x (torch's
    # softplus at beta z = 20, 0.16 from z = 9.84 with beta = 2, the default step 0.25) is
    # left out by the first whose steps stop short of it, while the differences are still
    # quiet enough to judge (here the halved step: error estimate 2e-12, against 8e-12 at
    # an eighth and 8e-10 at a thousandth).
    first, retries = (num, err), []
    for step_scale in RETRY_STEPS:
        if cmp.ok:
            break
        suspect = mask & (cmp.ratio > 1)
        num2, err2 = numeric.derivative(
            f, x, kinks=kinks, lo=lo, hi=hi, f_error=f_error, step_scale=step_scale
        )
        retries.append((num2, err2))
        cmp2 = cmp_of(num2, err2, mask)
        fixed = suspect & (cmp2.ratio <= 1) & (np.abs(err2) <= limit / 2)
        if fixed.any():
            # The default step spanned a corner or jump of the function's own (a value jump
            # shows, and warns, in the value check) or was otherwise too coarse there.
            num, err = np.where(fixed, num2, num), np.where(fixed, err2, err)
            cmp = cmp_of(num, err, mask)
    if not cmp.ok and retries:
        # Differences of a smooth forward agree across first steps within their error
        # estimates (which are generous); where they do not, the forward has a jump or
        # corner of its own within the default step, closer to x than any step quiet enough
        # to judge reaches.  Differences cannot judge the derivative there: the derivative
        # check against the spec still does.
        suspect = mask & (cmp.ratio > 1)
        rough = np.zeros(suspect.shape, dtype=bool)
        for num2, err2 in retries:
            with np.errstate(invalid="ignore"):
                rough |= suspect & (np.abs(first[0] - num2) > first[1] + err2)
        if rough.any():
            rec.append(
                f"{fn}: the differences of its own forward change with the step (a jump or "
                "corner of the implementation's within the step): where they do, the "
                "derivative is left to the derivative check against the spec"
            )
            mask = mask & ~rough
            cmp = cmp_of(num, err, mask)
    if not cmp.ok:
        suspect = mask & (cmp.ratio > 1)
        accepted, notes = numeric.own_corners(f, x, out, suspect, f_error)
        if accepted.any():
            rec += [f"{fn}: {n}" for n in notes[:2]]
            mask = mask & ~accepted
            cmp = cmp_of(num, err, mask)
    values = {"numeric": num, "actual": out, "reference error estimate": err}
    worst = worst_of(cmp, dict(zip(names, args, strict=True)), values)
    samples = samples_of(cmp, names, args, num, out, reference_label="numeric")
    steps = None
    if worst is not None and worst.index is not None and not worst.units <= worst.budget:
        idx, x_w = worst.index, np.array(x, dtype=np.float64)
        truth_w = None if truth is None else float(np.broadcast_to(truth, x_w.shape)[idx])

        def steps() -> dict[str, Any]:
            sweep = numeric.step_sweep(f, x_w, idx, kinks=kinks, lo=lo, hi=hi)
            return sweep | {
                "input": names[0],
                "ridders": float(num[idx]),
                "ridders_error": float(err[idx]),
                "truth": truth_w,
            }

    return Measurement(worst, rec, samples=samples, steps=steps)
