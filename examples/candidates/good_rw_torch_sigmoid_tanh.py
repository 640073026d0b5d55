"""Thin float64 wrappers around torch.sigmoid / torch.tanh, derivatives by torch.autograd.grad.
Correct: both are torch's own (accurate) kernels and autograd gives the exact derivative."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch


def _t(z, grad=False):
    return torch.tensor(np.asarray(z, dtype=float), requires_grad=grad)


def _der(fn, z):
    x = _t(z, grad=True)
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    return np.asarray(g.numpy(), dtype=float)


def sigmoid(z):
    return np.asarray(torch.sigmoid(_t(z)).numpy(), dtype=float)


def sigmoid_der(z):
    return _der(torch.sigmoid, z)


def tanh(z):
    return np.asarray(torch.tanh(_t(z)).numpy(), dtype=float)


def tanh_der(z):
    return _der(torch.tanh, z)
