"""The pair subject: an output activation followed by a cost, whose composed dC/dz the
implementation's ``delta(activation, cost, z, y)`` returns.  Its one check, ``composed``, is
the generic derivative check on this subject.

Check ids read ``composed[<activation>+<cost>:<dtype>]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from gradspec import spec
from gradspec import strategies as gst
from gradspec.conformance.checks.common import Ctx
from gradspec.conformance.checks.subject import Expect, Inputs
from gradspec.conformance.engine import natural as N
from gradspec.conformance.engine import scales
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
    a = T.activation_value(p.activation.name, z, 0).astype(ctx.np_dtype).astype(np.float64)
    dom = p.cost.pred_domain
    ok = (a > dom.lo) | ((a == dom.lo) & dom.lo_closed)
    ok &= (a < dom.hi) | ((a == dom.hi) & dom.hi_closed)
    if p.activation.vector:  # a row is only as valid as its worst component
        ok = np.broadcast_to(ok.all(axis=-1, keepdims=True), ok.shape)
    return ok


class PairSubject:
    """One valid pair, checked through ``delta``: inputs ``(z, y)``; only order 1 exists."""

    names = ("z", "y")

    def __init__(self, p: spec.Pair, delta: str = "delta"):
        self.p = p
        self.delta = delta
        self.name = p.name
        self.label = p.name
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
        replaced by 0."""
        z, y = inputs
        return np.where(in_cost_domain(self.p, z, ctx), z, 0).astype(z.dtype), y

    def call_args(self, ctx: Ctx, inputs: Inputs, order: int) -> tuple[list, list[str]]:
        return list(inputs), ["z", "y"]

    def truth(self, inputs: Inputs, order: int) -> np.ndarray:
        z, y = inputs
        return T.pair_value(self.p.activation.name, self.p.cost.name, z, y, order)

    def expect(
        self, inputs: Inputs, args: Sequence[np.ndarray], order: int, *, wrt: str | None = None
    ) -> Expect:
        z, y = inputs
        g = self.truth(inputs, order)
        budget = BUDGETS["vector"] if self.p.activation.vector else BUDGETS["derivative"]
        natural = N.pair(self.p.activation.name, self.p.cost.name)
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
