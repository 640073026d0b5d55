"""One sigmoid neuron separating Iris setosa from versicolor (sepal length, petal length).

The data are the first 100 rows of Fisher's 1936 iris measurements (public domain), shipped as
``gradspec/demos/data/iris_setosa_versicolor.csv`` and read with importlib.resources.

Four trainings from zero weights, learning rate 0.5, mean reduction:

* absolute error |a - y| (derivative sign(a - y)) and half-squared error 0.5 (a - y)^2,
* each by full-batch gradient descent (one step per epoch) and by minibatch SGD
  (:func:`gradspec.reference.optim.sgd`: shuffled every epoch, batches of 32, the short last
  batch of 100 = 3 x 32 + 4 averaged over its true size 4, not over 32).

All four reach 100% training accuracy.  The Heaviside step activation is trained the same way
and learns nothing: its derivative is 0 wherever it is defined, so every gradient is exactly
zero and the parameters never move.
"""

from __future__ import annotations

import csv
import io
import time
from importlib.resources import files
from pathlib import Path

import numpy as np

from gradspec.reference import mlp, optim

from ._common import DemoResult, Progress, out_dir, plt, save

DATA_FILE = "iris_setosa_versicolor.csv"
FEATURES = ("sepal_length_cm", "petal_length_cm")
LR = 0.5
EPOCHS = 100
BATCH = 32
COSTS = ("absolute", "half_squared")
COST_LABEL = {"absolute": "absolute error |a - y|", "half_squared": "half-squared error"}

Params = dict[str, np.ndarray]


def load_iris() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """(X (100, 4) float, y (100,) int 0 = setosa / 1 = versicolor, feature names, species)."""
    text = files("gradspec.demos").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], [r for r in rows[1:] if r]
    species = sorted({r[-1] for r in body})
    X = np.array([[float(v) for v in r[:-1]] for r in body])
    y = np.array([species.index(r[-1]) for r in body])
    return X, y, header[:-1], species


def data() -> tuple[np.ndarray, np.ndarray]:
    """The demo's inputs (sepal length, petal length) and targets as a column (100, 1)."""
    X, y, names, _ = load_iris()
    cols = [names.index(f) for f in FEATURES]
    return X[:, cols], y[:, None].astype(float)


def arch(cost: str, activation: str = "sigmoid") -> mlp.Arch:
    return mlp.Arch((2, 1), activation, cost=cost, reduction="mean", bias=True)


def zeros() -> Params:
    return {"W0": np.zeros((2, 1)), "b0": np.zeros(1)}


def accuracy(a: mlp.Arch, params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    return float(np.mean((mlp.predict(a, params, X) > 0.5) == (Y > 0.5)))


def gd(
    a: mlp.Arch, params: Params, X: np.ndarray, Y: np.ndarray, lr: float, epochs: int
) -> tuple[Params, list[float]]:
    """Full-batch gradient descent; the cost before training and after every step."""
    history = [mlp.loss(a, params, X, Y)]
    for _ in range(epochs):
        params = mlp.train_step(a, params, X, Y, lr)
        history.append(mlp.loss(a, params, X, Y))
    return params, history


def run(
    out: str | Path = "gradspec-out/iris-neuron",
    seed: int = 0,
    epochs: int = EPOCHS,
    progress: bool = False,
) -> DemoResult:
    t0 = time.perf_counter()
    folder = out_dir(out)
    result = DemoResult("iris-neuron")
    prog = Progress(progress)
    X, Y = data()
    trainings: dict[str, dict] = {}
    for cost in COSTS:
        a = arch(cost)
        prog.phase(f"iris-neuron: {cost}, full-batch GD and minibatch SGD, {epochs} epochs")
        p_gd, h_gd = gd(a, zeros(), X, Y, LR, epochs)
        p_sgd, h_sgd = optim.sgd(a, zeros(), X, Y, LR, epochs, BATCH, seed)
        trainings[f"{cost} GD"] = {"arch": a, "params": p_gd, "epoch": h_gd}
        trainings[f"{cost} SGD"] = {
            "arch": a,
            "params": p_sgd,
            "epoch": h_sgd["epoch"],
            "step": h_sgd["step"],
        }
    for name, t in trainings.items():
        t["accuracy"] = accuracy(t["arch"], t["params"], X, Y)
        key = name.replace(" ", "_").lower()
        result.figures[f"{key}_accuracy"] = t["accuracy"]
        result.figures[f"{key}_final_cost"] = float(t["epoch"][-1])

    # Heaviside step: same training, random start (so no z sits on the kink at 0)
    prog.phase("iris-neuron: Heaviside step activation")
    a_step = arch("half_squared", "step")
    rng = np.random.default_rng(seed)
    p_step0 = {"W0": rng.normal(size=(2, 1)), "b0": rng.normal(size=1)}
    g_step = mlp.grads(a_step, p_step0, X, Y)
    p_step, h_step = gd(a_step, p_step0, X, Y, LR, epochs)
    unchanged = all(np.array_equal(p_step[k], p_step0[k]) for k in p_step0)
    result.figures.update(
        step_max_abs_gradient=float(max(np.abs(g).max() for g in g_step.values())),
        step_params_unchanged=bool(unchanged),
        step_accuracy=accuracy(a_step, p_step, X, Y),
        sgd_batch_sizes=[min(BATCH, len(X) - i) for i in range(0, len(X), BATCH)],
    )
    result.data.update(trainings=trainings, step_params=(p_step0, p_step), step_cost=h_step)

    # --- data with the separating lines ------------------------------------------------
    _, y, _, species = load_iris()
    fig, ax = plt.subplots(figsize=(8, 6))
    for cls, marker in ((0, "o"), (1, "x")):
        ax.scatter(X[y == cls, 0], X[y == cls, 1], marker=marker, label=species[cls], s=36)
    xs = np.linspace(X[:, 0].min() - 0.2, X[:, 0].max() + 0.2, 100)
    styles = ["-", "--", "-.", ":"]
    for (name, t), ls in zip(trainings.items(), styles, strict=True):
        (w1, w2), b = t["params"]["W0"].ravel(), t["params"]["b0"][0]
        ax.plot(xs, -(w1 * xs + b) / w2, ls, lw=2, label=f"{name}: {t['accuracy']:.0%} correct")
    ax.set_ylim(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5)
    ax.set_xlabel("sepal length (cm)")
    ax.set_ylabel("petal length (cm)")
    ax.set_title(
        f"Iris setosa vs versicolor: one sigmoid neuron, lr {LR:g}, {epochs} epochs\n"
        "separating lines $w_1 x_1 + w_2 x_2 + b = 0$ (output 0.5); the four nearly coincide"
    )
    ax.legend(loc="upper left", fontsize=9)
    ax.grid(alpha=0.3)
    save(fig, folder / "iris_neuron_data.png", result)

    # --- cost curves --------------------------------------------------------------------
    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    n_batches = len(result.figures["sgd_batch_sizes"])
    for ax, cost in zip(axes[:2], COSTS, strict=True):
        g, s = trainings[f"{cost} GD"], trainings[f"{cost} SGD"]
        steps = np.arange(len(s["step"])) / n_batches  # loss of each batch before its step
        ax.plot(
            steps,
            s["step"],
            color="tab:orange",
            lw=0.8,
            alpha=0.8,
            label="SGD: cost of each minibatch (sizes "
            + ", ".join(map(str, result.figures["sgd_batch_sizes"]))
            + ")",
        )
        ax.plot(
            np.arange(len(s["epoch"])),
            s["epoch"],
            color="tab:red",
            lw=1.5,
            label="SGD: full-data cost after each epoch",
        )
        ax.plot(
            np.arange(len(g["epoch"])),
            g["epoch"],
            color="tab:blue",
            lw=2,
            label="full-batch GD: cost after each step",
        )
        ax.set_xlabel("epoch (SGD: 4 steps per epoch)")
        ax.set_ylabel(f"mean {COST_LABEL[cost]}")
        ax.set_yscale("log")
        ax.set_title(f"{COST_LABEL[cost]}: GD smooth, SGD noisy")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, which="both")
    ax = axes[2]
    ax.plot(
        np.arange(len(h_step)),
        h_step,
        color="k",
        lw=2,
        label=f"step activation: accuracy {result.figures['step_accuracy']:.0%},\n"
        + ("parameters unchanged" if unchanged else "parameters CHANGED"),
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean half-squared error")
    ax.set_title("Heaviside step: gradient 0, nothing learned")
    ax.set_ylim(0, max(h_step) * 1.5 + 0.05)
    ax.legend(loc="lower center")
    ax.grid(alpha=0.3)
    fig.suptitle("Iris neuron cost curves (log scale for the sigmoid neuron)")
    save(fig, folder / "iris_neuron_cost.png", result)

    for name, t in trainings.items():
        result.lines.append(
            f"{name:>18}: {t['accuracy']:.0%} training accuracy, final mean cost "
            f"{t['epoch'][-1]:.4g}, w = {np.round(t['params']['W0'].ravel(), 3).tolist()}, "
            f"b = {t['params']['b0'][0]:.3f}"
        )
    result.lines.append(
        f"{'Heaviside step':>18}: max |gradient| {result.figures['step_max_abs_gradient']:g}, "
        f"parameters {'unchanged' if unchanged else 'CHANGED'} after {epochs} epochs, "
        f"accuracy {result.figures['step_accuracy']:.0%}"
    )
    result.lines.append(
        f"SGD batch sizes per epoch: {result.figures['sgd_batch_sizes']} "
        "(each batch averaged over its true size)"
    )
    result.seconds = time.perf_counter() - t0
    return result
