"""Costs through torch in the caller's dtype: huber (F.huber_loss, delta 1), log loss on
logits (F.binary_cross_entropy_with_logits) and squared error (F.mse_loss), reduction
"none", gradients by autograd, results cast back to the input dtype."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _value(fn, a, y):
    a, y = np.asarray(a), np.asarray(y)
    with torch.no_grad():
        out = fn(torch.from_numpy(a.copy()), torch.from_numpy(y.astype(a.dtype)))
    return out.numpy().astype(a.dtype)


def _grad(fn, a, y):
    a, y = np.asarray(a), np.asarray(y)
    x = torch.from_numpy(a.copy()).requires_grad_()
    fn(x, torch.from_numpy(y.astype(a.dtype))).sum().backward()
    return x.grad.numpy().astype(a.dtype)


def _huber(a, y):
    return F.huber_loss(a, y, reduction="none", delta=1.0)


def _bce(z, y):
    return F.binary_cross_entropy_with_logits(z, y, reduction="none")


def _mse(a, y):
    return F.mse_loss(a, y, reduction="none")


def huber(a, y):
    return _value(_huber, a, y)


def huber_der(a, y):
    return _grad(_huber, a, y)


def log_loss_logits(z, y):
    return _value(_bce, z, y)


def log_loss_logits_der(z, y):
    return _grad(_bce, z, y)


def squared(a, y):
    return _value(_mse, a, y)


def squared_der(a, y):
    return _grad(_mse, a, y)
