"""Dtype-preserving torch wrappers: torch.from_numpy keeps float32/float64, the result goes
back with .numpy() in the input's dtype.  sigmoid, softplus (F.softplus defaults), swish
(F.silu) and leaky ReLU (F.leaky_relu, slope 0.01), derivatives by autograd."""
# expect: pass
# only: activations
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _fwd(fn, z):
    z = np.asarray(z)
    with torch.no_grad():
        return fn(torch.from_numpy(z.copy())).numpy().astype(z.dtype, copy=False)


def _der(fn, z):
    z = np.asarray(z)
    x = torch.from_numpy(z.copy()).requires_grad_()
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    return g.numpy().astype(z.dtype, copy=False)


def sigmoid(z):
    return _fwd(torch.sigmoid, z)


def sigmoid_der(z):
    return _der(torch.sigmoid, z)


def softplus(z):
    return _fwd(F.softplus, z)


def softplus_der(z):
    return _der(F.softplus, z)


def swish(z):
    return _fwd(F.silu, z)


def swish_der(z):
    return _der(F.silu, z)


def leaky_relu(z):
    return _fwd(lambda x: F.leaky_relu(x, 0.01), z)


def leaky_relu_der(z):
    return _der(lambda x: F.leaky_relu(x, 0.01), z)
