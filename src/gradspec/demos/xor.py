"""XOR with a 3-4-1 sigmoid network: the corrected backprop, and the commonly posted bug.

The network of the well-known forum thread: inputs (x1, x2, 1) -- the constant third column is
the bias input, so the layers themselves have no bias --, four sigmoid hidden units, one
sigmoid output, half-squared error summed over the four examples, full-batch gradient
descent with learning rate 1 for 60,000 iterations from weights drawn uniformly in (-1, 1).

The posted version puts the error *value* 0.5 (a - y)^2 where backprop needs its *derivative*
dC/da = a - y.  The value is never negative, so every output delta has the sign of f'(z) > 0:
each step pushes the output down for all four examples, whatever the target.  The outputs for
y = 1 move away from 1 and the cost rises until the sigmoid saturates and learning stops.

The corrected version is :func:`gradspec.reference.mlp.grads`; the buggy one is built here
from the same reference chain-rule pieces with only dC/da swapped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gradspec.reference import activations, chain, costs, mlp

from ._common import DemoResult, Progress, out_dir, plt, save

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
Y = np.array([[0], [1], [1], [0]], dtype=float)
ARCH = mlp.Arch((3, 4, 1), "sigmoid", cost="half_squared", reduction="sum", bias=False)
ITERATIONS = 60_000
LR = 1.0

Params = dict[str, np.ndarray]


def init_params(seed: int) -> Params:
    """Weights uniform in (-1, 1), as in the thread (but from a seeded generator)."""
    rng = np.random.default_rng(seed)
    return {"W0": rng.uniform(-1, 1, size=(3, 4)), "W1": rng.uniform(-1, 1, size=(4, 1))}


def correct_grads(params: Params, X: np.ndarray = X, Y: np.ndarray = Y) -> Params:
    """The true gradient of the summed half-squared error (reference backprop)."""
    return mlp.grads(ARCH, params, X, Y)


def buggy_grads(params: Params, X: np.ndarray = X, Y: np.ndarray = Y) -> Params:
    """Backprop with the error value 0.5 (a - y)^2 used in place of dC/da = a - y."""
    (z1, a1), (_, a2) = mlp.forward(ARCH, params, X)
    error = costs.half_squared(a2, Y)  # the bug: a cost value where its derivative belongs
    d2 = error * activations.sigmoid_der_output(a2)
    d1 = chain.dC_dz("sigmoid", z1, chain.dC_da_prev(d2, params["W1"]))
    return {"W0": chain.dz_dw(X).T @ d1, "W1": chain.dz_dw(a1).T @ d2}


def train(
    grad_fn: Callable[[Params], Params],
    params: Params,
    iterations: int,
    lr: float = LR,
    advance: Callable[[int], object] | None = None,
) -> tuple[Params, np.ndarray, np.ndarray]:
    """Full-batch descent.  Returns final params, cost per iteration (iterations + 1 values,
    before each update and at the end) and the flattened parameters at every iteration."""
    keys = list(params)
    params = {k: v.copy() for k, v in params.items()}
    cost = np.empty(iterations + 1)
    flat = np.empty((iterations + 1, sum(v.size for v in params.values())))
    chunk = max(1, iterations // 200)
    for i in range(iterations + 1):
        cost[i] = mlp.loss(ARCH, params, X, Y)
        flat[i] = np.concatenate([params[k].ravel() for k in keys])
        if i == iterations:
            break
        g = grad_fn(params)
        for k in keys:
            params[k] = params[k] - lr * g[k]
        if advance is not None and (i + 1) % chunk == 0:
            advance(chunk)
    return params, cost, flat


def _names() -> list[str]:
    return [f"W0[{i},{j}]" for i in range(3) for j in range(4)] + [f"W1[{i},0]" for i in range(4)]


def _with(params: Params, idx: tuple[int, int], values: tuple[float, float]) -> Params:
    flat = np.concatenate([params["W0"].ravel(), params["W1"].ravel()])
    flat[list(idx)] = values
    return {"W0": flat[:12].reshape(3, 4), "W1": flat[12:].reshape(4, 1)}


def run(
    out: str | Path = "gradspec-out/xor",
    seed: int = 0,
    iterations: int = ITERATIONS,
    progress: bool = False,
    grid: int = 60,
) -> DemoResult:
    """Train both versions side by side from the same initial weights and draw the figures."""
    t0 = time.perf_counter()
    folder = out_dir(out)
    result = DemoResult("xor")
    prog = Progress(progress)
    p0 = init_params(seed)
    runs = {}
    for label, fn in (("corrected", correct_grads), ("error-as-derivative", buggy_grads)):
        with prog.task(f"xor {label}", iterations) as advance:
            runs[label] = train(fn, p0, iterations, advance=advance)

    fixed, cost_f, flat_f = runs["corrected"]
    bug, cost_b, _ = runs["error-as-derivative"]
    pred_f = mlp.predict(ARCH, fixed, X)
    pred_b = mlp.predict(ARCH, bug, X)
    correct_f = int(((pred_f > 0.5) == (Y > 0.5)).sum())
    correct_b = int(((pred_b > 0.5) == (Y > 0.5)).sum())
    # "does not learn": the cost never drops meaningfully below where it started
    flat_or_rising = bool(cost_b.min() >= 0.9 * cost_b[0])
    result.figures.update(
        iterations=iterations,
        seed=seed,
        fixed_initial_cost=float(cost_f[0]),
        fixed_final_cost=float(cost_f[-1]),
        fixed_correct=correct_f,
        fixed_predictions=pred_f.ravel().tolist(),
        buggy_initial_cost=float(cost_b[0]),
        buggy_min_cost=float(cost_b.min()),
        buggy_final_cost=float(cost_b[-1]),
        buggy_correct=correct_b,
        buggy_predictions=pred_b.ravel().tolist(),
        buggy_flat_or_rising=flat_or_rising,
    )
    result.data.update(cost_fixed=cost_f, cost_buggy=cost_b, params_fixed=fixed, params_buggy=bug)

    # --- cost curves -------------------------------------------------------------------
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    it = np.arange(iterations + 1)
    for ax, logx in zip(axes, (False, True), strict=True):
        x = it + 1 if logx else it
        ax.plot(x, cost_f, label=f"corrected (dC/da = a - y): final {cost_f[-1]:.2e}")
        ax.plot(
            x, cost_b, ls="--", label=f"posted (dC/da := 0.5(a - y)$^2$): final {cost_b[-1]:.3f}"
        )
        ax.axhline(0.01, color="grey", lw=0.8, ls=":", label="cost 0.01")
        ax.set_yscale("log")
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel("iteration + 1 (log scale)" if logx else "iteration")
        ax.set_ylabel("cost  $\\sum_n \\frac{1}{2}(a_n - y_n)^2$  (log scale)")
        ax.legend(loc="lower left" if logx else "center right")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_title("cost vs iteration")
    axes[1].set_title("the same, log iteration axis (early steps visible)")
    fig.suptitle(f"XOR 3-4-1 sigmoid network, full-batch GD, lr {LR:g}, seed {seed}")
    save(fig, folder / "xor_cost.png", result)

    # --- error surface over the two output weights that moved most ----------------------
    names = _names()
    moved = np.abs(flat_f[-1] - flat_f[0])
    moved[:12] = -1  # choose among the output-layer weights W1
    i1, i2 = (int(k) for k in np.argsort(moved)[-2:][::-1])
    path = flat_f[:, [i1, i2]]
    lo, hi = path.min(axis=0), path.max(axis=0)
    pad = 0.25 * (hi - lo) + 0.5
    u = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid)
    v = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid)
    U, V = np.meshgrid(u, v)
    C = np.array(
        [
            [mlp.loss(ARCH, _with(fixed, (i1, i2), (U[r, c], V[r, c])), X, Y) for c in range(grid)]
            for r in range(grid)
        ]
    )
    sel = np.unique(np.r_[0, np.geomspace(1, iterations, 400).astype(int)])
    ps = path[sel]
    pc = np.array([mlp.loss(ARCH, _with(fixed, (i1, i2), tuple(q)), X, Y) for q in ps])
    result.figures.update(surface_weights=[names[i1], names[i2]])

    fig = plt.figure(figsize=(9, 7))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(U, V, C, cmap="viridis", alpha=0.75, linewidth=0, antialiased=True)
    ax.plot(ps[:, 0], ps[:, 1], pc, color="red", lw=2.5, label="descent path", zorder=10)
    ax.scatter(*ps[0], pc[0], color="orange", s=50, label="start", zorder=11, depthshade=False)
    ax.scatter(*ps[-1], pc[-1], color="white", edgecolor="k", s=60, label="end", zorder=11)
    ax.set_xlabel(names[i1])
    ax.set_ylabel(names[i2])
    ax.set_zlabel("cost")
    ax.set_title(
        f"XOR error surface over {names[i1]}, {names[i2]}\n"
        "(other weights at their trained values; path drawn on this slice)"
    )
    ax.view_init(elev=35, azim=-60)
    ax.legend(loc="upper left")
    save(fig, folder / "xor_error_surface.png", result)

    fig, ax = plt.subplots(figsize=(8, 6.5))
    cs = ax.contourf(U, V, C, levels=30, cmap="viridis")
    ax.contour(U, V, C, levels=15, colors="k", linewidths=0.4, alpha=0.5)
    fig.colorbar(cs, ax=ax, label="cost")
    ax.plot(ps[:, 0], ps[:, 1], color="red", lw=2, label="descent path")
    ax.plot(*ps[0], "o", color="orange", ms=9, label="start (iteration 0)")
    ax.plot(*ps[-1], "o", color="white", mec="k", ms=9, label=f"end (iteration {iterations})")
    ax.set_xlabel(names[i1])
    ax.set_ylabel(names[i2])
    ax.set_title(f"XOR error surface, contour view: {names[i1]} vs {names[i2]}")
    ax.legend(loc="best")
    save(fig, folder / "xor_error_contour.png", result)

    result.lines += [
        f"corrected: cost {cost_f[0]:.4f} -> {cost_f[-1]:.2e} after {iterations} iterations, "
        f"{correct_f}/4 correct, outputs {np.round(pred_f.ravel(), 3).tolist()}",
        f"posted (error as derivative): cost {cost_b[0]:.4f} -> {cost_b[-1]:.4f} "
        f"(min {cost_b.min():.4f}), {correct_b}/4 correct, "
        f"outputs {np.round(pred_b.ravel(), 3).tolist()}",
        "the posted version does not learn: its cost "
        + ("stays flat or rises" if flat_or_rising else "falls (unexpected)"),
        f"error surface drawn over {names[i1]} and {names[i2]}",
    ]
    result.seconds = time.perf_counter() - t0
    return result
