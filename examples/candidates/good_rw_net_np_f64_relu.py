"""A float64 NumPy ReLU network (3-5-4-2, identity output, squared error summed), the
cs231n way: cache the forward pass, backprop with (z > 0) masks, dC/da = 2 (a - y)."""
# expect: pass
# only: network

import numpy as np

ARCH = {
    "sizes": [3, 5, 4, 2],
    "activation": "relu",
    "output_activation": "identity",
    "cost": "squared",
    "reduction": "sum",
    "bias": True,
}


def init_params(seed):
    rng = np.random.default_rng(seed)
    s = ARCH["sizes"]
    params = {}
    for i in range(len(s) - 1):
        params[f"W{i}"] = rng.normal(0, np.sqrt(2.0 / s[i]), (s[i], s[i + 1]))
        params[f"b{i}"] = rng.uniform(0.05, 0.2, s[i + 1])
    return params


def _forward(params, X):
    acts, zs = [X], []
    L = len(ARCH["sizes"]) - 1
    for i in range(L):
        z = acts[-1] @ params[f"W{i}"] + params[f"b{i}"]
        zs.append(z)
        acts.append(z if i == L - 1 else np.maximum(z, 0))
    return zs, acts


def loss(params, X, Y):
    _, acts = _forward(params, X)
    return float(np.sum((acts[-1] - Y) ** 2))


def grads(params, X, Y):
    zs, acts = _forward(params, X)
    delta = 2 * (acts[-1] - Y)
    g = {}
    for i in reversed(range(len(zs))):
        g[f"W{i}"] = acts[i].T @ delta
        g[f"b{i}"] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ params[f"W{i}"].T) * (zs[i - 1] > 0)
    return g


def train_step(params, X, Y, lr):
    g = grads(params, X, Y)
    return {k: v - lr * g[k] for k, v in params.items()}
