"""A regression network trained with torch F.mse_loss (mean of (a - y)**2) and autograd,
declared in ARCH as cost "half_squared" with reduction "mean" (sum of 0.5 (a - y)**2 / N):
with one output the loss and every gradient are twice the declared ones."""
# expect: fail factor2_extra
# only: network
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

ARCH = {
    "sizes": [3, 4, 1],
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
        "W1": rng.normal(0, 0.5, (4, 1)),
        "b1": rng.normal(0, 0.1, 1),
    }


def _loss(p, X, Y):
    h = torch.tanh(X @ p["W0"] + p["b0"])
    return F.mse_loss(h @ p["W1"] + p["b1"], Y)


def _t(params, X, Y, grad=False):
    p = {k: torch.tensor(np.asarray(v), requires_grad=grad) for k, v in params.items()}
    return p, torch.tensor(np.asarray(X)), torch.tensor(np.asarray(Y))


def loss(params, X, Y):
    return float(_loss(*_t(params, X, Y)))


def grads(params, X, Y):
    p, X, Y = _t(params, X, Y, grad=True)
    _loss(p, X, Y).backward()
    return {k: v.grad.numpy() for k, v in p.items()}
