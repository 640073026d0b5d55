"""Network-level checks of a dense MLP offered through the network protocol:
``init_params(seed)``, ``loss(params, X, Y)``, ``grads(params, X, Y)``, optionally
``train_step(params, X, Y, lr)``, ``minibatch_grads(params, X, Y, batch_size)`` and ``ARCH``.

* ``gradient``: ``grads`` against the numeric gradient of the network's own ``loss``, by the
  directional method (a few loss evaluations per direction whatever the parameter count);
  a failing direction is localised to parameter tensors, then to elements.
* ``gd_update``: ``train_step`` equals ``params - lr * grads``.
* ``minibatch``: one gradient per consecutive minibatch, each the gradient of that batch's
  own loss (a short last batch averages over its true size).
* ``reference``: with ``ARCH``, loss and gradients equal the reference network's (the
  gradient within its rounding scale, :mod:`.netscale`).
* ``determinism_mutation``: same call twice gives the same bits; arguments left untouched.

Numeric references run the candidate's loss on float64 copies of the parameters.  A failing
(or beyond-budget) ``gradient`` or ``reference`` result carries its error per parameter
tensor (``tensors``, :mod:`.nettensors`) for the report's figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradspec import spec
from gradspec import strategies as gst
from gradspec.conformance.checks import netscale, nettensors
from gradspec.conformance.checks.common import Ctx, run, single, with_notes, worst_at
from gradspec.conformance.checks.plan import PlannedCheck
from gradspec.conformance.engine import numeric
from gradspec.conformance.engine.calling import as_array, call
from gradspec.conformance.engine.errormodel import BUDGETS, compare, eps, fail_units
from gradspec.conformance.engine.precision import float32_exact
from gradspec.conformance.engine.results import CheckResult, Measurement, Violation, Worst
from gradspec.conformance.targets.networks import NETWORK_NAMES, NetTarget
from gradspec.reference import mlp
from gradspec.reference.mlp import Arch, flatten, unflatten

#: Step (in parameter space, along a unit direction) of the directional check.  Small enough
#: that a ReLU unit rarely changes sides within it; on a network with kinks a failure is
#: re-tried at the ``KINK_STEPS`` before it is believed, since a kink inside the step spoils
#: a difference but not a bug.
NET_STEP = 1e-2
#: The retries of a failing direction on a network with kinks, in order, until one passes:
#: each moves a pre-activation 100 times less far.  One retry was not always enough: a
#: hidden ReLU unit at z = -2.7e-6 (thorough profile, float32 gradient, a float64 loss) was
#: still crossed at 1e-4 (1.8e5 eps-units, a false alarm) and passed at 1e-6 (0.04).  A
#: float32 loss only takes the first: its rounding over a step of 1e-6 (~1 of the slope)
#: would hide any error, so a float32 failure stands after one retry.
KINK_STEPS = (NET_STEP / 100, NET_STEP / 10_000)
#: The first step when the loss computes in float32: its rounding (~16 float32 ulps of the
#: loss, see ``_loss_noise``) divided by the step is the floor of the difference's error, and
#: at 1e-2 that floor hid a wrong entry of 10% of max|g| in a 1,608-parameter network.
#: Ridders' extrapolation removes a larger step's truncation error as long as its error
#: estimate stays honest: measured on true gradients (40 seeds, 1,608 and 60,430
#: parameters), |<g, v> - slope| / estimate is at most 0.05 from a first step of 1 (0.45 from
#: 2, 3.9 from 4: a false alarm's making), so 1 keeps a 20-fold margin.
NET_STEP_F32 = 1.0
#: ... but no parameter moves by more than this in a float32 first step: on a direction over
#: few parameters (a part of a small network's partition, see ``F32_PARTS``) a unit step moves
#: each one far (0.41 on a 25-parameter network cut in 4: a false alarm in the catalog,
#: good_rw_net_torch_f32).  0.05 is half of what the former full-direction step of 0.5 moved
#: the parameters of a 25-parameter network by; from ~400 parameters a direction on (1,608
#: in 4 parts) it no longer binds.
NET_STEP_F32_COORD = 0.05
#: Independent directions over all parameters, per example, for a float64 loss.
DIRECTIONS = 2
#: Directions per example for a float32 loss, over the parts of a random partition of the
#: parameters.  A direction's wrong-math threshold scales with sum |g_i v_i| over its support
#: (~sqrt(k) mean|g| on k parameters) while one wrong entry enters it weighted 1/sqrt(k):
#: on n / F32_PARTS parameters a single entry weighs F32_PARTS times more against the
#: threshold, and each parameter is still in one direction.  In float32 at 60,430 parameters
#: a 10% wrong entry reaches 0.9 of the threshold over all n (missed), 2.6-2.9 with 4 parts
#: (40 seeds, caught in all; 1.1 with 2 parts: too thin a margin).  Cost: 4 full tables
#: (~81 loss evaluations) instead of 2 (~41); float64 losses keep ``DIRECTIONS``.
F32_PARTS = 4
#: Rows of the first, cheap extrapolation table per direction (2 loss evaluations a row).
#: On smooth networks the best entry of Ridders' table is found within these rows (its later
#: rows only confirm it: 14-20 evaluations in all); the full table runs only when the first
#: one is not conclusive (see ``directions``).
FIRST_ROWS = 3
#: The first table is conclusive when it passes within the budget and twice its error
#: estimate is at most this share s of the wrong-math threshold F: then (the estimate being an
#: honest bound, as the full table assumes too) the gradient is off by at most 1.5 s F + the
#: budget, so nothing the full table would fail can pass here.  Measured on true gradients,
#: 2 err / F after 3 rows: 0.005-0.19 (212 to 60,430 parameters).
FIRST_ERROR_SHARE = 1 / 4


# --- helpers ---------------------------------------------------------------------------------


def _params(ctx: Ctx, target: NetTarget, seed: int) -> dict[str, np.ndarray]:
    return target.init_params(seed, ctx.np_dtype)


def _grads(ctx: Ctx, params: dict, X: np.ndarray, Y: np.ndarray, name: str = "grads") -> dict:
    g = call(ctx.ns, name, params, X, Y)
    if not isinstance(g, dict):
        raise Violation(f"{name} returned {type(g).__name__}, not a dict")
    return _same_layout(name, g, params)


def _same_layout(name: str, g: dict, params: dict) -> dict:
    if set(g) != set(params):
        raise Violation(f"{name} returned keys {sorted(g)}, expected {sorted(params)}")
    out = {}
    for k in params:
        out[k] = as_array(f"{name}[{k!r}]", g[k], np.shape(params[k]))
    return out


def _loss_fn(ctx: Ctx, layout, X: np.ndarray, Y: np.ndarray) -> Callable[[np.ndarray], float]:
    """The candidate's loss on float64 copies of the parameters and the batch."""
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)

    def loss(flat: np.ndarray) -> float:
        out = call(ctx.ns, "loss", unflatten(flat, layout, np.float64), X64, Y64)
        return float(as_array("loss", out, ()))

    return loss


def _flat_problem(ctx: Ctx, target: NetTarget, seed: int, X: np.ndarray, Y: np.ndarray):
    """(loss of flat float64 parameters, the flat parameters, the flat ``grads``, layout)."""
    params = _params(ctx, target, seed)
    gflat, _ = flatten(_grads(ctx, params, X, Y))
    flat, layout = flatten(params)
    return _loss_fn(ctx, layout, X, Y), flat, gflat, layout


def _target_interval(cost: str | None) -> spec.Interval | None:
    if cost is None:
        return None
    return spec.cost(cost).target_domain


def _batch_strategy(target: NetTarget, params: dict, dtype: str, rows: int = 8):
    n_in, n_out = target.sizes(params)
    c = spec.cost(target.cost_name) if target.cost_name else None
    if c is not None and c.target_simplex:

        def onehot(t: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            X, Y = t
            idx = np.argmax(np.abs(Y), axis=1)
            return X, np.eye(n_out, dtype=dtype)[idx]

        return gst.network_batch(n_in, n_out, dtype=dtype, max_rows=rows).map(onehot)
    target_domain = _target_interval(target.cost_name)
    return gst.network_batch(n_in, n_out, dtype=dtype, max_rows=rows, target=target_domain)


def has_kinks(arch: Arch | None) -> bool:
    if arch is None:
        return True  # unknown: be careful
    names = (arch.activation, arch.out_activation)
    return any(spec.activation(n).kinks for n in names) or bool(spec.cost(arch.cost).kinks)


# --- checks ----------------------------------------------------------------------------------


def directions(
    loss: Callable[[np.ndarray], float],
    flat: np.ndarray,
    gflat: np.ndarray,
    rng: np.random.Generator,
    dtype: np.dtype,
    kinked: bool,
    f_err: float | None = None,
    rounding: Callable[[], np.ndarray] | None = None,
) -> Iterator[tuple[numeric.Directional, float, float]]:
    """Per direction: (the directional comparison, its eps-units, its ratio to the wrong-math
    threshold; > 1 fails).

    The unit directions of :func:`direction_vectors` (``DIRECTIONS`` Rademacher directions
    v / sqrt(n); ``F32_PARTS`` over a partition of the parameters when the loss computes in
    float32, i.e. ``f_err`` is given); <grads, v> against Ridders differences of ``loss``
    along v from a first step :func:`first_step` (larger in float32): first a table of
    ``FIRST_ROWS`` rows (float64 losses), then, unless that one passes conclusively, the
    full table.  Beyond the budget and with a kink in the network, the difference is retried
    at the ``KINK_STEPS`` before it is believed: a kink inside the step spoils a difference
    but not a gradient.  Still beyond the budget, a gradient of a lower precision is judged
    with its rounding scale ``rounding()`` (flat, as ``gflat``; asked for only then): the
    direction's scale becomes sum |g_i v_i| + sqrt(sum (S_i v_i)^2) (docs/tolerances.md)."""
    budget = BUDGETS["network"]
    g64 = np.asarray(gflat, dtype=np.float64)
    # Every entry of a float64 loss's direction is +-w: sum |g_i v_i| = w sum |g_i|, one sum
    # for the example instead of one per direction (|g| in a kept buffer, see numeric.scratch).
    abs_g = None
    if f_err is None:
        with numeric.scratch(flat.size, 1) as (work,):
            abs_g = float(np.sum(np.abs(g64.ravel(), out=work)))
    for v in direction_vectors(flat.size, rng, f_err is not None):
        h0 = first_step(v, f_err is not None)
        s = numeric.projection(g64, v, None if abs_g is None else abs_g * _weight(flat.size))
        d = None
        if f_err is None:  # a float32 loss's rounding dominates a short table: go straight on
            d = numeric.directional(loss, flat, g64, v, h0, f_err, rows=FIRST_ROWS, slope=s)
        if d is None or not _conclusive(d, dtype, budget):
            d = numeric.directional(loss, flat, g64, v, h0, f_err, slope=s)
        units = d.units(dtype)
        retries = KINK_STEPS if f_err is None else KINK_STEPS[:1]
        for h in retries if kinked else ():
            if units <= budget:
                break
            # a kink inside the step? try a smaller one
            d = numeric.directional(loss, flat, g64, v, h, f_err, slope=s)
            units = d.units(dtype)
        if units > budget and rounding is not None:
            # A gradient computed in a lower precision is off by e_i ~ eps S_i (its rounding
            # scale), not eps |g_i|.  v is drawn independently of e: sum e_i v_i has the
            # spread sqrt(sum (e_i v_i)^2), not sum |e_i v_i| (docs/tolerances.md).
            sv = rounding() * v
            d = dataclasses.replace(d, scale=d.scale + float(np.sqrt(np.sum(sv * sv))))
            units = d.units(dtype)
        yield d, units, d.ratio(dtype)


def per_row_rounding(
    grads: Callable[[np.ndarray, np.ndarray], np.ndarray], gflat: np.ndarray, X, Y
) -> np.ndarray:
    """The rounding scale of a network's gradient, S_i = c sum_n |g_i(row n)|: the magnitudes
    the batch sum of the gradient adds up (``grads`` of one row at a time, flat), c = 1 for a
    summed loss and 1 / N for a mean (whichever reproduces ``gflat`` from the rows better;
    1 / N on a tie).  It sees a batch sum that cancels, not a cancellation inside one row's
    backward pass."""
    rows = np.array([grads(X[n : n + 1], Y[n : n + 1]) for n in range(X.shape[0])])
    total, g = rows.sum(axis=0), np.asarray(gflat, np.float64)
    n = X.shape[0]
    summed = np.sum(np.abs(total - g)) < np.sum(np.abs(total / n - g))
    return np.sum(np.abs(rows), axis=0) / (1 if summed else n)


def _rounding(ctx: Ctx, target: NetTarget, seed: int, X, Y, gflat) -> Callable | None:
    """The lazy rounding scale of the candidate's gradient on an example
    (:func:`per_row_rounding`: its own grads, row by row), for :func:`check_gradient`; None
    in float64, where no false alarm of a cancelling batch sum has been seen."""
    if ctx.np_dtype == np.float64:
        return None
    params = _params(ctx, target, seed)
    memo: list[np.ndarray] = []

    def scale() -> np.ndarray:
        if not memo:
            try:
                memo.append(per_row_rounding(
                    lambda x, y: flatten(_grads(ctx, params, x, y))[0], gflat, X, Y
                ))  # fmt: skip
            except Exception:  # grads fails on one row: the failing direction stands as it is
                memo.append(np.zeros_like(np.asarray(gflat, np.float64)))
        return memo[0]

    return scale


def _weight(n: int) -> float:
    """|v_i| of a float64 loss's unit Rademacher direction over n parameters."""
    return float(1 / np.sqrt(n))


def direction_vectors(n: int, rng: np.random.Generator, float32: bool) -> Iterator[np.ndarray]:
    """The unit directions of one example drawn from ``rng``: ``DIRECTIONS`` independent
    Rademacher directions over all n parameters; for a float32 loss, one Rademacher sign
    vector cut along a random partition of the parameters into ``F32_PARTS`` equal parts
    (fewer when n is smaller), one direction per part, normalised on its own support, so
    that every parameter is in exactly one of them.  Either way the first draw from ``rng``
    is the sign vector of :func:`_first_direction`."""
    if not float32:
        for _ in range(DIRECTIONS):
            yield numeric.random_direction(n, rng, _weight(n))
        return
    signs = numeric.random_direction(n, rng)
    for part in np.array_split(rng.permutation(n), min(F32_PARTS, n)):
        v = np.zeros(n)
        v[part] = signs[part] / np.sqrt(part.size)
        yield v


def first_step(v: np.ndarray, float32: bool) -> float:
    """The first step along the unit direction v: ``NET_STEP``; for a float32 loss
    ``NET_STEP_F32``, capped so that no parameter moves by more than ``NET_STEP_F32_COORD``
    (a Rademacher direction on k parameters moves each by step / sqrt(k))."""
    if not float32:
        return NET_STEP
    return min(NET_STEP_F32, NET_STEP_F32_COORD * float(np.sqrt(np.count_nonzero(v))))


def _conclusive(d: numeric.Directional, dtype: np.dtype, budget: float) -> bool:
    """A first-table comparison that passes within the budget with an error estimate far below
    the wrong-math threshold: the full table could only confirm it.  Anything else (over
    budget, a failure, a noisy estimate) goes to the full table, which decides."""
    threshold = fail_units(dtype, "numeric") * eps(dtype) * d.scale
    return d.units(dtype) <= budget and 2 * d.error_estimate <= FIRST_ERROR_SHARE * threshold


def check_gradient(
    loss: Callable[[np.ndarray], float],
    flat: np.ndarray,
    gflat: np.ndarray,
    seed: int,
    dtype: np.dtype,
    kinked: bool,
    rounding: Callable[[], np.ndarray] | None = None,
) -> list[tuple[numeric.Directional, float, float]]:
    """The network gradient check on one example: ``gflat`` (the candidate's gradient at the
    flat float64 parameters ``flat``) against the numeric gradient of ``loss`` along the
    :func:`directions` drawn from ``seed``, with the loss's own rounding when it computes in
    float32, and with ``rounding`` (the flat rounding scale of a gradient computed in a lower
    precision, :func:`per_row_rounding`) on a direction beyond the budget.
    Returns the directions compared, up to and including the first that fails (ratio > 1).
    The ``gradient`` check runs this on every example; ``gradspec bench`` times and measures
    the detection of this very function."""
    f_err = _loss_noise(loss, flat)
    rng = np.random.default_rng(seed)
    out = []
    for d, units, ratio in directions(loss, flat, gflat, rng, dtype, kinked, f_err, rounding):
        out.append((d, units, ratio))
        if ratio > 1:
            break
    return out


def gradient(ctx: Ctx, target: NetTarget, p0: dict) -> CheckResult:
    arch = target.arch
    kinked = has_kinks(arch)
    seen = _WorstExample()

    def measure(ex: tuple[int, tuple[np.ndarray, np.ndarray]]) -> Measurement:
        seed, (X, Y) = ex
        loss, flat, gflat, _ = _flat_problem(ctx, target, seed, X, Y)
        rounding = _rounding(ctx, target, seed, X, Y, gflat)
        worst = None
        budget = BUDGETS["network"]
        compared = check_gradient(loss, flat, gflat, seed, ctx.np_dtype, kinked, rounding)
        for d, units, ratio in compared:
            w = Worst(
                None,
                units,
                budget,
                {"seed": seed, "batch": int(X.shape[0])},
                {
                    "<grads, v>": d.analytic,
                    "numeric slope": d.numeric,
                    "reference error estimate": d.error_estimate,
                },
                ratio=ratio,
                threshold=fail_units(ctx.np_dtype, "numeric"),
                dtype=ctx.dtype,
            )
            if worst is None or units > worst.units:
                worst = w
            if ratio > 1:
                raise Violation(
                    f"grads disagrees with the numeric gradient of loss along a random "
                    f"direction: <grads, v> = {d.analytic!r}, numeric {d.numeric!r} "
                    f"({units:.3g} eps-units)",
                    w,
                    ex,
                )
        return seen.note(Measurement(worst), ex)

    strategy = st.tuples(st.integers(0, 2**16), _batch_strategy(target, p0, ctx.dtype))

    def repro(v: Violation) -> str:
        seed, (X, Y) = v.inputs
        return "\n".join(
            [
                "import numpy as np",
                ctx.ns.import_line("grads"),
                f"params = init_params({seed})",
                f"X = np.array({X.tolist()!r}, dtype=np.{X.dtype})",
                f"Y = np.array({Y.tolist()!r}, dtype=np.{Y.dtype})",
                "print(grads(params, X, Y))",
            ]
        )

    res = run(ctx, "gradient", target.label, strategy, measure, repro)
    if res.status == "fail" and res.worst is not None and "seed" in res.worst.inputs:
        res.message += "; " + _localise_example(ctx, target, res, kinked)
    example = seen.of(res)
    if example is not None:
        res.tensors = _courtesy(lambda: _gradient_tensors(ctx, target, example, kinked))
    return res


class _WorstExample:
    """The example a check's result reports, for its per-tensor figure: the minimal failing
    one, else the one of the largest error (the result's worst, as the property keeps it)."""

    def __init__(self) -> None:
        self.units = -1.0
        self.example: Any = None

    def note(self, m: Measurement, ex: Any) -> Measurement:
        if m.worst is not None and m.units > self.units:
            self.units, self.example = m.units, ex
        return m

    def of(self, res: CheckResult) -> Any:
        """The example to summarise, or None when the result has no error to show (a pass, or
        a warning within the budget)."""
        beyond = res.worst is not None and not res.worst.units <= res.worst.budget
        if res.status == "fail":
            return res.failing_example
        return self.example if res.status == "warn" and beyond else None


def _courtesy(make: Callable[[], list]) -> list | None:
    """A figure's data is a courtesy: never fail a run over it."""
    try:
        return make()
    except Exception:
        return None


def _gradient_tensors(ctx: Ctx, target: NetTarget, example: Any, kinked: bool) -> list:
    """The per-tensor error of ``grads`` against the numeric gradient of its own loss on
    ``example`` (see :mod:`nettensors`)."""
    seed, (X, Y) = example
    loss, flat, gflat, layout = _flat_problem(ctx, target, seed, X, Y)
    f_err = _loss_noise(loss, flat)
    v = _first_direction(flat.size, seed)
    h0 = KINK_STEPS[0] if kinked else first_step(v, f_err is not None)
    threshold = fail_units(ctx.np_dtype, "numeric")
    budget = BUDGETS["network"]
    return nettensors.against_numeric(
        loss, flat, gflat, layout, ctx.np_dtype, budget, threshold, h0, v, f_err
    )


def _first_direction(n: int, seed: int) -> np.ndarray:
    """The Rademacher direction over all n parameters that :func:`check_gradient` draws first
    from ``seed``: its first direction for a float64 loss; for a float32 one, the signs its
    parts share (their union).  The figure and the localisation (which bisects it) use it."""
    return numeric.random_direction(n, np.random.default_rng(seed), _weight(n))


def _loss_noise(loss: Callable[[np.ndarray], float], flat: np.ndarray) -> float | None:
    """The rounding of one loss evaluation when the loss computes in float32 (its float64
    result is a float32 value: a float32 model behind the interface), else None (float64)."""
    value = loss(flat)
    if value != 0 and np.isfinite(value) and bool(float32_exact(np.array([value]))[0]):
        return 16 * float(np.finfo(np.float32).eps) * abs(value)
    return None


def _localise_example(ctx: Ctx, target: NetTarget, res: CheckResult, kinked: bool) -> str:
    """Re-run the minimal failing example once and narrow the error down (only after a
    failure: bisection costs ~2 log2(P) directional checks per wrong element)."""
    seed = res.worst.inputs["seed"]
    for_example = res.failing_example
    if for_example is None:
        return "localisation unavailable"
    _, (X, Y) = for_example
    loss, flat, gflat, layout = _flat_problem(ctx, target, seed, X, Y)
    v = _first_direction(flat.size, seed)
    h0 = KINK_STEPS[0] if kinked else NET_STEP
    return _localise(loss, flat, gflat, v, layout, ctx, BUDGETS["network"], h0)


def _localise(loss, flat, gflat, v, layout, ctx: Ctx, budget: float, h0: float) -> str:
    """Which tensors (and elements) are wrong: restrict v to each tensor, then bisect."""
    bad = []
    i = 0
    for k, shape in layout:
        n = int(np.prod(shape))
        w = np.zeros_like(v)
        w[i : i + n] = v[i : i + n]
        if numeric.directional(loss, flat, gflat, w, h0).units(ctx.np_dtype) > budget:
            elems = numeric.localise(
                loss, flat, gflat, w, ctx.np_dtype, budget, max_elements=4, h0=h0
            )
            idx = [np.unravel_index(e - i, shape) if shape else () for e in elems]
            shown = ", ".join(str(tuple(int(t) for t in ix)) for ix in idx)
            bad.append(f"{k} (elements {shown})" if shown else k)
        i += n
    return "wrong tensor(s): " + ("; ".join(bad) if bad else "none alone (an interaction)")


def gd_update(ctx: Ctx, target: NetTarget, p0: dict) -> CheckResult:
    def measure(ex) -> Measurement:
        seed, (X, Y), lr = ex
        params = _params(ctx, target, seed)
        g = _grads(ctx, params, X, Y)
        new = call(ctx.ns, "train_step", params, X, Y, lr)
        if not isinstance(new, dict):
            raise Violation(f"train_step returned {type(new).__name__}, not a dict")
        new = _same_layout("train_step", new, params)
        worst = None
        for k in params:
            p64, g64 = params[k].astype(np.float64), g[k].astype(np.float64)
            want = p64 - lr * g64
            cmp = compare(
                new[k], want, np.abs(p64) + np.abs(lr * g64), ctx.np_dtype, BUDGETS["value"]
            )
            if not cmp.ok:
                i = cmp.worst_index
                raise Violation(
                    f"train_step[{k!r}]{list(i)} = {new[k][i]!r}, but params - lr * grads = "
                    f"{want[i]!r} (lr = {lr})",
                    Worst(
                        i,
                        cmp.worst_units,
                        cmp.budget,
                        {"lr": lr},
                        {"expected": float(want[i]), "actual": float(new[k][i])},
                    ),
                    ex,
                )
            if worst is None or cmp.worst_units > worst.units:
                worst = worst_at(cmp, cmp.worst_index, {"tensor": k})
        return Measurement(worst)

    strategy = st.tuples(
        st.integers(0, 2**16),
        _batch_strategy(target, p0, ctx.dtype),
        st.sampled_from([0.5, 0.1, 0.01]),
    )
    return run(ctx, "gd_update", target.label, strategy, measure)


def minibatch(ctx: Ctx, target: NetTarget, p0: dict) -> CheckResult:
    def measure(ex) -> Measurement:
        seed, (X, Y), bs = ex
        params = _params(ctx, target, seed)
        n = X.shape[0]
        got = call(ctx.ns, "minibatch_grads", params, X, Y, bs)
        if not isinstance(got, list | tuple):
            raise Violation(f"minibatch_grads returned {type(got).__name__}, not a list")
        want_n = -(-n // bs)
        if len(got) != want_n:
            raise Violation(
                f"minibatch_grads with {n} examples and batch size {bs} returned "
                f"{len(got)} gradients, expected {want_n}",
                inputs=ex,
            )
        worst = None
        for b, gb in enumerate(got):
            sl = slice(b * bs, min(n, (b + 1) * bs))
            gb = _same_layout(f"minibatch_grads[{b}]", gb, params)
            want = _grads(ctx, params, X[sl], Y[sl])
            for k in params:
                w64 = want[k].astype(np.float64)
                scale = np.abs(w64) + np.max(np.abs(w64))
                cmp = compare(gb[k], w64, scale, ctx.np_dtype, BUDGETS["network"])
                if not cmp.ok:
                    i = cmp.worst_index
                    size = sl.stop - sl.start
                    ratio = float(gb[k][i] / w64[i]) if w64[i] else float("nan")
                    raise Violation(
                        f"minibatch {b} (examples {sl.start}..{sl.stop - 1}, {size} of them): "
                        f"gradient[{k!r}]{list(i)} = {gb[k][i]!r}, but grads on that batch "
                        f"gives {w64[i]!r} (ratio {ratio:.4g})",
                        Worst(
                            i,
                            cmp.worst_units,
                            cmp.budget,
                            {"batch": b, "size": size},
                            {"expected": float(w64[i]), "actual": float(gb[k][i]), "ratio": ratio},
                        ),
                        ex,
                    )
                if worst is None or cmp.worst_units > worst.units:
                    worst = worst_at(cmp, cmp.worst_index, {"batch": b, "tensor": k})
        return Measurement(worst)

    strategy = st.tuples(
        st.integers(0, 2**16),
        _batch_strategy(target, p0, ctx.dtype, rows=11),
        st.sampled_from([2, 3, 4]),
    )
    return run(ctx, "minibatch", target.label, strategy, measure)


def reference_agreement(ctx: Ctx, target: NetTarget, p0: dict) -> CheckResult:
    """With ARCH declared: the candidate's loss and gradients equal the reference network's
    (through ``target.param_map`` for a network with its own parameter names: the reference
    gradient is mapped back, so messages name the network's own tensors)."""
    arch = target.arch
    pmap = target.param_map
    seen = _WorstExample()

    def reference_grads(params: dict, X: np.ndarray, Y: np.ndarray) -> tuple[dict, dict]:
        """The reference gradient and its rounding scale (:mod:`.netscale`), own keys."""
        ref = pmap.to_reference(params) if pmap else params
        p64 = {k: v.astype(np.float64) for k, v in ref.items()}
        X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
        want = mlp.grads(arch, p64, X64, Y64)
        scale = netscale.gradient_scale(arch, p64, X64, Y64)
        if pmap:
            return pmap.from_reference(want), pmap.from_reference(scale)
        return want, scale

    def measure(ex) -> Measurement:
        seed, (X, Y) = ex
        params = _params(ctx, target, seed)
        ref = pmap.to_reference(params) if pmap else params
        p64 = {k: v.astype(np.float64) for k, v in ref.items()}
        X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
        want_loss = mlp.loss(arch, p64, X64, Y64)
        got_loss = float(as_array("loss", call(ctx.ns, "loss", params, X, Y), ()))
        cmp = compare(
            got_loss,
            want_loss,
            abs(want_loss) * X.shape[0] + 1e-300,
            ctx.np_dtype,
            BUDGETS["network"],
        )
        if not cmp.ok:
            raise Violation(
                f"loss = {got_loss!r}, but the reference network of ARCH gives {want_loss!r}",
                Worst(None, cmp.worst_units, cmp.budget),
                ex,
            )
        g = _grads(ctx, params, X, Y)
        want, scales = reference_grads(params, X, Y)
        worst = None
        for k in sorted(want):
            cmp = compare(g[k], want[k], scales[k], ctx.np_dtype, BUDGETS["network"])
            if not cmp.ok:
                i = cmp.worst_index
                raise Violation(
                    f"grads[{k!r}]{list(i)} = {g[k][i]!r}, but the reference network of ARCH "
                    f"gives {want[k][i]!r}",
                    Worst(
                        i,
                        cmp.worst_units,
                        cmp.budget,
                        {"tensor": k},
                        {"reference": float(want[k][i]), "actual": float(g[k][i])},
                    ),
                    ex,
                )
            if worst is None or cmp.worst_units > worst.units:
                worst = worst_at(cmp, cmp.worst_index, {"tensor": k})
        return seen.note(Measurement(worst), ex)

    def tensors(example: Any) -> list:
        seed, (X, Y) = example
        params = _params(ctx, target, seed)
        got = _grads(ctx, params, X, Y)
        want, scales = reference_grads(params, X, Y)
        return nettensors.against_reference(got, want, scales, ctx.np_dtype, BUDGETS["network"])

    strategy = st.tuples(st.integers(0, 2**16), _batch_strategy(target, p0, ctx.dtype))
    res = run(ctx, "reference", target.label, strategy, measure)
    example = seen.of(res)
    if example is not None:
        res.tensors = _courtesy(lambda: tensors(example))
    return res


def determinism_mutation(ctx: Ctx, target: NetTarget, p0: dict) -> CheckResult:
    def body() -> Measurement:
        params = _params(ctx, target, 1)
        rng = np.random.default_rng(1)
        if target.io is not None:  # keys not in the reference layout (a torch module)
            n_in, n_out = target.io
        else:
            n_in = np.shape(params[sorted(k for k in params if k.startswith("W"))[0]])[0]
            n_out = np.shape(params[sorted(k for k in params if k.startswith("W"))[-1]])[1]
        X = rng.uniform(-1, 1, size=(5, n_in)).astype(ctx.np_dtype)
        Y = np.eye(n_out, dtype=ctx.np_dtype)[rng.integers(0, n_out, 5)]
        copies = ({k: v.copy() for k, v in params.items()}, X.copy(), Y.copy())
        # called directly, not through call() (which hands the candidate copies)
        try:
            raw = ctx.ns.call("grads", params, X, Y)
        except Exception as exc:
            raise Violation(f"grads raised {type(exc).__name__}: {exc}") from None
        first = _same_layout("grads", raw, params) if isinstance(raw, dict) else None
        if first is None:
            raise Violation(f"grads returned {type(raw).__name__}, not a dict")
        if not all(np.array_equal(params[k], copies[0][k]) for k in params):
            raise Violation("grads mutated params in place")
        if not (np.array_equal(X, copies[1]) and np.array_equal(Y, copies[2])):
            raise Violation("grads mutated X or Y in place")
        second = _grads(ctx, params, X, Y)
        for k in first:
            if not np.array_equal(first[k], second[k], equal_nan=True):
                raise Violation(
                    f"grads is not deterministic: grads[{k!r}] differs between two "
                    "identical calls (state kept between calls?)"
                )
        if "train_step" in ctx.ns.names():
            try:
                ctx.ns.call("train_step", params, X, Y, 0.1)
            except Exception as exc:
                raise Violation(f"train_step raised {type(exc).__name__}: {exc}") from None
            if not all(np.array_equal(params[k], copies[0][k]) for k in params):
                raise Violation("train_step updated params in place instead of returning new ones")
        return Measurement(None)

    return single(ctx, "determinism_mutation", target.label, body)


#: The network checks in report order: (check name, function, names it needs besides the
#: protocol's three, needs ARCH).  Each name is written here once; the result carries it.
CHECKS: tuple[tuple[str, Callable[..., CheckResult], str | None, bool], ...] = (
    ("gradient", gradient, None, False),
    ("gd_update", gd_update, "train_step", False),
    ("minibatch", minibatch, "minibatch_grads", False),
    ("reference", reference_agreement, None, True),
    ("determinism_mutation", determinism_mutation, None, False),
)


def plan(target: NetTarget, *, profile: str, dtypes: tuple[str, ...] = ("float64",)) -> list:
    names = target.ns.names()
    if not set(NETWORK_NAMES) <= names:
        return []
    out = []
    for dtype in [d for d in dtypes if d in target.dtypes]:
        ctx = Ctx(target.ns, profile, dtype)

        def thunk(name: str, fn: Callable[..., CheckResult], ctx: Ctx = ctx):
            def go() -> CheckResult:
                try:
                    p0 = _params(ctx, target, 0)
                except Violation as v:
                    return CheckResult(name, target.label, ctx.dtype, "fail", v.message)
                return with_notes(fn(ctx, target, p0), target.notes)

            return go

        for name, fn, needs, needs_arch in CHECKS:
            if (needs is None or needs in names) and (target.arch is not None or not needs_arch):
                out.append(PlannedCheck("network", name, target.label, dtype, thunk(name, fn)))
    return out
