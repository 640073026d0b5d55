"""Plain optimisers for the demos: gradient descent, minibatch SGD, Newton's step."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from . import mlp
from ._util import as_float


def gradient_descent(
    grad_fn: Callable[[np.ndarray], ArrayLike],
    x0: ArrayLike,
    lr: float,
    steps: int,
    callback: Callable[[int, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """x_{k+1} = x_k - lr grad(x_k) for ``steps`` steps.

    Returns the final x and the history [x_0, x_1, ..., x_steps] (copies, so later steps do
    not alter earlier entries).  ``callback(k, x_k)`` is called after every step.
    """
    x = as_float(x0).copy()
    history = [x.copy()]
    for k in range(1, steps + 1):
        x = x - lr * np.asarray(grad_fn(x))
        history.append(x.copy())
        if callback is not None:
            callback(k, x)
    return x, history


def sgd(
    arch: mlp.Arch,
    params: mlp.Params,
    X: ArrayLike,
    Y: ArrayLike,
    lr: float,
    epochs: int,
    batch_size: int,
    seed: int,
) -> tuple[mlp.Params, dict[str, list[float]]]:
    """Minibatch stochastic gradient descent on an MLP.

    Each epoch the examples are shuffled with ``np.random.default_rng(seed)`` (one generator
    for the whole run, so epochs see different orders and the run is reproducible) and cut
    into consecutive batches; each step follows the gradient of its batch's own loss, so the
    short last batch averages over its true size.  Returns the final parameters and a history:
    ``"step"``: each batch's loss before its update; ``"epoch"``: the full-data loss before
    training and after every epoch (epochs + 1 values).
    """
    X, Y = np.asarray(X), np.asarray(Y)
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"step": [], "epoch": [mlp.loss(arch, params, X, Y)]}
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            idx = order[i : i + batch_size]
            history["step"].append(mlp.loss(arch, params, X[idx], Y[idx]))
            params = mlp.train_step(arch, params, X[idx], Y[idx], lr)
        history["epoch"].append(mlp.loss(arch, params, X, Y))
    return params, history


def newton_step(grad: ArrayLike, hessian: ArrayLike, x: ArrayLike) -> np.ndarray:
    """x - H^{-1} g, by solving H d = g (more accurate and cheaper than forming H^{-1}).

    Scalars are treated as the 1-D case x - g / f''.
    """
    x = np.asarray(x, dtype=float)
    g = np.atleast_1d(np.asarray(grad, dtype=float))
    H = np.atleast_2d(np.asarray(hessian, dtype=float))
    return x - np.linalg.solve(H, g).reshape(x.shape)


def ideal_step_1d(f2: float) -> float:
    """The learning rate that lands on the minimum of a quadratic in one step: 1 / f''(x).

    Gradient descent with lr = 1/f'' is exactly Newton's step in 1-D; lr > 2/f'' diverges.
    """
    return 1.0 / f2
