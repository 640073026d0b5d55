"""The pair subject: an output activation followed by a cost, whose composed dC/dz the
implementation's ``delta(activation, cost, z, y)`` returns.  Its one check, ``composed``, is
the generic derivative check on this subject.

Check ids read ``composed[<activation>+<cost>:<dtype>]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from gradspec import dtypes, spec
from gradspec import strategies as gst
from gradspec.conformance.checks.common import Ctx
from gradspec.conformance.checks.subject import Expect, Inputs
from gradspec.conformance.engine import errormodel, scales
from gradspec.conformance.engine import natural as N
from gradspec.conformance.engine.errormodel import BUDGETS
from gradspec.conformance.engine.results import Violation
from gradspec.derivations import truth as T

SHAPE = (8,)
VECTOR_SHAPE = (2, 4)


def in_cost_domain(p: spec.Pair, z: np.ndarray, ctx: Ctx) -> np.ndarray:
    """Elements whose activation output, rounded to the dtype, is a valid cost input.

    Where f(z) rounds onto the edge of the cost's domain (sigmoid(-104) = 0 in float32, then
    -y/a) the pair is evaluated outside the spec; only fused forms survive there, and the
    spec asks for them through the costs on logits.
    """
    if p.closed_form:
        return np.ones(np.shape(z), dtype=bool)
    a = T.activation_value(p.activation.id, z, 0).astype(ctx.np_dtype).astype(np.float64)
    dom = p.cost.pred_domain
    ok = (a > dom.lo) | ((a == dom.lo) & dom.lo_closed)
    ok &= (a < dom.hi) | ((a == dom.hi) & dom.hi_closed)
    # An activation within its ulp budget may land on an open end the rounded truth misses by
    # a few ulps: softmax([-1.5, 0, 0, 37.67]) is 1 - 2**-53 rounded, the reference's is 1
    # (1 ulp off), and log loss's (1 - y) / (1 - a) is then inf.  Within budget * eps of an
    # open end (relative to a) the pair is as much outside the spec as on the end.
    near = BUDGETS["vector" if p.activation.vector else "value"] * errormodel.eps(ctx.np_dtype)
    if np.isfinite(dom.hi) and not dom.hi_closed and dom.hi != 0:
        ok &= dom.hi - a > near * np.abs(a)
    if np.isfinite(dom.lo) and not dom.lo_closed and dom.lo != 0:
        ok &= a - dom.lo > near * np.abs(a)
    if dtypes.is_low(ctx.dtype) and np.isfinite(dom.lo) and np.isfinite(dom.hi):
        # float16's range ends early: dC/da = -y/a at a = 6.7e-6 (softmax of [0, 7.9, -4])
        # is 1.5e5 > 65504.  Inside the edges the strategies keep to, the chain's
        # intermediates stay finite (gradspec.dtypes.probability_edge).
        edge = dtypes.probability_edge(ctx.dtype) * (dom.hi - dom.lo)
        ok &= (a >= dom.lo + edge) & ((a <= dom.hi - edge) | ((a == dom.hi) & dom.hi_closed))
    if p.activation.vector:  # a row is only as valid as its worst component
        ok = np.broadcast_to(ok.all(axis=-1, keepdims=True), ok.shape)
    return ok


def off_cost_kinks(p: spec.Pair, z: np.ndarray, y: np.ndarray, ctx: Ctx) -> np.ndarray:
    """``y`` moved by 0.5 where f(z) rounded to the dtype sits exactly on a kink of the cost
    in a - y (sigmoid(3.9e-37) = 0.5 in float32, sigmoid(8e-38) in bfloat16 and float64 too,
    with y = 0.5): the implementation answers at the kink, the truth (at 40 digits) beside it.
    Coarse rounding makes this likely (bfloat16: every |z| < 0.004), but every dtype rounds
    sigmoid of a tiny z to 1/2.  Only the costs with kinks in the residual (absolute, huber,
    smooth_l1) have targets on the whole line, so y + 0.5 stays a valid target."""
    if (
        not p.cost.kinks
        or p.cost.kink_variable != "residual"
        or p.closed_form
        or p.activation.vector
    ):
        return y
    exact = T.activation_value(p.activation.id, z, 0)
    a = exact.astype(ctx.np_dtype).astype(np.float64)
    y64 = np.asarray(y, dtype=np.float64)
    on = np.zeros(np.shape(y), dtype=bool)
    for k in p.cost.kinks:
        on |= a - y64 == k.at
    return np.where(on, y64 + 0.5, y64).astype(np.asarray(y).dtype)


class PairSubject:
    """One valid pair, checked through ``delta``: inputs ``(z, y)``; only order 1 exists."""

    names = ("z", "y")

    def __init__(self, p: spec.Pair, delta: str = "delta"):
        self.p = p
        self.delta = delta
        self.name = p.id
        self.label = p.id
        self.derivatives_only = False
        self.rows = p.activation.vector
        self.prefix = (p.activation.name, p.cost.name)

    def fn(self, order: int | str) -> str | None:
        return self.delta if order == 1 else None

    def strategy(self, ctx: Ctx):
        shape = VECTOR_SHAPE if self.p.activation.vector else SHAPE
        return gst.pair_inputs(self.p, dtype=ctx.dtype, shape=shape)

    def unit(self, ctx: Ctx) -> None:
        return None

    def prepare(self, ctx: Ctx, inputs: tuple[np.ndarray, np.ndarray]) -> Inputs:
        """Inputs outside the cost's domain once activated (see :func:`in_cost_domain`) are
        replaced by 0; targets the rounded activation output lands on a kink of the cost
        with are moved off it (see :func:`off_cost_kinks`)."""
        z, y = inputs
        z = np.where(in_cost_domain(self.p, z, ctx), z, 0).astype(z.dtype)
        return z, off_cost_kinks(self.p, z, y, ctx)

    def call_args(self, ctx: Ctx, inputs: Inputs, order: int) -> tuple[list, list[str]]:
        return list(inputs), ["z", "y"]

    def truth(self, inputs: Inputs, order: int) -> np.ndarray:
        z, y = inputs
        return T.pair_value(self.p.activation.id, self.p.cost.id, z, y, order)

    def expect(
        self, inputs: Inputs, args: Sequence[np.ndarray], order: int, *, wrt: str | None = None
    ) -> Expect:
        z, y = inputs
        g = self.truth(inputs, order)
        budget = BUDGETS["vector"] if self.p.activation.vector else BUDGETS["derivative"]
        natural = N.pair(self.p.activation.id, self.p.cost.id)
        return Expect(g, scales.pair_scale(self.p, z, y, g), budget, natural)

    def out_shape(self, inputs: Inputs, order: int) -> tuple[int, ...]:
        return np.shape(inputs[0])

    def reproducer(self, ctx: Ctx, fn: str) -> Callable[[Violation], str]:
        act, cost = self.prefix

        def make(v: Violation) -> str:
            z, y = (np.asarray(x) for x in v.inputs)
            note = "" if v.worst is None else f"spec: {v.worst.values.get('truth')!r}"
            lines = [
                "import numpy as np",
                ctx.ns.import_line(fn),
                f"z = np.array({z.tolist()!r}, dtype=np.{z.dtype})",
                f"y = np.array({y.tolist()!r}, dtype=np.{y.dtype})",
                f"print({fn}({act!r}, {cost!r}, z, y))  # {note}",
            ]
            return "\n".join(lines)

        return make


def subjects(delta: str | None) -> list[PairSubject]:
    """Every valid pair of the registry, in registry order, when ``delta`` is defined."""
    if delta is None:
        return []
    return [PairSubject(p, delta) for p in spec.PAIRS if p.valid]
