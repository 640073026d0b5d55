"""A network whose gradients come from torch autograd (float64).  Needs torch; the catalog
test is skipped cleanly when torch is not installed."""
# expect: pass
# only: network
# requires: torch

import numpy as np
import torch

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


def _loss(p, X, Y):
    h = torch.tanh(X @ p["W0"] + p["b0"])
    out = h @ p["W1"] + p["b1"]
    return (0.5 * (out - Y) ** 2).sum() / X.shape[0]


def _t(params, X, Y, grad=False):
    p = {k: torch.tensor(np.asarray(v, np.float64), requires_grad=grad) for k, v in params.items()}
    return p, torch.tensor(np.asarray(X, np.float64)), torch.tensor(np.asarray(Y, np.float64))


def loss(params, X, Y):
    return float(_loss(*_t(params, X, Y)))


def grads(params, X, Y):
    p, X, Y = _t(params, X, Y, grad=True)
    _loss(p, X, Y).backward()
    return {k: v.grad.numpy() for k, v in p.items()}
