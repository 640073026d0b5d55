"""Elementwise squared, half squared and absolute errors from F.mse_loss / F.l1_loss with
reduction="none", gradients from autograd (sign(a - y) for L1, 0 at a == y)."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _value(fn, a, y):
    return np.asarray(
        fn(torch.tensor(np.asarray(a, dtype=float)), torch.tensor(np.asarray(y, dtype=float))),
        dtype=float,
    )


def _grad(fn, a, y):
    a = torch.tensor(np.asarray(a, dtype=float), requires_grad=True)
    fn(a, torch.tensor(np.asarray(y, dtype=float))).sum().backward()
    return np.asarray(a.grad, dtype=float)


def _sq(a, y):
    return F.mse_loss(a, y, reduction="none")


def _half(a, y):
    return 0.5 * F.mse_loss(a, y, reduction="none")


def _l1(a, y):
    return F.l1_loss(a, y, reduction="none")


def squared(a, y):
    return _value(_sq, a, y)


def squared_der(a, y):
    return _grad(_sq, a, y)


def half_squared(a, y):
    return _value(_half, a, y)


def half_squared_der(a, y):
    return _grad(_half, a, y)


def absolute(a, y):
    return _value(_l1, a, y)


def absolute_der(a, y):
    return _grad(_l1, a, y)
