"""Binary cross-entropy on probabilities via F.binary_cross_entropy(reduction="none"),
derivative (a - y) / (a (1 - a)) from autograd.  torch clamps log at -100, far below the
-27.6 of the smallest probability 1e-12, so values are the exact log loss."""
# expect: pass
# only: costs
# requires: torch

import numpy as np
import torch
import torch.nn.functional as F


def _tt(a, y, grad=False):
    a = torch.tensor(np.asarray(a, dtype=float), requires_grad=grad)
    return a, torch.tensor(np.asarray(y, dtype=float))


def log_loss(a, y):
    a, y = _tt(a, y)
    return np.asarray(F.binary_cross_entropy(a, y, reduction="none"), dtype=float)


def log_loss_der(a, y):
    a, y = _tt(a, y, grad=True)
    F.binary_cross_entropy(a, y, reduction="sum").backward()
    return np.asarray(a.grad, dtype=float)
