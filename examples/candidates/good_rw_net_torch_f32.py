"""A torch autograd network in float32 (torch's default dtype): tanh hidden layer, identity
output, half squared error averaged over the batch; parameters handed out as float32."""
# expect: pass
# only: network
# requires: torch

import numpy as np
import torch

ARCH = {
    "sizes": [2, 6, 1],
    "activation": "tanh",
    "output_activation": "identity",
    "cost": "half_squared",
    "reduction": "mean",
    "bias": True,
}


def init_params(seed):
    g = torch.Generator().manual_seed(seed)
    return {
        "W0": (torch.randn(2, 6, generator=g) * 0.7).numpy(),
        "b0": (torch.randn(6, generator=g) * 0.1).numpy(),
        "W1": (torch.randn(6, 1, generator=g) * 0.4).numpy(),
        "b1": torch.zeros(1).numpy(),
    }


def _forward_loss(p, X, Y):
    h = torch.tanh(X @ p["W0"] + p["b0"])
    out = h @ p["W1"] + p["b1"]
    return 0.5 * ((out - Y) ** 2).sum(dim=1).mean()


def _tensors(params, X, Y, grad):
    p = {
        k: torch.tensor(np.asarray(v), dtype=torch.float32, requires_grad=grad)
        for k, v in params.items()
    }
    return (
        p,
        torch.tensor(np.asarray(X), dtype=torch.float32),
        torch.tensor(np.asarray(Y), dtype=torch.float32),
    )


def loss(params, X, Y):
    with torch.no_grad():
        return _forward_loss(*_tensors(params, X, Y, False)).item()


def grads(params, X, Y):
    p, X, Y = _tensors(params, X, Y, True)
    _forward_loss(p, X, Y).backward()
    return {k: v.grad.numpy() for k, v in p.items()}
