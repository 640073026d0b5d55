"""F.relu and F.elu (alpha=1) wrapped for NumPy, derivatives through .backward().
Correct: torch's relu/elu match the registry; at z = 0 autograd picks 0 (relu) and
1 (elu), both valid subgradients."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _grad(fn, z):
    x = torch.tensor(np.asarray(z, dtype=float), requires_grad=True)
    fn(x).backward(torch.ones_like(x))
    return np.asarray(x.grad, dtype=float)


def relu(z):
    return np.asarray(F.relu(torch.tensor(np.asarray(z, dtype=float))), dtype=float)


def relu_der(z):
    return _grad(F.relu, z)


def elu(z):
    return np.asarray(F.elu(torch.tensor(np.asarray(z, dtype=float)), alpha=1.0), dtype=float)


def elu_der(z):
    return _grad(lambda x: F.elu(x, alpha=1.0), z)
