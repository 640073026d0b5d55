"""Gradient descent, the learning rate, and Newton's step.

1. Gradient descent on C(x, y) = x^2 + y^2 from (5, 5): the 3D surface and the top-down
   contour with the path.
2. A learning-rate sweep on the same bowl.  Its curvature is f'' = 2 in every direction, so
   one step multiplies the distance to the minimum by |1 - 2 lr|: lr 0.01 crawls (x0.98 per
   step), 0.1 converges (x0.8), 0.5 = 1/f'' lands on the minimum in one step, 0.9 overshoots
   and oscillates across the minimum while still converging (x0.8 with alternating sign), and
   1.05 > 2/f'' overshoots further each time and diverges (x1.1).
3. The ideal step: in 1-D, lr = 1/f''(x) (:func:`gradspec.reference.optim.ideal_step_1d`);
   in 2-D, Newton's step x - H^-1 grad (:func:`gradspec.reference.optim.newton_step`).  On a
   quadratic both land on the minimum in one step, even on an elongated, tilted bowl where
   plain gradient descent zigzags.
4. Logistic regression with log loss on the shipped Iris data, by gradient descent and by
   Newton's method with the Hessian X^T diag(a (1 - a)) X / N: Newton converges in a handful
   of iterations, gradient descent needs hundreds.  The single feature sepal length is used:
   on (sepal length, petal length) the two species are linearly separable, so the log loss
   has no finite minimiser (it keeps falling as the weights grow without bound) and "converged"
   would be meaningless; the demo reports that growth too.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from gradspec.reference import activations, chain, costs, optim

from ._common import DemoResult, Progress, out_dir, plt, save
from .iris_neuron import load_iris

START = np.array([5.0, 5.0])
LR = 0.1
STEPS = 30
SWEEP = (0.01, 0.1, 0.5, 0.9, 1.05)
SWEEP_STEPS = 40
#: The tilted, elongated quadratic of the Newton figure: C(v) = 0.5 v^T A v - b^T v.
A_TILT = np.array([[2.0, 3.0], [3.0, 20.0]])
B_TILT = np.array([1.0, -2.0])
LOGREG_TOL = 1e-10  # gradient norm at which a logistic-regression run counts as converged


def bowl(v: np.ndarray) -> float:
    return float(np.sum(np.asarray(v) ** 2, axis=0))


def bowl_grad(v: np.ndarray) -> np.ndarray:
    return 2.0 * np.asarray(v, dtype=float)


BOWL_HESSIAN = 2.0 * np.eye(2)


def classify(distances: np.ndarray, xs: np.ndarray) -> str:
    """Name the behaviour of one run from its distances to the minimum and its x coordinates."""
    d0 = distances[0]
    if distances[-1] > d0:
        return "diverges"
    if distances[1] <= 1e-12 * d0:
        return "one step (ideal)"
    if np.any(xs[1:] * xs[:-1] < 0):
        return "overshoots, oscillates"
    rate = (distances[-1] / d0) ** (1.0 / (len(distances) - 1))
    return "too slow" if rate > 0.95 else "good"


def steps_to(distances: np.ndarray, frac: float = 1e-3) -> int | None:
    """First step at which the distance is below ``frac`` times the start (None: never)."""
    hit = np.nonzero(distances <= frac * distances[0])[0]
    return int(hit[0]) if hit.size else None


def _logreg_design() -> tuple[np.ndarray, np.ndarray, float, float]:
    X, y, names, _ = load_iris()
    x = X[:, names.index("sepal_length_cm")]
    mu, sd = float(x.mean()), float(x.std())
    design = np.column_stack([(x - mu) / sd, np.ones_like(x)])  # standardised feature, 1
    return design, y.astype(float), mu, sd


def logreg_loss(w: np.ndarray, D: np.ndarray, y: np.ndarray) -> float:
    a = activations.sigmoid(D @ w)
    return float(costs.reduce(costs.log_loss(a, y), "mean"))


def logreg_grad(w: np.ndarray, D: np.ndarray, y: np.ndarray) -> np.ndarray:
    # sigmoid + log loss: dC/dz = a - y (the fused delta); dz/dw = the design row
    return D.T @ chain.delta("sigmoid", "log_loss", D @ w, y) / len(y)


def logreg_hessian(w: np.ndarray, D: np.ndarray) -> np.ndarray:
    a = activations.sigmoid(D @ w)
    return D.T @ (D * (a * (1 - a))[:, None]) / len(D)


def logreg_newton(
    D: np.ndarray, y: np.ndarray, iterations: int = 50, tol: float = LOGREG_TOL
) -> tuple[np.ndarray, list[float], list[float]]:
    w = np.zeros(D.shape[1])
    losses, gnorms = [logreg_loss(w, D, y)], [float(np.linalg.norm(logreg_grad(w, D, y)))]
    for _ in range(iterations):
        if gnorms[-1] < tol:
            break
        w = optim.newton_step(logreg_grad(w, D, y), logreg_hessian(w, D), w)
        losses.append(logreg_loss(w, D, y))
        gnorms.append(float(np.linalg.norm(logreg_grad(w, D, y))))
    return w, losses, gnorms


def logreg_gd(
    D: np.ndarray, y: np.ndarray, lr: float, iterations: int, tol: float = LOGREG_TOL
) -> tuple[np.ndarray, list[float], list[float]]:
    w = np.zeros(D.shape[1])
    losses, gnorms = [logreg_loss(w, D, y)], [float(np.linalg.norm(logreg_grad(w, D, y)))]
    for _ in range(iterations):
        if gnorms[-1] < tol:
            break
        w = w - lr * logreg_grad(w, D, y)
        losses.append(logreg_loss(w, D, y))
        gnorms.append(float(np.linalg.norm(logreg_grad(w, D, y))))
    return w, losses, gnorms


def run(
    out: str | Path = "gradspec-out/descent",
    seed: int = 0,
    progress: bool = False,
    gd_iterations: int = 5000,
) -> DemoResult:
    """All four parts; ``seed`` is unused (everything here is deterministic)."""
    t0 = time.perf_counter()
    folder = out_dir(out)
    result = DemoResult("descent")
    prog = Progress(progress)
    F = result.figures

    # --- 1. the bowl ----------------------------------------------------------------------
    prog.phase("descent: gradient descent on x^2 + y^2")
    end, hist = optim.gradient_descent(bowl_grad, START, LR, STEPS)
    path = np.array(hist)
    F.update(bowl_lr=LR, bowl_steps=STEPS, bowl_final_point=end.tolist(), bowl_final=bowl(end))
    g = np.linspace(-6, 6, 121)
    U, V = np.meshgrid(g, g)
    C = U**2 + V**2
    pc = np.array([bowl(p) for p in path])
    fig = plt.figure(figsize=(15, 6))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_surface(U, V, C, cmap="viridis", alpha=0.6, linewidth=0)
    ax.plot(path[:, 0], path[:, 1], pc, "o-", color="red", ms=3, lw=2, label="GD path")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("C(x, y)")
    ax.set_title(f"C(x, y) = x$^2$ + y$^2$: gradient descent from (5, 5), lr {LR:g}")
    ax.legend(loc="upper left")
    ax.view_init(elev=30, azim=-130)
    ax = fig.add_subplot(1, 2, 2)
    cs = ax.contourf(U, V, C, levels=25, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="C(x, y)")
    ax.plot(path[:, 0], path[:, 1], "o-", color="red", ms=4, label=f"GD path, {STEPS} steps")
    ax.plot(0, 0, "*", color="white", mec="k", ms=16, label="minimum (0, 0)")
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("top-down view")
    ax.legend(loc="upper left")
    save(fig, folder / "descent_surface.png", result)

    # --- 2. learning-rate sweep -----------------------------------------------------------
    prog.phase("descent: learning-rate sweep")
    sweep = {}
    for lr in SWEEP:
        _, h = optim.gradient_descent(bowl_grad, START, lr, SWEEP_STEPS)
        h = np.array(h)
        d = np.linalg.norm(h, axis=1)
        sweep[lr] = {
            "distance": d,
            "x": h[:, 0],
            "kind": classify(d, h[:, 0]),
            "steps_to_1e-3": steps_to(d),
        }
    F["sweep"] = {
        lr: {
            "kind": s["kind"],
            "steps_to_1e-3": s["steps_to_1e-3"],
            "final": float(s["distance"][-1]),
        }
        for lr, s in sweep.items()
    }
    result.data["sweep"] = sweep
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    k = np.arange(SWEEP_STEPS + 1)
    floor = 1e-16
    for lr, s in sweep.items():
        lab = f"lr {lr:g}: {s['kind']}"
        ax1.semilogy(k, np.maximum(s["distance"], floor), "o-", ms=3, label=lab)
        ax2.plot(k[:21], s["x"][:21], "o-", ms=3, label=lab)
    ax1.axhline(np.linalg.norm(START), color="grey", ls=":", lw=1, label="start distance")
    ax1.set_xlabel("step")
    ax1.set_ylabel("distance to the minimum (log; exact 0 drawn at 1e-16)")
    ax1.set_title("learning-rate sweep on x$^2$ + y$^2$ (f'' = 2: ideal lr 1/f'' = 0.5)")
    ax1.legend(fontsize=9)
    ax1.grid(alpha=0.3, which="both")
    ax2.axhline(0, color="k", lw=0.8)
    ax2.set_xlabel("step")
    ax2.set_ylabel("x coordinate (y is the same)")
    ax2.set_title("first 20 steps: overshoot flips the sign; lr > 1 = 2/f'' grows")
    ax2.set_ylim(-20, 20)
    ax2.legend(fontsize=9)
    ax2.grid(alpha=0.3)
    save(fig, folder / "descent_lr_sweep.png", result)

    # --- 3. the ideal step: 1-D 1/f'' and 2-D Newton ----------------------------------------
    prog.phase("descent: ideal step and Newton's step")

    def f1(x: np.ndarray) -> np.ndarray:
        return 3.0 * (x - 2.0) ** 2 + 1.0

    x0, f2 = -4.0, 6.0
    ideal = optim.ideal_step_1d(f2)
    x1 = x0 - ideal * 6.0 * (x0 - 2.0)
    F.update(ideal_lr_1d=ideal, ideal_1d_x1=x1, ideal_1d_error=abs(x1 - 2.0))
    newton_bowl = optim.newton_step(bowl_grad(START), BOWL_HESSIAN, START)
    v_star = np.linalg.solve(A_TILT, B_TILT)

    def tilt_grad(v: np.ndarray) -> np.ndarray:
        return A_TILT @ v - B_TILT

    newton_tilt = optim.newton_step(tilt_grad(START), A_TILT, START)
    lam = np.linalg.eigvalsh(A_TILT)
    lr_tilt = 2.0 / (lam[0] + lam[-1])  # the best fixed learning rate for this quadratic
    _, gd_tilt = optim.gradient_descent(tilt_grad, START, lr_tilt, 200)
    gd_tilt = np.array(gd_tilt)
    d_tilt = np.linalg.norm(gd_tilt - v_star, axis=1)
    F.update(
        newton_bowl_point=newton_bowl.tolist(),
        newton_bowl_grad_norm=float(np.linalg.norm(bowl_grad(newton_bowl))),
        newton_tilt_point=newton_tilt.tolist(),
        newton_tilt_grad_norm=float(np.linalg.norm(tilt_grad(newton_tilt))),
        tilt_condition_number=float(lam[-1] / lam[0]),
        tilt_gd_lr=float(lr_tilt),
        tilt_gd_steps_to_1e6=steps_to(d_tilt, 1e-6),
    )
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    xs = np.linspace(-5, 8, 300)
    ax1.plot(xs, f1(xs), label="f(x) = 3(x - 2)$^2$ + 1,  f'' = 6")
    for lr, style in ((0.05, "s--"), (ideal, "o-")):
        pts = [x0]
        for _ in range(4 if lr != ideal else 1):
            pts.append(pts[-1] - lr * 6.0 * (pts[-1] - 2.0))
        pts = np.array(pts)
        name = f"lr 1/f'' = {ideal:.3f}: one step" if lr == ideal else f"lr {lr:g}: 4 steps"
        ax1.plot(pts, f1(pts), style, ms=7, label=name)
    ax1.set_xlabel("x")
    ax1.set_ylabel("f(x)")
    ax1.set_title("1-D: the ideal learning rate 1/f''(x) reaches the minimum in one step")
    ax1.legend()
    ax1.grid(alpha=0.3)
    gx = np.linspace(-6, 6, 200)
    GU, GV = np.meshgrid(gx, gx)
    Q = 0.5 * (A_TILT[0, 0] * GU**2 + 2 * A_TILT[0, 1] * GU * GV + A_TILT[1, 1] * GV**2)
    Q -= B_TILT[0] * GU + B_TILT[1] * GV
    ax2.contour(GU, GV, Q, levels=np.geomspace(0.05, Q.max(), 25) + Q.min(), cmap="viridis")
    ax2.plot(
        gd_tilt[:40, 0],
        gd_tilt[:40, 1],
        "o-",
        color="tab:orange",
        ms=3,
        label=f"GD, best fixed lr {lr_tilt:.3f}: first 40 steps",
    )
    ax2.plot(
        [START[0], newton_tilt[0]],
        [START[1], newton_tilt[1]],
        "s-",
        color="red",
        lw=2,
        ms=7,
        label="Newton: x - H$^{-1}$ grad, one step",
    )
    ax2.plot(*v_star, "*", color="k", ms=15, label="minimum")
    ax2.set_aspect("equal")
    ax2.set_xlabel("x")
    ax2.set_ylabel("y")
    ax2.set_title(
        f"2-D: C = 0.5 v$^T$Av - b$^T$v, Hessian A (condition number {lam[-1] / lam[0]:.0f})"
    )
    ax2.legend(loc="upper left", fontsize=9)
    save(fig, folder / "descent_newton.png", result)

    # --- 4. logistic regression: GD vs Newton ------------------------------------------------
    prog.phase("descent: logistic regression on iris, GD vs Newton")
    D, y, mu, sd = _logreg_design()
    w_n, loss_n, gn_n = logreg_newton(D, y)
    w_g, loss_g, gn_g = logreg_gd(D, y, lr=1.0, iterations=gd_iterations)
    acc = float(np.mean((activations.sigmoid(D @ w_n) > 0.5) == (y > 0.5)))
    # the separable feature pair: Newton's loss keeps falling while the weights grow
    X, yy, names, _ = load_iris()
    Ds = np.column_stack(
        [
            (X[:, names.index(c)] - X[:, names.index(c)].mean()) / X[:, names.index(c)].std()
            for c in ("sepal_length_cm", "petal_length_cm")
        ]
        + [np.ones(len(X))]
    )
    w_s, loss_s, _ = logreg_newton(Ds, yy.astype(float), iterations=15, tol=0.0)
    F.update(
        logreg_newton_iterations=len(loss_n) - 1,
        logreg_gd_iterations=len(loss_g) - 1,
        logreg_gd_converged=bool(gn_g[-1] < LOGREG_TOL),
        logreg_newton_loss=loss_n[-1],
        logreg_gd_loss=loss_g[-1],
        logreg_accuracy=acc,
        logreg_slope_per_cm=float(w_n[0] / sd),
        logreg_intercept=float(w_n[1] - w_n[0] * mu / sd),
        separable_newton_weight_norm=float(np.linalg.norm(w_s)),
        separable_newton_loss=float(loss_s[-1]),
    )
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    ax1.semilogy(gn_g, label="gradient descent, lr 1")
    ax1.semilogy(gn_n, "o-", label="Newton, Hessian X$^T$ diag(a(1-a)) X / N")
    ax1.axhline(LOGREG_TOL, color="grey", ls=":", lw=1, label=f"tolerance {LOGREG_TOL:g}")
    ax1.set_xscale("symlog", linthresh=10)
    ax1.set_xlim(0, len(gn_g) * 1.1)
    ax1.set_xlabel("iteration (linear to 10, then log)")
    ax1.set_ylabel("|gradient of the mean log loss|")
    ax1.set_title(
        f"log-loss logistic regression: Newton {len(loss_n) - 1} iterations, GD {len(loss_g) - 1}"
    )
    ax1.legend()
    ax1.grid(alpha=0.3, which="both")
    sl = D[:, 0] * sd + mu
    jitter = np.random.default_rng(seed).uniform(-0.03, 0.03, len(y))
    ax2.scatter(sl[y == 0], y[y == 0] + jitter[y == 0], marker="o", label="setosa (y = 0)")
    ax2.scatter(sl[y == 1], y[y == 1] + jitter[y == 1], marker="x", label="versicolor (y = 1)")
    grid = np.linspace(sl.min() - 0.3, sl.max() + 0.3, 200)
    Dg = np.column_stack([(grid - mu) / sd, np.ones_like(grid)])
    ax2.plot(grid, activations.sigmoid(Dg @ w_n), lw=2, label="P(versicolor), Newton")
    ax2.plot(grid, activations.sigmoid(Dg @ w_g), "--", lw=2, label="P(versicolor), GD")
    ax2.set_xlabel("sepal length (cm)")
    ax2.set_ylabel("probability / class")
    ax2.set_title(f"fit on iris sepal length: {acc:.0%} training accuracy (classes overlap)")
    ax2.legend(loc="center right")
    ax2.grid(alpha=0.3)
    save(fig, folder / "descent_logreg.png", result)

    sw = ", ".join(f"lr {lr:g}: {s['kind']}" for lr, s in sweep.items())
    result.lines += [
        f"x^2 + y^2 from (5, 5), lr {LR:g}: after {STEPS} steps at "
        f"({end[0]:.2e}, {end[1]:.2e}), cost {bowl(end):.2e}",
        f"learning-rate sweep ({SWEEP_STEPS} steps): {sw}",
        f"1-D ideal step lr = 1/f'' = {ideal:.4f}: x {x0:g} -> {x1:g} (minimum 2) in one step",
        f"Newton on x^2 + y^2: (5, 5) -> {np.round(newton_bowl, 12).tolist()}, "
        f"|grad| {F['newton_bowl_grad_norm']:.1e}; on the tilted quadratic (condition "
        f"{F['tilt_condition_number']:.0f}): |grad| {F['newton_tilt_grad_norm']:.1e} after one "
        f"step, GD with the best fixed lr needs {F['tilt_gd_steps_to_1e6']} steps to 1e-6",
        f"logistic regression (iris, sepal length): Newton {len(loss_n) - 1} iterations, GD "
        f"{len(loss_g) - 1} iterations to |grad| < {LOGREG_TOL:g}; log loss {loss_n[-1]:.6f}, "
        f"accuracy {acc:.0%}",
        f"(on sepal + petal length the classes are separable: after 15 Newton steps the log "
        f"loss is {loss_s[-1]:.1e} and |w| = {np.linalg.norm(w_s):.0f}, still growing)",
    ]
    result.seconds = time.perf_counter() - t0
    return result
