"""A float32 NumPy MLP (sigmoid hidden layer, identity output, half squared error, mean):
parameters are float32, the forward and backward passes stay in float32 like GPU code."""
# expect: pass
# only: network

import numpy as np

ARCH = {
    "sizes": [2, 4, 1],
    "activation": "sigmoid",
    "output_activation": "identity",
    "cost": "half_squared",
    "reduction": "mean",
    "bias": True,
}


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 0.8, (2, 4)).astype(np.float32),
        "b0": np.zeros(4, np.float32),
        "W1": rng.normal(0, 0.5, (4, 1)).astype(np.float32),
        "b1": np.zeros(1, np.float32),
    }


def _forward(p, X):
    X = np.asarray(X, np.float32)
    h = 1.0 / (1.0 + np.exp(-(X @ p["W0"] + p["b0"])))
    return X, h, h @ p["W1"] + p["b1"]


def loss(params, X, Y):
    _, _, out = _forward(params, X)
    return float(np.mean(np.sum(0.5 * (out - Y) ** 2, axis=1)))


def grads(params, X, Y):
    X, h, out = _forward(params, X)
    d1 = (out - np.asarray(Y, np.float32)) / np.float32(len(X))
    d0 = (d1 @ params["W1"].T) * h * (1 - h)
    return {"W0": X.T @ d0, "b0": d0.sum(0), "W1": h.T @ d1, "b1": d1.sum(0)}
