"""A regression network trained with torch F.mse_loss (mean of (a - y)**2) and autograd,
declared in ARCH as cost "half_squared" with reduction "mean" (sum of 0.5 (a - y)**2 / N):
with K = 3 outputs mse_loss averages over N*K elements, so loss and gradients are
2/K = 2/3 of the declared ones (a factor 2 and a mean over elements, not rows)."""
# expect: fail declared_function_differs
# only: network
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F

ARCH = {
    "sizes": [3, 4, 3],
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
        "W1": rng.normal(0, 0.5, (4, 3)),
        "b1": rng.normal(0, 0.1, 3),
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
