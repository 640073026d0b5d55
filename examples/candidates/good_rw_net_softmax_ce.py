"""Softmax output + categorical cross-entropy (on probabilities, summed over classes,
averaged over the batch) with the a - y shortcut; tanh hidden layer, float64."""
# expect: pass
# only: network

import numpy as np

ARCH = {
    "sizes": [2, 5, 3],
    "activation": "tanh",
    "output_activation": "softmax",
    "cost": "cross_entropy",
    "reduction": "mean",
    "bias": True,
}


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 0.7, (2, 5)),
        "b0": np.zeros(5),
        "W1": rng.normal(0, 0.7, (5, 3)),
        "b1": np.zeros(3),
    }


def _forward(p, X):
    h = np.tanh(X @ p["W0"] + p["b0"])
    z = h @ p["W1"] + p["b1"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return h, e / e.sum(axis=1, keepdims=True)


def loss(params, X, Y):
    _, a = _forward(params, X)
    return float(-np.sum(Y * np.log(a)) / X.shape[0])


def grads(params, X, Y):
    h, a = _forward(params, X)
    dz = (a - Y) / X.shape[0]
    dh = (dz @ params["W1"].T) * (1 - h * h)
    return {"W0": X.T @ dh, "b0": dh.sum(0), "W1": h.T @ dz, "b1": dz.sum(0)}
