"""The reduction check: ``reduce(values, reduction)`` and ``reduce_der(grad, reduction)`` for
none, sum and mean (whose gradient carries 1/N).

Its id reads ``reduction[none|sum|mean:<dtype>]``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gradspec.conformance.checks.common import Ctx, run
from gradspec.conformance.engine.calling import as_array, call
from gradspec.conformance.engine.errormodel import BUDGETS, compare
from gradspec.conformance.engine.results import CheckResult, Measurement, Violation
from gradspec.conformance.engine.scales import reduce

#: The check's name in its id.
CHECK = "reduction"

#: The subject of the reduction check in its id.
SUBJECT = "none|sum|mean"

#: The protocol functions the check needs.
NEEDS = frozenset({"reduce", "reduce_der"})


def reductions(ctx: Ctx, check: str = CHECK) -> CheckResult:
    """n values and gradients, n drawn in 1..12.  reduce: against the float64 reduction with
    scale max(n sum|v_i|, |expected|) for none and sum, max(sum|v_i|, |expected|) for the mean
    (a sum of n terms errs by up to (n - 1) eps sum|v_i|); reduce_der: against grad (sum) or
    grad / n (mean), scale |expected|."""
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
            want = reduce(v.astype(np.float64), red)
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

    return run(ctx, check, SUBJECT, vals, measure)
