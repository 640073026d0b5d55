"""The pair subject: an output activation followed by a cost, whose composed dC/dz the
implementation's ``delta(activation, cost, z, y)`` returns.  Its one check, ``composed``, is
the generic derivative check on this subject.

Check ids read ``composed[<activation>+<cost>:<dtype>]`` with the entries' ids:
``composed[softplus[beta=2]+squared:float64]`` is checked against the truth at beta = 2.
The pairs of a parameterised entry are checked at its declared values (``PARAMS``, else the
defaults) and, for the built-ins, at each drawn value with every partner at its own declared
values (:func:`subjects`).  Built-ins receive the bound ids
(``delta("softplus[beta=2]", "squared", z, y)``); third-party code receives the registry
names and computes at the values its ``PARAMS`` declares, as its other functions do.
"""

from __future__ import annotations

import random
import zlib
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
from gradspec.conformance.targets.namespace import Bindings
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
    """``y`` moved off the kink where f(z) rounded to the dtype sits exactly on a kink of the
    cost: the implementation answers at the kink, the truth (at 40 digits) beside it.

    * In a - y (absolute, huber, smooth_l1): y + 0.5.  sigmoid(3.9e-37) = 0.5 in float32
      (sigmoid(8e-38) in bfloat16 and float64 too) with y = 0.5; coarse rounding makes this
      likely (bfloat16: every |z| < 0.004).  These costs take targets on the whole line, so
      y + 0.5 stays a valid target.
    * In the margin y a (hinge, squared_hinge): y / 2.  elu(z) is -1 for every z < -37 in
      float64, so y = -1 puts the margin on 1 while the truth's a = -1 + e^z lies beside it;
      y / 2 stays in [-1, 1] and puts the margin at 1/2.
    """
    if not p.cost.kinks or p.closed_form or p.activation.vector:
        return y
    exact = T.activation_value(p.activation.id, z, 0)
    a = exact.astype(ctx.np_dtype).astype(np.float64)
    y64 = np.asarray(y, dtype=np.float64)
    on = np.zeros(np.shape(y), dtype=bool)
    for k in p.cost.kinks:
        on |= p.cost.kink_value(a, y64) == k.at
    moved = y64 + 0.5 if p.cost.kink_variable == "residual" else y64 * 0.5
    return np.where(on, moved, y64).astype(np.asarray(y).dtype)


class PairSubject:
    """One valid pair (its entries bound at the values checked), checked through ``delta``:
    inputs ``(z, y)``; only order 1 exists.  ``ids``: ``delta`` is called with the entries'
    ids (the values in them), else with their registry names."""

    names = ("z", "y")

    def __init__(self, p: spec.Pair, delta: str = "delta", *, ids: bool = False):
        self.p = p
        self.delta = delta
        self.name = p.id
        self.label = p.id
        self.derivatives_only = False
        self.rows = p.activation.vector
        self.prefix = (p.activation.id, p.cost.id) if ids else (p.activation.name, p.cost.name)

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


def split_id(subject: str) -> tuple[str, ...]:
    """A pair's id as its entries' ids: ``softplus[beta=2]+huber`` -> (softplus[beta=2],
    huber), split at the ``+`` between them, not one inside a value such as ``1e+20``; any
    other subject as itself."""
    depth = 0
    for i, ch in enumerate(subject):
        depth += (ch == "[") - (ch == "]")
        if ch == "+" and depth == 0:
            return subject[:i], subject[i + 1 :]
    return (subject,)


def entry_names(subject: str) -> tuple[str, ...]:
    """The registry names in a pair's id: ``softplus[beta=2]+huber`` -> (softplus, huber)."""
    return tuple(spec.parse_id(part)[0] for part in split_id(subject))


def _pair(act: spec.Activation, cost: spec.Cost) -> spec.Pair:
    return spec.pair(act.id, cost.id)


#: How many partners each drawn entry is paired with, per drawn value and profile.  Its
#: pairs at drawn values are a sample: all of them (77 pairs have a parameterised entry)
#: would add 37% to the examples of ``gradspec verify`` (ci); one partner per value adds 3%.
#: tests/test_params_pairs.py checks every such pair of the built-ins at a bound value.
PARTNERS = {"quick": 1, "ci": 1, "thorough": 3}


def partners(entry: spec.Activation | spec.Cost, pairs: list[spec.Pair], profile: str) -> list:
    """The ``PARTNERS[profile]`` pairs of ``pairs`` a drawn ``entry`` is checked in, in their
    order: seeded by the entry's id in quick and ci (the same every run, as the draws of
    :func:`~gradspec.conformance.targets.namespace.draw_values`), drawn afresh in thorough."""
    seed = zlib.crc32(f"{entry.id}:{profile}".encode()) if profile != "thorough" else None
    k = min(PARTNERS.get(profile, 1), len(pairs))
    chosen = set(random.Random(seed).sample(range(len(pairs)), k))
    return [p for i, p in enumerate(pairs) if i in chosen]


def subjects(b: Bindings, profile: str = "ci") -> list[PairSubject]:
    """The pairs ``b.delta`` is checked on, when it is defined: every valid pair of the
    registry in registry order, each entry at its declared values (``b.params``, else the
    defaults); then each drawn entry (``b.drawn``, in order) in the pairs :func:`partners`
    picks among those it forms, the partner at its declared values.  A drawn activation is
    not paired with a drawn cost: the values of one entry are what its pairs vary."""
    if b.delta is None:
        return []
    declared = {name: spec.bind(name, values) for name, values in b.params.items()}

    def at(e):
        return declared.get(e.name, e)

    base = [_pair(at(p.activation), at(p.cost)) for p in spec.PAIRS if p.valid]
    base = [p for p in base if p.valid]
    out = [PairSubject(p, b.delta, ids=b.delta_ids) for p in base]
    for e in b.drawn:
        formed = [
            _pair(e, p.cost) if p.activation.name == e.name else _pair(p.activation, e)
            for p in base
            if e.name in (p.activation.name, p.cost.name)
        ]
        for q in partners(e, [q for q in formed if q.valid], profile):
            out.append(PairSubject(q, b.delta, ids=b.delta_ids))
    return out
