"""Gradient checkers on one network, float64 throughout, each on the true gradient and on a
gradient with ONE planted wrong entry.

* gradspec directional: the network gradient check itself
  (``checks.network.check_gradient``, called, not copied), counted evaluation by evaluation;
  its physical floor is one loss+grad plus the loss evaluations it makes, at their
  measured unit costs (the forward timed at the check's own evaluation points).
* gradspec per-parameter: ``numeric.ridders`` along each coordinate axis, judged by the same
  error model; timed on a sample of parameters and extrapolated when the full run is long.
* torch.autograd.gradcheck, default and fast_mode (when torch is installed).
* jax.test_util.check_grads(order=1, modes=("rev",)), jitted and warm.
"""

from __future__ import annotations

import itertools
import sys
import time
import warnings
from unittest import mock

import numpy as np

from gradspec.conformance.checks import network as checks_network
from gradspec.conformance.engine import numeric
from gradspec.conformance.engine.errormodel import BUDGETS
from gradspec.reference import mlp

from . import nets
from ._timing import measure, paired, single

F64 = np.float64


class Problem:
    """The network, its batch, flat parameters and the true flat gradient, in ``dtype``.

    A float32 problem is a float32 network behind the protocol: its parameters, batch, loss
    and gradient are float32 (the check hands its loss float64 copies, which it casts)."""

    def __init__(self, case: nets.NetCase, batch: int = 16, seed: int = 0, dtype=F64):
        self.case = case
        self.arch = case.arch
        self.dtype = np.dtype(dtype)
        params = mlp.init_params(self.arch, seed, F64)
        rng = np.random.default_rng(seed + 1)
        for k in params:  # non-zero biases: every parameter has a generic gradient
            if k.startswith("b"):
                params[k] = rng.uniform(-0.1, 0.1, params[k].shape)
        self.X, self.Y = nets.data(case, self.dtype, seed, batch)
        flat, self.layout = mlp.flatten(params)
        self.flat = flat.astype(self.dtype).astype(F64)  # the network's own values
        self.n = self.flat.size
        self.evals = 0
        self.grad = self.loss_and_grad(self.flat)
        # The planted error: one entry off by 1% of the largest gradient entry (chosen at the
        # largest-magnitude entry's neighbour so it is a generic, mid-sized parameter).
        self.bad_index = int(self.n // 3)
        self.delta = 0.01 * float(np.max(np.abs(self.grad)))
        self.bad_grad = self.planted(self.bad_index, self.delta)

    def planted(self, index: int, delta: float) -> np.ndarray:
        """The true gradient with entry ``index`` off by ``delta`` (rounded to the dtype: a
        delta below the entry's resolution plants nothing)."""
        bad = self.grad.astype(self.dtype)
        bad[index] += self.dtype.type(delta)
        return bad

    def unflatten(self, flat: np.ndarray) -> dict:
        return mlp.unflatten(flat, self.layout, self.dtype)

    def loss(self, flat: np.ndarray) -> float:
        self.evals += 1
        return float(mlp.loss(self.arch, self.unflatten(flat), self.X, self.Y))

    def loss_and_grad(self, flat: np.ndarray) -> np.ndarray:
        g = mlp.grads(self.arch, self.unflatten(flat), self.X, self.Y)
        return mlp.flatten(g)[0].astype(self.dtype)


# --- gradspec ---------------------------------------------------------------------------------


def directional_check(p: Problem, grad: np.ndarray, seed: int = 0) -> tuple[bool, int]:
    """(passed, loss evaluations) of gradspec's network check on ``grad``: the very function
    ``gradspec check`` runs on each example,
    :func:`gradspec.conformance.checks.network.check_gradient`, in the problem's dtype."""
    p.evals = 0
    kinked = checks_network.has_kinks(p.arch)
    rounding = None
    if p.dtype != F64:  # as the check takes a lower-precision gradient's rounding

        def rounding() -> np.ndarray:
            params = p.unflatten(p.flat)

            def rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
                return mlp.flatten(mlp.grads(p.arch, params, x, y))[0]

            return checks_network.per_row_rounding(rows, grad, p.X, p.Y)

    compared = checks_network.check_gradient(p.loss, p.flat, grad, seed, p.dtype, kinked, rounding)
    return all(ratio <= 1 for _d, _units, ratio in compared), p.evals


def evaluation_points(p: Problem, grad: np.ndarray, seed: int = 0) -> list[np.ndarray]:
    """Copies of the parameter vectors :func:`directional_check` hands the loss, in order:
    the points its floor's forward is timed at."""
    points: list[np.ndarray] = []
    loss = p.loss
    p.loss = lambda flat: (points.append(np.array(flat)), loss(flat))[1]
    try:
        directional_check(p, grad, seed)
    finally:
        p.loss = loss
    return points


def localise_cost(p: Problem, grad: np.ndarray, seed: int = 0) -> tuple[list[int], int, float]:
    """After a failing direction: numeric.localise's bisection down to the bad element(s)."""
    rng = np.random.default_rng(seed)
    v = numeric.random_direction(p.n, rng) / np.sqrt(p.n)
    p.evals = 0
    t0 = time.perf_counter()
    found = numeric.localise(
        p.loss, p.flat, grad, v, F64, BUDGETS["network"], max_elements=4,
        h0=checks_network.NET_STEP,
    )  # fmt: skip
    return found, p.evals, time.perf_counter() - t0


def per_parameter(p: Problem, grad: np.ndarray, indices: np.ndarray) -> tuple[list[int], int]:
    """Ridders along each coordinate in ``indices``; returns (failing indices, evaluations)."""
    p.evals = 0
    bad = []
    budget = BUDGETS["network"]
    h0 = checks_network.NET_STEP
    for i in indices:
        e = np.zeros(p.n)
        e[i] = 1.0

        def phi(t, e=e):
            return np.asarray(p.loss(p.flat + float(t) * e))

        d, err = numeric.ridders(phi, np.asarray(h0))
        res = numeric.Directional(float(grad[i]), float(d), float(err), abs(grad[i]) + abs(d))
        if res.units(F64) > budget:
            bad.append(int(i))
    return bad, p.evals


# --- torch ------------------------------------------------------------------------------------


def torch_fns(p: Problem):
    """(torch, f, planted, x): the loss of the flat parameters, ``planted(g)`` the same loss
    whose backward returns the fixed vector ``g`` (the gradient under test, at x only), and
    x; ``planted`` called without an argument plants ``p.bad_grad``."""
    torch = nets.torch_or_none()
    if torch is None:
        return None
    loss = nets.torch_loss_fn(p.case)
    X, Y = torch.from_numpy(p.X), torch.from_numpy(p.Y)
    # torch layout: W0, b0, W1, ... ; ours is sorted keys (W0, W1, ..., b0, ...): map by name
    n_layers = len(p.case.sizes) - 1
    offsets, i = {}, 0
    for k, shape in p.layout:
        offsets[k] = (i, shape)
        i += int(np.prod(shape))
    order = list(itertools.chain.from_iterable((f"W{j}", f"b{j}") for j in range(n_layers)))

    def f(flat):
        ps = [flat[offsets[k][0] : offsets[k][0] + int(np.prod(offsets[k][1]))].reshape(
            offsets[k][1]) for k in order]  # fmt: skip
        return loss(ps, X, Y)

    def planted(grad: np.ndarray | None = None):
        g_fixed = torch.from_numpy(np.array(p.bad_grad if grad is None else grad, p.dtype))

        class Planted(torch.autograd.Function):
            @staticmethod
            def forward(ctx, flat):
                return f(flat.detach())

            @staticmethod
            def backward(ctx, go):
                return go * g_fixed

        return Planted.apply

    x = torch.from_numpy(p.flat.astype(p.dtype)).requires_grad_()
    return torch, f, planted, x


def torch_gradcheck(torch, fn, x, fast: bool) -> bool:
    """torch.autograd.gradcheck at its defaults (a float32 input draws a warning: it is
    checked all the same, as a user calling it on a float32 model would).

    A failing fast_mode check re-runs the slow mode only to print the Jacobians in its error
    message (``_run_slow_mode_and_get_error``, called after the verdict is taken): ~2n loss
    evaluations that ``raise_exception=False`` throws away.  That message is skipped here, so
    a fast_mode failure costs what fast_mode costs; the verdict is torch's own."""
    module = sys.modules[torch.autograd.gradcheck.__module__]
    with (
        warnings.catch_warnings(),
        mock.patch.object(module, "_run_slow_mode_and_get_error", lambda *a, **k: ""),
    ):
        warnings.simplefilter("ignore", UserWarning)
        return bool(torch.autograd.gradcheck(fn, (x,), fast_mode=fast, raise_exception=False))


# --- jax --------------------------------------------------------------------------------------


def jax_fns(p: Problem):
    """(jax, f, planted, x), jitted, as :func:`torch_fns`."""
    import jax
    import jax.numpy as jnp

    from gradspec.jaxbackend.mlp import _loss

    arch = p.arch
    layout = p.layout

    with nets.x64(p.dtype):
        X, Y = jax.device_put((p.X, p.Y))

        def unflat(flat):
            out, i = {}, 0
            for k, shape in layout:
                m = int(np.prod(shape))
                out[k] = flat[i : i + m].reshape(shape)
                i += m
            return out

        def f(flat):
            return _loss(arch, unflat(flat), X, Y)

        @jax.custom_vjp
        def planted_at(flat, g):
            return f(flat)

        def fwd(flat, g):
            return f(flat), (g,)

        def bwd(res, go):
            return (res[0] * go, jnp.zeros_like(res[0]))

        planted_at.defvjp(fwd, bwd)
        jitted = jax.jit(planted_at)  # the gradient under test is an argument: no recompiles
        x = jax.device_put(p.flat.astype(p.dtype))

    def planted(grad: np.ndarray | None = None):
        with nets.x64(p.dtype):
            g = jax.device_put(np.array(p.bad_grad if grad is None else grad, p.dtype))
        return lambda flat: jitted(flat, g)

    return jax, jax.jit(f), planted, x


def jax_check(jax, fn, x) -> bool:
    """jax.test_util.check_grads(order=1, modes=("rev",)) at its default tolerances."""
    from jax.test_util import check_grads

    with nets.x64(x.dtype):
        try:
            check_grads(fn, (x,), order=1, modes=("rev",))
        except AssertionError:
            return False
    return True


# --- the whole comparison on one problem ------------------------------------------------------


def run_problem(
    p: Problem, *, quick: bool, full_torch_default: bool, log=print, smoke: bool = False
) -> list[dict]:
    """Rows: unit costs, then every checker on the true and on the planted gradient."""
    rows: list[dict] = []
    size = f"{p.n:,} params"
    samples = 5 if quick else 9

    def row(checker, stat, *, passed=None, detected=None, evals=None, note="", **extra):
        rows.append(
            {
                "section": "check",
                "name": checker,
                "params": p.n,
                "size": size,
                "dtype": "float64",
                "stat": stat.as_dict(),
                "passed_true_gradient": passed,
                "detected_planted_error": detected,
                "evaluations": evals,
                "note": note,
                **extra,
            }
        )

    # gradspec directional: the check as a whole computes the gradient, then the directions.
    def check_true():
        g = p.loss_and_grad(p.flat)
        return directional_check(p, g)

    ok, evals = check_true()
    bad_ok, _ = directional_check(p, p.bad_grad)
    jax, jf, jplanted, jx = jax_fns(p)
    t_first, _ = _timed(lambda: jax_check(jax, jf, jx))
    # The floor's forward is timed at the check's own evaluation points, cycled: no check can
    # evaluate its loss 13 times at one point, whose vector and intermediates then stay in
    # the caches (~15% faster at 60k parameters on an idle machine).  The same-point forward
    # is kept alongside, for comparison.
    points = evaluation_points(p, p.grad)
    at = itertools.cycle(points)
    # Interleaved rounds: the unit costs, the check and jax's check_grads under the same
    # machine conditions.
    stats, rounds = paired(
        {
            "fwd": lambda: p.loss(next(at)),
            "fwd_same": lambda: p.loss(p.flat),
            "lg": lambda: p.loss_and_grad(p.flat),
            "check": check_true,
            "jax": lambda: jax_check(jax, jf, jx),
        },
        rounds=samples,
    )
    row("one forward (loss)", stats["fwd"], note=f"at the check's {len(points)} points, cycled")
    row("one forward, same point", stats["fwd_same"], note="one vector over and over")
    row("one loss+grad", stats["lg"])
    per_round = [r["check"] / (r["lg"] + evals * r["fwd"]) for r in rounds]
    q1, med, q3 = np.percentile(per_round, [25, 50, 75])
    floor = stats["lg"].median + evals * stats["fwd"].median
    same_point = [r["check"] / (r["lg"] + evals * r["fwd_same"]) for r in rounds]
    vs_jax = [r["check"] / r["jax"] for r in rounds]
    row(
        "gradspec directional",
        stats["check"],
        passed=ok,
        detected=not bad_ok,
        evals=evals,
        floor_s=floor,
        ratio_to_floor=float(med),
        ratio_to_floor_iqr=float(q3 - q1),
        ratio_to_same_point_floor=float(np.median(same_point)),
        vs_jax_check_grads=float(np.median(vs_jax)),
        note=f"{checks_network.DIRECTIONS} directions; floor = 1 loss+grad + {evals} losses",
    )
    found, loc_evals, loc_t = localise_cost(p, p.bad_grad)
    row(
        "gradspec localise (after a failure)",
        single(loc_t),
        detected=p.bad_index in found,
        evals=loc_evals,
        note=f"bisection found {found} (planted {p.bad_index})",
    )

    # gradspec per-parameter: the whole vector if it fits in the budget, else a sample.
    budget_s = 0.1 if smoke else 1.0 if quick else 6.0
    rng = np.random.default_rng(3)
    probe = rng.choice(p.n, size=min(p.n, 16), replace=False)
    t0 = time.perf_counter()
    per_parameter(p, p.grad, probe)
    per_one = (time.perf_counter() - t0) / len(probe)
    if per_one * p.n <= budget_s:
        idx = np.arange(p.n)
        note = "all parameters"
    else:
        m = max(16, int(budget_s / per_one))
        idx = np.unique(np.append(rng.choice(p.n, size=m, replace=False), p.bad_index))
        note = f"timed on {len(idx)} of {p.n:,} parameters, extrapolated to all"
    t0 = time.perf_counter()
    bad, ev = per_parameter(p, p.grad, idx)
    elapsed = time.perf_counter() - t0
    bad_found, _ = per_parameter(p, p.bad_grad, np.array([p.bad_index]))
    scale = p.n / len(idx)
    row(
        "gradspec per-parameter",
        single(elapsed * scale),
        passed=not bad,
        detected=p.bad_index in bad_found,
        evals=int(ev * scale),
        extrapolated=len(idx) < p.n,
        note=note + ("" if len(idx) == p.n else "; planted entry included in the sample"),
    )

    tf = torch_fns(p)
    if tf is None:
        rows.append({"section": "check", "name": "torch.autograd.gradcheck", "params": p.n,
                     "size": size, "skipped": "torch not installed"})  # fmt: skip
    else:
        torch, f, planted, x = tf
        # One torch thread: batch-16 ops do not parallelise, and two OpenMP threads that
        # spin-wait on a busy 2-core machine made gradcheck ~30x slower here.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        t = measure(lambda: torch_gradcheck(torch, f, x, True), samples=samples)
        row(
            "torch gradcheck fast_mode",
            t,
            passed=torch_gradcheck(torch, f, x, True),
            detected=not torch_gradcheck(torch, planted(), x, True),
        )
        if (p.n <= 5_000 and not smoke) or full_torch_default:
            log(f"  torch gradcheck default at {p.n:,} parameters (slow)...")
            t1, ok = _timed(lambda: torch_gradcheck(torch, f, x, False))
            t2, bad_ok = _timed(lambda: torch_gradcheck(torch, planted(), x, False))
            row("torch gradcheck default", single(t1), passed=ok, detected=not bad_ok,
                note=f"run once; planted run {t2:.3g} s")  # fmt: skip
        else:
            rows.append({"section": "check", "name": "torch gradcheck default", "params": p.n,
                         "size": size, "skipped": "slow: full run only"})  # fmt: skip
        torch.set_num_threads(threads)

    row(
        "jax check_grads (rev)",
        stats["jax"],
        passed=jax_check(jax, jf, jx),
        detected=not jax_check(jax, jplanted(), jx),
        first_call_s=t_first,
        note=f"jitted, warm, interleaved with gradspec's; first call {t_first * 1e3:.0f} ms",
    )
    return rows


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out
