"""Logistic-regression-style network (relu hidden, sigmoid output, log loss, sum) using the
a - y shortcut: for sigmoid + binary cross-entropy dC/dz = a - y exactly; with train_step and
minibatch_grads (a sum reduction: no division by the batch size)."""
# expect: pass
# only: network

import numpy as np

ARCH = {
    "sizes": [2, 4, 1],
    "activation": "relu",
    "output_activation": "sigmoid",
    "cost": "log_loss",
    "reduction": "sum",
    "bias": True,
}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 1.0, (2, 4)),
        "b0": np.full(4, 0.1),
        "W1": rng.normal(0, 0.5, (4, 1)),
        "b1": np.zeros(1),
    }


def _forward(p, X):
    z0 = X @ p["W0"] + p["b0"]
    h = np.maximum(z0, 0)
    return z0, h, sigmoid(h @ p["W1"] + p["b1"])


def loss(params, X, Y):
    _, _, a = _forward(params, X)
    return float(-np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)))


def grads(params, X, Y):
    z0, h, a = _forward(params, X)
    dz1 = a - Y
    dz0 = (dz1 @ params["W1"].T) * (z0 > 0)
    return {"W0": X.T @ dz0, "b0": dz0.sum(0), "W1": h.T @ dz1, "b1": dz1.sum(0)}


def train_step(params, X, Y, lr):
    g = grads(params, X, Y)
    return {k: params[k] - lr * g[k] for k in params}


def minibatch_grads(params, X, Y, batch_size):
    return [
        grads(params, X[i : i + batch_size], Y[i : i + batch_size])
        for i in range(0, len(X), batch_size)
    ]
