"""A sigmoid network whose backprop uses the output form a * (1 - a) but feeds it z.

sigmoid_der(x) = x * (1 - x) is right for x = a = sigmoid(z); here it is called on the
pre-activation z of the hidden layer, the classic slip when the helper's argument is named
``x``."""
# expect: fail output_form_applied_to_z
# only: network

import numpy as np

ARCH = {
    "sizes": [3, 4, 1],
    "activation": "sigmoid",
    "output_activation": "identity",
    "cost": "half_squared",
    "reduction": "mean",
    "bias": True,
}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_der(x):
    return x * (1 - x)


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 0.7, (3, 4)),
        "b0": rng.normal(0, 0.1, 4),
        "W1": rng.normal(0, 0.7, (4, 1)),
        "b1": rng.normal(0, 0.1, 1),
    }


def loss(params, X, Y):
    h = sigmoid(X @ params["W0"] + params["b0"])
    out = h @ params["W1"] + params["b1"]
    return float(np.sum(0.5 * (out - Y) ** 2) / X.shape[0])


def grads(params, X, Y):
    z0 = X @ params["W0"] + params["b0"]
    h = sigmoid(z0)
    out = h @ params["W1"] + params["b1"]
    d1 = (out - Y) / X.shape[0]
    d0 = (d1 @ params["W1"].T) * sigmoid_der(z0)  # the bug: z0 where h belongs
    return {"W0": X.T @ d0, "b0": d0.sum(0), "W1": h.T @ d1, "b1": d1.sum(0)}
