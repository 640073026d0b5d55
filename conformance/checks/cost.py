"""The cost subject: what the generic checks need to know about one cost binding (a
prediction and a target, elementwise, per row or reduced by ``sum``/``mean``).

Check ids read ``<check>[<cost>:<dtype>]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from gradspec import dtypes, spec
from gradspec import strategies as gst
from gradspec.conformance.checks.common import (
    Ctx,
    element_args,
    reproducer,
    working_eps,
    worst_at,
)
from gradspec.conformance.checks.subject import Expect, Inputs, ShapeCase
from gradspec.conformance.engine import natural as N
from gradspec.conformance.engine import numeric, scales
from gradspec.conformance.engine.calling import Forward, as_array, call_rows
from gradspec.conformance.engine.errormodel import BUDGETS, Comparison
from gradspec.conformance.engine.results import Violation, Worst
from gradspec.conformance.targets.namespace import CostBinding
from gradspec.derivations import truth as T

SHAPE = (8,)
VECTOR_SHAPE = (3, 4)
REDUCED_SHAPE = (2, 4)


def kink_arrays(c: spec.Cost, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kinks of C as a function of a, per element: a = y + r_k (a residual kink) or
    a = m_k / y (a margin kink)."""
    return tuple(c.kink_prediction(k.at, y) for k in c.kinks)


def numeric_gradient(
    f_many: Callable[[list[np.ndarray]], list[np.ndarray]],
    a: np.ndarray,
    c: spec.Cost,
    y64: np.ndarray,
    reduction: str,
    f_err: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of a row-wise or reduced cost by coordinate differences: per class j for
    rows (all rows at once), per element for reductions.

    Every coordinate advances through one Ridders table (``numeric.ridders`` keeps each
    element's own table, so this is each coordinate's table, bit for bit), and each row of
    the table is one ``f_many`` call: the cost at every coordinate's two offsets, one round
    trip to a candidate's worker instead of one per offset."""
    a64 = np.asarray(a, dtype=np.float64)
    grad = np.full(a64.shape, np.nan)
    err = np.full(a64.shape, np.nan)
    kinks = kink_arrays(c, y64)
    h_all = numeric.initial_step(a64, kinks, c.pred_domain.lo, c.pred_domain.hi)
    skip = numeric.near_kink(a64, kinks)
    if c.vector and reduction == "none":
        k = a64.shape[-1]
        units = np.eye(k)

        def rows(t: np.ndarray) -> np.ndarray:  # t[..., j]: the offset of class j per row
            outs = f_many([a64 + t[..., j, None] * units[j] for j in range(k)])
            return np.stack(outs, axis=-1)

        return numeric.ridders(rows, h_all, f_error=f_err[..., None])
    idxs = [i for i in np.ndindex(a64.shape) if not skip[i] and h_all[i] > 0]
    if not idxs:
        return grad, err
    units = []
    for i in idxs:
        e = np.zeros(a64.shape)
        e[i] = 1.0
        units.append(e)

    def reduced(t: np.ndarray) -> np.ndarray:  # t[n]: the offset of element idxs[n]
        outs = f_many([a64 + float(tn) * e for tn, e in zip(t, units, strict=True)])
        return np.array([np.sum(o) for o in outs])

    # The reduced value carries the rounding of every term: a float32 mean of squares near
    # 4.6e5 is off by ~0.03 per evaluation, which Ridders must know.
    h0 = np.array([h_all[i] for i in idxs])
    d, er = numeric.ridders(reduced, h0, f_error=float(np.sum(f_err)))
    for n, i in enumerate(idxs):
        grad[i], err[i] = d[n], er[n]
    return grad, err


class CostSubject:
    """One cost binding: inputs ``(a, y)``, differentiated in a; ``reduction`` none, sum or
    mean (a reduced cost returns one number, its gradient the elementwise one scaled)."""

    names = ("a", "y")
    prefix = ()
    shape_orders = (0, 1)

    def __init__(self, b: CostBinding):
        self.b = b
        self.entry = b.entry
        self.name = b.entry.id  # the id: the truth is at the entry's parameter values
        self.label = b.subject
        self.derivatives_only = b.derivatives_only
        self.rows = b.entry.vector
        self.elementwise = not b.entry.vector and b.reduction == "none"
        self.kinks = b.entry.kinks
        self.reduced = b.reduction != "none"

    def fn(self, order: int | str) -> str | None:
        return {0: self.b.value, 1: self.b.der, 2: self.b.der2}.get(order)

    def strategy(self, ctx: Ctx):
        # A reduced cost is fed a matrix, so that a mean over rows (N) instead of over the
        # elements (N K) shows.
        c = self.entry
        if self.b.reduction != "none" and not c.vector:
            shape = REDUCED_SHAPE
        else:
            shape = VECTOR_SHAPE if c.vector else SHAPE
        return gst.cost_inputs(c, dtype=ctx.dtype, shape=shape)

    def unit(self, ctx: Ctx) -> list[Inputs]:
        """Predictions across the unit part of the domain, targets across theirs (off every
        kink: a - y never an integer), where every cost is of its natural size.  None for
        per-row costs and simplex targets (their own draws)."""
        c = self.entry
        if c.vector or c.target_simplex:
            return []
        shape = REDUCED_SHAPE if self.b.reduction != "none" else SHAPE
        n = int(np.prod(shape))
        if c.pred_domain.lo == 0.0 and c.pred_domain.hi == 1.0:
            a = np.linspace(0.1, 0.9, n)
        else:
            a = np.linspace(-2.0, 2.0, n)
        binary = scales.binary_target(c)
        y = np.linspace(0.0, 1.0, n)[::-1] if binary else np.linspace(1.5, -1.5, n)
        if not (
            all(c.pred_domain.contains(float(v)) for v in a)
            and all(c.target_domain.contains(float(v)) for v in y)
        ):
            return []
        dt = ctx.np_dtype
        return [(a.reshape(shape).astype(dt), y.reshape(shape).astype(dt))]

    def prepare(self, ctx: Ctx, drawn: tuple[np.ndarray, np.ndarray]) -> Inputs:
        return tuple(drawn)

    def call_args(self, ctx: Ctx, inputs: Inputs, order: int) -> tuple[list, list[str]]:
        return list(inputs), ["a", "y"]

    def truth(self, inputs: Inputs, order: int) -> np.ndarray:
        a, y = inputs
        return T.cost_value(self.name, a, y, order)

    def expect(
        self, inputs: Inputs, args: Sequence[np.ndarray], order: int, *, wrt: str | None = None
    ) -> Expect:
        """Orders 0 and 1 under the binding's reduction; order 2 elementwise (its natural
        scale is that of dC/da)."""
        a, y = inputs
        c = self.entry
        if order == 2:
            t = self.truth(inputs, 2)
            scale = scales.cost_second_scale(c, a, y, t)
            return Expect(t, scale, BUDGETS["derivative"], N.cost(self.name, 1))
        t, scale = scales.cost_truth_and_scale(c, a, y, order, self.b.reduction)
        budget = BUDGETS["vector"] if c.vector else BUDGETS["value"]
        return Expect(t, scale, budget, N.reduced_cost(c, self.b.reduction, np.shape(a), order))

    def out_shape(self, inputs: Inputs, order: int) -> tuple[int, ...]:
        a = inputs[0]
        if order == 0 and self.b.reduction != "none":
            return ()
        if order == 0 and self.entry.vector:
            return a.shape[:-1]
        return a.shape

    def reproducer(self, ctx: Ctx, fn: str) -> Callable[[Violation], str]:
        def make(v: Violation) -> str:
            a, y = (np.asarray(x) for x in v.inputs)
            if v.worst is not None and not self.entry.vector and self.b.reduction == "none":
                args = element_args(v.worst, {"a": a, "y": y}, ctx.np_dtype)
                a, y = args["a"], args["y"]
            note = "" if v.worst is None else f"spec: {v.worst.values.get('truth')!r}"
            return reproducer(ctx.ns, fn, {"a": a, "y": y}, note)

        return make

    # --- numeric differences ------------------------------------------------------------

    def domain(self) -> tuple[float, float]:
        return self.entry.pred_domain.lo, self.entry.pred_domain.hi

    def variable(self, inputs: Inputs) -> np.ndarray:
        return inputs[0]

    def forward(self, ctx: Ctx, inputs: Inputs) -> Forward:
        """C(x, y) of the implementation at the drawn targets (in float64)."""
        fn = self.b.value
        y64 = inputs[1].astype(np.float64)
        return Forward(
            ctx.ns,
            fn,
            lambda x: (x, y64),
            lambda x, out: as_array(fn, out, self.out_shape((x,), 0)),
        )

    def numeric_kinks(self, inputs: Inputs) -> tuple:
        return kink_arrays(self.entry, inputs[1].astype(np.float64))

    def numeric_derivative(self, ctx: Ctx, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
        """Per-row or reduced costs: coordinate differences of the implementation's C, each
        evaluation's noise the value budget times its working eps times the scale of C."""
        a, y = inputs
        w_eps = working_eps(ctx, self.b.value, a, y)
        _, f_scale = scales.cost_truth_and_scale(self.entry, a, y, 0, self.b.reduction)
        f_err = BUDGETS["value"] * w_eps * f_scale
        f_many = self.forward(ctx, inputs).many
        return numeric_gradient(
            f_many, a, self.entry, y.astype(np.float64), self.b.reduction, f_err
        )

    # --- fixed points -------------------------------------------------------------------

    def kink_points(self, ctx: Ctx, k: spec.Kink) -> Inputs | None:
        """The prediction on the kink at two targets inside the target domain (the entry's
        target labels where it has them), where the kink variable is exact there."""
        c = self.entry
        if self.b.reduction != "none":
            return None
        dt = ctx.np_dtype
        lo_t = max(c.target_domain.lo, -2.0)
        hi_t = min(c.target_domain.hi, 2.0)
        ys = np.array(
            c.target_labels or (lo_t + 0.3 * (hi_t - lo_t), lo_t + 0.75 * (hi_t - lo_t)), dtype=dt
        )
        a = c.kink_prediction(k.at, ys.astype(np.float64)).astype(dt)
        exact = c.kink_value(a, ys) == k.at
        if not exact.any():
            return None
        return a[exact], ys[exact]

    def check_kink(
        self,
        ctx: Ctx,
        k: spec.Kink,
        fn: str,
        lower: str | None,
        points: Inputs,
        got: np.ndarray,
        tol: float,
    ) -> Worst | None:
        """In the accepted interval (a NaN is left to the bracket), and between the one-sided
        differences of ``lower`` in a with slack h + tol + 32 eps / h (|C''| <= 1 for these
        costs); there are no smooth neighbours to compare."""
        a, y = points
        lo, hi = k.accepted
        outside = (got < lo - tol) | (got > hi + tol)
        if outside.any():
            i = int(np.argmax(outside))
            raise Violation(
                f"{fn}(a={a[i]!r}, y={y[i]!r}) at {self.entry.kink_label} = {k.at:g} "
                f"returned {got[i]!r}, "
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
            return None
        y64 = y.astype(np.float64)

        def f(x: np.ndarray) -> np.ndarray:
            out = call_rows(ctx.ns, lower, (x, y64), x.shape, rowwise=not self.reduced)
            return as_array(lower, out, x.shape)

        h = 1e-5
        left, right = numeric.one_sided(f, a.astype(np.float64), h)
        # one-sided differences err by ~h/2 |C''| (|C''| <= 1 for these costs) + rounding
        slack = h + tol + 8 * np.finfo(np.float64).eps * 4 / h
        inside = (got >= np.minimum(left, right) - slack) & (got <= np.maximum(left, right) + slack)
        if not inside.all():
            i = int(np.argmin(inside))
            raise Violation(
                f"{fn}(a={a[i]!r}, y={y[i]!r}) = {got[i]!r} is not between the one-sided "
                f"differences {left[i]!r} and {right[i]!r} of {lower}"
            )
        return None

    def extreme_inputs(self, dtype: np.dtype) -> Inputs:
        """Probabilities at 1e-12 and 1 - 1e-12, logits at +-1e4, large residuals, each with
        a few targets, off the kinks; per-row costs: rows of 3 classes, one-hot and uniform
        targets."""
        c = self.entry
        # 1e4 in float64, float32, bfloat16; float16 64 (its squared residuals stay finite)
        w = dtypes.wide(dtype)
        if c.pred_domain.lo == 0.0 and c.pred_domain.hi == 1.0:
            preds = [1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-12]
            if dtypes.is_low(dtype):
                # the dtype's own edges: 1 - 1e-12 rounds to 1; float16's 1/a^2 overflows
                e = dtypes.probability_edge(dtype)
                preds = [e, max(e, 1e-6), 0.5, 1 - max(e, float(dtypes.finfo(dtype).epsneg))]
            if c.pred_domain.hi_closed:
                preds.append(1.0)
            targets = [0.0, 1.0, 0.5]
        elif c.inputs == "logits":
            preds = [-w, -w / 10, -50.0, 0.0, 50.0, w / 10, w]
            targets = [0.0, 1.0, 0.5]
        else:
            preds = [-w, -w / 10, 0.5, w / 10, w]
            targets = [-w, 0.0, 1.0, w]
        a, y = np.meshgrid(np.array(preds, dtype), np.array(targets, dtype))
        a, y = a.ravel(), y.ravel()
        keep = np.array([c.pred_domain.contains(float(v)) for v in a])
        for k in c.kinks:  # kinks have their own check
            keep &= c.kink_value(a, y) != k.at
        a, y = a[keep], y[keep]
        if c.vector:
            rows = np.stack([a, -a, np.zeros_like(a)], axis=-1)
            tgt = np.zeros_like(rows)
            tgt[::2, 0] = 1.0
            tgt[1::2] = 1.0 / 3.0
            return rows, tgt.astype(dtype)
        return a, y

    def judge_extremes(
        self,
        fn: str,
        inputs: Inputs,
        got: np.ndarray,
        truth: np.ndarray,
        cmp: Comparison,
        worst: Worst | None,
    ) -> Worst | None:
        """A comparison beyond the wrong-math threshold fails, reported at (a, y) or the row."""
        a, y = inputs
        t = np.asarray(truth)
        got = np.asarray(got)

        def at(i: tuple[int, ...]) -> dict:
            ai = a[i[: a.ndim]] if a.ndim == len(i) else a[i[: a.ndim - 1]]
            yi = y[i[: y.ndim]] if y.ndim == len(i) else y[i[: y.ndim - 1]]
            return {"a": np.asarray(ai).tolist(), "y": np.asarray(yi).tolist()}

        if not cmp.ok:
            i = cmp.worst_index
            where = at(i)
            raise Violation(
                f"{fn}(a={where['a']}, y={where['y']}) returned "
                f"{got[i]!r}, spec {t[i]!r} ({cmp.worst_units:.3g} eps-units)",
                Worst(
                    i,
                    cmp.worst_units,
                    cmp.budget,
                    where,
                    {"truth": float(t[i]), "actual": float(got[i])},
                ),
            )
        if worst is not None and cmp.worst_units <= worst.units:
            return worst
        i = cmp.worst_index
        w = worst_at(cmp, i)
        if i is not None:
            w.inputs = at(i)
            w.values = {"truth": float(t[i]), "actual": float(got[i])}
        return w

    def nan_probe(self, dtype: np.dtype, after: int) -> tuple[str, list[np.ndarray]] | None:
        """Elementwise unreduced costs, after both comparisons: NaN in, NaN out."""
        c = self.entry
        if after != 1 or self.b.value is None or self.b.reduction != "none" or c.vector:
            return None
        return self.b.value, [np.array([np.nan, 0.5], dtype), np.array([0.5, 0.5], dtype)]

    def shape_cases(self, dtype: np.dtype) -> list[ShapeCase]:
        """Equal shapes, and a target row (1, K) or (K,) broadcast against (N, K): that may be
        refused with an error (the JAX backend does, rather than promote silently) or
        computed; what is returned must have the prediction's shape."""
        c = self.entry
        rng = np.random.default_rng(0)
        lo = max(c.pred_domain.lo, -3.0) + 0.01
        hi = min(c.pred_domain.hi, 3.0) - 0.01
        cases = []
        for shape, yshape in (((5,), (5,)), ((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 4), (4,))):
            a = rng.uniform(lo, hi, size=shape).astype(dtype)
            if c.target_simplex:
                y = np.full(yshape, 1.0 / yshape[-1], dtype=dtype)
            else:
                y = rng.uniform(
                    max(c.target_domain.lo, -1), min(c.target_domain.hi, 1), size=yshape
                ).astype(dtype)
            label = f"(a of shape {shape}, y of shape {yshape})"
            cases.append(ShapeCase((a, y), label, may_refuse=yshape != shape))
        return cases

    def fixed_inputs(self, dtype: np.dtype) -> Inputs:
        a = np.linspace(0.1, 0.9, 12, dtype=dtype).reshape(3, 4)
        return a, np.full((3, 4), 0.25, dtype=dtype)
