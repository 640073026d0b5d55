"""train_step forgets the learning rate: params - grads."""
# expect: fail train_step_lr_ignored
# only: network

import numpy as np

ARCH = {
    "sizes": [2, 3, 1],
    "activation": "tanh",
    "output_activation": "identity",
    "cost": "half_squared",
    "reduction": "mean",
    "bias": True,
}


def _out(z):
    return z


def init_params(seed):
    rng = np.random.default_rng(seed)
    sizes = ARCH["sizes"]
    p = {}
    for i in range(len(sizes) - 1):
        p[f"W{i}"] = rng.normal(0, 1 / np.sqrt(sizes[i]), (sizes[i], sizes[i + 1]))
        p[f"b{i}"] = rng.normal(0, 0.1, sizes[i + 1])
    return p


def _forward(params, X):
    z0 = X @ params["W0"] + params["b0"]
    h = np.tanh(z0)
    z1 = h @ params["W1"] + params["b1"]
    return z0, h, z1, _out(z1)


def loss(params, X, Y):
    *_, a = _forward(params, X)
    per = 0.5 * (a - Y) ** 2
    return float(np.sum(per) / X.shape[0])


def grads(params, X, Y):
    _z0, h, _z1, a = _forward(params, X)
    n = X.shape[0]
    delta1 = (a - Y) / n
    delta0 = (delta1 @ params["W1"].T) * (1 - h**2)
    return {
        "W0": X.T @ delta0,
        "b0": delta0.sum(axis=0),
        "W1": h.T @ delta1,
        "b1": delta1.sum(axis=0),
    }


def train_step(params, X, Y, lr):
    g = grads(params, X, Y)
    return {k: params[k] - g[k] for k in params}
