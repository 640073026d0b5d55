"""Exact GELU (F.gelu(approximate="none"), the erf form) and swish as F.silu (z * sigmoid(z)),
derivatives from torch.autograd.grad."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _fwd(fn, z):
    with torch.no_grad():
        return np.asarray(fn(torch.tensor(np.asarray(z, dtype=float))).numpy(), dtype=float)


def _der(fn, z):
    x = torch.tensor(np.asarray(z, dtype=float), requires_grad=True)
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    return np.asarray(g.numpy(), dtype=float)


def _gelu(x):
    return F.gelu(x, approximate="none")


def gelu(z):
    return _fwd(_gelu, z)


def gelu_der(z):
    return _der(_gelu, z)


def swish(z):
    return _fwd(F.silu, z)


def swish_der(z):
    return _der(F.silu, z)
