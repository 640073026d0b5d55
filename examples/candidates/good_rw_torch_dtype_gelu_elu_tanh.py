"""torch.nn modules (nn.GELU(), nn.ELU(), nn.Tanh()) applied to NumPy arrays in their own
dtype, derivatives from autograd, returned in the input dtype."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
from torch import nn

_GELU, _ELU, _TANH = nn.GELU(approximate="none"), nn.ELU(alpha=1.0), nn.Tanh()


def _apply(mod, z):
    z = np.asarray(z)
    with torch.no_grad():
        return mod(torch.as_tensor(z)).numpy().astype(z.dtype)


def _grad(mod, z):
    z = np.asarray(z)
    x = torch.as_tensor(z).clone().requires_grad_(True)
    mod(x).backward(torch.ones_like(x))
    return x.grad.numpy().astype(z.dtype)


def gelu(z):
    return _apply(_GELU, z)


def gelu_der(z):
    return _grad(_GELU, z)


def elu(z):
    return _apply(_ELU, z)


def elu_der(z):
    return _grad(_ELU, z)


def tanh(z):
    return _apply(_TANH, z)


def tanh_der(z):
    return _grad(_TANH, z)
