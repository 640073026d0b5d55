"""A network whose hidden layer is Keras' LeakyReLU default (negative_slope 0.3), written with
torch F.leaky_relu(negative_slope=0.3) and differentiated by autograd, declared in ARCH as
the spec's leaky_relu (slope 0.01): loss and gradients are self-consistent, but not the
declared network's."""
# expect: fail declared_function_differs
# only: network
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

ARCH = {
    "sizes": [3, 5, 2],
    "activation": "leaky_relu",
    "output_activation": "identity",
    "cost": "half_squared",
    "reduction": "mean",
    "bias": True,
}


def init_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "W0": rng.normal(0, 0.8, (3, 5)),
        "b0": rng.normal(0, 0.1, 5),
        "W1": rng.normal(0, 0.5, (5, 2)),
        "b1": rng.normal(0, 0.1, 2),
    }


def _loss(p, X, Y):
    h = F.leaky_relu(X @ p["W0"] + p["b0"], negative_slope=0.3)
    out = h @ p["W1"] + p["b1"]
    return (0.5 * (out - Y) ** 2).sum() / X.shape[0]


def _t(params, X, Y, grad=False):
    p = {k: torch.tensor(np.asarray(v), requires_grad=grad) for k, v in params.items()}
    return p, torch.tensor(np.asarray(X)), torch.tensor(np.asarray(Y))


def loss(params, X, Y):
    return float(_loss(*_t(params, X, Y)))


def grads(params, X, Y):
    p, X, Y = _t(params, X, Y, grad=True)
    _loss(p, X, Y).backward()
    return {k: v.grad.numpy() for k, v in p.items()}
