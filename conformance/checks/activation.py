"""The activation subject: what the generic checks need to know about one activation binding
(its input z, its derivative's convention, its truth and scales, kinks and extremes).

Check ids read ``<check>[<activation>:<dtype>]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from gradspec import spec
from gradspec import strategies as gst
from gradspec.conformance.checks.common import Ctx, element_args, reproducer, worst_at
from gradspec.conformance.checks.subject import Expect, Inputs, ShapeCase
from gradspec.conformance.engine import natural as N
from gradspec.conformance.engine import numeric, scales
from gradspec.conformance.engine.calling import Forward, as_array, call, call_rows
from gradspec.conformance.engine.errormodel import BUDGETS, Comparison, compare
from gradspec.conformance.engine.precision import working_dtype
from gradspec.conformance.engine.results import Violation, Worst
from gradspec.conformance.targets.namespace import ActivationBinding
from gradspec.derivations import truth as T
from gradspec.dtypes import finfo

SHAPE = (8,)
VECTOR_SHAPE = (2, 4)


def extreme_points(dtype: np.dtype) -> np.ndarray:
    """Large |z| (exp's overflow edges in float32 and float64) and tiny values, with their
    negatives; float16 instead has its own exp edges (exp(11.09) = 65504) and, for tiny, 1e-4
    (its smallest normal is 6.1e-5)."""
    big = [1e3, 1e4, 30.0, 50.0, 88.0, 89.0, 100.0, 710.0, 745.0, 1e-30, 0.0]
    if dtype == np.float16:
        big = [1e3, 1e4, 11.0, 12.0, 30.0, 50.0, 100.0, 1e-4, 0.0]
    if dtype == np.float64:
        big += [1e-300]  # huge |z| like 1e300 cost mpmath seconds and test nothing new
    pts = np.array(big + [-v for v in big if v], dtype=np.float64)
    return pts.astype(dtype)


def numeric_jacobian(ctx: Ctx, fn: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d f_i / d z_j per row by Ridders: column j from f at z +- h e_j.

    For a batch of rows (the checks' inputs) the K columns are differenced together: the K
    perturbed batches are stacked into one batch of K * rows rows, so each step of the table
    costs one call of the candidate instead of K.  Rows do not interact and every column
    keeps its own table, so the result is the column-by-column one; a candidate behind a
    process boundary pays one round trip per step instead of K (a torch log_softmax spent
    27 of its 32 s here)."""
    z64 = np.asarray(z, dtype=np.float64)
    k = z64.shape[-1]
    eye = np.eye(k)
    # h0[j] is column j's first step, per row, broadcast over the row (as phi expects)
    h0 = np.stack([numeric.initial_step(z64[..., j : j + 1]) * np.ones_like(z64) for j in range(k)])

    def f(x: np.ndarray) -> np.ndarray:
        return as_array(fn, call(ctx.ns, fn, x), x.shape)

    if z64.ndim == 2:
        rows = z64.shape[0]

        def phi(t: np.ndarray) -> np.ndarray:
            # t: (K, rows, K); batch j is z + t_j e_j, as one (K * rows, K) call
            x = z64[None] + t[..., :1] * eye[:, None, :]
            return f(x.reshape(k * rows, k)).reshape(k, rows, k)

        d, er = numeric.ridders(phi, h0)
    else:  # other shapes keep their own rank: one column at a time
        pairs = [
            numeric.ridders(lambda t, e=eye[j]: f(z64 + t[..., :1] * e), h0[j]) for j in range(k)
        ]
        d, er = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    # d[j, ..., i] = d f_i / d z_j  ->  jac[..., i, j]
    return np.moveaxis(d, 0, -1), np.moveaxis(er, 0, -1)


class ActivationSubject:
    """One activation binding: inputs ``(z,)``; f' may take z or a = f(z) (``der_wrt``)."""

    names = ("z",)
    prefix = ()
    reduced = False
    shape_orders = (0, 1, 2)

    def __init__(self, b: ActivationBinding):
        self.b = b
        self.entry = b.entry
        self.name = b.entry.id  # the id: the truth is at the entry's parameter values
        self.label = b.subject
        self.derivatives_only = b.derivatives_only
        self.rows = b.entry.vector
        self.elementwise = not b.entry.vector
        self.kinks = b.entry.kinks

    def fn(self, order: int | str) -> str | None:
        b = self.b
        return {0: b.forward, 1: b.der, 2: b.der2, "output": b.der_output}[order]

    def strategy(self, ctx: Ctx):
        shape = VECTOR_SHAPE if self.entry.vector else SHAPE
        return gst.activation_inputs(self.entry, dtype=ctx.dtype, shape=shape)

    def unit(self, ctx: Ctx) -> list[np.ndarray]:
        """Eight points of [-2, 2] (off the kink at 0), where every activation is of its
        natural size."""
        z = np.linspace(-2.0, 2.0, 8).astype(ctx.np_dtype)
        return [z.reshape(VECTOR_SHAPE) if self.entry.vector else z.reshape(SHAPE)]

    def prepare(self, ctx: Ctx, drawn: np.ndarray) -> Inputs:
        """The strategy draws z alone."""
        return (drawn,)

    def _der_arg(self, ctx: Ctx, z: np.ndarray) -> np.ndarray:
        """What the derivative is called with: z, or a = f(z) from the implementation itself."""
        b = self.b
        if b.der_wrt == "input":
            return z
        if b.forward is None:
            raise Violation(f"{b.der} takes the output but no {b.entry.name}(z) is defined")
        a = as_array(b.forward, call(ctx.ns, b.forward, z), np.shape(z))
        return a.astype(ctx.np_dtype)

    def call_args(self, ctx: Ctx, inputs: Inputs, order: int) -> tuple[list, list[str]]:
        (z,) = inputs
        if order != 1:
            return [z], ["z"]
        return [self._der_arg(ctx, z)], ["z" if self.b.der_wrt == "input" else "a"]

    def truth(self, inputs: Inputs, order: int) -> np.ndarray:
        return T.activation_value(self.name, inputs[0], order)

    def expect(
        self, inputs: Inputs, args: Sequence[np.ndarray], order: int, *, wrt: str | None = None
    ) -> Expect:
        (z,) = inputs
        t = self.truth(inputs, order)
        scale = scales.activation_scale(
            self.entry, z, order, t, wrt=wrt or self.b.der_wrt, arg=args[0]
        )
        if self.entry.vector:
            budget = BUDGETS["vector"]
        else:
            budget = BUDGETS["value"] if order == 0 else BUDGETS["derivative"]
        return Expect(t, scale, budget, N.activation(self.name, order))

    def out_shape(self, inputs: Inputs, order: int) -> tuple[int, ...]:
        shape = np.shape(inputs[0])
        return (*shape, shape[-1]) if self.entry.vector and order == 1 else shape

    def reproducer(self, ctx: Ctx, fn: str) -> Callable[[Violation], str]:
        def make(v: Violation) -> str:
            z = np.asarray(v.inputs)
            if v.worst is not None and not self.entry.vector:
                z = element_args(v.worst, {"z": z}, ctx.np_dtype)["z"]
            note = ""
            if v.worst is not None:
                note = f"spec: {v.worst.values.get('truth', v.worst.values.get('numeric'))!r}"
            return reproducer(ctx.ns, fn, {"z": z}, note)

        return make

    # --- numeric differences ------------------------------------------------------------

    def domain(self) -> tuple[float, float]:
        return self.entry.domain.lo, self.entry.domain.hi

    def variable(self, inputs: Inputs) -> np.ndarray:
        return inputs[0]

    def forward(self, ctx: Ctx, inputs: Inputs) -> Forward:
        fn = self.b.forward
        return Forward(ctx.ns, fn, lambda x: (x,), lambda x, out: as_array(fn, out, x.shape))

    def numeric_kinks(self, inputs: Inputs) -> tuple:
        return tuple(k.at for k in self.kinks)

    def numeric_derivative(self, ctx: Ctx, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
        return numeric_jacobian(ctx, self.b.forward, inputs[0])

    # --- fixed points -------------------------------------------------------------------

    def kink_points(self, ctx: Ctx, k: spec.Kink) -> Inputs:
        """The kink and its two 1-ulp neighbours."""
        dt = ctx.np_dtype
        x0 = dt.type(k.at)
        pts = [x0, np.nextafter(x0, dt.type(-np.inf)), np.nextafter(x0, dt.type(np.inf))]
        return (np.array(pts, dtype=dt),)

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
        """At the kink: in the accepted interval and between the one-sided differences of
        ``lower`` (slack h (|f^(k+1)| + 1) + tol, f^(k+1) from the truth on either side); at
        the neighbours, where the function is smooth, equal to the truth."""
        (pts,) = points
        dt = ctx.np_dtype
        order = k.derivative_order
        x0 = pts[0]
        lo, hi = k.accepted
        at = float(got[0])
        if not (lo - tol <= at <= hi + tol):
            raise Violation(
                f"{fn}({k.at:g}) = {at!r}, outside the accepted interval [{lo:g}, {hi:g}]",
                Worst((0,), np.inf, 0.0, {"z": float(x0)}, {"actual": at}),
            )
        # The lower derivative is differenced in z: not when f' takes the output.
        if lower is not None and (order == 1 or self.b.der_wrt == "input"):

            def f(x: np.ndarray, lower: str = lower) -> np.ndarray:
                return as_array(lower, call_rows(ctx.ns, lower, (x,), x.shape), x.shape)

            h = 1e-4 * max(1.0, abs(k.at))
            left, right = numeric.one_sided(f, np.array([k.at]), h)
            # One-sided differences err by ~h/2 * |f''| on each side (f'' from the truth).
            beside = np.array([k.at - h, k.at + h])
            m2 = np.nanmax(np.abs(T.activation_value(self.name, beside, min(order + 1, 3))))
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
        # Likewise a rounding inside the function may carry a neighbour onto the kink
        # (hard_swish as z relu6(z + 3) / 6: 3 - 1 ulp + 3 rounds to 6): one ulp of input
        # rounding, so the kink's own answer, inside the accepted interval, is accepted.
        t = T.activation_value(self.name, pts[1:], order)
        scale = np.abs(t) + 1.0
        flushed = (np.abs(pts[1:].astype(np.float64)) < finfo(dt).smallest_normal) & (
            got[1:] == got[0]
        )
        flushed |= (got[1:] == got[0]) & (k.order >= 1)
        t = np.where(flushed, got[1:], t)
        # Judged in the precision the code computes in, as the derivative checks judge it.
        wdt, _ = working_dtype(fn, dt, got, got[1:], t)
        cmp: Comparison = compare(got[1:], t, scale, wdt, BUDGETS["derivative"])
        i = cmp.worst_index
        if i is None:
            return None
        if not cmp.ok:
            raise Violation(
                f"{fn} next to the kink at {k.at:g}: {fn}({float(pts[1:][i])!r}) = "
                f"{float(got[1:][i])!r}, spec {float(t[i])!r}",
                worst_at(cmp, i, {"z": float(pts[1:][i])}, {"truth": float(t[i])}),
            )
        worst = worst_at(
            cmp, i, {"z": float(pts[1:][i])}, {"truth": float(t[i]), "actual": float(got[1:][i])}
        )
        worst.index = (i[0] + 1,)
        return worst

    def extreme_inputs(self, dtype: np.dtype) -> Inputs:
        """:func:`extreme_points` off the kinks (they have their own check); rows of three
        (z, -z, 0) for a vector activation."""
        z = extreme_points(dtype)
        keep = np.ones(z.shape, dtype=bool)
        for k in self.kinks:
            keep &= z != k.at
        z = z[keep]
        if self.entry.vector:
            z = np.stack([z, -z, np.zeros_like(z)], axis=-1)
        return (z,)

    def judge_extremes(
        self,
        fn: str,
        inputs: Inputs,
        got: np.ndarray,
        truth: np.ndarray,
        cmp: Comparison,
        worst: Worst | None,
    ) -> Worst | None:
        """A non-finite result where the truth is finite, or a comparison beyond the
        wrong-math threshold, fails (the input reported as z, or the row)."""
        (z,) = inputs
        t = truth
        bad = np.isfinite(t) & ~np.isfinite(got)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            raise Violation(
                f"{fn} returned {got[i]} where the spec value is {t[i]!r} "
                f"(input {float(z[i[: z.ndim]]) if z.ndim == 1 else z[i[:-1]].tolist()})"
            )
        i = cmp.worst_index
        if i is None:
            return worst
        zi = z[i] if z.ndim == len(i) else z[i[: z.ndim]]
        w = worst_at(
            cmp, i, {"z": np.asarray(zi).tolist()}, {"truth": float(t[i]), "actual": float(got[i])}
        )
        if not cmp.ok:
            raise Violation(
                f"{fn} at z={np.asarray(zi).tolist()}: {got[i]!r}, spec {t[i]!r} "
                f"({cmp.worst_units:.3g} eps-units)",
                w,
            )
        return w if worst is None or w.units > worst.units else worst

    def nan_probe(self, dtype: np.dtype, after: int) -> tuple[str, list[np.ndarray]] | None:
        """Elementwise forwards, right after their own comparison: NaN in, NaN out."""
        if self.entry.vector or after != 0 or self.b.forward is None:
            return None
        return self.b.forward, [np.array([np.nan, 1.0], dtype=dtype)]

    def shape_cases(self, dtype: np.dtype) -> list[ShapeCase]:
        """Inputs in [-3, 3] of shapes () (elementwise only), (5,), (3, 4), (2, 3, 4)."""
        shapes = [(5,), (3, 4), (2, 3, 4)] if self.entry.vector else [(), (5,), (3, 4), (2, 3, 4)]
        rng = np.random.default_rng(0)
        return [
            ShapeCase((rng.uniform(-3, 3, size=shape).astype(dtype),), f" on shape {shape}")
            for shape in shapes
        ]

    def fixed_inputs(self, dtype: np.dtype) -> Inputs:
        # the drawn examples' shapes: a candidate compiling per shape compiles no new one
        if self.entry.vector:
            return (np.linspace(-3, 3, 8, dtype=dtype).reshape(2, 4),)
        return (np.linspace(-3, 3, 8, dtype=dtype),)
