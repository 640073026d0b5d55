"""Backprop built on scikit-learn's sklearn.neural_network._base.DERIVATIVES["tanh"], which
expects the layer's OUTPUT (delta *= 1 - Z**2 with Z = tanh(z)), fed the pre-activation z of
the hidden layer: the output form 1 - z**2 applied to z."""
# expect: fail output_form_applied_to_z
# only: network
# requires: sklearn

import numpy as np
from sklearn.neural_network._base import DERIVATIVES

ARCH = {
    "sizes": [3, 4, 2],
    "activation": "tanh",
    "output_activation": "identity",
    "cost": "half_squared",
    "reduction": "mean",
    "bias": True,
}


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 0.6, (3, 4)),
        "b0": rng.normal(0, 0.1, 4),
        "W1": rng.normal(0, 0.5, (4, 2)),
        "b1": rng.normal(0, 0.1, 2),
    }


def _forward(p, X):
    z0 = X @ p["W0"] + p["b0"]
    h = np.tanh(z0)
    return z0, h, h @ p["W1"] + p["b1"]


def loss(params, X, Y):
    *_, out = _forward(params, X)
    return float(np.sum(0.5 * (out - Y) ** 2) / X.shape[0])


def grads(params, X, Y):
    z0, h, out = _forward(params, X)
    delta1 = (out - Y) / X.shape[0]
    delta0 = delta1 @ params["W1"].T
    DERIVATIVES["tanh"](z0, delta0)  # should be h, the activation output
    return {
        "W0": X.T @ delta0,
        "b0": delta0.sum(axis=0),
        "W1": h.T @ delta1,
        "b1": delta1.sum(axis=0),
    }
